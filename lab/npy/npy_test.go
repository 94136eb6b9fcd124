package npy

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.npy")
	want := []float32{1, -2.5, 3e-8, 4, 5, 6}
	if err := WriteFloat32(p, []int{2, 3}, want); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(p)
	if (bytes.IndexByte(raw, '\n')+1)%64 != 0 {
		t.Errorf("data does not start 64-byte aligned")
	}
	a, err := Read(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Shape) != 2 || a.Shape[0] != 2 || a.Shape[1] != 3 {
		t.Fatalf("shape %v", a.Shape)
	}
	for i := range want {
		if a.F32[i] != want[i] {
			t.Fatalf("value %d: %v != %v", i, a.F32[i], want[i])
		}
	}
	q := filepath.Join(dir, "y.npy")
	if err := WriteInt64(q, []int{3}, []int64{-1, 0, 1 << 40}); err != nil {
		t.Fatal(err)
	}
	b, err := Read(q)
	if err != nil || b.I64[0] != -1 || b.I64[2] != 1<<40 || len(b.Shape) != 1 {
		t.Fatalf("int64 round trip: %v %v", b, err)
	}
	if err := WriteFloat32(q, []int{}, []float32{7}); err != nil {
		t.Fatal(err)
	}
	c, err := Read(q)
	if err != nil || len(c.Shape) != 0 || c.F32[0] != 7 {
		t.Fatalf("scalar round trip: %+v %v", c, err)
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.npy")
	if err := WriteFloat32(good, []int{4}, []float32{1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(good)
	cases := map[string]struct {
		data []byte
		want string
	}{
		"empty":     {nil, "preamble"},
		"magic":     {append([]byte("XNUMPY"), raw[6:]...), "bad magic"},
		"truncated": {raw[:len(raw)-3], "fewer than"},
		"bigendian": {bytes.Replace(raw, []byte("<f4"), []byte(">f4"), 1), "little-endian"},
		"fortran":   {bytes.Replace(raw, []byte("False"), []byte("True "), 1), "fortran"},
	}
	for name, c := range cases {
		p := filepath.Join(dir, name+".npy")
		os.WriteFile(p, c.data, 0o644)
		_, err := Read(p)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: got %v, want an error naming %s and %q", name, err, p, c.want)
		}
	}
	if err := WriteFloat32(good, []int{3}, []float32{1}); err == nil {
		t.Errorf("shape/data mismatch accepted")
	}
	if a, err := Read(good); err != nil || len(a.F32) != 4 {
		t.Errorf("a failed write damaged the existing file: %v", err)
	}
}
