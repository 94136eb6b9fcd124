package distilbert

import (
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// NewRandom builds a model with HF's initialisation (DistilBertPreTrainedModel._init_weights):
// Linear and Embedding weights ~ normal(0, initializer_range), biases zero, LayerNorm weight one and
// bias zero, the padding row of the word embeddings zero. Benchmarks and tests use it, and
// fine-tuning uses InitHead for a fresh classifier.
func NewRandom(cfg *Config, head bool, seed uint64) *Model {
	m := &Model{Config: cfg, Store: model.NewStore()}
	m.initialize(cfg.WeightShapes(head), seed)
	m.HasHead = head
	return m
}

// InitHead gives the model a freshly initialised classification head of cfg.NumLabels() outputs.
func (m *Model) InitHead(seed uint64) {
	all := m.Config.WeightShapes(true)
	head := map[string][]int{}
	for name, shape := range all {
		if !strings.HasPrefix(name, "distilbert.") {
			head[name] = shape
		}
	}
	m.initialize(head, seed)
	m.HasHead = true
}

func (m *Model) initialize(shapes map[string][]int, seed uint64) {
	names := make([]string, 0, len(shapes))
	for n := range shapes {
		names = append(names, n)
	}
	sort.Strings(names) // a fixed order, so a seed always gives the same weights
	rng := rand.New(rand.NewPCG(seed, 0x6c6162))
	std := m.Config.InitializerRange
	for _, name := range names {
		shape := shapes[name]
		size := 1
		for _, d := range shape {
			size *= d
		}
		data := make([]float32, size)
		switch {
		case strings.Contains(name, "LayerNorm.weight") || strings.HasSuffix(name, "layer_norm.weight"):
			for i := range data {
				data[i] = 1
			}
		case strings.HasSuffix(name, ".bias"):
			// zeros
		default:
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
			panic(err) // only on a path clash, which WeightShapes rules out
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
