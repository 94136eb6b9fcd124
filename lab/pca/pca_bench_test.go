package pca

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkFit10000x768 fits the size of a [CLS] feature map: 10,000 rows of 768 features with a
// few strong directions over noise, as real features have.
func BenchmarkFit10000x768(b *testing.B) {
	n, d := 10000, 768
	x := lowRank(rand.New(rand.NewPCG(1, 2)), n, d, 8, 0.5)
	for b.Loop() {
		if _, err := Fit(x, n, d, 2); err != nil {
			b.Fatal(err)
		}
	}
}

// lowRank returns n×d rows that lie near a random rank-r subspace (axis scales 10, 5, 3.3, …)
// with Gaussian noise of the given size and a per-feature offset.
func lowRank(rng *rand.Rand, n, d, r int, noise float64) []float32 {
	basis := make([][]float64, r)
	for i := range basis {
		basis[i] = make([]float64, d)
		for j := range basis[i] {
			basis[i][j] = rng.NormFloat64() / 28
		}
	}
	offset := make([]float64, d)
	for j := range offset {
		offset[j] = 3 * rng.NormFloat64()
	}
	x := make([]float32, n*d)
	for row := range n {
		v := x[row*d : (row+1)*d]
		for j := range v {
			v[j] = float32(offset[j] + noise*rng.NormFloat64())
		}
		for i, bv := range basis {
			c := 10 / float64(i+1) * rng.NormFloat64()
			for j := range v {
				v[j] += float32(c * bv[j])
			}
		}
	}
	return x
}
