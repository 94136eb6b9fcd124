package main

import (
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/go-translab/translab/lab/npy"
)

func TestEx1Demo(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	manifest := filepath.Join(t.TempDir(), "r.json")
	stdout, stderr, code := runLab(t, "ex1", "--demo", "--results", manifest)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	run := checkManifest(t, manifest, "ex1", "validation/accuracy", "test/accuracy", "test/pos/f1", "test/macro avg/f1")
	if run.Seeds["samples"] != 42 || run.Options["C"] != "1" || !strings.Contains(stderr, "lab ex1: results in "+manifest) {
		t.Errorf("seeds %v, options %v, stderr %q", run.Seeds, run.Options, stderr)
	}
	for _, want := range []string{
		"DEMO", "Exercise 1.1 — 5 random training samples", "Exercise 1.2 — tokens", "[CLS]",
		"BaseModelOutput(last_hidden_state=tensor of shape [1, ", "Exercise 1.3", "validation", "test",
		"precision    recall  f1-score   support", "weighted avg",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "embed train: 100%") {
		t.Errorf("the first run shows no progress of the feature extraction:\n%s", stderr)
	}
	// The features are cached: a second run extracts nothing, and says so.
	_, stderr2, code := runLab(t, "ex1", "--demo")
	if code != 0 || strings.Contains(stderr2, "embed train: 100%") || !strings.Contains(stderr2, "embed train: 2000 sentences from the cache") {
		t.Errorf("second run (exit %d) re-extracted features or did not say they came from the cache:\n%s", code, stderr2)
	}
	// The SVM's C is a flag, and a tiny one changes the model (and names it).
	stdout3, _, code := runLab(t, "ex1", "--demo", "--C", "1e-06")
	if code != 0 || !strings.Contains(stdout3, "LinearSVC(C=1e-06") || stdout3 == stdout {
		t.Errorf("--C 1e-06 (exit %d):\n%s", code, stdout3)
	}
}

func TestEx1FallsBackToDemoOffline(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HF_HUB_CACHE", t.TempDir())
	t.Setenv("HF_HUB_OFFLINE", "1")
	stdout, stderr, code := runLab(t, "ex1", "--samples", "2")
	// One short line says why, and where the full cause is; --verbose shows it.
	const why = "DEMO (offline by request (HF_HUB_OFFLINE) and distilbert-base-uncased is not cached; --verbose shows the full cause)"
	if code != 0 || !strings.Contains(stdout, why) || strings.Contains(stdout, "hub: ") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	for _, line := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(line, "DEMO") && utf8.RuneCountInString(line) > 200 {
			t.Errorf("the fallback line has %d characters: %s", utf8.RuneCountInString(line), line)
		}
	}
	stdout, stderr, code = runLab(t, "ex1", "--samples", "2", "--verbose")
	if code != 0 || strings.Contains(stdout, "--verbose shows") || !strings.Contains(stderr, "lab ex1: the demo runs because: hub: distilbert-base-uncased: config.json: not in the cache") {
		t.Fatalf("--verbose: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	// Not the lab's own model: no demo, an error naming it.
	_, stderr, code = runLab(t, "ex1", "--model", "someone/other-bert")
	if code == 0 || !strings.Contains(stderr, "someone/other-bert") || !strings.Contains(stderr, "HF_HUB_OFFLINE") {
		t.Errorf("another model offline: exit %d, %q", code, stderr)
	}
}

func TestSVMVerb(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	write := func(name string, n int) {
		x := make([]float32, n*3)
		y := make([]int64, n)
		for i := range y {
			y[i] = int64(i % 2)
			for j := 0; j < 3; j++ {
				x[i*3+j] = float32(rng.NormFloat64()) + float32(2*y[i]-1)*float32(j)
			}
		}
		npy.WriteFloat32(filepath.Join(dir, name+"_x.npy"), []int{n, 3}, x)
		npy.WriteInt64(filepath.Join(dir, name+"_y.npy"), []int{n}, y)
	}
	write("train", 200)
	write("test", 50)
	p := func(s string) string { return filepath.Join(dir, s) }
	stdout, stderr, code := runLab(t, "svm", "--train-x", p("train_x.npy"), "--train-y", p("train_y.npy"),
		"--test-x", p("test_x.npy"), "--test-y", p("test_y.npy"), "--out-pred", p("pred.npy"), "--out-decision", p("dec.npy"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "accuracy 0.9") && !strings.Contains(stdout, "accuracy 1.0") {
		t.Errorf("separable data should be classified well:\n%s", stdout)
	}
	pred, err := npy.Read(p("pred.npy"))
	if err != nil || len(pred.I64) != 50 {
		t.Fatalf("predictions: %v %v", pred, err)
	}
	dec, err := npy.Read(p("dec.npy"))
	if err != nil || len(dec.F32) != 50 {
		t.Fatalf("decisions: %v %v", dec, err)
	}
	for i := range pred.I64 {
		if (dec.F32[i] > 0) != (pred.I64[i] == 1) {
			t.Fatalf("row %d: decision %v but prediction %d", i, dec.F32[i], pred.I64[i])
		}
	}
	// Bad input: labels that do not match the features.
	_, stderr, code = runLab(t, "svm", "--train-x", p("train_x.npy"), "--train-y", p("test_y.npy"),
		"--test-x", p("test_x.npy"), "--out-pred", p("pred2.npy"))
	if code == 0 || !strings.Contains(stderr, "50 labels for 200 rows") {
		t.Errorf("exit %d, %q", code, stderr)
	}
}
