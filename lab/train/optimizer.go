// Package train is the lab's Trainer: HF transformers' Trainer re-implemented on GoMLX with the
// same defaults, so that a fine-tuning run in Go follows the one the Python lab does step for step.
//
// This file is its optimizer: torch.optim.AdamW with HF's weight-decay grouping, global-norm
// gradient clipping and the linear warm-up schedule, all inside one compiled training-step graph.
package train

import (
	"fmt"
	"math"
	"strings"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/weights"
)

// AdamWConfig holds the optimizer's hyper-parameters under the names of HF's TrainingArguments.
type AdamWConfig struct {
	LR, Beta1, Beta2, Eps float64
	// WeightDecay is decoupled (p ← p·(1 − lr·wd)) and applies only to the parameters Decays
	// picks from the model's parameter table.
	WeightDecay float64
	// MaxGradNorm clips the global L2 norm of all gradients; 0 or less disables clipping, as in HF.
	MaxGradNorm float64
	// WarmupSteps and TotalSteps define the linear schedule; TotalSteps ≤ 0 keeps LR constant
	// (HF always schedules, but a bare optimizer without a known run length needs a constant).
	WarmupSteps, TotalSteps int
}

// DefaultAdamW is HF TrainingArguments' defaults. WeightDecay is HF's 0; the lab's notebook sets
// 0.01, so callers following the lab must set it.
func DefaultAdamW() AdamWConfig {
	return AdamWConfig{LR: 5e-5, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, MaxGradNorm: 1}
}

func (c AdamWConfig) validate() error {
	switch {
	case !(c.LR >= 0):
		return fmt.Errorf("train: AdamW learning rate %g must be ≥ 0", c.LR)
	case !(c.Beta1 >= 0 && c.Beta1 < 1), !(c.Beta2 >= 0 && c.Beta2 < 1):
		return fmt.Errorf("train: AdamW betas (%g, %g) must lie in [0, 1)", c.Beta1, c.Beta2)
	case !(c.Eps >= 0):
		return fmt.Errorf("train: AdamW epsilon %g must be ≥ 0", c.Eps)
	case !(c.WeightDecay >= 0):
		return fmt.Errorf("train: AdamW weight decay %g must be ≥ 0", c.WeightDecay)
	case c.WarmupSteps < 0:
		return fmt.Errorf("train: warm-up steps %d must be ≥ 0", c.WarmupSteps)
	}
	return nil
}

// Decays is HF's weight-decay grouping (Trainer.get_decay_parameter_names): every parameter is
// decayed except biases and the parameters of LayerNorm modules, which HF finds by module type
// and the lab reads from the model's parameter table.
func Decays(p weights.Param) bool { return !p.Bias && p.Module != weights.LayerNorm }

// LinearSchedule is transformers.get_linear_schedule_with_warmup's learning rate at step (0-based,
// the value the Trainer uses before its scheduler.step()). The arithmetic follows HF's lambda and
// LambdaLR's base_lr·λ so the values agree to the last bit.
func LinearSchedule(step, warmup, total int, lr float64) float64 {
	if step < warmup {
		return lr * (float64(step) / float64(max(1, warmup)))
	}
	return lr * math.Max(0, float64(total-step)/float64(max(1, total-warmup)))
}

// Optimizer updates the parameters of a store with AdamW. Its state (exp_avg, exp_avg_sq and the
// count of steps taken) lives in the same store under /optimizer, so it is saved, restored and
// carried between compiled steps like any other variable.
type Optimizer struct {
	cfg    AdamWConfig
	names  []string
	decay  []bool // per parameter: decayed (nil without weight decay)
	params []*model.Variable
	m, v   []*model.Variable
	step   *model.Variable
}

// StatePrefix is the store scope holding the optimizer's state.
const StatePrefix = "/optimizer"

// NewAdamW prepares AdamW over the trainable float variables of store (those outside StatePrefix),
// creating its zeroed state. table is the model's parameter table, with whatever was added to it
// (a head, adapter matrices, a prompt): it says which parameters are decayed (see Decays). Every
// optimized parameter must be in it; only without weight decay may table be nil. Parameters are
// updated in the store's order, which only matters for floating-point summation in the gradient
// norm.
func NewAdamW(store *model.Store, table weights.Table, cfg AdamWConfig) (*Optimizer, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.WeightDecay != 0 && table == nil {
		return nil, fmt.Errorf("train: AdamW with weight decay %g needs the model's parameter table to group the parameters", cfg.WeightDecay)
	}
	var params []string
	for v := range store.IterVariables() {
		if v.Trainable && v.DType().IsFloat() && !strings.HasPrefix(v.Path(), StatePrefix+"/") {
			params = append(params, strings.ReplaceAll(strings.TrimPrefix(v.Path(), "/"), "/", "."))
		}
	}
	if len(params) == 0 {
		return nil, fmt.Errorf("train: AdamW has no parameters to optimize")
	}
	o := &Optimizer{cfg: cfg, names: params}
	var unknown []string
	if table != nil {
		decays := table.Rule(Decays)
		known := table.Rule(func(weights.Param) bool { return true })
		for _, name := range params {
			if !known(name) {
				unknown = append(unknown, name)
			}
			o.decay = append(o.decay, decays(name))
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("train: AdamW: %d trainable parameter(s) are not in the model's parameter table, so their weight-decay group is unknown: %s", len(unknown), strings.Join(unknown, ", "))
	}
	for _, name := range params {
		p := store.GetVariable(weights.VarPath(name))
		state := func(kind string) (*model.Variable, error) {
			s, err := store.CreateVariable(StatePrefix+"/"+kind+weights.VarPath(name), tensors.FromShape(p.Shape()))
			if err != nil {
				return nil, fmt.Errorf("train: AdamW state for %q: %w", name, err)
			}
			s.SetTrainable(false) // optimizer state must never be differentiated or optimized itself
			return s, nil
		}
		m, err := state("exp_avg")
		if err != nil {
			return nil, err
		}
		v, err := state("exp_avg_sq")
		if err != nil {
			return nil, err
		}
		o.params, o.m, o.v = append(o.params, p), append(o.m, m), append(o.v, v)
	}
	step, err := store.CreateVariable(StatePrefix+"/step", tensors.FromScalar(int64(0)))
	if err != nil {
		return nil, fmt.Errorf("train: AdamW step counter: %w", err)
	}
	o.step = step.SetTrainable(false)
	return o, nil
}

// Config is the optimizer's configuration.
func (o *Optimizer) Config() AdamWConfig { return o.cfg }

// Names are the HF names of the optimized parameters, in update order.
func (o *Optimizer) Names() []string { return o.names }

// learningRate is LinearSchedule in the graph, from the count of steps already taken, in float64
// because torch computes its scalars in Python floats.
func (o *Optimizer) learningRate(t *Node) *Node {
	c := o.cfg
	g := t.Graph()
	tf := ConvertDType(t, dtypes.Float64)
	if c.TotalSteps <= 0 {
		return Scalar(g, dtypes.Float64, c.LR)
	}
	warm := MulScalar(DivScalar(tf, float64(max(1, c.WarmupSteps))), c.LR)
	left := Sub(Scalar(g, dtypes.Float64, float64(c.TotalSteps)), tf)
	decay := Max(DivScalar(left, float64(max(1, c.TotalSteps-c.WarmupSteps))), ScalarZero(g, dtypes.Float64))
	decay = MulScalar(decay, c.LR)
	return Where(LessThan(tf, Scalar(g, dtypes.Float64, float64(c.WarmupSteps))), warm, decay)
}

// Step builds one HF Trainer optimizer step into g: the gradients of loss, clipping to
// MaxGradNorm, the scheduled learning rate, AdamW's update of every parameter and its state, and
// the step count. It returns the gradients' global norm before clipping and the learning rate
// used (HF's logged grad_norm and learning_rate), both float32 scalars.
//
// The arithmetic follows torch 1.13's single-tensor AdamW operation by operation, with its Python
// scalars computed in float64 and rounded to the parameter's dtype where torch rounds them.
func (o *Optimizer) Step(g *Graph, loss *Node) (gradNorm, lr *Node) {
	c := o.cfg
	nodes := make([]*Node, len(o.params))
	for i, p := range o.params {
		nodes[i] = p.NodeValue(g)
	}
	grads := Gradient(loss, nodes...)

	// clip_grad_norm_: the norm of the per-parameter norms, all in float32.
	dt := nodes[0].DType()
	norms := make([]*Node, len(grads))
	for i, gr := range grads {
		norms[i] = Sqrt(ReduceAllSum(Square(gr)))
	}
	gradNorm = Sqrt(ReduceAllSum(Square(Stack(norms, 0))))
	if c.MaxGradNorm > 0 {
		coef := Min(Div(Scalar(g, dt, c.MaxGradNorm), AddScalar(gradNorm, 1e-6)), ScalarOne(g, dt))
		for i, gr := range grads {
			grads[i] = Mul(gr, coef)
		}
	}

	taken := o.step.NodeValue(g)
	lr64 := o.learningRate(taken)
	t := ConvertDType(AddScalar(taken, 1), dtypes.Float64) // torch increments step before using it
	bc1 := OneMinus(Pow(Scalar(g, dtypes.Float64, c.Beta1), t))
	bc2Sqrt := Sqrt(OneMinus(Pow(Scalar(g, dtypes.Float64, c.Beta2), t)))
	stepSize := Neg(Div(lr64, bc1))
	decay := OneMinus(MulScalar(lr64, c.WeightDecay))

	for i, p := range nodes {
		pdt := p.DType()
		as := func(x *Node) *Node { return ConvertDType(x, pdt) }
		gr := grads[i]
		if c.WeightDecay != 0 && o.decay[i] {
			p = Mul(p, as(decay))
		}
		m := Add(MulScalar(o.m[i].NodeValue(g), c.Beta1), MulScalar(gr, 1-c.Beta1))
		v := Add(MulScalar(o.v[i].NodeValue(g), c.Beta2), Mul(MulScalar(gr, 1-c.Beta2), gr))
		denom := AddScalar(Div(Sqrt(v), as(bc2Sqrt)), c.Eps)
		p = Add(p, Div(Mul(as(stepSize), m), denom))
		o.params[i].SetNodeValue(p)
		o.m[i].SetNodeValue(m)
		o.v[i].SetNodeValue(v)
	}
	o.step.SetNodeValue(AddScalar(taken, 1))
	return gradNorm, ConvertDType(lr64, dt)
}
