package weights

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"maps"
	"slices"
	"testing"
)

// pickler writes pickle opcodes by hand, so the reader is tested against
// streams we control exactly (including ones torch would never write).
type pickler struct{ b []byte }

func (p *pickler) op(ops ...byte) *pickler { p.b = append(p.b, ops...); return p }

func (p *pickler) str(s string) *pickler {
	p.b = append(p.b, 'X')
	p.b = binary.LittleEndian.AppendUint32(p.b, uint32(len(s)))
	p.b = append(p.b, s...)
	return p
}

func (p *pickler) int(n int64) *pickler {
	switch {
	case n >= 0 && n < 256:
		return p.op('K', byte(n))
	case n >= -1<<31 && n < 1<<31:
		p.b = append(p.b, 'J')
		p.b = binary.LittleEndian.AppendUint32(p.b, uint32(int32(n)))
	default:
		p.b = append(p.b, 0x8a, 8)
		p.b = binary.LittleEndian.AppendUint64(p.b, uint64(n))
	}
	return p
}

func (p *pickler) global(module, name string) *pickler {
	p.b = append(p.b, 'c')
	p.b = append(p.b, module+"\n"+name+"\n"...)
	return p
}

func (p *pickler) ints(ns []int64) *pickler {
	p.op('(')
	for _, n := range ns {
		p.int(n)
	}
	return p.op('t')
}

// pklTensor is one state-dict entry for torchPickle.
type pklTensor struct {
	name, storage, key string // storage: the class, e.g. "FloatStorage"
	numel, offset      int64
	size, stride       []int64
}

// tensor emits _rebuild_tensor_v2(storage, offset, size, stride, False,
// OrderedDict()) as torch.save does.
func (p *pickler) tensor(t pklTensor) *pickler {
	p.global("torch._utils", "_rebuild_tensor_v2").op('(')
	p.op('(').str("storage").global("torch", t.storage).str(t.key).str("cpu").int(t.numel).op('t', 'Q')
	p.int(t.offset).ints(t.size).ints(t.stride).op(0x89)
	p.global("collections", "OrderedDict").op(')', 'R')
	return p.op('t', 'R')
}

// torchPickle is the data.pkl of torch.save(OrderedDict(ts)).
func torchPickle(ts ...pklTensor) []byte {
	p := &pickler{}
	p.op(0x80, 2).global("collections", "OrderedDict").op(')', 'R', '(')
	for _, t := range ts {
		p.str(t.name).tensor(t)
	}
	return p.op('u', '.').b
}

// torchZip lays out a torch.save archive under "archive/": data.pkl, a
// little-endian byteorder record unless records has its own, then records
// (names relative to "archive/", e.g. "data/0") in sorted order so archives
// are deterministic, all with the given compression method.
func torchZip(t testing.TB, pkl []byte, method uint16, records map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	add := func(name string, data []byte) {
		fw, err := w.CreateHeader(&zip.FileHeader{Name: "archive/" + name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	add("data.pkl", pkl)
	if _, ok := records["byteorder"]; !ok {
		add("byteorder", []byte("little"))
	}
	for _, name := range slices.Sorted(maps.Keys(records)) {
		add(name, records[name])
	}
	add("version", []byte("3\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// openTorchBytes parses an in-memory archive as if it were the file name.
func openTorchBytes(name string, archive []byte) (*TorchFile, error) {
	return newTorchFile(name, bytes.NewReader(archive), int64(len(archive)))
}
