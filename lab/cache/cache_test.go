package cache

import (
	"os"
	"path/filepath"
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
