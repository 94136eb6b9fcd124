package weights

import (
	"archive/zip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
)

// fuzzRecords are the storages every FuzzOpenTorch pickle may refer to, so
// fuzzed pickles can reach tensor validation and reads, not just the VM.
var fuzzRecords = map[string][]byte{
	"data/0": f32Storage(12),
	"data/1": le16(0x3c00, 0x0001, 0x7e00, 0x8000),
	"data/2": make([]byte, 3*8),
}

// FuzzOpenTorch feeds arbitrary data.pkl bytes, inside a well-formed
// archive, to the parser behind OpenTorch: it must never panic, and whatever
// it accepts must be readable within its bounds.
func FuzzOpenTorch(f *testing.F) {
	f.Add(torchPickle(
		pklTensor{name: "w", storage: "FloatStorage", key: "0", numel: 12, size: []int64{3, 4}, stride: []int64{4, 1}},
		pklTensor{name: "t", storage: "FloatStorage", key: "0", numel: 12, offset: 1, size: []int64{2, 3}, stride: []int64{1, 4}},
		pklTensor{name: "h", storage: "HalfStorage", key: "1", numel: 4, size: []int64{4}, stride: []int64{1}},
		pklTensor{name: "i", storage: "LongStorage", key: "2", numel: 3, size: []int64{2, 3}, stride: []int64{0, 1}},
		pklTensor{name: "s", storage: "FloatStorage", key: "0", numel: 12, offset: 11, size: []int64{}, stride: []int64{}},
	))
	for _, c := range torchRejectCases(f) {
		if zr, err := zip.NewReader(strings.NewReader(string(c.archive)), int64(len(c.archive))); err == nil {
			if pkl, err := readZipRecord(zr.File[0], MaxTorchPickleSize); err == nil {
				f.Add(pkl)
			}
		}
	}
	for _, pkl := range fixturePickles(f) {
		f.Add(pkl)
	}
	f.Fuzz(func(t *testing.T, pkl []byte) {
		checkTorchArchive(t, torchZip(t, pkl, zip.Store, fuzzRecords))
	})
}

// FuzzOpenTorchArchive mutates whole archives: the zip layer, record sizes
// and offsets. (Most pickle mutations die on the zip CRC here, which is why
// FuzzOpenTorch exists.)
func FuzzOpenTorchArchive(f *testing.F) {
	for _, c := range torchRejectCases(f) {
		f.Add(c.archive)
	}
	for _, name := range []string{"state_torch1.bin", "state_torch2.bin", "malicious.bin", "legacy.bin"} {
		if b, err := os.ReadFile(filepath.Join(torchTestdata, name)); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, archive []byte) {
		checkTorchArchive(t, archive)
	})
}

// fixturePickles returns the data.pkl records of the torch.save fixtures.
func fixturePickles(f *testing.F) [][]byte {
	var out [][]byte
	for _, name := range []string{"state_torch1.bin", "state_torch2.bin", "clip_bin/pytorch_model.bin", "malicious.bin"} {
		zr, err := zip.OpenReader(filepath.Join(torchTestdata, name))
		if err != nil {
			f.Fatal(err)
		}
		for _, zf := range zr.File {
			if strings.HasSuffix(zf.Name, "/data.pkl") {
				if b, err := readZipRecord(zf, MaxTorchPickleSize); err == nil {
					out = append(out, b)
				}
			}
		}
		zr.Close()
	}
	return out
}

func checkTorchArchive(t *testing.T, archive []byte) {
	const name = "fuzz.bin"
	file, err := openTorchBytes(name, archive)
	if err != nil {
		if !strings.HasPrefix(err.Error(), "weights: "+name+": ") {
			t.Fatalf("error does not name the file: %v", err)
		}
		return
	}
	names := file.Names()
	if !sort.StringsAreSorted(names) || len(names) != len(file.entries) {
		t.Fatalf("bad Names(): %v", names)
	}
	for _, n := range names {
		e := file.entries[n]
		es := knownDTypes[e.dtype].size
		if e.lo < 0 || e.hi < e.lo || int64(e.hi)*int64(es) > e.rec.size {
			t.Fatalf("%q: span [%d,%d) outside its %d-byte record", n, e.lo, e.hi, e.rec.size)
		}
		if e.numel*es > 1<<20 {
			continue // a legal expand; reading it would only slow the fuzzer down
		}
		if isFloat32Source(e.dtype) {
			v, err := file.Float32s(n)
			if err != nil || len(v) != e.numel {
				t.Fatalf("%q: Float32s: %d values, err %v", n, len(v), err)
			}
		}
		if knownDTypes[e.dtype].gomlx != dtypes.InvalidDType {
			tt, err := file.Tensor(n)
			if err != nil || !sameDims(tt.Shape().Dimensions, e.shape) {
				t.Fatalf("%q: Tensor: %v", n, err)
			}
			tt.FinalizeAll()
		}
		info, ok := file.Info(n)
		if !ok || !slices.Equal(info.Shape, e.shape) {
			t.Fatalf("%q: Info %v", n, info)
		}
	}
}
