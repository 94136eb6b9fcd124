package bert

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/weights"
)

// Forward is model(input_ids, attention_mask).last_hidden_state: ids and mask [batch, seq] (int32,
// as tokenize.Batch.Tensors makes them) to [batch, seq, hidden].
func (m *Model) Forward(b compute.Backend, ids, mask *tensors.Tensor) (*tensors.Tensor, error) {
	return m.call(&m.encodeExec, b, m.Encode, ids, mask)
}

// Classify is BertForSequenceClassification's forward: the logits [batch, num_labels].
func (m *Model) Classify(b compute.Backend, ids, mask *tensors.Tensor) (*tensors.Tensor, error) {
	return m.call(&m.logitsExec, b, m.Logits, ids, mask)
}

// call runs fn through the executor kept in *slot: a model.Exec keeps one compiled graph per input
// shape, so classifying a split batch by batch compiles each padded shape once. It is rebuilt
// when another backend, compute dtype or adapter asks.
func (m *Model) call(slot **cachedExec, b compute.Backend, fn func(ids, mask *Node) *Node, ids, mask *tensors.Tensor) (*tensors.Tensor, error) {
	m.mu.Lock()
	c := *slot
	if c == nil || c.backend != b || c.compute != m.Compute || c.adapter != m.Adapter {
		e, err := model.NewExec(b, m.Store, func(_ *model.Scope, ids, mask *Node) *Node { return fn(ids, mask) })
		if err != nil {
			m.mu.Unlock()
			return nil, err
		}
		c = &cachedExec{exec: e, backend: b, compute: m.Compute, adapter: m.Adapter}
		*slot = c
	}
	m.mu.Unlock()
	out, err := c.exec.Call(ids, mask)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

type cachedExec struct {
	exec    *model.Exec
	backend compute.Backend
	compute dtypes.DType
	adapter weights.Adapter
}
