package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestEx3ZeroShotDemo(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	manifest := filepath.Join(t.TempDir(), "r.json")
	stdout, stderr, code := runLab(t, "ex3", "zero-shot", "--demo", "--limit", "20", "--results", manifest)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if run := checkManifest(t, manifest, "ex3 zero-shot", "imagenette/top1", "tinyimagenet/top5", "eurosat/top1"); len(run.Datasets) != 3 {
		t.Errorf("datasets %+v", run.Datasets)
	}
	for _, want := range []string{"DEMO", "Per-class accuracy — demo shapes (standing in for imagenette)", "Confusion matrix", "Most confused", "Zero-shot accuracy"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	// Each of the three datasets has its stand-in, named as such, with 8 classes and 20 images.
	for _, name := range []string{"imagenette", "tinyimagenet", "eurosat"} {
		if !strings.Contains(strings.Join(strings.Fields(stdout), " "), "demo shapes (standing in for "+name+") 8 20 ") {
			t.Errorf("the summary lacks the row of %s's stand-in:\n%s", name, stdout)
		}
	}
	if _, stderr, code := runLab(t, "ex3", "zero-shot", "--demo", "--templates", "fancy"); code == 0 || !strings.Contains(stderr, "--templates") {
		t.Errorf("bad --templates: exit %d, %q", code, stderr)
	}
	if stdout, _, code := runLab(t, "ex3", "zero-shot", "--demo", "--limit", "2", "--dataset", "EuroSAT"); code != 0 || !strings.Contains(stdout, "standing in for eurosat") {
		t.Errorf("a catalog name in another case: exit %d\n%s", code, stdout)
	}
	if _, stderr, code := runLab(t, "ex3", "zero-shot", "--dataset", "imagenet-22k"); code == 0 || !strings.Contains(stderr, "imagenette") {
		t.Errorf("unknown dataset: exit %d, %q (the error should list the known ones)", code, stderr)
	}
}

func TestEx3AdaptDemo(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	out := t.TempDir()
	manifest := filepath.Join(t.TempDir(), "r.json")
	stdout, stderr, code := runLab(t, "ex3", "adapt", "--demo", "--epochs", "2", "--out", out, "--results", manifest)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	run := checkManifest(t, manifest, "ex3 adapt", "zero-shot/accuracy", "linear-probe/accuracy", "lora/balanced_accuracy")
	// --lr 0 is each method's own rate: the manifest says which ran where.
	if want := "0.001 (layernorm, layernorm-text, layernorm-both, bitfit, bitfit-text, bitfit-both, lora, lora-text, lora-both, full, full-text, full-both, prompt), 0.01 (head)"; run.Options["lr"] != want {
		t.Errorf("manifest lr %q, want %q", run.Options["lr"], want)
	}
	if want := filepath.Join(out, "head") + ", "; !strings.HasPrefix(run.Options["out"], want) {
		t.Errorf("manifest out %q, want the folders, from %s", run.Options["out"], want)
	}
	for _, want := range []string{"DEMO", "Few-shot problem — demo shapes", "Training history", "Adapting CLIP — demo shapes (standing in for eurosat), 16 shots per class, 96 held-out images",
		"zero-shot (a centered satellite photo of {}.)", "linear probe (LinearSVC(C=1, ", "zero-shot-initialised head", "LayerNorm tuning", "BitFit", "LoRA r=8", "LoRA adapter (PEFT format): " + out + "/lora/adapter", "prompt learning (CoOp", "learned prompt context: " + out + "/prompt/prompt_learner.safetensors",
		"LoRA r=8 (text q,v)", "BitFit (both biases)", "full fine-tuning (vision) + head", "LoRA adapter (PEFT format): " + out + "/lora-text/adapter",
		"Adaptation strategies — demo shapes", "Held-out accuracy % — strategy × method", "WiSE-FT — accuracy % by mixing coefficient α"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if _, stderr, code := runLab(t, "ex3", "adapt", "--demo", "--methods", "lora,prefix-tuning"); code == 0 || !strings.Contains(stderr, "prefix-tuning") {
		t.Errorf("unknown method: exit %d, %q", code, stderr)
	}
	for _, m := range []string{"full/wise/alpha=0.5/accuracy", "lora-both/wise/alpha=0/accuracy", "layernorm-text/accuracy"} {
		if _, ok := run.Metrics[m]; !ok {
			t.Errorf("manifest lacks %s", m)
		}
	}
	if _, stderr, code := runLab(t, "ex3", "adapt", "--demo", "--towers", "vision,audio"); code == 0 || !strings.Contains(stderr, "audio") {
		t.Errorf("unknown tower: exit %d, %q", code, stderr)
	}
	if _, stderr, code := runLab(t, "ex3", "adapt", "--demo", "--wise", "0,2"); code == 0 || !strings.Contains(stderr, "--wise") {
		t.Errorf("α out of range: exit %d, %q", code, stderr)
	}
	if _, stderr, code := runLab(t, "ex3", "adapt", "--help"); code != 0 || !strings.Contains(stderr, "--shots") {
		t.Errorf("--help: exit %d, %q", code, stderr)
	}
}
