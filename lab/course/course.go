// Package course holds what the lab's graded notebooks use: the checks their test cells run.
//
// nbgrader grades a test cell by its output: a cell that ends in an error, or writes to stderr,
// scores 0; any other scores its points. So a check that holds shows one line, "✓ what", and the
// first that fails prints "✗ what: expected …" on stderr and ends the cell's program with exit
// status 1 — one line that says what was expected, rather than a panic's stack trace. The "✓" lines
// go through show, as the lab's other notes do: GoNB orders its displays apart from stdout, so a
// cell mixing the two could list them in another order at each run.
package course

import (
	"fmt"
	"io"
	"os"

	"github.com/go-translab/translab/lab/show"
)

// Where checks write outside a notebook, and how a failed one ends the program; tests replace them.
var (
	stdout io.Writer = os.Stdout
	stderr io.Writer = os.Stderr
	exit             = os.Exit
)

// Check passes when ok holds; otherwise it says what was expected (a fmt format and its
// arguments) and ends the cell.
func Check(what string, ok bool, expected string, args ...any) {
	if ok {
		show.Show(stdout, show.Text("✓ "+what))
		return
	}
	fmt.Fprintf(stderr, "✗ %s: expected %s\n", what, fmt.Sprintf(expected, args...))
	exit(1)
}
