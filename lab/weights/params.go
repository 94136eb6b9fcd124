package weights

import (
	"fmt"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/nn"
)

// VarPath is the store path of an HF parameter name: the lab keeps each weight under a path that
// mirrors its checkpoint name ("text_model.final_layer_norm.weight" lives at
// "/text_model/final_layer_norm/weight"), so loading and exporting are a renaming of dots to slashes.
func VarPath(hfName string) string { return "/" + strings.ReplaceAll(hfName, ".", "/") }

// Params reads HF-named parameters out of a store while a model builds its graph, with the two
// layers every HF transformer uses in PyTorch's conventions.
type Params struct {
	Store *model.Store
	// Compute is the dtype the matmuls (Linear, MatMul) run in; zero means Float32. BFloat16 is
	// mixed precision as PyTorch's autocast does it: the store keeps float32 master weights, which
	// training updates, and only the matmul operands are rounded, so everything numerically
	// delicate (LayerNorm, softmax, activations, residuals, losses) stays float32.
	Compute dtypes.DType
	// Adapter, when set, adds its side path to the output of every Linear layer it adapts (PEFT's
	// LoRA does); the base weights stay as loaded, so the same store serves with and without it.
	Adapter Adapter
}

// Adapter changes what a model's Linear layers compute without touching their weights.
type Adapter interface {
	// Adapt returns the output of the Linear layer called name, given its input x and its base
	// output y (y itself for a layer it does not adapt).
	Adapt(p Params, name string, x, y *Node) *Node
}

// ParseCompute reads a --dtype flag: float32 (or f32, or empty) and bf16 (or bfloat16).
func ParseCompute(s string) (dtypes.DType, error) {
	switch strings.ToLower(s) {
	case "", "float32", "f32", "fp32":
		return dtypes.Float32, nil
	case "bf16", "bfloat16":
		return dtypes.BFloat16, nil
	}
	return dtypes.InvalidDType, fmt.Errorf("dtype %q: want float32 or bf16", s)
}

// mixed says whether the matmuls are to be rounded to bfloat16. Any other half or low precision
// is a programming error: the models are only validated against the references in these two.
func (p Params) mixed() bool {
	switch p.Compute {
	case dtypes.InvalidDType, dtypes.Float32:
		return false
	case dtypes.BFloat16:
		return true
	}
	panic(fmt.Sprintf("weights: compute dtype %s is not supported (float32 or bfloat16)", p.Compute))
}

// lower rounds a float32 matmul operand to the compute dtype. ConvertDType is differentiable, so
// the gradient still reaches the float32 master weight: the dot's VJP works in its float32
// accumulator, rounds to the operand's bfloat16 once, and the convert's VJP widens it back.
func (p Params) lower(x *Node) *Node {
	if p.mixed() && x.DType() != dtypes.BFloat16 {
		return ConvertDType(x, dtypes.BFloat16)
	}
	return x
}

// raise brings a matmul's result back to float32 at once, so that the ops after it are float32;
// GoMLX already accumulates bfloat16 dots in float32, so this rounds once, as autocast's bf16
// output does.
func (p Params) raise(y *Node) *Node {
	if p.mixed() {
		return ConvertDType(y, dtypes.Float32)
	}
	return y
}

// MatMul is Einsum(equation, a, b) run in the compute dtype, with a float32 result: the attention
// score and context products and CLIP's patch projection.
func (p Params) MatMul(equation string, a, b *Node) *Node {
	equation, b = contractRHSFirst(equation, b)
	if !p.mixed() {
		return Einsum(equation, a, b)
	}
	return p.raise(Einsum(equation, p.lower(a), p.lower(b)))
}

// contractRHSFirst rewrites a two-operand einsum whose rhs is contracted on its last axis (x·Wᵀ,
// q·kᵀ) so that the rhs's contracted axes come before its free ones, transposing the rhs to match.
// The pure-Go backend (compute v0.1.6, AVX2) routes the other layout to its "transposed" kernels:
// in float32 ~9× slower than the non-transposed one for the attention scores (DistilBERT-base
// embed 4.3 → 5.1 sentences/s with the rewrite), in bfloat16 wrong (relative error ~0.9, where the
// non-transposed kernel and XLA are right). XLA folds the transpose into the dot, so it costs
// nothing there.
func contractRHSFirst(equation string, rhs *Node) (string, *Node) {
	ins, out, ok := strings.Cut(strings.ReplaceAll(equation, " ", ""), "->")
	lhs, r, ok2 := strings.Cut(ins, ",")
	if !ok || !ok2 || len(r) != rhs.Rank() {
		return equation, rhs
	}
	contracted := func(c rune) bool { return strings.ContainsRune(lhs, c) && !strings.ContainsRune(out, c) }
	var batch, con, free []rune
	for _, c := range r {
		switch {
		case strings.ContainsRune(lhs, c) && strings.ContainsRune(out, c):
			batch = append(batch, c)
		case contracted(c):
			con = append(con, c)
		default:
			free = append(free, c)
		}
	}
	want := string(batch) + string(con) + string(free)
	if want == r {
		return equation, rhs
	}
	perm := make([]int, len(want))
	for i, c := range want {
		perm[i] = strings.IndexRune(r, c)
	}
	return lhs + "," + want + "->" + out, TransposeAllAxes(rhs, perm...)
}

// Node is the graph node of an HF parameter. A name the model never loaded is a programming error.
func (p Params) Node(g *Graph, hfName string) *Node {
	v := p.Store.GetVariable(VarPath(hfName))
	if v == nil {
		panic(fmt.Sprintf("weights: parameter %q was not loaded", hfName))
	}
	return v.NodeValue(g)
}

// Linear is torch.nn.Linear: y = x·Wᵀ + b with W stored [out, in] as in the checkpoint. Without a
// bias in the store (CLIP's projections), it is x·Wᵀ.
func (p Params) Linear(x *Node, name string) *Node {
	y := p.linear(x, name)
	if p.Adapter != nil {
		y = p.Adapter.Adapt(p, name, x, y)
	}
	return y
}

func (p Params) linear(x *Node, name string) *Node {
	g := x.Graph()
	var bias *Node
	if p.Store.GetVariable(VarPath(name+".bias")) != nil {
		bias = p.Node(g, name+".bias")
	}
	w := p.Node(g, name+".weight")
	if !p.mixed() {
		return nn.Dense(x, w, bias, compute.DenseLayoutOutputsInput)
	}
	// The bias is added in float32 after the product (autocast adds it in bf16 inside addmm): one
	// rounding fewer, and the result is float32 either way.
	// W is contracted on its leading axis, for the reason given in contractRHSFirst.
	y := p.raise(DotGeneral(p.lower(x), []int{x.Rank() - 1}, nil, p.lower(Transpose(w, 0, 1)), []int{0}, nil))
	if bias != nil {
		y = Add(y, ExpandLeftToRank(bias, y.Rank()))
	}
	return y
}

// LayerNorm is torch.nn.LayerNorm over the last axis.
func (p Params) LayerNorm(x *Node, name string, eps float64) *Node {
	g := x.Graph()
	return nn.LayerNorm(x, []int{-1}, eps, p.Node(g, name+".weight"), p.Node(g, name+".bias"), nil)
}
