// Package reference locates the parity reference data (../shared/reference beside the repository:
// outputs of HF transformers, OpenAI CLIP, Pillow and the real tokenizers) and compares against it
// the way its README says: max|got−want| / max|want|.
package reference

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// Dir returns ../shared/reference/<parts...> beside the repository holding the calling test. When
// it is absent the test is skipped with a message that names the missing folder.
func Dir(t testing.TB, parts ...string) string {
	t.Helper()
	p, err := Find(parts...)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("reference data absent: %v (it lives in ../shared beside the repository)", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Find is Dir without a test: the path, or an error wrapping fs.ErrNotExist that names it when the
// reference data is not there (a fuzz target uses it to add real inputs only when they exist).
func Find(parts ...string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("reference: go.mod not found above the test's directory")
		}
		dir = parent
	}
	p := filepath.Join(append([]string{dir, "..", "shared", "reference"}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		return p, fmt.Errorf("%s not found: %w", p, fs.ErrNotExist)
	}
	return p, nil
}

// RelErr is max|got−want| / max|want|, the references' own measure (max|got−want| when want is 0).
func RelErr(got, want []float32) float64 {
	var maxDiff, maxRef float64
	for i := range want {
		maxDiff = math.Max(maxDiff, math.Abs(float64(got[i])-float64(want[i])))
		maxRef = math.Max(maxRef, math.Abs(float64(want[i])))
	}
	if len(got) != len(want) {
		return math.Inf(1)
	}
	if maxRef == 0 {
		return maxDiff
	}
	return maxDiff / maxRef
}
