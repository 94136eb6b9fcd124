package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/go-translab/translab/lab/distilbert"
	"github.com/go-translab/translab/lab/results"
)

// TestMain lets a test run the lab as its own process: with LAB_TEST_ARGS set, the test binary is
// `lab` with those arguments (separated by newlines).
func TestMain(m *testing.M) {
	if args := os.Getenv("LAB_TEST_ARGS"); args != "" {
		os.Exit(run(strings.Split(args, "\n"), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestEx2RepeatsAcrossProcesses: `lab ex2 --epochs 1`, run twice with the same flags as two
// processes, exports the same bytes and writes the same manifest but for times, dates and paths —
// at the width where XLA's CPU plugin stopped repeating (all-MiniLM-L6-v2's: 384 wide, 12 heads,
// 1536 hidden; 2 of its 6 layers, to keep make test short; random weights), on the demo reviews, whose batches pad to different
// lengths. XLA's CPU plugin with XNNPACK repeated itself within one process but not across
// processes; the lab turns XNNPACK off (lab/backend). make test runs this on pure Go, then on the
// plugin; LAB_NONDETERMINISTIC=1 LAB_REPEAT_LAYERS=6 GOMLX_BACKEND=xla:cpu reproduces the failure.
func TestEx2RepeatsAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: two fine-tunings of a MiniLM-size encoder")
	}
	demo := filepath.Join("..", "..", "..", "data", "demo")
	model := fullWidthModel(t, demo)
	// 320 training reviews (20 steps of 16, batches of different lengths) and 64 of each other
	// split, as CSV: the run this reproduces had 19 steps.
	reviews := t.TempDir()
	d := demoSplits(t, false, filepath.Join(t.TempDir(), "reviews"))
	for split, n := range map[string]int{"train": 320, "validation": 64, "test": 64} {
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.Write([]string{"text", "label"})
		for _, r := range readSplit(t, d, split)[:n] {
			w.Write([]string{r.Text, strconv.Itoa(r.Label)})
		}
		w.Flush()
		if err := os.WriteFile(filepath.Join(reviews, split+".csv"), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var exports [][]byte
	var manifests []*results.Run
	for _, name := range []string{"a", "b"} {
		out := filepath.Join(t.TempDir(), name)
		manifest := filepath.Join(t.TempDir(), "r.json")
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+t.TempDir(), "LAB_TEST_ARGS="+strings.Join([]string{
			"ex2", "--dataset", reviews, "--model", model, "--epochs", "1", "--output-dir", out, "--results", manifest}, "\n"))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("run %s: %v\n%s", name, err, stderr.String())
		}
		raw, err := os.ReadFile(filepath.Join(out, "best", "model.safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		run, err := results.Load(manifest)
		if err != nil {
			t.Fatal(err)
		}
		exports, manifests = append(exports, raw), append(manifests, run)
	}
	a, b := manifests[0], manifests[1]
	if a.Backend.Config != b.Backend.Config {
		t.Fatalf("the runs chose different backends: %s, %s", a.Backend.Config, b.Backend.Config)
	}
	t.Logf("backend %s", a.Backend.Config)
	if !a.Backend.Deterministic {
		t.Errorf("the manifest says %s does not repeat", a.Backend.Config)
	}
	for name, v := range a.Metrics {
		if b.Metrics[name] != v {
			t.Errorf("metric %q: %v, then %v", name, v, b.Metrics[name])
		}
	}
	if len(a.Metrics) != len(b.Metrics) {
		t.Errorf("metrics %v, then %v", a.Metrics, b.Metrics)
	}
	for name, v := range a.Options {
		if name != "output-dir" && name != "results" && b.Options[name] != v {
			t.Errorf("option %q: %q, then %q", name, v, b.Options[name])
		}
	}
	if !bytes.Equal(exports[0], exports[1]) {
		t.Error("the exported model.safetensors differ")
	}
}

// fullWidthModel writes a random DistilBERT of all-MiniLM-L6-v2's width with the demo's vocabulary
// (LAB_REPEAT_LAYERS layers, 2 unless set: 6 is MiniLM's depth, where XLA's runs were seen to part).
func fullWidthModel(t *testing.T, demo string) string {
	t.Helper()
	dir := t.TempDir()
	vocab, err := distilbert.LoadConfig(filepath.Join(demo, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := distilbert.DefaultConfig()
	cfg.VocabSize, cfg.MaxPositionEmbeddings = vocab.VocabSize, vocab.MaxPositionEmbeddings
	cfg.Dim, cfg.NHeads, cfg.HiddenDim, cfg.NLayers = 384, 12, 1536, 2
	if n, err := strconv.Atoi(os.Getenv("LAB_REPEAT_LAYERS")); err == nil && n > 0 {
		cfg.NLayers = n
	}
	if err := distilbert.NewRandom(cfg, false, 11).Save(filepath.Join(dir, "model.safetensors"), true); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Save(filepath.Join(dir, "config.json")); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"tokenizer.json", "tokenizer_config.json"} {
		raw, err := os.ReadFile(filepath.Join(demo, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
