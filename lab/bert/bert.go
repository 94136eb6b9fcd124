// Package bert is an exact re-implementation of HF transformers' BertModel and
// BertForSequenceClassification on GoMLX, reading HF checkpoints as they are (bert-base-uncased,
// MiniLM, sentence-transformers' all-MiniLM-L6-v2, and their fine-tuned exports).
//
// It keeps BERT's own architecture end to end — word, position and token-type embeddings, the
// pooler (dense + tanh over [CLS]) and BertForSequenceClassification's head (dropout, then one
// Linear) — so that what the lab trains and exports is the model HF builds for the same checkpoint.
// The attention is written out against HF's query/key/value/output weights (scores divided by
// √d_head after q·kᵀ, masked keys at float32's lowest value before the softmax), so that hidden
// states and gradients match PyTorch's to float32 rounding.
package bert

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/weights"
)

// Model is BERT with its weights in a GoMLX store, under paths that mirror HF's parameter names
// (see weights.VarPath).
type Model struct {
	Config *Config
	Store  *model.Store
	// HasPooler is false for a checkpoint saved without the pooler (BertModel(add_pooling_layer=False));
	// the encoder and its features do not need it, and InitHead gives the classifier a fresh one, as
	// HF's from_pretrained does.
	HasPooler bool
	// HasHead is true when the store holds the classifier, so Logits can be used.
	HasHead bool
	// Compute is the dtype of the matmuls: zero or Float32 for the exact model, BFloat16 for
	// autocast-style mixed precision (see weights.Params.Compute). The weights stay float32.
	Compute dtypes.DType
	// Adapter, when set, changes the Linear layers (see lab/peft's LoRA).
	Adapter weights.Adapter
	// Dir is the directory the weights were loaded from ("" for a model made in memory): derived
	// results (cached features) are named after its files.
	Dir string

	execs weights.Executors // compiled graphs, kept between calls
}

// VarPath is the store path of an HF parameter name.
func VarPath(hfName string) string { return weights.VarPath(hfName) }

// Params is the model's parameter table: BertModel's (without the pooler when the checkpoint had
// none), and the classifier when it has one.
func (m *Model) Params() weights.Table {
	t := m.Config.Params(m.HasHead)
	if !m.HasPooler {
		pooler := m.Config.poolerParams().Rule(func(weights.Param) bool { return true })
		t = t.Filter(func(p weights.Param) bool { return !pooler(p.Name) })
	}
	return t
}

// Weights are the model's variables as its graphs read them: the store, the matmuls' dtype and any
// adapter of the Linear layers.
func (m *Model) Weights() weights.Params {
	return weights.Params{Store: m.Store, Compute: m.Compute, Adapter: m.Adapter}
}

func (m *Model) param(g *Graph, hfName string) *Node { return m.Weights().Node(g, hfName) }

func (m *Model) linear(x *Node, name string) *Node { return m.Weights().Linear(x, name) }

func (m *Model) layerNorm(x *Node, name string) *Node {
	return m.Weights().LayerNorm(x, name, m.Config.LayerNormEps)
}

func (m *Model) dropout(x *Node, rate float64) *Node {
	return layers.DropoutStatic(m.Store.RootScope(), x, rate)
}

// Encode is BertModel's forward: ids and mask [batch, seq] (int32; mask 1 = token, 0 = pad) to
// last_hidden_state [batch, seq, hidden]. Dropout is active only when the store is training.
func (m *Model) Encode(ids, mask *Node) *Node {
	c := m.Config
	g := ids.Graph()
	seq := ids.Shape().Dimensions[1]
	if seq > c.MaxPositionEmbeddings {
		panic(fmt.Sprintf("bert: sequence of %d tokens exceeds max_position_embeddings %d", seq, c.MaxPositionEmbeddings))
	}

	// BertEmbeddings: inputs_embeds + token_type_embeddings, then + position_embeddings, in HF's
	// order. nn.Embedding(padding_idx=pad) never sends gradient to the pad row: stop it there.
	words := Gather(m.param(g, "bert.embeddings.word_embeddings.weight"), InsertAxes(ids, -1))
	isPad := BroadcastToDims(InsertAxes(Equal(ids, ConstAs(ids, c.PadTokenID)), -1), words.Shape().Dimensions...)
	words = Where(isPad, StopGradient(words), words)
	// The lab passes no token_type_ids: HF then takes its all-zero buffer, so every token adds row 0
	// of the token-type table (and only row 0 gets a gradient).
	types := Slice(m.param(g, "bert.embeddings.token_type_embeddings.weight"), AxisElem(0))
	positions := Slice(m.param(g, "bert.embeddings.position_embeddings.weight"), AxisRange(0, seq))
	x := Add(Add(words, InsertAxes(types, 0)), InsertAxes(positions, 0))
	x = m.layerNorm(x, "bert.embeddings.LayerNorm")
	x = m.dropout(x, c.HiddenDropoutProb)

	// The key mask, broadcast once for all layers: [batch, heads, query, key].
	batch := ids.Shape().Dimensions[0]
	keep := NotEqual(mask, ConstAs(mask, 0))
	keep = BroadcastToDims(Reshape(keep, batch, 1, 1, seq), batch, c.NumAttentionHeads, seq, seq)

	for i := 0; i < c.NumHiddenLayers; i++ {
		p := fmt.Sprintf("bert.encoder.layer.%d.", i)
		// BertAttention: self-attention, then BertSelfOutput (dense, dropout, LayerNorm of the sum).
		attn := m.linear(m.selfAttention(x, keep, p+"attention.self"), p+"attention.output.dense")
		attn = m.dropout(attn, c.HiddenDropoutProb)
		x = m.layerNorm(Add(attn, x), p+"attention.output.LayerNorm")
		// BertIntermediate and BertOutput.
		h := weights.Activations[c.HiddenAct](m.linear(x, p+"intermediate.dense"))
		h = m.dropout(m.linear(h, p+"output.dense"), c.HiddenDropoutProb)
		x = m.layerNorm(Add(h, x), p+"output.LayerNorm")
	}
	return x
}

// selfAttention is BertSelfAttention: the context vectors [batch, seq, hidden], before the output
// projection.
func (m *Model) selfAttention(x, keep *Node, name string) *Node {
	c := m.Config
	batch, seq := x.Shape().Dimensions[0], x.Shape().Dimensions[1]
	dHead := c.HiddenSize / c.NumAttentionHeads
	heads := func(t *Node) *Node { // [b, s, hidden] → [b, heads, s, dHead]
		return Transpose(Reshape(t, batch, seq, c.NumAttentionHeads, dHead), 1, 2)
	}
	q := heads(m.linear(x, name+".query"))
	k := heads(m.linear(x, name+".key"))
	v := heads(m.linear(x, name+".value"))
	scores := m.Weights().MatMul("bhqd,bhkd->bhqk", q, k)
	scores = DivScalar(scores, math.Sqrt(float64(dHead)))
	// HF adds (1 − mask)·float32.min to the scores; setting masked keys to that value gives the same
	// softmax (exp underflows to 0 either way) without adding to real scores.
	scores = Where(keep, scores, ConstAs(scores, -math.MaxFloat32))
	probs := m.dropout(Softmax(scores, -1), c.AttentionProbsDropout)
	ctx := m.Weights().MatMul("bhqk,bhkd->bhqd", probs, v)
	return Reshape(Transpose(ctx, 1, 2), batch, seq, c.HiddenSize)
}

// Pool is BertPooler: tanh(dense(h[:, 0])), the pooler_output [batch, hidden] of a last hidden
// state h.
func (m *Model) Pool(h *Node) *Node {
	if !m.HasPooler {
		panic("bert: the model has no pooler (the checkpoint had none; InitHead adds one)")
	}
	cls := Squeeze(Slice(h, AxisRange(), AxisElem(0)), 1)
	return Tanh(m.linear(cls, "bert.pooler.dense"))
}

// Logits is BertForSequenceClassification's forward: the pooled [CLS], dropout, the classifier:
// [batch, num_labels].
func (m *Model) Logits(ids, mask *Node) *Node {
	if !m.HasHead {
		panic("bert: the model has no classification head (load it with a head, or add one)")
	}
	x := m.dropout(m.Pool(m.Encode(ids, mask)), m.Config.classifierDropout())
	return m.linear(x, "classifier")
}

// CLS is the [CLS] vector of each sequence, last_hidden_state[:, 0]: the lab's sentence features
// (Exercise 1 reads the last hidden state, not the pooler, for BERT as for DistilBERT).
func (m *Model) CLS(ids, mask *Node) *Node {
	return Squeeze(Slice(m.Encode(ids, mask), AxisRange(), AxisElem(0)), 1)
}

// The accessors below are what the lab's steps (lab/features, lab/ex2) read of any text model.

// Hidden is the width of the hidden states (hidden_size).
func (m *Model) Hidden() int { return m.Config.HiddenSize }

// MaxPositions is the longest sequence the model reads (max_position_embeddings).
func (m *Model) MaxPositions() int { return m.Config.MaxPositionEmbeddings }

// Origin is the directory the weights were loaded from ("" for a model made in memory).
func (m *Model) Origin() string { return m.Dir }

// SetAdapter sets (or, with nil, removes) the adapter of the Linear layers.
func (m *Model) SetAdapter(a weights.Adapter) { m.Adapter = a }

// Labels are the classifier's label names, in id order.
func (m *Model) Labels() []string { return m.Config.Labels() }
