package clip

import (
	"fmt"
	"math"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/go-translab/translab/lab/tokenize"
	"github.com/go-translab/translab/lab/weights"
)

// TextEmbeddings returns the L2-normalised projected text features of texts, [n, projection_dim].
// Texts are truncated to the context length (77), keeping the end-of-text token last.
func (m *Model) TextEmbeddings(b compute.Backend, tok *tokenize.Tokenizer, texts []string) ([]float32, error) {
	enc, err := tok.EncodeBatch(texts, tokenize.Options{MaxLength: m.Config.Text.MaxPositionEmbeddings, Pad: tokenize.PadLongest})
	if err != nil {
		return nil, err
	}
	ids, _, err := enc.Tensors()
	if err != nil {
		return nil, err
	}
	out, err := m.execs.Run(b, m.p(), "text", func(in []*Node) *Node { return Normalize(m.Text(in[0]).Embeds) }, ids)
	if err != nil {
		return nil, err
	}
	return tensors.MustCopyFlatData[float32](out), nil
}

// ImageEmbeddings returns the L2-normalised projected image features of pixel values
// [n, channels, size, size], [n, projection_dim].
func (m *Model) ImageEmbeddings(b compute.Backend, pixels []float32, n int) ([]float32, error) {
	c := m.Config.Vision
	px := tensors.FromFlatDataAndDimensions(pixels, n, c.NumChannels, c.ImageSize, c.ImageSize)
	out, err := m.execs.Run(b, m.p(), "image", func(in []*Node) *Node { return Normalize(m.Vision(in[0]).Embeds) }, px)
	if err != nil {
		return nil, err
	}
	return tensors.MustCopyFlatData[float32](out), nil
}

// LogitScale is exp(logit_scale), the temperature CLIP multiplies its cosine similarities by.
func (m *Model) LogitScale() (float64, error) {
	v := m.Store.GetVariable(weights.VarPath("logit_scale"))
	if v == nil {
		return 0, fmt.Errorf("clip: logit_scale was not loaded")
	}
	t, err := v.Value()
	if err != nil {
		return 0, fmt.Errorf("clip: logit_scale: %w", err)
	}
	return math.Exp(float64(tensors.MustCopyFlatData[float32](t)[0])), nil
}
