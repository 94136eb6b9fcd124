package distilbert

import (
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// BenchmarkEmbedBase measures [CLS] extraction with a DistilBERT-base-size model (random weights)
// at batch 32, sequence 64, and reports sentences/s. `lab bench embed` runs the same workload.
func BenchmarkEmbedBase(b *testing.B) {
	m := NewRandom(DefaultConfig(), false, 1)
	const batch, seq = 32, 64
	ids := make([]int32, batch*seq)
	mask := make([]int32, batch*seq)
	for i := range ids {
		ids[i] = int32(1000 + (i*7919)%20000)
		mask[i] = 1
	}
	idsT := tensors.FromFlatDataAndDimensions(ids, batch, seq)
	maskT := tensors.FromFlatDataAndDimensions(mask, batch, seq)
	exec, err := model.NewExec(testBackend(b), m.Store, func(_ *model.Scope, ids, mask *Node) *Node {
		return m.CLS(ids, mask)
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := exec.Call(idsT, maskT); err != nil { // compile outside the timing
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := exec.Call(idsT, maskT); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "sentences/s")
}
