package train

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/atomicfile"
	"github.com/go-translab/translab/lab/weights"
)

// A checkpoint is a directory with every variable training changes (the trained weights, the
// optimizer's state and step, the dropout RNG) in one safetensors file, and the trainer's state in
// JSON. It is written under a temporary name and renamed into place, so a run killed while saving
// leaves the previous checkpoint as it was and no half-written one.
const (
	varsFile  = "variables.safetensors"
	stateFile = "trainer_state.json"
)

type trainerState struct {
	Epoch   int      `json:"epoch"`
	Step    int      `json:"global_step"`
	History *History `json:"history"`
}

// frozen says whether a variable is a model weight training leaves alone (made non-trainable, as
// lab/peft's Freeze does). Checkpoints skip those: they are what the model was loaded with, and
// for LoRA on CLIP they are 99 % of the bytes.
func frozen(v *model.Variable) bool {
	return !v.Trainable && v.DType().IsFloat() && !strings.HasPrefix(v.Path(), StatePrefix+"/")
}

func saveCheckpoint(outputDir string, store *model.Store, st trainerState) error {
	final := filepath.Join(outputDir, checkpointName(st.Step))
	tmp, err := os.MkdirTemp(outputDir, ".tmp-"+checkpointName(st.Step)+"-")
	if err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	defer os.RemoveAll(tmp) // nothing left after a failure; empty after the rename
	var named []weights.Named
	for v := range store.IterVariables() {
		if frozen(v) {
			continue
		}
		t, err := v.Value()
		if err != nil {
			return fmt.Errorf("train: checkpoint: variable %s: %w", v.Path(), err)
		}
		n := weights.Named{Name: v.Path(), Shape: t.Shape().Dimensions}
		switch t.DType() {
		case dtypes.Float32:
			n.Data = tensors.MustCopyFlatData[float32](t)
		case dtypes.Int64:
			n.Data = tensors.MustCopyFlatData[int64](t)
		case dtypes.Int32:
			n.Data = tensors.MustCopyFlatData[int32](t)
		case dtypes.Uint64: // the RNG state; safetensors' I64 keeps the bits
			u := tensors.MustCopyFlatData[uint64](t)
			i := make([]int64, len(u))
			for k, x := range u {
				i[k] = int64(x)
			}
			n.Data = i
		default:
			return fmt.Errorf("train: checkpoint: variable %s has dtype %s, which checkpoints do not hold", v.Path(), t.DType())
		}
		named = append(named, n)
	}
	sort.Slice(named, func(i, j int) bool { return named[i].Name < named[j].Name })
	if err := weights.Write(filepath.Join(tmp, varsFile), named, nil); err != nil {
		return err
	}
	raw, err := json.MarshalIndent(st, "", " ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(tmp, stateFile), raw); err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	if _, err := os.Stat(final); err == nil { // a rerun of the same step replaces it
		if err := os.RemoveAll(final); err != nil {
			return fmt.Errorf("train: checkpoint: %w", err)
		}
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	return nil
}

// loadCheckpoint sets the variables of the store from a checkpoint; all but frozen ones must be
// there, with the shapes they have.
func loadCheckpoint(dir string, store *model.Store) (*trainerState, error) {
	st, err := readState(dir)
	if err != nil {
		return nil, err
	}
	f, err := weights.Open(filepath.Join(dir, varsFile))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	for v := range store.IterVariables() {
		if _, ok := f.Info(v.Path()); !ok && frozen(v) {
			continue
		}
		t, err := f.Tensor(v.Path())
		if err != nil {
			return nil, fmt.Errorf("train: %s: variable %s: %w", dir, v.Path(), err)
		}
		if !t.Shape().EqualDimensions(v.Shape()) {
			return nil, fmt.Errorf("train: %s: variable %s has shape %v in the checkpoint, %v in the model", dir, v.Path(), t.Shape().Dimensions, v.Shape().Dimensions)
		}
		if v.DType() == dtypes.Uint64 {
			i := tensors.MustCopyFlatData[int64](t)
			u := make([]uint64, len(i))
			for k, x := range i {
				u[k] = uint64(x)
			}
			t = tensors.FromFlatDataAndDimensions(u, v.Shape().Dimensions...)
		}
		if err := v.SetValue(t); err != nil {
			return nil, fmt.Errorf("train: %s: variable %s: %w", dir, v.Path(), err)
		}
	}
	return st, nil
}

// ReadHistory is the history a run left in dir (an Args.OutputDir): that of its newest checkpoint.
// A cell run later — a grading test, a plot — reads what training logged without training again.
func ReadHistory(dir string) (*History, error) {
	last, err := LastCheckpoint(dir)
	if err != nil {
		return nil, err
	}
	st, err := readState(last)
	if err != nil {
		return nil, err
	}
	return st.History, nil
}

// readState reads a checkpoint's trainer state, which must hold a history.
func readState(dir string) (*trainerState, error) {
	raw, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		return nil, fmt.Errorf("train: %s is not a complete checkpoint: %w", dir, err)
	}
	var st trainerState
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, fmt.Errorf("train: %s: %s: %w", dir, stateFile, err)
	}
	if st.History == nil {
		return nil, fmt.Errorf("train: %s: %s has no history", dir, stateFile)
	}
	return &st, nil
}
