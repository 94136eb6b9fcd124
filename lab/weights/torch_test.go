package weights

import (
	"archive/zip"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

const torchTestdata = "testdata/torch"

// torchExpected is state.json: each tensor of the fixture state dict with
// its values in C order, floats as float32 bit patterns.
type torchExpected map[string]struct {
	DType  string  `json:"dtype"`
	Shape  []int   `json:"shape"`
	Values []int64 `json:"values"`
}

func loadTorchExpected(t *testing.T) torchExpected {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(torchTestdata, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp torchExpected
	if err := json.Unmarshal(raw, &exp); err != nil {
		t.Fatal(err)
	}
	return exp
}

// TestOpenTorchStateDict reads the state dict torch 1.13 and torch 2.x each
// saved (their archives differ: 2.x aligns storages and adds records) and
// checks every tensor bit for bit: F32/F16/BF16/I64/I32/BOOL, a transposed
// view, a tied pair sharing one storage, an offset strided column, an
// expanded (stride 0) buffer, a scalar, an empty tensor, a Parameter, and
// the BUILD of the _metadata attribute Module.state_dict() attaches.
func TestOpenTorchStateDict(t *testing.T) {
	exp := loadTorchExpected(t)
	wantNames := make([]string, 0, len(exp))
	for n := range exp {
		wantNames = append(wantNames, n)
	}
	sort.Strings(wantNames)
	for _, file := range []string{"state_torch1.bin", "state_torch2.bin"} {
		t.Run(file, func(t *testing.T) {
			f, err := OpenTorch(filepath.Join(torchTestdata, file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if got := f.Names(); !slices.Equal(got, wantNames) {
				t.Fatalf("Names() = %v, want %v", got, wantNames)
			}
			for _, name := range wantNames {
				e := exp[name]
				info, ok := f.Info(name)
				if !ok || info.DType != e.DType || !sameDims(info.Shape, e.Shape) {
					t.Errorf("%s: Info = %+v, %v; want %s %v", name, info, ok, e.DType, e.Shape)
					continue
				}
				tt, err := f.Tensor(name)
				if err != nil {
					t.Errorf("%s: Tensor: %v", name, err)
					continue
				}
				if !sameDims(tt.Shape().Dimensions, e.Shape) {
					t.Errorf("%s: Tensor shape %v, want %v", name, tt.Shape(), e.Shape)
				}
				got := tensorValuesAsInt64(t, tt)
				if !slices.Equal(got, e.Values) {
					t.Errorf("%s: Tensor values %v, want %v", name, got, e.Values)
				}
				fs, err := f.Float32s(name)
				if isFloat32Source(e.DType) {
					bits := make([]int64, len(fs))
					for i, v := range fs {
						bits[i] = int64(math.Float32bits(v))
					}
					if err != nil || !slices.Equal(bits, e.Values) {
						t.Errorf("%s: Float32s bits %v (%v), want %v", name, bits, err, e.Values)
					}
				} else if err == nil || !strings.Contains(err.Error(), "not a float dtype") {
					t.Errorf("%s: Float32s on %s: err %v", name, e.DType, err)
				}
			}
		})
	}
}

// tensorValuesAsInt64 flattens a host tensor to int64s: float32 as bit
// patterns (so NaN and -0 compare exactly), integers and bools as values.
func tensorValuesAsInt64(t *testing.T, tt *tensors.Tensor) []int64 {
	t.Helper()
	var out []int64
	switch dt := tt.Shape().DType; dt {
	case dtypes.Float32:
		for _, v := range tensors.MustCopyFlatData[float32](tt) {
			out = append(out, int64(math.Float32bits(v)))
		}
	case dtypes.Int64:
		out = tensors.MustCopyFlatData[int64](tt)
	case dtypes.Int32:
		for _, v := range tensors.MustCopyFlatData[int32](tt) {
			out = append(out, int64(v))
		}
	case dtypes.Bool:
		for _, v := range tensors.MustCopyFlatData[bool](tt) {
			if v {
				out = append(out, 1)
			} else {
				out = append(out, 0)
			}
		}
	default:
		t.Fatalf("unexpected dtype %s", dt)
	}
	if out == nil {
		out = []int64{}
	}
	return out
}

// TestOpenDirTorchMatchesSafetensors binds the tiny HF models that
// save_pretrained wrote both as pytorch_model.bin (single and sharded) and
// as model.safetensors, through OpenDir, and requires identical stores.
func TestOpenDirTorchMatchesSafetensors(t *testing.T) {
	for _, c := range []struct{ bin, safe string }{
		{"clip_bin", "clip_safetensors"},
		{"distilbert_sharded_bin", "distilbert_safetensors"},
	} {
		t.Run(c.bin, func(t *testing.T) {
			bin, err := OpenDir(filepath.Join(torchTestdata, c.bin))
			if err != nil {
				t.Fatal(err)
			}
			defer bin.Close()
			switch b := bin.(type) {
			case *TorchFile:
			case *Shards:
				if _, ok := b.files[0].(*TorchFile); !ok {
					t.Fatalf("OpenDir returned shards of %T", b.files[0])
				}
			default:
				t.Fatalf("OpenDir returned a %T", bin)
			}
			safe, err := OpenDir(filepath.Join(torchTestdata, c.safe))
			if err != nil {
				t.Fatal(err)
			}
			defer safe.Close()
			if !slices.Equal(bin.Names(), safe.Names()) {
				t.Fatalf("names differ:\n bin  %v\n safe %v", bin.Names(), safe.Names())
			}
			var want []Want
			for _, n := range safe.Names() {
				info, _ := safe.Info(n)
				want = append(want, Want{Name: n, Path: "/m/" + strings.ReplaceAll(n, ".", "/"), Shape: info.Shape})
			}
			stores := map[string]*model.Store{}
			for label, src := range map[string]Source{"bin": bin, "safetensors": safe} {
				store := model.NewStore()
				if _, err := Bind(store, src, want, false); err != nil {
					t.Fatalf("%s: %v", label, err)
				}
				stores[label] = store
			}
			for _, w := range want {
				a := tensorValuesAsInt64(t, stores["bin"].GetVariable(w.Path).MustValue())
				b := tensorValuesAsInt64(t, stores["safetensors"].GetVariable(w.Path).MustValue())
				if !slices.Equal(a, b) {
					t.Errorf("%s: pytorch_model.bin and model.safetensors values differ", w.Name)
				}
			}
		})
	}
}

// TestOpenTorchRefusesMaliciousPickle opens a checkpoint whose pickle calls
// os.system through __reduce__: it must be refused at the GLOBAL, naming it.
func TestOpenTorchRefusesMaliciousPickle(t *testing.T) {
	path := filepath.Join(torchTestdata, "malicious.bin")
	_, err := OpenTorch(path)
	if err == nil {
		t.Fatal("malicious pickle accepted")
	}
	// pickle names os.system by its implementing module: posix on Unix.
	if msg := err.Error(); !strings.Contains(msg, path) ||
		!(strings.Contains(msg, `refusing to unpickle "posix.system"`) || strings.Contains(msg, `refusing to unpickle "os.system"`)) {
		t.Errorf("error = %v", err)
	}
	// The same through OpenDir, as a model directory would be read.
	dir := t.TempDir()
	raw, _ := os.ReadFile(path)
	if err := os.WriteFile(filepath.Join(dir, "pytorch_model.bin"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenDir(dir); err == nil || !strings.Contains(err.Error(), "refusing to unpickle") {
		t.Errorf("OpenDir error = %v", err)
	}
}

func TestOpenTorchLegacyFormat(t *testing.T) {
	_, err := OpenTorch(filepath.Join(torchTestdata, "legacy.bin"))
	if err == nil || !strings.Contains(err.Error(), "legacy (pre-1.6, non-zip) torch.save format is not supported") {
		t.Errorf("error = %v", err)
	}
}

// f32Storage is the bytes of a FloatStorage holding 0, 1, ..., n-1.
func f32Storage(n int) []byte {
	vs := make([]float32, n)
	for i := range vs {
		vs[i] = float32(i)
	}
	return le32f(vs...)
}

// TestOpenTorchHandBuilt checks views and the compressed-record path on
// pickles built byte by byte.
func TestOpenTorchHandBuilt(t *testing.T) {
	pkl := torchPickle(
		pklTensor{name: "w", storage: "FloatStorage", key: "0", numel: 12, size: []int64{3, 4}, stride: []int64{4, 1}},
		// Every other element of row 1, reversed axes: a genuinely strided view.
		pklTensor{name: "v", storage: "FloatStorage", key: "0", numel: 12, offset: 4, size: []int64{2, 2}, stride: []int64{1, 2}},
		pklTensor{name: "s", storage: "FloatStorage", key: "0", numel: 12, offset: 11, size: []int64{}, stride: []int64{}},
		pklTensor{name: "e", storage: "FloatStorage", key: "0", numel: 12, offset: 12, size: []int64{0, 4}, stride: []int64{1, 9}},
		pklTensor{name: "x", storage: "FloatStorage", key: "1", numel: 3, size: []int64{2, 3}, stride: []int64{0, 1}},
	)
	recs := map[string][]byte{"data/0": f32Storage(12), "data/1": f32Storage(3)}
	want := map[string][]float32{
		"w": {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11},
		"v": {4, 6, 5, 7},
		"s": {11},
		"e": {},
		"x": {0, 1, 2, 0, 1, 2},
	}
	for _, method := range []uint16{zip.Store, zip.Deflate} {
		f, err := openTorchBytes("hand.bin", torchZip(t, pkl, method, recs))
		if err != nil {
			t.Fatalf("method %d: %v", method, err)
		}
		for name, w := range want {
			got, err := f.Float32s(name)
			if err != nil || !slices.Equal(got, w) {
				t.Errorf("method %d: %s = %v (%v), want %v", method, name, got, err, w)
			}
		}
		if _, err := f.Float32s("nope"); err == nil || !strings.Contains(err.Error(), `hand.bin: no tensor "nope"`) {
			t.Errorf("missing tensor error = %v", err)
		}
	}
}

// TestOpenTorchRejects lists pickles and archives that must fail to open,
// each with a phrase the error must contain.
func TestOpenTorchRejects(t *testing.T) {
	for _, c := range torchRejectCases(t) {
		t.Run(c.name, func(t *testing.T) {
			_, err := openTorchBytes("bad.bin", c.archive)
			if err == nil {
				t.Fatal("accepted")
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "weights: bad.bin: ") || !strings.Contains(msg, c.want) {
				t.Errorf("error %q does not contain %q", msg, c.want)
			}
		})
	}
}

type torchRejectCase struct {
	name    string
	archive []byte
	want    string
}

func torchRejectCases(t testing.TB) []torchRejectCase {
	w := func(mod ...func(*pklTensor)) []byte {
		pt := pklTensor{name: "w", storage: "FloatStorage", key: "0", numel: 12, size: []int64{3, 4}, stride: []int64{4, 1}}
		for _, m := range mod {
			m(&pt)
		}
		return torchPickle(pt)
	}
	good := map[string][]byte{"data/0": f32Storage(12)}
	z := func(pkl []byte) []byte { return torchZip(t, pkl, zip.Store, good) }
	evil := func(module, name string) []byte {
		return (&pickler{}).op(0x80, 2).global(module, name).str("id").op(0x85, 'R', '.').b
	}
	return []torchRejectCase{
		{"os.system", z(evil("os", "system")), `refusing to unpickle "os.system"`},
		{"builtins.eval", z(evil("builtins", "eval")), `refusing to unpickle "builtins.eval"`},
		{"stack global", z((&pickler{}).op(0x80, 4).str("subprocess").str("Popen").op(0x93, '.').b), `refusing to unpickle "subprocess.Popen"`},
		{"torch.load", z(evil("torch", "load")), `refusing to unpickle "torch.load"`},
		{"storage class called", z((&pickler{}).op(0x80, 2).global("torch", "FloatStorage").op(')', 'R', '.').b), "torch.FloatStorage is not callable"},
		{"out of bounds", z(w(func(p *pklTensor) { p.size = []int64{4, 4} })), "reach element 15 of a storage of 12 elements"},
		{"offset past end", z(w(func(p *pklTensor) { p.offset = 1 })), "reach element 12"},
		{"negative offset", z(w(func(p *pklTensor) { p.offset = -1 })), "storage offset -1"},
		{"negative stride", z(w(func(p *pklTensor) { p.stride = []int64{4, -1} })), "negative entry"},
		{"rank mismatch", z(w(func(p *pklTensor) { p.stride = []int64{1} })), "differ in rank"},
		{"huge size", z(w(func(p *pklTensor) { p.size = []int64{1 << 40, 1 << 40} })), "absurdly large"},
		{"huge stride", z(w(func(p *pklTensor) { p.stride = []int64{1 << 62, 1} })), "reaches beyond any storage"},
		{"huge expand", z(w(func(p *pklTensor) { p.size = []int64{1 << 30, 4}; p.stride = []int64{0, 1} })), "over the 1073741824-byte limit"},
		{"storage size", torchZip(t, w(), zip.Store, map[string][]byte{"data/0": f32Storage(11)}), "holds 44 bytes but 12 F32 elements need 48"},
		{"missing record", z(w(func(p *pklTensor) { p.key = "7" })), "storage record archive/data/7 is missing"},
		{"key with slash", z(w(func(p *pklTensor) { p.key = "../0" })), "want a plain record name"},
		{"unknown storage", z(w(func(p *pklTensor) { p.storage = "ComplexFloatStorage" })), `refusing to unpickle "torch.ComplexFloatStorage"`},
		{"not a dict", z((&pickler{}).op(0x80, 2).int(3).op('.').b), "pickle holds a int, not a dict of tensors"},
		{"not a tensor", z((&pickler{}).op(0x80, 2, '}').str("epoch").int(3).op('s', '.').b), `entry "epoch" is a int, not a tensor`},
		{"duplicate name", z(torchPickle(
			pklTensor{name: "w", storage: "FloatStorage", key: "0", numel: 12, size: []int64{12}, stride: []int64{1}},
			pklTensor{name: "w", storage: "FloatStorage", key: "0", numel: 12, size: []int64{12}, stride: []int64{1}})), `duplicate tensor name "w"`},
		{"storage retyped", z(torchPickle(
			pklTensor{name: "a", storage: "FloatStorage", key: "0", numel: 12, size: []int64{12}, stride: []int64{1}},
			pklTensor{name: "b", storage: "IntStorage", key: "0", numel: 12, size: []int64{12}, stride: []int64{1}})), `storage "0" is referenced as F32[12] and as I32[12]`},
		{"unknown opcode", z([]byte{0x80, 2, 'i', '.'}), "unsupported pickle opcode 0x69"},
		{"no stop", z([]byte{0x80, 2, '}'}), "no STOP opcode"},
		{"truncated string", z([]byte{0x80, 2, 'X', 0xff, 0xff, 0, 0, 'a'}), "truncated"},
		{"stack underflow", z([]byte{0x80, 2, 's', '.'}), "stack underflow"},
		{"unknown memo", z([]byte{0x80, 2, 'h', 9, '.'}), "memo entry 9 was never stored"},
		{"huge long", z([]byte{0x80, 2, 0x8a, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, '.'}), "does not fit in 64 bits"},
		{"unclosed mark", z([]byte{0x80, 2, '(', '}', '.'}), "unclosed MARK"},
		{"big endian", torchZip(t, w(), zip.Store, map[string][]byte{"data/0": f32Storage(12), "byteorder": []byte("big")}),
			`byte order "big" is not supported (only little-endian`},
		{"not a zip", []byte("hello, I am not a checkpoint at all"), "not a torch.save zip archive"},
		{"zip without pickle", func() []byte {
			b := z(w())
			return []byte(strings.ReplaceAll(string(b), "data.pkl", "data.pkx"))
		}(), "no <dir>/data.pkl record"},
	}
}

// TestTorchCloseAndConcurrency reads tensors from many goroutines, then
// checks that Close makes reads fail while values already read stay valid.
func TestTorchCloseAndConcurrency(t *testing.T) {
	f, err := OpenTorch(filepath.Join(torchTestdata, "state_torch2.bin"))
	if err != nil {
		t.Fatal(err)
	}
	first, err := f.Float32s("layer.weight_t")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				v, err := f.Float32s("layer.weight_t")
				if err != nil || !slices.Equal(v, first) {
					t.Errorf("concurrent read: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := f.Tensor("layer.weight"); err == nil || !strings.Contains(err.Error(), "after Close") {
		t.Errorf("read after Close: %v", err)
	}
	// layer.weight_t[i][j] = w[j][i] = (4j+i)/4 - 1: the transpose was
	// gathered, and Close did not touch the copy.
	for i := range 4 {
		for j := range 3 {
			if want := float32(4*j+i)*0.25 - 1; first[3*i+j] != want {
				t.Fatalf("layer.weight_t[%d][%d] = %v, want %v", i, j, first[3*i+j], want)
			}
		}
	}
}

func TestOpenDirPrefersSafetensors(t *testing.T) {
	dir := t.TempDir()
	copyFile := func(src, dst string) {
		raw, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, dst), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(filepath.Join(torchTestdata, "clip_bin", "pytorch_model.bin"), "pytorch_model.bin")
	src, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := src.(*TorchFile); !ok {
		t.Errorf("OpenDir = %T, want *TorchFile", src)
	}
	src.Close()
	copyFile(filepath.Join(torchTestdata, "clip_safetensors", "model.safetensors"), "model.safetensors")
	src, err = OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := src.(*File); !ok {
		t.Errorf("with both present OpenDir = %T, want *File (safetensors)", src)
	}
	src.Close()
	if _, err := OpenDir(t.TempDir()); err == nil || !strings.Contains(err.Error(), "pytorch_model.bin") {
		t.Errorf("empty dir error = %v", err)
	}
}
