package ex2

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-translab/translab/data"
	"github.com/go-translab/translab/lab/bert"
	"github.com/go-translab/translab/lab/datasets"
	"github.com/go-translab/translab/lab/session"
	"github.com/go-translab/translab/lab/weights"
)

// bertSession is a real (not demo) session on a tiny random BertModel checkpoint — lab/bert's
// testdata, with the tokenizer it was made with (the demo's before the demo was pretrained) — and the demo reviews
// standing in for Rotten Tomatoes in an offline hub cache, as `lab ex2 --model DIR` would run it.
func bertSession(t *testing.T) *session.Session {
	t.Helper()
	demo, err := data.DemoDir()
	if err != nil {
		t.Fatal(err)
	}
	copyFile := func(from, to string) {
		raw, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	modelDir := t.TempDir()
	copyFile(filepath.Join("..", "bert", "testdata", "bert-tiny", "model.safetensors"), filepath.Join(modelDir, "model.safetensors"))
	// The fixture was saved from a three-label config; a pretrained BertModel's (bert-base-uncased,
	// MiniLM) has HF's default two labels, which a base model with a LoRA adapter takes.
	var cfg map[string]any
	raw, err := os.ReadFile(filepath.Join("..", "bert", "testdata", "bert-tiny", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(raw, &cfg)
	delete(cfg, "id2label")
	delete(cfg, "label2id")
	cfg["architectures"] = []string{"BertModel"}
	raw, _ = json.Marshal(cfg)
	os.WriteFile(filepath.Join(modelDir, "config.json"), raw, 0o644)
	for _, f := range []string{"tokenizer.json", "tokenizer_config.json"} {
		copyFile(filepath.Join("..", "bert", "testdata", "bert-tiny", f), filepath.Join(modelDir, f))
	}
	entry, err := data.Lookup("rotten_tomatoes")
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	const commit = "0123456789abcdef0123456789abcdef01234567"
	repo := filepath.Join(cache, "datasets--"+strings.ReplaceAll(entry.Spec().ID, "/", "--"))
	snapshot := filepath.Join(repo, "snapshots", commit)
	os.MkdirAll(filepath.Join(repo, "refs"), 0o755)
	os.MkdirAll(snapshot, 0o755)
	os.WriteFile(filepath.Join(repo, "refs", "main"), []byte(commit), 0o644)
	for _, f := range []string{"README.md", "train.parquet", "validation.parquet", "test.parquet"} {
		copyFile(filepath.Join(demo, f), filepath.Join(snapshot, f))
	}
	t.Setenv("HF_HUB_CACHE", cache)
	t.Setenv("HF_HUB_OFFLINE", "1")
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	o := session.Sentiment(false)
	o.Model, o.Progress = modelDir, io.Discard
	s, err := session.Setup(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if s.Demo {
		t.Fatalf("the session fell back to the demo: %s", s.Why)
	}
	return s
}

// TestFineTuneBERT: a BERT checkpoint fine-tunes as BertForSequenceClassification — its pooler from
// the checkpoint, a fresh classifier — learns the demo's sentiment, and exports a directory whose
// tensors are exactly those of HF's BertForSequenceClassification and which predicts the
// validation split as the trained model did. With LAB_BERT_EXPORT=DIR the export and the lab's
// validation predictions are copied there, for goldens/bert/check_export.py to load the export in
// transformers and compare.
func TestFineTuneBERT(t *testing.T) {
	s := bertSession(t)
	out := t.TempDir()
	ft, err := FineTune(context.Background(), s, Options{Args: SeedArgs(out, true), HeadSeed: 42})
	if err != nil {
		t.Fatal(err)
	}
	m, ok := ft.Model.(*bert.Model)
	if !ok {
		t.Fatalf("a BERT checkpoint fine-tuned as %T", ft.Model)
	}
	if ft.Method != "fine-tuned "+s.ModelID {
		t.Errorf("method %q", ft.Method)
	}
	arch := Architecture(m)
	var blocks []string
	for _, r := range arch.Rows {
		blocks = append(blocks, r[0]+": "+r[2])
	}
	want := []string{"bert.embeddings: from the checkpoint", "bert.encoder.layer.0: from the checkpoint", "bert.encoder.layer.1: from the checkpoint",
		"bert.pooler: from the checkpoint", "classifier: new: random, HF's initialisation", "total: "}
	if !slices.Equal(blocks, want) {
		t.Errorf("architecture %q", blocks)
	}
	if !(ft.Test.AccVal > 0.75 && ft.Test.AccTest > 0.75) {
		t.Errorf("the tiny BERT did not learn the demo: validation %.3f, test %.3f", ft.Test.AccVal, ft.Test.AccTest)
	}

	// The export: BertForSequenceClassification's tensors, the dataset's labels, the tokenizer.
	f, err := weights.Open(filepath.Join(ft.Exported, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var hf struct {
		StateDict []string `json:"state_dict"`
	}
	raw, _ := os.ReadFile(filepath.Join("..", "bert", "testdata", "hf_params.json"))
	if err := json.Unmarshal(raw, &hf); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.Names(), slices.Sorted(slices.Values(hf.StateDict))) {
		t.Errorf("exported tensors %v, HF's BertForSequenceClassification %v", f.Names(), hf.StateDict)
	}
	c, err := LoadClassifier(s.Backend, ft.Exported, "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Labels, []string{"neg", "pos"}) {
		t.Errorf("exported labels %v", c.Labels)
	}
	ds, err := s.Dataset(context.Background(), "rotten_tomatoes")
	if err != nil {
		t.Fatal(err)
	}
	val, err := ds.Rows("validation")
	if err != nil {
		t.Fatal(err)
	}
	preds, err := c.Predict(datasets.Texts(val))
	if err != nil {
		t.Fatal(err)
	}
	labels := make([]int, len(preds))
	for i, p := range preds {
		labels[i] = p.Label
	}
	if !slices.Equal(labels, ft.Test.PredVal) {
		t.Errorf("the export predicts the validation split otherwise than the trained model:\n%v\n%v", labels, ft.Test.PredVal)
	}
	if dir := os.Getenv("LAB_BERT_EXPORT"); dir != "" {
		if err := m.SavePretrained(dir, s.ModelDir); err != nil {
			t.Fatal(err)
		}
		raw, _ := json.MarshalIndent(map[string]any{"texts": datasets.Texts(val), "predictions": ft.Test.PredVal, "labels": ft.Test.YVal}, "", " ")
		if err := os.WriteFile(filepath.Join(dir, "lab_validation_predictions.json"), raw, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("export and validation predictions in %s", dir)
	}
}

// TestFineTuneBERTLoRA: LoRA on a BERT checkpoint targets peft's defaults for BERT (query, value),
// saves the adapter with the classifier, and the merged export labels sentences as the base
// checkpoint with the adapter does.
func TestFineTuneBERTLoRA(t *testing.T) {
	s := bertSession(t)
	out := t.TempDir()
	o := Options{Args: SeedArgs(out, true), HeadSeed: 42, LoRA: DefaultLoRA()}
	o.Args.NumTrainEpochs = 1
	ft, err := FineTune(context.Background(), s, o)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ft.Method, "LoRA r=8 (query, value) + head") {
		t.Errorf("method %q", ft.Method)
	}
	cfg := ft.Model.(*bert.Model).Config
	if want := int64(cfg.NumHiddenLayers)*2*8*int64(2*cfg.HiddenSize) + int64(2*cfg.HiddenSize+2); ft.Trainable.Trainable != want {
		t.Errorf("trained %d parameters, want %d (LoRA on query and value, and the classifier)", ft.Trainable.Trainable, want)
	}
	texts := []string{"the film is a gorgeous , witty delight .", "a dull , lifeless mess .", "not as bad as i feared ."}
	merged, err := LoadClassifier(s.Backend, ft.Exported, "")
	if err != nil {
		t.Fatal(err)
	}
	adapted, err := LoadClassifier(s.Backend, s.ModelDir, ft.Adapter)
	if err != nil {
		t.Fatal(err)
	}
	a, err := merged.Predict(texts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := adapted.Predict(texts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		for j := range a[i].Probs {
			if d := a[i].Probs[j] - b[i].Probs[j]; d > 1e-5 || d < -1e-5 {
				t.Errorf("sentence %d: merged export %v, base + adapter %v", i, a[i].Probs, b[i].Probs)
				break
			}
		}
	}
}
