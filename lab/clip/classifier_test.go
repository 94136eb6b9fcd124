package clip

import (
	"math"
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
	const classes = 3
	d := m.Config.ProjectionDim
	embeds := make([]float32, classes*d)
	for c := range classes { // three unit vectors, not axis-aligned
		var norm float64
		for j := range d {
			v := float64((c+1)*(j%7) - 3*j%5)
			embeds[c*d+j], norm = float32(v), norm+v*v
		}
		for j := range d {
			embeds[c*d+j] /= float32(math.Sqrt(norm))
		}
	}
	if err := m.AddClassifier(embeds, classes); err != nil {
		t.Fatal(err)
	}
	pix, err := npy.Read(ref + "/inputs/pixel_values.npy")
	if err != nil {
		t.Fatal(err)
	}
	// Zero-shot's logits are CLIPModel's logits_per_image with the class embeddings as the texts'.
	zs, err := model.CallOnce(b, m.Store, func(_ *model.Scope, px, text *Node) *Node {
		perImage, _ := m.Logits(m.Vision(px).Embeds, text)
		return perImage
	}, tensors.FromFlatDataAndDimensions(pix.F32, pix.Shape...), tensors.FromFlatDataAndDimensions(embeds, classes, d))
	if err != nil {
		t.Fatal(err)
	}
	want := tensors.MustCopyFlatData[float32](zs)
	out, err := model.CallOnce(b, m.Store, func(_ *model.Scope, px *Node) *Node { return m.ClassifierLogits(px) },
		tensors.FromFlatDataAndDimensions(pix.F32, pix.Shape...))
	if err != nil {
		t.Fatal(err)
	}
	if e := relErr(tensors.MustCopyFlatData[float32](out), want); e > 1e-5 {
		t.Errorf("head logits differ from zero-shot's by %.3g", e)
	}
	if err := m.AddClassifier(make([]float32, 5), 1); err == nil {
		t.Error("a head from embeddings of the wrong width was accepted")
	}
}
