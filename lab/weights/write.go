package weights

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Named is one tensor to write: its checkpoint name, dimensions (empty for a
// scalar) and row-major data. Data is one of []float32 (F32), []float64
// (F64), []int64 (I64), []int32 (I32), []uint8 (U8) or []bool (BOOL).
type Named struct {
	Name  string
	Shape []int
	Data  any
}

// dtypeOfData returns the safetensors dtype and element count of a Named's Data.
func dtypeOfData(data any) (string, int, bool) {
	switch d := data.(type) {
	case []float32:
		return "F32", len(d), true
	case []float64:
		return "F64", len(d), true
	case []int64:
		return "I64", len(d), true
	case []int32:
		return "I32", len(d), true
	case []uint8:
		return "U8", len(d), true
	case []bool:
		return "BOOL", len(d), true
	}
	return "", 0, false
}

// encodeData appends the little-endian bytes of data to w.
func encodeData(w io.Writer, data any) error {
	var buf [8]byte
	le := binary.LittleEndian
	put := func(b []byte) error { _, err := w.Write(b); return err }
	switch d := data.(type) {
	case []float32:
		for _, v := range d {
			le.PutUint32(buf[:], math.Float32bits(v))
			if err := put(buf[:4]); err != nil {
				return err
			}
		}
	case []float64:
		for _, v := range d {
			le.PutUint64(buf[:], math.Float64bits(v))
			if err := put(buf[:8]); err != nil {
				return err
			}
		}
	case []int64:
		for _, v := range d {
			le.PutUint64(buf[:], uint64(v))
			if err := put(buf[:8]); err != nil {
				return err
			}
		}
	case []int32:
		for _, v := range d {
			le.PutUint32(buf[:], uint32(v))
			if err := put(buf[:4]); err != nil {
				return err
			}
		}
	case []uint8:
		return put(d)
	case []bool:
		for _, v := range d {
			buf[0] = 0
			if v {
				buf[0] = 1
			}
			if err := put(buf[:1]); err != nil {
				return err
			}
		}
	}
	return nil
}

// testHookAfterData, when set by tests, runs after the data is written to the
// temporary file and before it is committed, to simulate a failure midway.
var testHookAfterData func(tmpPath string) error

// Write stores ts as a safetensors file at path, atomically: the bytes go to a
// temporary file in the same directory, which is fsynced and then renamed over
// path, so readers see either the old file or the complete new one and a
// failure leaves any existing file untouched. Everything is validated before
// the temporary file is created.
//
// The layout follows the Rust crate: header padded with spaces to a multiple
// of 8 bytes (so every tensor's data is 8-byte aligned), tensors ordered by
// decreasing element size, then name.
func Write(path string, ts []Named, metadata map[string]string) (err error) {
	header, order, err := buildHeader(path, ts, metadata)
	if err != nil {
		return err
	}

	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("weights: %s: creating temporary file: %w", path, err)
	}
	tmpPath := tmp.Name()
	committed := false
	defer func() {
		if !committed {
			_ = tmp.Close()
			_ = os.Remove(tmpPath)
		}
	}()

	bw := bufio.NewWriterSize(tmp, 1<<20)
	var lenPrefix [8]byte
	binary.LittleEndian.PutUint64(lenPrefix[:], uint64(len(header)))
	if _, err := bw.Write(lenPrefix[:]); err != nil {
		return fmt.Errorf("weights: %s: writing: %w", path, err)
	}
	if _, err := bw.Write(header); err != nil {
		return fmt.Errorf("weights: %s: writing: %w", path, err)
	}
	for _, i := range order {
		if err := encodeData(bw, ts[i].Data); err != nil {
			return fmt.Errorf("weights: %s: writing tensor %q: %w", path, ts[i].Name, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("weights: %s: writing: %w", path, err)
	}
	if testHookAfterData != nil {
		if err := testHookAfterData(tmpPath); err != nil {
			return fmt.Errorf("weights: %s: %w", path, err)
		}
	}
	// CreateTemp makes the file 0600; a checkpoint should be as readable as
	// any file the user creates, or keep the mode of the file it replaces.
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() {
		mode = st.Mode().Perm()
	}
	if err := tmp.Chmod(mode); err != nil {
		return fmt.Errorf("weights: %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("weights: %s: syncing: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("weights: %s: closing: %w", path, err)
	}
	if err := os.Rename(tmpPath, path); err != nil {
		return fmt.Errorf("weights: %s: replacing: %w", path, err)
	}
	committed = true
	// Persist the rename itself; without this a crash can still lose the
	// new directory entry. Best effort: some filesystems refuse to sync dirs.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// buildHeader validates ts and returns the padded JSON header and the order
// in which tensor data must follow it.
func buildHeader(path string, ts []Named, metadata map[string]string) ([]byte, []int, error) {
	fail := func(format string, args ...any) ([]byte, []int, error) {
		return nil, nil, fmt.Errorf("weights: %s: "+format, append([]any{path}, args...)...)
	}
	type item struct {
		dtype string
		size  int
		bytes int64
	}
	items := make([]item, len(ts))
	seen := make(map[string]bool, len(ts))
	for i, t := range ts {
		if t.Name == "" || t.Name == metadataKey {
			return fail("tensor %d: invalid name %q", i, t.Name)
		}
		if seen[t.Name] {
			return fail("duplicate tensor name %q", t.Name)
		}
		seen[t.Name] = true
		dtype, n, ok := dtypeOfData(t.Data)
		if !ok {
			return fail("tensor %q: unsupported data type %T", t.Name, t.Data)
		}
		numel := 1
		for _, d := range t.Shape {
			if d < 0 {
				return fail("tensor %q: shape %v has a negative dimension", t.Name, t.Shape)
			}
			if d != 0 && numel > math.MaxInt/d {
				return fail("tensor %q: shape %v is absurdly large", t.Name, t.Shape)
			}
			numel *= d
		}
		if numel != n {
			return fail("tensor %q: shape %v needs %d values but Data has %d", t.Name, t.Shape, numel, n)
		}
		size := knownDTypes[dtype].size
		items[i] = item{dtype, size, int64(n) * int64(size)}
	}
	order := make([]int, len(ts))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool {
		ia, ib := items[order[a]], items[order[b]]
		if ia.size != ib.size {
			return ia.size > ib.size
		}
		return ts[order[a]].Name < ts[order[b]].Name
	})

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep names byte-identical to what Python writes
	jsonString := func(v any) string {
		buf.Reset()
		_ = enc.Encode(v) // strings, ints and string maps always encode
		return strings.TrimSuffix(buf.String(), "\n")
	}
	var h strings.Builder
	h.WriteByte('{')
	first := true
	if len(metadata) > 0 {
		h.WriteString(jsonString(metadataKey) + ":" + jsonString(metadata))
		first = false
	}
	var offset int64
	for _, i := range order {
		if !first {
			h.WriteByte(',')
		}
		first = false
		shape := jsonShape(ts[i].Shape)
		fmt.Fprintf(&h, `%s:{"dtype":%q,"shape":%s,"data_offsets":[%d,%d]}`,
			jsonString(ts[i].Name), items[i].dtype, jsonString(shape), offset, offset+items[i].bytes)
		offset += items[i].bytes
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	return []byte(h.String()), order, nil
}

// jsonShape makes a nil shape encode as [] (a scalar), never as null.
func jsonShape(shape []int) []int {
	if shape == nil {
		return []int{}
	}
	return slices.Clone(shape)
}
