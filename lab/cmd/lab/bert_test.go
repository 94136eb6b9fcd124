package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-translab/translab/data"
)

// bertModelAndData makes what `lab ex2 --model DIR` needs offline: a BertModel directory (the tiny
// random one of lab/bert's testdata, with the demo's tokenizer and HF's default two labels) and
// the demo reviews standing in for Rotten Tomatoes in a hub cache, with HF_HUB_OFFLINE set.
func bertModelAndData(t *testing.T) string {
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
	model := t.TempDir()
	tiny := filepath.Join("..", "..", "bert", "testdata", "bert-tiny")
	copyFile(filepath.Join(tiny, "model.safetensors"), filepath.Join(model, "model.safetensors"))
	var cfg map[string]any
	raw, _ := os.ReadFile(filepath.Join(tiny, "config.json"))
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	delete(cfg, "id2label")
	delete(cfg, "label2id")
	raw, _ = json.Marshal(cfg)
	os.WriteFile(filepath.Join(model, "config.json"), raw, 0o644)
	for _, f := range []string{"tokenizer.json", "tokenizer_config.json"} { // the vocabulary the fixture was made with
		copyFile(filepath.Join(tiny, f), filepath.Join(model, f))
	}
	entry, err := data.Lookup("rotten_tomatoes")
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
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
	return model
}

// TestBERTEndToEnd: Exercises 1 and 2 on a BERT checkpoint name it and never DistilBERT, show no
// seed-lab figures beside it, fine-tune and export it as BertForSequenceClassification, and the
// export labels sentences with `lab classify`.
func TestBERTEndToEnd(t *testing.T) {
	model := bertModelAndData(t)
	stdout, stderr, code := runLab(t, "ex1", "--model", model)
	if code != 0 {
		t.Fatalf("ex1: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"model " + model, "on " + model + " [CLS] features"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("ex1 output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "DistilBERT") || strings.Contains(stdout, "seed lab") || strings.Contains(stdout, "0.822") {
		t.Errorf("ex1 on BERT names DistilBERT or shows the seed lab's figures:\n%s", stdout)
	}

	out := filepath.Join(t.TempDir(), "run")
	stdout, stderr, code = runLab(t, "ex2", "--model", model, "--output-dir", out, "--epochs", "3", "--learning-rate", "5e-3", "--batch-size", "32")
	if code != 0 {
		t.Fatalf("ex2: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"Training history — fine-tuned " + model, model + " [CLS] features + Linear SVM", "best model exported to"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("ex2 output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout+stderr, "DistilBERT") {
		t.Errorf("ex2 on BERT names DistilBERT:\n%s\n%s", stdout, stderr)
	}
	var cfg struct {
		ModelType     string            `json:"model_type"`
		Architectures []string          `json:"architectures"`
		ID2Label      map[string]string `json:"id2label"`
	}
	raw, err := os.ReadFile(filepath.Join(out, "best", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if json.Unmarshal(raw, &cfg); cfg.ModelType != "bert" || len(cfg.Architectures) != 1 || cfg.Architectures[0] != "BertForSequenceClassification" || cfg.ID2Label["1"] != "pos" {
		t.Errorf("exported config: %s", raw)
	}
	sentences := filepath.Join(t.TempDir(), "s.txt")
	os.WriteFile(sentences, []byte("the film is a gorgeous , witty delight .\na dull , lifeless mess .\n"), 0o644)
	stdout, stderr, code = runLab(t, "classify", "--model", filepath.Join(out, "best"), "--input", sentences)
	if code != 0 || !strings.Contains(stdout, "gorgeous") || !strings.Contains(stdout, "pos") {
		t.Errorf("classify the export: exit %d\n%s\n%s", code, stdout, stderr)
	}
}
