package reference

import (
	"math"
	"testing"
)

// TestRelErr: the measure is relative to the vector's scale, and vectors of other lengths are
// infinitely far apart rather than a panic (a student's notebook cell passes any slice).
func TestRelErr(t *testing.T) {
	if d := RelErr([]float32{1, 2.2, 0.001}, []float32{1, 2, 0}); math.Abs(d-0.1) > 1e-6 {
		t.Errorf("want 0.2/2 = 0.1, got %g", d)
	}
	if d := RelErr([]float32{1}, []float32{1, 2}); !math.IsInf(d, 1) {
		t.Errorf("a shorter vector: %g", d)
	}
	if d := RelErr([]float32{1, 2, 3}, []float32{1, 2}); !math.IsInf(d, 1) {
		t.Errorf("a longer vector: %g", d)
	}
}
