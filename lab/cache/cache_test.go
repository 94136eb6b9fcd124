package cache

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFloat32ComputesOnceThenReads(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "model.safetensors"), []byte("weights"), 0o644)
	key := func(texts ...string) *Key {
		return NewKey("features").Files(dir, "config.json", "model.safetensors").Values("cls", 512).Texts(texts)
	}
	calls := 0
	compute := func() ([]float32, error) { calls++; return []float32{1, 2, 3, 4, 5, 6}, nil }
	for i, want := range []bool{false, true} {
		got, cached, err := Float32(key("a", "b"), []int{2, 3}, compute, nil)
		if err != nil || cached != want || len(got) != 6 || got[5] != 6 {
			t.Fatalf("call %d: %v cached=%v err=%v", i, got, cached, err)
		}
	}
	if calls != 1 {
		t.Fatalf("computed %d times, want once", calls)
	}
	// Another input, another shape, or a changed model file: computed again.
	if _, cached, _ := Float32(key("a", "c"), []int{2, 3}, compute, nil); cached {
		t.Error("other texts were served from the cache")
	}
	if _, cached, _ := Float32(key("ab"), []int{2, 3}, compute, nil); cached {
		t.Error(`"ab" hashed like "a", "b"`)
	}
	if _, cached, _ := Float32(key("a", "b"), []int{3, 2}, compute, nil); cached {
		t.Error("a cached array of another shape was returned")
	}
	os.WriteFile(filepath.Join(dir, "model.safetensors"), []byte("other weights"), 0o644)
	if _, cached, _ := Float32(key("a", "b"), []int{2, 3}, compute, nil); cached {
		t.Error("features of the old weights were returned after the checkpoint changed")
	}
}

func TestUnwritableCacheStillReturnsTheResult(t *testing.T) {
	ro := filepath.Join(t.TempDir(), "file-not-dir")
	os.WriteFile(ro, nil, 0o644)
	t.Setenv("XDG_CACHE_HOME", ro) // a file: nothing can be created under it
	var warned error
	got, cached, err := Float32(NewKey("x"), []int{1}, func() ([]float32, error) { return []float32{7}, nil }, func(e error) { warned = e })
	if err != nil || cached || len(got) != 1 || got[0] != 7 {
		t.Fatalf("got %v %v %v", got, cached, err)
	}
	if warned == nil {
		t.Error("the failed write was not reported")
	}
}

// A class's shared cache is read before the user's own and never written: what it lacks is computed
// into the user's cache, and a read-only shared folder is no error.
func TestSharedCacheIsReadFirstAndNeverWritten(t *testing.T) {
	dir := t.TempDir()
	key := func(texts ...string) *Key { return NewKey("features").Files(dir, "config.json").Texts(texts) }
	compute := func(v float32) func() ([]float32, error) {
		return func() ([]float32, error) { return []float32{v, v}, nil }
	}

	// The teacher fills the shared cache once, as an ordinary user cache.
	teacher := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", teacher)
	if _, cached, err := Float32(key("a"), []int{1, 2}, compute(7), nil); err != nil || cached {
		t.Fatalf("teacher: cached=%v err=%v", cached, err)
	}
	shared := filepath.Join(teacher, "translab")
	if err := os.Chmod(filepath.Join(shared, "features"), 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(shared, "features"), 0o755) })

	// A student with an empty cache of her own reads the teacher's result.
	student := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", student)
	t.Setenv(SharedEnv, shared)
	got, cached, err := Float32(key("a"), []int{1, 2}, compute(1), func(err error) { t.Errorf("warned: %v", err) })
	if err != nil || !cached || got[0] != 7 {
		t.Fatalf("student, shared entry: %v cached=%v err=%v, want the teacher's 7 from the cache", got, cached, err)
	}
	if _, err := os.Stat(filepath.Join(student, "translab")); !os.IsNotExist(err) {
		t.Errorf("a shared hit wrote to the student's cache (%v)", err)
	}

	// What the shared cache lacks is computed once into the student's own cache, not the shared one.
	for i, want := range []bool{false, true} {
		got, cached, err := Float32(key("b"), []int{1, 2}, compute(3), func(err error) { t.Errorf("warned: %v", err) })
		if err != nil || cached != want || got[0] != 3 {
			t.Fatalf("student, own entry, call %d: %v cached=%v err=%v", i, got, cached, err)
		}
	}
	if !strings.HasPrefix(key("b").Path(), student) {
		t.Errorf("own entry at %s, not under %s", key("b").Path(), student)
	}
	if _, err := os.Stat(filepath.Join(student, "translab", "features")); err != nil {
		t.Errorf("the student's own entry was not written: %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(shared, "features")); len(entries) != 1 {
		t.Errorf("the shared cache holds %d entries, want the teacher's one", len(entries))
	}
}
