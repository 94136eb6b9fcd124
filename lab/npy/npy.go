// Package npy reads and writes NumPy .npy files (format 1.0–3.0, C order, little-endian), the
// format the lab exchanges features and reference tensors in, so that NumPy users can np.load them.
package npy

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"unsafe"

	"github.com/go-translab/translab/lab/atomicfile"
)

// Array is an n-dimensional array as read from a .npy file: exactly one of F32 or I64 is set.
// Other dtypes are converted: f8 and f2 to F32; i1/i2/i4/u1/u2/u4/b1 to I64.
type Array struct {
	Shape []int
	F32   []float32
	I64   []int64
}

// Size is the number of elements.
func (a *Array) Size() int {
	n := 1
	for _, d := range a.Shape {
		n *= d
	}
	return n
}

var magic = []byte("\x93NUMPY")

var (
	descrRe = regexp.MustCompile(`'descr'\s*:\s*'([^']*)'`)
	orderRe = regexp.MustCompile(`'fortran_order'\s*:\s*(True|False)`)
	shapeRe = regexp.MustCompile(`'shape'\s*:\s*\(([^)]*)\)`)
)

// Read loads a whole .npy file.
func Read(path string) (*Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a, err := Decode(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("npy: %s: %w", path, err)
	}
	return a, nil
}

// Decode reads one array from r.
func Decode(r io.Reader) (*Array, error) {
	head := make([]byte, 8)
	if _, err := io.ReadFull(r, head); err != nil {
		return nil, errors.New("not a .npy file: shorter than its preamble")
	}
	if string(head[:6]) != string(magic) {
		return nil, errors.New("not a .npy file: bad magic")
	}
	var hlen int
	switch head[6] {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, errors.New("truncated header length")
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, errors.New("truncated header length")
		}
		hlen = int(binary.LittleEndian.Uint32(b[:]))
	default:
		return nil, fmt.Errorf("unsupported .npy version %d", head[6])
	}
	if hlen > 1<<20 {
		return nil, fmt.Errorf("header of %d bytes is implausibly large", hlen)
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, errors.New("truncated header")
	}
	h := string(hdr)
	m := descrRe.FindStringSubmatch(h)
	if m == nil {
		return nil, fmt.Errorf("header has no 'descr': %q", h)
	}
	descr := m[1]
	if o := orderRe.FindStringSubmatch(h); o != nil && o[1] == "True" {
		return nil, errors.New("fortran_order arrays are not supported; save with np.ascontiguousarray")
	}
	s := shapeRe.FindStringSubmatch(h)
	if s == nil {
		return nil, fmt.Errorf("header has no 'shape': %q", h)
	}
	// The element count is multiplied out with a bound at every step: a shape whose product
	// overflows would otherwise pass as small, or negative.
	const maxElems = 1 << 34
	a := &Array{Shape: []int{}}
	n := 1
	for _, part := range strings.Split(s[1], ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		d, err := strconv.Atoi(part)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("bad dimension %q in shape", part)
		}
		a.Shape = append(a.Shape, d)
		if d > 0 && n > maxElems/d {
			return nil, fmt.Errorf("shape (%s) is implausibly large", s[1])
		}
		n *= d
	}
	if len(descr) < 3 || (descr[0] != '<' && descr[0] != '|' && descr[0] != '=') {
		return nil, fmt.Errorf("dtype %q: only little-endian arrays are supported", descr)
	}
	kind, size := descr[1], descr[2:]
	width, err := strconv.Atoi(size)
	if err != nil || !supported(kind, width) {
		return nil, fmt.Errorf("dtype %q is not supported", descr)
	}
	raw, err := readData(r, n*width)
	if err != nil {
		return nil, fmt.Errorf("data holds fewer than the %d elements of shape %v", n, a.Shape)
	}
	le := binary.LittleEndian
	switch {
	case kind == 'f' && width == 4:
		a.F32 = make([]float32, n)
		for i := range a.F32 {
			a.F32[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
		}
	case kind == 'f' && width == 8:
		a.F32 = make([]float32, n)
		for i := range a.F32 {
			a.F32[i] = float32(math.Float64frombits(le.Uint64(raw[8*i:])))
		}
	case (kind == 'i' || kind == 'u' || kind == 'b') && (width == 1 || width == 2 || width == 4 || width == 8):
		a.I64 = make([]int64, n)
		for i := range a.I64 {
			b := raw[width*i:]
			var u uint64
			switch width {
			case 1:
				u = uint64(b[0])
				if kind == 'i' {
					u = uint64(int64(int8(b[0])))
				}
			case 2:
				u = uint64(le.Uint16(b))
				if kind == 'i' {
					u = uint64(int64(int16(le.Uint16(b))))
				}
			case 4:
				u = uint64(le.Uint32(b))
				if kind == 'i' {
					u = uint64(int64(int32(le.Uint32(b))))
				}
			case 8:
				u = le.Uint64(b)
			}
			a.I64[i] = int64(u)
		}
	default:
		return nil, fmt.Errorf("dtype %q is not supported", descr)
	}
	return a, nil
}

// supported says whether Decode converts a dtype, checked before anything is allocated for it.
func supported(kind byte, width int) bool {
	switch kind {
	case 'f':
		return width == 4 || width == 8
	case 'i', 'u', 'b':
		return width == 1 || width == 2 || width == 4 || width == 8
	}
	return false
}

// readData reads n bytes, allocating no more than the input delivers plus one chunk: a short file
// that claims a huge shape fails after reading what it holds, not after allocating its claim.
func readData(r io.Reader, n int) ([]byte, error) {
	const chunk = 64 << 20
	buf := make([]byte, 0, min(n, chunk))
	for len(buf) < n {
		next := min(n-len(buf), chunk)
		if cap(buf)-len(buf) < next {
			grown := make([]byte, len(buf), min(n, 2*cap(buf)+next))
			copy(grown, buf)
			buf = grown
		}
		m, err := io.ReadFull(r, buf[len(buf):len(buf)+next])
		buf = buf[:len(buf)+m]
		if err != nil {
			return nil, err
		}
	}
	return buf, nil
}

// WriteFloat32 writes a float32 array to path atomically: a reader never sees half a file, and an
// existing file is only replaced once the new one is complete.
func WriteFloat32(path string, shape []int, data []float32) error {
	return write(path, func(w io.Writer) error { return EncodeFloat32(w, shape, data) })
}

// WriteInt64 writes an int64 array to path atomically.
func WriteInt64(path string, shape []int, data []int64) error {
	return write(path, func(w io.Writer) error { return EncodeInt64(w, shape, data) })
}

// EncodeFloat32 writes a float32 array in the .npy format to w; with atomicfile.Prepare it lets a
// command write several files and put them in place only once all of them are complete.
func EncodeFloat32(w io.Writer, shape []int, data []float32) error {
	return encode(w, "<f4", shape, data, func(b []byte, v float32) { binary.LittleEndian.PutUint32(b, math.Float32bits(v)) })
}

// EncodeInt64 writes an int64 array in the .npy format to w.
func EncodeInt64(w io.Writer, shape []int, data []int64) error {
	return encode(w, "<i8", shape, data, func(b []byte, v int64) { binary.LittleEndian.PutUint64(b, uint64(v)) })
}

func write(path string, enc func(io.Writer) error) error {
	if err := atomicfile.Write(path, enc); err != nil {
		return fmt.Errorf("npy: %w", err) // atomicfile's errors name the path
	}
	return nil
}

func encode[T float32 | int64](w io.Writer, descr string, shape []int, data []T, put func([]byte, T)) error {
	n := 1
	for _, d := range shape {
		n *= d
	}
	if n != len(data) {
		return fmt.Errorf("shape %v needs %d values, got %d", shape, n, len(data))
	}
	var zero T
	width := int(unsafe.Sizeof(zero))
	if err := writeHeader(w, descr, shape); err != nil {
		return err
	}
	buf := make([]byte, width*len(data))
	for i, v := range data {
		put(buf[width*i:], v)
	}
	_, err := w.Write(buf)
	return err
}

func writeHeader(w io.Writer, descr string, shape []int) error {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	tuple := strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += ","
	}
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, tuple)
	// NumPy pads the header with spaces and a newline so that the data starts 64-byte aligned.
	total := len(magic) + 2 + 2 + len(h) + 1
	h += strings.Repeat(" ", (64-total%64)%64) + "\n"
	if len(h) > math.MaxUint16 {
		return errors.New("shape too long for a version 1.0 header")
	}
	pre := append(append([]byte{}, magic...), 1, 0, byte(len(h)), byte(len(h)>>8))
	if _, err := w.Write(pre); err != nil {
		return err
	}
	_, err := io.WriteString(w, h)
	return err
}
