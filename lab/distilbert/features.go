package distilbert

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/hub"
	"github.com/go-translab/translab/lab/show"
	"github.com/go-translab/translab/lab/tokenize"
	"github.com/go-translab/translab/lab/weights"
)

// Files a DistilBERT directory may hold: the config, one of the two checkpoint layouts, and the
// tokenizer in either form.
var modelFiles = []string{
	"config.json",
	hub.Optional("model.safetensors"), hub.Optional("model.safetensors.index.json"),
	hub.Optional("tokenizer.json"), hub.Optional("tokenizer_config.json"), hub.Optional("vocab.txt"),
	hub.Optional("special_tokens_map.json"),
}

// Load loads a model from an HF-format directory or a hub id ("distilbert-base-uncased",
// "org/name@revision"), fetching into the shared hub cache when needed.
func Load(ctx context.Context, c *hub.Client, pathOrID string, head Head) (*Model, string, error) {
	dir, err := hub.Resolve(ctx, c, pathOrID, modelFiles...)
	if err != nil {
		return nil, "", err
	}
	m, err := LoadDir(dir, head)
	return m, dir, err
}

// Pool says what Features returns per sentence.
type Pool string

const (
	PoolCLS  Pool = "cls"  // last_hidden_state[:, 0]: [N, dim]
	PoolMean Pool = "mean" // the mean over each sentence's tokens (sentence-transformers' pooling): [N, dim]
	PoolNone Pool = "none" // the whole last_hidden_state, zero at padding: [N, L, dim]
)

// FeatureOptions tune Features.
type FeatureOptions struct {
	Pool      Pool
	MaxLength int       // 0: the tokenizer's model_max_length, capped by max_position_embeddings
	BatchSize int       // 0: 32
	Progress  io.Writer // a progress bar over sentences; nil keeps quiet
}

// Features runs the encoder over texts and returns row-major float32 features with their shape, in
// the order of texts. Sentences are batched by length so that little time goes into padding; the
// padded keys are masked, so a sentence's features do not depend on its batch.
func (m *Model) Features(b compute.Backend, tok *tokenize.Tokenizer, texts []string, o FeatureOptions) ([]float32, []int, error) {
	if o.Pool == "" {
		o.Pool = PoolCLS
	}
	if o.Pool != PoolCLS && o.Pool != PoolMean && o.Pool != PoolNone {
		return nil, nil, fmt.Errorf("distilbert: pool %q: want %q, %q or %q", o.Pool, PoolCLS, PoolMean, PoolNone)
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 32
	}
	maxLen := o.MaxLength
	if maxLen <= 0 {
		maxLen = tok.MaxLength()
	}
	if maxLen <= 0 || maxLen > m.Config.MaxPositionEmbeddings {
		maxLen = m.Config.MaxPositionEmbeddings
	}
	enc, err := tok.EncodeBatch(texts, tokenize.Options{MaxLength: maxLen, Pad: tokenize.PadNone})
	if err != nil {
		return nil, nil, err
	}
	return m.FeaturesOf(b, enc, tok.PadID(), o)
}

// FeaturesOf is Features on sentences already encoded (unpadded rows, special tokens included).
func (m *Model) FeaturesOf(b compute.Backend, enc *tokenize.Batch, padID int, o FeatureOptions) ([]float32, []int, error) {
	if o.Pool == "" {
		o.Pool = PoolCLS
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 32
	}
	n := len(enc.IDs)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return len(enc.IDs[order[a]]) < len(enc.IDs[order[b]]) })
	longest := 0
	for i, ids := range enc.IDs {
		if len(ids) > m.Config.MaxPositionEmbeddings {
			return nil, nil, fmt.Errorf("distilbert: sentence %d has %d tokens, more than max_position_embeddings %d", i, len(ids), m.Config.MaxPositionEmbeddings)
		}
		longest = max(longest, len(ids))
	}

	dim := m.Config.Dim
	pooled := o.Pool == PoolCLS || o.Pool == PoolMean
	shape := []int{n, longest, dim}
	if pooled {
		shape = []int{n, dim}
	}
	out := make([]float32, shapeSize(shape))

	exec, err := model.NewExec(b, m.Store, func(_ *model.Scope, ids, mask *Node) *Node {
		switch o.Pool {
		case PoolCLS:
			return m.CLS(ids, mask)
		case PoolMean:
			h := m.Encode(ids, mask)
			w := ConvertDType(InsertAxes(mask, -1), h.DType()) // [batch, seq, 1]: 1 on the sentence's tokens
			return Div(ReduceSum(Mul(h, w), 1), ReduceSum(w, 1))
		}
		return m.Encode(ids, mask)
	})
	if err != nil {
		return nil, nil, err
	}
	bar := show.NewProgress(o.Progress, "embed", int64(n), "sentences")
	defer bar.Done()
	for start := 0; start < len(order); start += o.BatchSize {
		rows := order[start:min(start+o.BatchSize, len(order))]
		// Pad to a multiple of 8 so that a corpus compiles a handful of graphs, not one per length.
		cols := min((len(enc.IDs[rows[len(rows)-1]])+7)/8*8, longest)
		ids := make([]int32, len(rows)*cols)
		mask := make([]int32, len(rows)*cols)
		for r, i := range rows {
			for j := range cols {
				ids[r*cols+j] = int32(padID)
			}
			for j, id := range enc.IDs[i] {
				ids[r*cols+j] = int32(id)
				mask[r*cols+j] = 1
			}
		}
		res, err := exec.Call(tensors.FromFlatDataAndDimensions(ids, len(rows), cols), tensors.FromFlatDataAndDimensions(mask, len(rows), cols))
		if err != nil {
			return nil, nil, fmt.Errorf("distilbert: batch of %d×%d: %w", len(rows), cols, err)
		}
		flat := tensors.MustCopyFlatData[float32](res[0])
		for r, i := range rows {
			if pooled {
				copy(out[i*dim:(i+1)*dim], flat[r*dim:(r+1)*dim])
				continue
			}
			k := len(enc.IDs[i]) // positions past the sentence stay zero
			copy(out[i*longest*dim:i*longest*dim+k*dim], flat[r*cols*dim:r*cols*dim+k*dim])
		}
		bar.Add(int64(len(rows)))
	}
	return out, shape, nil
}

func shapeSize(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// ClassifyIDs returns the classifier's logits [len(ids), num_labels] (row-major) for sentences
// already encoded, padded here to the longest.
func (m *Model) ClassifyIDs(b compute.Backend, ids [][]int, padID int) ([]float32, error) {
	cols := 0
	for _, row := range ids {
		cols = max(cols, len(row))
	}
	idv := make([]int32, len(ids)*cols)
	mask := make([]int32, len(ids)*cols)
	for r, row := range ids {
		for c := range cols {
			idv[r*cols+c] = int32(padID)
		}
		for c, id := range row {
			idv[r*cols+c], mask[r*cols+c] = int32(id), 1
		}
	}
	exec, err := m.logitsExecFor(b)
	if err != nil {
		return nil, err
	}
	out, err := exec.Call(tensors.FromFlatDataAndDimensions(idv, len(ids), cols), tensors.FromFlatDataAndDimensions(mask, len(ids), cols))
	if err != nil {
		return nil, err
	}
	return tensors.MustCopyFlatData[float32](out[0]), nil
}

// logitsExecFor keeps one executor for ClassifyIDs, so that classifying a split batch by batch
// compiles each padded shape once (a model.Exec caches a graph per input shape).
func (m *Model) logitsExecFor(b compute.Backend) (*model.Exec, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c := m.logitsExec; c != nil && c.backend == b && c.compute == m.Compute && c.adapter == m.Adapter {
		return c.exec, nil
	}
	e, err := model.NewExec(b, m.Store, func(_ *model.Scope, ids, mask *Node) *Node { return m.Logits(ids, mask) })
	if err != nil {
		return nil, err
	}
	m.logitsExec = &cachedExec{exec: e, backend: b, compute: m.Compute, adapter: m.Adapter}
	return e, nil
}

type cachedExec struct {
	exec    *model.Exec
	backend compute.Backend
	compute dtypes.DType
	adapter weights.Adapter
}
