package weights

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
)

// dtypeInfo describes one safetensors dtype: its element size and the GoMLX
// dtype a tensor of it is materialised as (InvalidDType when the file may
// hold it but this package cannot convert it).
type dtypeInfo struct {
	size  int
	gomlx dtypes.DType
}

// knownDTypes lists every dtype of the safetensors spec that has a whole-byte
// element size. Files holding one of these open fine (so a checkpoint with an
// odd extra tensor is still usable); only reading that tensor fails.
var knownDTypes = map[string]dtypeInfo{
	"BOOL":    {1, dtypes.Bool},
	"U8":      {1, dtypes.Uint8},
	"I8":      {1, dtypes.Int8},
	"F8_E5M2": {1, dtypes.InvalidDType},
	"F8_E4M3": {1, dtypes.InvalidDType},
	"I16":     {2, dtypes.Int16},
	"U16":     {2, dtypes.Uint16},
	"F16":     {2, dtypes.Float32},
	"BF16":    {2, dtypes.Float32},
	"I32":     {4, dtypes.Int32},
	"U32":     {4, dtypes.Uint32},
	"F32":     {4, dtypes.Float32},
	"F64":     {8, dtypes.Float64},
	"I64":     {8, dtypes.Int64},
	"U64":     {8, dtypes.Uint64},
}

// isFloat32Source reports whether Float32s can convert the dtype exactly.
func isFloat32Source(dtype string) bool {
	return dtype == "F32" || dtype == "F16" || dtype == "BF16"
}

// decodeFloat32s converts little-endian src of the given dtype into dst
// (len(dst) elements). The caller guarantees len(src) == len(dst)*size.
func decodeFloat32s(dtype string, src []byte, dst []float32) {
	switch dtype {
	case "F32":
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		}
	case "F16":
		for i := range dst {
			dst[i] = math.Float32frombits(f16ToF32Bits(binary.LittleEndian.Uint16(src[2*i:])))
		}
	case "BF16":
		for i := range dst {
			// bfloat16 is the top half of a float32, so widening is exact for
			// every value including NaN payloads.
			dst[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(src[2*i:])) << 16)
		}
	default:
		panic("weights: decodeFloat32s called with " + dtype)
	}
}

// f16ToF32Bits widens IEEE 754 binary16 bits to binary32 bits exactly.
// Done by hand rather than through a float16 library so subnormals and NaN
// payloads are provably preserved (tested bit for bit).
func f16ToF32Bits(h uint16) uint32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // inf or NaN: keep the payload, shifted into place.
		return sign | 0x7f800000 | mant<<13
	case exp != 0: // normal: rebias 15 → 127.
		return sign | (exp+127-15)<<23 | mant<<13
	case mant == 0: // ±0
		return sign
	default:
		// Subnormal half = mant × 2^-24, which is a normal float32: shift the
		// mantissa until its leading 1 reaches the implicit-bit position.
		e := uint32(127 - 15 + 1)
		for mant&0x400 == 0 {
			mant <<= 1
			e--
		}
		return sign | e<<23 | (mant&0x3ff)<<13
	}
}

// fillTensor decodes raw (little-endian, of the given safetensors dtype) into
// the freshly allocated host tensor t, whose dtype is knownDTypes[dtype].gomlx.
func fillTensor(t *tensors.Tensor, dtype string, raw []byte) error {
	le := binary.LittleEndian
	switch dtype {
	case "F32", "F16", "BF16":
		return tensors.MutableFlatData(t, func(flat []float32) { decodeFloat32s(dtype, raw, flat) })
	case "F64":
		return tensors.MutableFlatData(t, func(flat []float64) {
			for i := range flat {
				flat[i] = math.Float64frombits(le.Uint64(raw[8*i:]))
			}
		})
	case "BOOL":
		return tensors.MutableFlatData(t, func(flat []bool) {
			for i := range flat {
				flat[i] = raw[i] != 0
			}
		})
	case "U8":
		return tensors.MutableFlatData(t, func(flat []uint8) { copy(flat, raw) })
	case "I8":
		return tensors.MutableFlatData(t, func(flat []int8) {
			for i := range flat {
				flat[i] = int8(raw[i])
			}
		})
	case "I16":
		return tensors.MutableFlatData(t, func(flat []int16) {
			for i := range flat {
				flat[i] = int16(le.Uint16(raw[2*i:]))
			}
		})
	case "U16":
		return tensors.MutableFlatData(t, func(flat []uint16) {
			for i := range flat {
				flat[i] = le.Uint16(raw[2*i:])
			}
		})
	case "I32":
		return tensors.MutableFlatData(t, func(flat []int32) {
			for i := range flat {
				flat[i] = int32(le.Uint32(raw[4*i:]))
			}
		})
	case "U32":
		return tensors.MutableFlatData(t, func(flat []uint32) {
			for i := range flat {
				flat[i] = le.Uint32(raw[4*i:])
			}
		})
	case "I64":
		return tensors.MutableFlatData(t, func(flat []int64) {
			for i := range flat {
				flat[i] = int64(le.Uint64(raw[8*i:]))
			}
		})
	case "U64":
		return tensors.MutableFlatData(t, func(flat []uint64) {
			for i := range flat {
				flat[i] = le.Uint64(raw[8*i:])
			}
		})
	}
	return fmt.Errorf("dtype %s cannot be converted", dtype)
}
