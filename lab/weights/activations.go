package weights

import (
	"fmt"
	"math"
	"sort"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers/activation"
)

// Activations are HF transformers' ACT2FN by the names configs use (hidden_act, activation):
// one table for every model of the lab, as HF keeps one.
var Activations = map[string]func(*Node) *Node{
	// HF's "gelu" is the exact erf form, not the tanh approximation; GoMLX's activation.Gelu is
	// that form, run as one fused op where the backend has it.
	"gelu":     activation.Gelu,
	"gelu_new": geluTanh, "gelu_pytorch_tanh": geluTanh, "gelu_fast": geluTanh,
	"relu":  func(x *Node) *Node { return Max(x, ZerosLike(x)) },
	"silu":  func(x *Node) *Node { return Mul(x, Sigmoid(x)) },
	"swish": func(x *Node) *Node { return Mul(x, Sigmoid(x)) },
	// OpenAI's CLIP activation, x·σ(1.702x).
	"quick_gelu": func(x *Node) *Node { return Mul(x, Sigmoid(MulScalar(x, 1.702))) },
}

func geluTanh(x *Node) *Node {
	inner := MulScalar(Add(x, MulScalar(Mul(x, Mul(x, x)), 0.044715)), math.Sqrt(2/math.Pi))
	return Mul(MulScalar(x, 0.5), OnePlus(Tanh(inner)))
}

// CheckActivation is a config validator's answer for an activation name: nil when the lab has it,
// else an error listing the ones it has.
func CheckActivation(name string) error {
	if _, ok := Activations[name]; ok {
		return nil
	}
	names := make([]string, 0, len(Activations))
	for n := range Activations {
		names = append(names, n)
	}
	sort.Strings(names)
	return fmt.Errorf("unknown (known: %v)", names)
}
