package session

import (
	"context"
	"io"
	"strings"
	"testing"
)

// Offline with nothing cached, the session falls back to the demo, says why in its banner (not in
// a notice each cell would repeat), and every
// dataset it opens then is the demo's stand-in, titled as such.
func TestOfflineFallsBackToTheDemo(t *testing.T) {
	t.Setenv("HF_HUB_CACHE", t.TempDir())
	t.Setenv("HF_HUB_OFFLINE", "1")
	var notes strings.Builder
	o := Sentiment(false)
	o.Progress = &notes
	s, err := Setup(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Demo || s.Why != "offline by request (HF_HUB_OFFLINE) and distilbert-base-uncased is not cached" || s.Cause == nil || notes.Len() != 0 {
		t.Fatalf("demo %v, why %q, notes %q", s.Demo, s.Why, notes.String())
	}
	ds, err := s.Dataset(context.Background(), "rotten_tomatoes")
	if err != nil {
		t.Fatal(err)
	}
	if ds.Title != "demo reviews (standing in for rotten_tomatoes)" || len(ds.Classes) != 2 {
		t.Errorf("title %q, classes %v", ds.Title, ds.Classes)
	}
	if b := string(s.Banner("Exercise 1")); !strings.Contains(b, "DEMO (offline by request (HF_HUB_OFFLINE)") || !strings.Contains(b, s.Choice.Config) {
		t.Errorf("banner %q", b)
	}
	if _, err := s.Dataset(context.Background(), "imagenette"); err == nil || !strings.Contains(err.Error(), "no stand-in for imagenette") {
		t.Errorf("the text demo has no image dataset: %v", err)
	}
}

// A model that does not exist is an error, not a silent demo.
func TestMissingLocalModelIsAnError(t *testing.T) {
	o := CLIP(false)
	o.Model, o.Progress = t.TempDir()+"/no/such/model", io.Discard
	if s, err := Setup(context.Background(), o); err == nil {
		t.Fatalf("a missing directory ran (demo %v)", s.Demo)
	}
}

func TestCLIPDemoDatasets(t *testing.T) {
	o := CLIP(true)
	o.Progress = io.Discard
	s, err := Setup(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"imagenette", "tinyimagenet", "eurosat"} {
		d, err := s.Dataset(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(d.Title, "standing in for "+name) || len(d.Classes) != 8 || d.Entry.Name != name {
			t.Errorf("%s: title %q, classes %v", name, d.Title, d.Classes)
		}
		if _, err := d.EvalSplit(); err != nil {
			t.Error(err)
		}
	}
	if _, err := s.Dataset(context.Background(), "mnist"); err == nil {
		t.Error("a dataset outside the catalog was opened")
	}
}

// An unreachable hub (nothing listens at HF_ENDPOINT) is said as such, in one sentence that names
// what was missing; the full cause is kept for a --verbose.
func TestUnreachableHubFallsBack(t *testing.T) {
	t.Setenv("HF_HUB_CACHE", t.TempDir())
	t.Setenv("HF_HUB_OFFLINE", "")
	t.Setenv("HF_ENDPOINT", "http://127.0.0.1:1")
	o := CLIP(false)
	o.Progress, o.CauseHint = io.Discard, "--verbose shows the full cause"
	s, err := Setup(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	const why = "the hub is unreachable and openai/clip-vit-base-patch16 is not cached"
	if !s.Demo || s.Why != why || s.Cause == nil || !strings.Contains(s.Cause.Error(), "127.0.0.1:1") {
		t.Fatalf("demo %v, why %q, cause %v", s.Demo, s.Why, s.Cause)
	}
	if b := string(s.Banner("Exercise 3")); !strings.Contains(b, "DEMO ("+why+"; --verbose shows the full cause)") {
		t.Errorf("banner %q", b)
	}
}
