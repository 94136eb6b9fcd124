package distilbert

import (
	"fmt"
	"path/filepath"

	"github.com/go-translab/translab/lab/atomicfile"
	"github.com/go-translab/translab/lab/tokenize"
)

// NewForSequenceClassification is AutoModelForSequenceClassification.from_pretrained(dir,
// id2label=…): the encoder in dir with a fresh classification head of len(labels) outputs,
// initialised as HF does.
func NewForSequenceClassification(dir string, labels []string, seed uint64) (*Model, error) {
	m, err := LoadDir(dir, NoHead)
	if err != nil {
		return nil, err
	}
	if len(labels) < 2 {
		return nil, fmt.Errorf("distilbert: a classifier needs at least two labels, got %q", labels)
	}
	cfg := *m.Config
	cfg.ID2Label, cfg.Label2ID = map[string]string{}, map[string]int{}
	for i, name := range labels {
		cfg.ID2Label[fmt.Sprint(i)], cfg.Label2ID[name] = name, i
	}
	m.Config = &cfg
	m.InitHead(seed)
	return m, nil
}

// SavePretrained writes m as an HF directory that this project and transformers both load:
// config.json (with id2label), model.safetensors with DistilBertForSequenceClassification's
// names, and the tokenizer files found in tokenizerDir. An existing export is replaced only by a
// complete one (atomicfile.ReplaceDir).
func (m *Model) SavePretrained(dir, tokenizerDir string) error {
	return atomicfile.ReplaceDir(dir, func(tmp string) error {
		cfg := *m.Config
		cfg.Architectures = []string{"DistilBertForSequenceClassification"}
		if err := cfg.Save(filepath.Join(tmp, "config.json")); err != nil {
			return err
		}
		if err := m.Save(filepath.Join(tmp, "model.safetensors"), false); err != nil {
			return err
		}
		return tokenize.CopyFiles(tokenizerDir, tmp)
	})
}
