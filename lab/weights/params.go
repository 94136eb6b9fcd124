package weights

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gomlx/compute"
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
type Params struct{ Store *model.Store }

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
	g := x.Graph()
	var bias *Node
	if p.Store.GetVariable(VarPath(name+".bias")) != nil {
		bias = p.Node(g, name+".bias")
	}
	return nn.Dense(x, p.Node(g, name+".weight"), bias, compute.DenseLayoutOutputsInput)
}

// LayerNorm is torch.nn.LayerNorm over the last axis.
func (p Params) LayerNorm(x *Node, name string, eps float64) *Node {
	g := x.Graph()
	return nn.LayerNorm(x, []int{-1}, eps, p.Node(g, name+".weight"), p.Node(g, name+".bias"), nil)
}

// Wants turns a model's weight map (HF name → shape) into the Wants of Bind and FromStore, sorted
// by file name. fileName maps an HF name to the name in the file (nil: the same), for checkpoints
// saved from a bare encoder whose names lack the head model's prefix.
func Wants(shapes map[string][]int, fileName func(string) string) []Want {
	want := make([]Want, 0, len(shapes))
	for name, shape := range shapes {
		f := name
		if fileName != nil {
			f = fileName(name)
		}
		want = append(want, Want{Name: f, Path: VarPath(name), Shape: shape})
	}
	sort.Slice(want, func(i, j int) bool { return want[i].Name < want[j].Name })
	return want
}
