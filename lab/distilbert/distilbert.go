// Package distilbert is an exact re-implementation of HF transformers' DistilBertModel and
// DistilBertForSequenceClassification on GoMLX, reading HF checkpoints as they are.
//
// The attention is written out against HF's q/k/v/out weights (q scaled by 1/√d_head, masked keys
// set to float32's lowest value before the softmax), not taken from GoMLX, so that hidden states and
// gradients match PyTorch's to float32 rounding.
package distilbert

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/weights"
)

// Model is DistilBERT with its weights in a GoMLX store, under paths that mirror HF's parameter
// names (see weights.VarPath).
type Model struct {
	Config *Config
	Store  *model.Store
	// HasHead is true when the store holds pre_classifier and classifier, so Logits can be used.
	HasHead bool
	// Compute is the dtype of the matmuls (dense layers, attention products): zero or Float32 for
	// the exact model, BFloat16 for autocast-style mixed precision (see weights.Params.Compute).
	// The weights stay float32 either way, so it can be switched between graphs and for training.
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

// Params is the model's parameter table: the encoder's, and the head's when it has one.
func (m *Model) Params() weights.Table { return m.Config.Params(m.HasHead) }

// Weights are the model's variables as its graphs read them: the store, the matmuls' dtype and any
// adapter of the Linear layers.
func (m *Model) Weights() weights.Params {
	return weights.Params{Store: m.Store, Compute: m.Compute, Adapter: m.Adapter}
}

// param is the graph node of an HF parameter.
func (m *Model) param(g *Graph, hfName string) *Node { return m.Weights().Node(g, hfName) }

func (m *Model) linear(x *Node, name string) *Node { return m.Weights().Linear(x, name) }

func (m *Model) layerNorm(x *Node, name string) *Node {
	return m.Weights().LayerNorm(x, name, m.Config.LayerNormEps)
}

func (m *Model) dropout(x *Node, rate float64) *Node {
	return layers.DropoutStatic(m.Store.RootScope(), x, rate)
}

// Encode is DistilBertModel's forward: ids and mask [batch, seq] (int32; mask 1 = token, 0 = pad)
// to last_hidden_state [batch, seq, dim]. Dropout is active only when the store is training.
func (m *Model) Encode(ids, mask *Node) *Node {
	c := m.Config
	g := ids.Graph()
	seq := ids.Shape().Dimensions[1]
	if seq > c.MaxPositionEmbeddings {
		panic(fmt.Sprintf("distilbert: sequence of %d tokens exceeds max_position_embeddings %d", seq, c.MaxPositionEmbeddings))
	}

	// Embeddings. nn.Embedding(padding_idx=pad) never sends gradient to the pad row: stop it there.
	words := Gather(m.param(g, "distilbert.embeddings.word_embeddings.weight"), InsertAxes(ids, -1))
	isPad := BroadcastToDims(InsertAxes(Equal(ids, ConstAs(ids, c.PadTokenID)), -1), words.Shape().Dimensions...)
	words = Where(isPad, StopGradient(words), words)
	positions := Slice(m.param(g, "distilbert.embeddings.position_embeddings.weight"), AxisRange(0, seq))
	x := Add(words, InsertAxes(positions, 0))
	x = m.layerNorm(x, "distilbert.embeddings.LayerNorm")
	x = m.dropout(x, c.Dropout)

	// The key mask, broadcast once for all layers: [batch, heads, query, key].
	batch := ids.Shape().Dimensions[0]
	keep := NotEqual(mask, ConstAs(mask, 0))
	keep = BroadcastToDims(Reshape(keep, batch, 1, 1, seq), batch, c.NHeads, seq, seq)

	for i := 0; i < c.NLayers; i++ {
		p := fmt.Sprintf("distilbert.transformer.layer.%d.", i)
		attn := m.attention(x, keep, p+"attention")
		x = m.layerNorm(Add(attn, x), p+"sa_layer_norm")
		ffn := m.linear(x, p+"ffn.lin1")
		ffn = weights.Activations[c.Activation](ffn)
		ffn = m.linear(ffn, p+"ffn.lin2")
		ffn = m.dropout(ffn, c.Dropout)
		x = m.layerNorm(Add(ffn, x), p+"output_layer_norm")
	}
	return x
}

// attention is DistilBERT's MultiHeadSelfAttention.
func (m *Model) attention(x, keep *Node, name string) *Node {
	c := m.Config
	batch, seq := x.Shape().Dimensions[0], x.Shape().Dimensions[1]
	dHead := c.Dim / c.NHeads
	heads := func(t *Node) *Node { // [b, s, dim] → [b, heads, s, dHead]
		return Transpose(Reshape(t, batch, seq, c.NHeads, dHead), 1, 2)
	}
	q := heads(m.linear(x, name+".q_lin"))
	k := heads(m.linear(x, name+".k_lin"))
	v := heads(m.linear(x, name+".v_lin"))
	q = MulScalar(q, 1/math.Sqrt(float64(dHead)))
	scores := m.Weights().MatMul("bhqd,bhkd->bhqk", q, k)
	scores = Where(keep, scores, ConstAs(scores, -math.MaxFloat32)) // torch.finfo(float32).min
	weights := Softmax(scores, -1)
	weights = m.dropout(weights, c.AttentionDropout)
	ctx := m.Weights().MatMul("bhqk,bhkd->bhqd", weights, v)
	ctx = Reshape(Transpose(ctx, 1, 2), batch, seq, c.Dim)
	return m.linear(ctx, name+".out_lin")
}

// Logits is DistilBertForSequenceClassification's forward: [batch, num_labels].
func (m *Model) Logits(ids, mask *Node) *Node {
	if !m.HasHead {
		panic("distilbert: the model has no classification head (load it with a head, or add one)")
	}
	h := m.Encode(ids, mask)
	cls := Squeeze(Slice(h, AxisRange(), AxisElem(0)), 1)
	x := m.linear(cls, "pre_classifier")
	x = weights.Activations["relu"](x)
	x = m.dropout(x, m.Config.SeqClassifDropout)
	return m.linear(x, "classifier")
}

// Loss is HF's single-label classification loss: mean cross-entropy of logits against labels.
func Loss(logits, labels *Node) *Node {
	logp := LogSoftmax(logits, -1)
	onehot := OneHot(labels, logits.Shape().Dimensions[1], logp.DType())
	return Neg(ReduceAllMean(ReduceSum(Mul(logp, onehot), -1)))
}

// CLS is the [CLS] vector of each sequence, last_hidden_state[:, 0]: the lab's sentence features.
func (m *Model) CLS(ids, mask *Node) *Node {
	return Squeeze(Slice(m.Encode(ids, mask), AxisRange(), AxisElem(0)), 1)
}

// The accessors below are what the lab's steps (lab/features, lab/ex2) read of any text model.

// Hidden is the width of the hidden states (dim).
func (m *Model) Hidden() int { return m.Config.Dim }

// MaxPositions is the longest sequence the model reads (max_position_embeddings).
func (m *Model) MaxPositions() int { return m.Config.MaxPositionEmbeddings }

// Origin is the directory the weights were loaded from ("" for a model made in memory).
func (m *Model) Origin() string { return m.Dir }

// SetAdapter sets (or, with nil, removes) the adapter of the Linear layers.
func (m *Model) SetAdapter(a weights.Adapter) { m.Adapter = a }

// Labels are the classifier's label names, in id order.
func (m *Model) Labels() []string { return m.Config.Labels() }
