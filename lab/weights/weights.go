// Package weights reads and writes safetensors checkpoints and binds their
// named tensors to the variables of a GoMLX model store.
//
// Files are memory-mapped read-only and validated completely on Open, so a
// corrupt or hostile file is rejected with an error naming the file and the
// fault before any tensor is touched; afterwards no read can go out of bounds.
// Tensors are copied out of the mapping, so they stay valid after Close.
//
// Nothing here executes a graph: only host tensors and a model.Store are used,
// so no backend is needed.
package weights

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/debug"
	"slices"
	"sort"
	"sync"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
)

// MaxHeaderSize bounds the JSON header, as the Rust safetensors crate does,
// so a corrupt length prefix cannot make us allocate or scan gigabytes.
const MaxHeaderSize = 100 << 20

// metadataKey is the reserved header entry holding free-form string metadata.
const metadataKey = "__metadata__"

// TensorInfo describes one tensor of a file: its safetensors dtype name
// ("F32", "BF16", "I64", ...) and its dimensions (empty for a scalar).
type TensorInfo struct {
	DType string
	Shape []int
}

// entry is a validated header entry; begin/end are absolute offsets into the
// whole file (header included), already checked to lie inside it.
type entry struct {
	name       string
	dtype      string
	shape      []int
	begin, end int
}

// File is an opened, validated, memory-mapped safetensors file.
// Its methods are safe for concurrent use, Close included: reads after Close
// fail with an error rather than touching unmapped memory.
type File struct {
	path     string
	entries  map[string]*entry
	names    []string
	metadata map[string]string

	mu     sync.RWMutex
	data   []byte // the whole file; nil after Close
	unmap  func([]byte) error
	closed bool
}

// Open maps the safetensors file at path and validates its header and layout.
func Open(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("weights: %w", err)
	}
	// The mapping outlives the descriptor, so close it right away: holding
	// one descriptor per open checkpoint is what the go-huggingface reader
	// gets wrong.
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("weights: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("weights: %s: not a regular file", path)
	}
	size := st.Size()
	if size < 8 {
		return nil, fmt.Errorf("weights: %s: file is %d bytes, too short for the 8-byte header length", path, size)
	}
	if size > math.MaxInt {
		return nil, fmt.Errorf("weights: %s: file of %d bytes is too large to map", path, size)
	}
	data, unmap, err := mapFile(fh, int(size))
	if err != nil {
		return nil, fmt.Errorf("weights: %s: mapping file: %w", path, err)
	}
	f, err := newFile(path, data)
	if err != nil {
		_ = unmap(data)
		return nil, err
	}
	f.unmap = unmap
	return f, nil
}

// newFile parses and validates data as a whole safetensors file. It never
// panics on bad input; it is what FuzzOpen exercises.
func newFile(path string, data []byte) (f *File, err error) {
	// A file truncated by someone else after mapping makes reads fault;
	// turn that into an error instead of killing the process.
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer recoverFault(path, &err)
	entries, names, meta, err := parse(path, data)
	if err != nil {
		return nil, err
	}
	return &File{path: path, entries: entries, names: names, metadata: meta, data: data}, nil
}

func parse(path string, data []byte) (map[string]*entry, []string, map[string]string, error) {
	fail := func(format string, args ...any) (map[string]*entry, []string, map[string]string, error) {
		return nil, nil, nil, fmt.Errorf("weights: %s: "+format, append([]any{path}, args...)...)
	}
	if len(data) < 8 {
		return fail("file is %d bytes, too short for the 8-byte header length", len(data))
	}
	n := binary.LittleEndian.Uint64(data)
	if n > MaxHeaderSize {
		return fail("header length %d exceeds the %d-byte limit (corrupt length prefix?)", n, MaxHeaderSize)
	}
	if n > uint64(len(data)-8) {
		return fail("header length %d extends beyond the end of the file (%d bytes; truncated?)", n, len(data))
	}
	headerEnd := 8 + int(n)
	header := data[8:headerEnd]
	dataLen := len(data) - headerEnd

	// Decode the top-level object token by token: encoding/json into a map
	// would silently keep the last of two entries with the same name.
	type rawEntry struct {
		DType       *string  `json:"dtype"`
		Shape       *[]int64 `json:"shape"`
		DataOffsets *[]int64 `json:"data_offsets"`
	}
	dec := json.NewDecoder(bytes.NewReader(header))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fail("header is not a JSON object")
	}
	entries := map[string]*entry{}
	var meta map[string]string
	seenMeta := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fail("header is not valid JSON: %v", err)
		}
		name := tok.(string) // inside an object the decoder only yields string keys
		if _, dup := entries[name]; dup || (name == metadataKey && seenMeta) {
			return fail("duplicate tensor name %q in header", name)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fail("header is not valid JSON: %v", err)
		}
		if name == metadataKey {
			seenMeta = true
			if err := json.Unmarshal(raw, &meta); err != nil {
				return fail("%s must map strings to strings: %v", metadataKey, err)
			}
			continue
		}
		var re rawEntry
		if err := json.Unmarshal(raw, &re); err != nil {
			return fail("tensor %q: header entry has wrong types: %v", name, err)
		}
		if re.DType == nil || re.Shape == nil || re.DataOffsets == nil {
			return fail("tensor %q: header entry needs dtype, shape and data_offsets", name)
		}
		e, err := checkEntry(name, *re.DType, *re.Shape, *re.DataOffsets, headerEnd, dataLen)
		if err != nil {
			return fail("%v", err)
		}
		entries[name] = e
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return fail("header is not valid JSON: unterminated object")
	}
	// Trailing whitespace is the padding writers use for alignment; anything
	// else means the length prefix or the JSON is wrong.
	if _, err := dec.Token(); err != io.EOF {
		return fail("header is not valid JSON: trailing data after the object")
	}

	// Overlap check: after sorting by begin, each tensor must start at or
	// after the end of the one before it.
	sorted := make([]*entry, 0, len(entries))
	for _, e := range entries {
		sorted = append(sorted, e)
	}
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].begin != sorted[j].begin {
			return sorted[i].begin < sorted[j].begin
		}
		if sorted[i].end != sorted[j].end {
			return sorted[i].end < sorted[j].end
		}
		return sorted[i].name < sorted[j].name
	})
	for i := 1; i < len(sorted); i++ {
		a, b := sorted[i-1], sorted[i]
		if b.begin < a.end {
			return fail("tensors %q and %q overlap: data_offsets [%d,%d] and [%d,%d]",
				a.name, b.name, a.begin-headerEnd, a.end-headerEnd, b.begin-headerEnd, b.end-headerEnd)
		}
	}

	names := make([]string, 0, len(entries))
	for name := range entries {
		names = append(names, name)
	}
	sort.Strings(names)
	return entries, names, meta, nil
}

// checkEntry validates one tensor against the data area of dataLen bytes
// starting at file offset base. Errors do not carry the file name.
func checkEntry(name, dtype string, shape, offsets []int64, base, dataLen int) (*entry, error) {
	info, ok := knownDTypes[dtype]
	if !ok {
		return nil, fmt.Errorf("tensor %q: unknown dtype %q", name, dtype)
	}
	if len(offsets) != 2 {
		return nil, fmt.Errorf("tensor %q: data_offsets must be [begin,end], got %v", name, offsets)
	}
	begin, end := offsets[0], offsets[1]
	if begin < 0 || end < begin {
		return nil, fmt.Errorf("tensor %q: data_offsets [%d,%d] are not a valid range", name, begin, end)
	}
	if end > int64(dataLen) {
		return nil, fmt.Errorf("tensor %q: data_offsets [%d,%d] lie outside the data area of %d bytes", name, begin, end, dataLen)
	}
	dims := make([]int, len(shape))
	hasZero := false
	for i, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("tensor %q: shape %v has a negative dimension", name, shape)
		}
		if d > int64(math.MaxInt) {
			return nil, fmt.Errorf("tensor %q: shape %v has an absurd dimension", name, shape)
		}
		dims[i] = int(d)
		hasZero = hasZero || d == 0
	}
	numel := int64(1)
	if hasZero {
		numel = 0
	} else {
		// Bound the product by the largest byte count that can exist at all,
		// so multiplying never overflows.
		limit := int64(math.MaxInt64) / int64(info.size)
		for _, d := range shape {
			if numel > limit/d {
				return nil, fmt.Errorf("tensor %q: shape %v of %s is absurdly large (byte size overflows)", name, shape, dtype)
			}
			numel *= d
		}
	}
	need := numel * int64(info.size)
	if end-begin != need {
		return nil, fmt.Errorf("tensor %q: data_offsets [%d,%d] hold %d bytes but %s %v needs %d",
			name, begin, end, end-begin, dtype, shape, need)
	}
	return &entry{name: name, dtype: dtype, shape: dims, begin: base + int(begin), end: base + int(end)}, nil
}

// Close unmaps the file. Tensors already read stay valid; later reads fail.
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	data := f.data
	f.data = nil
	if f.unmap != nil {
		if err := f.unmap(data); err != nil {
			return fmt.Errorf("weights: %s: unmapping: %w", f.path, err)
		}
	}
	return nil
}

// Path returns the path the file was opened with.
func (f *File) Path() string { return f.path }

// Names returns the tensor names, sorted.
func (f *File) Names() []string { return slices.Clone(f.names) }

// Info returns the dtype and shape of the named tensor.
func (f *File) Info(name string) (TensorInfo, bool) {
	e, ok := f.entries[name]
	if !ok {
		return TensorInfo{}, false
	}
	return TensorInfo{DType: e.dtype, Shape: slices.Clone(e.shape)}, true
}

// Metadata returns a copy of the header's __metadata__ map (possibly empty).
func (f *File) Metadata() map[string]string {
	m := make(map[string]string, len(f.metadata))
	for k, v := range f.metadata {
		m[k] = v
	}
	return m
}

// bytesOf runs fn on the raw bytes of the named tensor while holding the read
// lock, so Close cannot unmap them underneath.
func (f *File) bytesOf(name string, fn func(e *entry, raw []byte) error) (err error) {
	e, ok := f.entries[name]
	if !ok {
		return fmt.Errorf("weights: %s: no tensor %q", f.path, name)
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.closed {
		return fmt.Errorf("weights: %s: reading %q after Close", f.path, name)
	}
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer recoverFault(f.path, &err)
	return fn(e, f.data[e.begin:e.end])
}

// Float32s returns a copy of a F32, F16 or BF16 tensor as float32, converted
// exactly (subnormals, infinities, NaN payloads and signed zeros preserved).
func (f *File) Float32s(name string) ([]float32, error) {
	var out []float32
	err := f.bytesOf(name, func(e *entry, raw []byte) error {
		if !isFloat32Source(e.dtype) {
			return fmt.Errorf("weights: %s: tensor %q has dtype %s, not a float dtype convertible to float32 (F32, F16, BF16)", f.path, name, e.dtype)
		}
		out = make([]float32, len(raw)/knownDTypes[e.dtype].size)
		decodeFloat32s(e.dtype, raw, out)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Tensor returns the named tensor as a host GoMLX tensor: float32 for F32,
// F16 and BF16 (so a half-precision checkpoint loads into a float32 model),
// and the matching GoMLX dtype for F64 and the integer and BOOL dtypes.
// F8 tensors are rejected.
func (f *File) Tensor(name string) (*tensors.Tensor, error) {
	var t *tensors.Tensor
	err := f.bytesOf(name, func(e *entry, raw []byte) error {
		dt := knownDTypes[e.dtype].gomlx
		if dt == dtypes.InvalidDType {
			return fmt.Errorf("weights: %s: tensor %q has dtype %s, which cannot be converted to a GoMLX tensor", f.path, name, e.dtype)
		}
		t = tensors.FromShape(shapes.Make(dt, e.shape...))
		if err := fillTensor(t, e.dtype, raw); err != nil {
			t.FinalizeAll()
			t = nil
			return fmt.Errorf("weights: %s: tensor %q: %w", f.path, name, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// recoverFault converts the panic of a memory fault on the mapping (SIGBUS
// after someone truncated the file; enabled by debug.SetPanicOnFault) into an
// error. Other panics are bugs and propagate.
func recoverFault(path string, err *error) {
	r := recover()
	if r == nil {
		return
	}
	if _, ok := r.(interface{ Addr() uintptr }); ok {
		*err = fmt.Errorf("weights: %s: memory fault reading the mapped file (truncated or changed while open?): %v", path, r)
		return
	}
	panic(r)
}
