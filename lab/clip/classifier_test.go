package clip

import (
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/backend"
	"github.com/go-translab/translab/lab/npy"
)

// TestClassifierStartsAtZeroShot: the head AddClassifier makes gives the zero-shot logits before
// any training.
func TestClassifierStartsAtZeroShot(t *testing.T) {
	ref := referenceDir(t)
	m, err := LoadDir(ref)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := backend.Default()
	if err != nil {
		t.Fatal(err)
	}
	const classes, d = 3, 96
	z := &ZeroShot{Model: m, Backend: b, Classes: []string{"a", "b", "c"}, ClassEmbeds: make([]float32, classes*d)}
	for c := range classes { // three unit vectors, not axis-aligned
		v := make([]float64, d)
		for j := range v {
			v[j] = float64((c+1)*(j%7) - 3*j%5)
		}
		normalizeInto(z.ClassEmbeds[c*d:(c+1)*d], v)
	}
	if err := m.AddClassifier(z); err != nil {
		t.Fatal(err)
	}
	pix, err := npy.Read(ref + "/inputs/pixel_values.npy")
	if err != nil {
		t.Fatal(err)
	}
	n := pix.Shape[0]
	emb, err := m.ImageEmbeddings(b, pix.F32, n)
	if err != nil {
		t.Fatal(err)
	}
	want, err := z.Logits(emb, n)
	if err != nil {
		t.Fatal(err)
	}
	out, err := model.CallOnce(b, m.Store, func(_ *model.Scope, px *Node) *Node { return m.ClassifierLogits(px) },
		tensors.FromFlatDataAndDimensions(pix.F32, pix.Shape...))
	if err != nil {
		t.Fatal(err)
	}
	if e := relErr(tensors.MustCopyFlatData[float32](out), want); e > 1e-5 {
		t.Errorf("head logits differ from zero-shot's by %.3g", e)
	}
	if err := m.AddClassifier(&ZeroShot{Classes: []string{"a"}, ClassEmbeds: make([]float32, 5)}); err == nil {
		t.Error("a head from embeddings of the wrong width was accepted")
	}
}
