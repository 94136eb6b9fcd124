package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
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
