// Package collate turns a batch of dataset rows into the tensors a model takes — HF's data
// collators. It is the lab's one batching path: feature extraction, the Trainer and the
// benchmarks all pad through WithPadding, so a sentence meets the model the same way in each.
package collate

import (
	"fmt"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/go-translab/translab/lab/datasets"
	"github.com/go-translab/translab/lab/tokenize"
)

// Collator makes a batch's input tensors from its rows. The Trainer takes any Collator, so it
// trains text and image classifiers (or heads on frozen features) alike.
type Collator interface {
	Collate(rows []datasets.Row) ([]*tensors.Tensor, error)
}

// InputIDs is the row field that datasets.Map fills with a sentence's token ids (special tokens
// included, not padded), as HF's tokenised datasets name it.
const InputIDs = "input_ids"

// WithPadding is HF's DataCollatorWithPadding: it pads each batch to its own longest row with the
// tokenizer's pad id (rounded up to PadToMultipleOf) and returns input_ids and attention_mask.
// Padded keys are masked, so a sentence's outputs do not depend on the batch it lands in.
type WithPadding struct {
	Tokenizer *tokenize.Tokenizer
	// PadToMultipleOf rounds the padded length up (HF's pad_to_multiple_of): with 8, a corpus
	// compiles a handful of graph shapes rather than one per length. 0 takes the tokenizer's.
	PadToMultipleOf int
}

// Collate pads the rows' input_ids.
func (c WithPadding) Collate(rows []datasets.Row) ([]*tensors.Tensor, error) {
	ids := make([][]int, len(rows))
	for i, r := range rows {
		v, ok := r.Fields[InputIDs].([]int)
		if !ok {
			return nil, fmt.Errorf("collate: row %d has no %s []int (tokenise the dataset with datasets.Map first)", r.Index, InputIDs)
		}
		ids[i] = v
	}
	return c.Pad(ids)
}

// Pad pads encoded sentences into input_ids and attention_mask [len(ids), cols].
func (c WithPadding) Pad(ids [][]int) ([]*tensors.Tensor, error) {
	if c.Tokenizer == nil {
		return nil, fmt.Errorf("collate: WithPadding needs a Tokenizer")
	}
	b, err := c.Tokenizer.Pad(ids, tokenize.Options{Pad: tokenize.PadLongest, PadToMultipleOf: c.PadToMultipleOf})
	if err != nil {
		return nil, err
	}
	in, mask, err := b.Tensors()
	if err != nil {
		return nil, err
	}
	return []*tensors.Tensor{in, mask}, nil
}

// Stack stacks a fixed-size float32 field of every row — pixel values, or a frozen tower's
// embeddings — into one tensor [batch, Dims...].
type Stack struct {
	Field string
	Dims  []int
}

// Collate stacks the rows' Field.
func (c Stack) Collate(rows []datasets.Row) ([]*tensors.Tensor, error) {
	size := 1
	for _, d := range c.Dims {
		size *= d
	}
	flat := make([]float32, 0, len(rows)*size)
	for _, r := range rows {
		v, ok := r.Fields[c.Field].([]float32)
		if !ok || len(v) != size {
			return nil, fmt.Errorf("collate: row %d: field %q holds %d float32 values, want %v", r.Index, c.Field, len(v), c.Dims)
		}
		flat = append(flat, v...)
	}
	return []*tensors.Tensor{tensors.FromFlatDataAndDimensions(flat, append([]int{len(rows)}, c.Dims...)...)}, nil
}

// Labels is the batch's integer labels [batch], for the loss.
func Labels(rows []datasets.Row) *tensors.Tensor {
	y := make([]int32, len(rows))
	for i, r := range rows {
		y[i] = int32(r.Label)
	}
	return tensors.FromFlatDataAndDimensions(y, len(rows))
}
