package peft

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/go-translab/translab/lab/clip"
	"github.com/go-translab/translab/lab/tokenize"
	"github.com/go-translab/translab/lab/weights"
)

// ContextName is the HF-style name of prompt learning's vectors (CoOp's prompt_learner.ctx).
const ContextName = "prompt_learner.ctx"

// PromptLearner is CoOp (Zhou et al., "Learning to Prompt for Vision-Language Models", 2022):
// the prompts of all classes share a few vectors that take the place of a template's leading words
// in the text tower's token-embedding space, and only those vectors are trained. "a photo of a
// {}." becomes [SOT] v₁ v₂ v₃ v₄ class . [EOT], so the classifier is still CLIP's text tower, fed
// words no vocabulary has.
type PromptLearner struct {
	Model   *clip.Model
	Classes []string
	Context int // the number of learned vectors
	Init    string
	ids     *tensors.Tensor // [classes, seq] token ids of the prompts at initialisation
}

// NewPromptLearner builds the prompts of template (one "{}" for the class, after some words) and
// adds the learned vectors to the model's store, starting at the embeddings of the words before
// "{}" — CoOp's ctx_init — so that before training the classifier is zero-shot with template.
func NewPromptLearner(m *clip.Model, tok *tokenize.Tokenizer, classes []string, template string) (*PromptLearner, error) {
	prefix, suffix, ok := strings.Cut(template, "{}")
	init := strings.TrimSpace(prefix)
	if !ok || init == "" || strings.Contains(suffix, "{}") {
		return nil, fmt.Errorf("peft: prompt learning needs a template with words before one \"{}\", got %q", template)
	}
	if len(classes) == 0 {
		return nil, fmt.Errorf("peft: prompt learning needs at least one class")
	}
	prompts := make([]string, len(classes))
	for i, c := range classes {
		prompts[i] = init + " " + c + suffix
	}
	enc, err := tok.EncodeBatch(prompts, tokenize.Options{MaxLength: m.Config.Text.MaxPositionEmbeddings, Pad: tokenize.PadLongest})
	if err != nil {
		return nil, err
	}
	ids, _, rows, cols, err := enc.Int32()
	if err != nil {
		return nil, err
	}
	// The context is the words' tokens, between the start-of-text token and the class: the same
	// in every prompt, since the pre-tokenizer splits at the space before the class.
	words := tok.Encode(init)
	n := len(words) - 2
	if n <= 0 || words[0] != int(ids[0]) {
		return nil, fmt.Errorf("peft: %q does not tokenize into context words between start and end of text", init)
	}
	for r := range rows {
		for j := range n {
			if int(ids[r*cols+1+j]) != words[1+j] {
				return nil, fmt.Errorf("peft: the prompt %q does not begin with the tokens of %q", prompts[r], init)
			}
		}
	}
	// The words' rows of the token embedding table, read in place (the table is 100 MB in CLIP).
	table, err := m.Store.GetVariable(weights.VarPath("text_model.embeddings.token_embedding.weight")).Value()
	if err != nil {
		return nil, fmt.Errorf("peft: token embeddings: %w", err)
	}
	d := m.Config.Text.HiddenSize
	ctx := make([]float32, 0, n*d)
	err = tensors.ConstFlatData(table, func(flat []float32) {
		for _, id := range words[1 : 1+n] {
			ctx = append(ctx, flat[id*d:(id+1)*d]...)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("peft: token embeddings: %w", err)
	}
	return newPromptLearner(m, classes, init, tensors.FromFlatDataAndDimensions(ids, rows, cols), n, ctx)
}

// newPromptLearner adds the context vectors ctx [n, hidden] for prompts ids [classes, seq].
func newPromptLearner(m *clip.Model, classes []string, init string, ids *tensors.Tensor, n int, ctx []float32) (*PromptLearner, error) {
	d := m.Config.Text.HiddenSize
	if len(ctx) != n*d {
		return nil, fmt.Errorf("peft: %d context values for %d vectors of width %d", len(ctx), n, d)
	}
	path := weights.VarPath(ContextName)
	if m.Store.GetVariable(path) != nil {
		return nil, fmt.Errorf("peft: the model already has a prompt learner")
	}
	if _, err := m.Store.CreateVariable(path, tensors.FromFlatDataAndDimensions(slices.Clone(ctx), n, d)); err != nil {
		return nil, fmt.Errorf("peft: %w", err)
	}
	return &PromptLearner{Model: m, Classes: classes, Context: n, Init: init, ids: ids}, nil
}

// Params is the table of the learned vectors: prompt_learner.ctx [n, hidden], a bare
// nn.Parameter as in CoOp (decayed by the Trainer, as HF decays any such parameter).
func (p *PromptLearner) Params() weights.Table {
	return weights.Table{{Name: ContextName, Shape: []int{p.Context, p.Model.Config.Text.HiddenSize}, Module: weights.Other}}
}

// ClassEmbeds are the text tower's projected features of every class's prompt, with the learned
// vectors in place of the context words: [classes, projection_dim], not normalised.
func (p *PromptLearner) ClassEmbeds(g *Graph) *Node {
	ids := ConstTensor(g, p.ids)
	x := p.Model.TokenEmbeddings(ids) // [classes, seq, hidden]
	k := x.Shape().Dimensions[0]
	ctx := p.Model.Store.GetVariable(weights.VarPath(ContextName)).NodeValue(g)
	ctx = BroadcastToDims(InsertAxes(ctx, 0), k, p.Context, ctx.Shape().Dimensions[1])
	x = Concatenate([]*Node{Slice(x, AxisRange(), AxisRange(0, 1)), ctx, Slice(x, AxisRange(), AxisRange(1+p.Context))}, 1)
	return p.Model.TextFromTokens(x, ids).Embeds
}

// Logits classifies image embeddings [batch, projection_dim] (as the vision tower projects them;
// normalised or not) against the learned prompts: CLIP's exp(logit_scale) · cosine.
func (p *PromptLearner) Logits(imageEmbeds *Node) *Node {
	perImage, _ := p.Model.Logits(imageEmbeds, p.ClassEmbeds(imageEmbeds.Graph()))
	return perImage
}

// Save writes the learned vectors as a safetensors file with what they were learned for.
func (p *PromptLearner) Save(path string) error {
	ts, err := weights.FromStore(p.Model.Store, p.Params().Wants(nil))
	if err != nil {
		return err
	}
	return weights.Write(path, ts, map[string]string{"format": "pt", "method": "CoOp", "ctx_init": p.Init,
		"n_ctx": strconv.Itoa(p.Context), "classes": strings.Join(p.Classes, "\n")})
}
