package weights

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
)

// MaxTorchExpandedBytes bounds a tensor whose values are more than its
// storage holds (a stride-0 expand such as HF's position_ids buffer): its
// size is not vouched for by the file size, so without a bound a few bytes of
// pickle could ask for an exabyte.
const MaxTorchExpandedBytes = 1 << 30

// legacyTorchMagic starts the pickle stream of the pre-1.6 torch.save format
// (protocol 2, LONG1 of torch's magic number 0x1950a86a20f9469cfc6c).
var legacyTorchMagic = []byte{0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19}

// torchRecord is one data/<key> storage record of the archive.
type torchRecord struct {
	zf   *zip.File
	size int64 // bytes
	// at is where the bytes sit in the archive when the record is stored
	// uncompressed (torch.save always does), so a tensor is read with one
	// ReadAt of just its span; -1 for a compressed record, read by streaming.
	at int64
}

// torchEntry is a validated tensor: a strided view into a record whose span
// (in elements) is checked to lie inside the record.
type torchEntry struct {
	name   string
	dtype  string
	shape  []int
	stride []int
	numel  int
	lo, hi int // element span [lo,hi) of the storage that the view touches
	rec    *torchRecord
}

// TorchFile is an opened, validated PyTorch checkpoint written by torch.save
// (the zip format of torch >= 1.6, e.g. HF pytorch_model.bin), read without
// executing any of its pickle; see unpickleTorch.
//
// Everything but the tensor data is read and checked on open; each tensor is
// read from the archive when asked for, so the file is never in memory
// whole. Its methods are safe for concurrent use, Close included.
type TorchFile struct {
	path    string
	entries map[string]*torchEntry
	names   []string

	mu     sync.RWMutex
	r      io.ReaderAt // nil after Close
	closer io.Closer
	closed bool
}

var _ Source = (*TorchFile)(nil)

// OpenTorch opens the torch.save checkpoint at path and validates its pickle
// and every tensor against its storage.
func OpenTorch(path string) (*TorchFile, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("weights: %w", err)
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("weights: %w", err)
	}
	if !st.Mode().IsRegular() {
		fh.Close()
		return nil, fmt.Errorf("weights: %s: not a regular file", path)
	}
	f, err := newTorchFile(path, fh, st.Size())
	if err != nil {
		fh.Close()
		return nil, err
	}
	f.closer = fh
	return f, nil
}

// newTorchFile parses the archive in r of size bytes. It never panics on bad
// input; it is what FuzzOpenTorch exercises.
func newTorchFile(path string, r io.ReaderAt, size int64) (*TorchFile, error) {
	fail := func(format string, args ...any) (*TorchFile, error) {
		return nil, fmt.Errorf("weights: %s: "+format, append([]any{path}, args...)...)
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		head := make([]byte, 512)
		n, _ := r.ReadAt(head, 0)
		head = head[:n]
		switch {
		case bytes.HasPrefix(head, legacyTorchMagic):
			return fail("legacy (pre-1.6, non-zip) torch.save format is not supported; re-save it with torch >= 1.6 or convert it to safetensors")
		case len(head) >= 262 && string(head[257:262]) == "ustar":
			return fail("legacy tar torch.save format is not supported; re-save it with torch >= 1.6 or convert it to safetensors")
		}
		return fail("not a torch.save zip archive: %v", err)
	}

	// torch.save puts every record under one top directory named after the
	// file ("archive/", "pytorch_model/", ...); data.pkl sits in it.
	byName := make(map[string]*zip.File, len(zr.File))
	prefix := ""
	for _, zf := range zr.File {
		if _, dup := byName[zf.Name]; dup {
			return fail("archive holds two records named %q", zf.Name)
		}
		byName[zf.Name] = zf
		if dir, ok := strings.CutSuffix(zf.Name, "/data.pkl"); ok && dir != "" && !strings.Contains(dir, "/") {
			if prefix != "" {
				return fail("archive holds two pickles, %s/data.pkl and %s/data.pkl", prefix, dir)
			}
			prefix = dir
		}
	}
	if prefix == "" {
		return fail("no <dir>/data.pkl record: a zip, but not a torch.save archive")
	}
	if bo, ok := byName[prefix+"/byteorder"]; ok {
		b, err := readZipRecord(bo, 16)
		if err != nil {
			return fail("reading %s: %v", bo.Name, err)
		}
		if string(b) != "little" {
			return fail("byte order %q is not supported (only little-endian checkpoints)", b)
		}
	}
	pkl, err := readZipRecord(byName[prefix+"/data.pkl"], MaxTorchPickleSize)
	if err != nil {
		return fail("reading %s/data.pkl: %v", prefix, err)
	}
	top, err := unpickleTorch(pkl)
	if err != nil {
		return fail("%v", err)
	}
	d, ok := top.(*pickleDict)
	if !ok {
		return fail("pickle holds a %s, not a dict of tensors (a state dict)", pickleTypeName(top))
	}

	records := map[string]*torchRecord{}
	entries := make(map[string]*torchEntry, len(d.keys))
	for i, k := range d.keys {
		name := k.(string) // setItems only admits string keys
		if _, dup := entries[name]; dup {
			return fail("duplicate tensor name %q", name)
		}
		t, ok := d.vals[i].(*torchTensor)
		if !ok {
			return fail("entry %q is a %s, not a tensor", name, pickleTypeName(d.vals[i]))
		}
		rec, ok := records[t.storage.key]
		if !ok {
			rec, err = openTorchRecord(byName, prefix, t.storage, size)
			if err != nil {
				return fail("tensor %q: %v", name, err)
			}
			records[t.storage.key] = rec
		}
		e, err := checkTorchTensor(name, t)
		if err != nil {
			return fail("%v", err)
		}
		e.rec = rec
		entries[name] = e
	}
	names := make([]string, 0, len(entries))
	for name := range entries {
		names = append(names, name)
	}
	sort.Strings(names)
	return &TorchFile{path: path, entries: entries, names: names, r: r}, nil
}

// readZipRecord reads a whole small record, refusing one over limit bytes
// before reading it (the central directory could lie, so the read is capped
// too).
func readZipRecord(zf *zip.File, limit int64) ([]byte, error) {
	if zf.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("record of %d bytes exceeds the %d-byte limit", zf.UncompressedSize64, limit)
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("record exceeds the %d-byte limit", limit)
	}
	return b, nil
}

// openTorchRecord finds the record of storage s and checks that it holds
// exactly the storage's bytes and, when stored, lies inside the archive.
func openTorchRecord(byName map[string]*zip.File, prefix string, s *torchStorage, archiveSize int64) (*torchRecord, error) {
	name := prefix + "/data/" + s.key
	zf, ok := byName[name]
	if !ok {
		return nil, fmt.Errorf("storage record %s is missing", name)
	}
	es := int64(knownDTypes[s.dtype].size)
	if s.numel > math.MaxInt64/es {
		return nil, fmt.Errorf("storage %s of %d %s elements is absurdly large", name, s.numel, s.dtype)
	}
	want := s.numel * es
	if zf.UncompressedSize64 != uint64(want) {
		return nil, fmt.Errorf("storage record %s holds %d bytes but %d %s elements need %d", name, zf.UncompressedSize64, s.numel, s.dtype, want)
	}
	rec := &torchRecord{zf: zf, size: want, at: -1}
	if zf.Method == zip.Store {
		if zf.CompressedSize64 != zf.UncompressedSize64 {
			return nil, fmt.Errorf("stored record %s has compressed size %d but size %d", name, zf.CompressedSize64, zf.UncompressedSize64)
		}
		at, err := zf.DataOffset()
		if err != nil {
			return nil, fmt.Errorf("storage record %s: %v", name, err)
		}
		if at < 0 || at > archiveSize || want > archiveSize-at {
			return nil, fmt.Errorf("storage record %s ([%d,+%d)) lies outside the archive of %d bytes (truncated?)", name, at, want, archiveSize)
		}
		rec.at = at
	}
	return rec, nil
}

// checkTorchTensor validates a view against its storage's element count, so
// that every later read stays inside the record. Errors do not carry the
// file name.
func checkTorchTensor(name string, t *torchTensor) (*torchEntry, error) {
	s := t.storage
	es := int64(knownDTypes[s.dtype].size)
	if t.offset < 0 || t.offset > s.numel {
		return nil, fmt.Errorf("tensor %q: storage offset %d outside its storage of %d elements", name, t.offset, s.numel)
	}
	e := &torchEntry{name: name, dtype: s.dtype, shape: make([]int, len(t.size)), stride: make([]int, len(t.size))}
	numel := int64(1)
	for i, d := range t.size {
		if d < 0 || t.stride[i] < 0 {
			return nil, fmt.Errorf("tensor %q: size %v / stride %v have a negative entry", name, t.size, t.stride)
		}
		if d == 0 {
			numel = 0
		}
	}
	if numel != 0 {
		// Bound by the largest byte count that can exist, so neither the
		// product nor the span below overflows.
		limit := int64(math.MaxInt64) / es
		last := t.offset
		for i, d := range t.size {
			if numel > limit/d {
				return nil, fmt.Errorf("tensor %q: size %v of %s is absurdly large (byte size overflows)", name, t.size, s.dtype)
			}
			numel *= d
			if t.stride[i] != 0 && d-1 > (limit-last)/t.stride[i] {
				return nil, fmt.Errorf("tensor %q: size %v with stride %v reaches beyond any storage", name, t.size, t.stride)
			}
			last += (d - 1) * t.stride[i]
		}
		if last >= s.numel {
			return nil, fmt.Errorf("tensor %q: size %v, stride %v at offset %d reach element %d of a storage of %d elements",
				name, t.size, t.stride, t.offset, last, s.numel)
		}
		if numel > s.numel && numel*es > MaxTorchExpandedBytes {
			return nil, fmt.Errorf("tensor %q: size %v expands %d stored elements to %d bytes, over the %d-byte limit",
				name, t.size, s.numel, numel*es, MaxTorchExpandedBytes)
		}
		if numel*es > math.MaxInt || (last+1)*es > math.MaxInt {
			return nil, fmt.Errorf("tensor %q: size %v of %s is too large for this platform", name, t.size, s.dtype)
		}
		e.lo, e.hi = int(t.offset), int(last)+1
	} else {
		e.lo, e.hi = int(t.offset), int(t.offset)
	}
	for i := range t.size {
		e.shape[i] = int(t.size[i])
		e.stride[i] = int(t.stride[i])
	}
	e.numel = int(numel)
	return e, nil
}

// contiguous reports whether the view is its span laid out in C order, so
// the span's bytes can be used as they are.
func (e *torchEntry) contiguous() bool {
	want := 1
	for i := len(e.shape) - 1; i >= 0; i-- {
		if e.shape[i] != 1 && e.stride[i] != want {
			return false
		}
		want *= e.shape[i]
	}
	return true
}

// Close releases the file. Tensors already read stay valid; later reads fail.
func (f *TorchFile) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	f.r = nil
	if f.closer != nil {
		if err := f.closer.Close(); err != nil {
			return fmt.Errorf("weights: %s: %w", f.path, err)
		}
	}
	return nil
}

// Path returns the path the file was opened with.
func (f *TorchFile) Path() string { return f.path }

// Names returns the tensor names, sorted.
func (f *TorchFile) Names() []string { return slices.Clone(f.names) }

// Info returns the dtype (safetensors names: "F32", "BF16", "I64", ...) and
// shape of the named tensor.
func (f *TorchFile) Info(name string) (TensorInfo, bool) {
	e, ok := f.entries[name]
	if !ok {
		return TensorInfo{}, false
	}
	return TensorInfo{DType: e.dtype, Shape: slices.Clone(e.shape)}, true
}

// values reads the named tensor's elements into a fresh C-ordered buffer of
// numel*size bytes, gathering when the view is strided.
func (f *TorchFile) values(name string) (*torchEntry, []byte, error) {
	e, ok := f.entries[name]
	if !ok {
		return nil, nil, fmt.Errorf("weights: %s: no tensor %q", f.path, name)
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.closed {
		return nil, nil, fmt.Errorf("weights: %s: reading %q after Close", f.path, name)
	}
	es := knownDTypes[e.dtype].size
	span, err := f.readSpan(e.rec, int64(e.lo)*int64(es), (e.hi-e.lo)*es)
	if err != nil {
		return nil, nil, fmt.Errorf("weights: %s: tensor %q: reading storage %s: %w", f.path, name, e.rec.zf.Name, err)
	}
	if e.numel == 0 || e.contiguous() {
		return e, span[:e.numel*es], nil
	}
	return e, gatherStrided(span, e.shape, e.stride, es), nil
}

func (f *TorchFile) readSpan(rec *torchRecord, off int64, n int) ([]byte, error) {
	buf := make([]byte, n)
	if n == 0 {
		return buf, nil
	}
	if rec.at >= 0 {
		got, err := f.r.ReadAt(buf, rec.at+off)
		if got == n {
			return buf, nil
		}
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF // the file shrank since it was opened
		}
		return nil, err
	}
	rc, err := rec.zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if _, err := io.CopyN(io.Discard, rc, off); err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(rc, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

// gatherStrided copies the elements of a strided view of span (whose first
// element is the view's origin) into C order.
func gatherStrided(span []byte, shape, stride []int, es int) []byte {
	numel := 1
	for _, d := range shape {
		numel *= d
	}
	out := make([]byte, 0, numel*es)
	idx := make([]int, len(shape))
	rank := len(shape)
	inner, innerStride := shape[rank-1], stride[rank-1]*es // rank ≥ 1: a scalar is contiguous
	for {
		base := 0
		for i := 0; i < rank-1; i++ {
			base += idx[i] * stride[i]
		}
		base *= es
		for j := 0; j < inner; j++ {
			out = append(out, span[base+j*innerStride:base+j*innerStride+es]...)
		}
		// Advance the outer multi-index like an odometer.
		i := rank - 2
		for ; i >= 0; i-- {
			idx[i]++
			if idx[i] < shape[i] {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			return out
		}
	}
}

// Float32s returns a copy of a F32, F16 or BF16 tensor as float32 in C
// order, converted exactly as File.Float32s does.
func (f *TorchFile) Float32s(name string) ([]float32, error) {
	if e, ok := f.entries[name]; ok && !isFloat32Source(e.dtype) {
		return nil, fmt.Errorf("weights: %s: tensor %q has dtype %s, not a float dtype convertible to float32 (F32, F16, BF16)", f.path, name, e.dtype)
	}
	e, raw, err := f.values(name)
	if err != nil {
		return nil, err
	}
	out := make([]float32, e.numel)
	decodeFloat32s(e.dtype, raw, out)
	return out, nil
}

// Tensor returns the named tensor as a host GoMLX tensor, with the dtype
// conversions of File.Tensor (F16 and BF16 become float32).
func (f *TorchFile) Tensor(name string) (*tensors.Tensor, error) {
	e, raw, err := f.values(name)
	if err != nil {
		return nil, err
	}
	dt := knownDTypes[e.dtype].gomlx
	if dt == dtypes.InvalidDType {
		return nil, fmt.Errorf("weights: %s: tensor %q has dtype %s, which cannot be converted to a GoMLX tensor", f.path, name, e.dtype)
	}
	t := tensors.FromShape(shapes.Make(dt, e.shape...))
	if err := fillTensor(t, e.dtype, raw); err != nil {
		t.FinalizeAll()
		return nil, fmt.Errorf("weights: %s: tensor %q: %w", f.path, name, err)
	}
	return t, nil
}
