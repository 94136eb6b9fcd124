package weights

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/gomlx/gomlx/core/tensors"
)

// TorchShards is a PyTorch checkpoint split over several torch.save files,
// as listed by a HuggingFace "pytorch_model.bin.index.json". Like Shards, the
// index is authoritative: a tensor is read from the shard it names.
type TorchShards struct {
	path  string
	files []*TorchFile
	where map[string]*TorchFile
	names []string
}

var _ Source = (*TorchShards)(nil)

// OpenTorchIndex opens the shard index at path and every shard it lists
// (which must sit in the same directory), checking that each listed tensor
// exists in its shard.
func OpenTorchIndex(path string) (*TorchShards, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("weights: %w", err)
	}
	var index struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	if err := json.Unmarshal(raw, &index); err != nil {
		return nil, fmt.Errorf("weights: %s: index is not valid JSON: %v", path, err)
	}
	if len(index.WeightMap) == 0 {
		return nil, fmt.Errorf("weights: %s: index has no weight_map entries", path)
	}
	s := &TorchShards{path: path, where: make(map[string]*TorchFile, len(index.WeightMap))}
	byShard := map[string]*TorchFile{}
	dir := filepath.Dir(path)
	names := make([]string, 0, len(index.WeightMap))
	for name := range index.WeightMap {
		names = append(names, name)
	}
	sort.Strings(names) // deterministic: the first error is always the same one
	for _, name := range names {
		shard := index.WeightMap[name]
		// Shards are siblings of the index; refusing anything else keeps a
		// hostile index from pointing us at arbitrary files.
		if shard == "" || filepath.Base(shard) != shard || shard == "." || shard == ".." {
			_ = s.Close()
			return nil, fmt.Errorf("weights: %s: tensor %q: shard %q is not a file name in the index's directory", path, name, shard)
		}
		f, ok := byShard[shard]
		if !ok {
			f, err = OpenTorch(filepath.Join(dir, shard))
			if err != nil {
				_ = s.Close()
				return nil, fmt.Errorf("weights: %s: %w", path, err)
			}
			byShard[shard] = f
			s.files = append(s.files, f)
		}
		if _, ok := f.Info(name); !ok {
			_ = s.Close()
			return nil, fmt.Errorf("weights: %s: tensor %q is listed in shard %s, which does not hold it", path, name, shard)
		}
		s.where[name] = f
	}
	s.names = names
	return s, nil
}

// Close closes every shard.
func (s *TorchShards) Close() error {
	var errs []error
	for _, f := range s.files {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}

// Path returns the path of the index.
func (s *TorchShards) Path() string { return s.path }

// Names returns the tensor names listed in the index, sorted.
func (s *TorchShards) Names() []string { return slices.Clone(s.names) }

// Info returns the dtype and shape of the named tensor.
func (s *TorchShards) Info(name string) (TensorInfo, bool) {
	f, ok := s.where[name]
	if !ok {
		return TensorInfo{}, false
	}
	return f.Info(name)
}

// Float32s reads the named tensor from its shard; see TorchFile.Float32s.
func (s *TorchShards) Float32s(name string) ([]float32, error) {
	f, ok := s.where[name]
	if !ok {
		return nil, fmt.Errorf("weights: %s: no tensor %q", s.path, name)
	}
	return f.Float32s(name)
}

// Tensor reads the named tensor from its shard; see TorchFile.Tensor.
func (s *TorchShards) Tensor(name string) (*tensors.Tensor, error) {
	f, ok := s.where[name]
	if !ok {
		return nil, fmt.Errorf("weights: %s: no tensor %q", s.path, name)
	}
	return f.Tensor(name)
}
