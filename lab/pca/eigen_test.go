package pca

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// randomOrthogonal returns a d×d orthogonal matrix (row-major) from Gram–Schmidt on Gaussian rows.
func randomOrthogonal(rng *rand.Rand, d int) [][]float64 {
	q := make([][]float64, d)
	for i := range q {
		for {
			v := make([]float64, d)
			for j := range v {
				v[j] = rng.NormFloat64()
			}
			for pass := 0; pass < 2; pass++ {
				for _, u := range q[:i] {
					axpy(-dot(v, u), u, v)
				}
			}
			if normalize(v) {
				q[i] = v
				break
			}
		}
	}
	return q
}

// withSpectrum returns Qᵀ·diag(vals)·Q for a random orthogonal Q (or diag(vals) itself when
// rotate is false), and Q's rows are then its eigenvectors.
func withSpectrum(rng *rand.Rand, vals []float64, rotate bool) []float64 {
	d := len(vals)
	a := make([]float64, d*d)
	if !rotate {
		for i, v := range vals {
			a[i*d+i] = v
		}
		return a
	}
	q := randomOrthogonal(rng, d)
	for i := range d {
		for j := range d {
			var s float64
			for m, v := range vals {
				s += q[m][i] * v * q[m][j]
			}
			a[i*d+j] = s
		}
	}
	return a
}

func TestTopEigenKnownSpectra(t *testing.T) {
	geometric := func(d int, r float64) []float64 {
		v := make([]float64, d)
		for i := range v {
			v[i] = math.Pow(r, float64(i))
		}
		return v
	}
	cases := []struct {
		name   string
		vals   []float64
		k      int
		rotate bool
	}{
		{"one", []float64{3}, 1, false},
		{"two", []float64{1, 4}, 2, true},
		{"three", []float64{2, -1, 7}, 3, true},
		{"geometric", geometric(60, 0.8), 10, true},
		{"geometric all", geometric(40, 0.7), 40, true},
		{"negative and positive", []float64{-5, 3, 0.5, -0.25, 2, 9, -9.5, 1}, 8, true},
		{"repeated top", append([]float64{5, 5, 5, 1, 1}, make([]float64, 25)...), 6, true},
		{"low rank", append([]float64{10, 3, 0.2}, make([]float64, 47)...), 5, true},
		{"tight cluster", append([]float64{1 + 2e-10, 1 + 1e-10, 1, 0.5}, geometric(30, 0.3)[2:]...), 4, true},
		{"diagonal", []float64{0.1, 8, 3, 3, 0.5, 6}, 6, false},
		{"zero", make([]float64, 12), 3, true},
		{"flat", slices.Repeat([]float64{2}, 20), 4, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, uint64(len(c.vals))))
			d := len(c.vals)
			a := withSpectrum(rng, c.vals, c.rotate)
			orig := slices.Clone(a)
			vals, vecs := topEigen(a, d, c.k)
			want := slices.Clone(c.vals)
			slices.Sort(want)
			slices.Reverse(want)
			scale := max(math.Abs(want[0]), math.Abs(want[d-1]), 1e-300)
			for i := range c.k {
				if math.Abs(vals[i]-want[i]) > 1e-13*scale*float64(d) {
					t.Errorf("λ%d = %.17g, want %.17g", i, vals[i], want[i])
				}
			}
			for i, v := range vecs {
				// ‖A·v − λ·v‖ small relative to ‖A‖ is what a backward-stable solver promises.
				var res float64
				for r := range d {
					s := -vals[i] * v[r]
					for col := range d {
						s += orig[r*d+col] * v[col]
					}
					res = max(res, math.Abs(s))
				}
				if res > 1e-13*scale*float64(d) {
					t.Errorf("vector %d: residual %.3g", i, res)
				}
				for j, u := range vecs[:i+1] {
					want := 0.0
					if i == j {
						want = 1
					}
					if got := dot(v, u); math.Abs(got-want) > 1e-12 {
						t.Errorf("v%d·v%d = %.3g, want %g", i, j, got, want)
					}
				}
			}
		})
	}
}

func TestSturmCount(t *testing.T) {
	// T with diagonal 2 and off-diagonal −1 has eigenvalues 2 − 2cos(jπ/(d+1)).
	d := 9
	diag, off := slices.Repeat([]float64{2}, d), slices.Repeat([]float64{-1}, d-1)
	for j := 1; j <= d; j++ {
		lambda := 2 - 2*math.Cos(float64(j)*math.Pi/float64(d+1))
		if got := sturmCount(diag, off, lambda-1e-9, 1e-300); got != j-1 {
			t.Errorf("below λ%d: count %d", j, got)
		}
		if got := sturmCount(diag, off, lambda+1e-9, 1e-300); got != j {
			t.Errorf("above λ%d: count %d", j, got)
		}
	}
}
