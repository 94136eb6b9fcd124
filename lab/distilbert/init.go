package distilbert

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/weights"
)

// NewRandom builds a model with HF's initialisation (DistilBertPreTrainedModel._init_weights), by
// module type as the parameter table gives it: Linear and Embedding weights ~ normal(0,
// initializer_range), biases zero, LayerNorm weight one and bias zero, the padding row of the word
// embeddings zero (sinusoidal position embeddings when the config asks for them). Benchmarks and
// tests use it, and fine-tuning uses InitHead for a fresh classifier.
func NewRandom(cfg *Config, head bool, seed uint64) *Model {
	m := &Model{Config: cfg, Store: model.NewStore()}
	m.initialize(cfg.Params(head), seed)
	m.HasHead = head
	return m
}

// InitHead gives the model a freshly initialised classification head of cfg.NumLabels() outputs.
func (m *Model) InitHead(seed uint64) {
	m.initialize(m.Config.headParams(), seed)
	m.HasHead = true
}

func (m *Model) initialize(table weights.Table, seed uint64) {
	// A fixed order, by name, so a seed always gives the same weights.
	table = slices.SortedFunc(slices.Values(table), func(a, b weights.Param) int { return strings.Compare(a.Name, b.Name) })
	rng := rand.New(rand.NewPCG(seed, 0x6c6162))
	std := m.Config.InitializerRange
	for _, p := range table {
		name, shape := p.Name, p.Shape
		data := make([]float32, p.Size())
		switch {
		case p.Bias:
			// zeros: Linear biases and LayerNorm shifts
		case p.Module == weights.LayerNorm:
			for i := range data {
				data[i] = 1
			}
		default: // Linear and Embedding weights
			for i := range data {
				data[i] = float32(rng.NormFloat64() * std)
			}
			if name == "distilbert.embeddings.position_embeddings.weight" && m.Config.SinusoidalPosEmbds {
				sinusoidal(data, shape[0], shape[1])
			}
			if name == "distilbert.embeddings.word_embeddings.weight" {
				row := data[m.Config.PadTokenID*shape[1] : (m.Config.PadTokenID+1)*shape[1]]
				clear(row)
			}
		}
		v := m.Store.GetVariable(VarPath(name))
		t := tensors.FromFlatDataAndDimensions(data, shape...)
		if v != nil {
			v.MustSetValue(t)
		} else if _, err := m.Store.CreateVariable(VarPath(name), t); err != nil {
			panic(err) // only on a path clash, which the table's distinct names rule out
		}
	}
}

// sinusoidal fills a [positions, dim] table as HF's create_sinusoidal_embeddings does: sin on even
// columns, cos on odd ones, with frequency 1/10000^(2⌊j/2⌋/dim).
func sinusoidal(data []float32, positions, dim int) {
	for pos := 0; pos < positions; pos++ {
		for j := 0; j < dim; j++ {
			angle := float64(pos) / math.Pow(10000, float64(2*(j/2))/float64(dim))
			if j%2 == 0 {
				data[pos*dim+j] = float32(math.Sin(angle))
			} else {
				data[pos*dim+j] = float32(math.Cos(angle))
			}
		}
	}
}
