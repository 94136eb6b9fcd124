package sentiment

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/go-translab/translab/lab/distilbert"
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
