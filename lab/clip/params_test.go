package clip

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/go-translab/translab/lab/weights"
)

// TestParamsAreTheCheckpoints: the table and the reference CLIPModel checkpoint hold the same
// names with the same shapes.
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
	table := cfg.Params()
	for _, p := range table {
		info, ok := f.Info(p.Name)
		if !ok {
			t.Errorf("%s is not in the checkpoint", p.Name)
		} else if !slices.Equal(info.Shape, p.Shape) {
			t.Errorf("%s: table %v, checkpoint %v", p.Name, p.Shape, info.Shape)
		}
	}
	for _, name := range f.Names() {
		if _, ok := table.Lookup(name); !ok && name != "text_model.embeddings.position_ids" && name != "vision_model.embeddings.position_ids" {
			t.Errorf("the checkpoint's %s is not in the table", name)
		}
	}
}

func TestParamsKinds(t *testing.T) {
	table := DefaultConfig().Params()
	for _, c := range []struct {
		name   string
		module weights.Module
		bias   bool
	}{
		{"logit_scale", weights.Other, false},
		{"vision_model.embeddings.class_embedding", weights.Other, false},
		{"vision_model.embeddings.patch_embedding.weight", weights.Conv, false},
		{"vision_model.embeddings.position_embedding.weight", weights.Embedding, false},
		{"text_model.embeddings.token_embedding.weight", weights.Embedding, false},
		{"vision_model.pre_layrnorm.weight", weights.LayerNorm, false},
		{"vision_model.post_layernorm.bias", weights.LayerNorm, true},
		{"text_model.final_layer_norm.weight", weights.LayerNorm, false},
		{"text_model.encoder.layers.11.layer_norm1.bias", weights.LayerNorm, true},
		{"vision_model.encoder.layers.0.self_attn.out_proj.bias", weights.Linear, true},
		{"vision_model.encoder.layers.0.mlp.fc2.weight", weights.Linear, false},
		{"text_projection.weight", weights.Linear, false},
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
	if _, ok := table.Lookup("text_projection.bias"); ok {
		t.Error("CLIP's projections have no bias")
	}
	lin := table.Linears()
	if len(lin) != 24*6+2 || lin[len(lin)-2] != "text_projection" || lin[len(lin)-1] != "visual_projection" {
		t.Errorf("Linears: %d layers, ending %q", len(lin), lin[len(lin)-2:])
	}
}

// TestModelParamsHaveTheHead: once AddClassifier made a head, the model's table lists it.
func TestModelParamsHaveTheHead(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Text = TowerConfig{HiddenSize: 32, IntermediateSize: 64, NumHiddenLayers: 1, NumAttentionHeads: 2, HiddenAct: "quick_gelu",
		LayerNormEps: 1e-5, VocabSize: 300, MaxPositionEmbeddings: 77, EOSTokenID: 299}
	cfg.Vision = TowerConfig{HiddenSize: 48, IntermediateSize: 96, NumHiddenLayers: 1, NumAttentionHeads: 3, HiddenAct: "quick_gelu",
		LayerNormEps: 1e-5, ImageSize: 64, PatchSize: 16, NumChannels: 3}
	cfg.ProjectionDim = 24
	m := NewRandom(cfg, 1)
	if len(m.Params()) != len(cfg.Params()) {
		t.Fatal("a model without a head lists one")
	}
	if err := m.AddClassifier(make([]float32, 2*24), 2); err != nil {
		t.Fatal(err)
	}
	head := m.Params()[len(cfg.Params()):]
	if want := ClassifierParams(2, 24); len(head) != 2 || !slices.Equal(head[0].Shape, want[0].Shape) || !head[1].Bias {
		t.Errorf("the head's table: %+v, want %+v", head, want)
	}
}
