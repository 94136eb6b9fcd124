package distilbert

import (
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/weights"
)

// Forward is model(input_ids, attention_mask).last_hidden_state: ids and mask [batch, seq] (int32,
// as tokenize.Batch.Tensors makes them) to [batch, seq, dim].
func (m *Model) Forward(b compute.Backend, ids, mask *tensors.Tensor) (*tensors.Tensor, error) {
	return m.Run(b, "encode", m.Encode, ids, mask)
}

// Classify is DistilBertForSequenceClassification's forward: the logits [batch, num_labels].
func (m *Model) Classify(b compute.Backend, ids, mask *tensors.Tensor) (*tensors.Tensor, error) {
	return m.Run(b, "logits", m.Logits, ids, mask)
}

// Run runs fn(ids, mask) — a graph over this model — through the executor the model keeps under
// key: a model.Exec keeps one compiled graph per input shape, so a split classified batch by batch,
// or features extracted split after split, compile each padded shape once per process (on XLA a
// compile of DistilBERT-base costs as much as several batches). The executor is rebuilt when
// another backend, compute dtype or adapter asks; key must name one fn.
func (m *Model) Run(b compute.Backend, key string, fn func(ids, mask *Node) *Node, ids, mask *tensors.Tensor) (*tensors.Tensor, error) {
	c, err := m.exec(b, key, fn, false)
	if err != nil {
		return nil, err
	}
	out, err := c.Call(ids, mask)
	if err != nil && strings.Contains(err.Error(), "maximum cache size") {
		// An Exec holds at most 32 compiled shapes; past that, start a new one (as each call
		// did before executors were kept).
		if c, err = m.exec(b, key, fn, true); err != nil {
			return nil, err
		}
		out, err = c.Call(ids, mask)
	}
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

func (m *Model) exec(b compute.Backend, key string, fn func(ids, mask *Node) *Node, renew bool) (*model.Exec, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c := m.execs[key]; c != nil && !renew && c.backend == b && c.compute == m.Compute && c.adapter == m.Adapter {
		return c.exec, nil
	}
	e, err := model.NewExec(b, m.Store, func(_ *model.Scope, ids, mask *Node) *Node { return fn(ids, mask) })
	if err != nil {
		return nil, err
	}
	if m.execs == nil {
		m.execs = map[string]*cachedExec{}
	}
	m.execs[key] = &cachedExec{exec: e, backend: b, compute: m.Compute, adapter: m.Adapter}
	return e, nil
}

type cachedExec struct {
	exec    *model.Exec
	backend compute.Backend
	compute dtypes.DType
	adapter weights.Adapter
}
