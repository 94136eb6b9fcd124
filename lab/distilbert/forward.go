package distilbert

import (
	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// Forward is model(input_ids, attention_mask).last_hidden_state: ids and mask [batch, seq] (int32,
// as tokenize.Batch.Tensors makes them) to [batch, seq, hidden].
func (m *Model) Forward(b compute.Backend, ids, mask *tensors.Tensor) (*tensors.Tensor, error) {
	return m.Run(b, "encode", m.Encode, ids, mask)
}

// Classify is the sequence classifier's forward: the logits [batch, num_labels].
func (m *Model) Classify(b compute.Backend, ids, mask *tensors.Tensor) (*tensors.Tensor, error) {
	return m.Run(b, "logits", m.Logits, ids, mask)
}

// Run runs fn(ids, mask) — a graph over this model — through the executor the model keeps under
// key (see weights.Executors: each padded shape compiles once per process).
func (m *Model) Run(b compute.Backend, key string, fn func(ids, mask *Node) *Node, ids, mask *tensors.Tensor) (*tensors.Tensor, error) {
	return m.execs.Run(b, m.Weights(), key, func(in []*Node) *Node { return fn(in[0], in[1]) }, ids, mask)
}
