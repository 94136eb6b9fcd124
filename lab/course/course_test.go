package course

import (
	"bytes"
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
