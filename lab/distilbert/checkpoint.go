package distilbert

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/weights"
)

// Head says whether to load the sequence-classification head.
type Head int

const (
	// HeadIfPresent loads pre_classifier and classifier when the checkpoint has them.
	HeadIfPresent Head = iota
	// NoHead loads the encoder alone, ignoring a head in the checkpoint (feature extraction).
	NoHead
	// RequireHead fails when the checkpoint has no head.
	RequireHead
)

// mlmHead are tensors of DistilBertForMaskedLM checkpoints (distilbert-base-uncased is one) that HF
// also drops, with a warning, when loading DistilBertModel.
var mlmHead = []string{"vocab_transform.", "vocab_layer_norm.", "vocab_projector."}

// LoadDir loads config.json and the safetensors checkpoint of an HF-format directory.
//
// Like HF's from_pretrained, it accepts checkpoints saved from the bare DistilBertModel (names without
// the "distilbert." prefix) as well as from the heads, and drops the masked-LM head. Any other
// unexpected, missing or wrongly shaped tensor is an error listing all of them by name.
func LoadDir(dir string, head Head) (*Model, error) {
	cfgPath := filepath.Join(dir, "config.json")
	cfg, err := LoadConfig(cfgPath)
	if err != nil {
		return nil, err
	}
	src, err := weights.OpenDir(dir)
	if err != nil {
		return nil, err
	}
	defer src.Close()

	names := src.Names()
	bare := true // saved from DistilBertModel: names start at "embeddings." / "transformer."
	hasHead := false
	for _, n := range names {
		if strings.HasPrefix(n, "distilbert.") {
			bare = false
		}
		if strings.HasPrefix(n, "classifier.") {
			hasHead = true
		}
	}
	switch {
	case head == RequireHead && !hasHead:
		return nil, fmt.Errorf("distilbert: %s: the checkpoint has no classification head (classifier.weight)", src.Path())
	case head == NoHead:
		hasHead = false
	}

	want := cfg.Params(hasHead).Wants(fileNames(bare))

	store := model.NewStore()
	report, err := weights.Bind(store, src, want, true)
	if err != nil {
		return nil, err
	}
	var unexpected []string
	for _, n := range report.Unexpected {
		if ignorable(n, head) {
			continue
		}
		unexpected = append(unexpected, n)
	}
	if len(unexpected) > 0 {
		return nil, fmt.Errorf("distilbert: %s: %d unexpected tensor(s) for DistilBERT: %s", src.Path(), len(unexpected), strings.Join(unexpected, ", "))
	}
	return &Model{Config: cfg, Store: store, HasHead: hasHead, Dir: dir}, nil
}

func ignorable(name string, head Head) bool {
	if head == NoHead && (strings.HasPrefix(name, "pre_classifier.") || strings.HasPrefix(name, "classifier.")) {
		return true
	}
	for _, p := range mlmHead {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	// Older checkpoints carry the position_ids buffer.
	return strings.HasSuffix(name, "embeddings.position_ids")
}

// Save writes the weights as an HF safetensors checkpoint (atomically). With bare, names are those
// of DistilBertModel ("embeddings.…", "transformer.…") and the head is left out; otherwise those of
// DistilBertForSequenceClassification.
func (m *Model) Save(path string, bare bool) error {
	ts, err := weights.FromStore(m.Store, m.Config.Params(m.HasHead && !bare).Wants(fileNames(bare)))
	if err != nil {
		return err
	}
	return weights.Write(path, ts, map[string]string{"format": "pt"})
}

// fileNames maps HF names to those of a checkpoint saved from the bare DistilBertModel, whose names
// lack the "distilbert." prefix; nil for the head models' checkpoints.
func fileNames(bare bool) func(string) string {
	if !bare {
		return nil
	}
	return func(name string) string { return strings.TrimPrefix(name, "distilbert.") }
}
