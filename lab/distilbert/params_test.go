package distilbert

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/go-translab/translab/lab/weights"
)

// TestParamsAreTheCheckpoints: every parameter of the table is a tensor of the reference
// checkpoint (DistilBertForSequenceClassification, saved by HF) with the same shape, and every
// tensor of the checkpoint is in the table.
func TestParamsAreTheCheckpoints(t *testing.T) {
	dir := referenceDir(t)
	cfg, err := LoadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := weights.Open(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	table := cfg.Params(true)
	for _, p := range table {
		info, ok := f.Info(p.Name)
		if !ok {
			t.Errorf("%s is not in the checkpoint", p.Name)
		} else if !slices.Equal(info.Shape, p.Shape) {
			t.Errorf("%s: table %v, checkpoint %v", p.Name, p.Shape, info.Shape)
		}
	}
	for _, name := range f.Names() {
		if _, ok := table.Lookup(name); !ok {
			t.Errorf("the checkpoint's %s is not in the table", name)
		}
	}
	if got := cfg.Params(false); !slices.Equal(got.Names(), table.Names()[:len(got)]) || len(table)-len(got) != 4 {
		t.Errorf("the encoder's table is not the head model's less the head's 4 parameters")
	}
}

func TestParamsKinds(t *testing.T) {
	table := DefaultConfig().Params(true)
	for _, c := range []struct {
		name   string
		module weights.Module
		bias   bool
	}{
		{"distilbert.embeddings.word_embeddings.weight", weights.Embedding, false},
		{"distilbert.embeddings.position_embeddings.weight", weights.Embedding, false},
		{"distilbert.embeddings.LayerNorm.weight", weights.LayerNorm, false},
		{"distilbert.embeddings.LayerNorm.bias", weights.LayerNorm, true},
		{"distilbert.transformer.layer.5.attention.q_lin.weight", weights.Linear, false},
		{"distilbert.transformer.layer.5.attention.q_lin.bias", weights.Linear, true},
		{"distilbert.transformer.layer.0.sa_layer_norm.weight", weights.LayerNorm, false},
		{"distilbert.transformer.layer.0.output_layer_norm.bias", weights.LayerNorm, true},
		{"distilbert.transformer.layer.3.ffn.lin1.weight", weights.Linear, false},
		{"pre_classifier.bias", weights.Linear, true},
		{"classifier.weight", weights.Linear, false},
	} {
		p, ok := table.Lookup(c.name)
		if !ok {
			t.Errorf("%s is not in the table", c.name)
			continue
		}
		if p.Module != c.module || p.Bias != c.bias {
			t.Errorf("%s: %v (bias %v), want %v (bias %v)", c.name, p.Module, p.Bias, c.module, c.bias)
		}
	}
	lin := table.Linears()
	if len(lin) != 6*6+2 || lin[0] != "distilbert.transformer.layer.0.attention.q_lin" || lin[len(lin)-1] != "classifier" {
		t.Errorf("Linears: %d layers, %q … %q", len(lin), lin[0], lin[len(lin)-1])
	}
}
