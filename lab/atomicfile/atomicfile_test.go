package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReplaceKeepsOldOnError(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.txt")
	if err := WriteFile(p, []byte("old")); err != nil {
		t.Fatal(err)
	}
	os.Chmod(p, 0o600)
	boom := errors.New("boom")
	err := Write(p, func(w io.Writer) error {
		w.Write([]byte("half of the new"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Fatalf("old content lost: %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("temporary file left behind: %v", entries)
	}
	if err := WriteFile(p, []byte("new")); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	if b, _ := os.ReadFile(p); string(b) != "new" || st.Mode().Perm() != 0o600 {
		t.Fatalf("content %q mode %v", b, st.Mode())
	}
}

func TestMissingDirectory(t *testing.T) {
	if err := WriteFile(filepath.Join(t.TempDir(), "no", "such", "f"), nil); err == nil {
		t.Fatal("wrote into a missing directory")
	}
}

// ReplaceDir swaps a whole directory in: a failed fill leaves the old one as it was, a good one
// replaces it, and no temporary or ".old" directory remains either way.
func TestReplaceDir(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "export")
	fillWith := func(content string) func(string) error {
		return func(tmp string) error { return os.WriteFile(filepath.Join(tmp, "f.txt"), []byte(content), 0o644) }
	}
	if err := ReplaceDir(dir, fillWith("old")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := ReplaceDir(dir, func(tmp string) error {
		fillWith("half")(tmp)
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "f.txt")); string(b) != "old" {
		t.Fatalf("the old directory changed: %q", b)
	}
	if err := ReplaceDir(dir, fillWith("new")); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(dir)
	if b, _ := os.ReadFile(filepath.Join(dir, "f.txt")); string(b) != "new" || st.Mode().Perm() != 0o755 {
		t.Fatalf("content %q, mode %v", b, st.Mode())
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 1 {
		t.Fatalf("left behind: %v", entries)
	}
}

// An error names the path the user gave, never the temporary file beside it.
func TestErrorsNameTheTarget(t *testing.T) {
	dir := t.TempDir()
	for name, c := range map[string]struct {
		path, want string
	}{
		"missing directory": {filepath.Join(dir, "no", "x.npy"), filepath.Join(dir, "no", "x.npy") + ": the directory " + filepath.Join(dir, "no") + " does not exist"},
		"a directory":       {dir, dir + " is a directory"},
		"under a file":      {filepath.Join(dir, "f", "x.npy"), "is not a directory"},
	} {
		if name == "under a file" {
			os.WriteFile(filepath.Join(dir, "f"), nil, 0o644)
		}
		for _, err := range []error{WriteFile(c.path, []byte("x")), Check(c.path)} {
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), ".tmp-") {
				t.Errorf("%s: %v, want %q", name, err, c.want)
			}
		}
	}
	if os.Geteuid() != 0 { // root writes anywhere
		ro := filepath.Join(dir, "ro")
		os.Mkdir(ro, 0o555)
		err := Check(filepath.Join(ro, "x.npy"))
		if err == nil || !strings.Contains(err.Error(), "cannot create files in "+ro) || strings.Contains(err.Error(), ".tmp-") {
			t.Errorf("read-only directory: %v", err)
		}
	}
	if err := Check(filepath.Join(dir, "ok.npy")); err != nil {
		t.Errorf("a writable directory: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") || e.Name() == "ok.npy" {
			t.Errorf("Check left %s behind", e.Name())
		}
	}
}
