package svm

import (
	"math"
	"runtime"
	"sync"
)

// dense is a row-major float64 matrix. The solvers work in float64 like liblinear does, even
// though the lab's features arrive as float32, so that rounding never steers the optimiser
// away from sklearn's path.
type dense struct {
	rows, cols int
	data       []float64
}

func (m *dense) row(i int) []float64 { return m.data[i*m.cols : (i+1)*m.cols] }

// chunkRows fixes how rows are split for the parallel products. The split, and therefore the
// order in which partial sums are added, depends only on the data size, never on GOMAXPROCS,
// so a fit gives bit-identical results on a laptop and on a 64-core server.
const chunkRows = 256

// forChunks runs fn over [0,n) in chunkRows-sized pieces, spread over up to GOMAXPROCS
// goroutines. fn receives the chunk index so callers can keep per-chunk partial results.
func forChunks(n int, fn func(chunk, lo, hi int)) {
	chunks := (n + chunkRows - 1) / chunkRows
	workers := min(runtime.GOMAXPROCS(0), chunks)
	if workers <= 1 {
		for c := 0; c < chunks; c++ {
			fn(c, c*chunkRows, min(n, (c+1)*chunkRows))
		}
		return
	}
	var wg sync.WaitGroup
	next := make(chan int, chunks)
	for c := 0; c < chunks; c++ {
		next <- c
	}
	close(next)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range next {
				fn(c, c*chunkRows, min(n, (c+1)*chunkRows))
			}
		}()
	}
	wg.Wait()
}

// The explicit float64 conversions below forbid the compiler from fusing multiply-adds (it
// may on arm64, see the spec's note on fused operations), so every platform rounds the same
// way and fits are reproducible across machines.

// dot uses four accumulators: the dense products dominate the primal solver's run time and
// the independent chains let the CPU overlap the adds.
func dot(a, b []float64) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += float64(a[i] * b[i])
		s1 += float64(a[i+1] * b[i+1])
		s2 += float64(a[i+2] * b[i+2])
		s3 += float64(a[i+3] * b[i+3])
	}
	for ; i < len(a); i++ {
		s0 += float64(a[i] * b[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// dotSeq adds left to right, exactly like liblinear's sparse loops; the dual solver needs that
// to stay on sklearn's coordinate-descent path bit for bit.
func dotSeq(a, b []float64) float64 {
	b = b[:len(a)]
	var s float64
	for i := range a {
		s += float64(a[i] * b[i])
	}
	return s
}

// axpy computes y += alpha*x.
func axpy(alpha float64, x, y []float64) {
	y = y[:len(x)]
	for i := range x {
		y[i] += float64(alpha * x[i])
	}
}

func nrm2(x []float64) float64 { return math.Sqrt(dot(x, x)) }
