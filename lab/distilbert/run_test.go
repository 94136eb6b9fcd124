package distilbert

import (
	"slices"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/go-translab/translab/lab/backend"
)

// TestRunKeepsExecutorsPastTheirCacheSize: Run keeps one executor per key across calls, and an
// executor compiles at most 32 shapes; a 33rd and later shapes must still run, with the same
// results as before. It is about the lab's bookkeeping, not a backend: it runs on pure Go, where
// compiling 40 shapes costs nothing, whichever backend the other tests run on.
func TestRunKeepsExecutorsPastTheirCacheSize(t *testing.T) {
	cfg := DefaultConfig()
	cfg.NLayers, cfg.Dim, cfg.HiddenDim, cfg.NHeads, cfg.VocabSize, cfg.MaxPositionEmbeddings = 1, 8, 16, 2, 50, 64
	m := NewRandom(cfg, false, 1)
	b, err := compute.NewWithConfig(backend.GoConfig)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Finalize()
	input := func(seq int) (*tensors.Tensor, *tensors.Tensor) {
		ids, mask := make([]int32, seq), make([]int32, seq)
		for i := range ids {
			ids[i], mask[i] = int32(1+i%40), 1
		}
		return tensors.FromFlatDataAndDimensions(ids, 1, seq), tensors.FromFlatDataAndDimensions(mask, 1, seq)
	}
	first := map[int][]float32{}
	for pass := range 2 {
		for seq := 1; seq <= 40; seq++ {
			ids, mask := input(seq)
			out, err := m.Run(b, "cls", m.CLS, ids, mask)
			if err != nil {
				t.Fatalf("pass %d, shape %d: %v", pass, seq, err)
			}
			got := tensors.MustCopyFlatData[float32](out)
			if pass == 0 {
				first[seq] = got
			} else if !slices.Equal(got, first[seq]) {
				t.Errorf("sequence of %d: %v, then %v", seq, first[seq], got)
			}
		}
	}
}
