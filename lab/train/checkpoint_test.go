package train

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestInterruptedCheckpointKeepsThePreviousOne makes a save fail after it has started writing and
// checks that the previous checkpoint is intact and nothing half-written is left.
func TestInterruptedCheckpointKeepsThePreviousOne(t *testing.T) {
	dir := t.TempDir()
	store := model.NewStore()
	w, _ := store.CreateVariable("/w", tensors.FromFlatDataAndDimensions([]float32{1, 2, 3}, 3))
	h := &History{Epochs: []EpochLog{{Epoch: 1, Step: 5}}}
	if err := saveCheckpoint(dir, store, trainerState{Epoch: 1, Step: 5, History: h}); err != nil {
		t.Fatal(err)
	}
	// A variable of a dtype checkpoints do not hold makes the next save fail midway.
	w.MustSetValue(tensors.FromFlatDataAndDimensions([]float32{9, 9, 9}, 3))
	store.CreateVariable("/odd", tensors.FromFlatDataAndDimensions([]float64{1}, 1))
	if err := saveCheckpoint(dir, store, trainerState{Epoch: 2, Step: 10, History: h}); err == nil || !strings.Contains(err.Error(), "/odd") {
		t.Fatalf("the save should fail naming the variable, got %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "checkpoint-5" {
		t.Fatalf("left behind: %v", entries)
	}
	fresh := model.NewStore()
	v, _ := fresh.CreateVariable("/w", tensors.FromFlatDataAndDimensions([]float32{0, 0, 0}, 3))
	st, err := loadCheckpoint(filepath.Join(dir, "checkpoint-5"), fresh)
	if err != nil || st.Step != 5 {
		t.Fatalf("loading the good checkpoint: %+v %v", st, err)
	}
	if got := tensors.MustCopyFlatData[float32](v.MustValue()); got[0] != 1 || got[2] != 3 {
		t.Fatalf("the good checkpoint changed: %v", got)
	}
	if _, err := LastCheckpoint(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := loadCheckpoint(filepath.Join(dir, "nope"), fresh); err == nil || !strings.Contains(err.Error(), "not a complete checkpoint") {
		t.Fatalf("a missing checkpoint: %v", err)
	}
}

// TestReadHistory reads the history of the newest checkpoint a run left, and refuses a folder
// without one.
func TestReadHistory(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadHistory(dir); err == nil || !strings.Contains(err.Error(), "no checkpoint") {
		t.Fatalf("an empty run folder: %v", err)
	}
	store := model.NewStore()
	store.CreateVariable("/w", tensors.FromFlatDataAndDimensions([]float32{1}, 1))
	for epoch := 1; epoch <= 2; epoch++ {
		h := &History{Epochs: make([]EpochLog, epoch)}
		if err := saveCheckpoint(dir, store, trainerState{Epoch: epoch, Step: 5 * epoch, History: h}); err != nil {
			t.Fatal(err)
		}
	}
	h, err := ReadHistory(dir)
	if err != nil || len(h.Epochs) != 2 {
		t.Fatalf("want the newest checkpoint's history of 2 epochs, got %+v %v", h, err)
	}
}

// TestOutputDirFollowsLabRunsDir: LAB_RUNS_DIR moves every run's folder, as make grade needs.
func TestOutputDirFollowsLabRunsDir(t *testing.T) {
	t.Setenv("LAB_RUNS_DIR", "/grading/alice")
	if got := OutputDir("ex2"); got != "/grading/alice/ex2" {
		t.Fatalf("OutputDir(ex2) = %s", got)
	}
	t.Setenv("LAB_RUNS_DIR", "")
	if got := OutputDir("ex2"); !strings.HasSuffix(got, filepath.Join("translab", "runs", "ex2")) {
		t.Fatalf("OutputDir(ex2) = %s", got)
	}
}
