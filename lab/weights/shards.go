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

// Shards is a checkpoint split over several files, as listed by a
// HuggingFace "model.safetensors.index.json" (or "pytorch_model.bin.index.json"
// for torch.save shards). The index is authoritative: a tensor is read from
// the shard it names, and tensors a shard holds that the index does not list
// are ignored.
type Shards struct {
	path  string
	files []Source
	where map[string]Source
	names []string
}

// OpenIndex opens a safetensors shard index at path and every shard it lists
// (which must sit in the same directory), checking that each listed tensor
// exists in its shard.
func OpenIndex(path string) (*Shards, error) {
	return openIndex(path, func(p string) (Source, error) {
		f, err := Open(p)
		if err != nil {
			return nil, err // not a typed nil inside the interface
		}
		return f, nil
	})
}

// OpenTorchIndex is OpenIndex for the torch.save shards listed by a
// "pytorch_model.bin.index.json".
func OpenTorchIndex(path string) (*Shards, error) {
	return openIndex(path, func(p string) (Source, error) {
		f, err := OpenTorch(p)
		if err != nil {
			return nil, err
		}
		return f, nil
	})
}

func openIndex(path string, open func(string) (Source, error)) (*Shards, error) {
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
	s := &Shards{path: path, where: make(map[string]Source, len(index.WeightMap))}
	byShard := map[string]Source{}
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
			f, err = open(filepath.Join(dir, shard))
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

// OpenDir opens the checkpoint of a HuggingFace model directory: the single
// model.safetensors if present, else the shards of
// model.safetensors.index.json, else (for repos that ship only PyTorch
// weights) pytorch_model.bin or the shards of pytorch_model.bin.index.json.
func OpenDir(dir string) (Source, error) {
	single := filepath.Join(dir, "model.safetensors")
	if _, err := os.Stat(single); err == nil {
		f, err := Open(single)
		if err != nil {
			return nil, err // not a typed nil inside the interface
		}
		return f, nil
	}
	index := filepath.Join(dir, "model.safetensors.index.json")
	if _, err := os.Stat(index); err == nil {
		s, err := OpenIndex(index)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	bin := filepath.Join(dir, "pytorch_model.bin")
	if _, err := os.Stat(bin); err == nil {
		f, err := OpenTorch(bin)
		if err != nil {
			return nil, err
		}
		return f, nil
	}
	binIndex := filepath.Join(dir, "pytorch_model.bin.index.json")
	if _, err := os.Stat(binIndex); err == nil {
		s, err := OpenTorchIndex(binIndex)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	return nil, fmt.Errorf("weights: %s: neither model.safetensors, model.safetensors.index.json, pytorch_model.bin nor pytorch_model.bin.index.json found", dir)
}

// Close closes every shard.
func (s *Shards) Close() error {
	var errs []error
	for _, f := range s.files {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}

// Path returns the path of the index.
func (s *Shards) Path() string { return s.path }

// Names returns the tensor names listed in the index, sorted.
func (s *Shards) Names() []string { return slices.Clone(s.names) }

// Info returns the dtype and shape of the named tensor.
func (s *Shards) Info(name string) (TensorInfo, bool) {
	f, ok := s.where[name]
	if !ok {
		return TensorInfo{}, false
	}
	return f.Info(name)
}

// Float32s reads the named tensor from its shard; see File.Float32s.
func (s *Shards) Float32s(name string) ([]float32, error) {
	f, ok := s.where[name]
	if !ok {
		return nil, fmt.Errorf("weights: %s: no tensor %q", s.path, name)
	}
	return f.Float32s(name)
}

// Tensor reads the named tensor from its shard; see File.Tensor.
func (s *Shards) Tensor(name string) (*tensors.Tensor, error) {
	f, ok := s.where[name]
	if !ok {
		return nil, fmt.Errorf("weights: %s: no tensor %q", s.path, name)
	}
	return f.Tensor(name)
}
