package weights

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Source is a checkpoint to read tensors from: a single *File or a sharded
// *Shards.
type Source interface {
	// Path names the checkpoint in errors (the file, or the shard index).
	Path() string
	// Names returns the tensor names, sorted.
	Names() []string
	Info(name string) (TensorInfo, bool)
	Float32s(name string) ([]float32, error)
	Tensor(name string) (*tensors.Tensor, error)
	Close() error
}

var (
	_ Source = (*File)(nil)
	_ Source = (*Shards)(nil)
)

// Want names one tensor a model needs: its checkpoint name, the full path of
// its variable in the store (a leading "/" is optional), and its dimensions
// (nil or empty for a scalar).
type Want struct {
	Name  string
	Path  string
	Shape []int
}

// Report lists, each sorted, the checkpoint tensors the model wanted but the
// checkpoint lacks, those it has but nobody wanted, and shape disagreements
// ("name: file [a b] vs model [c d]").
type Report struct {
	Missing, Unexpected, Mismatched []string
}

// problems counts what makes a bind fail.
func (r *Report) problems(allowUnexpected bool) int {
	n := len(r.Missing) + len(r.Mismatched)
	if !allowUnexpected {
		n += len(r.Unexpected)
	}
	return n
}

func (r *Report) error(path, verb string, allowUnexpected bool) error {
	var b strings.Builder
	fmt.Fprintf(&b, "weights: %s: cannot %s: %d problem(s)", path, verb, r.problems(allowUnexpected))
	list := func(label string, items []string) {
		for _, it := range items {
			fmt.Fprintf(&b, "\n  %s: %s", label, it)
		}
	}
	list("missing", r.Missing)
	list("shape mismatch", r.Mismatched)
	if !allowUnexpected {
		list("unexpected", r.Unexpected)
	}
	return fmt.Errorf("%s", b.String())
}

// sameDims compares dimensions treating nil and empty (scalar) alike.
func sameDims(a, b []int) bool {
	return len(a) == len(b) && (len(a) == 0 || slices.Equal(a, b))
}

func normPath(p string) string {
	if !strings.HasPrefix(p, "/") {
		return "/" + p
	}
	return p
}

func checkWants(want []Want) error {
	names := make(map[string]bool, len(want))
	paths := make(map[string]bool, len(want))
	for _, w := range want {
		if names[w.Name] {
			return fmt.Errorf("weights: tensor %q is wanted twice", w.Name)
		}
		names[w.Name] = true
		p := normPath(w.Path)
		if paths[p] {
			return fmt.Errorf("weights: variable %q is wanted twice", p)
		}
		paths[p] = true
	}
	return nil
}

// Bind loads every wanted tensor of src into its variable in store, creating
// the variable or replacing the value of an existing one of the same shape.
//
// All problems are found before anything is loaded and reported together in
// one error naming the checkpoint: missing tensors, shapes that differ from
// the model's (or from an existing variable's), and, unless allowUnexpected,
// checkpoint tensors nobody wanted. On error the store is left unchanged.
// The report is returned in every case, so callers can log tolerated
// unexpected tensors.
func Bind(store *model.Store, src Source, want []Want, allowUnexpected bool) (*Report, error) {
	if store == nil || src == nil {
		return nil, fmt.Errorf("weights: Bind needs a store and a source")
	}
	if err := checkWants(want); err != nil {
		return nil, err
	}
	r := &Report{}
	wanted := make(map[string]bool, len(want))
	for _, w := range want {
		wanted[w.Name] = true
		info, ok := src.Info(w.Name)
		if !ok {
			r.Missing = append(r.Missing, w.Name)
			continue
		}
		if !sameDims(info.Shape, w.Shape) {
			r.Mismatched = append(r.Mismatched, fmt.Sprintf("%s: file %v vs model %v", w.Name, info.Shape, w.Shape))
			continue
		}
		if v := store.GetVariable(normPath(w.Path)); v != nil {
			dt := dtypes.InvalidDType
			if di, ok := knownDTypes[info.DType]; ok {
				dt = di.gomlx
			}
			if vs := v.Shape(); vs.DType != dt || !sameDims(vs.Dimensions, info.Shape) {
				r.Mismatched = append(r.Mismatched, fmt.Sprintf("%s: file %s %v vs existing variable %s %s", w.Name, info.DType, info.Shape, v.Path(), vs))
			}
		}
	}
	for _, name := range src.Names() {
		if !wanted[name] {
			r.Unexpected = append(r.Unexpected, name)
		}
	}
	sort.Strings(r.Missing)
	sort.Strings(r.Mismatched)
	if r.problems(allowUnexpected) > 0 {
		return r, r.error(src.Path(), "bind", allowUnexpected)
	}

	// Read everything before touching the store, so a read failure (say, the
	// file changed underneath) cannot leave the model half loaded.
	loaded := make([]*tensors.Tensor, len(want))
	for i, w := range want {
		t, err := src.Tensor(w.Name)
		if err != nil {
			for _, l := range loaded[:i] {
				_ = l.FinalizeAll()
			}
			return r, err
		}
		loaded[i] = t
	}
	for i, w := range want {
		p := normPath(w.Path)
		var err error
		if v := store.GetVariable(p); v != nil {
			err = v.SetValue(loaded[i])
		} else {
			_, err = store.CreateVariable(p, loaded[i])
		}
		if err != nil {
			return r, fmt.Errorf("weights: %s: binding %q to %s: %w", src.Path(), w.Name, p, err)
		}
	}
	return r, nil
}

// FromStore collects the wanted variables of store under their checkpoint
// names, ready for Write: the reverse of Bind. Every problem (variable absent,
// without a value, of another shape, or of a dtype Write cannot store) is
// reported in one error.
func FromStore(store *model.Store, want []Want) ([]Named, error) {
	if store == nil {
		return nil, fmt.Errorf("weights: FromStore needs a store")
	}
	if err := checkWants(want); err != nil {
		return nil, err
	}
	var problems []string
	out := make([]Named, 0, len(want))
	for _, w := range want {
		p := normPath(w.Path)
		v := store.GetVariable(p)
		if v == nil {
			problems = append(problems, fmt.Sprintf("%s: no variable %s", w.Name, p))
			continue
		}
		dims := v.Shape().Dimensions
		if !sameDims(dims, w.Shape) {
			problems = append(problems, fmt.Sprintf("%s: variable %s is %v vs wanted %v", w.Name, p, dims, w.Shape))
			continue
		}
		t, err := v.Value()
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: variable %s: %v", w.Name, p, err))
			continue
		}
		data, err := flatCopy(t)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: variable %s: %v", w.Name, p, err))
			continue
		}
		out = append(out, Named{Name: w.Name, Shape: slices.Clone(dims), Data: data})
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, fmt.Errorf("weights: cannot export store: %d problems:\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	return out, nil
}

// flatCopy copies a tensor's values into a slice type Write accepts.
func flatCopy(t *tensors.Tensor) (any, error) {
	switch dt := t.Shape().DType; dt {
	case dtypes.Float32:
		return tensors.CopyFlatData[float32](t)
	case dtypes.Float64:
		return tensors.CopyFlatData[float64](t)
	case dtypes.Int64:
		return tensors.CopyFlatData[int64](t)
	case dtypes.Int32:
		return tensors.CopyFlatData[int32](t)
	case dtypes.Uint8:
		return tensors.CopyFlatData[uint8](t)
	case dtypes.Bool:
		return tensors.CopyFlatData[bool](t)
	default:
		return nil, fmt.Errorf("dtype %s cannot be written", dt)
	}
}
