package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-translab/translab/data"
)

func TestEx2Demo(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	out := filepath.Join(t.TempDir(), "run")
	manifest := filepath.Join(t.TempDir(), "r.json")
	stdout, stderr, code := runLab(t, "ex2", "--demo", "--output-dir", out, "--epochs", "2", "--warmup-ratio", "0.25", "--results", manifest)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	run := checkManifest(t, manifest, "ex2", "test/fine-tuned/accuracy", "test/baseline/accuracy", "validation/epoch 2/eval_loss")
	if run.Seeds["training"] != 42 {
		t.Errorf("seeds %v", run.Seeds)
	}
	// The demo's own learning rate and batch, and the warm-up the ratio made: 2000 demo reviews in
	// batches of 32 are 63 steps an epoch, 126 in all, a quarter of which is 31.5, rounded up as HF does.
	for name, want := range map[string]string{"learning-rate": "0.001", "batch-size": "32", "warmup-steps": "32", "warmup-ratio": "0.25", "patience": "off"} {
		if got := run.Options[name]; got != want {
			t.Errorf("manifest option %q = %q, want %q (what ran)", name, got, want)
		}
	}
	for _, want := range []string{"Exercise 2.1", "Training history", "Loss", "fine-tuned demo (tiny pretrained DistilBERT)", "Confusion matrix", "best model exported to"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	for _, f := range []string{"config.json", "model.safetensors", "tokenizer.json"} {
		if _, err := os.Stat(filepath.Join(out, "best", f)); err != nil {
			t.Error(err)
		}
	}
	// One more epoch, resumed from the last checkpoint.
	_, stderr, code = runLab(t, "ex2", "--demo", "--output-dir", out, "--epochs", "3", "--resume")
	if code != 0 || !strings.Contains(stderr, "resumed from") {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	if _, _, code := runLab(t, "ex2", "--demo", "--output-dir", out, "--metric", "vibes"); code == 0 {
		t.Error("an unknown metric was accepted")
	}
}

func TestEx2LoRADemo(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	out := filepath.Join(t.TempDir(), "run")
	stdout, stderr, code := runLab(t, "ex2", "--demo", "--lora", "--lora-rank", "4", "--output-dir", out, "--epochs", "1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"demo (tiny pretrained DistilBERT) + LoRA r=4 (q_lin, v_lin) + head", "best model exported to", "LoRA adapter (PEFT format) in " + filepath.Join(out, "adapter")} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "trainable params: ") {
		t.Errorf("the parameter count is not reported:\n%s", stderr)
	}

	// lab classify: the merged export and base model + adapter label sentences alike.
	sentences := filepath.Join(t.TempDir(), "s.txt")
	os.WriteFile(sentences, []byte("the film is a gorgeous , witty delight .\na dull , lifeless mess .\nthe animated feature keeps you grinning from start to finish .\n"), 0o644)
	merged, stderr, code := runLab(t, "classify", "--model", filepath.Join(out, "best"), "--input", sentences)
	if code != 0 {
		t.Fatalf("classify: exit %d: %s", code, stderr)
	}
	demo, err := data.DemoDir()
	if err != nil {
		t.Fatal(err)
	}
	adapted, stderr, code := runLab(t, "classify", "--model", demo, "--adapter", filepath.Join(out, "adapter"), "--labels", "neg,pos", "--input", sentences)
	if code != 0 {
		t.Fatalf("classify with the adapter: exit %d: %s", code, stderr)
	}
	if merged != adapted || !strings.Contains(merged, "gorgeous") || strings.Count(merged, "\n") < 5 {
		t.Errorf("the merged export and the adapter disagree:\n%s\n%s", merged, adapted)
	}
	if _, stderr, code := runLab(t, "classify", "--model", filepath.Join(out, "best"), "--labels", "a,b,c", "--input", sentences); code == 0 || !strings.Contains(stderr, "3 names") {
		t.Errorf("three labels for two: exit %d, %q", code, stderr)
	}
	if _, stderr, code := runLab(t, "classify", "--model", demo, "--input", sentences); code == 0 || !strings.Contains(stderr, "no classification head") {
		t.Errorf("a model without a head: exit %d, %q", code, stderr)
	}
}

// A batch beyond the data is said and recorded as what ran; Ctrl-C says "interrupted", with how to
// continue when a checkpoint is there; --resume with nothing to resume fails before any work.
func TestEx2BatchInterruptAndResume(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	out := filepath.Join(t.TempDir(), "run")
	manifest := filepath.Join(t.TempDir(), "r.json")
	_, stderr, code := runLab(t, "ex2", "--demo", "--output-dir", out, "--epochs", "1", "--batch-size", "100000", "--results", manifest)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if want := "batch size 100000 is more than the 2000 training examples: each epoch is one step on all 2000"; !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
	if run := checkManifest(t, manifest, "ex2"); run.Options["batch-size"] != "2000" {
		t.Errorf("manifest batch-size %q, want the 2000 that ran", run.Options["batch-size"])
	}

	// Ctrl-C as the banner is shown: with out's checkpoint to continue from, and in a fresh folder.
	interrupt := func(args ...string) (string, int) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var e bytes.Buffer
		code := runVerb(ctx, runEx2, args, cancelOn{cancel, "Exercise 2.1"}, &e)
		return e.String(), code
	}
	if stderr, code := interrupt("ex2", "--demo", "--output-dir", out, "--epochs", "2", "--resume"); code != 130 || !strings.HasSuffix(stderr, "lab ex2: interrupted; rerun with --resume to continue\n") {
		t.Errorf("interrupted with a checkpoint: exit %d, %q", code, stderr)
	}
	fresh := filepath.Join(t.TempDir(), "fresh")
	if stderr, code := interrupt("ex2", "--demo", "--output-dir", fresh, "--epochs", "1"); code != 130 || !strings.HasSuffix(stderr, "lab ex2: interrupted\n") {
		t.Errorf("interrupted with nothing saved: exit %d, %q", code, stderr)
	}

	stdout, stderr, code := runLab(t, "ex2", "--demo", "--output-dir", fresh, "--resume")
	if code != 2 || stdout != "" || !strings.Contains(stderr, fresh+" holds no checkpoint to continue from; rerun without --resume") {
		t.Errorf("--resume with nothing to resume: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
}

// cancelOn is a writer that cancels a run once it has printed text, as a Ctrl-C would.
type cancelOn struct {
	cancel context.CancelFunc
	text   string
}

func (c cancelOn) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(c.text)) {
		c.cancel()
	}
	return len(p), nil
}
