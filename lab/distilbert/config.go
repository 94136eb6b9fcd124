package distilbert

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"github.com/go-translab/translab/lab/atomicfile"
	"github.com/go-translab/translab/lab/weights"
)

// Config holds the DistilBertConfig fields that shape the weights or change the math, read from a
// checkpoint's config.json. Field names follow HF's config so that the JSON maps one to one.
type Config struct {
	VocabSize             int     `json:"vocab_size"`
	MaxPositionEmbeddings int     `json:"max_position_embeddings"`
	SinusoidalPosEmbds    bool    `json:"sinusoidal_pos_embds"`
	NLayers               int     `json:"n_layers"`
	NHeads                int     `json:"n_heads"`
	Dim                   int     `json:"dim"`
	HiddenDim             int     `json:"hidden_dim"`
	Dropout               float64 `json:"dropout"`
	AttentionDropout      float64 `json:"attention_dropout"`
	Activation            string  `json:"activation"`
	InitializerRange      float64 `json:"initializer_range"`
	SeqClassifDropout     float64 `json:"seq_classif_dropout"`
	PadTokenID            int     `json:"pad_token_id"`
	// LayerNormEps is not a DistilBertConfig field: HF hard-codes 1e-12. Read it when a converted
	// checkpoint carries one.
	LayerNormEps  float64           `json:"layer_norm_eps"`
	ID2Label      map[string]string `json:"id2label,omitempty"`
	Label2ID      map[string]int    `json:"label2id,omitempty"`
	ProblemType   string            `json:"problem_type,omitempty"` // HF rejects ""
	ModelType     string            `json:"model_type"`
	Architectures []string          `json:"architectures,omitempty"`
}

// DefaultConfig is distilbert-base-uncased's configuration, HF's DistilBertConfig defaults.
func DefaultConfig() *Config {
	return &Config{
		VocabSize: 30522, MaxPositionEmbeddings: 512, NLayers: 6, NHeads: 12, Dim: 768, HiddenDim: 3072,
		Dropout: 0.1, AttentionDropout: 0.1, Activation: "gelu", InitializerRange: 0.02,
		SeqClassifDropout: 0.2, LayerNormEps: 1e-12, ModelType: "distilbert",
	}
}

// NumLabels is the classification head's width: HF derives it from id2label (2 when absent).
func (c *Config) NumLabels() int {
	if len(c.ID2Label) == 0 {
		return 2
	}
	return len(c.ID2Label)
}

// Labels returns the label names in id order.
func (c *Config) Labels() []string {
	out := make([]string, c.NumLabels())
	for i := range out {
		if name, ok := c.ID2Label[strconv.Itoa(i)]; ok {
			out[i] = name
		} else {
			out[i] = fmt.Sprintf("LABEL_%d", i)
		}
	}
	return out
}

// Params is the parameter table of DistilBertForSequenceClassification, in HF's order
// (named_parameters): every parameter's name, shape and module. Without head it is the encoder
// alone, still under "distilbert.".
func (c *Config) Params(head bool) weights.Table {
	d, h := c.Dim, c.HiddenDim
	t := weights.EmbeddingParams("distilbert.embeddings.word_embeddings", c.VocabSize, d)
	t = append(t, weights.EmbeddingParams("distilbert.embeddings.position_embeddings", c.MaxPositionEmbeddings, d)...)
	t = append(t, weights.LayerNormParams("distilbert.embeddings.LayerNorm", d)...)
	for i := 0; i < c.NLayers; i++ {
		p := fmt.Sprintf("distilbert.transformer.layer.%d.", i)
		for _, lin := range []string{"q_lin", "k_lin", "v_lin", "out_lin"} {
			t = append(t, weights.LinearParams(p+"attention."+lin, d, d, true)...)
		}
		t = append(t, weights.LayerNormParams(p+"sa_layer_norm", d)...)
		t = append(t, weights.LinearParams(p+"ffn.lin1", h, d, true)...)
		t = append(t, weights.LinearParams(p+"ffn.lin2", d, h, true)...)
		t = append(t, weights.LayerNormParams(p+"output_layer_norm", d)...)
	}
	if head {
		t = append(t, c.headParams()...)
	}
	return t
}

// headParams are the sequence-classification head's: pre_classifier and classifier.
func (c *Config) headParams() weights.Table {
	return append(weights.LinearParams("pre_classifier", c.Dim, c.Dim, true),
		weights.LinearParams("classifier", c.NumLabels(), c.Dim, true)...)
}

// shapeFields must be present in config.json: a default would silently build a model whose shapes
// disagree with the checkpoint.
var shapeFields = []string{"vocab_size", "max_position_embeddings", "n_layers", "n_heads", "dim", "hidden_dim"}

// requireFields checks that raw is a JSON object with every one of fields; what says which kind of
// config it is in the error.
func requireFields(raw []byte, fields []string, what string) error {
	var have map[string]json.RawMessage
	if err := json.Unmarshal(raw, &have); err != nil {
		return fmt.Errorf("not valid JSON: %w", err)
	}
	var missing []string
	for _, f := range fields {
		if _, ok := have[f]; !ok {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%smissing field(s) %v", what, missing)
	}
	return nil
}

// LoadConfig reads and validates a config.json.
func LoadConfig(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("distilbert: %w", err)
	}
	c, err := ParseConfig(raw)
	if err != nil {
		return nil, fmt.Errorf("distilbert: %s: %w", path, err)
	}
	return c, nil
}

// ParseConfig parses and validates config.json contents.
func ParseConfig(raw []byte) (*Config, error) {
	if err := requireFields(raw, shapeFields, ""); err != nil {
		return nil, err
	}
	c := DefaultConfig()
	if err := json.Unmarshal(raw, c); err != nil {
		return nil, fmt.Errorf("field of the wrong type: %w", err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Validate rejects values no DistilBERT can have, naming the field.
func (c *Config) Validate() error {
	bad := func(field string, v any, why string) error {
		return fmt.Errorf("field %q = %v: %s", field, v, why)
	}
	if c.ModelType != "" && c.ModelType != "distilbert" {
		return bad("model_type", c.ModelType, `not a DistilBERT checkpoint (want "distilbert"; lab/bert reads "bert")`)
	}
	limits := []struct {
		name   string
		v, max int
	}{
		{"vocab_size", c.VocabSize, 1 << 22}, {"max_position_embeddings", c.MaxPositionEmbeddings, 1 << 16},
		{"n_layers", c.NLayers, 256}, {"n_heads", c.NHeads, 1024}, {"dim", c.Dim, 1 << 16},
		{"hidden_dim", c.HiddenDim, 1 << 18},
	}
	for _, l := range limits {
		if l.v <= 0 || l.v > l.max {
			return bad(l.name, l.v, fmt.Sprintf("must be in 1..%d", l.max))
		}
	}
	if c.Dim%c.NHeads != 0 {
		return bad("dim", c.Dim, fmt.Sprintf("not a multiple of n_heads (%d)", c.NHeads))
	}
	for name, p := range map[string]float64{"dropout": c.Dropout, "attention_dropout": c.AttentionDropout, "seq_classif_dropout": c.SeqClassifDropout} {
		if p < 0 || p >= 1 {
			return bad(name, p, "a dropout probability must be in [0, 1)")
		}
	}
	if !(c.LayerNormEps > 0 && c.LayerNormEps < 1) {
		return bad("layer_norm_eps", c.LayerNormEps, "must be in (0, 1)")
	}
	if err := weights.CheckActivation(c.Activation); err != nil {
		return bad("activation", c.Activation, err.Error())
	}
	if c.PadTokenID < 0 || c.PadTokenID >= c.VocabSize {
		return bad("pad_token_id", c.PadTokenID, fmt.Sprintf("outside the vocabulary (0..%d)", c.VocabSize-1))
	}
	for i := 0; i < len(c.ID2Label); i++ {
		if _, ok := c.ID2Label[strconv.Itoa(i)]; !ok {
			return bad("id2label", c.ID2Label, fmt.Sprintf("ids must be 0..%d", len(c.ID2Label)-1))
		}
	}
	return nil
}

// Save writes config.json so that both this package and HF transformers load it.
func (c *Config) Save(path string) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("distilbert: %s: %w", path, err)
	}
	out := *c
	out.ModelType = "distilbert"
	raw, err := json.MarshalIndent(&out, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(raw, '\n'))
}
