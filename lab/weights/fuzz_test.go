package weights

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
)

// FuzzOpen feeds arbitrary bytes to the parser behind Open (in memory, so
// the fuzzer is not bound by file creation) and checks that it never panics
// and that whatever it accepts is safe to read.
func FuzzOpen(f *testing.F) {
	for _, c := range corruptCases() {
		f.Add(c.data)
	}
	f.Add(buildFile(`{"format":"pt"}`,
		rawTensor{"h", "F16", "[2,2]", le16(0x3c00, 0x0001, 0x7e00, 0x8000)},
		rawTensor{"b", "BF16", "[1]", le16(0x3f80)},
		rawTensor{"f", "F32", "[]", le32f(1)},
		rawTensor{"i", "I64", "[1]", make([]byte, 8)},
		rawTensor{"z", "F32", "[0,5]", nil},
		rawTensor{"m", "BOOL", "[3]", []byte{0, 1, 2}},
	))
	f.Add(withHeader(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[2],"data_offsets":[6,8]}}`, make([]byte, 8)))
	dir := f.TempDir()
	p := filepath.Join(dir, "w.safetensors")
	if err := Write(p, []Named{{Name: "x", Shape: []int{2}, Data: []float32{1, 2}}, {Name: "y", Data: []int64{3}}}, map[string]string{"k": "v"}); err != nil {
		f.Fatal(err)
	}
	if b, err := os.ReadFile(p); err == nil {
		f.Add(b)
	}

	const name = "fuzz.safetensors"
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := newFile(name, data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "weights: "+name+": ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		headerEnd := 8 + int(binary.LittleEndian.Uint64(data))
		names := file.Names()
		if !sort.StringsAreSorted(names) || len(names) != len(file.entries) || slices.Contains(names, metadataKey) {
			t.Fatalf("bad Names(): %v", names)
		}
		var es []*entry
		for _, n := range names {
			e := file.entries[n]
			if e.end > e.begin {
				es = append(es, e)
			}
			if e.begin < headerEnd || e.end < e.begin || e.end > len(data) {
				t.Fatalf("%q: range [%d,%d] outside data area [%d,%d]", n, e.begin, e.end, headerEnd, len(data))
			}
			numel := 1
			for _, d := range e.shape {
				numel *= d
			}
			if hasZero := slices.Contains(e.shape, 0); hasZero {
				numel = 0
			}
			if numel*knownDTypes[e.dtype].size != e.end-e.begin {
				t.Fatalf("%q: %s %v in %d bytes", n, e.dtype, e.shape, e.end-e.begin)
			}
			if isFloat32Source(e.dtype) {
				v, err := file.Float32s(n)
				if err != nil || len(v) != numel {
					t.Fatalf("%q: Float32s: %d values, err %v", n, len(v), err)
				}
			}
			if knownDTypes[e.dtype].gomlx != dtypes.InvalidDType {
				tt, err := file.Tensor(n)
				if err != nil || !sameDims(tt.Shape().Dimensions, e.shape) {
					t.Fatalf("%q: Tensor: %v", n, err)
				}
			}
		}
		// Non-empty ranges must be pairwise disjoint.
		sort.Slice(es, func(i, j int) bool { return es[i].begin < es[j].begin })
		for i := 1; i < len(es); i++ {
			if es[i].begin < es[i-1].end {
				t.Fatalf("%q and %q overlap", es[i-1].name, es[i].name)
			}
		}
	})
}
