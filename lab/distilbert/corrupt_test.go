package distilbert

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-translab/translab/lab/tokenize"
	"github.com/go-translab/translab/lab/weights"
)

// TestCorruptInputs loads model directories broken in each way a download or a hand edit can break
// them. Every case must be a clear error that names the file and the fault, never a panic.
func TestCorruptInputs(t *testing.T) {
	ref := referenceDir(t)
	config, _ := os.ReadFile(filepath.Join(ref, "config.json"))
	weights, _ := os.ReadFile(filepath.Join(ref, "model.safetensors"))
	hlen := binary.LittleEndian.Uint64(weights[:8])
	header := map[string]any{}
	if err := json.Unmarshal(weights[8:8+hlen], &header); err != nil {
		t.Fatal(err)
	}

	// withHeader rewrites the safetensors header after edit, keeping the data as it is.
	withHeader := func(edit func(h map[string]any)) []byte {
		h := map[string]any{}
		json.Unmarshal(weights[8:8+hlen], &h)
		edit(h)
		raw, _ := json.Marshal(h)
		for len(raw)%8 != 0 {
			raw = append(raw, ' ')
		}
		out := binary.LittleEndian.AppendUint64(nil, uint64(len(raw)))
		out = append(out, raw...)
		return append(out, weights[8+hlen:]...)
	}
	editConfig := func(edit func(c map[string]any)) []byte {
		c := map[string]any{}
		json.Unmarshal(config, &c)
		edit(c)
		raw, _ := json.Marshal(c)
		return raw
	}
	tensor := func(h map[string]any, name string) map[string]any { return h[name].(map[string]any) }
	const q = "distilbert.transformer.layer.0.attention.q_lin.weight"
	const k = "distilbert.transformer.layer.0.attention.k_lin.weight"

	cases := []struct {
		name, file  string
		config      []byte
		weights     []byte
		wantInError []string
	}{
		{"truncated safetensors", "model.safetensors", config, weights[:len(weights)/2], []string{"model.safetensors"}},
		{"shorter than its header length", "model.safetensors", config, weights[:5], []string{"model.safetensors"}},
		{"header length beyond the file", "model.safetensors", config,
			append(binary.LittleEndian.AppendUint64(nil, uint64(len(weights))), weights[8:]...), []string{"model.safetensors", "header"}},
		{"overlapping offsets", "model.safetensors", config, withHeader(func(h map[string]any) {
			tensor(h, k)["data_offsets"] = tensor(h, q)["data_offsets"]
		}), []string{"model.safetensors", "overlap"}},
		{"dtype/shape/length mismatch", "model.safetensors", config, withHeader(func(h map[string]any) {
			tensor(h, q)["dtype"] = "F16"
		}), []string{"model.safetensors", q}},
		{"wrong shape for the config", "model.safetensors", config, withHeader(func(h map[string]any) {
			tensor(h, q)["shape"] = []int{32, 128}
		}), []string{"model.safetensors", q, "[32 128]"}},
		{"missing tensor", "model.safetensors", config, withHeader(func(h map[string]any) { delete(h, q) }),
			[]string{"model.safetensors", "missing", q}},
		{"config missing a field", "config.json", editConfig(func(c map[string]any) { delete(c, "n_heads") }), weights,
			[]string{"config.json", "n_heads"}},
		{"config with an absurd field", "config.json", editConfig(func(c map[string]any) { c["n_layers"] = -3 }), weights,
			[]string{"config.json", "n_layers", "-3"}},
		{"dim not divisible by heads", "config.json", editConfig(func(c map[string]any) { c["n_heads"] = 7 }), weights,
			[]string{"config.json", "n_heads"}},
		{"unknown activation", "config.json", editConfig(func(c map[string]any) { c["activation"] = "swishy" }), weights,
			[]string{"config.json", "activation", "swishy"}},
		{"config not JSON", "config.json", []byte("{\"dim\": 64,"), weights, []string{"config.json", "JSON"}},
		{"config of another model", "config.json", editConfig(func(c map[string]any) { c["model_type"] = "roberta" }), weights,
			[]string{"config.json", "model_type", "roberta"}},
		{"a BERT config, for lab/bert", "config.json", editConfig(func(c map[string]any) { c["model_type"] = "bert" }), weights,
			[]string{"config.json", "model_type", `lab/bert reads "bert"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "config.json"), c.config, 0o644)
			os.WriteFile(filepath.Join(dir, "model.safetensors"), c.weights, 0o644)
			var err error
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("panic: %v", r)
					}
				}()
				_, err = LoadDir(dir, HeadIfPresent)
			}()
			if err == nil {
				t.Fatal("loaded without error")
			}
			t.Log(err)
			for _, want := range c.wantInError {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}

	t.Run("malformed tokenizer.json", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "tokenizer.json"), []byte(`{"model": {"type": "WordPiece", "vocab": [1, 2]}}`), 0o644)
		_, err := tokenize.Load(dir)
		if err == nil || !strings.Contains(err.Error(), "tokenizer.json") {
			t.Fatalf("got %v, want an error naming tokenizer.json", err)
		}
	})
}

func TestHeadChoices(t *testing.T) {
	ref := referenceDir(t)
	m, err := LoadDir(ref, NoHead)
	if err != nil {
		t.Fatal(err)
	}
	if m.HasHead || m.Store.GetVariable(VarPath("classifier.weight")) != nil {
		t.Error("NoHead loaded the classifier")
	}
	// A checkpoint saved from the bare DistilBertModel has no "distilbert." prefix and no head.
	dir := t.TempDir()
	raw, _ := os.ReadFile(filepath.Join(ref, "config.json"))
	os.WriteFile(filepath.Join(dir, "config.json"), raw, 0o644)
	if err := m.Save(filepath.Join(dir, "model.safetensors"), true); err != nil {
		t.Fatal(err)
	}
	bare, err := LoadDir(dir, HeadIfPresent)
	if err != nil {
		t.Fatal(err)
	}
	if bare.HasHead {
		t.Error("a bare encoder checkpoint reported a head")
	}
	if _, err := LoadDir(dir, RequireHead); err == nil || !strings.Contains(err.Error(), "no classification head") {
		t.Errorf("RequireHead on a bare checkpoint: %v", err)
	}
}

// TestSaveUsesHFNamesAndShapes exports the reference DistilBertForSequenceClassification and
// requires exactly the tensor names and shapes HF wrote for it.
func TestSaveUsesHFNamesAndShapes(t *testing.T) {
	ref := referenceDir(t)
	m, err := LoadDir(ref, RequireHead)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "model.safetensors")
	if err := m.Save(path, false); err != nil {
		t.Fatal(err)
	}
	got, err := weights.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	want, err := weights.Open(filepath.Join(ref, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer want.Close()
	if !slices.Equal(got.Names(), want.Names()) {
		t.Fatalf("names differ:\n ours %v\n HF   %v", got.Names(), want.Names())
	}
	for _, n := range want.Names() {
		a, _ := got.Info(n)
		b, _ := want.Info(n)
		if !slices.Equal(a.Shape, b.Shape) || a.DType != b.DType {
			t.Errorf("%s: ours %s %v, HF %s %v", n, a.DType, a.Shape, b.DType, b.Shape)
		}
	}
}
