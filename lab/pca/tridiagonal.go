package pca

import (
	"math"
	"math/rand/v2"
)

// sturmCount is the number of eigenvalues of the tridiagonal matrix (diag, off) below x: the
// number of negative pivots of T − x·I's LDLᵀ factorization (Sylvester's law of inertia).
func sturmCount(diag, off []float64, x, pivmin float64) int {
	count := 0
	q := diag[0] - x
	for i := 0; ; i++ {
		if math.Abs(q) < pivmin {
			q = -pivmin // a zero pivot counts as negative, which keeps the count monotone in x
		}
		if q < 0 {
			count++
		}
		if i+1 == len(diag) {
			return count
		}
		q = diag[i+1] - x - off[i]*off[i]/q
	}
}

// tridiagonalNorm is the largest absolute row sum, a bound on every eigenvalue's magnitude.
func tridiagonalNorm(diag, off []float64) float64 {
	var norm float64
	for i, a := range diag {
		s := math.Abs(a)
		if i > 0 {
			s += math.Abs(off[i-1])
		}
		if i < len(off) {
			s += math.Abs(off[i])
		}
		norm = max(norm, s)
	}
	return norm
}

// topTridiagonalEigenvalues finds the k largest eigenvalues, in decreasing order, by bisection on
// the Sturm count, each to within a few units in the last place of the largest one.
func topTridiagonalEigenvalues(diag, off []float64, k int) []float64 {
	d := len(diag)
	norm := tridiagonalNorm(diag, off)
	var maxOff2 float64
	for _, e := range off {
		maxOff2 = max(maxOff2, e*e)
	}
	pivmin := math.SmallestNonzeroFloat64 * 0x1p52 * max(1, maxOff2) // the smallest normal, scaled
	abstol := 2 * eps * norm
	vals := make([]float64, k)
	for j := range k {
		idx := d - 1 - j // rank from the bottom: count(x) ≤ idx < count(hi) brackets it
		lo, hi := -norm-abstol, norm+abstol
		if j > 0 {
			hi = min(hi, vals[j-1]+abstol) // the next one down is no larger than the last found
		}
		for hi-lo > max(abstol, 2*eps*max(math.Abs(lo), math.Abs(hi))) {
			mid := lo + (hi-lo)/2
			if mid == lo || mid == hi {
				break
			}
			if sturmCount(diag, off, mid, pivmin) > idx {
				hi = mid
			} else {
				lo = mid
			}
		}
		vals[j] = lo + (hi-lo)/2
	}
	return vals
}

const eps = 0x1p-53 // unit roundoff of float64

// tridiagonalEigenvectors computes a unit eigenvector of the tridiagonal (diag, off) for each of
// vals (decreasing) by inverse iteration. Eigenvalues closer than a thousandth of the matrix norm
// form a cluster whose vectors inverse iteration alone would not keep apart, so each new vector is
// made orthogonal to the cluster's earlier ones at every step; eigenvalues that are equal to
// working precision are first nudged apart so that the solves differ.
func tridiagonalEigenvectors(diag, off, vals []float64) [][]float64 {
	d := len(diag)
	norm := tridiagonalNorm(diag, off)
	if norm == 0 {
		norm = 1 // the zero matrix: any orthonormal vectors will do, and the solves must not divide by 0
	}
	clusterGap := 1e-3 * norm
	nudge := 10 * eps * norm
	rng := rand.New(rand.NewPCG(0x5ca1ab1e, uint64(d)))
	f := newTridiagonalLU(d)
	vecs := make([][]float64, len(vals))
	shifts := make([]float64, len(vals))
	start := 0 // first index of the current cluster
	for j, lambda := range vals {
		if j > 0 && vals[j-1]-lambda > clusterGap {
			start = j
		}
		if j > start && shifts[j-1]-lambda < nudge {
			lambda = shifts[j-1] - nudge
		}
		shifts[j] = lambda
		f.factor(diag, off, lambda, eps*norm)
		z := make([]float64, d)
		for i := range z {
			z[i] = rng.Float64() - 0.5
		}
		normalize(z)
		// Each solve multiplies the wanted component by 1/|λ−λᵢ|-ish, at least ~10¹² relative to the
		// others for an isolated eigenvalue; five passes also let a cluster's orthogonalization settle.
		for range 5 {
			f.solve(z)
			for _, u := range vecs[start:j] {
				axpy(-dot(z, u), u, z)
			}
			if !normalize(z) {
				// Orthogonalization removed everything (the cluster is as large as the space
				// spanned so far): restart from a fresh random vector.
				for i := range z {
					z[i] = rng.Float64() - 0.5
				}
				for _, u := range vecs[start:j] {
					axpy(-dot(z, u), u, z)
				}
				normalize(z)
			}
		}
		vecs[j] = z
	}
	return vecs
}

// tridiagonalLU is the LU factorization with partial pivoting of T − λ·I: U has a diagonal u0 and
// two superdiagonals u1, u2; l holds the multipliers, swapped[i] whether rows i and i+1 traded.
type tridiagonalLU struct {
	u0, u1, u2, l []float64
	swapped       []bool
}

func newTridiagonalLU(d int) *tridiagonalLU {
	return &tridiagonalLU{u0: make([]float64, d), u1: make([]float64, d), u2: make([]float64, d),
		l: make([]float64, d), swapped: make([]bool, d)}
}

// factor factorizes T − λ·I. Pivots smaller than tiny (λ is an eigenvalue, so U is singular to
// working precision) are raised to tiny: the solve then returns a huge multiple of the eigenvector
// instead of dividing by zero.
func (f *tridiagonalLU) factor(diag, off []float64, lambda, tiny float64) {
	d := len(diag)
	for i := range d {
		f.u0[i] = diag[i] - lambda
		f.u1[i], f.u2[i], f.l[i], f.swapped[i] = 0, 0, 0, false
		if i < d-1 {
			f.u1[i] = off[i]
		}
	}
	for i := 0; i+1 < d; i++ {
		sub := off[i] // row i+1's entry in column i
		if math.Abs(f.u0[i]) >= math.Abs(sub) {
			if f.u0[i] == 0 {
				continue // the column is already zero below the diagonal
			}
			m := sub / f.u0[i]
			f.l[i] = m
			f.u0[i+1] -= m * f.u1[i]
			continue
		}
		// Row i+1 has the larger leading entry: swap it up. Row i+1 is (sub, u0[i+1], u1[i+1]);
		// row i is (u0[i], u1[i], 0).
		m := f.u0[i] / sub
		f.l[i], f.swapped[i] = m, true
		f.u0[i] = sub
		u1i := f.u1[i]
		f.u1[i] = f.u0[i+1]
		f.u0[i+1] = u1i - m*f.u0[i+1]
		if i+2 < d {
			f.u2[i] = f.u1[i+1]
			f.u1[i+1] = -m * f.u1[i+1]
		}
	}
	for i := range d {
		if math.Abs(f.u0[i]) < tiny {
			f.u0[i] = math.Copysign(tiny, f.u0[i])
		}
	}
}

// solve overwrites b with (T − λ·I)⁻¹·b.
func (f *tridiagonalLU) solve(b []float64) {
	d := len(b)
	for i := 0; i+1 < d; i++ {
		if f.swapped[i] {
			b[i], b[i+1] = b[i+1], b[i]
		}
		b[i+1] -= f.l[i] * b[i]
	}
	for i := d - 1; i >= 0; i-- {
		s := b[i]
		if i+1 < d {
			s -= f.u1[i] * b[i+1]
		}
		if i+2 < d {
			s -= f.u2[i] * b[i+2]
		}
		b[i] = s / f.u0[i]
	}
}

// reflectBack turns an eigenvector of T into one of the original matrix: z ← Q·z = H₀·(H₁·(…·z)).
func reflectBack(z []float64, refl []reflector) {
	for r := len(refl) - 1; r >= 0; r-- {
		h := refl[r]
		part := z[h.first : h.first+len(h.v)]
		axpy(-h.beta*dot(part, h.v), h.v, part)
	}
}

func dot(a, b []float64) float64 {
	var s float64
	b = b[:len(a)]
	for i, x := range a {
		s += x * b[i]
	}
	return s
}

// axpy adds alpha·x to y.
func axpy(alpha float64, x, y []float64) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

// normalize scales v to unit length; it reports false, leaving v alone, when v is zero or its
// length is not finite.
func normalize(v []float64) bool {
	// Scale by the largest entry first: after a solve against a nearly singular matrix the
	// entries can be large enough for their squares to overflow.
	var big float64
	for _, x := range v {
		big = max(big, math.Abs(x))
	}
	if big == 0 || math.IsInf(big, 0) || math.IsNaN(big) {
		return false
	}
	var s float64
	for i := range v {
		v[i] /= big
		s += v[i] * v[i]
	}
	s = 1 / math.Sqrt(s)
	for i := range v {
		v[i] *= s
	}
	return true
}
