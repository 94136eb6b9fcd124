package adapt

import (
	"fmt"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/show"
	"github.com/go-translab/translab/lab/train"
)

// WiSEAlphas are the mixing coefficients WiSE tries by default: zero-shot, three mixtures, the
// fine-tuned weights.
var WiSEAlphas = []float64{0, 0.25, 0.5, 0.75, 1}

// wiseState is what a fine-tuning run keeps for WiSE: its Trainer (which scores the held-out
// images with whatever weights the store holds) and the trained variables' values before training.
type wiseState struct {
	trainer *train.Trainer
	start   map[string][]float32 // store path → values at the start (the zero-shot weights)
}

// trainedValues copies the values of the store's trainable variables — all but LoRA's A
// matrices: B starts at zero, so scaling B by α scales the merged update s·B·A by α, which is
// WiSE on the merged weights; mixing A too would scale it by α².
func trainedValues(store *model.Store) (map[string][]float32, error) {
	out := map[string][]float32{}
	for v := range store.IterVariables() {
		if !v.Trainable || v.DType() != dtypes.Float32 || strings.HasSuffix(v.Path(), "/lora_A/weight") || strings.HasPrefix(v.Path(), "/optimizer/") {
			continue
		}
		t, err := v.Value()
		if err != nil {
			return nil, fmt.Errorf("adapt: %s: %w", v.Path(), err)
		}
		out[v.Path()] = tensors.MustCopyFlatData[float32](t)
	}
	return out, nil
}

// WiSECurve is held-out accuracy along the line from the zero-shot weights (α = 0) to the
// fine-tuned ones (α = 1).
type WiSECurve struct {
	Method   string
	Alphas   []float64
	Accuracy []float64
}

// WiSE is weight-space ensembling (Wortsman et al., "Robust fine-tuning of zero-shot models",
// 2022): the held-out accuracy of θ = (1−α)·θ_zero-shot + α·θ_fine-tuned for each α (nil:
// WiSEAlphas). Only what the run trained moves — the head from its zero-shot initialisation, the
// tower weights from the pre-trained ones; for LoRA the merged update s·B·A is scaled by α. The
// run's model is left with its fine-tuned weights.
func (s *Set) WiSE(r Result, alphas []float64) (WiSECurve, error) {
	if r.wise == nil {
		return WiSECurve{}, fmt.Errorf("adapt: WiSE needs a run of FineTune; %q is not one", r.Method)
	}
	if alphas == nil {
		alphas = WiSEAlphas
	}
	store := r.Model.Store
	tuned, err := trainedValues(store)
	if err != nil {
		return WiSECurve{}, err
	}
	set := func(alpha float64) error {
		for path, ft := range tuned {
			z := r.wise.start[path]
			v := store.GetVariable(path)
			mixed := make([]float32, len(ft))
			for i := range ft {
				mixed[i] = z[i] + float32(alpha)*(ft[i]-z[i])
			}
			if err := v.SetValue(tensors.FromFlatDataAndDimensions(mixed, v.Shape().Dimensions...)); err != nil {
				return fmt.Errorf("adapt: WiSE: %s: %w", path, err)
			}
		}
		return nil
	}
	c := WiSECurve{Method: r.Method, Alphas: alphas}
	for _, a := range alphas {
		if err := set(a); err != nil {
			return c, err
		}
		_, scores, err := r.wise.trainer.Evaluate()
		if err != nil {
			return c, err
		}
		c.Accuracy = append(c.Accuracy, scores["accuracy"])
	}
	return c, set(1)
}

// WiSEChart draws accuracy against α for each curve.
func (s *Set) WiSEChart(curves ...WiSECurve) *show.Chart {
	ch := &show.Chart{Title: "WiSE-FT: held-out accuracy mixing zero-shot (α=0) and fine-tuned (α=1) weights — " + s.Dataset.Title, XLabel: "α", YLabel: "accuracy %"}
	for _, c := range curves {
		y := make([]float64, len(c.Accuracy))
		for i, a := range c.Accuracy {
			y[i] = 100 * a
		}
		ch.Series = append(ch.Series, show.Series{Name: c.Method, X: c.Alphas, Y: y})
	}
	return ch
}

// WiSETable is the curves' numbers, one row per α.
func (s *Set) WiSETable(curves ...WiSECurve) *show.Table {
	t := &show.Table{Title: "WiSE-FT — accuracy % by mixing coefficient α", Header: []string{"α"}}
	if len(curves) == 0 {
		return t
	}
	for _, c := range curves {
		t.Header = append(t.Header, c.Method)
	}
	for i, a := range curves[0].Alphas {
		row := []any{fmt.Sprintf("%.2f", a)}
		for _, c := range curves {
			if i < len(c.Accuracy) {
				row = append(row, fmt.Sprintf("%.2f", 100*c.Accuracy[i]))
			} else {
				row = append(row, "–")
			}
		}
		t.Add(row...)
	}
	if s.Session.Demo {
		t.Note = s.demoNote()
	}
	return t
}
