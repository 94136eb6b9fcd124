package clip

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/weights"
)

// NewRandom builds a CLIP with random weights in the spirit of HF's CLIPPreTrainedModel._init_weights,
// by module type as the parameter table gives it: Linear weights normal with std 1/√fan-in,
// Embedding, Conv and bare parameters normal with std 0.02, zero biases, unit LayerNorms,
// logit_scale log(1/0.07). The demo and the benchmarks use it; no result of the lab is taken from
// random weights.
func NewRandom(cfg *Config, seed uint64) *Model {
	m := &Model{Config: cfg, Store: model.NewStore()}
	// A fixed order, by name, so a seed always gives the same weights.
	table := slices.SortedFunc(slices.Values(cfg.Params()), func(a, b weights.Param) int { return strings.Compare(a.Name, b.Name) })
	rng := rand.New(rand.NewPCG(seed, 0x636c6970))
	for _, p := range table {
		data := make([]float32, p.Size())
		switch {
		case p.Name == "logit_scale":
			data[0] = float32(math.Log(1 / 0.07))
		case p.Bias:
			// zeros: Linear biases and LayerNorm shifts
		case p.Module == weights.LayerNorm:
			for i := range data {
				data[i] = 1
			}
		default:
			std := 0.02 // Embedding, Conv (the patch embedding) and class_embedding
			if p.Module == weights.Linear {
				std = 1 / math.Sqrt(float64(p.Shape[len(p.Shape)-1])) // fan-in
			}
			for i := range data {
				data[i] = float32(rng.NormFloat64() * std)
			}
		}
		if _, err := m.Store.CreateVariable(weights.VarPath(p.Name), tensors.FromFlatDataAndDimensions(data, p.Shape...)); err != nil {
			panic(err) // only on a path clash, which the table's distinct names rule out
		}
	}
	return m
}

// Save writes the weights as an HF safetensors checkpoint of CLIPModel (atomically).
func (m *Model) Save(path string) error {
	ts, err := weights.FromStore(m.Store, m.Config.Params().Wants(nil))
	if err != nil {
		return err
	}
	return weights.Write(path, ts, map[string]string{"format": "pt"})
}
