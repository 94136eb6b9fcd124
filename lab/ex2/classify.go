package ex2

import (
	"fmt"
	"io"
	"math"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/bert"
	"github.com/go-translab/translab/lab/collate"
	"github.com/go-translab/translab/lab/distilbert"
	"github.com/go-translab/translab/lab/metrics"
	"github.com/go-translab/translab/lab/peft"
	"github.com/go-translab/translab/lab/session"
	"github.com/go-translab/translab/lab/show"
	"github.com/go-translab/translab/lab/tokenize"
)

// Classifier labels new sentences with a fine-tuned model (2.5): Exercise 2's export (best/), any
// HF DistilBertForSequenceClassification or BertForSequenceClassification, or a base encoder with
// a PEFT LoRA adapter that saved its head (the LoRA run's adapter/, or one trained with peft in
// Python).
type Classifier struct {
	Model     Model
	Tokenizer *tokenize.Tokenizer
	Backend   compute.Backend
	Labels    []string
	Progress  io.Writer // a progress bar over sentences in Predict; nil keeps quiet

	exec *model.Exec // the logits, compiled once per padded shape
}

// LoadClassifier loads a classifier from an HF directory — in the architecture its config names —
// with a PEFT adapter directory when adapter is not "".
func LoadClassifier(b compute.Backend, dir, adapter string) (*Classifier, error) {
	m, err := loadForClassification(dir, adapter)
	if err != nil {
		return nil, err
	}
	tok, err := tokenize.Load(dir)
	if err != nil {
		return nil, err
	}
	return &Classifier{Model: m, Tokenizer: tok, Backend: b, Labels: m.Labels()}, nil
}

// loadForClassification reads a sequence classifier: with no adapter the checkpoint must have its
// head; with one, the adapter's saved head replaces placeholders when the base has none.
func loadForClassification(dir, adapter string) (Model, error) {
	kind, err := session.ModelType(dir)
	if err != nil {
		return nil, err
	}
	var m Model
	var hasHead bool
	var initHead func(seed uint64)
	if kind == "bert" {
		head := bert.RequireHead
		if adapter != "" {
			head = bert.HeadIfPresent
		}
		bm, err := bert.LoadDir(dir, head)
		if err != nil {
			return nil, err
		}
		m, hasHead, initHead = bm, bm.HasHead, bm.InitHead
	} else {
		head := distilbert.RequireHead
		if adapter != "" {
			head = distilbert.HeadIfPresent
		}
		dm, err := distilbert.LoadDir(dir, head)
		if err != nil {
			return nil, err
		}
		m, hasHead, initHead = dm, dm.HasHead, dm.InitHead
	}
	if adapter == "" {
		return m, nil
	}
	if !hasHead {
		initHead(0) // placeholders of the right shapes, for the adapter's saved head to replace
	}
	lora, err := peft.LoadLoRA(adapter, m.Weights().Store, m.Params().Linears())
	if err != nil {
		return nil, err
	}
	if len(lora.Saved) == 0 && !hasHead {
		return nil, fmt.Errorf("ex2: %s saves no classification head and %s has none", adapter, dir)
	}
	m.SetAdapter(lora)
	return m, nil
}

// Prediction is a sentence's label and the probability of every label.
type Prediction struct {
	Label int
	Probs []float64
}

// Predict classifies texts, 32 at a time, each truncated to what the model can read and padded
// by the collator.
func (c *Classifier) Predict(texts []string) ([]Prediction, error) {
	maxLen := min(c.Tokenizer.MaxLength(), c.Model.MaxPositions())
	if maxLen <= 0 {
		maxLen = c.Model.MaxPositions()
	}
	if c.exec == nil {
		e, err := model.NewExec(c.Backend, c.Model.Weights().Store, func(_ *model.Scope, ids, mask *Node) *Node { return c.Model.Logits(ids, mask) })
		if err != nil {
			return nil, err
		}
		c.exec = e
	}
	k := len(c.Labels)
	collator := collate.WithPadding{Tokenizer: c.Tokenizer, PadToMultipleOf: 8}
	var out []Prediction
	bar := show.NewProgress(c.Progress, "classify", int64(len(texts)), "sentences")
	defer bar.Done()
	for start := 0; start < len(texts); start += 32 {
		part := texts[start:min(start+32, len(texts))]
		enc, err := c.Tokenizer.EncodeBatch(part, tokenize.Options{MaxLength: maxLen, Pad: tokenize.PadNone})
		if err != nil {
			return nil, err
		}
		in, err := collator.Pad(enc.IDs)
		if err != nil {
			return nil, err
		}
		t, err := c.exec.Call(in[0], in[1])
		if err != nil {
			return nil, err
		}
		logits := tensors.MustCopyFlatData[float32](t[0])
		for i, label := range metrics.Argmax(logits, k) {
			out = append(out, Prediction{Label: label, Probs: softmax(logits[i*k : (i+1)*k])})
		}
		bar.Add(int64(len(part)))
	}
	return out, nil
}

func softmax(row []float32) []float64 {
	top := math.Inf(-1)
	for _, v := range row {
		top = math.Max(top, float64(v))
	}
	p := make([]float64, len(row))
	var sum float64
	for j, v := range row {
		p[j] = math.Exp(float64(v) - top)
		sum += p[j]
	}
	for j := range p {
		p[j] /= sum
	}
	return p
}

// Table shows each sentence with its label and the label's probability.
func (c *Classifier) Table(texts []string, preds []Prediction) *show.Table {
	t := &show.Table{Title: "Predictions", Header: []string{"sentence", "label", "probability"}}
	for i, p := range preds {
		t.Add(texts[i], c.Labels[p.Label], p.Probs[p.Label])
	}
	return t
}
