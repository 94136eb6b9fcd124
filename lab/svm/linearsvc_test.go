package svm

import (
	"slices"
	"strings"
	"testing"
)

type rows [][]float32

func (r rows) Rows() int           { return len(r) }
func (r rows) Row(i int) []float32 { return r[i] }

func TestLinearSVCIsFitWithOptions(t *testing.T) {
	X := rows{{0, 1}, {1, 0}, {2, 3}, {3, 1}, {-1, -2}, {-2, 0}}
	y := []int{1, 0, 1, 0, 1, 0}
	for _, c := range []float64{1, 1e-6} {
		svc := &LinearSVC{C: c}
		if err := svc.Fit(X, y); err != nil {
			t.Fatal(err)
		}
		want, err := Fit(X, y, Options{C: c})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(svc.Model.Coef[0], want.Coef[0]) || svc.Model.Solver != Primal {
			t.Errorf("C=%g: coef %v solver %v, want Fit's %v (primal: more samples than features)", c, svc.Model.Coef, svc.Model.Solver, want.Coef)
		}
		pred, err := svc.Predict(X)
		if err != nil || !slices.Equal(pred, want.Predict(X)) {
			t.Errorf("C=%g: predictions %v (%v), want %v", c, pred, err, want.Predict(X))
		}
	}
	// A tiny C regularises the weights towards zero: the decision values shrink.
	strong, weak := &LinearSVC{C: 1e-6}, &LinearSVC{C: 1}
	strong.Fit(X, y)
	weak.Fit(X, y)
	ds, _ := strong.DecisionFunction(X)
	dw, _ := weak.DecisionFunction(X)
	if !(abs64(ds[0]) < abs64(dw[0])) {
		t.Errorf("C=1e-6 gave decision %v, C=1 %v", ds[0], dw[0])
	}
}

func abs64(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

func TestLinearSVCDualAutoAndErrors(t *testing.T) {
	wide := rows{{1, 0, 0}, {0, 1, 0}}
	svc := &LinearSVC{}
	if err := svc.Fit(wide, []int{0, 1}); err != nil {
		t.Fatal(err)
	}
	if svc.Model.Solver != Dual {
		t.Errorf("dual='auto' with fewer samples than features solved the %v problem, want dual (sklearn ≥ 1.5)", svc.Model.Solver)
	}
	if s := (&LinearSVC{}).String(); s != "LinearSVC(C=1, tol=0.0001, max_iter=1000, dual='auto')" {
		t.Errorf("String() = %s", s)
	}
	if err := (&LinearSVC{Dual: "maybe"}).Fit(wide, []int{0, 1}); err == nil || !strings.Contains(err.Error(), "Dual") {
		t.Errorf("a bad Dual: %v", err)
	}
	if err := (&LinearSVC{C: -1}).Fit(wide, []int{0, 1}); err == nil || !strings.Contains(err.Error(), "C must be positive") {
		t.Errorf("a negative C: %v", err)
	}
	if _, err := (&LinearSVC{}).Predict(wide); err == nil || !strings.Contains(err.Error(), "not fitted") {
		t.Errorf("Predict before Fit: %v", err)
	}
	if _, err := svc.Predict(rows{{1, 2}}); err == nil || !strings.Contains(err.Error(), "2 features") {
		t.Errorf("a sample of the wrong width: %v", err)
	}
}
