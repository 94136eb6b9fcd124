package sentiment

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/go-translab/translab/lab/distilbert"
	"github.com/go-translab/translab/lab/peft"
	"github.com/go-translab/translab/lab/reference"
)

// TestFineTuneDemo runs Exercise 2 on the demo: the fine-tuned tiny model must beat its own
// Exercise 1 baseline (the demo sentences carry a real, learnable signal), and the exported best
// model must reload with the same logits.
func TestFineTuneDemo(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	l, err := Setup(context.Background(), Options{Demo: true})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	ft, err := l.FineTune(context.Background(), l.DefaultFineTune(out))
	if err != nil {
		t.Fatal(err)
	}
	base, err := l.Baseline()
	if err != nil {
		t.Fatal(err)
	}
	if !(ft.Test.AccTest > base.AccTest+0.1) {
		t.Errorf("fine-tuned test accuracy %.3f does not beat the SVM baseline %.3f", ft.Test.AccTest, base.AccTest)
	}
	back, err := distilbert.LoadDir(filepath.Join(out, "best"), distilbert.RequireHead)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Config.Labels(); len(got) != 2 || got[0] != "neg" || got[1] != "pos" {
		t.Errorf("exported id2label %v", got)
	}
	ids := [][]int{l.Tokenizer.Encode("the film is a gorgeous , witty delight ."), l.Tokenizer.Encode("a dull mess .")}
	a, err := ft.Model.ClassifyIDs(l.Backend, ids, l.Tokenizer.PadID())
	if err != nil {
		t.Fatal(err)
	}
	b, err := back.ClassifyIDs(l.Backend, ids, l.Tokenizer.PadID())
	if err != nil {
		t.Fatal(err)
	}
	if e := reference.RelErr(b, a); e != 0 {
		t.Errorf("reloaded export's logits differ by %.3g", e)
	}
	cmp, err := Comparison(base, ft)
	if err != nil || len(cmp.Rows) != 2 {
		t.Fatalf("comparison table: %v %v", cmp, err)
	}
}

// TestFineTuneLoRADemo: with LoRA, only the side paths and the head train; the encoder's other
// weights stay as loaded; the export (LoRA merged in) predicts what the adapted model predicted;
// the adapter is written in PEFT's format; and the tiny model still learns the demo's sentiment.
func TestFineTuneLoRADemo(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	l, err := Setup(context.Background(), Options{Demo: true})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	o := l.DefaultLoRAFineTune(out)
	ft, err := l.FineTune(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	c := ft.Model.Config
	r := int64(o.LoRA.Rank)
	want := int64(c.NLayers)*2*r*int64(2*c.Dim) + int64(c.Dim*c.Dim+c.Dim) + int64(2*c.Dim+2)
	if ft.Trainable.Trainable != want {
		t.Errorf("trained %d parameters, want %d (LoRA on q_lin and v_lin, and the head)", ft.Trainable.Trainable, want)
	}
	base, err := l.Baseline()
	if err != nil {
		t.Fatal(err)
	}
	if !(ft.Test.AccTest > base.AccTest+0.1) {
		t.Errorf("LoRA test accuracy %.3f does not beat the SVM baseline %.3f", ft.Test.AccTest, base.AccTest)
	}
	for _, name := range []string{"distilbert.transformer.layer.0.ffn.lin1.weight", "distilbert.transformer.layer.1.attention.k_lin.bias", "distilbert.embeddings.word_embeddings.weight"} {
		got, _ := ft.Model.Store.GetVariable(distilbert.VarPath(name)).Value()
		was, _ := l.Model.Store.GetVariable(distilbert.VarPath(name)).Value()
		if !slices.Equal(tensors.MustCopyFlatData[float32](got), tensors.MustCopyFlatData[float32](was)) {
			t.Errorf("%s changed: it is frozen under LoRA", name)
		}
	}
	back, err := distilbert.LoadDir(filepath.Join(out, "best"), distilbert.RequireHead)
	if err != nil {
		t.Fatal(err)
	}
	rows, _, err := l.Tokenized()
	if err != nil {
		t.Fatal(err)
	}
	var ids [][]int
	for _, row := range rows["test"] {
		ids = append(ids, row.Fields["input_ids"].([]int))
	}
	logits, err := back.ClassifyIDs(l.Backend, ids, l.Tokenizer.PadID())
	if err != nil {
		t.Fatal(err)
	}
	for i := range ids {
		pred := 0
		if logits[2*i+1] > logits[2*i] {
			pred = 1
		}
		if pred != ft.Test.PredTest[i] {
			t.Fatalf("test sentence %d: the merged export predicts %d, the adapted model predicted %d", i, pred, ft.Test.PredTest[i])
		}
	}
	fresh, err := distilbert.LoadDir(l.ModelDir, distilbert.NoHead)
	if err != nil {
		t.Fatal(err)
	}
	fresh.InitHead(1) // a head to be replaced by the adapter's
	adapter, err := peft.LoadLoRA(ft.Adapter, fresh.Store, fresh.Config.Params(true).Linears())
	if err != nil {
		t.Fatal(err)
	}
	if len(adapter.Layers) != 2*c.NLayers || len(adapter.Saved) != 2 {
		t.Errorf("saved adapter covers %v and saves %v whole", adapter.Layers, adapter.Saved)
	}
	cmp, err := Comparison(base, ft)
	if err != nil || len(cmp.Rows) != 2 || !strings.Contains(cmp.Rows[1][0], "LoRA r=8") {
		t.Fatalf("comparison table: %v %v", cmp, err)
	}
}
