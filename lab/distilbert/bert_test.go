package distilbert

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
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
