package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-translab/translab/data"
	"github.com/go-translab/translab/lab/npy"
	"github.com/go-translab/translab/lab/reference"
)

// TestDType runs embed and clip-embed with --dtype bf16 against their float32 outputs, and checks
// that a bad --dtype is refused before anything is loaded.
func TestDType(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	tmp := t.TempDir()
	texts := filepath.Join(tmp, "texts.txt")
	os.WriteFile(texts, []byte("a photo of a red circle.\nthe film is strictly routine .\n"), 0o644)
	clipModel, err := data.CLIPDemoDir()
	if err != nil {
		t.Fatal(err)
	}
	// both returns the output of one command, in float32 then in bf16.
	both := func(cmd string, args ...string) (f32, bf16 []float32) {
		for _, dt := range []string{"float32", "bf16"} {
			out := filepath.Join(tmp, cmd+dt+".npy")
			_, stderr, code := runLab(t, append([]string{cmd, "--dtype", dt, "--out", out}, args...)...)
			if code != 0 {
				t.Fatalf("%s --dtype %s: exit %d: %s", cmd, dt, code, stderr)
			}
			a, err := npy.Read(out)
			if err != nil {
				t.Fatal(err)
			}
			if dt == "float32" {
				f32 = a.F32
			} else {
				bf16 = a.F32
			}
		}
		return f32, bf16
	}
	check := func(name string, f32, bf16 []float32) {
		// bf16's matmul rounding (see the packages' TestParityBF16) is ~5e-3 relative.
		if e := reference.RelErr(bf16, f32); e > 2e-2 || e == 0 || len(bf16) != len(f32) {
			t.Errorf("%s: bf16 vs float32 relative error %.3g (want (0, 2e-2])", name, e)
		} else {
			t.Logf("%s: bf16 vs float32 relative error %.2g", name, e)
		}
	}
	f32, bf16 := both("clip-embed", "--model", clipModel, "--texts", texts)
	check("clip-embed", f32, bf16)

	for _, cmd := range [][]string{
		{"embed", "--model", "nowhere", "--input", texts, "--out", filepath.Join(tmp, "x.npy"), "--dtype", "fp8"},
		{"clip-embed", "--model", "nowhere", "--texts", texts, "--out", filepath.Join(tmp, "x.npy"), "--dtype", "float16"},
	} {
		_, stderr, code := runLab(t, cmd...)
		if code == 0 || !strings.Contains(stderr, "--dtype") || !strings.Contains(stderr, "want float32 or bf16") {
			t.Errorf("%s with a bad --dtype: exit %d, %q", cmd[0], code, stderr)
		}
	}

	f32, bf16 = both("embed", "--model", modelDir(t), "--input", texts)
	check("embed", f32, bf16)
}
