package main

import (
	"strings"
	"testing"
)

func TestEx3ZeroShotDemo(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	stdout, stderr, code := runLab(t, "ex3", "zero-shot", "--demo", "--limit", "20")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"DEMO", "Per-class accuracy — demo shapes", "Confusion matrix", "Most confused", "Zero-shot accuracy", "demo shapes        4      20"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if _, stderr, code := runLab(t, "ex3", "zero-shot", "--demo", "--templates", "fancy"); code == 0 || !strings.Contains(stderr, "--templates") {
		t.Errorf("bad --templates: exit %d, %q", code, stderr)
	}
	if _, stderr, code := runLab(t, "ex3", "zero-shot", "--dataset", "imagenet-22k"); code == 0 || !strings.Contains(stderr, "imagenette") {
		t.Errorf("unknown dataset: exit %d, %q (the error should list the known ones)", code, stderr)
	}
}

func TestEx3AdaptDemo(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	out := t.TempDir()
	stdout, stderr, code := runLab(t, "ex3", "adapt", "--demo", "--epochs", "2", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"DEMO", "Few-shot problem — demo shapes", "Training history", "Adapting CLIP — demo shapes, 16 shots per class, 48 held-out images",
		"zero-shot (a photo of a {}.)", "linear probe (SVM, C=1)", "zero-shot-initialised head", "LayerNorm tuning", "BitFit", "LoRA r=8", "LoRA adapter (PEFT format): " + out + "/lora/adapter", "prompt learning (CoOp", "learned prompt context: " + out + "/prompt/prompt_learner.safetensors"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if _, stderr, code := runLab(t, "ex3", "adapt", "--demo", "--methods", "lora,prefix-tuning"); code == 0 || !strings.Contains(stderr, "prefix-tuning") {
		t.Errorf("unknown method: exit %d, %q", code, stderr)
	}
	if _, stderr, code := runLab(t, "ex3", "adapt", "--help"); code != 0 || !strings.Contains(stderr, "--shots") {
		t.Errorf("--help: exit %d, %q", code, stderr)
	}
}
