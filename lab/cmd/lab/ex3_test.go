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
