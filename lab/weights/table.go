package weights

import (
	"fmt"
	"slices"
	"strings"
)

// Module is the kind of torch module a parameter belongs to. HF derives initialisation, the
// Trainer's weight-decay groups and PEFT's targets from these types (nn.Linear, nn.LayerNorm, …),
// and so does the lab, from a model's parameter table, never from the spelling of a name.
type Module int

const (
	// Other is a bare nn.Parameter: CLIP's logit_scale and class_embedding, a learned prompt.
	Other Module = iota
	Linear
	LayerNorm
	Embedding
	// Conv is nn.Conv2d (CLIP's patch embedding).
	Conv
)

func (m Module) String() string {
	switch m {
	case Other:
		return "Other"
	case Linear:
		return "Linear"
	case LayerNorm:
		return "LayerNorm"
	case Embedding:
		return "Embedding"
	case Conv:
		return "Conv"
	}
	return fmt.Sprintf("Module(%d)", int(m))
}

// Param is one parameter of a model: its HF name, shape and the module it belongs to.
type Param struct {
	Name   string // HF name, e.g. "distilbert.transformer.layer.0.attention.q_lin.weight"
	Shape  []int  // nil or empty for a scalar
	Module Module
	Bias   bool // the module's bias (HF's decay grouping and BitFit look at this)
}

// ModuleName is the name of the parameter's module: the name without ".weight" or ".bias" (what
// LoRA targets and PEFT's modules_to_save match). A bare parameter is its own module.
func (p Param) ModuleName() string {
	if m, ok := strings.CutSuffix(p.Name, ".weight"); ok {
		return m
	}
	if m, ok := strings.CutSuffix(p.Name, ".bias"); ok {
		return m
	}
	return p.Name
}

// Size is the number of values.
func (p Param) Size() int {
	n := 1
	for _, d := range p.Shape {
		n *= d
	}
	return n
}

// Table is a model's parameters, in the model's order: the single description that binding,
// saving, initialisation, LoRA targets, weight-decay groups and freezing read.
type Table []Param

// LinearParams are an nn.Linear's weight [out, in] and, with bias, its bias [out].
func LinearParams(module string, out, in int, bias bool) Table {
	t := Table{{Name: module + ".weight", Shape: []int{out, in}, Module: Linear}}
	if bias {
		t = append(t, Param{Name: module + ".bias", Shape: []int{out}, Module: Linear, Bias: true})
	}
	return t
}

// LayerNormParams are an nn.LayerNorm's weight and bias, both [dim].
func LayerNormParams(module string, dim int) Table {
	return Table{
		{Name: module + ".weight", Shape: []int{dim}, Module: LayerNorm},
		{Name: module + ".bias", Shape: []int{dim}, Module: LayerNorm, Bias: true},
	}
}

// EmbeddingParams is an nn.Embedding's weight [rows, dim].
func EmbeddingParams(module string, rows, dim int) Table {
	return Table{{Name: module + ".weight", Shape: []int{rows, dim}, Module: Embedding}}
}

// Lookup finds a parameter by HF name.
func (t Table) Lookup(name string) (Param, bool) {
	for _, p := range t {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// Names are the parameters' names, in order.
func (t Table) Names() []string {
	out := make([]string, len(t))
	for i, p := range t {
		out[i] = p.Name
	}
	return out
}

// Shapes maps each name to its shape.
func (t Table) Shapes() map[string][]int {
	out := make(map[string][]int, len(t))
	for _, p := range t {
		out[p.Name] = p.Shape
	}
	return out
}

// Filter is the parameters for which keep holds, in order.
func (t Table) Filter(keep func(Param) bool) Table {
	var out Table
	for _, p := range t {
		if keep(p) {
			out = append(out, p)
		}
	}
	return out
}

// Rule is a name predicate (for lab/peft's Freeze): true for the names of the parameters of t for
// which keep holds, false for every other name.
func (t Table) Rule(keep func(Param) bool) func(name string) bool {
	set := make(map[string]bool)
	for _, p := range t {
		if keep(p) {
			set[p.Name] = true
		}
	}
	return func(name string) bool { return set[name] }
}

// Linears names the modules of the Linear layers, in order (each once): the layers LoRA can adapt.
func (t Table) Linears() []string {
	var out []string
	for _, p := range t {
		if p.Module == Linear && !p.Bias {
			out = append(out, p.ModuleName())
		}
	}
	return out
}

// With is t followed by extra (a head, adapter matrices, a prompt), as a new table. A name already
// in t is a programming error.
func (t Table) With(extra ...Param) Table {
	out := slices.Clip(t)
	for _, p := range extra {
		if _, dup := out.Lookup(p.Name); dup {
			panic(fmt.Sprintf("weights: parameter %q is in the table twice", p.Name))
		}
		out = append(out, p)
	}
	return out
}

// Wants turns the table into the Wants of Bind and FromStore, sorted by file name. fileName maps an
// HF name to the name in the file (nil: the same), for checkpoints saved from a bare encoder whose
// names lack the head model's prefix.
func (t Table) Wants(fileName func(string) string) []Want {
	want := make([]Want, 0, len(t))
	for _, p := range t {
		f := p.Name
		if fileName != nil {
			f = fileName(p.Name)
		}
		want = append(want, Want{Name: f, Path: VarPath(p.Name), Shape: p.Shape})
	}
	slices.SortFunc(want, func(a, b Want) int { return strings.Compare(a.Name, b.Name) })
	return want
}
