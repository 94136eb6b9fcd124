// Package features runs a frozen model over a corpus — sentences through DistilBERT or BERT, images
// and prompts through CLIP — in batches, with a progress line and an optional disk cache: the seed
// lab's get_cls_embeddings, and CLIP's get_image_features / get_text_features over many inputs.
package features

import (
	"fmt"
	"io"
	"sort"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/go-translab/translab/lab/cache"
	"github.com/go-translab/translab/lab/collate"
	"github.com/go-translab/translab/lab/show"
	"github.com/go-translab/translab/lab/tokenize"
	"github.com/go-translab/translab/lab/weights"
)

// Encoder is a text encoder Text runs: distilbert.Model or bert.Model (the session's Encoder picks
// the one the checkpoint is).
type Encoder interface {
	// Encode builds last_hidden_state [batch, seq, hidden] of ids and mask [batch, seq] (int32;
	// mask 0 at padding) over Weights().
	Encode(ids, mask *Node) *Node
	// Forward is model(input_ids, attention_mask).last_hidden_state on the host's tensors: what
	// a notebook cell calls to look at one batch.
	Forward(b compute.Backend, ids, mask *tensors.Tensor) (*tensors.Tensor, error)
	// Run runs a graph of ids and mask over the model through an executor it keeps under key, so
	// each padded shape compiles once per process.
	Run(b compute.Backend, key string, fn func(ids, mask *Node) *Node, ids, mask *tensors.Tensor) (*tensors.Tensor, error)
	Weights() weights.Params // the store Encode reads, the matmuls' dtype, any adapter
	Hidden() int             // the hidden states' width
	MaxPositions() int       // the longest sequence it reads
	// Origin is the checkpoint directory ("" for a model made in memory): cached features are
	// named after its files.
	Origin() string
}

// Pool says what Text returns per sentence.
type Pool string

const (
	CLS  Pool = "cls"  // last_hidden_state[:, 0]: [N, dim]
	Mean Pool = "mean" // the mean over each sentence's tokens (sentence-transformers' pooling): [N, dim]
	None Pool = "none" // the whole last_hidden_state, zero at padding: [N, L, dim]
)

// Options tune a pass over a corpus.
type Options struct {
	BatchSize int  // inputs per forward pass; 0: 32
	MaxLength int  // tokens per sentence; 0: the tokenizer's model_max_length, capped by the model
	Pool      Pool // Text only; "" is CLS
	// Cache keeps the result on disk under a name made of the model's files, the inputs and these
	// options, so a rerun (a notebook cell run again) reads it back instead of running the model.
	Cache    bool
	Progress io.Writer // a progress line, and a note when the result comes from the cache
	Label    string    // names the progress line, e.g. "train"
}

func (o Options) withDefaults() Options {
	if o.BatchSize <= 0 {
		o.BatchSize = 32
	}
	if o.Pool == "" {
		o.Pool = CLS
	}
	return o
}

// Matrix is a row-major float32 array: features of N inputs, [N, dim] (or [N, L, dim] unpooled).
type Matrix struct {
	Data   []float32
	Shape  []int
	Cached bool // read from the disk cache rather than computed
}

// Rows is the number of inputs.
func (m *Matrix) Rows() int { return m.Shape[0] }

// Width is the number of values per input.
func (m *Matrix) Width() int { return len(m.Data) / max(m.Shape[0], 1) }

// Row is input i's values.
func (m *Matrix) Row(i int) []float32 { w := m.Width(); return m.Data[i*w : (i+1)*w] }

// Text runs the encoder over texts and returns their features in the order of texts — the seed
// lab's get_cls_embeddings. Sentences are batched by length (little time goes into padding) and
// padded by the collator; padded keys are masked, so a sentence's features do not depend on its
// batch.
func Text(b compute.Backend, m Encoder, tok *tokenize.Tokenizer, texts []string, o Options) (*Matrix, error) {
	o = o.withDefaults()
	maxLen := o.MaxLength
	if maxLen <= 0 {
		maxLen = tok.MaxLength()
	}
	if maxLen <= 0 || maxLen > m.MaxPositions() {
		maxLen = m.MaxPositions()
	}
	compute := func() (*Matrix, error) {
		enc, err := tok.EncodeBatch(texts, tokenize.Options{MaxLength: maxLen, Pad: tokenize.PadNone})
		if err != nil {
			return nil, err
		}
		return Encoded(b, m, tok, enc.IDs, o)
	}
	w := m.Weights()
	if !o.Cache || w.Adapter != nil { // an adapter's matrices are not among the files the key names
		return compute()
	}
	var shape []int
	switch o.Pool {
	case CLS, Mean:
		shape = []int{len(texts), m.Hidden()}
	default:
		return compute() // the unpooled width depends on the longest sentence: not cached
	}
	key := cache.NewKey("features").Files(m.Origin(), "config.json", "model.safetensors", "model.safetensors.index.json", "tokenizer.json", "vocab.txt").
		Values(string(o.Pool), maxLen, w.Compute.String()).Texts(texts)
	return cached(key, shape, o, "embed", len(texts), "sentences", compute)
}

// cached reads a matrix from the cache or computes it, saying which on the progress writer.
// what names it as its progress line does ("embed", "image features"), so the two read alike.
func cached(key *cache.Key, shape []int, o Options, what string, n int, unit string, compute func() (*Matrix, error)) (*Matrix, error) {
	data, hit, err := cache.Float32(key, shape, func() ([]float32, error) {
		mat, err := compute()
		if err != nil {
			return nil, err
		}
		return mat.Data, nil
	}, func(err error) { fmt.Fprintf(progressOr(o.Progress), "features: %v\n", err) })
	if err != nil {
		return nil, err
	}
	if hit {
		fmt.Fprintf(progressOr(o.Progress), "%s: %d %s from the cache\n", label(o, what), n, unit)
	}
	return &Matrix{Data: data, Shape: shape, Cached: hit}, nil
}

func progressOr(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

func label(o Options, what string) string {
	if o.Label == "" {
		return what
	}
	return what + " " + o.Label
}

// Encoded is Text on sentences already encoded (special tokens included, not padded).
func Encoded(b compute.Backend, m Encoder, tok *tokenize.Tokenizer, ids [][]int, o Options) (*Matrix, error) {
	o = o.withDefaults()
	if o.Pool != CLS && o.Pool != Mean && o.Pool != None {
		return nil, fmt.Errorf("features: pool %q: want %q, %q or %q", o.Pool, CLS, Mean, None)
	}
	n := len(ids)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return len(ids[order[a]]) < len(ids[order[b]]) })
	longest := 0
	for i, row := range ids {
		if len(row) > m.MaxPositions() {
			return nil, fmt.Errorf("features: sentence %d has %d tokens, more than max_position_embeddings %d", i, len(row), m.MaxPositions())
		}
		longest = max(longest, len(row))
	}
	dim := m.Hidden()
	pooled := o.Pool != None
	shape := []int{n, longest, dim}
	if pooled {
		shape = []int{n, dim}
	}
	size := 1
	for _, d := range shape {
		size *= d
	}
	out := &Matrix{Data: make([]float32, size), Shape: shape}

	// The graph of each pooling is kept by the model (its Run), so the splits of a dataset and a
	// notebook's repeated calls compile each padded shape once.
	graph := func(ids, mask *Node) *Node {
		h := m.Encode(ids, mask)
		switch o.Pool {
		case CLS: // last_hidden_state[:, 0], for BERT as for DistilBERT (not BERT's pooler)
			return Squeeze(Slice(h, AxisRange(), AxisElem(0)), 1)
		case Mean:
			w := ConvertDType(InsertAxes(mask, -1), h.DType()) // [batch, seq, 1]: 1 on the sentence's tokens
			return Div(ReduceSum(Mul(h, w), 1), ReduceSum(w, 1))
		}
		return h
	}
	collator := collate.WithPadding{Tokenizer: tok, PadToMultipleOf: 8}
	bar := show.NewProgress(o.Progress, label(o, "embed"), int64(n), "sentences")
	defer bar.Done()
	for start := 0; start < n; start += o.BatchSize {
		rows := order[start:min(start+o.BatchSize, n)]
		batch := make([][]int, len(rows))
		for r, i := range rows {
			batch[r] = ids[i]
		}
		in, err := collator.Pad(batch)
		if err != nil {
			return nil, err
		}
		if cols := in[0].Shape().Dimensions[1]; cols > m.MaxPositions() { // a multiple of 8 past the table
			if in, err = (collate.WithPadding{Tokenizer: tok, PadToMultipleOf: 1}).Pad(batch); err != nil {
				return nil, err
			}
		}
		res, err := m.Run(b, "features/"+string(o.Pool), graph, in[0], in[1])
		if err != nil {
			return nil, fmt.Errorf("features: batch of %v: %w", in[0].Shape().Dimensions, err)
		}
		flat := tensors.MustCopyFlatData[float32](res)
		cols := in[0].Shape().Dimensions[1]
		for r, i := range rows {
			if pooled {
				copy(out.Data[i*dim:(i+1)*dim], flat[r*dim:(r+1)*dim])
				continue
			}
			k := len(ids[i]) // positions past the sentence stay zero
			copy(out.Data[i*longest*dim:i*longest*dim+k*dim], flat[r*cols*dim:r*cols*dim+k*dim])
		}
		bar.Add(int64(len(rows)))
	}
	return out, nil
}
