package weights

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// This file is a deliberately tiny pickle virtual machine for the data.pkl
// record of a torch.save archive. Python's unpickler imports and calls any
// global a file names, which is how a checkpoint can run code; this one only
// builds values, resolves globals against a fixed allow-list when they are
// read (so a hostile global fails before anything could use it), and models
// the few allowed callables itself. Nothing is ever imported or executed.

// MaxTorchPickleSize bounds the data.pkl record we are willing to read into
// memory. It holds only names, shapes and storage keys (a few hundred bytes
// per tensor), so even the largest checkpoints stay far below this.
const MaxTorchPickleSize = 100 << 20

// maxTorchDims bounds tensor rank; torch itself stops at 64.
const maxTorchDims = 64

// pickleGlobal is an allow-listed global such as torch.FloatStorage; qual is
// its dotted module.name.
type pickleGlobal struct{ qual string }

type pickleTuple []any

// pickleList and pickleDict are pointers in the VM so that memoised
// references share one object, as in Python (SETITEMS after a BINGET must
// reach the same dict).
type pickleList struct{ items []any }

type pickleDict struct {
	keys, vals []any
}

// torchStorage is what a ('storage', type, key, location, numel) persistent
// id stands for: numel elements of dtype in the archive record data/<key>.
type torchStorage struct {
	dtype string
	key   string
	numel int64
}

// torchTensor is the result of _rebuild_tensor_v2: a strided view (in
// elements) into a storage. Not yet checked against the storage's size.
type torchTensor struct {
	storage *torchStorage
	offset  int64
	size    []int64
	stride  []int64
}

// torchStorageDTypes maps the legacy typed-storage classes that torch.save
// still names in persistent ids to safetensors dtype names.
var torchStorageDTypes = map[string]string{
	"torch.FloatStorage":    "F32",
	"torch.DoubleStorage":   "F64",
	"torch.HalfStorage":     "F16",
	"torch.BFloat16Storage": "BF16",
	"torch.LongStorage":     "I64",
	"torch.IntStorage":      "I32",
	"torch.ShortStorage":    "I16",
	"torch.CharStorage":     "I8",
	"torch.ByteStorage":     "U8",
	"torch.BoolStorage":     "BOOL",
}

const (
	globalOrderedDict          = "collections.OrderedDict"
	globalRebuildTensorV2      = "torch._utils._rebuild_tensor_v2"
	globalRebuildParameter     = "torch._utils._rebuild_parameter"
	globalRebuildParameterWith = "torch._utils._rebuild_parameter_with_state"
)

func allowedGlobal(qual string) bool {
	switch qual {
	case globalOrderedDict, globalRebuildTensorV2, globalRebuildParameter, globalRebuildParameterWith:
		return true
	}
	_, ok := torchStorageDTypes[qual]
	return ok
}

// pickleVM is the machine state. Errors carry the opcode offset but not the
// file name; the caller adds that.
type pickleVM struct {
	data     []byte
	pos      int
	stack    []any
	marks    []int
	memo     map[uint32]any
	storages map[string]*torchStorage
}

// unpickleTorch runs the VM over a torch.save data.pkl and returns the value
// left by STOP.
func unpickleTorch(data []byte) (any, error) {
	vm := &pickleVM{data: data, memo: map[uint32]any{}, storages: map[string]*torchStorage{}}
	return vm.run()
}

func (vm *pickleVM) errorf(at int, format string, args ...any) error {
	return fmt.Errorf("data.pkl offset %d: "+format, append([]any{at}, args...)...)
}

func (vm *pickleVM) take(at, n int) ([]byte, error) {
	if n < 0 || n > len(vm.data)-vm.pos {
		return nil, vm.errorf(at, "truncated: opcode needs %d more bytes, %d left", n, len(vm.data)-vm.pos)
	}
	b := vm.data[vm.pos : vm.pos+n]
	vm.pos += n
	return b, nil
}

func (vm *pickleVM) pop(at int) (any, error) {
	base := 0
	if len(vm.marks) > 0 {
		base = vm.marks[len(vm.marks)-1]
	}
	if len(vm.stack) <= base {
		return nil, vm.errorf(at, "stack underflow")
	}
	v := vm.stack[len(vm.stack)-1]
	vm.stack = vm.stack[:len(vm.stack)-1]
	return v, nil
}

func (vm *pickleVM) top(at int) (any, error) {
	base := 0
	if len(vm.marks) > 0 {
		base = vm.marks[len(vm.marks)-1]
	}
	if len(vm.stack) <= base {
		return nil, vm.errorf(at, "stack underflow")
	}
	return vm.stack[len(vm.stack)-1], nil
}

// popMark returns the items pushed since the last MARK and removes them and
// the mark. The slice is a copy: the stack's backing array is reused.
func (vm *pickleVM) popMark(at int) ([]any, error) {
	if len(vm.marks) == 0 {
		return nil, vm.errorf(at, "no MARK to pop to")
	}
	m := vm.marks[len(vm.marks)-1]
	vm.marks = vm.marks[:len(vm.marks)-1]
	items := append([]any(nil), vm.stack[m:]...)
	vm.stack = vm.stack[:m]
	return items, nil
}

func (vm *pickleVM) popN(at, n int) ([]any, error) {
	items := make([]any, n)
	for i := n - 1; i >= 0; i-- {
		v, err := vm.pop(at)
		if err != nil {
			return nil, err
		}
		items[i] = v
	}
	return items, nil
}

func (vm *pickleVM) run() (any, error) {
	for {
		at := vm.pos
		if vm.pos >= len(vm.data) {
			return nil, vm.errorf(at, "truncated: no STOP opcode")
		}
		op := vm.data[vm.pos]
		vm.pos++
		switch op {
		case 0x80: // PROTO
			b, err := vm.take(at, 1)
			if err != nil {
				return nil, err
			}
			if b[0] > 5 {
				return nil, vm.errorf(at, "unsupported pickle protocol %d", b[0])
			}
		case 0x95: // FRAME: a length hint for buffered readers; we have it all.
			if _, err := vm.take(at, 8); err != nil {
				return nil, err
			}
		case '.': // STOP
			if len(vm.marks) != 0 {
				return nil, vm.errorf(at, "STOP inside an unclosed MARK")
			}
			if len(vm.stack) != 1 {
				return nil, vm.errorf(at, "STOP with %d values on the stack, want 1", len(vm.stack))
			}
			return vm.stack[0], nil
		case '(': // MARK
			vm.marks = append(vm.marks, len(vm.stack))
		case '0': // POP
			if _, err := vm.pop(at); err != nil {
				return nil, err
			}
		case '1': // POP_MARK
			if _, err := vm.popMark(at); err != nil {
				return nil, err
			}
		case '2': // DUP
			v, err := vm.top(at)
			if err != nil {
				return nil, err
			}
			vm.stack = append(vm.stack, v)
		case '}': // EMPTY_DICT
			vm.stack = append(vm.stack, &pickleDict{})
		case ']': // EMPTY_LIST
			vm.stack = append(vm.stack, &pickleList{})
		case ')': // EMPTY_TUPLE
			vm.stack = append(vm.stack, pickleTuple{})
		case 'N': // NONE
			vm.stack = append(vm.stack, nil)
		case 0x88: // NEWTRUE
			vm.stack = append(vm.stack, true)
		case 0x89: // NEWFALSE
			vm.stack = append(vm.stack, false)
		case 'K': // BININT1
			b, err := vm.take(at, 1)
			if err != nil {
				return nil, err
			}
			vm.stack = append(vm.stack, int64(b[0]))
		case 'M': // BININT2
			b, err := vm.take(at, 2)
			if err != nil {
				return nil, err
			}
			vm.stack = append(vm.stack, int64(binary.LittleEndian.Uint16(b)))
		case 'J': // BININT
			b, err := vm.take(at, 4)
			if err != nil {
				return nil, err
			}
			vm.stack = append(vm.stack, int64(int32(binary.LittleEndian.Uint32(b))))
		case 0x8a, 0x8b: // LONG1, LONG4: little-endian two's complement
			var n int
			if op == 0x8a {
				b, err := vm.take(at, 1)
				if err != nil {
					return nil, err
				}
				n = int(b[0])
			} else {
				b, err := vm.take(at, 4)
				if err != nil {
					return nil, err
				}
				n = int(int32(binary.LittleEndian.Uint32(b)))
			}
			if n < 0 || n > 8 {
				// Sizes, strides and offsets all fit in 64 bits; a longer
				// integer cannot be anything we need.
				return nil, vm.errorf(at, "integer of %d bytes does not fit in 64 bits", n)
			}
			b, err := vm.take(at, n)
			if err != nil {
				return nil, err
			}
			var u uint64
			for i := n - 1; i >= 0; i-- {
				u = u<<8 | uint64(b[i])
			}
			if n > 0 && n < 8 && b[n-1]&0x80 != 0 {
				u |= ^uint64(0) << (8 * n) // sign-extend
			}
			vm.stack = append(vm.stack, int64(u))
		case 'G': // BINFLOAT, big-endian
			b, err := vm.take(at, 8)
			if err != nil {
				return nil, err
			}
			vm.stack = append(vm.stack, math.Float64frombits(binary.BigEndian.Uint64(b)))
		case 'X', 0x8c, 0x8d: // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
			s, err := vm.readCounted(at, op)
			if err != nil {
				return nil, err
			}
			if !utf8.Valid(s) {
				return nil, vm.errorf(at, "string is not valid UTF-8")
			}
			vm.stack = append(vm.stack, string(s))
		case 'B', 'C', 0x8e: // BINBYTES, SHORT_BINBYTES, BINBYTES8
			b, err := vm.readCounted(at, op)
			if err != nil {
				return nil, err
			}
			vm.stack = append(vm.stack, append([]byte(nil), b...))
		case 't': // TUPLE
			items, err := vm.popMark(at)
			if err != nil {
				return nil, err
			}
			vm.stack = append(vm.stack, pickleTuple(items))
		case 0x85, 0x86, 0x87: // TUPLE1..3
			items, err := vm.popN(at, int(op-0x84))
			if err != nil {
				return nil, err
			}
			vm.stack = append(vm.stack, pickleTuple(items))
		case 'l': // LIST
			items, err := vm.popMark(at)
			if err != nil {
				return nil, err
			}
			vm.stack = append(vm.stack, &pickleList{items: items})
		case 'd': // DICT
			items, err := vm.popMark(at)
			if err != nil {
				return nil, err
			}
			d := &pickleDict{}
			if err := vm.setItems(at, d, items); err != nil {
				return nil, err
			}
			vm.stack = append(vm.stack, d)
		case 'a': // APPEND
			v, err := vm.pop(at)
			if err != nil {
				return nil, err
			}
			if err := vm.appendTo(at, []any{v}); err != nil {
				return nil, err
			}
		case 'e': // APPENDS
			items, err := vm.popMark(at)
			if err != nil {
				return nil, err
			}
			if err := vm.appendTo(at, items); err != nil {
				return nil, err
			}
		case 's': // SETITEM
			kv, err := vm.popN(at, 2)
			if err != nil {
				return nil, err
			}
			if err := vm.setItemsOnTop(at, kv); err != nil {
				return nil, err
			}
		case 'u': // SETITEMS
			items, err := vm.popMark(at)
			if err != nil {
				return nil, err
			}
			if err := vm.setItemsOnTop(at, items); err != nil {
				return nil, err
			}
		case 'q', 'r', 0x94: // BINPUT, LONG_BINPUT, MEMOIZE
			var idx uint32
			switch op {
			case 'q':
				b, err := vm.take(at, 1)
				if err != nil {
					return nil, err
				}
				idx = uint32(b[0])
			case 'r':
				b, err := vm.take(at, 4)
				if err != nil {
					return nil, err
				}
				idx = binary.LittleEndian.Uint32(b)
			default:
				idx = uint32(len(vm.memo))
			}
			v, err := vm.top(at)
			if err != nil {
				return nil, err
			}
			vm.memo[idx] = v
		case 'h', 'j': // BINGET, LONG_BINGET
			var idx uint32
			if op == 'h' {
				b, err := vm.take(at, 1)
				if err != nil {
					return nil, err
				}
				idx = uint32(b[0])
			} else {
				b, err := vm.take(at, 4)
				if err != nil {
					return nil, err
				}
				idx = binary.LittleEndian.Uint32(b)
			}
			v, ok := vm.memo[idx]
			if !ok {
				return nil, vm.errorf(at, "memo entry %d was never stored", idx)
			}
			vm.stack = append(vm.stack, v)
		case 'c': // GLOBAL "module\nname\n"
			module, err := vm.readLine(at)
			if err != nil {
				return nil, err
			}
			name, err := vm.readLine(at)
			if err != nil {
				return nil, err
			}
			g, err := vm.global(at, module, name)
			if err != nil {
				return nil, err
			}
			vm.stack = append(vm.stack, g)
		case 0x93: // STACK_GLOBAL
			mn, err := vm.popN(at, 2)
			if err != nil {
				return nil, err
			}
			module, ok1 := mn[0].(string)
			name, ok2 := mn[1].(string)
			if !ok1 || !ok2 {
				return nil, vm.errorf(at, "STACK_GLOBAL needs two strings, got %s and %s", pickleTypeName(mn[0]), pickleTypeName(mn[1]))
			}
			g, err := vm.global(at, module, name)
			if err != nil {
				return nil, err
			}
			vm.stack = append(vm.stack, g)
		case 'Q': // BINPERSID
			pid, err := vm.pop(at)
			if err != nil {
				return nil, err
			}
			s, err := vm.persistentLoad(at, pid)
			if err != nil {
				return nil, err
			}
			vm.stack = append(vm.stack, s)
		case 'R': // REDUCE
			fa, err := vm.popN(at, 2)
			if err != nil {
				return nil, err
			}
			v, err := vm.reduce(at, fa[0], fa[1])
			if err != nil {
				return nil, err
			}
			vm.stack = append(vm.stack, v)
		case 'b': // BUILD
			state, err := vm.pop(at)
			if err != nil {
				return nil, err
			}
			obj, err := vm.top(at)
			if err != nil {
				return nil, err
			}
			// A state_dict() carries a _metadata attribute (module versions)
			// and a Parameter may carry Python attributes; neither matters
			// for the values, so the state is dropped. Anything else being
			// built is not something torch.save of tensors produces.
			switch obj.(type) {
			case *pickleDict, *torchTensor:
			default:
				return nil, vm.errorf(at, "BUILD on a %s (state %s)", pickleTypeName(obj), pickleTypeName(state))
			}
		default:
			return nil, vm.errorf(at, "unsupported pickle opcode 0x%02x (not something torch.save emits)", op)
		}
	}
}

// readCounted reads the payload of a length-prefixed string or bytes opcode.
func (vm *pickleVM) readCounted(at int, op byte) ([]byte, error) {
	var n uint64
	switch op {
	case 0x8c, 'C':
		b, err := vm.take(at, 1)
		if err != nil {
			return nil, err
		}
		n = uint64(b[0])
	case 'X', 'B':
		b, err := vm.take(at, 4)
		if err != nil {
			return nil, err
		}
		n = uint64(binary.LittleEndian.Uint32(b))
	default:
		b, err := vm.take(at, 8)
		if err != nil {
			return nil, err
		}
		n = binary.LittleEndian.Uint64(b)
	}
	if n > uint64(len(vm.data)-vm.pos) {
		return nil, vm.errorf(at, "truncated: %d-byte string with %d bytes left", n, len(vm.data)-vm.pos)
	}
	return vm.take(at, int(n))
}

func (vm *pickleVM) readLine(at int) (string, error) {
	rest := vm.data[vm.pos:]
	i := bytes.IndexByte(rest, '\n')
	if i < 0 {
		return "", vm.errorf(at, "truncated GLOBAL: no newline")
	}
	vm.pos += i + 1
	return string(rest[:i]), nil
}

// global resolves module.name against the allow-list. Refusing here, at the
// first mention, means a hostile global never even reaches the stack.
func (vm *pickleVM) global(at int, module, name string) (pickleGlobal, error) {
	qual := module + "." + name
	if !allowedGlobal(qual) {
		return pickleGlobal{}, vm.errorf(at, "refusing to unpickle %q: not a global torch.save uses for tensors (the file may be malicious)", qual)
	}
	return pickleGlobal{qual: qual}, nil
}

func (vm *pickleVM) appendTo(at int, items []any) error {
	v, err := vm.top(at)
	if err != nil {
		return err
	}
	l, ok := v.(*pickleList)
	if !ok {
		return vm.errorf(at, "APPEND to a %s, not a list", pickleTypeName(v))
	}
	l.items = append(l.items, items...)
	return nil
}

func (vm *pickleVM) setItemsOnTop(at int, kv []any) error {
	v, err := vm.top(at)
	if err != nil {
		return err
	}
	d, ok := v.(*pickleDict)
	if !ok {
		return vm.errorf(at, "SETITEM on a %s, not a dict", pickleTypeName(v))
	}
	return vm.setItems(at, d, kv)
}

// setItems stores alternating keys and values. Only string keys are
// accepted: a state dict has nothing else, and it spares us Python's hashing
// rules for the rest.
func (vm *pickleVM) setItems(at int, d *pickleDict, kv []any) error {
	if len(kv)%2 != 0 {
		return vm.errorf(at, "odd number of items (%d) for a dict", len(kv))
	}
	for i := 0; i < len(kv); i += 2 {
		if _, ok := kv[i].(string); !ok {
			return vm.errorf(at, "dict key is a %s, not a string", pickleTypeName(kv[i]))
		}
		d.keys = append(d.keys, kv[i])
		d.vals = append(d.vals, kv[i+1])
	}
	return nil
}

// persistentLoad turns torch's ('storage', StorageClass, key, location,
// numel) persistent id into a storage reference. The same key always yields
// the same *torchStorage, which is how tied tensors share their data.
func (vm *pickleVM) persistentLoad(at int, pid any) (*torchStorage, error) {
	t, ok := pid.(pickleTuple)
	if !ok || len(t) != 5 {
		return nil, vm.errorf(at, "persistent id is a %s, want ('storage', type, key, location, numel)", pickleTypeName(pid))
	}
	if tag, _ := t[0].(string); tag != "storage" {
		return nil, vm.errorf(at, "persistent id tag is %s, want 'storage'", pickleTypeName(t[0]))
	}
	g, ok := t[1].(pickleGlobal)
	dtype := torchStorageDTypes[g.qual]
	if !ok || dtype == "" {
		return nil, vm.errorf(at, "persistent id names storage type %s, not a typed storage class", pickleTypeName(t[1]))
	}
	key, ok := t[2].(string)
	if !ok || key == "" || strings.ContainsAny(key, "/\\") {
		return nil, vm.errorf(at, "persistent id has storage key %s, want a plain record name", pickleTypeName(t[2]))
	}
	if _, ok := t[3].(string); !ok {
		return nil, vm.errorf(at, "persistent id has location %s, want a device string", pickleTypeName(t[3]))
	}
	numel, ok := t[4].(int64)
	if !ok || numel < 0 {
		return nil, vm.errorf(at, "persistent id has element count %v, want a non-negative integer", t[4])
	}
	if s, ok := vm.storages[key]; ok {
		if s.dtype != dtype || s.numel != numel {
			return nil, vm.errorf(at, "storage %q is referenced as %s[%d] and as %s[%d]", key, s.dtype, s.numel, dtype, numel)
		}
		return s, nil
	}
	s := &torchStorage{dtype: dtype, key: key, numel: numel}
	vm.storages[key] = s
	return s, nil
}

// reduce models the allowed callables; any other callable is an error.
func (vm *pickleVM) reduce(at int, fn, args any) (any, error) {
	g, ok := fn.(pickleGlobal)
	if !ok {
		return nil, vm.errorf(at, "REDUCE calls a %s, not an allowed global", pickleTypeName(fn))
	}
	a, ok := args.(pickleTuple)
	if !ok {
		return nil, vm.errorf(at, "REDUCE of %s with %s arguments, want a tuple", g.qual, pickleTypeName(args))
	}
	switch g.qual {
	case globalOrderedDict:
		if len(a) != 0 {
			return nil, vm.errorf(at, "%s called with %d arguments; torch.save passes none", g.qual, len(a))
		}
		return &pickleDict{}, nil
	case globalRebuildTensorV2:
		// (storage, storage_offset, size, stride, requires_grad,
		// backward_hooks[, metadata]); the last three do not affect values.
		if len(a) != 6 && len(a) != 7 {
			return nil, vm.errorf(at, "%s called with %d arguments, want 6 or 7", g.qual, len(a))
		}
		s, ok := a[0].(*torchStorage)
		if !ok {
			return nil, vm.errorf(at, "%s: storage is a %s", g.qual, pickleTypeName(a[0]))
		}
		off, ok := a[1].(int64)
		if !ok {
			return nil, vm.errorf(at, "%s: storage offset is a %s, not an integer", g.qual, pickleTypeName(a[1]))
		}
		size, err := vm.intTuple(at, g.qual, "size", a[2])
		if err != nil {
			return nil, err
		}
		stride, err := vm.intTuple(at, g.qual, "stride", a[3])
		if err != nil {
			return nil, err
		}
		if len(size) != len(stride) {
			return nil, vm.errorf(at, "%s: size %v and stride %v differ in rank", g.qual, size, stride)
		}
		return &torchTensor{storage: s, offset: off, size: size, stride: stride}, nil
	case globalRebuildParameter, globalRebuildParameterWith:
		// (data, requires_grad, backward_hooks[, state]): a Parameter is its
		// data as far as values go.
		if len(a) != 3 && !(len(a) == 4 && g.qual == globalRebuildParameterWith) {
			return nil, vm.errorf(at, "%s called with %d arguments", g.qual, len(a))
		}
		t, ok := a[0].(*torchTensor)
		if !ok {
			return nil, vm.errorf(at, "%s: data is a %s, not a tensor", g.qual, pickleTypeName(a[0]))
		}
		return t, nil
	}
	return nil, vm.errorf(at, "%s is not callable", g.qual)
}

func (vm *pickleVM) intTuple(at int, fn, what string, v any) ([]int64, error) {
	t, ok := v.(pickleTuple)
	if !ok {
		return nil, vm.errorf(at, "%s: %s is a %s, not a tuple", fn, what, pickleTypeName(v))
	}
	if len(t) > maxTorchDims {
		return nil, vm.errorf(at, "%s: %s has %d dimensions, more than %d", fn, what, len(t), maxTorchDims)
	}
	out := make([]int64, len(t))
	for i, x := range t {
		n, ok := x.(int64)
		if !ok {
			return nil, vm.errorf(at, "%s: %s[%d] is a %s, not an integer", fn, what, i, pickleTypeName(x))
		}
		out[i] = n
	}
	return out, nil
}

// pickleTypeName names a VM value for error messages, without recursing
// (memo references can make containers cyclic).
func pickleTypeName(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case bool:
		return "bool"
	case int64:
		return "int"
	case float64:
		return "float"
	case string:
		if len(v) > 40 {
			v = v[:40] + "…"
		}
		return fmt.Sprintf("str %q", v)
	case []byte:
		return "bytes"
	case pickleTuple:
		return fmt.Sprintf("tuple of %d", len(v))
	case *pickleList:
		return "list"
	case *pickleDict:
		return "dict"
	case pickleGlobal:
		return v.qual
	case *torchStorage:
		return "storage"
	case *torchTensor:
		return "tensor"
	}
	return fmt.Sprintf("%T", v)
}
