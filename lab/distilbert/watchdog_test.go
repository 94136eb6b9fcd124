package distilbert

import (
	"os"
	"runtime/pprof"
	"testing"
	"time"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestNoWorkerPoolDeadlock guards the default Go-backend configuration against gomlx v0.28.8's
// worker-pool deadlock (see lab/backend): a multi-layer forward and a batch-32 training step at
// BERT-base width, each under a watchdog that fails loudly, with every goroutine's stack, on a hang.
// With the default parallelism the training step hung 2 times in 8 on 2 cores.
func TestNoWorkerPoolDeadlock(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the watchdog runs a BERT-base-width model for a few seconds")
	}
	cfg := DefaultConfig()
	cfg.NLayers = 2
	cfg.VocabSize = 2048 // the embedding table's size does not matter to the worker pool
	m := NewRandom(cfg, true, 1)
	b := testBackend(t)
	const batch, seq = 32, 64
	ids := make([]int32, batch*seq)
	mask := make([]int32, batch*seq)
	labels := make([]int32, batch)
	for i := range ids {
		ids[i] = int32(1 + (i*7919)%(cfg.VocabSize-1))
		mask[i] = 1
	}
	for i := range labels {
		labels[i] = int32(i % 2)
	}
	idsT := tensors.FromFlatDataAndDimensions(ids, batch, seq)
	maskT := tensors.FromFlatDataAndDimensions(mask, batch, seq)
	labelsT := tensors.FromFlatDataAndDimensions(labels, batch)

	forward, err := model.NewExec(b, m.Store, func(_ *model.Scope, ids, mask *Node) *Node { return m.Encode(ids, mask) })
	if err != nil {
		t.Fatal(err)
	}
	watchdog(t, "forward", 3*time.Minute, func() error { _, err := forward.Call(idsT, maskT); return err })

	step, err := model.NewExec(b, m.Store, func(_ *model.Scope, ids, mask, labels *Node) *Node {
		g := ids.Graph()
		m.Store.SetTraining(g, true)
		loss := Loss(m.Logits(ids, mask), labels)
		var vars []*model.Variable
		var nodes []*Node
		for v := range m.Store.IterVariables() {
			if v.Trainable && v.DType().IsFloat() {
				vars = append(vars, v)
				nodes = append(nodes, v.NodeValue(g))
			}
		}
		for i, grad := range Gradient(loss, nodes...) {
			vars[i].SetNodeValue(Sub(nodes[i], MulScalar(grad, 1e-3)))
		}
		return loss
	})
	if err != nil {
		t.Fatal(err)
	}
	watchdog(t, "training step", 5*time.Minute, func() error { _, err := step.Call(idsT, maskT, labelsT); return err })
}

func watchdog(t *testing.T, what string, limit time.Duration, run func() error) {
	t.Helper()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- run() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		t.Logf("%s: %.2fs", what, time.Since(start).Seconds())
	case <-time.After(limit):
		pprof.Lookup("goroutine").WriteTo(os.Stderr, 1)
		t.Fatalf("%s HUNG: no result after %v — the Go backend's worker pool deadlocked (goroutines above); "+
			"check that lab/backend still configures %q", what, limit, "go:parallelism=-1")
	}
}
