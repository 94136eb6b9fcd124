package data

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-translab/translab/lab/cache"
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

// With a class's shared cache holding the fixtures, every student gets that one folder (so that
// the features cached for it are found) and nothing is extracted into her own cache.
func TestDemoDirFromSharedCache(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	teacher, err := DemoDir()
	if err != nil {
		t.Fatal(err)
	}
	student := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", student)
	t.Setenv(cache.SharedEnv, filepath.Dir(teacher))
	got, err := DemoDir()
	if err != nil || got != teacher {
		t.Fatalf("DemoDir with the shared cache: %q, %v; want the teacher's %q", got, err, teacher)
	}
	if _, err := os.Stat(filepath.Join(student, "translab")); !os.IsNotExist(err) {
		t.Errorf("the fixtures were extracted into the student's cache too (%v)", err)
	}
	// A shared cache without them (the teacher warmed only CLIP, say): extracted for the student.
	t.Setenv(cache.SharedEnv, t.TempDir())
	own, err := DemoDir()
	if err != nil || !strings.HasPrefix(own, student) {
		t.Errorf("DemoDir with an empty shared cache: %q, %v; want a folder under %s", own, err, student)
	}
}
