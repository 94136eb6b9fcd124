package peft

import (
	"slices"
	"strings"
	"testing"

	"github.com/go-translab/translab/lab/clip"
	"github.com/go-translab/translab/lab/weights"
)

func smallCLIP() *clip.Model {
	cfg := clip.DefaultConfig()
	cfg.Text = clip.TowerConfig{HiddenSize: 32, IntermediateSize: 64, NumHiddenLayers: 2, NumAttentionHeads: 2, HiddenAct: "quick_gelu",
		LayerNormEps: 1e-5, VocabSize: 300, MaxPositionEmbeddings: 77, EOSTokenID: 299}
	cfg.Vision = clip.TowerConfig{HiddenSize: 48, IntermediateSize: 96, NumHiddenLayers: 2, NumAttentionHeads: 3, HiddenAct: "quick_gelu",
		LayerNormEps: 1e-5, ImageSize: 64, PatchSize: 16, NumChannels: 3}
	cfg.ProjectionDim = 24
	return clip.NewRandom(cfg, 1)
}

// TestFreezeRulesFromTable: BitFit trains every module's bias and LayerNorm tuning both parameters
// of every LayerNorm, as the table's module kinds say — whatever the module is called (CLIP's
// pre_layrnorm, post_layernorm, final_layer_norm, layer_norm1/2).
func TestFreezeRulesFromTable(t *testing.T) {
	m := smallCLIP()
	table := m.Config.Params()
	trainable := func(rule func(string) bool) []string {
		if _, err := Freeze(m.Store, rule); err != nil {
			t.Fatal(err)
		}
		var out []string
		for v := range m.Store.IterVariables() {
			if v.Trainable {
				out = append(out, hfName(v.Path()))
			}
		}
		slices.Sort(out)
		return out
	}
	biases := trainable(Biases(table))
	// 2 towers × 2 layers × (q, k, v, out, fc1, fc2, layer_norm1, layer_norm2) + 3 other LayerNorms.
	if len(biases) != 2*2*8+3 || !slices.Contains(biases, "vision_model.pre_layrnorm.bias") {
		t.Errorf("BitFit trains %d tensors: %v", len(biases), biases)
	}
	for _, n := range biases {
		if !strings.HasSuffix(n, ".bias") {
			t.Errorf("BitFit trains %s", n)
		}
	}
	norms := trainable(LayerNorms(table))
	want := []string{"text_model.final_layer_norm.bias", "text_model.final_layer_norm.weight",
		"vision_model.post_layernorm.bias", "vision_model.post_layernorm.weight",
		"vision_model.pre_layrnorm.bias", "vision_model.pre_layrnorm.weight"}
	for _, tower := range []string{"text_model", "vision_model"} {
		for _, l := range []string{"0", "1"} {
			for _, ln := range []string{"layer_norm1", "layer_norm2"} {
				for _, p := range []string{"weight", "bias"} {
					want = append(want, tower+".encoder.layers."+l+"."+ln+"."+p)
				}
			}
		}
	}
	slices.Sort(want)
	if !slices.Equal(norms, want) {
		t.Errorf("LayerNorm tuning trains %v, want %v", norms, want)
	}
	vision := trainable(All(Under("vision_model"), LayerNorms(table)))
	if len(vision) != 2*2*2+4 {
		t.Errorf("vision LayerNorms: %v", vision)
	}
}

// TestLoRAParams: the adapter's table lists its matrices as the store holds them, as Linear weights.
func TestLoRAParams(t *testing.T) {
	m := smallCLIP()
	lora, err := NewLoRA(m.Store, m.Config.Params().Linears(), LoRAConfig{Rank: 4, Alpha: 8, Targets: []string{"q_proj", "fc1"}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	table := lora.Params()
	if len(table) != 2*len(lora.Layers) || len(lora.Layers) != 8 {
		t.Fatalf("%d parameters for %d layers", len(table), len(lora.Layers))
	}
	for _, p := range table {
		v := m.Store.GetVariable(weights.VarPath(p.Name))
		if v == nil || !slices.Equal(v.Shape().Dimensions, p.Shape) || p.Module != weights.Linear || p.Bias || !lora.Trainable(p.Name) {
			t.Errorf("%+v: store has %v", p, v)
		}
	}
	if p, _ := table.Lookup("vision_model.encoder.layers.1.mlp.fc1.lora_B.weight"); !slices.Equal(p.Shape, []int{96, 4}) {
		t.Errorf("fc1's lora_B: %v, want [96 4]", p.Shape)
	}
	// The model's table with the adapter's is one table the Trainer can group.
	_ = m.Config.Params().With(table...)
}
