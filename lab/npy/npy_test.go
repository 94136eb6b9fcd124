package npy

import (
	"bytes"
	"fmt"
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
	header := func(descr, shape string) []byte {
		h := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }\n", descr, shape)
		return append([]byte{0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, byte(len(h)), 0}, h...)
	}
	// Found by FuzzDecode: a dtype width or a shape product beyond any memory panicked in make.
	cases["huge width"] = struct {
		data []byte
		want string
	}{header("<u99999999999", "(2,)"), "not supported"}
	cases["overflowing shape"] = struct {
		data []byte
		want string
	}{header("<f4", "(3037000500, 3037000500)"), "implausibly large"}
	cases["claims more than it holds"] = struct {
		data []byte
		want string
	}{header("<f4", "(1000000000,)"), "fewer than"}
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

// FuzzDecode: no input makes Decode panic or allocate what the input does not hold, and what it
// accepts has as many values as its shape says and writes back to an array that reads the same.
func FuzzDecode(f *testing.F) {
	var b bytes.Buffer
	EncodeFloat32(&b, []int{2, 3}, []float32{1, 2, 3, 4, 5, 6})
	f.Add(b.Bytes())
	b.Reset()
	EncodeInt64(&b, []int{3}, []int64{-1, 0, 1 << 40})
	f.Add(b.Bytes())
	b.Reset()
	EncodeFloat32(&b, []int{}, []float32{7})
	f.Add(b.Bytes())
	f.Add([]byte("\x93NUMPY\x01\x00\x46\x00{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }          \n\x00\x00\x00\x00\x00\x00\xf0\x3f\x00\x00\x00\x00\x00\x00\x00\x40"))
	f.Add([]byte("\x93NUMPY\x02\x00\x20\x00\x00\x00{'descr': '|b1', 'shape': (3,)}\n\x01\x00\x01"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		a, err := Decode(bytes.NewReader(raw))
		if err != nil {
			return
		}
		n := a.Size()
		if (a.F32 == nil) == (a.I64 == nil) || len(a.F32)+len(a.I64) != n {
			t.Fatalf("shape %v but %d float32 and %d int64 values", a.Shape, len(a.F32), len(a.I64))
		}
		var out bytes.Buffer
		if a.F32 != nil {
			err = EncodeFloat32(&out, a.Shape, a.F32)
		} else {
			err = EncodeInt64(&out, a.Shape, a.I64)
		}
		if err != nil {
			t.Fatal(err)
		}
		back, err := Decode(&out)
		if err != nil || len(back.Shape) != len(a.Shape) || back.Size() != n {
			t.Fatalf("re-encoded array reads back as %+v, %v", back, err)
		}
	})
}
