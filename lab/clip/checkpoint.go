package clip

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/ml/model"

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
	return &Model{Config: cfg, Store: store, Dir: dir}, nil
}
