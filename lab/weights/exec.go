package weights

import (
	"strings"
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Executors keeps a model's compiled executors, one per graph function. A model.Exec keeps one
// compiled graph per input shape, so a split classified batch by batch, or features extracted
// split after split, compile each padded shape once per process — on XLA a compile of a base-size
// model costs as much as several batches. The zero value is ready; it is safe for concurrent use.
type Executors struct {
	mu    sync.Mutex
	execs map[string]*cachedExec
}

type cachedExec struct {
	exec    *model.Exec
	backend compute.Backend
	compute dtypes.DType
	adapter Adapter
}

// Run runs fn over p's store on the inputs, through the executor kept under key (key must name
// one fn). The executor is rebuilt when another backend, compute dtype or adapter asks, and
// renewed when it has compiled as many shapes as a model.Exec holds.
func (e *Executors) Run(b compute.Backend, p Params, key string, fn func(in []*Node) *Node, inputs ...*tensors.Tensor) (*tensors.Tensor, error) {
	args := make([]any, len(inputs))
	for i, t := range inputs {
		args[i] = t
	}
	exec, err := e.exec(b, p, key, fn, false)
	if err != nil {
		return nil, err
	}
	out, err := exec.Call(args...)
	if err != nil && strings.Contains(err.Error(), "maximum cache size") {
		// An Exec holds at most 32 compiled shapes; past that, start a new one.
		if exec, err = e.exec(b, p, key, fn, true); err != nil {
			return nil, err
		}
		out, err = exec.Call(args...)
	}
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

func (e *Executors) exec(b compute.Backend, p Params, key string, fn func(in []*Node) *Node, renew bool) (*model.Exec, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c := e.execs[key]; c != nil && !renew && c.backend == b && c.compute == p.Compute && c.adapter == p.Adapter {
		return c.exec, nil
	}
	x, err := model.NewExec(b, p.Store, func(_ *model.Scope, in []*Node) *Node { return fn(in) })
	if err != nil {
		return nil, err
	}
	if e.execs == nil {
		e.execs = map[string]*cachedExec{}
	}
	e.execs[key] = &cachedExec{exec: x, backend: b, compute: p.Compute, adapter: p.Adapter}
	return x, nil
}
