package bert

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/go-translab/translab/lab/weights"
)

// hfParams is testdata/hf_params.json (goldens/bert/bert_golden.py): BertForSequenceClassification
// as HF builds it for the tiny config — each parameter with its shape, the class of the module that
// owns it and whether the Trainer decays it — and the keys save_pretrained writes.
type hfParams struct {
	StateDict []string `json:"state_dict"`
	Params    []struct {
		Name   string `json:"name"`
		Shape  []int  `json:"shape"`
		Module string `json:"module"`
		Decay  bool   `json:"decay"`
	} `json:"params"`
}

func readHFParams(t *testing.T) hfParams {
	raw, err := os.ReadFile(filepath.Join("testdata", "hf_params.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g hfParams
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// TestParamsMatchHF: the table has HF's parameters in HF's order, with their shapes and the module
// kinds HF's modules have (which the Trainer's decay groups, init and LoRA read), and it is exactly
// what save_pretrained writes — BERT's position_ids and token_type_ids buffers are not saved.
func TestParamsMatchHF(t *testing.T) {
	g := readHFParams(t)
	cfg, err := LoadConfig(filepath.Join(tinyClsDir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	table := cfg.Params(true)
	if !slices.Equal(table.Names(), g.StateDict) {
		t.Fatalf("table %v\nHF's state_dict %v", table.Names(), g.StateDict)
	}
	kinds := map[string]weights.Module{"Linear": weights.Linear, "LayerNorm": weights.LayerNorm, "Embedding": weights.Embedding}
	for i, hf := range g.Params {
		p := table[i]
		if p.Name != hf.Name || !slices.Equal(p.Shape, hf.Shape) || p.Module != kinds[hf.Module] {
			t.Errorf("table %s %v %v, HF %s %v %s", p.Name, p.Shape, p.Module, hf.Name, hf.Shape, hf.Module)
		}
		// HF's Trainer decays all but biases and LayerNorm weights (lab/train's Decays).
		if decays := !p.Bias && p.Module != weights.LayerNorm; decays != hf.Decay {
			t.Errorf("%s: decayed %v, HF %v", p.Name, decays, hf.Decay)
		}
	}
	if len(g.Params) != len(table) {
		t.Errorf("%d parameters, HF %d", len(table), len(g.Params))
	}
	enc := cfg.Params(false)
	if !slices.Equal(enc.Names(), table.Names()[:len(enc)]) || len(table)-len(enc) != 2 {
		t.Errorf("the encoder's table is not the head model's less the classifier")
	}
	lin := table.Linears()
	if len(lin) != 2*6+2 || lin[0] != "bert.encoder.layer.0.attention.self.query" || lin[len(lin)-2] != "bert.pooler.dense" || lin[len(lin)-1] != "classifier" {
		t.Errorf("Linears: %q", lin)
	}
}

// TestLoadForms: the bare BertModel checkpoint and BertForSequenceClassification's both load; a
// head is required only when asked for; a checkpoint without the pooler loads without it and gets a
// fresh one with the head; tensors of no BERT are refused by name.
func TestLoadForms(t *testing.T) {
	if _, err := LoadDir(tinyDir, RequireHead); err == nil || !strings.Contains(err.Error(), "no classification head") {
		t.Errorf("a head asked of the bare BertModel: %v", err)
	}
	m, err := LoadDir(tinyClsDir, NoHead)
	if err != nil || m.HasHead || !m.HasPooler || len(m.Params()) != len(m.Config.Params(false)) {
		t.Fatalf("the classifier's encoder alone: %v (head %v)", err, m != nil && m.HasHead)
	}

	// The same checkpoint without the pooler, and with a tensor BERT has no place for.
	src, err := weights.Open(filepath.Join(tinyDir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	write := func(dir string, keep func(string) bool, extra ...weights.Named) {
		var ts []weights.Named
		for _, n := range src.Names() {
			if keep(n) {
				v, err := src.Float32s(n)
				if err != nil {
					t.Fatal(err)
				}
				info, _ := src.Info(n)
				ts = append(ts, weights.Named{Name: n, Shape: info.Shape, Data: v})
			}
		}
		if err := weights.Write(filepath.Join(dir, "model.safetensors"), append(ts, extra...), nil); err != nil {
			t.Fatal(err)
		}
		raw, _ := os.ReadFile(filepath.Join(tinyDir, "config.json"))
		os.WriteFile(filepath.Join(dir, "config.json"), raw, 0o644)
	}
	noPooler := t.TempDir()
	write(noPooler, func(n string) bool { return !strings.HasPrefix(n, "pooler.") })
	m, err = LoadDir(noPooler, NoHead)
	if err != nil {
		t.Fatal(err)
	}
	if m.HasPooler || slices.ContainsFunc(m.Params().Names(), func(n string) bool { return strings.Contains(n, "pooler") }) {
		t.Errorf("a checkpoint without the pooler: pooler %v, table %v", m.HasPooler, m.Params().Names())
	}
	m.InitHead(1)
	if !m.HasPooler || !m.HasHead || m.Store.GetVariable(VarPath("bert.pooler.dense.weight")) == nil {
		t.Errorf("InitHead did not add the pooler and the classifier")
	}

	odd := t.TempDir()
	write(odd, func(string) bool { return true }, weights.Named{Name: "encoder.layer.0.attention.self.distance_embedding.weight", Shape: []int{3, 36}, Data: make([]float32, 3*36)})
	if _, err := LoadDir(odd, NoHead); err == nil || !strings.Contains(err.Error(), "distance_embedding") {
		t.Errorf("an unexpected tensor: %v", err)
	}
}

// TestConfigErrors: a BERT config.json the lab cannot read is refused in BERT's own words.
func TestConfigErrors(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(tinyDir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	weightsFile, err := os.ReadFile(filepath.Join(tinyDir, "model.safetensors"))
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
		{edit("classifier_dropout", 1.5), `"classifier_dropout"`},
		{edit("is_decoder", true), `"is_decoder"`},
		{edit("model_type", "roberta"), `"model_type"`},
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

// TestExportRoundTrip: a fresh BertForSequenceClassification on the bare checkpoint, exported,
// is a directory whose config HF reads as BertForSequenceClassification with the labels, whose
// tensors are exactly HF's state_dict (names and shapes), and which loads back with the same
// logits. The head is HF's initialisation: normal(0, initializer_range) weights, zero bias.
func TestExportRoundTrip(t *testing.T) {
	labels := []string{"neg", "neu", "pos"}
	m, err := NewForSequenceClassification(tinyDir, labels, 42)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := m.Store.GetVariable(VarPath("classifier.weight")).Value()
	b, _ := m.Store.GetVariable(VarPath("classifier.bias")).Value()
	var sum, sq float64
	ws := tensors.MustCopyFlatData[float32](w)
	for _, v := range ws {
		sum, sq = sum+float64(v), sq+float64(v)*float64(v)
	}
	if std := sq / float64(len(ws)); std < 0.01*0.01 || std > 0.03*0.03 || slices.ContainsFunc(tensors.MustCopyFlatData[float32](b), func(v float32) bool { return v != 0 }) {
		t.Errorf("classifier init: weight variance %.3g (want ≈ 0.02²), bias %v", std, b)
	}
	dir := filepath.Join(t.TempDir(), "best")
	if err := m.SavePretrained(dir, filepath.Join("..", "..", "data", "demo")); err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	raw, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg["model_type"] != "bert" || !slices.Equal(toStrings(cfg["architectures"]), []string{"BertForSequenceClassification"}) || cfg["position_embedding_type"] != "absolute" {
		t.Errorf("config: model_type %v, architectures %v", cfg["model_type"], cfg["architectures"])
	}
	if _, err := os.Stat(filepath.Join(dir, "tokenizer.json")); err != nil {
		t.Error(err)
	}
	f, err := weights.Open(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g := readHFParams(t)
	want := slices.Sorted(slices.Values(g.StateDict))
	if !slices.Equal(f.Names(), want) {
		t.Errorf("exported tensors %v, HF's state_dict %v", f.Names(), want)
	}
	for _, p := range g.Params {
		if info, ok := f.Info(p.Name); !ok || !slices.Equal(info.Shape, p.Shape) || info.DType != "F32" {
			t.Errorf("%s: exported %+v, HF %v float32", p.Name, info, p.Shape)
		}
	}
	back, err := LoadDir(dir, RequireHead)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.Labels(), labels) {
		t.Errorf("labels %v", back.Labels())
	}
	ids, mask := inputs(t)
	b1, err := m.Classify(testBackend(t), ids, mask)
	if err != nil {
		t.Fatal(err)
	}
	b2, err := back.Classify(testBackend(t), ids, mask)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tensors.MustCopyFlatData[float32](b1), tensors.MustCopyFlatData[float32](b2)) {
		t.Error("the export's logits differ from the model's")
	}
}

func toStrings(v any) []string {
	var out []string
	for _, s := range v.([]any) {
		out = append(out, s.(string))
	}
	return out
}
