package distilbert

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/backend"
	"github.com/go-translab/translab/lab/npy"
	"github.com/go-translab/translab/lab/reference"
)

// referenceDir is ../shared/reference/distilbert-tiny-random beside the repository.
func referenceDir(t testing.TB) string { return reference.Dir(t, "distilbert-tiny-random") }

func testBackend(t testing.TB) compute.Backend {
	t.Helper()
	b, err := backend.Default()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readNpy(t testing.TB, path string) *npy.Array {
	t.Helper()
	a, err := npy.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// ids reads an int64 .npy into an int32 tensor.
func idsTensor(t testing.TB, path string) *tensors.Tensor {
	a := readNpy(t, path)
	flat := make([]int32, len(a.I64))
	for i, v := range a.I64 {
		flat[i] = int32(v)
	}
	return tensors.FromFlatDataAndDimensions(flat, a.Shape...)
}

// relErr is max|got-want| / max|want|, the references' own measure.
func relErr(got, want []float32) float64 { return reference.RelErr(got, want) }

func checkClose(t *testing.T, name string, got *tensors.Tensor, wantPath string) {
	t.Helper()
	want := readNpy(t, wantPath)
	if got.Shape().Size() != want.Size() {
		t.Errorf("%s: shape %v, reference %v", name, got.Shape().Dimensions, want.Shape)
		return
	}
	e := relErr(tensors.MustCopyFlatData[float32](got), want.F32)
	if e > 1e-4 || math.IsNaN(e) {
		t.Errorf("%s: relative error %.3g > 1e-4", name, e)
	} else {
		t.Logf("%s: relative error %.2g", name, e)
	}
}

func TestParityForward(t *testing.T) {
	ref := referenceDir(t)
	m, err := LoadDir(ref, RequireHead)
	if err != nil {
		t.Fatal(err)
	}
	exec, err := model.NewExec(testBackend(t), m.Store, func(_ *model.Scope, ids, mask *Node) []*Node {
		h := m.Encode(ids, mask)
		return []*Node{h, m.Logits(ids, mask)}
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"nopad", "pad"} {
		ids := idsTensor(t, filepath.Join(ref, "inputs", b+"_input_ids.npy"))
		mask := idsTensor(t, filepath.Join(ref, "inputs", b+"_attention_mask.npy"))
		out, err := exec.Call(ids, mask)
		if err != nil {
			t.Fatal(err)
		}
		checkClose(t, b+" last_hidden_state", out[0], filepath.Join(ref, "expected", b+"_last_hidden_state.npy"))
		checkClose(t, b+" logits", out[1], filepath.Join(ref, "expected", b+"_logits.npy"))
		h := tensors.MustCopyFlatData[float32](out[0])
		dims := out[0].Shape().Dimensions
		cls := make([]float32, 0, dims[0]*dims[2])
		for i := 0; i < dims[0]; i++ {
			cls = append(cls, h[i*dims[1]*dims[2]:i*dims[1]*dims[2]+dims[2]]...)
		}
		checkClose(t, b+" cls_embedding", tensors.FromFlatDataAndDimensions(cls, dims[0], dims[2]), filepath.Join(ref, "expected", b+"_cls_embedding.npy"))
	}
}

// gradNames are the 14 parameters whose gradients the references hold.
var gradNames = []string{
	"classifier.bias", "classifier.weight",
	"distilbert.embeddings.LayerNorm.weight", "distilbert.embeddings.position_embeddings.weight",
	"distilbert.embeddings.word_embeddings.weight",
	"distilbert.transformer.layer.0.attention.out_lin.weight", "distilbert.transformer.layer.0.attention.q_lin.bias",
	"distilbert.transformer.layer.0.attention.q_lin.weight", "distilbert.transformer.layer.0.attention.v_lin.bias",
	"distilbert.transformer.layer.0.ffn.lin1.weight", "distilbert.transformer.layer.1.ffn.lin2.weight",
	"distilbert.transformer.layer.1.output_layer_norm.weight", "pre_classifier.bias", "pre_classifier.weight",
}

func TestParityGradients(t *testing.T) {
	ref := referenceDir(t)
	m, err := LoadDir(ref, RequireHead)
	if err != nil {
		t.Fatal(err)
	}
	exec, err := model.NewExec(testBackend(t), m.Store, func(_ *model.Scope, ids, mask, labels *Node) []*Node {
		g := ids.Graph()
		loss := Loss(m.Logits(ids, mask), labels)
		params := make([]*Node, len(gradNames))
		for i, n := range gradNames {
			params[i] = m.param(g, n)
		}
		return append([]*Node{loss}, Gradient(loss, params...)...)
	})
	if err != nil {
		t.Fatal(err)
	}
	ids := idsTensor(t, filepath.Join(ref, "inputs", "pad_input_ids.npy"))
	mask := idsTensor(t, filepath.Join(ref, "inputs", "pad_attention_mask.npy"))
	labels := idsTensor(t, filepath.Join(ref, "inputs", "pad_labels.npy"))
	out, err := exec.Call(ids, mask, labels)
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "pad_loss", out[0], filepath.Join(ref, "expected", "pad_loss.npy"))
	for i, n := range gradNames {
		checkClose(t, "grad "+n, out[i+1], filepath.Join(ref, "expected", "pad_grad__"+n+".npy"))
	}
}
