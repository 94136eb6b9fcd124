package bert

import (
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/weights"
)

// NewRandom builds a model with HF's initialisation (BertPreTrainedModel._init_weights), by module
// type as the parameter table gives it: Linear and Embedding weights ~ normal(0,
// initializer_range), biases zero, LayerNorm weight one and bias zero, the padding row of the word
// embeddings zero. Tests and benchmarks use it; fine-tuning uses InitHead for a fresh classifier.
func NewRandom(cfg *Config, head bool, seed uint64) *Model {
	m := &Model{Config: cfg, Store: model.NewStore(), HasPooler: true, HasHead: head}
	m.initialize(cfg.Params(head), seed)
	return m
}

// InitHead gives the model a freshly initialised classifier of Config.NumLabels() outputs — and a
// fresh pooler when the checkpoint had none, as BertForSequenceClassification.from_pretrained does.
func (m *Model) InitHead(seed uint64) {
	table := m.Config.headParams()
	if !m.HasPooler {
		table = append(m.Config.poolerParams(), table...)
	}
	m.initialize(table, seed)
	m.HasPooler, m.HasHead = true, true
}

func (m *Model) initialize(table weights.Table, seed uint64) {
	// A fixed order, by name, so a seed always gives the same weights.
	table = slices.SortedFunc(slices.Values(table), func(a, b weights.Param) int { return strings.Compare(a.Name, b.Name) })
	rng := rand.New(rand.NewPCG(seed, 0x62657274))
	std := m.Config.InitializerRange
	for _, p := range table {
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
			if p.Name == "bert.embeddings.word_embeddings.weight" {
				clear(data[m.Config.PadTokenID*p.Shape[1] : (m.Config.PadTokenID+1)*p.Shape[1]])
			}
		}
		v := m.Store.GetVariable(VarPath(p.Name))
		t := tensors.FromFlatDataAndDimensions(data, p.Shape...)
		if v != nil {
			v.MustSetValue(t)
		} else if _, err := m.Store.CreateVariable(VarPath(p.Name), t); err != nil {
			panic(err) // only on a path clash, which the table's distinct names rule out
		}
	}
}
