package reference

import (
	"os"
	"path/filepath"
	"testing"
)

// Offline makes the hub unreachable by request, with an empty hub cache and fresh lab caches: the
// state in which a wrongly chosen demo would run, which the tests of the demo's fallback need.
func Offline(t testing.TB) {
	t.Helper()
	t.Setenv("HF_HUB_CACHE", t.TempDir())
	t.Setenv("HF_HUB_OFFLINE", "1")
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
}

// CopyFiles copies the regular files of src (not below) into a new folder dst, so a test can
// damage a copy of a fixture (a model, a dataset folder) and never the original.
func CopyFiles(t testing.TB, src, dst string) string {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}
