// Package clip is an exact re-implementation of HF transformers' CLIPModel on GoMLX: the text tower
// (causal pre-LN transformer pooled at the end-of-text token), the vision tower (ViT with a class
// token, pre_layrnorm and post_layernorm), the two projections and the learned logit scale.
//
// Attention is written out against HF's q/k/v/out_proj weights — q scaled by 1/√d_head, masked
// scores set to float32's lowest value — so outputs match PyTorch's to float32 rounding.
package clip

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/weights"
)

// Model is CLIP with its weights in a GoMLX store under HF's names (see weights.VarPath).
type Model struct {
	Config *Config
	Store  *model.Store
	// Compute is the dtype of the matmuls (dense layers, attention products, patch projection):
	// zero or Float32 for the exact model, BFloat16 for autocast-style mixed precision (see
	// weights.Params.Compute). The text pooling and the similarity in Logits stay float32.
	Compute dtypes.DType
	// Adapter, when set, changes the Linear layers (see lab/peft's LoRA).
	Adapter weights.Adapter
	// Dir is the directory the weights were loaded from ("" for a model made in memory): derived
	// results (cached embeddings) are named after its files.
	Dir string

	execs weights.Executors // compiled graphs, kept between calls
}

func (m *Model) p() weights.Params {
	return weights.Params{Store: m.Store, Compute: m.Compute, Adapter: m.Adapter}
}

// encoder is CLIPEncoder: pre-LN blocks of self-attention and an MLP, each added to its input.
// keep [batch, heads, seq, seq] says which keys each query may see (nil: all).
func (m *Model) encoder(x, keep *Node, prefix string, t TowerConfig) *Node {
	p := m.p()
	for i := 0; i < t.NumHiddenLayers; i++ {
		l := fmt.Sprintf("%s.layers.%d.", prefix, i)
		h := p.LayerNorm(x, l+"layer_norm1", t.LayerNormEps)
		x = Add(x, m.attention(h, keep, l+"self_attn", t))
		h = p.LayerNorm(x, l+"layer_norm2", t.LayerNormEps)
		h = p.Linear(weights.Activations[t.HiddenAct](p.Linear(h, l+"mlp.fc1")), l+"mlp.fc2")
		x = Add(x, h)
	}
	return x
}

// attention is CLIPAttention (dropout is 0 in every released CLIP).
func (m *Model) attention(x, keep *Node, name string, t TowerConfig) *Node {
	p := m.p()
	batch, seq := x.Shape().Dimensions[0], x.Shape().Dimensions[1]
	dHead := t.HiddenSize / t.NumAttentionHeads
	heads := func(y *Node) *Node { return Transpose(Reshape(y, batch, seq, t.NumAttentionHeads, dHead), 1, 2) }
	q := heads(MulScalar(p.Linear(x, name+".q_proj"), 1/math.Sqrt(float64(dHead))))
	k := heads(p.Linear(x, name+".k_proj"))
	v := heads(p.Linear(x, name+".v_proj"))
	scores := p.MatMul("bhqd,bhkd->bhqk", q, k)
	if keep != nil {
		scores = Where(keep, scores, ConstAs(scores, -math.MaxFloat32))
	}
	ctx := p.MatMul("bhqk,bhkd->bhqd", Softmax(scores, -1), v)
	return p.Linear(Reshape(Transpose(ctx, 1, 2), batch, seq, t.HiddenSize), name+".out_proj")
}

// TextOutputs are CLIPTextModel's outputs plus the projected features.
type TextOutputs struct {
	LastHiddenState *Node // [batch, seq, hidden], after final_layer_norm
	Pooled          *Node // [batch, hidden], at each sequence's end-of-text token
	Embeds          *Node // [batch, projection_dim], text_projection(Pooled), not normalised
}

// Text runs the text tower on ids [batch, seq] (int32). Only the causal mask is applied: the
// pooled end-of-text position never sees what follows it, so padding cannot change the features,
// which is why HF's reference outputs take no padding mask.
func (m *Model) Text(ids *Node) TextOutputs {
	return m.TextFromTokens(m.TokenEmbeddings(ids), ids)
}

// TokenEmbeddings looks up ids [batch, seq] in the token embedding table: [batch, seq, hidden].
func (m *Model) TokenEmbeddings(ids *Node) *Node {
	return Gather(m.p().Node(ids.Graph(), "text_model.embeddings.token_embedding.weight"), InsertAxes(ids, -1))
}

// TextFromTokens runs the text tower on token embeddings x [batch, seq, hidden] — those of ids, or
// learned ones in their place (prompt learning) — adding the position embeddings; ids still say
// where each sequence's end-of-text token is.
func (m *Model) TextFromTokens(x, ids *Node) TextOutputs {
	c, p := m.Config.Text, m.p()
	g := ids.Graph()
	batch, seq := ids.Shape().Dimensions[0], ids.Shape().Dimensions[1]
	if seq > c.MaxPositionEmbeddings {
		panic(fmt.Sprintf("clip: %d tokens exceed max_position_embeddings %d", seq, c.MaxPositionEmbeddings))
	}
	pos := Slice(p.Node(g, "text_model.embeddings.position_embedding.weight"), AxisRange(0, seq))
	x = Add(x, InsertAxes(pos, 0))

	causal := GreaterOrEqual(Iota(g, shapeOf(seq, seq), 0), Iota(g, shapeOf(seq, seq), 1)) // query ≥ key
	keep := BroadcastToDims(Reshape(causal, 1, 1, seq, seq), batch, c.NumAttentionHeads, seq, seq)
	x = m.encoder(x, keep, "text_model.encoder", c)
	x = p.LayerNorm(x, "text_model.final_layer_norm", c.LayerNormEps)

	// HF pools at the first end-of-text token; configs from before that fix (eos_token_id 2) take
	// the largest id instead, which is the same token in CLIP's vocabulary.
	var eot *Node
	if c.EOSTokenID == 2 {
		eot = ArgMax(ids, 1)
	} else {
		isEOT := Equal(ids, ConstAs(ids, c.EOSTokenID))
		eot = ArgMax(ConvertDType(isEOT, ids.DType()), 1) // first maximum: the first EOT
	}
	onehot := OneHot(eot, seq, x.DType()) // [batch, seq]
	pooled := Einsum("bs,bsd->bd", onehot, x)
	return TextOutputs{LastHiddenState: x, Pooled: pooled, Embeds: p.Linear(pooled, "text_projection")}
}

// VisionOutputs are CLIPVisionModel's outputs plus the projected features.
type VisionOutputs struct {
	LastHiddenState *Node // [batch, 1+patches, hidden], encoder output before post_layernorm
	Pooled          *Node // [batch, hidden], post_layernorm of the class token
	Embeds          *Node // [batch, projection_dim], visual_projection(Pooled), not normalised
}

// Vision runs the vision tower on pixel values [batch, channels, size, size] (float32, already
// normalised by the image processor).
func (m *Model) Vision(pixels *Node) VisionOutputs {
	c, p := m.Config.Vision, m.p()
	g := pixels.Graph()
	batch := pixels.Shape().Dimensions[0]
	n, ps := c.ImageSize/c.PatchSize, c.PatchSize
	// The patch convolution has stride = kernel size, so it is a matmul over non-overlapping patches.
	patches := Reshape(pixels, batch, c.NumChannels, n, ps, n, ps)
	patches = TransposeAllAxes(patches, 0, 2, 4, 1, 3, 5) // [b, gridY, gridX, channels, ps, ps]
	patches = Reshape(patches, batch, n*n, c.NumChannels*ps*ps)
	kernel := Reshape(p.Node(g, "vision_model.embeddings.patch_embedding.weight"), c.HiddenSize, c.NumChannels*ps*ps)
	x := p.MatMul("bpk,hk->bph", patches, kernel)
	cls := BroadcastToDims(Reshape(p.Node(g, "vision_model.embeddings.class_embedding"), 1, 1, c.HiddenSize), batch, 1, c.HiddenSize)
	x = Concatenate([]*Node{cls, x}, 1)
	x = Add(x, InsertAxes(p.Node(g, "vision_model.embeddings.position_embedding.weight"), 0))
	x = p.LayerNorm(x, "vision_model.pre_layrnorm", c.LayerNormEps)
	x = m.encoder(x, nil, "vision_model.encoder", c)
	pooled := p.LayerNorm(Squeeze(Slice(x, AxisRange(), AxisElem(0)), 1), "vision_model.post_layernorm", c.LayerNormEps)
	return VisionOutputs{LastHiddenState: x, Pooled: pooled, Embeds: p.Linear(pooled, "visual_projection")}
}

// Normalize is the L2 normalisation CLIPModel applies before the similarity.
func Normalize(x *Node) *Node { return Div(x, Sqrt(ReduceAndKeep(Square(x), ReduceSum, -1))) }

// Logits is CLIPModel's similarity: exp(logit_scale) · textᵀ·image of the normalised embeddings.
// It returns logits_per_image [images, texts] and logits_per_text [texts, images].
func (m *Model) Logits(imageEmbeds, textEmbeds *Node) (perImage, perText *Node) {
	scale := Exp(m.p().Node(imageEmbeds.Graph(), "logit_scale"))
	perText = Mul(Einsum("td,id->ti", Normalize(textEmbeds), Normalize(imageEmbeds)), scale)
	return Transpose(perText, 0, 1), perText
}
