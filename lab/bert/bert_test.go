package bert

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
	"github.com/go-translab/translab/lab/weights"
)

// The goldens are HF transformers' (goldens/bert/bert_golden.py): a tiny random
// BertForSequenceClassification in testdata/bert-tiny-cls, the same BertModel saved bare in
// testdata/bert-tiny, six sentences of the demo tokenizer padded with a mask, in eval mode.
var (
	tinyDir    = filepath.Join("testdata", "bert-tiny")
	tinyClsDir = filepath.Join("testdata", "bert-tiny-cls")
)

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

// idsTensor reads an int64 .npy into an int32 tensor.
func idsTensor(t testing.TB, path string) *tensors.Tensor {
	a := readNpy(t, path)
	flat := make([]int32, len(a.I64))
	for i, v := range a.I64 {
		flat[i] = int32(v)
	}
	return tensors.FromFlatDataAndDimensions(flat, a.Shape...)
}

func inputs(t testing.TB) (ids, mask *tensors.Tensor) {
	return idsTensor(t, filepath.Join(tinyDir, "input_ids.npy")), idsTensor(t, filepath.Join(tinyDir, "attention_mask.npy"))
}

// checkClose compares got with want by the references' measure, max|got−want| / max|want|.
func checkClose(t *testing.T, name string, got *tensors.Tensor, want []float32, wantShape []int, tol float64) {
	t.Helper()
	if got.Shape().Size() != len(want) {
		t.Errorf("%s: shape %v, HF %v", name, got.Shape().Dimensions, wantShape)
		return
	}
	e := reference.RelErr(tensors.MustCopyFlatData[float32](got), want)
	if e > tol || math.IsNaN(e) {
		t.Errorf("%s: relative error %.3g > %.0g", name, e, tol)
	} else {
		t.Logf("%s: relative error %.2g", name, e)
	}
}

func checkNpy(t *testing.T, name string, got *tensors.Tensor, path string, tol float64) {
	t.Helper()
	want := readNpy(t, path)
	checkClose(t, name, got, want.F32, want.Shape, tol)
}

// call runs a graph of several outputs over the model's variables once.
func call[F model.ExecGraphFn](t testing.TB, m *Model, fn F, in ...any) ([]*tensors.Tensor, error) {
	exec, err := model.NewExec(testBackend(t), m.Store, fn)
	if err != nil {
		return nil, err
	}
	defer exec.Finalize()
	return exec.Call(in...)
}

func TestParityForward(t *testing.T) { testParityForward(t, dtypes.Float32, 1e-4) }

// TestParityForwardBF16: bfloat16 matmuls stay a bfloat16 rounding away from HF's float32 outputs
// (the bounds of lab/distilbert's TestParityBF16, which explains them).
func TestParityForwardBF16(t *testing.T) { testParityForward(t, dtypes.BFloat16, 2e-2) }

// testParityForward: BertForSequenceClassification read from its checkpoint gives HF's
// last_hidden_state, pooler_output and logits; BertModel read from the bare checkpoint gives the
// same hidden states and pooler output. Padded positions are compared too: HF computes them the
// same way.
func testParityForward(t *testing.T, compute dtypes.DType, tol float64) {
	ids, mask := inputs(t)
	for _, c := range []struct {
		dir  string
		head Head
	}{{tinyClsDir, RequireHead}, {tinyDir, HeadIfPresent}} {
		m, err := LoadDir(c.dir, c.head)
		if err != nil {
			t.Fatal(err)
		}
		if !m.HasPooler || m.HasHead != (c.head == RequireHead) || m.Config.HiddenSize != 36 || m.Config.NumAttentionHeads != 3 || m.Config.IntermediateSize != 52 {
			t.Fatalf("%s: config %+v, pooler %v, head %v", c.dir, m.Config, m.HasPooler, m.HasHead)
		}
		m.Compute = compute
		out, err := call(t, m, func(_ *model.Scope, ids, mask *Node) []*Node {
			h := m.Encode(ids, mask)
			outs := []*Node{h, m.Pool(h)}
			if m.HasHead {
				outs = append(outs, m.Logits(ids, mask))
			}
			return outs
		}, ids, mask)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(c.dir)
		checkNpy(t, name+" last_hidden_state", out[0], filepath.Join(tinyDir, "last_hidden_state.npy"), tol)
		checkNpy(t, name+" pooler_output", out[1], filepath.Join(tinyClsDir, "pooler_output.npy"), tol)
		if m.HasHead {
			checkNpy(t, name+" logits", out[2], filepath.Join(tinyClsDir, "logits.npy"), tol)
		}
	}
}

// TestParityGradients: HF's cross-entropy loss for fixed labels and its gradients with respect to
// every kind of parameter — the three embeddings (none for the pad row of the words, none for the
// token type never used), attention, feed-forward, LayerNorms, the pooler and the classifier.
func TestParityGradients(t *testing.T) {
	m, err := LoadDir(tinyClsDir, RequireHead)
	if err != nil {
		t.Fatal(err)
	}
	grads, err := weights.Open(filepath.Join(tinyClsDir, "grads.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer grads.Close()
	names := grads.Names()
	if len(names) < 15 {
		t.Fatalf("grads.safetensors holds %d gradients", len(names))
	}
	ids, mask := inputs(t)
	labels := idsTensor(t, filepath.Join(tinyClsDir, "labels.npy"))
	out, err := call(t, m, func(_ *model.Scope, ids, mask, labels *Node) []*Node {
		g := ids.Graph()
		loss := crossEntropy(m.Logits(ids, mask), labels)
		params := make([]*Node, len(names))
		for i, n := range names {
			params[i] = m.param(g, n)
		}
		return append([]*Node{loss}, Gradient(loss, params...)...)
	}, ids, mask, labels)
	if err != nil {
		t.Fatal(err)
	}
	checkNpy(t, "loss", out[0], filepath.Join(tinyClsDir, "loss.npy"), 1e-4)
	for i, n := range names {
		info, _ := grads.Info(n)
		want, err := grads.Float32s(n)
		if err != nil {
			t.Fatal(err)
		}
		checkClose(t, "grad "+n, out[i+1], want, info.Shape, 1e-4)
		// Rows no token used get exactly nothing, as in torch: the pad row of the words
		// (padding_idx) and token type 1.
		d := m.Config.HiddenSize
		row := map[string]int{"bert.embeddings.word_embeddings.weight": m.Config.PadTokenID, "bert.embeddings.token_type_embeddings.weight": 1}
		if r, ok := row[n]; ok {
			for _, v := range tensors.MustCopyFlatData[float32](out[i+1])[r*d : (r+1)*d] {
				if v != 0 {
					t.Errorf("%s: row %d has a gradient", n, r)
					break
				}
			}
		}
	}
}

// crossEntropy is HF's single-label classification loss (lab/train's CrossEntropy, which the
// Trainer uses; spelled out here so the model's tests need no Trainer).
func crossEntropy(logits, labels *Node) *Node {
	logp := LogSoftmax(logits, -1)
	onehot := OneHot(labels, logits.Shape().Dimensions[1], logp.DType())
	return Neg(ReduceAllMean(ReduceSum(Mul(logp, onehot), -1)))
}
