// Package svm fits linear support-vector classifiers the way scikit-learn's LinearSVC does:
// liblinear's L2-regularised squared-hinge loss (L2R_L2LOSS_SVC), with the intercept learnt as
// an extra, regularised bias feature and one-vs-rest for more than two classes.
//
// Two solvers are offered. Primal (the default) is liblinear's trust-region Newton method,
// which is what LinearSVC(dual="auto") picks from sklearn 1.5 on whenever there are more
// samples than features, as in the lab's 8530 × 768 [CLS] features. Dual is liblinear's
// coordinate descent on the dual problem, the default of older sklearn releases; given
// sklearn's liblinear seed it reproduces sklearn's iterates exactly.
package svm

import (
	"errors"
	"fmt"
	"log"
	"math"
	"slices"

	"github.com/go-translab/translab/lab/metrics"
)

// Solver selects the liblinear optimiser.
type Solver int

const (
	// Primal is the trust-region Newton method on the primal problem (LinearSVC(dual=False)).
	Primal Solver = iota
	// Dual is coordinate descent on the dual problem (LinearSVC(dual=True)).
	Dual
)

func (s Solver) String() string {
	switch s {
	case Primal:
		return "primal"
	case Dual:
		return "dual"
	}
	return fmt.Sprintf("Solver(%d)", int(s))
}

// Options configures Fit. The zero value means LinearSVC's defaults: C=1, tol=1e-4,
// max_iter=1000, intercept fitted with intercept_scaling=1, no feature scaling, primal solver.
type Options struct {
	C       float64 // inverse regularisation strength; 0 means 1
	Tol     float64 // liblinear eps; 0 means 1e-4
	MaxIter int     // 0 means 1000
	Solver  Solver

	// NoIntercept drops the bias feature (sklearn's fit_intercept=False). It is a negative
	// so that the zero value fits an intercept, like sklearn.
	NoIntercept bool
	// InterceptScaling is the value of the synthetic bias feature; 0 means 1. Because the
	// bias weight is regularised, larger values weaken the penalty on the intercept.
	InterceptScaling float64

	// Standardize scales each feature to zero mean and unit variance (population variance,
	// like StandardScaler) before fitting; Coef and Intercept are mapped back so the model
	// takes raw features. Off by default because LinearSVC does not scale.
	Standardize bool

	// Seed seeds the dual solver's permutations: the value sklearn passes to liblinear,
	// np.random.RandomState(random_state).randint(2**31 - 1). The primal solver is
	// deterministic and ignores it.
	Seed uint32

	// Warn receives ConvergenceWarning-style messages; nil logs them with the log package.
	Warn func(msg string)
}

func (o Options) withDefaults() (Options, error) {
	if o.C == 0 {
		o.C = 1
	}
	if o.Tol == 0 {
		o.Tol = 1e-4
	}
	if o.MaxIter == 0 {
		o.MaxIter = 1000
	}
	if o.InterceptScaling == 0 {
		o.InterceptScaling = 1
	}
	switch {
	case !(o.C > 0) || math.IsInf(o.C, 0):
		return o, fmt.Errorf("svm: C must be positive and finite, got %v", o.C)
	case !(o.Tol > 0) || math.IsInf(o.Tol, 0):
		return o, fmt.Errorf("svm: Tol must be positive and finite, got %v", o.Tol)
	case o.MaxIter < 0:
		return o, fmt.Errorf("svm: MaxIter must be positive, got %d", o.MaxIter)
	case !o.NoIntercept && (!(o.InterceptScaling > 0) || math.IsInf(o.InterceptScaling, 0)):
		return o, fmt.Errorf("svm: InterceptScaling must be positive and finite, got %v (use NoIntercept to drop the intercept)", o.InterceptScaling)
	case o.Solver != Primal && o.Solver != Dual:
		return o, fmt.Errorf("svm: unknown solver %v", o.Solver)
	}
	return o, nil
}

// Model is a fitted linear classifier.
type Model struct {
	Classes   []int       // sorted distinct training labels (sklearn's classes_)
	Coef      [][]float64 // [1][d] for two classes (positive class Classes[1]), else [k][d]
	Intercept []float64   // one per row of Coef
	NIter     int         // largest iteration count over the binary problems (sklearn's n_iter_.max())
	Converged bool        // false when some problem hit MaxIter (sklearn's ConvergenceWarning)
	Solver    Solver
}

// NumFeatures is the number of input features the model expects.
func (m *Model) NumFeatures() int { return len(m.Coef[0]) }

// Fit trains on rows X (all of equal length) with integer labels y.
func Fit(X [][]float32, y []int, o Options) (*Model, error) {
	if len(X) == 0 {
		return nil, errors.New("svm: no training samples")
	}
	d := len(X[0])
	flat := make([]float32, 0, len(X)*d)
	for i, row := range X {
		if len(row) != d {
			return nil, fmt.Errorf("svm: row %d has %d features, row 0 has %d", i, len(row), d)
		}
		flat = append(flat, row...)
	}
	return FitFlat(flat, len(X), d, y, o)
}

// FitFlat trains on an n×d row-major matrix X with integer labels y.
func FitFlat(X []float32, n, d int, y []int, o Options) (*Model, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	switch {
	case n <= 0:
		return nil, errors.New("svm: no training samples")
	case d <= 0:
		return nil, fmt.Errorf("svm: need at least one feature, got %d", d)
	case len(X) != n*d:
		return nil, fmt.Errorf("svm: X has %d values, want n×d = %d×%d = %d", len(X), n, d, n*d)
	case len(y) != n:
		return nil, fmt.Errorf("svm: %d labels for %d samples", len(y), n)
	}
	for k, v := range X {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("svm: X[%d][%d] is %v; features must be finite", k/d, k%d, v)
		}
	}
	classes := slices.Clone(y)
	slices.Sort(classes)
	classes = slices.Compact(classes)
	if len(classes) < 2 {
		return nil, fmt.Errorf("svm: need samples of at least 2 classes, but the data contains only class %d", classes[0])
	}

	mean, scale := make([]float64, d), make([]float64, d)
	for j := range scale {
		scale[j] = 1
	}
	if o.Standardize {
		standardization(X, n, d, mean, scale)
	}

	// liblinear groups the rows by class (classes in sorted order, original order within a
	// class) before solving; the dual solver's random permutations index into that order.
	classIdx := make([]int, n)
	counts := make([]int, len(classes))
	for i, v := range y {
		classIdx[i], _ = slices.BinarySearch(classes, v)
		counts[classIdx[i]]++
	}
	order := make([]int, 0, n)
	for c := range classes {
		for i := range y {
			if classIdx[i] == c {
				order = append(order, i)
			}
		}
	}

	cols := d
	if !o.NoIntercept {
		cols++
	}
	x := &dense{rows: n, cols: cols, data: make([]float64, n*cols)}
	grouped := make([]int, n)
	for r, i := range order {
		row := x.row(r)
		src := X[i*d : (i+1)*d]
		for j, v := range src {
			row[j] = (float64(v) - mean[j]) / scale[j]
		}
		if !o.NoIntercept {
			row[d] = o.InterceptScaling
		}
		grouped[r] = classIdx[i]
	}

	m := &Model{Classes: classes, Solver: o.Solver, Converged: true}
	problems := len(classes)
	if problems == 2 {
		problems = 1
	}
	rng := newMT19937(o.Seed) // shared across one-vs-rest problems, as liblinear's global generator is
	yb := make([]float64, n)
	cs := make([]float64, n)
	for c := range cs {
		cs[c] = o.C
	}
	for p := 0; p < problems; p++ {
		positive := p
		if len(classes) == 2 {
			positive = 1 // sklearn's binary convention: classes_[1] is the positive class
		}
		pos := 0
		for r, c := range grouped {
			if c == positive {
				yb[r] = 1
				pos++
			} else {
				yb[r] = -1
			}
		}
		w := make([]float64, cols)
		var iters int
		switch o.Solver {
		case Primal:
			// liblinear tightens the primal tolerance by the minority-class fraction.
			eps := o.Tol * float64(max(min(pos, n-pos), 1)) / float64(n)
			iters = tron(newSquaredHinge(x, yb, cs), w, eps, o.MaxIter)
		case Dual:
			iters = dualCD(x, yb, cs, w, o.Tol, o.MaxIter, rng)
		}
		m.NIter = max(m.NIter, iters)
		coef := make([]float64, d)
		b := 0.0
		if !o.NoIntercept {
			b = o.InterceptScaling * w[d]
		}
		for j := range coef {
			coef[j] = w[j] / scale[j]
			b -= coef[j] * mean[j]
		}
		m.Coef = append(m.Coef, coef)
		m.Intercept = append(m.Intercept, b)
	}
	if m.NIter >= o.MaxIter {
		m.Converged = false
		msg := fmt.Sprintf("svm: ConvergenceWarning: liblinear %s solver failed to converge in %d iterations; increase MaxIter", o.Solver, o.MaxIter)
		if o.Warn != nil {
			o.Warn(msg)
		} else {
			log.Print(msg)
		}
	}
	return m, nil
}

// standardization fills mean and scale with per-feature means and population standard
// deviations; constant features keep scale 1 so they map to 0 instead of NaN.
func standardization(X []float32, n, d int, mean, scale []float64) {
	for i := 0; i < n; i++ {
		for j, v := range X[i*d : (i+1)*d] {
			mean[j] += float64(v)
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	vars := make([]float64, d)
	for i := 0; i < n; i++ {
		for j, v := range X[i*d : (i+1)*d] {
			dv := float64(v) - mean[j]
			vars[j] += dv * dv
		}
	}
	for j, v := range vars {
		if sd := math.Sqrt(v / float64(n)); sd > 0 {
			scale[j] = sd
		}
	}
}

// Decision returns decision_function values: one per row for two classes (positive means
// Classes[1]), otherwise a row-major n×k block with one column per class.
// It panics if a row's length differs from the training feature count.
func (m *Model) Decision(X [][]float32) []float64 {
	k := len(m.Coef)
	out := make([]float64, 0, len(X)*k)
	for i, row := range X {
		m.checkWidth(i, len(row))
		out = m.appendScores(out, row)
	}
	return out
}

// DecisionFlat is Decision for an n×d row-major matrix.
func (m *Model) DecisionFlat(X []float32, n int) []float64 {
	d := m.NumFeatures()
	if len(X) != n*d {
		panic(fmt.Sprintf("svm: X has %d values, want n×d = %d×%d", len(X), n, d))
	}
	out := make([]float64, 0, n*len(m.Coef))
	for i := 0; i < n; i++ {
		out = m.appendScores(out, X[i*d:(i+1)*d])
	}
	return out
}

func (m *Model) checkWidth(i, got int) {
	if got != m.NumFeatures() {
		panic(fmt.Sprintf("svm: row %d has %d features, the model was fitted on %d", i, got, m.NumFeatures()))
	}
}

func (m *Model) appendScores(out []float64, row []float32) []float64 {
	for c, coef := range m.Coef {
		s := 0.0
		for j, v := range row {
			s += coef[j] * float64(v)
		}
		out = append(out, s+m.Intercept[c])
	}
	return out
}

// Predict returns the predicted class label for each row.
func (m *Model) Predict(X [][]float32) []int {
	return m.labels(m.Decision(X), len(X))
}

// PredictFlat is Predict for an n×d row-major matrix.
func (m *Model) PredictFlat(X []float32, n int) []int {
	return m.labels(m.DecisionFlat(X, n), n)
}

func (m *Model) labels(scores []float64, n int) []int {
	out := make([]int, n)
	k := len(m.Coef)
	for i := range out {
		if k == 1 {
			if scores[i] > 0 {
				out[i] = m.Classes[1]
			} else {
				out[i] = m.Classes[0]
			}
			continue
		}
		out[i] = m.Classes[metrics.Argmax(scores[i*k:(i+1)*k], k)[0]]
	}
	return out
}
