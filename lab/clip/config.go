package clip

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/go-translab/translab/lab/atomicfile"
	"github.com/go-translab/translab/lab/weights"
)

// TowerConfig holds the fields of CLIPTextConfig / CLIPVisionConfig that shape the weights or change
// the math.
type TowerConfig struct {
	HiddenSize        int     `json:"hidden_size"`
	IntermediateSize  int     `json:"intermediate_size"`
	NumHiddenLayers   int     `json:"num_hidden_layers"`
	NumAttentionHeads int     `json:"num_attention_heads"`
	HiddenAct         string  `json:"hidden_act"`
	LayerNormEps      float64 `json:"layer_norm_eps"`
	// Text tower.
	VocabSize             int `json:"vocab_size"`
	MaxPositionEmbeddings int `json:"max_position_embeddings"`
	EOSTokenID            int `json:"eos_token_id"`
	// Vision tower.
	ImageSize   int `json:"image_size"`
	PatchSize   int `json:"patch_size"`
	NumChannels int `json:"num_channels"`
}

// Config is CLIPConfig: the two towers and the shared projection width.
type Config struct {
	Text          TowerConfig `json:"text_config"`
	Vision        TowerConfig `json:"vision_config"`
	ProjectionDim int         `json:"projection_dim"`
	ModelType     string      `json:"model_type"`
}

// DefaultConfig is openai/clip-vit-base-patch16's configuration (HF's CLIPConfig defaults, with
// patch 16), used for fields a config.json leaves out.
func DefaultConfig() *Config {
	return &Config{
		Text: TowerConfig{HiddenSize: 512, IntermediateSize: 2048, NumHiddenLayers: 12, NumAttentionHeads: 8,
			HiddenAct: "quick_gelu", LayerNormEps: 1e-5, VocabSize: 49408, MaxPositionEmbeddings: 77, EOSTokenID: 49407},
		Vision: TowerConfig{HiddenSize: 768, IntermediateSize: 3072, NumHiddenLayers: 12, NumAttentionHeads: 12,
			HiddenAct: "quick_gelu", LayerNormEps: 1e-5, ImageSize: 224, PatchSize: 16, NumChannels: 3},
		ProjectionDim: 512, ModelType: "clip",
	}
}

// NumPatches is the vision tower's grid: (image_size / patch_size)².
func (c *Config) NumPatches() int { n := c.Vision.ImageSize / c.Vision.PatchSize; return n * n }

// LoadConfig reads and validates config.json.
func LoadConfig(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("clip: %w", err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, fmt.Errorf("clip: %s: not valid JSON: %w", path, err)
	}
	for _, f := range []string{"text_config", "vision_config"} {
		if _, ok := fields[f]; !ok {
			return nil, fmt.Errorf("clip: %s: missing field %q", path, f)
		}
	}
	c := DefaultConfig()
	if err := json.Unmarshal(raw, c); err != nil {
		return nil, fmt.Errorf("clip: %s: field of the wrong type: %w", path, err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("clip: %s: %w", path, err)
	}
	return c, nil
}

// Validate rejects values no CLIP can have, naming the field.
func (c *Config) Validate() error {
	if c.ModelType != "" && c.ModelType != "clip" {
		return fmt.Errorf("field \"model_type\" = %q: not a CLIP checkpoint (want \"clip\")", c.ModelType)
	}
	check := func(tower string, t TowerConfig) error {
		for _, f := range []struct {
			name   string
			v, max int
		}{
			{"hidden_size", t.HiddenSize, 1 << 16}, {"intermediate_size", t.IntermediateSize, 1 << 18},
			{"num_hidden_layers", t.NumHiddenLayers, 256}, {"num_attention_heads", t.NumAttentionHeads, 1024},
		} {
			if f.v <= 0 || f.v > f.max {
				return fmt.Errorf("field \"%s.%s\" = %d: must be in 1..%d", tower, f.name, f.v, f.max)
			}
		}
		if t.HiddenSize%t.NumAttentionHeads != 0 {
			return fmt.Errorf("field \"%s.hidden_size\" = %d: not a multiple of num_attention_heads (%d)", tower, t.HiddenSize, t.NumAttentionHeads)
		}
		if err := weights.CheckActivation(t.HiddenAct); err != nil {
			return fmt.Errorf("field \"%s.hidden_act\" = %q: %w", tower, t.HiddenAct, err)
		}
		if !(t.LayerNormEps > 0 && t.LayerNormEps < 1) {
			return fmt.Errorf("field \"%s.layer_norm_eps\" = %v: must be in (0, 1)", tower, t.LayerNormEps)
		}
		return nil
	}
	if err := check("text_config", c.Text); err != nil {
		return err
	}
	if err := check("vision_config", c.Vision); err != nil {
		return err
	}
	switch {
	case c.Text.VocabSize <= 0 || c.Text.VocabSize > 1<<22:
		return fmt.Errorf("field \"text_config.vocab_size\" = %d: must be in 1..%d", c.Text.VocabSize, 1<<22)
	case c.Text.MaxPositionEmbeddings <= 0 || c.Text.MaxPositionEmbeddings > 1<<16:
		return fmt.Errorf("field \"text_config.max_position_embeddings\" = %d: out of range", c.Text.MaxPositionEmbeddings)
	case c.Vision.PatchSize <= 0 || c.Vision.ImageSize <= 0 || c.Vision.ImageSize%c.Vision.PatchSize != 0:
		return fmt.Errorf("field \"vision_config.image_size\" = %d: must be a positive multiple of patch_size (%d)", c.Vision.ImageSize, c.Vision.PatchSize)
	case c.Vision.NumChannels <= 0 || c.Vision.NumChannels > 16:
		return fmt.Errorf("field \"vision_config.num_channels\" = %d: out of range", c.Vision.NumChannels)
	case c.ProjectionDim <= 0 || c.ProjectionDim > 1<<16:
		return fmt.Errorf("field \"projection_dim\" = %d: out of range", c.ProjectionDim)
	}
	return nil
}

// Params is the parameter table of CLIPModel: every HF parameter's name, shape and module. The
// order is the text tower, the vision tower, the two projections and logit_scale, with each
// attention's projections as q, k, v, out (HF's module order, but for those two): the order LoRA
// draws its matrices in, kept so that a seed gives the adapter it always gave.
func (c *Config) Params() weights.Table {
	t, v := c.Text, c.Vision
	p := weights.EmbeddingParams("text_model.embeddings.token_embedding", t.VocabSize, t.HiddenSize)
	p = append(p, weights.EmbeddingParams("text_model.embeddings.position_embedding", t.MaxPositionEmbeddings, t.HiddenSize)...)
	p = append(p, encoderParams("text_model.encoder", t)...)
	p = append(p, weights.LayerNormParams("text_model.final_layer_norm", t.HiddenSize)...)

	p = append(p,
		weights.Param{Name: "vision_model.embeddings.class_embedding", Shape: []int{v.HiddenSize}, Module: weights.Other},
		weights.Param{Name: "vision_model.embeddings.patch_embedding.weight", Shape: []int{v.HiddenSize, v.NumChannels, v.PatchSize, v.PatchSize}, Module: weights.Conv})
	p = append(p, weights.EmbeddingParams("vision_model.embeddings.position_embedding", c.NumPatches()+1, v.HiddenSize)...)
	p = append(p, weights.LayerNormParams("vision_model.pre_layrnorm", v.HiddenSize)...) // sic, as HF spells it
	p = append(p, encoderParams("vision_model.encoder", v)...)
	p = append(p, weights.LayerNormParams("vision_model.post_layernorm", v.HiddenSize)...)

	p = append(p, weights.LinearParams("text_projection", c.ProjectionDim, t.HiddenSize, false)...)
	p = append(p, weights.LinearParams("visual_projection", c.ProjectionDim, v.HiddenSize, false)...)
	return append(p, weights.Param{Name: "logit_scale", Module: weights.Other})
}

func encoderParams(prefix string, t TowerConfig) weights.Table {
	d, h := t.HiddenSize, t.IntermediateSize
	var p weights.Table
	for i := 0; i < t.NumHiddenLayers; i++ {
		l := fmt.Sprintf("%s.layers.%d.", prefix, i)
		for _, proj := range []string{"q_proj", "k_proj", "v_proj", "out_proj"} {
			p = append(p, weights.LinearParams(l+"self_attn."+proj, d, d, true)...)
		}
		p = append(p, weights.LayerNormParams(l+"layer_norm1", d)...)
		p = append(p, weights.LinearParams(l+"mlp.fc1", h, d, true)...)
		p = append(p, weights.LinearParams(l+"mlp.fc2", d, h, true)...)
		p = append(p, weights.LayerNormParams(l+"layer_norm2", d)...)
	}
	return p
}

// Save writes config.json so that both this package and HF transformers load it.
func (c *Config) Save(path string) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("clip: %s: %w", path, err)
	}
	out := map[string]any{
		"architectures": []string{"CLIPModel"}, "model_type": "clip", "projection_dim": c.ProjectionDim,
		"logit_scale_init_value": 2.6592,
		"text_config": map[string]any{
			"model_type": "clip_text_model", "vocab_size": c.Text.VocabSize, "hidden_size": c.Text.HiddenSize,
			"intermediate_size": c.Text.IntermediateSize, "num_hidden_layers": c.Text.NumHiddenLayers,
			"num_attention_heads": c.Text.NumAttentionHeads, "max_position_embeddings": c.Text.MaxPositionEmbeddings,
			"hidden_act": c.Text.HiddenAct, "layer_norm_eps": c.Text.LayerNormEps, "eos_token_id": c.Text.EOSTokenID,
			"projection_dim": c.ProjectionDim,
		},
		"vision_config": map[string]any{
			"model_type": "clip_vision_model", "hidden_size": c.Vision.HiddenSize, "intermediate_size": c.Vision.IntermediateSize,
			"num_hidden_layers": c.Vision.NumHiddenLayers, "num_attention_heads": c.Vision.NumAttentionHeads,
			"num_channels": c.Vision.NumChannels, "image_size": c.Vision.ImageSize, "patch_size": c.Vision.PatchSize,
			"hidden_act": c.Vision.HiddenAct, "layer_norm_eps": c.Vision.LayerNormEps, "projection_dim": c.ProjectionDim,
		},
	}
	raw, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(raw, '\n'))
}
