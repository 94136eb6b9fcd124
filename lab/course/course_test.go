package course

import (
	"bytes"
	"math"
	"testing"
)

func TestCheck(t *testing.T) {
	var out, errs bytes.Buffer
	code := -1
	stdout, stderr, exit = &out, &errs, func(c int) { code = c }
	Check("shape of input_ids", true, "[2, 9]")
	if out.String() != "✓ shape of input_ids\n" || errs.Len() != 0 || code != -1 {
		t.Fatalf("a check that holds: stdout %q stderr %q exit %d", out.String(), errs.String(), code)
	}
	out.Reset()
	Check("validation accuracy", false, "between %.2f and %.2f, got %.3f", 0.7, 0.95, 0.5)
	if out.Len() != 0 || errs.String() != "✗ validation accuracy: expected between 0.70 and 0.95, got 0.500\n" || code != 1 {
		t.Fatalf("a failed check: stdout %q stderr %q exit %d", out.String(), errs.String(), code)
	}
}

func TestMaxRelDiff(t *testing.T) {
	if d := MaxRelDiff([]float32{1, 2, -4}, []float32{1, 2, -4}); d != 0 {
		t.Fatalf("equal vectors: %g", d)
	}
	if d := MaxRelDiff([]float32{1, 2.2, 0.001}, []float32{1, 2, 0}); math.Abs(d-0.1) > 1e-6 {
		t.Fatalf("want 0.2/2 = 0.1 (the element near zero does not count more), got %g", d)
	}
	if d := MaxRelDiff([]float32{1}, []float32{1, 2}); !math.IsInf(d, 1) {
		t.Fatalf("lengths differ: %g", d)
	}
}
