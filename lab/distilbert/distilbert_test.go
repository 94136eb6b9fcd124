package distilbert

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/backend"
	"github.com/go-translab/translab/lab/npy"
	"github.com/go-translab/translab/lab/reference"
)

// referenceDir is the project's distilbert-tiny-random (goldens/reference), for tests that need a
// checkpoint; the parity tests run on it and on the held-out shared copy (reference.Each).
func referenceDir(t testing.TB) string { return reference.Project(t).Path("distilbert-tiny-random") }

// eachReference runs f on every copy of distilbert-tiny-random: the project's, then the shared one.
func eachReference(t *testing.T, f func(t *testing.T, ref string)) {
	reference.Each(t, func(t *testing.T, s reference.Set) { f(t, s.Path("distilbert-tiny-random")) })
}

func testBackend(t testing.TB) compute.Backend {
	t.Helper()
	b, _, err := backend.Default()
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
	checkCloseTol(t, name, got, wantPath, 1e-4)
}

func checkCloseTol(t *testing.T, name string, got *tensors.Tensor, wantPath string, tol float64) {
	t.Helper()
	want := readNpy(t, wantPath)
	if got.Shape().Size() != want.Size() {
		t.Errorf("%s: shape %v, reference %v", name, got.Shape().Dimensions, want.Shape)
		return
	}
	if got.DType() != dtypes.Float32 {
		t.Errorf("%s: dtype %s, want float32", name, got.DType())
		return
	}
	e := relErr(tensors.MustCopyFlatData[float32](got), want.F32)
	if e > tol || math.IsNaN(e) {
		t.Errorf("%s: relative error %.3g > %.0g", name, e, tol)
	} else {
		t.Logf("%s: relative error %.2g", name, e)
	}
}

func TestParityForward(t *testing.T) {
	eachReference(t, func(t *testing.T, ref string) { testParityForward(t, ref, dtypes.Float32, 1e-4) })
}

func TestParityGradients(t *testing.T) {
	eachReference(t, func(t *testing.T, ref string) { testParityGradients(t, ref, dtypes.Float32, 1e-4, 1e-4) })
}

// bf16Tol and bf16GradTol bound bfloat16 mixed precision against the float32 references.
// bfloat16 keeps 8 significant bits (unit roundoff 2⁻⁸ ≈ 3.9e-3) and each matmul rounds its two
// operands and its output, so a few 1e-3 per layer is the floor. Measured on
// distilbert-tiny-random (pure-Go backend): last_hidden_state 4.8e-3 / 5.4e-3 (nopad / pad),
// logits 3.9e-3 / 6.1e-3, [CLS] 4.1e-3, loss 1.8e-5, the 14 gradients 2.2e-3 … 1.3e-2
// (q_lin.weight, deepest from the loss). The bounds are about 3× and 2.3× the worst of those: a
// wrong convert or a layer left in bf16 end to end shows up as 1e-1 or more.
const (
	bf16Tol     = 2e-2
	bf16GradTol = 3e-2
)

// TestParityBF16 checks that autocast-style mixed precision stays a bfloat16 rounding away from
// HF's float32 outputs and gradients (and that those gradients exist at all: the converts are on
// the path from the loss to every float32 master weight).
func TestParityBF16(t *testing.T) {
	eachReference(t, func(t *testing.T, ref string) {
		t.Run("forward", func(t *testing.T) { testParityForward(t, ref, dtypes.BFloat16, bf16Tol) })
		t.Run("gradients", func(t *testing.T) { testParityGradients(t, ref, dtypes.BFloat16, bf16Tol, bf16GradTol) })
	})
}

func testParityForward(t *testing.T, ref string, compute dtypes.DType, tol float64) {
	m, err := LoadDir(ref, RequireHead)
	if err != nil {
		t.Fatal(err)
	}
	m.Compute = compute
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
		checkCloseTol(t, b+" last_hidden_state", out[0], filepath.Join(ref, "expected", b+"_last_hidden_state.npy"), tol)
		checkCloseTol(t, b+" logits", out[1], filepath.Join(ref, "expected", b+"_logits.npy"), tol)
		h := tensors.MustCopyFlatData[float32](out[0])
		dims := out[0].Shape().Dimensions
		cls := make([]float32, 0, dims[0]*dims[2])
		for i := 0; i < dims[0]; i++ {
			cls = append(cls, h[i*dims[1]*dims[2]:i*dims[1]*dims[2]+dims[2]]...)
		}
		checkCloseTol(t, b+" cls_embedding", tensors.FromFlatDataAndDimensions(cls, dims[0], dims[2]), filepath.Join(ref, "expected", b+"_cls_embedding.npy"), tol)
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

func testParityGradients(t *testing.T, ref string, compute dtypes.DType, tol, gradTol float64) {
	m, err := LoadDir(ref, RequireHead)
	if err != nil {
		t.Fatal(err)
	}
	m.Compute = compute
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
	checkCloseTol(t, "pad_loss", out[0], filepath.Join(ref, "expected", "pad_loss.npy"), tol)
	for i, n := range gradNames {
		checkCloseTol(t, "grad "+n, out[i+1], filepath.Join(ref, "expected", "pad_grad__"+n+".npy"), gradTol)
	}
}
