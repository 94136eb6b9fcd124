package ex2

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/collate"
	"github.com/go-translab/translab/lab/distilbert"
	"github.com/go-translab/translab/lab/ex1"
	"github.com/go-translab/translab/lab/peft"
	"github.com/go-translab/translab/lab/reference"
	"github.com/go-translab/translab/lab/session"
	"github.com/go-translab/translab/lab/svm"
	"github.com/go-translab/translab/lab/tokenize"
)

func demo(t *testing.T) (*session.Session, *session.Dataset, *tokenize.Tokenizer) {
	t.Helper()
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	o := session.Sentiment(true)
	o.Progress = io.Discard
	s, err := session.Setup(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := s.Dataset(context.Background(), "rotten_tomatoes")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	return s, ds, tok
}

func baseline(t *testing.T, s *session.Session, ds *session.Dataset, tok *tokenize.Tokenizer) *ex1.Result {
	m, err := s.DistilBERT()
	if err != nil {
		t.Fatal(err)
	}
	r, err := ex1.Baseline(s, ds, m, tok, &svm.LinearSVC{}, 32)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// logits classifies encoded sentences with m, padded by the collator.
func logits(t *testing.T, s *session.Session, m Model, tok *tokenize.Tokenizer, ids [][]int) []float32 {
	in, err := (collate.WithPadding{Tokenizer: tok, PadToMultipleOf: 8}).Pad(ids)
	if err != nil {
		t.Fatal(err)
	}
	out, err := model.CallOnce(s.Backend, m.Weights().Store, func(_ *model.Scope, ids, mask *Node) *Node { return m.Logits(ids, mask) }, in[0], in[1])
	if err != nil {
		t.Fatal(err)
	}
	return tensors.MustCopyFlatData[float32](out)
}

// TestFineTuneDemo runs Exercise 2 on the demo as `lab ex2 --demo` does. The demo must teach what
// the seed lab does: the pretrained tiny model's frozen [CLS] features are good (Exercise 1's SVM
// ≥ 0.75 on test) and fine-tuning is better still (≥ 3 points above). The exported best model
// must reload with the same logits.
func TestFineTuneDemo(t *testing.T) {
	s, ds, tok := demo(t)
	out := t.TempDir()
	ft, err := FineTune(context.Background(), s, Options{Args: SeedArgs(out, true), HeadSeed: 42})
	if err != nil {
		t.Fatal(err)
	}
	base := baseline(t, s, ds, tok)
	t.Logf("test accuracy: SVM on [CLS] features %.3f, fine-tuned %.3f", base.AccTest, ft.Test.AccTest)
	if base.AccTest < 0.75 {
		t.Errorf("Exercise 1's SVM scores %.3f < 0.75 on the demo's test split: the demo model's features carry too little", base.AccTest)
	}
	if !(ft.Test.AccTest >= base.AccTest+0.03) {
		t.Errorf("fine-tuned test accuracy %.3f is not 3 points above the SVM baseline %.3f", ft.Test.AccTest, base.AccTest)
	}
	back, err := distilbert.LoadDir(filepath.Join(out, "best"), distilbert.RequireHead)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Config.Labels(); len(got) != 2 || got[0] != "neg" || got[1] != "pos" {
		t.Errorf("exported id2label %v", got)
	}
	ids := [][]int{tok.Encode("the film is a gorgeous , witty delight ."), tok.Encode("a dull mess .")}
	if e := reference.RelErr(logits(t, s, back, tok, ids), logits(t, s, ft.Model, tok, ids)); e != 0 {
		t.Errorf("reloaded export's logits differ by %.3g", e)
	}
	cmp, err := Comparison(base, ft.Test)
	if err != nil || len(cmp.Rows) != 2 {
		t.Fatalf("comparison table: %v %v", cmp, err)
	}
	// The classifier of 2.5 labels sentences as the exported model does.
	c, err := LoadClassifier(s.Backend, ft.Exported, "")
	if err != nil {
		t.Fatal(err)
	}
	preds, err := c.Predict([]string{"the film is a gorgeous , witty delight .", "a dull mess ."})
	if err != nil || len(preds) != 2 {
		t.Fatalf("predictions %v, %v", preds, err)
	}
	l := logits(t, s, back, tok, ids)
	for i, p := range preds {
		want := 0
		if l[2*i+1] > l[2*i] {
			want = 1
		}
		if p.Label != want || p.Probs[0]+p.Probs[1] < 0.999 || p.Probs[0]+p.Probs[1] > 1.001 {
			t.Errorf("sentence %d: %+v, the export's argmax %d", i, p, want)
		}
	}
}

// TestFineTuneLoRADemo: with LoRA, only the side paths and the head train; the encoder's other
// weights stay as loaded; the export (LoRA merged in) predicts what the adapted model predicted;
// the adapter is written in PEFT's format; and the tiny model still learns the demo's sentiment.
func TestFineTuneLoRADemo(t *testing.T) {
	s, ds, tok := demo(t)
	out := t.TempDir()
	o := Options{Args: SeedArgs(out, true), HeadSeed: 42, LoRA: DefaultLoRA()}
	o.Args.LearningRate *= 10 // as `lab ex2 --lora` and notebook 02 take it
	ft, err := FineTune(context.Background(), s, o)
	if err != nil {
		t.Fatal(err)
	}
	c := ft.Model.(*distilbert.Model).Config
	r := int64(o.LoRA.Rank)
	want := int64(c.NLayers)*2*r*int64(2*c.Dim) + int64(c.Dim*c.Dim+c.Dim) + int64(2*c.Dim+2)
	if ft.Trainable.Trainable != want {
		t.Errorf("trained %d parameters, want %d (LoRA on q_lin and v_lin, and the head)", ft.Trainable.Trainable, want)
	}
	base := baseline(t, s, ds, tok)
	t.Logf("test accuracy: SVM on [CLS] features %.3f, LoRA %.3f", base.AccTest, ft.Test.AccTest)
	if !(ft.Test.AccTest > base.AccTest+0.1) {
		t.Errorf("LoRA test accuracy %.3f does not beat the SVM baseline %.3f", ft.Test.AccTest, base.AccTest)
	}
	orig, err := s.DistilBERT()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"distilbert.transformer.layer.0.ffn.lin1.weight", "distilbert.transformer.layer.1.attention.k_lin.bias", "distilbert.embeddings.word_embeddings.weight"} {
		got, _ := ft.Model.Weights().Store.GetVariable(distilbert.VarPath(name)).Value()
		was, _ := orig.Store.GetVariable(distilbert.VarPath(name)).Value()
		if !slices.Equal(tensors.MustCopyFlatData[float32](got), tensors.MustCopyFlatData[float32](was)) {
			t.Errorf("%s changed: it is frozen under LoRA", name)
		}
	}
	back, err := distilbert.LoadDir(filepath.Join(out, "best"), distilbert.RequireHead)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := ds.Rows("test")
	if err != nil {
		t.Fatal(err)
	}
	tokenized, err := Tokenize(tok, rows, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids [][]int
	for _, row := range tokenized {
		ids = append(ids, row.Fields[collate.InputIDs].([]int))
	}
	l := logits(t, s, back, tok, ids)
	for i := range ids {
		pred := 0
		if l[2*i+1] > l[2*i] {
			pred = 1
		}
		if pred != ft.Test.PredTest[i] {
			t.Fatalf("test sentence %d: the merged export predicts %d, the adapted model predicted %d", i, pred, ft.Test.PredTest[i])
		}
	}
	fresh, err := s.DistilBERT()
	if err != nil {
		t.Fatal(err)
	}
	fresh.InitHead(1) // a head to be replaced by the adapter's
	adapter, err := peft.LoadLoRA(ft.Adapter, fresh.Store, fresh.Params().Linears())
	if err != nil {
		t.Fatal(err)
	}
	if len(adapter.Layers) != 2*c.NLayers || len(adapter.Saved) != 2 {
		t.Errorf("saved adapter covers %v and saves %v whole", adapter.Layers, adapter.Saved)
	}
	cmp, err := Comparison(base, ft.Test)
	if err != nil || len(cmp.Rows) != 2 || !strings.Contains(cmp.Rows[1][0], "LoRA r=8") {
		t.Fatalf("comparison table: %v %v", cmp, err)
	}
}

// Tokenize truncates with the tokenizer: [SEP] stays last however long the text.
func TestTokenizeTruncates(t *testing.T) {
	_, ds, tok := demo(t)
	rows, err := ds.Rows("train")
	if err != nil {
		t.Fatal(err)
	}
	long := rows[0]
	long.Text = strings.Repeat("a gorgeous film . ", 200)
	got, err := Tokenize(tok, append(rows[:1:1], long), 16)
	if err != nil {
		t.Fatal(err)
	}
	ids := got[1].Fields[collate.InputIDs].([]int)
	prefix, suffix := tok.SpecialIDs()
	if len(ids) != 16 || ids[0] != prefix[0] || ids[15] != suffix[0] {
		t.Errorf("a long sentence tokenised to %d ids %v", len(ids), ids)
	}
	if _, ok := rows[0].Fields[collate.InputIDs]; ok {
		t.Error("Tokenize changed the rows it was given")
	}
	if f := Fields(rows[0], got[0]); len(f.Rows) != 2 || !strings.Contains(f.Rows[1][1], "input_ids") || strings.Contains(f.Rows[0][1], "input_ids") {
		t.Errorf("fields before/after: %v", f.Rows)
	}
}

// Architecture counts every parameter once and tells the new head from the checkpoint's weights.
func TestArchitecture(t *testing.T) {
	s, ds, _ := demo(t)
	m, err := distilbert.NewForSequenceClassification(s.ModelDir, ds.Classes, 42)
	if err != nil {
		t.Fatal(err)
	}
	tab := Architecture(m)
	total := 0
	for _, p := range m.Params() {
		total += p.Size()
	}
	last := tab.Rows[len(tab.Rows)-1]
	if last[0] != "total" || last[1] != fmt.Sprint(total) {
		t.Errorf("total row %v, want %d parameters", last, total)
	}
	origins := map[string]string{}
	for _, r := range tab.Rows {
		origins[r[0]] = r[2]
	}
	if !strings.HasPrefix(origins["classifier"], "new") || !strings.HasPrefix(origins["pre_classifier"], "new") || origins["distilbert.transformer.layer.0"] != "from the checkpoint" {
		t.Errorf("origins %v", origins)
	}
}

// TestFineTuneRepeats: with the same seeds on the same backend, fine-tuning repeats bit for bit —
// every step's loss, every evaluation, the predictions and the exported weights.
func TestFineTuneRepeats(t *testing.T) {
	s, _, _ := demo(t)
	var runs []*FineTuned
	var exported [][]byte
	for range 2 {
		o := Options{Args: SeedArgs(t.TempDir(), true), HeadSeed: 7}
		o.Args.NumTrainEpochs, o.Args.Seed = 1, 7
		ft, err := FineTune(context.Background(), s, o)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(filepath.Join(ft.Exported, "model.safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		runs, exported = append(runs, ft), append(exported, raw)
	}
	a, b := runs[0], runs[1]
	if !slices.Equal(a.History.StepLosses, b.History.StepLosses) {
		t.Errorf("step losses differ:\n%v\n%v", a.History.StepLosses, b.History.StepLosses)
	}
	if !reflect.DeepEqual(a.History.Epochs, b.History.Epochs) {
		t.Errorf("evaluations differ:\n%+v\n%+v", a.History.Epochs, b.History.Epochs)
	}
	if !slices.Equal(a.Test.PredVal, b.Test.PredVal) || !slices.Equal(a.Test.PredTest, b.Test.PredTest) {
		t.Error("predictions differ")
	}
	if !bytes.Equal(exported[0], exported[1]) {
		t.Error("the exported weights differ")
	}
}
