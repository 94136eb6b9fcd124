package clip

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/hub"
	"github.com/go-translab/translab/lab/weights"
)

func shapeOf(dims ...int) shapes.Shape { return shapes.Make(dtypes.Int32, dims...) }

// LoadDir loads config.json and the safetensors checkpoint of an HF-format CLIP directory. Missing,
// unexpected or wrongly shaped tensors are reported by name, all at once.
func LoadDir(dir string) (*Model, error) {
	cfg, err := LoadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, err
	}
	src, err := weights.OpenDir(dir)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	want := cfg.Params().Wants(nil)
	store := model.NewStore()
	report, err := weights.Bind(store, src, want, true)
	if err != nil {
		return nil, err
	}
	var unexpected []string
	for _, n := range report.Unexpected {
		if !strings.HasSuffix(n, "position_ids") { // a buffer older checkpoints carry
			unexpected = append(unexpected, n)
		}
	}
	if len(unexpected) > 0 {
		return nil, fmt.Errorf("clip: %s: %d unexpected tensor(s) for CLIPModel: %s", src.Path(), len(unexpected), strings.Join(unexpected, ", "))
	}
	return &Model{Config: cfg, Store: store}, nil
}

// Files a CLIP directory may hold: the config, one of the checkpoint layouts, the tokenizer and the
// image processor's configuration.
var ModelFiles = []string{
	"config.json", hub.Optional("model.safetensors"), hub.Optional("model.safetensors.index.json"),
	hub.Optional("pytorch_model.bin"), hub.Optional("tokenizer.json"), hub.Optional("tokenizer_config.json"),
	hub.Optional("preprocessor_config.json"), hub.Optional("special_tokens_map.json"),
}

// Load loads CLIP from an HF-format directory or a hub id, fetching into the shared hub cache when
// needed, and returns the directory too (the tokenizer and image processor live beside the weights).
func Load(ctx context.Context, c *hub.Client, pathOrID string) (*Model, string, error) {
	dir, err := hub.Resolve(ctx, c, pathOrID, ModelFiles...)
	if err != nil {
		return nil, "", err
	}
	m, err := LoadDir(dir)
	return m, dir, err
}
