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
