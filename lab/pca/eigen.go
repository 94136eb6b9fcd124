package pca

import "math"

// topEigen returns the k largest eigenvalues of the symmetric d×d row-major matrix a, in
// decreasing order, and unit eigenvectors for them as the rows of vecs. Only the lower triangle
// of a is read, and a is overwritten.
//
// It follows the path of LAPACK's selective symmetric eigensolvers rather than iterating on the
// matrix: a Householder reduction to tridiagonal form (the one O(d³) step), bisection for just the
// wanted eigenvalues, inverse iteration for their vectors, and the reflections applied back. Its
// time and accuracy do not depend on how well the top eigenvalues are separated from the rest,
// which for a flat spectrum would make subspace iteration crawl.
func topEigen(a []float64, d, k int) (vals []float64, vecs [][]float64) {
	diag, off, refl := tridiagonalize(a, d)
	vals = topTridiagonalEigenvalues(diag, off, k)
	vecs = tridiagonalEigenvectors(diag, off, vals)
	for _, v := range vecs {
		reflectBack(v, refl)
	}
	return vals, vecs
}

// reflector is one Householder reflection I − β·v·vᵀ acting on coordinates first… of a vector.
type reflector struct {
	first int
	beta  float64
	v     []float64
}

// tridiagonalize reduces a to T = Qᵀ·a·Q, T tridiagonal with diagonal diag and off-diagonal off,
// and returns Q as the reflections it is the product of (Q = H₀·H₁·…). Only the lower triangle
// is read and updated, which halves both the arithmetic and the memory traffic.
func tridiagonalize(a []float64, d int) (diag, off []float64, refl []reflector) {
	off = make([]float64, max(d-1, 0))
	p := make([]float64, d)
	for k := 0; k+2 < d; k++ {
		m := d - k - 1
		v := make([]float64, m)
		for i := range m {
			v[i] = a[(k+1+i)*d+k]
		}
		var tail float64 // squared norm of v[1:]: when it is 0 the column is already reduced
		for _, x := range v[1:] {
			tail += x * x
		}
		if tail == 0 {
			off[k] = v[0]
			continue
		}
		norm := math.Sqrt(v[0]*v[0] + tail)
		alpha := -math.Copysign(norm, v[0]) // opposite sign to v[0], so v[0]−alpha cannot cancel
		v[0] -= alpha
		beta := 2 / (v[0]*v[0] + tail)
		off[k] = alpha

		// p = β·A₂₂·v, reading A₂₂ (rows and columns k+1…) through its lower triangle only:
		// each stored element a[i][j], j<i, contributes to both p[i] and p[j].
		p := p[:m]
		clear(p)
		for i := range m {
			row := a[(k+1+i)*d+k+1 : (k+1+i)*d+k+2+i]
			vi := v[i]
			s := row[i] * vi
			lower, pl, vl := row[:i], p[:i], v[:i]
			for j, x := range lower {
				s += x * vl[j]
				pl[j] += x * vi
			}
			p[i] += s
		}
		var pv float64
		for i := range m {
			p[i] *= beta
			pv += p[i] * v[i]
		}
		// w = p − (β·pᵀv/2)·v makes A₂₂ − v·wᵀ − w·vᵀ equal to H·A₂₂·H.
		half := beta * pv / 2
		for i := range m {
			p[i] -= half * v[i]
		}
		for i := range m {
			row := a[(k+1+i)*d+k+1 : (k+1+i)*d+k+2+i]
			vi, wi := v[i], p[i]
			vl, wl := v[:i+1], p[:i+1]
			for j := range row {
				row[j] -= vi*wl[j] + wi*vl[j]
			}
		}
		refl = append(refl, reflector{first: k + 1, beta: beta, v: v})
	}
	if d >= 2 {
		off[d-2] = a[(d-1)*d+d-2]
	}
	diag = make([]float64, d)
	for i := range d {
		diag[i] = a[i*d+i]
	}
	return diag, off, refl
}
