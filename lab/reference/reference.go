// Package reference locates the parity reference data and compares against it the way its
// README says: max|got−want| / max|want|. The project's own copy (goldens/reference in the
// repository, made by goldens/reference/make_reference.py with HF transformers, tokenizers and
// Pillow) is always there, so every parity test runs on a fresh clone; ../shared/reference beside
// the repository (outputs of HF transformers, OpenAI CLIP, Pillow and the real tokenizers) is a
// held-out check that runs in addition when it is present.
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

// Set is one copy of the reference data: the project's or the held-out shared one. The two have
// the same layout and file names except for the uncased WordPiece tokenizer, which the shared copy
// holds as the real bert-base-uncased files and the project as its own vocabulary.
type Set struct {
	Name string // "project" or "shared", the subtest's name
	Root string // the folder holding distilbert-tiny-random/, clip-tiny-random/, clip-images/, tokenizers/

	WordPiece      string // tokenizers/<this>: the uncased WordPiece tokenizer.json
	WordPieceVocab string // tokenizers/<this>: its vocab.txt
}

// Path is Root/parts….
func (s Set) Path(parts ...string) string {
	return filepath.Join(append([]string{s.Root}, parts...)...)
}

// Project is the project's own reference data, goldens/reference in the repository. A missing
// folder fails the test: it is committed, so its absence is a broken checkout, not a reason to skip.
func Project(t testing.TB) Set {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	s := projectSet(root)
	if _, err := os.Stat(s.Root); err != nil {
		t.Fatalf("the project's reference data: %v", err)
	}
	return s
}

// Shared is the held-out reference data, ../shared/reference beside the repository; the test is
// skipped, naming the folder, when it is absent.
func Shared(t testing.TB) Set {
	t.Helper()
	s, err := FindShared()
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("held-out check not run: %v (the project's own goldens ran)", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Each runs f on the project's reference data as subtest "project", then on the held-out shared
// data as subtest "shared", which skips when ../shared/reference is absent.
func Each(t *testing.T, f func(t *testing.T, s Set)) {
	t.Helper()
	t.Run("project", func(t *testing.T) { f(t, Project(t)) })
	t.Run("shared", func(t *testing.T) { f(t, Shared(t)) })
}

// FindShared is Shared without a test: the set, or an error wrapping fs.ErrNotExist that names the
// folder when it is not there (a fuzz target uses it to add real inputs only when they exist).
func FindShared() (Set, error) {
	root, err := repoRoot()
	if err != nil {
		return Set{}, err
	}
	s := Set{Name: "shared", Root: filepath.Join(root, "..", "shared", "reference"),
		WordPiece: "bert-base-uncased-tokenizer.json", WordPieceVocab: "bert-base-uncased-vocab.txt"}
	if _, err := os.Stat(s.Root); err != nil {
		return s, fmt.Errorf("%s not found: %w", s.Root, fs.ErrNotExist)
	}
	return s, nil
}

// FindProject is Project without a test.
func FindProject() (Set, error) {
	root, err := repoRoot()
	if err != nil {
		return Set{}, err
	}
	return projectSet(root), nil
}

func projectSet(root string) Set {
	return Set{Name: "project", Root: filepath.Join(root, "goldens", "reference"),
		WordPiece: "wordpiece-uncased-tokenizer.json", WordPieceVocab: "wordpiece-uncased-vocab.txt"}
}

// repoRoot is the folder holding go.mod above the test's working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("reference: go.mod not found above the test's directory")
		}
		dir = parent
	}
}

// RelErr is max|got−want| / max|want|, the references' own measure (max|got−want| when want is 0).
func RelErr(got, want []float32) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	var maxDiff, maxRef float64
	for i := range want {
		maxDiff = math.Max(maxDiff, math.Abs(float64(got[i])-float64(want[i])))
		maxRef = math.Max(maxRef, math.Abs(float64(want[i])))
	}
	if maxRef == 0 {
		return maxDiff
	}
	return maxDiff / maxRef
}
