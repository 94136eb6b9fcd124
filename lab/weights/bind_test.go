package weights

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

func writeNamed(t *testing.T, path string, ts ...Named) *File {
	t.Helper()
	if err := Write(path, ts, nil); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func varValues(t *testing.T, store *model.Store, path string) []float32 {
	t.Helper()
	v := store.GetVariable(path)
	if v == nil {
		t.Fatalf("no variable %s", path)
	}
	return tensors.MustCopyFlatData[float32](v.MustValue())
}

func TestBindReportsAllProblemsAtOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "model.safetensors")
	f := writeNamed(t, path,
		Named{Name: "a", Shape: []int{2, 3}, Data: make([]float32, 6)},
		Named{Name: "b", Shape: []int{4}, Data: make([]float32, 4)},
		Named{Name: "c", Shape: []int{1}, Data: make([]float32, 1)},
		Named{Name: "d", Shape: []int{1}, Data: make([]float32, 1)},
	)
	store := model.NewStore()
	want := []Want{
		{Name: "a", Path: "/enc/a", Shape: []int{2, 3}},
		{Name: "b", Path: "/enc/b", Shape: []int{5}},
		{Name: "x", Path: "/enc/x", Shape: []int{1}},
		{Name: "w", Path: "enc/w", Shape: []int{1}},
	}
	r, err := Bind(store, f, want, false)
	if err == nil {
		t.Fatal("Bind succeeded despite problems")
	}
	if !slices.Equal(r.Missing, []string{"w", "x"}) || !slices.Equal(r.Unexpected, []string{"c", "d"}) ||
		!slices.Equal(r.Mismatched, []string{"b: file [4] vs model [5]"}) {
		t.Errorf("report = %+v", r)
	}
	msg := err.Error()
	for _, s := range []string{path, "5 problem(s)", "missing: w", "missing: x", "unexpected: c", "unexpected: d", "shape mismatch: b: file [4] vs model [5]"} {
		if !strings.Contains(msg, s) {
			t.Errorf("error %q lacks %q", msg, s)
		}
	}
	if n := store.NumVariables(); n != 0 {
		t.Errorf("failed Bind created %d variables; the store must stay unchanged", n)
	}

	// Tolerating unexpected tensors still fails on the rest, without listing them.
	_, err = Bind(store, f, want, true)
	if err == nil || strings.Contains(err.Error(), "unexpected") || !strings.Contains(err.Error(), "3 problem(s)") {
		t.Errorf("allowUnexpected err = %v", err)
	}
}

func TestBindLoadsValues(t *testing.T) {
	path := filepath.Join(t.TempDir(), "model.safetensors")
	f := writeNamed(t, path,
		Named{Name: "w", Shape: []int{2, 2}, Data: []float32{1, 2, 3, 4}},
		Named{Name: "s", Data: []float32{9}},
		Named{Name: "pos", Shape: []int{1, 3}, Data: []int64{0, 1, 2}},
		Named{Name: "extra", Shape: []int{1}, Data: []float32{0}},
	)
	store := model.NewStore()
	// An existing variable of the same shape gets its value replaced.
	if _, err := store.CreateVariable("/m/w", tensors.FromFlatDataAndDimensions([]float32{0, 0, 0, 0}, 2, 2)); err != nil {
		t.Fatal(err)
	}
	want := []Want{{"w", "/m/w", []int{2, 2}}, {"s", "m/s", nil}, {"pos", "/m/pos", []int{1, 3}}}
	r, err := Bind(store, f, want, true)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Unexpected, []string{"extra"}) || len(r.Missing)+len(r.Mismatched) != 0 {
		t.Errorf("report = %+v", r)
	}
	if got := varValues(t, store, "/m/w"); !slices.Equal(got, []float32{1, 2, 3, 4}) {
		t.Errorf("/m/w = %v", got)
	}
	if got := varValues(t, store, "/m/s"); !slices.Equal(got, []float32{9}) {
		t.Errorf("/m/s = %v", got)
	}
	if got := tensors.MustCopyFlatData[int64](store.GetVariable("/m/pos").MustValue()); !slices.Equal(got, []int64{0, 1, 2}) {
		t.Errorf("/m/pos = %v", got)
	}
	if store.NumVariables() != 3 {
		t.Errorf("%d variables, want 3", store.NumVariables())
	}

	// An existing variable of another shape is a mismatch, not overwritten.
	store2 := model.NewStore()
	if _, err := store2.CreateVariable("/m/w", tensors.FromFlatDataAndDimensions([]float32{5, 6, 7}, 3)); err != nil {
		t.Fatal(err)
	}
	r, err = Bind(store2, f, want[:1], true)
	if err == nil || len(r.Mismatched) != 1 || !strings.Contains(r.Mismatched[0], "existing variable /m/w") {
		t.Errorf("err = %v, report = %+v", err, r)
	}
	if got := varValues(t, store2, "/m/w"); !slices.Equal(got, []float32{5, 6, 7}) {
		t.Errorf("mismatched variable was changed to %v", got)
	}

	if _, err := Bind(store, f, []Want{{"w", "/a", []int{2, 2}}, {"w", "/b", []int{2, 2}}}, true); err == nil {
		t.Errorf("duplicate wanted name accepted")
	}
}

func TestFromStoreRoundTrip(t *testing.T) {
	store := model.NewStore()
	mustVar := func(p string, tt *tensors.Tensor) {
		if _, err := store.CreateVariable(p, tt); err != nil {
			t.Fatal(err)
		}
	}
	mustVar("/enc/q", tensors.FromFlatDataAndDimensions([]float32{1, 2, 3, 4, 5, 6}, 3, 2))
	mustVar("/enc/ids", tensors.FromFlatDataAndDimensions([]int64{7, 8}, 2))
	want := []Want{{"encoder.q.weight", "/enc/q", []int{3, 2}}, {"position_ids", "enc/ids", []int{2}}}
	named, err := FromStore(store, want)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "export.safetensors")
	f := writeNamed(t, path, named...)
	fresh := model.NewStore()
	if _, err := Bind(fresh, f, want, false); err != nil {
		t.Fatal(err)
	}
	if got := varValues(t, fresh, "/enc/q"); !slices.Equal(got, []float32{1, 2, 3, 4, 5, 6}) {
		t.Errorf("/enc/q = %v", got)
	}

	_, err = FromStore(store, []Want{{"a", "/nope", []int{1}}, {"b", "/enc/q", []int{2, 3}}})
	if err == nil || !strings.Contains(err.Error(), "a: no variable /nope") || !strings.Contains(err.Error(), "b: variable /enc/q is [3 2] vs wanted [2 3]") {
		t.Errorf("err = %v", err)
	}
}

func TestShards(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(Write(filepath.Join(dir, "model-00001-of-00002.safetensors"), []Named{{Name: "a", Shape: []int{2}, Data: []float32{1, 2}}}, nil))
	must(Write(filepath.Join(dir, "model-00002-of-00002.safetensors"), []Named{{Name: "b", Data: []float32{3}}, {Name: "stray", Data: []float32{0}}}, nil))
	index := filepath.Join(dir, "model.safetensors.index.json")
	must(os.WriteFile(index, []byte(`{"metadata":{"total_size":12},"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}}`), 0o644))

	src, err := OpenDir(dir)
	must(err)
	defer src.Close()
	if src.Path() != index || !slices.Equal(src.Names(), []string{"a", "b"}) {
		t.Errorf("Path %q Names %v", src.Path(), src.Names())
	}
	store := model.NewStore()
	if _, err := Bind(store, src, []Want{{"a", "/a", []int{2}}, {"b", "/b", nil}}, false); err != nil {
		t.Fatal(err)
	}
	if got := varValues(t, store, "/b"); !slices.Equal(got, []float32{3}) {
		t.Errorf("/b = %v", got)
	}

	for _, c := range []struct{ name, index, phrase string }{
		{"listed tensor absent", `{"weight_map":{"zz":"model-00001-of-00002.safetensors"}}`, `tensor "zz" is listed in shard`},
		{"escaping shard path", `{"weight_map":{"a":"../model-00001-of-00002.safetensors"}}`, "not a file name"},
		{"missing shard", `{"weight_map":{"a":"model-00009.safetensors"}}`, "model-00009.safetensors"},
		{"empty map", `{"weight_map":{}}`, "no weight_map"},
		{"not json", `nope`, "not valid JSON"},
	} {
		p := filepath.Join(dir, "bad.index.json")
		must(os.WriteFile(p, []byte(c.index), 0o644))
		if _, err := OpenIndex(p); err == nil || !strings.Contains(err.Error(), c.phrase) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: err = %v", c.name, err)
		}
	}
	if _, err := OpenDir(t.TempDir()); err == nil || !strings.Contains(err.Error(), "neither") {
		t.Errorf("OpenDir(empty) err = %v", err)
	}
}
