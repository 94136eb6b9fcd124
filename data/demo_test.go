package data

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDemoDir(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir, err := DemoDir()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"config.json", "model.safetensors", "tokenizer.json", "train.parquet", "validation.parquet", "test.parquet", "README.md"} {
		want, _ := demoFS.ReadFile("demo/" + f)
		got, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || string(got) != string(want) {
			t.Errorf("%s: extracted copy differs (%v)", f, err)
		}
	}
	// A second extraction (another process) reuses the same directory.
	again, err := extractDemo("demo")
	if err != nil || again != dir {
		t.Errorf("second extraction: %q, %v", again, err)
	}
}

func TestCLIPDemoDir(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir, err := CLIPDemoDir()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "preprocessor_config.json", "test.parquet", "README.md"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}
