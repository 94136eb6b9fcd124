package zeroshot

import (
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/clip"
	"github.com/go-translab/translab/lab/features"
	"github.com/go-translab/translab/lab/show"
	"github.com/go-translab/translab/lab/tokenize"
)

// Classifier is a zero-shot classifier: one text embedding per class, from its prompts.
type Classifier struct {
	Model     *clip.Model
	Backend   compute.Backend
	Classes   []string
	Templates []string
	// ClassEmbeds are L2-normalised, [classes, projection_dim]. With several templates a class's
	// embedding is the renormalised mean of its normalised prompt embeddings (OpenAI's ensembling).
	ClassEmbeds *features.Matrix

	mu     sync.Mutex
	logits *model.Exec
}

// NewClassifier embeds every class's prompts with the text tower (through features.Prompts, so
// with o.Cache a rerun reads them from disk).
func NewClassifier(b compute.Backend, m *clip.Model, tok *tokenize.Tokenizer, classes, templates []string, o features.Options) (*Classifier, error) {
	if len(classes) == 0 || len(templates) == 0 {
		return nil, fmt.Errorf("zeroshot: a classifier needs at least one class and one template")
	}
	var prompts []string
	for _, c := range classes {
		prompts = append(prompts, Prompts(templates, c)...)
	}
	if o.Label == "" {
		o.Label = "(class prompts)"
	}
	text, err := features.Prompts(b, m, tok, prompts, o)
	if err != nil {
		return nil, err
	}
	d := m.Config.ProjectionDim
	emb := &features.Matrix{Data: make([]float32, len(classes)*d), Shape: []int{len(classes), d}, Cached: text.Cached}
	for c := range classes {
		mean := make([]float64, d)
		for t := range templates {
			for j, v := range text.Row(c*len(templates) + t) {
				mean[j] += float64(v)
			}
		}
		var norm float64
		for _, v := range mean {
			norm += v * v
		}
		norm = math.Sqrt(norm)
		for j, v := range mean {
			emb.Data[c*d+j] = float32(v / norm)
		}
	}
	return &Classifier{Model: m, Backend: b, Classes: classes, Templates: templates, ClassEmbeds: emb}, nil
}

// Logits scores images, given as their image embeddings [n, projection_dim], against the classes:
// CLIPModel's logits_per_image with the class embeddings in the texts' place — exp(logit_scale)
// times the cosine similarity — [n, classes], row-major.
func (c *Classifier) Logits(images *features.Matrix) ([]float32, error) {
	d := c.Model.Config.ProjectionDim
	if images.Width() != d {
		return nil, fmt.Errorf("zeroshot: image embeddings of width %d, the model projects to %d", images.Width(), d)
	}
	c.mu.Lock()
	if c.logits == nil {
		e, err := model.NewExec(c.Backend, c.Model.Store, func(_ *model.Scope, img, text *Node) *Node {
			perImage, _ := c.Model.Logits(img, text)
			return perImage
		})
		if err != nil {
			c.mu.Unlock()
			return nil, err
		}
		c.logits = e
	}
	c.mu.Unlock()
	out, err := c.logits.Call(tensors.FromFlatDataAndDimensions(images.Data, images.Rows(), d),
		tensors.FromFlatDataAndDimensions(c.ClassEmbeds.Data, len(c.Classes), d))
	if err != nil {
		return nil, err
	}
	return tensors.MustCopyFlatData[float32](out[0]), nil
}

// Prompts is the table of the prompts each class is compared with.
func (c *Classifier) Prompts(dataset string) *show.Table {
	t := &show.Table{Title: "Prompts — " + dataset, Header: []string{"class", "prompts"}}
	for _, name := range c.Classes {
		t.Add(name, strings.Join(Prompts(c.Templates, name), " | "))
	}
	return t
}

// ranked lists, for each row of logits [n, classes], the k best classes, best first.
func ranked(logits []float32, classes, k int) [][]int {
	n := len(logits) / classes
	out := make([][]int, n)
	for i := range out {
		row := logits[i*classes : (i+1)*classes]
		var best []int
		for c := range classes {
			// Insert c among the best so far, stable on ties (the lower class first).
			at := len(best)
			for at > 0 && row[c] > row[best[at-1]] {
				at--
			}
			if at < k {
				best = append(best, 0)
				copy(best[at+1:], best[at:])
				best[at] = c
				if len(best) > k {
					best = best[:k]
				}
			}
		}
		out[i] = best
	}
	return out
}
