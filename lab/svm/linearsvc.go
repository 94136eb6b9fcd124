package svm

import (
	"fmt"
	"strings"
)

// Samples are a feature matrix, one row per sample (lab/features' Matrix is one).
type Samples interface {
	Rows() int
	Row(i int) []float32
}

// LinearSVC is scikit-learn's LinearSVC as a value: set its options, Fit, then Predict or
// DecisionFunction. The zero value is LinearSVC()'s defaults.
type LinearSVC struct {
	C       float64 // regularisation: smaller is stronger; 0 means 1
	Tol     float64 // stopping tolerance; 0 means 1e-4
	MaxIter int     // 0 means 1000
	// Dual picks the solver as sklearn's dual parameter: "auto" or "" (the primal problem when
	// there are more samples than features, as sklearn ≥ 1.5 does), "true" or "false".
	Dual string
	// Warn receives ConvergenceWarning-style messages; nil drops them (Model.Converged says).
	Warn func(msg string)

	// Model is the fitted classifier (sklearn's coef_, intercept_, classes_), after Fit.
	Model *Model
}

// String is the estimator as sklearn prints it.
func (s *LinearSVC) String() string {
	o, _ := s.options(0, 0)
	dual := s.Dual
	if dual == "" {
		dual = "auto"
	}
	if dual == "auto" {
		dual = "'auto'"
	} else {
		dual = strings.ToUpper(dual[:1]) + dual[1:]
	}
	return fmt.Sprintf("LinearSVC(C=%g, tol=%g, max_iter=%d, dual=%s)", o.C, o.Tol, o.MaxIter, dual)
}

func (s *LinearSVC) options(n, d int) (Options, error) {
	o := Options{C: s.C, Tol: s.Tol, MaxIter: s.MaxIter, Warn: s.Warn}
	switch s.Dual {
	case "", "auto":
		if n > 0 && n <= d {
			o.Solver = Dual
		}
	case "true":
		o.Solver = Dual
	case "false":
	default:
		return o, fmt.Errorf("svm: LinearSVC.Dual %q: want \"auto\", \"true\" or \"false\"", s.Dual)
	}
	if o.Warn == nil {
		o.Warn = func(string) {}
	}
	return o.withDefaults()
}

// Fit trains on the samples X with integer labels y.
func (s *LinearSVC) Fit(X Samples, y []int) error {
	n := X.Rows()
	if n == 0 {
		return fmt.Errorf("svm: no training samples")
	}
	d := len(X.Row(0))
	o, err := s.options(n, d)
	if err != nil {
		return err
	}
	flat := make([]float32, 0, n*d)
	for i := range n {
		row := X.Row(i)
		if len(row) != d {
			return fmt.Errorf("svm: row %d has %d features, row 0 has %d", i, len(row), d)
		}
		flat = append(flat, row...)
	}
	m, err := FitFlat(flat, n, d, y, o)
	if err != nil {
		return err
	}
	s.Model = m
	return nil
}

// Predict is the predicted class of each sample.
func (s *LinearSVC) Predict(X Samples) ([]int, error) {
	scores, err := s.DecisionFunction(X)
	if err != nil {
		return nil, err
	}
	return s.Model.labels(scores, X.Rows()), nil
}

// DecisionFunction is the signed distance of each sample to the hyperplane(s): one value per
// sample for two classes (positive means Classes[1]), else one per sample and class.
func (s *LinearSVC) DecisionFunction(X Samples) ([]float64, error) {
	if s.Model == nil {
		return nil, fmt.Errorf("svm: this LinearSVC is not fitted yet: call Fit first")
	}
	out := make([]float64, 0, X.Rows()*len(s.Model.Coef))
	for i := range X.Rows() {
		row := X.Row(i)
		if len(row) != s.Model.NumFeatures() {
			return nil, fmt.Errorf("svm: sample %d has %d features, the model was fitted on %d", i, len(row), s.Model.NumFeatures())
		}
		out = s.Model.appendScores(out, row)
	}
	return out, nil
}
