package pca

import (
	"runtime"
	"sync"
)

// rowBlock is how many rows are centred at a time: 128 rows of 768 features in float64 are
// 768 KiB, which stays in a core's L2 cache while every pair of features is summed over them.
const rowBlock = 128

// covariance returns the d×d matrix Xcᵀ·Xc of the centred rows, row-major (the sum, not yet
// divided by n−1). Rows are centred before they are multiplied, in float64: features such as
// BERT's [CLS] have a few dimensions whose mean is far larger than their spread, and the shortcut
// XᵀX − n·μμᵀ would cancel away most of the digits of those entries.
func covariance(x []float32, n, d int, mean []float64) []float64 {
	dp := (d + 7) &^ 7 // the kernels work on tiles of 4×8 features; the padding columns stay zero
	workers := min(runtime.GOMAXPROCS(0), (n+rowBlock-1)/rowBlock)
	parts := make([][]float64, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each worker sums its own share of the rows into its own matrix; adding the few
			// matrices at the end costs far less than sharing one.
			acc := make([]float64, dp*dp)
			block := make([]float64, rowBlock*dp)
			lo, hi := w*n/workers, (w+1)*n/workers
			for r0 := lo; r0 < hi; r0 += rowBlock {
				rows := min(rowBlock, hi-r0)
				centre(block, x, r0, rows, d, dp, mean)
				syrkUpper(acc, block[:rows*dp], dp)
			}
			parts[w] = acc
		}()
	}
	wg.Wait()
	c := make([]float64, d*d)
	for i := range d {
		for j := i; j < d; j++ {
			var s float64
			for _, p := range parts {
				s += p[i*dp+j]
			}
			c[i*d+j], c[j*d+i] = s, s
		}
	}
	return c
}

// centre writes rows r0…r0+rows−1 of x, minus the mean, into block as float64 rows of stride dp.
func centre(block []float64, x []float32, r0, rows, d, dp int, mean []float64) {
	for r := range rows {
		src := x[(r0+r)*d : (r0+r+1)*d]
		dst := block[r*dp : r*dp+d]
		for f, v := range src {
			dst[f] = float64(v) - mean[f]
		}
	}
}

// syrkUpperGo adds blockᵀ·block to acc (dp×dp) for every 4×8 tile that reaches the upper
// triangle. It is the portable kernel, and the reference the vector kernel is tested against.
func syrkUpperGo(acc, block []float64, dp int) {
	rows := len(block) / dp
	for i := 0; i < dp; i += 4 {
		for j := i &^ 7; j < dp; j += 8 {
			var s [4][8]float64
			for r := range rows {
				a := block[r*dp+i : r*dp+i+4 : r*dp+i+4]
				b := block[r*dp+j : r*dp+j+8 : r*dp+j+8]
				for ii, av := range a {
					for jj, bv := range b {
						s[ii][jj] += av * bv
					}
				}
			}
			for ii := range 4 {
				t := acc[(i+ii)*dp+j : (i+ii)*dp+j+8]
				for jj := range t {
					t[jj] += s[ii][jj]
				}
			}
		}
	}
}
