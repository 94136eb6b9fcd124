package sentiment

import (
	"context"
	"fmt"
	"io"
	"math"

	"github.com/gomlx/compute"

	"github.com/go-translab/translab/lab/backend"
	"github.com/go-translab/translab/lab/distilbert"
	"github.com/go-translab/translab/lab/hub"
	"github.com/go-translab/translab/lab/peft"
	"github.com/go-translab/translab/lab/show"
	"github.com/go-translab/translab/lab/tokenize"
)

// Classifier labels new sentences with a fine-tuned model: Exercise 2's export (best/), any HF
// DistilBertForSequenceClassification, or a base encoder with a PEFT LoRA adapter that saved its
// head (ex2 --lora's adapter/, or one trained with peft in Python).
type Classifier struct {
	Model     *distilbert.Model
	Tokenizer *tokenize.Tokenizer
	Backend   compute.Backend
	Labels    []string
	Progress  io.Writer // a progress bar over sentences in Predict; nil keeps quiet
}

// LoadClassifier loads a classifier from an HF directory or hub id, with a PEFT adapter directory
// when adapter is not "".
func LoadClassifier(ctx context.Context, model, adapter string) (*Classifier, error) {
	head := distilbert.RequireHead
	if adapter != "" {
		head = distilbert.HeadIfPresent
	}
	m, dir, err := distilbert.Load(ctx, hub.NewClient(), model, head)
	if err != nil {
		return nil, err
	}
	if adapter != "" {
		if !m.HasHead {
			m.InitHead(0) // placeholders of the right shapes, for the adapter's saved head to replace
		}
		lora, err := peft.LoadLoRA(adapter, m.Store, m.Config.Params(true).Linears())
		if err != nil {
			return nil, err
		}
		if len(lora.Saved) == 0 && !m.HasHead {
			return nil, fmt.Errorf("sentiment: %s saves no classification head and %s has none", adapter, model)
		}
		m.Adapter, m.HasHead = lora, true
	}
	tok, err := tokenize.Load(dir)
	if err != nil {
		return nil, err
	}
	b, _, err := backend.Default()
	if err != nil {
		return nil, err
	}
	return &Classifier{Model: m, Tokenizer: tok, Backend: b, Labels: m.Config.Labels()}, nil
}

// Prediction is a sentence's label and the probability of every label.
type Prediction struct {
	Label int
	Probs []float64
}

// Predict classifies texts, 32 at a time, each truncated to what the model can read.
func (c *Classifier) Predict(texts []string) ([]Prediction, error) {
	maxLen := min(c.Tokenizer.MaxLength(), c.Model.Config.MaxPositionEmbeddings)
	if maxLen <= 0 {
		maxLen = c.Model.Config.MaxPositionEmbeddings
	}
	k := len(c.Labels)
	var out []Prediction
	bar := show.NewProgress(c.Progress, "classify", int64(len(texts)), "sentences")
	defer bar.Done()
	for start := 0; start < len(texts); start += 32 {
		part := texts[start:min(start+32, len(texts))]
		enc, err := c.Tokenizer.EncodeBatch(part, tokenize.Options{MaxLength: maxLen, Pad: tokenize.PadNone}) // ClassifyIDs pads and masks
		if err != nil {
			return nil, err
		}
		logits, err := c.Model.ClassifyIDs(c.Backend, enc.IDs, c.Tokenizer.PadID())
		if err != nil {
			return nil, err
		}
		for i := range part {
			row := logits[i*k : (i+1)*k]
			p := Prediction{Probs: make([]float64, k)}
			var top, sum float64 = math.Inf(-1), 0
			for j, v := range row {
				top = math.Max(top, float64(v))
				if v > row[p.Label] {
					p.Label = j
				}
			}
			for j, v := range row {
				p.Probs[j] = math.Exp(float64(v) - top)
				sum += p.Probs[j]
			}
			for j := range p.Probs {
				p.Probs[j] /= sum
			}
			out = append(out, p)
		}
		bar.Add(int64(len(part)))
	}
	return out, nil
}

// Table shows each sentence with its label and the label's probability.
func (c *Classifier) Table(texts []string, preds []Prediction) *show.Table {
	t := &show.Table{Title: "Predictions", Header: []string{"sentence", "label", "probability"}}
	for i, p := range preds {
		t.Add(texts[i], c.Labels[p.Label], p.Probs[p.Label])
	}
	return t
}
