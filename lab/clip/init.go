package clip

import (
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/weights"
)

// NewRandom builds a CLIP with random weights in the spirit of HF's CLIPPreTrainedModel._init_weights
// (normal weights scaled by the width, zero biases, unit LayerNorms, logit_scale log(1/0.07)). The
// demo and the benchmarks use it; no result of the lab is taken from random weights.
func NewRandom(cfg *Config, seed uint64) *Model {
	m := &Model{Config: cfg, Store: model.NewStore()}
	shapes := cfg.WeightShapes()
	names := make([]string, 0, len(shapes))
	for n := range shapes {
		names = append(names, n)
	}
	sort.Strings(names) // a fixed order, so a seed always gives the same weights
	rng := rand.New(rand.NewPCG(seed, 0x636c6970))
	for _, name := range names {
		shape := shapes[name]
		size := 1
		for _, d := range shape {
			size *= d
		}
		data := make([]float32, size)
		std := 0.02
		if len(shape) >= 2 {
			std = 1 / math.Sqrt(float64(shape[len(shape)-1])) // fan-in
		}
		switch {
		case name == "logit_scale":
			data[0] = float32(math.Log(1 / 0.07))
		case strings.Contains(name, "layer_norm") || strings.Contains(name, "layrnorm") || strings.Contains(name, "layernorm"):
			if strings.HasSuffix(name, ".weight") {
				for i := range data {
					data[i] = 1
				}
			}
		case strings.HasSuffix(name, ".bias"):
		default:
			if strings.Contains(name, "embedding") {
				std = 0.02
			}
			for i := range data {
				data[i] = float32(rng.NormFloat64() * std)
			}
		}
		if _, err := m.Store.CreateVariable(weights.VarPath(name), tensors.FromFlatDataAndDimensions(data, shape...)); err != nil {
			panic(err) // only on a path clash, which WeightShapes rules out
		}
	}
	return m
}

// Save writes the weights as an HF safetensors checkpoint of CLIPModel (atomically).
func (m *Model) Save(path string) error {
	ts, err := weights.FromStore(m.Store, weights.Wants(m.Config.WeightShapes(), nil))
	if err != nil {
		return err
	}
	return weights.Write(path, ts, map[string]string{"format": "pt"})
}
