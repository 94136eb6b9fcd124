package distilbert

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/go-translab/translab/lab/weights"
)

// BERT-family encoders (BertModel checkpoints: bert-base-uncased, MiniLM, sentence-transformers'
// all-MiniLM-L6-v2) are DistilBERT's blocks under other names — post-LayerNorm self-attention and a
// GELU feed-forward — plus a token-type embedding and a pooler. LoadDir reads their encoder into the
// same Model, so every [CLS]/feature path of the lab takes them:
//
//   - config: hidden_size → dim, num_hidden_layers → n_layers, num_attention_heads → n_heads,
//     intermediate_size → hidden_dim, hidden_act → activation, the two dropouts, layer_norm_eps;
//   - weights: renamed (bertNames); the lab never passes token_type_ids, so every token has type 0,
//     as in HF when they are omitted, and row 0 of token_type_embeddings is added to the position
//     embeddings; the pooler and any head are left out.
//
// BERT scales the scores after q·k where DistilBERT scales q: equal up to float32 rounding, which
// the tiny-BERT parity test bounds.

// bertConfig is the part of BertConfig that shapes the encoder.
type bertConfig struct {
	VocabSize             int     `json:"vocab_size"`
	HiddenSize            int     `json:"hidden_size"`
	NumHiddenLayers       int     `json:"num_hidden_layers"`
	NumAttentionHeads     int     `json:"num_attention_heads"`
	IntermediateSize      int     `json:"intermediate_size"`
	HiddenAct             string  `json:"hidden_act"`
	HiddenDropout         float64 `json:"hidden_dropout_prob"`
	AttentionDropout      float64 `json:"attention_probs_dropout_prob"`
	MaxPositionEmbeddings int     `json:"max_position_embeddings"`
	TypeVocabSize         int     `json:"type_vocab_size"`
	LayerNormEps          float64 `json:"layer_norm_eps"`
	PadTokenID            int     `json:"pad_token_id"`
	PositionEmbeddingType string  `json:"position_embedding_type"`
}

var bertShapeFields = []string{"vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "max_position_embeddings"}

// parseBERTConfig turns a BertConfig config.json into the equivalent DistilBERT Config.
func parseBERTConfig(raw []byte) (*Config, error) {
	if err := requireFields(raw, bertShapeFields, `a BERT config (model_type "bert") with `); err != nil {
		return nil, err
	}
	b := bertConfig{HiddenAct: "gelu", HiddenDropout: 0.1, AttentionDropout: 0.1, TypeVocabSize: 2, LayerNormEps: 1e-12}
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, fmt.Errorf("field of the wrong type: %w", err)
	}
	if b.PositionEmbeddingType != "" && b.PositionEmbeddingType != "absolute" {
		return nil, fmt.Errorf("field \"position_embedding_type\" = %q: only absolute position embeddings are supported", b.PositionEmbeddingType)
	}
	if b.TypeVocabSize < 1 {
		return nil, fmt.Errorf("field \"type_vocab_size\" = %d: must be at least 1", b.TypeVocabSize)
	}
	c := DefaultConfig()
	c.VocabSize, c.Dim, c.NLayers, c.NHeads, c.HiddenDim = b.VocabSize, b.HiddenSize, b.NumHiddenLayers, b.NumAttentionHeads, b.IntermediateSize
	c.Activation, c.Dropout, c.AttentionDropout = b.HiddenAct, b.HiddenDropout, b.AttentionDropout
	c.MaxPositionEmbeddings, c.LayerNormEps, c.PadTokenID = b.MaxPositionEmbeddings, b.LayerNormEps, b.PadTokenID
	if err := c.Validate(); err != nil {
		return nil, errors.New(bertFieldNames.Replace(err.Error()))
	}
	return c, nil
}

// bertFieldNames says a validation error in BERT's words.
var bertFieldNames = strings.NewReplacer(`"dim"`, `"hidden_size"`, `"n_layers"`, `"num_hidden_layers"`, `"n_heads"`, `"num_attention_heads"`,
	`"hidden_dim"`, `"intermediate_size"`, `"activation"`, `"hidden_act"`, `"dropout"`, `"hidden_dropout_prob"`, `"attention_dropout"`, `"attention_probs_dropout_prob"`, "n_heads (", "num_attention_heads (")

// bertNames maps the lab's (DistilBERT's) parameter names to a BertModel checkpoint's; prefix is
// "bert." for checkpoints saved from a BERT head model, "" for a bare BertModel.
func bertNames(prefix string) func(string) string {
	layer := strings.NewReplacer(
		"attention.q_lin.", "attention.self.query.", "attention.k_lin.", "attention.self.key.",
		"attention.v_lin.", "attention.self.value.", "attention.out_lin.", "attention.output.dense.",
		"sa_layer_norm.", "attention.output.LayerNorm.", "ffn.lin1.", "intermediate.dense.",
		"ffn.lin2.", "output.dense.", "output_layer_norm.", "output.LayerNorm.")
	return func(name string) string {
		name = strings.TrimPrefix(name, "distilbert.")
		if rest, ok := strings.CutPrefix(name, "transformer.layer."); ok {
			name = "encoder.layer." + layer.Replace(rest)
		}
		return prefix + name
	}
}

// bertIgnorable are the checkpoint tensors the encoder does not use.
func bertIgnorable(name, prefix string) bool {
	name = strings.TrimPrefix(name, prefix)
	return strings.HasPrefix(name, "pooler.") || strings.HasPrefix(name, "cls.") || strings.HasPrefix(name, "classifier.") ||
		name == "embeddings.position_ids" || name == "embeddings.token_type_embeddings.weight"
}

// foldTokenType adds row 0 of the checkpoint's token_type_embeddings to the position embeddings.
func foldTokenType(m *Model, src weights.Source, prefix string) error {
	name := prefix + "embeddings.token_type_embeddings.weight"
	info, ok := src.Info(name)
	d := m.Config.Dim
	if !ok || len(info.Shape) != 2 || info.Shape[1] != d {
		return fmt.Errorf("distilbert: %s: BERT checkpoint without a [types, %d] %s", src.Path(), d, name)
	}
	types, err := src.Float32s(name)
	if err != nil {
		return err
	}
	v := m.Store.GetVariable(VarPath("distilbert.embeddings.position_embeddings.weight"))
	t, err := v.Value()
	if err != nil {
		return err
	}
	pos := tensors.MustCopyFlatData[float32](t)
	for i := range pos {
		pos[i] += types[i%d]
	}
	return v.SetValue(tensors.FromFlatDataAndDimensions(pos, v.Shape().Dimensions...))
}
