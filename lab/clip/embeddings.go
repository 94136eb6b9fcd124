package clip

import (
	"fmt"
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

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
	ids, _, rows, cols, err := enc.Int32()
	if err != nil {
		return nil, err
	}
	exec, err := m.exec(&m.textExec, b, func(_ *model.Scope, ids *Node) *Node { return Normalize(m.Text(ids).Embeds) })
	if err != nil {
		return nil, err
	}
	out, err := exec.Call(tensors.FromFlatDataAndDimensions(ids, rows, cols))
	if err != nil {
		return nil, err
	}
	return tensors.MustCopyFlatData[float32](out[0]), nil
}

// ImageEmbeddings returns the L2-normalised projected image features of pixel values
// [n, channels, size, size], [n, projection_dim].
func (m *Model) ImageEmbeddings(b compute.Backend, pixels []float32, n int) ([]float32, error) {
	c := m.Config.Vision
	exec, err := m.exec(&m.imageExec, b, func(_ *model.Scope, px *Node) *Node { return Normalize(m.Vision(px).Embeds) })
	if err != nil {
		return nil, err
	}
	out, err := exec.Call(tensors.FromFlatDataAndDimensions(pixels, n, c.NumChannels, c.ImageSize, c.ImageSize))
	if err != nil {
		return nil, err
	}
	return tensors.MustCopyFlatData[float32](out[0]), nil
}

// exec returns the executor kept in *slot, making it on first use: a model.Exec keeps one compiled
// graph per input shape, so repeated batches (a dataset, a benchmark) compile once. It is rebuilt
// when another backend, compute dtype or adapter asks.
func (m *Model) exec(slot **cachedExec, b compute.Backend, fn func(*model.Scope, *Node) *Node) (*model.Exec, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c := *slot; c != nil && c.backend == b && c.compute == m.Compute && c.adapter == m.Adapter {
		return c.exec, nil
	}
	e, err := model.NewExec(b, m.Store, fn)
	if err != nil {
		return nil, err
	}
	*slot = &cachedExec{exec: e, backend: b, compute: m.Compute, adapter: m.Adapter}
	return e, nil
}

type cachedExec struct {
	exec    *model.Exec
	backend compute.Backend
	compute dtypes.DType
	adapter weights.Adapter
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
