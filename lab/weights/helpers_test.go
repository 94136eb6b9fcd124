package weights

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rawTensor is a tensor for building files by hand, bypassing Write, so the
// reader is tested against bytes we control exactly.
type rawTensor struct {
	name, dtype, shape string // shape as JSON, e.g. "[2,3]"
	data               []byte
}

// buildFile lays out tensors contiguously after a JSON header built from them.
func buildFile(meta string, ts ...rawTensor) []byte {
	var parts []string
	if meta != "" {
		parts = append(parts, `"__metadata__":`+meta)
	}
	var data []byte
	for _, t := range ts {
		parts = append(parts, fmt.Sprintf(`%q:{"dtype":%q,"shape":%s,"data_offsets":[%d,%d]}`,
			t.name, t.dtype, t.shape, len(data), len(data)+len(t.data)))
		data = append(data, t.data...)
	}
	return withHeader("{"+strings.Join(parts, ",")+"}", data)
}

// withHeader prefixes header with its length and appends data.
func withHeader(header string, data []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	out = append(out, header...)
	return append(out, data...)
}

func writeBytes(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func le16(vs ...uint16) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint16(b, v)
	}
	return b
}

func le32f(vs ...float32) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}
