// Package pca is principal component analysis as scikit-learn's PCA computes it, for looking at
// the lab's features in two dimensions: a map of [CLS] features or CLIP embeddings coloured by
// label. Fit matches sklearn ≥ 1.5: the same components with the same signs, the same explained
// variances (divided by n−1) and the same transformed coordinates.
package pca

import (
	"errors"
	"fmt"
	"math"
)

// PCA is a fitted projection onto the top principal axes.
type PCA struct {
	Mean       []float64   // per-feature mean of the fitted rows (d)
	Components [][]float64 // k unit principal axes of length d, largest variance first
	// ExplainedVariance is the variance of the data along each component (divided by n−1, as
	// sklearn's explained_variance_); ExplainedVarianceRatio is it as a fraction of the total
	// variance over all d features.
	ExplainedVariance, ExplainedVarianceRatio []float64
}

// Fit finds the top k principal axes of the n×d row-major matrix x (n rows of d features).
//
// The data are centred and their d×d covariance is decomposed in float64 with a direct
// symmetric eigensolver, so the result does not depend on a random start or on how many
// iterations were run. Each component's sign is chosen as sklearn ≥ 1.5 chooses it (svd_flip
// with u_based_decision=False): its entry of largest magnitude is positive. Components along
// which the data have no variance (k above the rank of the centred data) are valid but arbitrary
// unit vectors orthogonal to the others, as they are in sklearn.
func Fit(x []float32, n, d, k int) (*PCA, error) {
	switch {
	case n < 2:
		return nil, fmt.Errorf("pca: %d rows: the variance needs at least 2", n)
	case d < 1:
		return nil, fmt.Errorf("pca: %d features: need at least 1", d)
	case k < 1:
		return nil, fmt.Errorf("pca: %d components: need at least 1", k)
	case k > min(n, d):
		return nil, fmt.Errorf("pca: %d components from %d rows of %d features: at most min(rows, features) = %d",
			k, n, d, min(n, d))
	}
	if err := checkMatrix(x, n, d); err != nil {
		return nil, err
	}

	mean := make([]float64, d)
	for r := range n {
		for f, v := range x[r*d : (r+1)*d] {
			mean[f] += float64(v)
		}
	}
	for f := range mean {
		mean[f] /= float64(n)
	}
	c := covariance(x, n, d, mean)
	var total float64
	for i := range d {
		c[i*d+i] /= float64(n - 1)
		total += c[i*d+i]
		for j := range i { // topEigen reads the lower triangle only
			c[i*d+j] /= float64(n - 1)
		}
	}
	if total == 0 {
		return nil, errors.New("pca: all rows are equal: the data have no variance to analyse")
	}

	vals, vecs := topEigen(c, d, k)
	p := &PCA{Mean: mean, Components: vecs,
		ExplainedVariance: make([]float64, k), ExplainedVarianceRatio: make([]float64, k)}
	for i, v := range vals {
		// Rounding can leave a zero eigenvalue slightly negative; a variance cannot be.
		v = max(v, 0)
		p.ExplainedVariance[i] = v
		p.ExplainedVarianceRatio[i] = v / total
		flipSign(vecs[i])
	}
	return p, nil
}

// flipSign makes the entry of largest magnitude positive (the first such entry on a tie, like
// NumPy's argmax), which is how sklearn makes the otherwise arbitrary sign reproducible.
func flipSign(v []float64) {
	big := 0
	for i, x := range v {
		if math.Abs(x) > math.Abs(v[big]) {
			big = i
		}
	}
	if v[big] < 0 {
		for i := range v {
			v[i] = -v[i]
		}
	}
}

// Transform projects the n×d row-major rows of x onto the components: the result is n×k,
// row-major (row r holds sample r's k coordinates), like sklearn's transform(). Column picks one
// coordinate of every sample out of it, e.g. the x and y of a 2-D map.
func (p *PCA) Transform(x []float32, n int) ([]float64, error) {
	d, k := len(p.Mean), len(p.Components)
	if n < 0 {
		return nil, fmt.Errorf("pca: %d rows", n)
	}
	if err := checkMatrix(x, n, d); err != nil {
		return nil, err
	}
	z := make([]float64, n*k)
	centred := make([]float64, d)
	for r := range n {
		for f, v := range x[r*d : (r+1)*d] {
			centred[f] = float64(v) - p.Mean[f]
		}
		for c, axis := range p.Components {
			z[r*k+c] = dot(centred, axis)
		}
	}
	return z, nil
}

// Column returns coordinate j of every row of z, an n×k row-major result of Transform. It panics
// when j is not in [0, k) or len(z) is not a multiple of k, as indexing out of range would.
func Column(z []float64, k, j int) []float64 {
	if k < 1 || j < 0 || j >= k || len(z)%k != 0 {
		panic(fmt.Sprintf("pca.Column: coordinate %d of %d-column rows, %d values", j, k, len(z)))
	}
	col := make([]float64, len(z)/k)
	for r := range col {
		col[r] = z[r*k+j]
	}
	return col
}

// checkMatrix reports a size mismatch or the first non-finite value: one NaN would otherwise
// turn every component into NaN without saying where it came from.
func checkMatrix(x []float32, n, d int) error {
	if len(x) != n*d {
		return fmt.Errorf("pca: %d values for %d rows of %d features (want %d)", len(x), n, d, n*d)
	}
	for i, v := range x {
		// An all-ones exponent is NaN or ±Inf; testing the bits keeps this scan of 7.7 million
		// values to a few milliseconds.
		if math.Float32bits(v)&0x7f800000 == 0x7f800000 {
			return fmt.Errorf("pca: row %d, feature %d is %v", i/d, i%d, v)
		}
	}
	return nil
}
