package bert

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
	// HeadIfPresent loads the classifier when the checkpoint has one.
	HeadIfPresent Head = iota
	// NoHead loads BertModel alone, ignoring a head in the checkpoint (feature extraction).
	NoHead
	// RequireHead fails when the checkpoint has no classifier.
	RequireHead
)

// LoadDir loads config.json and the checkpoint (safetensors, or PyTorch's .bin) of an HF-format
// directory.
//
// Like HF's from_pretrained, it accepts checkpoints saved from the bare BertModel (names without
// the "bert." prefix) as well as from the heads, and drops the pre-training heads (cls.…) that
// BertForMaskedLM and BertForPreTraining checkpoints such as bert-base-uncased carry. A checkpoint
// without the pooler loads without it (see Model.HasPooler). Any other unexpected, missing or
// wrongly shaped tensor is an error listing all of them by name.
func LoadDir(dir string, head Head) (*Model, error) {
	cfg, err := LoadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, err
	}
	src, err := weights.OpenDir(dir)
	if err != nil {
		return nil, err
	}
	defer src.Close()

	prefix := "" // saved from BertModel: names start at "embeddings." / "encoder." / "pooler."
	if _, ok := src.Info("bert.embeddings.word_embeddings.weight"); ok {
		prefix = "bert."
	}
	_, hasHead := src.Info("classifier.weight")
	hasHead = hasHead && prefix != ""
	_, hasPooler := src.Info(prefix + "pooler.dense.weight")
	switch {
	case head == RequireHead && !hasHead:
		return nil, fmt.Errorf("bert: %s: the checkpoint has no classification head (classifier.weight)", src.Path())
	case head == NoHead:
		hasHead = false
	}
	m := &Model{Config: cfg, Store: model.NewStore(), HasPooler: hasPooler, HasHead: hasHead, Dir: dir}
	report, err := weights.Bind(m.Store, src, m.Params().Wants(fileNames(prefix)), true)
	if err != nil {
		return nil, err
	}
	var unexpected []string
	for _, n := range report.Unexpected {
		if !ignorable(strings.TrimPrefix(n, prefix), head) {
			unexpected = append(unexpected, n)
		}
	}
	if len(unexpected) > 0 {
		return nil, fmt.Errorf("bert: %s: %d unexpected tensor(s) for BERT: %s", src.Path(), len(unexpected), strings.Join(unexpected, ", "))
	}
	return m, nil
}

// ignorable are the checkpoint tensors (named without the "bert." prefix) that HF also drops:
// BertForPreTraining's and BertForMaskedLM's heads, older checkpoints' position_ids and
// token_type_ids buffers, and — when only the encoder is wanted — the classifier.
func ignorable(name string, head Head) bool {
	switch {
	case strings.HasPrefix(name, "cls."):
		return true
	case name == "embeddings.position_ids" || name == "embeddings.token_type_ids":
		return true
	case head == NoHead && strings.HasPrefix(name, "classifier."):
		return true
	}
	return false
}

// Save writes the weights as an HF safetensors checkpoint (atomically). With bare, names are those
// of BertModel ("embeddings.…", "encoder.…", "pooler.…") and the head is left out; otherwise those
// of BertForSequenceClassification.
func (m *Model) Save(path string, bare bool) error {
	table := m.Params()
	prefix := "bert."
	if bare {
		prefix = ""
		table = table.Filter(func(p weights.Param) bool { return strings.HasPrefix(p.Name, "bert.") })
	}
	ts, err := weights.FromStore(m.Store, table.Wants(fileNames(prefix)))
	if err != nil {
		return err
	}
	return weights.Write(path, ts, map[string]string{"format": "pt"})
}

// fileNames maps HF names to those of a checkpoint whose BertModel tensors are under prefix:
// "bert." for the head models' checkpoints (the names as they are), "" for the bare BertModel's.
func fileNames(prefix string) func(string) string {
	if prefix == "bert." {
		return nil
	}
	return func(name string) string {
		if rest, ok := strings.CutPrefix(name, "bert."); ok {
			return prefix + rest
		}
		return name
	}
}
