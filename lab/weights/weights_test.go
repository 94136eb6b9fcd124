package weights

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/go-translab/translab/lab/reference"
)

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

func TestWriteReadRoundTrip(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	nanPayload := math.Float32frombits(0x7fa12345)
	ts := []Named{
		{Name: "layer.weight", Shape: []int{2, 3}, Data: []float32{1, -2.5, 3e-38, 1e-45, negZero, float32(math.Inf(-1))}},
		{Name: "layer.bias", Shape: []int{3}, Data: []float32{nanPayload, float32(math.Inf(1)), math.MaxFloat32}},
		{Name: "scale", Shape: nil, Data: []float32{2.6592}},
		{Name: "empty", Shape: []int{0, 3}, Data: []float32{}},
		{Name: "position_ids", Shape: []int{1, 4}, Data: []int64{0, 1, 2, math.MaxInt64}},
		{Name: "mask", Shape: []int{3}, Data: []bool{true, false, true}},
		{Name: "ids", Shape: []int{2}, Data: []int32{-7, 1 << 30}},
		{Name: "bytes", Shape: []int{3}, Data: []uint8{0, 128, 255}},
		{Name: "f64", Shape: []int{2}, Data: []float64{math.Pi, -1e300}},
	}
	meta := map[string]string{"format": "pt", "note": `quotes " and <html> & unicode é`}
	path := filepath.Join(t.TempDir(), "round.safetensors")
	if err := Write(path, ts, meta); err != nil {
		t.Fatal(err)
	}

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := binary.LittleEndian.Uint64(raw); n%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8: tensor data would be misaligned", n)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("new file mode %v, want 0644", st.Mode().Perm())
	}

	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Path() != path {
		t.Errorf("Path() = %q", f.Path())
	}
	wantNames := []string{"bytes", "empty", "f64", "ids", "layer.bias", "layer.weight", "mask", "position_ids", "scale"}
	if got := f.Names(); !slices.Equal(got, wantNames) {
		t.Errorf("Names() = %v, want %v", got, wantNames)
	}
	if got := f.Metadata(); len(got) != 2 || got["note"] != meta["note"] || got["format"] != "pt" {
		t.Errorf("Metadata() = %v, want %v", got, meta)
	}
	// Like the Rust crate, 8-byte dtypes come first so they stay aligned.
	if f.entries["f64"].begin >= f.entries["layer.weight"].begin || f.entries["position_ids"].begin >= f.entries["ids"].begin {
		t.Errorf("tensors not ordered by decreasing element size")
	}
	for _, n := range ts {
		info, ok := f.Info(n.Name)
		if !ok {
			t.Fatalf("Info(%q) missing", n.Name)
		}
		if !sameDims(info.Shape, n.Shape) {
			t.Errorf("%s: shape %v, want %v", n.Name, info.Shape, n.Shape)
		}
		if f32, ok := n.Data.([]float32); ok {
			if info.DType != "F32" {
				t.Errorf("%s: dtype %s", n.Name, info.DType)
			}
			got, err := f.Float32s(n.Name)
			if err != nil {
				t.Fatal(err)
			}
			if !sameBits(got, f32) {
				t.Errorf("%s: read %v, wrote %v", n.Name, got, f32)
			}
		}
		tt, err := f.Tensor(n.Name)
		if err != nil {
			t.Fatal(err)
		}
		back, err := flatCopy(tt)
		if err != nil {
			t.Fatal(err)
		}
		if f32, ok := n.Data.([]float32); ok {
			if !sameBits(back.([]float32), f32) {
				t.Errorf("%s: tensor %v, wrote %v", n.Name, back, f32)
			}
		} else if !equalAny(back, n.Data) {
			t.Errorf("%s: tensor %v, wrote %v", n.Name, back, n.Data)
		}
	}
	if tt, _ := f.Tensor("position_ids"); tt.Shape().DType != dtypes.Int64 {
		t.Errorf("I64 tensor read as %s", tt.Shape())
	}
	if _, err := f.Float32s("position_ids"); err == nil || !strings.Contains(err.Error(), "I64") {
		t.Errorf("Float32s on I64 tensor: err = %v, want an error naming the dtype", err)
	}
	if _, err := f.Float32s("nope"); err == nil || !strings.Contains(err.Error(), `no tensor "nope"`) {
		t.Errorf("Float32s on absent tensor: err = %v", err)
	}
}

func equalAny(a, b any) bool {
	switch x := a.(type) {
	case []int64:
		return slices.Equal(x, b.([]int64))
	case []int32:
		return slices.Equal(x, b.([]int32))
	case []uint8:
		return slices.Equal(x, b.([]uint8))
	case []bool:
		return slices.Equal(x, b.([]bool))
	case []float64:
		return slices.Equal(x, b.([]float64))
	}
	return false
}

// refF16 computes a half's value arithmetically, independently of the bit
// manipulation in f16ToF32Bits.
func refF16(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h>>10) & 0x1f
	mant := float64(h & 0x3ff)
	switch exp {
	case 0:
		return sign * math.Ldexp(mant, -24)
	case 0x1f:
		if mant == 0 {
			return sign * math.Inf(1)
		}
		return math.NaN()
	}
	return sign * math.Ldexp(1024+mant, exp-25)
}

func TestF16Exhaustive(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		got := math.Float32frombits(f16ToF32Bits(uint16(h)))
		want := refF16(uint16(h))
		switch {
		case math.IsNaN(want):
			bits := math.Float32bits(got)
			if !math.IsNaN(float64(got)) || bits>>31 != uint32(h>>15) || (bits>>13)&0x3ff != uint32(h&0x3ff) {
				t.Fatalf("f16 %#04x: got bits %#08x, want NaN with same sign and payload", h, bits)
			}
		case float64(got) != want || math.Signbit(float64(got)) != (h&0x8000 != 0):
			t.Fatalf("f16 %#04x: got %g, want %g", h, got, want)
		}
	}
}

func TestHalfPrecisionFile(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	f16 := []uint16{0x0000, 0x8000, 0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x0400, 0x7c00, 0xfc00, 0x7e00, 0x7d01, 0x3555}
	f16Want := []float32{0, negZero, 1, -2, 65504, 5.9604645e-08, 6.0975552e-05, 6.1035156e-05,
		float32(math.Inf(1)), float32(math.Inf(-1)), math.Float32frombits(0x7fc00000), math.Float32frombits(0x7fa02000), 0.33325195}
	bf16 := []uint16{0x3f80, 0xc040, 0x0001, 0x807f, 0x7f80, 0xff80, 0x7fc1, 0x8000, 0x4049}
	bf16Want := []float32{1, -3, math.Float32frombits(0x00010000), math.Float32frombits(0x807f0000),
		float32(math.Inf(1)), float32(math.Inf(-1)), math.Float32frombits(0x7fc10000), negZero, 3.140625}
	path := writeBytes(t, "half.safetensors", buildFile("",
		rawTensor{"h", "F16", "[13]", le16(f16...)},
		rawTensor{"b", "BF16", "[3,3]", le16(bf16...)},
	))
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, c := range []struct {
		name string
		want []float32
	}{{"h", f16Want}, {"b", bf16Want}} {
		got, err := f.Float32s(c.name)
		if err != nil {
			t.Fatal(err)
		}
		if !sameBits(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
		tt, err := f.Tensor(c.name)
		if err != nil {
			t.Fatal(err)
		}
		if tt.Shape().DType != dtypes.Float32 {
			t.Errorf("%s: tensor dtype %s, want float32", c.name, tt.Shape().DType)
		}
		if flat := tensors.MustCopyFlatData[float32](tt); !sameBits(flat, c.want) {
			t.Errorf("%s: tensor %v, want %v", c.name, flat, c.want)
		}
	}
	if info, _ := f.Info("b"); info.DType != "BF16" || !slices.Equal(info.Shape, []int{3, 3}) {
		t.Errorf("Info(b) = %+v", info)
	}
}

// TestReferenceDistilBERT reads the reference DistilBERT checkpoints: tensor names, dtypes and
// shapes as their config.json gives them, and first values as decoded independently of this package
// (Python struct.unpack '<I' on the raw bytes).
func TestReferenceDistilBERT(t *testing.T) {
	firstBits := map[string]map[string][]uint32{
		"project": {
			"classifier.bias": {1034180935, 1038859067, 3180017562},
			"distilbert.embeddings.word_embeddings.weight": {3182127219, 1036622797, 1041817934},
		},
		"shared": {
			"classifier.bias": {1028305319, 3188773842, 3167882106},
			"distilbert.embeddings.word_embeddings.weight": {3209819222, 1053462571, 1063657182},
		},
	}
	reference.Each(t, func(t *testing.T, s reference.Set) {
		dir := s.Path("distilbert-tiny-random")
		var cfg struct {
			Vocab     int               `json:"vocab_size"`
			Dim       int               `json:"dim"`
			Hidden    int               `json:"hidden_dim"`
			Positions int               `json:"max_position_embeddings"`
			Layers    int               `json:"n_layers"`
			Labels    map[string]string `json:"id2label"`
		}
		raw, err := os.ReadFile(filepath.Join(dir, "config.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &cfg); err != nil {
			t.Fatal(err)
		}
		f, err := Open(filepath.Join(dir, "model.safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		// Embeddings (word, position, LayerNorm ×2), 16 per layer, pre_classifier and classifier (×2 each).
		if n, want := len(f.Names()), 4+16*cfg.Layers+4; n != want {
			t.Errorf("%d tensors, want %d", n, want)
		}
		if f.Metadata()["format"] != "pt" {
			t.Errorf("metadata %v", f.Metadata())
		}
		last := fmt.Sprintf("distilbert.transformer.layer.%d.ffn.lin1.weight", cfg.Layers-1)
		for name, shape := range map[string][]int{
			"distilbert.embeddings.word_embeddings.weight":     {cfg.Vocab, cfg.Dim},
			"distilbert.embeddings.position_embeddings.weight": {cfg.Positions, cfg.Dim},
			last:                {cfg.Hidden, cfg.Dim},
			"classifier.weight": {len(cfg.Labels), cfg.Dim},
			"classifier.bias":   {len(cfg.Labels)},
		} {
			info, ok := f.Info(name)
			if !ok || info.DType != "F32" || !slices.Equal(info.Shape, shape) {
				t.Errorf("Info(%q) = %+v, %v; want F32 %v", name, info, ok, shape)
			}
		}
		for name, bits := range firstBits[s.Name] {
			got, err := f.Float32s(name)
			if err != nil {
				t.Fatal(err)
			}
			for i, b := range bits {
				if math.Float32bits(got[i]) != b {
					t.Errorf("%s[%d] = %v (bits %d), want bits %d", name, i, got[i], math.Float32bits(got[i]), b)
				}
			}
		}
		tt, err := f.Tensor("distilbert.embeddings.word_embeddings.weight")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(tt.Shape().Dimensions, []int{cfg.Vocab, cfg.Dim}) || tt.Shape().DType != dtypes.Float32 {
			t.Errorf("tensor shape %s", tt.Shape())
		}
	})
}

// corruptCases returns files that Open must reject, each with a phrase the
// error must contain. Shared with the fuzz seed corpus.
func corruptCases() []struct {
	name, phrase string
	data         []byte
} {
	good := buildFile(`{"format":"pt"}`,
		rawTensor{"a", "F32", "[2]", le32f(1, 2)},
		rawTensor{"b", "F32", "[3]", le32f(3, 4, 5)},
	)
	entry := func(body string) []byte { return withHeader(`{"t":`+body+`}`, make([]byte, 16)) }
	return []struct {
		name, phrase string
		data         []byte
	}{
		{"empty", "too short", nil},
		{"shorter than 8 bytes", "too short", []byte{8, 0, 0}},
		{"truncated data", "outside the data area", good[:len(good)-3]},
		{"truncated header", "beyond the end of the file", good[:20]},
		{"header length beyond file", "beyond the end of the file", withHeader("{}", nil)[:8]},
		{"absurd header length", "exceeds", binary.LittleEndian.AppendUint64(nil, 1<<62)},
		{"header not JSON", "not a JSON object", withHeader("not json", nil)},
		{"header JSON array", "not a JSON object", withHeader("[1,2]", nil)},
		{"header unterminated", "not valid JSON", withHeader(`{"t":{"dtype":"F32"`, nil)},
		{"header trailing data", "trailing data", withHeader(`{} {}`, nil)},
		{"header empty", "not a JSON object", withHeader("", nil)},
		{"wrong types", "wrong types", entry(`{"dtype":4,"shape":[4],"data_offsets":[0,16]}`)},
		{"fractional dim", "wrong types", entry(`{"dtype":"F32","shape":[4.5],"data_offsets":[0,16]}`)},
		{"entry not object", "wrong types", entry(`[1]`)},
		{"missing field", "needs dtype, shape and data_offsets", entry(`{"dtype":"F32","shape":[4]}`)},
		{"metadata not strings", "__metadata__ must map strings to strings", withHeader(`{"__metadata__":{"n":1}}`, nil)},
		{"offsets outside data", "outside the data area", entry(`{"dtype":"F32","shape":[8],"data_offsets":[0,32]}`)},
		{"offsets end before begin", "not a valid range", entry(`{"dtype":"F32","shape":[0],"data_offsets":[8,4]}`)},
		{"negative offset", "not a valid range", entry(`{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}`)},
		{"three offsets", "must be [begin,end]", entry(`{"dtype":"F32","shape":[4],"data_offsets":[0,8,16]}`)},
		{"overlapping", "overlap", withHeader(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},`+
			`"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}`, make([]byte, 16))},
		{"identical ranges", "overlap", withHeader(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},`+
			`"b":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 16))},
		{"length mismatch", `data_offsets [0,8] hold 8 bytes but F32 [3] needs 12`, entry(`{"dtype":"F32","shape":[3],"data_offsets":[0,8]}`)},
		{"dtype size mismatch", `hold 16 bytes but F16 [4] needs 8`, entry(`{"dtype":"F16","shape":[4],"data_offsets":[0,16]}`)},
		{"unknown dtype", `tensor "t": unknown dtype "F128"`, entry(`{"dtype":"F128","shape":[1],"data_offsets":[0,16]}`)},
		{"negative dim", "negative dimension", entry(`{"dtype":"F32","shape":[-1,4],"data_offsets":[0,16]}`)},
		{"overflowing shape", "absurdly large", entry(`{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,16]}`)},
		{"dim beyond int64", "wrong types", entry(`{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,16]}`)},
		{"duplicate name", `duplicate tensor name "t"`, withHeader(`{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},`+
			`"t":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}`, make([]byte, 16))},
		{"duplicate metadata", `duplicate tensor name "__metadata__"`, withHeader(`{"__metadata__":{},"__metadata__":{}}`, nil)},
	}
}

func TestOpenRejectsCorruptFiles(t *testing.T) {
	for _, c := range corruptCases() {
		t.Run(c.name, func(t *testing.T) {
			name := "bad-" + strings.ReplaceAll(c.name, " ", "_") + ".safetensors"
			path := writeBytes(t, name, c.data)
			f, err := Open(path)
			if err == nil {
				f.Close()
				t.Fatalf("Open accepted a corrupt file")
			}
			msg := err.Error()
			if !strings.Contains(msg, path) || !strings.HasPrefix(msg, "weights: ") {
				t.Errorf("error %q does not name the file %s", msg, path)
			}
			if !strings.Contains(msg, c.phrase) {
				t.Errorf("error %q does not contain %q", msg, c.phrase)
			}
		})
	}
}

func TestOpenAcceptsEdgeCases(t *testing.T) {
	for _, c := range []struct{ name, header string }{
		{"empty object", "{}"},
		{"padded header", "{}      "},
		{"null metadata", `{"__metadata__":null}`},
		{"gap between tensors", `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`},
		{"zero-size tensors sharing an offset", `{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},"b":{"dtype":"F32","shape":[0,9],"data_offsets":[4,4]}}`},
		{"unreadable but known dtype", `{"a":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, err := Open(writeBytes(t, "ok.safetensors", withHeader(c.header, make([]byte, 12))))
			if err != nil {
				t.Fatal(err)
			}
			f.Close()
		})
	}
	f, err := Open(writeBytes(t, "f8.safetensors", withHeader(`{"a":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}`, make([]byte, 2))))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Tensor("a"); err == nil || !strings.Contains(err.Error(), "F8_E4M3") {
		t.Errorf("Tensor on F8 tensor: err = %v, want an error naming the dtype", err)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "absent.safetensors")); err == nil || !strings.Contains(err.Error(), "absent.safetensors") {
		t.Errorf("Open(absent) err = %v", err)
	}
	if _, err := Open(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Open(dir) err = %v", err)
	}
}

func TestCloseAndDescriptors(t *testing.T) {
	path := writeBytes(t, "c.safetensors", buildFile("", rawTensor{"a", "F32", "[2]", le32f(1, 2)}))
	countFDs := func() int {
		ents, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Skip("no /proc/self/fd: descriptor check needs Linux")
		}
		return len(ents)
	}
	before := countFDs()
	var keep []*File
	for range 20 {
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		for range 5 {
			if _, err := f.Tensor("a"); err != nil {
				t.Fatal(err)
			}
		}
		keep = append(keep, f)
	}
	if after := countFDs(); after != before {
		t.Errorf("open files hold descriptors: %d before, %d with 20 files open", before, after)
	}
	f := keep[0]
	tt, _ := f.Tensor("a")
	for _, k := range keep {
		if err := k.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := f.Float32s("a"); err == nil || !strings.Contains(err.Error(), "after Close") {
		t.Errorf("Float32s after Close: err = %v", err)
	}
	runtime.GC()
	if got := tensors.MustCopyFlatData[float32](tt); !slices.Equal(got, []float32{1, 2}) {
		t.Errorf("tensor read before Close changed: %v", got)
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteIsAtomic(t *testing.T) {
	good := []Named{{Name: "a", Shape: []int{2}, Data: []float32{1, 2}}}
	setup := func(t *testing.T) (dir, path string, orig []byte) {
		dir = t.TempDir()
		path = filepath.Join(dir, "model.safetensors")
		if err := Write(path, good, nil); err != nil {
			t.Fatal(err)
		}
		orig, _ = os.ReadFile(path)
		return dir, path, orig
	}
	intact := func(t *testing.T, dir, path string, orig []byte) {
		t.Helper()
		if now, _ := os.ReadFile(path); !bytes.Equal(now, orig) {
			t.Errorf("existing file was modified")
		}
		if names := dirNames(t, dir); !slices.Equal(names, []string{"model.safetensors"}) {
			t.Errorf("directory holds %v, want only the original file", names)
		}
	}

	t.Run("inconsistent data", func(t *testing.T) {
		dir, path, orig := setup(t)
		err := Write(path, []Named{{Name: "a", Shape: []int{2, 3}, Data: make([]float32, 5)}}, nil)
		if err == nil || !strings.Contains(err.Error(), `tensor "a": shape [2 3] needs 6 values but Data has 5`) || !strings.Contains(err.Error(), path) {
			t.Errorf("err = %v", err)
		}
		intact(t, dir, path, orig)
	})
	t.Run("invalid inputs", func(t *testing.T) {
		dir, path, orig := setup(t)
		for _, ts := range [][]Named{
			{{Name: "a", Data: []float32{1}}, {Name: "a", Data: []float32{1}}},
			{{Name: "", Data: []float32{1}}},
			{{Name: "__metadata__", Data: []float32{1}}},
			{{Name: "a", Shape: []int{-1}, Data: []float32{}}},
			{{Name: "a", Data: []string{"x"}}},
		} {
			if err := Write(path, ts, nil); err == nil {
				t.Errorf("Write(%v) accepted invalid input", ts)
			}
		}
		intact(t, dir, path, orig)
	})
	t.Run("failure after data written", func(t *testing.T) {
		dir, path, orig := setup(t)
		var sawTemp bool
		testHookAfterData = func(tmp string) error {
			st, err := os.Stat(tmp)
			sawTemp = err == nil && filepath.Dir(tmp) == dir && st.Size() > 8
			return os.ErrDeadlineExceeded
		}
		defer func() { testHookAfterData = nil }()
		err := Write(path, []Named{{Name: "b", Shape: []int{3}, Data: []float32{1, 2, 3}}}, nil)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("err = %v", err)
		}
		if !sawTemp {
			t.Errorf("hook did not see a partly written temporary file in the target directory")
		}
		intact(t, dir, path, orig)
	})
	t.Run("rename fails", func(t *testing.T) {
		dir := t.TempDir()
		target := filepath.Join(dir, "model.safetensors")
		if err := os.Mkdir(target, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(target, "keep"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := Write(target, good, nil); err == nil {
			t.Errorf("Write over a non-empty directory succeeded")
		}
		if names := dirNames(t, dir); !slices.Equal(names, []string{"model.safetensors"}) {
			t.Errorf("directory holds %v: temporary file left behind", names)
		}
	})
	t.Run("read-only directory", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("running as root: directory permissions do not stop writes")
		}
		dir, path, orig := setup(t)
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(dir, 0o755)
		if err := Write(path, []Named{{Name: "b", Data: []float32{1}}}, nil); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("err = %v", err)
		}
		intact(t, dir, path, orig)
	})
	t.Run("replace keeps mode", func(t *testing.T) {
		_, path, _ := setup(t)
		if err := os.Chmod(path, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := Write(path, []Named{{Name: "b", Data: []float32{7}}}, nil); err != nil {
			t.Fatal(err)
		}
		if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
			t.Errorf("mode %v, want 0600 kept", st.Mode().Perm())
		}
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if got := f.Names(); !slices.Equal(got, []string{"b"}) {
			t.Errorf("replaced file holds %v", got)
		}
	})
}

func TestTruncatedWhileOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shrinking.safetensors")
	if err := Write(path, []Named{{Name: "big", Shape: []int{64, 1024}, Data: make([]float32, 64*1024)}}, nil); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Another process truncating the file makes the mapped pages fault
	// (SIGBUS); that must surface as an error, not kill the program.
	if err := os.Truncate(path, 128); err != nil {
		t.Fatal(err)
	}
	_, err = f.Float32s("big")
	if err == nil {
		t.Skip("reading past the truncated end did not fault on this system")
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "memory fault") {
		t.Errorf("err = %v", err)
	}
	if _, err := f.Tensor("big"); err == nil {
		t.Errorf("Tensor on truncated file succeeded")
	}
}
