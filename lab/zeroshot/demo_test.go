package zeroshot

import (
	"context"
	"io"
	"math"
	"testing"

	"github.com/go-translab/translab/lab/features"
)

// TestDemoTeaches runs Exercise 3's zero-shot step on the demo as `lab ex3 zero-shot --demo` does:
// each dataset's stand-in with the dataset's own template. The demo CLIP, pretrained on captioned
// shapes by data/gendemo, must classify well above chance among at least 6 classes (so top-5 is
// not 100 % by construction), and a template unlike its captions must score visibly differently —
// the demo shows that the prompt matters. It fails if the demo stops teaching.
func TestDemoTeaches(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	s, m, tok, proc := demo(t)
	s.Out = io.Discard
	score := func(name string, templates []string) (*Evaluation, float64) {
		d, err := s.Dataset(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		if templates == nil {
			if templates = d.Entry.Templates; templates == nil {
				templates = PhotoTemplate
			}
		}
		zs, err := NewClassifier(s.Backend, m, tok, d.Classes, templates, features.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ev, err := Evaluate(context.Background(), zs, proc, d, Options{BatchSize: 32})
		if err != nil {
			t.Fatal(err)
		}
		return ev, ev.TopK(1)
	}
	for _, name := range DatasetNames {
		ev, top1 := score(name, nil)
		t.Logf("%s: %d classes, %d images: top-1 %.1f %%, top-5 %.1f %%", name, len(ev.Classes), len(ev.Labels), 100*top1, 100*ev.TopK(5))
		if len(ev.Classes) < 6 {
			t.Errorf("%s: %d classes; the demo needs at least 6 for top-5 to mean something", name, len(ev.Classes))
		}
		if top1 < 0.6 {
			t.Errorf("%s: zero-shot top-1 %.1f %% < 60 %%: the demo CLIP does not classify", name, 100*top1)
		}
	}
	_, photo := score("imagenette", PhotoTemplate)
	_, poor := score("imagenette", []string{"a blurry sketch of a {}."})
	t.Logf("imagenette stand-in: %q top-1 %.1f %%, %q %.1f %%", PhotoTemplate[0], 100*photo, "a blurry sketch of a {}.", 100*poor)
	if math.Abs(photo-poor) < 0.05 {
		t.Errorf("top-1 %.1f %% with %q and %.1f %% with a poor template: the prompt should matter", 100*photo, PhotoTemplate[0], 100*poor)
	}
}
