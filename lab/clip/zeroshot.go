package clip

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/tokenize"
	"github.com/go-translab/translab/lab/weights"
)

// Prompt templates; "{}" stands for the class name.
var (
	// PhotoTemplate is the single prompt of the seed lab.
	PhotoTemplate = []string{"a photo of a {}."}
	// EnsembleTemplates are the seven ImageNet prompts OpenAI's CLIP notebook found to work best
	// together; averaging their embeddings is the "template ensemble".
	EnsembleTemplates = []string{
		"itap of a {}.", "a bad photo of the {}.", "a origami {}.", "a photo of the large {}.",
		"a {} in a video game.", "art of the {}.", "a photo of the small {}.",
	}
	// SatelliteTemplates are the prompts OpenAI used for EuroSAT.
	SatelliteTemplates = []string{
		"a centered satellite photo of {}.", "a centered satellite photo of a {}.", "a centered satellite photo of the {}.",
	}
)

// Prompts fills each template with a class name.
func Prompts(templates []string, class string) []string {
	out := make([]string, len(templates))
	for i, t := range templates {
		out[i] = strings.ReplaceAll(t, "{}", class)
	}
	return out
}

// ZeroShot is a zero-shot classifier: one text embedding per class, computed once from the prompts.
type ZeroShot struct {
	Model     *Model
	Backend   compute.Backend
	Classes   []string
	Templates []string
	// ClassEmbeds are L2-normalised, [classes, projection_dim] row-major. With several templates a
	// class's embedding is the renormalised mean of its normalised prompt embeddings (OpenAI's
	// ensembling).
	ClassEmbeds []float32
}

// NewZeroShot encodes every class's prompts with the text tower.
func NewZeroShot(b compute.Backend, m *Model, tok *tokenize.Tokenizer, classes, templates []string) (*ZeroShot, error) {
	if len(classes) == 0 || len(templates) == 0 {
		return nil, fmt.Errorf("clip: zero-shot needs at least one class and one template")
	}
	var prompts []string
	for _, c := range classes {
		prompts = append(prompts, Prompts(templates, c)...)
	}
	text, err := m.TextEmbeddings(b, tok, prompts)
	if err != nil {
		return nil, err
	}
	d := m.Config.ProjectionDim
	z := &ZeroShot{Model: m, Backend: b, Classes: classes, Templates: templates, ClassEmbeds: make([]float32, len(classes)*d)}
	for c := range classes {
		mean := make([]float64, d)
		for t := range templates {
			row := text[(c*len(templates)+t)*d:][:d]
			for j, v := range row {
				mean[j] += float64(v)
			}
		}
		normalizeInto(z.ClassEmbeds[c*d:(c+1)*d], mean)
	}
	return z, nil
}

func normalizeInto(dst []float32, v []float64) {
	var s float64
	for _, x := range v {
		s += x * x
	}
	s = math.Sqrt(s)
	for i, x := range v {
		dst[i] = float32(x / s)
	}
}

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

// Logits scores images, given as normalised image embeddings [n, projection_dim], against the
// classes: exp(logit_scale) · cosine similarity, [n, classes].
func (z *ZeroShot) Logits(imageEmbeds []float32, n int) ([]float32, error) {
	scale, err := z.Model.LogitScale()
	if err != nil {
		return nil, err
	}
	d, k := z.Model.Config.ProjectionDim, len(z.Classes)
	if len(imageEmbeds) != n*d {
		return nil, fmt.Errorf("clip: %d image embedding values for %d images of %d", len(imageEmbeds), n, d)
	}
	logits := make([]float32, n*k)
	for i := 0; i < n; i++ {
		img := imageEmbeds[i*d : (i+1)*d]
		for c := 0; c < k; c++ {
			var s float64
			for j, v := range z.ClassEmbeds[c*d : (c+1)*d] {
				s += float64(v) * float64(img[j])
			}
			logits[i*k+c] = float32(scale * s)
		}
	}
	return logits, nil
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

// BestClasses returns, for each row of logits [n, classes], the k best classes, best first.
func BestClasses(logits []float32, classes, k int) [][]int {
	n := len(logits) / classes
	out := make([][]int, n)
	for i := range out {
		idx := make([]int, classes)
		for c := range idx {
			idx[c] = c
		}
		row := logits[i*classes : (i+1)*classes]
		sort.SliceStable(idx, func(a, b int) bool { return row[idx[a]] > row[idx[b]] })
		out[i] = idx[:min(k, classes)]
	}
	return out
}
