//go:build goexperiment.simd && amd64

package pca

import "simd/archsimd"

// syrkUpper uses AVX2 fused multiply-adds where the CPU has them: the covariance is nearly all of
// the work of a fit, and four lanes at a time make 10,000×768 take a fraction of a second.
var syrkUpper = syrkUpperGo

func init() {
	if archsimd.X86.AVX2() && archsimd.X86.FMA() {
		syrkUpper = syrkUpperAVX2
	}
}

// syrkUpperAVX2 is syrkUpperGo with each 4×8 tile held in eight vector registers: per row, four
// broadcast values of the left features times two vectors of the right ones.
func syrkUpperAVX2(acc, block []float64, dp int) {
	rows := len(block) / dp
	for i := 0; i < dp; i += 4 {
		for j := i &^ 7; j < dp; j += 8 {
			var s00, s01, s10, s11, s20, s21, s30, s31 archsimd.Float64x4
			for r := range rows {
				row := block[r*dp : (r+1)*dp]
				b0 := archsimd.LoadFloat64x4Slice(row[j : j+4])
				b1 := archsimd.LoadFloat64x4Slice(row[j+4 : j+8])
				a := archsimd.BroadcastFloat64x4(row[i])
				s00 = a.MulAdd(b0, s00)
				s01 = a.MulAdd(b1, s01)
				a = archsimd.BroadcastFloat64x4(row[i+1])
				s10 = a.MulAdd(b0, s10)
				s11 = a.MulAdd(b1, s11)
				a = archsimd.BroadcastFloat64x4(row[i+2])
				s20 = a.MulAdd(b0, s20)
				s21 = a.MulAdd(b1, s21)
				a = archsimd.BroadcastFloat64x4(row[i+3])
				s30 = a.MulAdd(b0, s30)
				s31 = a.MulAdd(b1, s31)
			}
			for ii, pair := range [4][2]archsimd.Float64x4{{s00, s01}, {s10, s11}, {s20, s21}, {s30, s31}} {
				t := acc[(i+ii)*dp+j : (i+ii)*dp+j+8]
				pair[0].Add(archsimd.LoadFloat64x4Slice(t[:4])).StoreSlice(t[:4])
				pair[1].Add(archsimd.LoadFloat64x4Slice(t[4:])).StoreSlice(t[4:])
			}
		}
	}
}
