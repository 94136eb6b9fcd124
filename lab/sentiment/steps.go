package sentiment

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/datasets"
	"github.com/go-translab/translab/lab/distilbert"
	"github.com/go-translab/translab/lab/metrics"
	"github.com/go-translab/translab/lab/npy"
	"github.com/go-translab/translab/lab/show"
	"github.com/go-translab/translab/lab/svm"
)

// Samples is Exercise 1.1: n random training sentences with their labels, the same ones for the
// same seed.
func (l *Lab) Samples(n int, seed uint64) *show.Table {
	t := &show.Table{Title: fmt.Sprintf("Exercise 1.1 — %d random training samples (seed %d)", n, seed), Header: []string{"#", "text", "label"}}
	for _, r := range datasets.Sample(l.Rows["train"], n, seed) {
		t.Add(r.Index, r.Text, l.LabelName(r.Label))
	}
	return t
}

// Inspect is Exercise 1.2: how the tokenizer cuts a training sentence into ids, and what the
// model returns for it — a summary in the shape of transformers' BaseModelOutput.
func (l *Lab) Inspect(i int) ([]show.Renderable, error) {
	rows := l.Rows["train"]
	if i < 0 || i >= len(rows) {
		return nil, fmt.Errorf("sentiment: sample %d: the training split has %d sentences", i, len(rows))
	}
	text := rows[i].Text
	ids := l.Tokenizer.Encode(text)
	toks := &show.Table{Title: fmt.Sprintf("Exercise 1.2 — tokens of training sentence %d: %q", i, text), Header: []string{"position", "token", "id"}}
	for p, id := range ids {
		toks.Add(p, l.Tokenizer.Token(id), id)
	}
	ids32 := make([]int32, len(ids))
	mask := make([]int32, len(ids))
	for p, id := range ids {
		ids32[p], mask[p] = int32(id), 1
	}
	h, err := model.CallOnce(l.Backend, l.Model.Store, func(_ *model.Scope, ids, mask *Node) *Node {
		return l.Model.Encode(ids, mask)
	}, tensors.FromFlatDataAndDimensions(ids32, 1, len(ids)), tensors.FromFlatDataAndDimensions(mask, 1, len(ids)))
	if err != nil {
		return nil, err
	}
	flat := tensors.MustCopyFlatData[float32](h)
	dim := l.Model.Config.Dim
	var b strings.Builder
	fmt.Fprintf(&b, "BaseModelOutput(last_hidden_state=tensor of shape [1, %d, %d],\n", len(ids), dim)
	for p := 0; p < len(ids); p++ {
		if p == 2 && len(ids) > 4 {
			fmt.Fprintf(&b, "    ...\n")
			p = len(ids) - 2
		}
		row := flat[p*dim : (p+1)*dim]
		fmt.Fprintf(&b, "    [%8.4f, %8.4f, %8.4f, ..., %8.4f, %8.4f]  %s\n", row[0], row[1], row[2], row[dim-2], row[dim-1], l.Tokenizer.Token(ids[p]))
	}
	fmt.Fprintf(&b, "  hidden_states=None, attentions=None)\n")
	fmt.Fprintf(&b, "[CLS] features = last_hidden_state[:, 0]: %d numbers per sentence", dim)
	return []show.Renderable{toks, show.Text(b.String())}, nil
}

// Features is Exercise 1.3's first half: the [CLS] vector of every sentence of a split, [n, dim].
// They are cached on disk by model, data and split, so a rerun (a notebook cell run again) is
// instant.
func (l *Lab) Features(split string) ([]float32, []int, error) {
	rows, ok := l.Rows[split]
	if !ok {
		return nil, nil, fmt.Errorf("sentiment: no split %q", split)
	}
	path, err := l.cachePath(split)
	if err == nil {
		if a, err := npy.Read(path); err == nil && len(a.Shape) == 2 && a.Shape[0] == len(rows) && a.Shape[1] == l.Model.Config.Dim {
			return a.F32, a.Shape, nil
		}
	}
	texts := make([]string, len(rows))
	for i, r := range rows {
		texts[i] = r.Text
	}
	fmt.Fprintf(l.out, "lab: [CLS] features of %d %s sentences\n", len(texts), split)
	feats, shape, err := l.Model.Features(l.Backend, l.Tokenizer, texts, distilbert.FeatureOptions{BatchSize: l.BatchSize, Progress: l.out})
	if err != nil {
		return nil, nil, err
	}
	if path != "" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
			if err := npy.WriteFloat32(path, shape, feats); err != nil {
				fmt.Fprintf(l.out, "lab: could not cache features: %v\n", err)
			}
		}
	}
	return feats, shape, nil
}

// cachePath names a split's feature file after everything that determines it: the model's and the
// data's files (their names, sizes and times — in the hub cache the names hold commit hashes) and
// the tokenizer's max length.
func (l *Lab) cachePath(split string) (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, f := range []string{"config.json", "model.safetensors", "tokenizer.json"} {
		st, err := os.Stat(filepath.Join(l.ModelDir, f))
		if err == nil {
			fmt.Fprintf(h, "%s %s %d %d\n", l.ModelDir, f, st.Size(), st.ModTime().UnixNano())
		}
	}
	s, err := l.Data.Split(split)
	if err != nil {
		return "", err
	}
	for _, f := range s.Files {
		if st, err := os.Stat(f); err == nil {
			fmt.Fprintf(h, "%s %d %d\n", f, st.Size(), st.ModTime().UnixNano())
		}
	}
	fmt.Fprintf(h, "max_length %d\n", l.Tokenizer.MaxLength())
	return filepath.Join(base, "translab", "features", hex.EncodeToString(h.Sum(nil))[:24], split+".npy"), nil
}

// Result is Exercise 1.3's outcome: the SVM and its predictions on validation and test.
type Result struct {
	SVM             *svm.Model
	Labels          []string
	YVal, PredVal   []int
	YTest, PredTest []int
	AccVal, AccTest float64
	Demo            bool
}

// Baseline is Exercise 1.3: [CLS] features of the three splits, a Linear SVM fitted on train
// (scikit-learn's LinearSVC defaults), predictions on validation and test.
func (l *Lab) Baseline() (*Result, error) {
	x := map[string][]float32{}
	n := map[string]int{}
	for _, s := range Splits {
		f, shape, err := l.Features(s)
		if err != nil {
			return nil, err
		}
		x[s], n[s] = f, shape[0]
	}
	labels := func(s string) []int {
		y := make([]int, len(l.Rows[s]))
		for i, r := range l.Rows[s] {
			y[i] = r.Label
		}
		return y
	}
	fmt.Fprintf(l.out, "lab: fitting a Linear SVM on %d × %d features\n", n["train"], l.Model.Config.Dim)
	m, err := svm.FitFlat(x["train"], n["train"], l.Model.Config.Dim, labels("train"), svm.Options{Warn: func(msg string) { fmt.Fprintln(l.out, "lab: "+msg) }})
	if err != nil {
		return nil, err
	}
	r := &Result{
		SVM: m, Labels: l.Data.LabelNames, Demo: l.Demo,
		YVal: labels("validation"), PredVal: m.PredictFlat(x["validation"], n["validation"]),
		YTest: labels("test"), PredTest: m.PredictFlat(x["test"], n["test"]),
	}
	if r.AccVal, err = metrics.Accuracy(r.YVal, r.PredVal); err != nil {
		return nil, err
	}
	if r.AccTest, err = metrics.Accuracy(r.YTest, r.PredTest); err != nil {
		return nil, err
	}
	return r, nil
}

// Seed results of the Python lab, shown beside ours.
const seedVal, seedTest = 0.822, 0.798

// Accuracy is the table of validation and test accuracy beside the seed lab's.
func (r *Result) Accuracy() *show.Table {
	t := &show.Table{Title: "Exercise 1.3 — Linear SVM on DistilBERT [CLS] features", Header: []string{"split", "accuracy", "seed lab"}}
	t.Add("validation", r.AccVal, fmt.Sprintf("%.3f", seedVal))
	t.Add("test", r.AccTest, fmt.Sprintf("%.3f", seedTest))
	if r.Demo {
		t.Note = "demo fixtures and a random tiny model: these numbers mean nothing"
	}
	return t
}

// Report is scikit-learn's classification_report on the test split.
func (r *Result) Report() show.Renderable {
	return show.Text("Classification report (test):\n" + metrics.ClassificationReport(r.YTest, r.PredTest, r.Labels, 2))
}
