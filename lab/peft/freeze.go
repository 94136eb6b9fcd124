package peft

import (
	"fmt"
	"strings"

	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/weights"
)

// Counts are a store's parameter counts after Freeze, PEFT's print_trainable_parameters.
type Counts struct {
	Trainable, Total int64
	Tensors          int // trainable tensors
}

// Percent is the trainable share of all parameters.
func (c Counts) Percent() float64 { return 100 * float64(c.Trainable) / float64(max(c.Total, 1)) }

func (c Counts) String() string {
	return fmt.Sprintf("trainable params: %d || all params: %d || trainable%%: %.4f", c.Trainable, c.Total, c.Percent())
}

// hfName is the HF parameter name of a store path (the inverse of weights.VarPath).
func hfName(path string) string { return strings.ReplaceAll(strings.TrimPrefix(path, "/"), "/", ".") }

// Freeze leaves trainable only the float parameters for which trainable(name) holds (HF names),
// so the Trainer's optimizer updates those and nothing else. Variables outside the model's own
// names (the optimizer's state, under /optimizer) are left as they are and not counted.
func Freeze(store *model.Store, trainable func(name string) bool) (Counts, error) {
	var c Counts
	for v := range store.IterVariables() {
		if strings.HasPrefix(v.Path(), "/optimizer/") || !v.DType().IsFloat() {
			continue
		}
		name := hfName(v.Path())
		on := trainable(name)
		v.SetTrainable(on)
		n := int64(v.Shape().Size())
		c.Total += n
		if on {
			c.Trainable += n
			c.Tensors++
		}
	}
	if c.Tensors == 0 {
		return c, fmt.Errorf("peft: nothing left to train: no parameter of the %d matched", c.Total)
	}
	return c, nil
}

// Any is true when any of the rules is.
func Any(rules ...func(string) bool) func(string) bool {
	return func(name string) bool {
		for _, r := range rules {
			if r(name) {
				return true
			}
		}
		return false
	}
}

// Biases is BitFit (Ben Zaken et al., 2022): train the bias terms only, those of every module of
// the model's parameter table (Linear layers and LayerNorms alike).
func Biases(t weights.Table) func(name string) bool {
	return t.Rule(func(p weights.Param) bool { return p.Bias })
}

// LayerNorms trains the LayerNorms' scales and shifts: both parameters of every LayerNorm module of
// the model's parameter table.
func LayerNorms(t weights.Table) func(name string) bool {
	return t.Rule(func(p weights.Param) bool { return p.Module == weights.LayerNorm })
}

// All is true when every one of the rules is.
func All(rules ...func(string) bool) func(string) bool {
	return func(name string) bool {
		for _, r := range rules {
			if !r(name) {
				return false
			}
		}
		return true
	}
}

// Under trains the parameters of one module, e.g. Under("classifier") for a head.
func Under(module string) func(string) bool {
	return func(name string) bool { return name == module || strings.HasPrefix(name, module+".") }
}
