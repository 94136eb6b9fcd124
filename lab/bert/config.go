package bert

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"github.com/go-translab/translab/lab/atomicfile"
	"github.com/go-translab/translab/lab/weights"
)

// Config holds the BertConfig fields that shape the weights or change the math, read from a
// checkpoint's config.json. Field names follow HF's config so that the JSON maps one to one.
type Config struct {
	VocabSize             int     `json:"vocab_size"`
	HiddenSize            int     `json:"hidden_size"`
	NumHiddenLayers       int     `json:"num_hidden_layers"`
	NumAttentionHeads     int     `json:"num_attention_heads"`
	IntermediateSize      int     `json:"intermediate_size"`
	HiddenAct             string  `json:"hidden_act"`
	HiddenDropoutProb     float64 `json:"hidden_dropout_prob"`
	AttentionProbsDropout float64 `json:"attention_probs_dropout_prob"`
	MaxPositionEmbeddings int     `json:"max_position_embeddings"`
	TypeVocabSize         int     `json:"type_vocab_size"`
	InitializerRange      float64 `json:"initializer_range"`
	LayerNormEps          float64 `json:"layer_norm_eps"`
	PadTokenID            int     `json:"pad_token_id"`
	PositionEmbeddingType string  `json:"position_embedding_type"`
	// ClassifierDropout is the dropout before the classifier; null (nil) means hidden_dropout_prob,
	// as in BertForSequenceClassification. It is written as null, never left out.
	ClassifierDropout *float64          `json:"classifier_dropout"`
	IsDecoder         bool              `json:"is_decoder,omitempty"`
	ID2Label          map[string]string `json:"id2label,omitempty"`
	Label2ID          map[string]int    `json:"label2id,omitempty"`
	ProblemType       string            `json:"problem_type,omitempty"` // HF rejects ""
	ModelType         string            `json:"model_type"`
	Architectures     []string          `json:"architectures,omitempty"`
}

// DefaultConfig is bert-base-uncased's configuration, HF's BertConfig defaults.
func DefaultConfig() *Config {
	return &Config{
		VocabSize: 30522, HiddenSize: 768, NumHiddenLayers: 12, NumAttentionHeads: 12, IntermediateSize: 3072,
		HiddenAct: "gelu", HiddenDropoutProb: 0.1, AttentionProbsDropout: 0.1, MaxPositionEmbeddings: 512,
		TypeVocabSize: 2, InitializerRange: 0.02, LayerNormEps: 1e-12, PositionEmbeddingType: "absolute",
		ModelType: "bert",
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

// classifierDropout is the dropout rate before the classifier.
func (c *Config) classifierDropout() float64 {
	if c.ClassifierDropout != nil {
		return *c.ClassifierDropout
	}
	return c.HiddenDropoutProb
}

// Params is the parameter table of BertForSequenceClassification, in HF's order
// (named_parameters): every parameter's name, shape and module. Without head it is BertModel with
// its pooler, still under "bert." (HF's base_model_prefix).
func (c *Config) Params(head bool) weights.Table {
	d, h := c.HiddenSize, c.IntermediateSize
	t := weights.EmbeddingParams("bert.embeddings.word_embeddings", c.VocabSize, d)
	t = append(t, weights.EmbeddingParams("bert.embeddings.position_embeddings", c.MaxPositionEmbeddings, d)...)
	t = append(t, weights.EmbeddingParams("bert.embeddings.token_type_embeddings", c.TypeVocabSize, d)...)
	t = append(t, weights.LayerNormParams("bert.embeddings.LayerNorm", d)...)
	for i := 0; i < c.NumHiddenLayers; i++ {
		p := fmt.Sprintf("bert.encoder.layer.%d.", i)
		for _, lin := range []string{"self.query", "self.key", "self.value", "output.dense"} {
			t = append(t, weights.LinearParams(p+"attention."+lin, d, d, true)...)
		}
		t = append(t, weights.LayerNormParams(p+"attention.output.LayerNorm", d)...)
		t = append(t, weights.LinearParams(p+"intermediate.dense", h, d, true)...)
		t = append(t, weights.LinearParams(p+"output.dense", d, h, true)...)
		t = append(t, weights.LayerNormParams(p+"output.LayerNorm", d)...)
	}
	t = append(t, c.poolerParams()...)
	if head {
		t = append(t, c.headParams()...)
	}
	return t
}

// poolerParams are BertPooler's: a dense layer over the [CLS] hidden state.
func (c *Config) poolerParams() weights.Table {
	return weights.LinearParams("bert.pooler.dense", c.HiddenSize, c.HiddenSize, true)
}

// headParams are the sequence-classification head's: the classifier over the pooled output.
func (c *Config) headParams() weights.Table {
	return weights.LinearParams("classifier", c.NumLabels(), c.HiddenSize, true)
}

// shapeFields must be present in config.json: a default would silently build a model whose shapes
// disagree with the checkpoint.
var shapeFields = []string{"vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "max_position_embeddings"}

// LoadConfig reads and validates a config.json.
func LoadConfig(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("bert: %w", err)
	}
	c, err := ParseConfig(raw)
	if err != nil {
		return nil, fmt.Errorf("bert: %s: %w", path, err)
	}
	return c, nil
}

// ParseConfig parses and validates config.json contents.
func ParseConfig(raw []byte) (*Config, error) {
	var have map[string]json.RawMessage
	if err := json.Unmarshal(raw, &have); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	var missing []string
	for _, f := range shapeFields {
		if _, ok := have[f]; !ok {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing field(s) %v", missing)
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

// Validate rejects values no BERT the lab runs can have, naming the field.
func (c *Config) Validate() error {
	bad := func(field string, v any, why string) error {
		return fmt.Errorf("field %q = %v: %s", field, v, why)
	}
	if c.ModelType != "" && c.ModelType != "bert" {
		return bad("model_type", c.ModelType, `not a BERT checkpoint (want "bert")`)
	}
	limits := []struct {
		name   string
		v, max int
	}{
		{"vocab_size", c.VocabSize, 1 << 22}, {"hidden_size", c.HiddenSize, 1 << 16},
		{"num_hidden_layers", c.NumHiddenLayers, 256}, {"num_attention_heads", c.NumAttentionHeads, 1024},
		{"intermediate_size", c.IntermediateSize, 1 << 18}, {"max_position_embeddings", c.MaxPositionEmbeddings, 1 << 16},
		{"type_vocab_size", c.TypeVocabSize, 1 << 16},
	}
	for _, l := range limits {
		if l.v <= 0 || l.v > l.max {
			return bad(l.name, l.v, fmt.Sprintf("must be in 1..%d", l.max))
		}
	}
	if c.HiddenSize%c.NumAttentionHeads != 0 {
		return bad("hidden_size", c.HiddenSize, fmt.Sprintf("not a multiple of num_attention_heads (%d)", c.NumAttentionHeads))
	}
	// relative_key and relative_key_query add learned distance embeddings to the scores: another
	// model, whose weights this one would silently ignore.
	if c.PositionEmbeddingType != "" && c.PositionEmbeddingType != "absolute" {
		return bad("position_embedding_type", c.PositionEmbeddingType, "only absolute position embeddings are supported")
	}
	if c.IsDecoder {
		return bad("is_decoder", true, "a decoder's causal attention is not supported")
	}
	probs := map[string]float64{"hidden_dropout_prob": c.HiddenDropoutProb, "attention_probs_dropout_prob": c.AttentionProbsDropout}
	if c.ClassifierDropout != nil {
		probs["classifier_dropout"] = *c.ClassifierDropout
	}
	for name, p := range probs {
		if p < 0 || p >= 1 {
			return bad(name, p, "a dropout probability must be in [0, 1)")
		}
	}
	if !(c.LayerNormEps > 0 && c.LayerNormEps < 1) {
		return bad("layer_norm_eps", c.LayerNormEps, "must be in (0, 1)")
	}
	if err := weights.CheckActivation(c.HiddenAct); err != nil {
		return bad("hidden_act", c.HiddenAct, err.Error())
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
		return fmt.Errorf("bert: %s: %w", path, err)
	}
	out := *c
	out.ModelType = "bert"
	if out.PositionEmbeddingType == "" {
		out.PositionEmbeddingType = "absolute"
	}
	raw, err := json.MarshalIndent(&out, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(raw, '\n'))
}
