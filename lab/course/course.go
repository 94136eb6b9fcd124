// Package course holds what the lab's graded notebooks use: the checks their test cells run.
//
// nbgrader grades a test cell by its output: a cell that ends in an error, or writes to stderr,
// scores 0; any other scores its points. So a check that holds prints one line on stdout, "✓ what",
// and the first that fails prints "✗ what: expected …" on stderr and ends the cell's program with
// exit status 1 — one line that says what was expected, rather than a panic's stack trace.
package course

import (
	"fmt"
	"io"
	"math"
	"os"
)

// Where checks write, and how a failed one ends the program; tests replace them.
var (
	stdout io.Writer = os.Stdout
	stderr io.Writer = os.Stderr
	exit             = os.Exit
)

// Check passes when ok holds; otherwise it says what was expected (a fmt format and its
// arguments) and ends the cell.
func Check(what string, ok bool, expected string, args ...any) {
	if ok {
		fmt.Fprintf(stdout, "✓ %s\n", what)
		return
	}
	fmt.Fprintf(stderr, "✗ %s: expected %s\n", what, fmt.Sprintf(expected, args...))
	exit(1)
}

// MaxRelDiff is the largest |a−b| / max(|b|, 1e-6) over two vectors of one length, the measure
// the lab's parity tests use; +Inf when the lengths differ.
func MaxRelDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	worst := 0.0
	for i := range a {
		d := math.Abs(float64(a[i]) - float64(b[i]))
		if r := d / math.Max(math.Abs(float64(b[i])), 1e-6); r > worst {
			worst = r
		}
	}
	return worst
}
