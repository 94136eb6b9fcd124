// Package ex1 is the lab's first exercise: Rotten Tomatoes movie reviews, [CLS] features of an
// encoder (DistilBERT in the seed lab; any DistilBERT or BERT checkpoint here) and a Linear SVM
// baseline. Each step is a function a notebook cell calls on the lab's
// objects (a dataset's rows, a tokenizer, a model, features, a LinearSVC); Run composes them for
// the CLI, which prints the same tables.
package ex1

import (
	"context"
	"fmt"
	"strings"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/go-translab/translab/lab/datasets"
	"github.com/go-translab/translab/lab/features"
	"github.com/go-translab/translab/lab/metrics"
	"github.com/go-translab/translab/lab/session"
	"github.com/go-translab/translab/lab/show"
	"github.com/go-translab/translab/lab/svm"
	"github.com/go-translab/translab/lab/tokenize"
)

// Splits are the dataset's splits, in the order the lab uses them.
var Splits = []string{"train", "validation", "test"}

// SeedModel is the encoder the seed lab's figures (SeedVal, SeedTest) were measured with.
const SeedModel = "distilbert-base-uncased"

// Seed results of the Python lab, shown beside ours when the model is the seed's.
const SeedVal, SeedTest = 0.822, 0.798

// Splits is 1.1's overview of a dataset: each split with its number of rows and its fields, as
// printing a DatasetDict shows them.
func Overview(ds *session.Dataset) *show.Table {
	t := &show.Table{Title: "Exercise 1.1 — " + ds.Title, Header: []string{"split", "rows", "features"}}
	fields := "text, label (" + strings.Join(ds.Classes, ", ") + ")"
	for _, name := range ds.Available {
		if sp, err := ds.Split(name); err == nil {
			t.Add(name, sp.NumRows, fields)
		}
	}
	return t
}

// Samples is 1.1: n random rows with their labels, the same ones for the same seed.
func Samples(rows []datasets.Row, classes []string, n int, seed uint64) *show.Table {
	t := &show.Table{Title: fmt.Sprintf("Exercise 1.1 — %d random training samples (seed %d)", n, seed), Header: []string{"#", "text", "label"}}
	for _, r := range datasets.Sample(rows, n, seed) {
		t.Add(r.Index, r.Text, className(classes, r.Label))
	}
	return t
}

func className(classes []string, label int) string {
	if label >= 0 && label < len(classes) {
		return classes[label]
	}
	return fmt.Sprint(label)
}

// Tokens is 1.2: how the tokenizer cut each sentence of an encoded batch — per position the token,
// its id and its attention_mask (0 where the row is padding to the batch's longest).
func Tokens(tok *tokenize.Tokenizer, b *tokenize.Batch, texts []string) *show.Table {
	title := fmt.Sprintf("Exercise 1.2 — tokens of %q", texts[0])
	if len(texts) > 1 {
		title = fmt.Sprintf("Exercise 1.2 — tokens of %d sentences, padded to the longest", len(texts))
	}
	t := &show.Table{Title: title, Header: []string{"position"}}
	for i := range b.IDs {
		n := fmt.Sprintf(" %d", i)
		if len(b.IDs) == 1 {
			n = ""
		}
		t.Header = append(t.Header, "token"+n, "id"+n, "attention_mask"+n)
	}
	for p := range b.IDs[0] {
		cells := []any{p}
		for i := range b.IDs {
			cells = append(cells, tok.Token(b.IDs[i][p]), b.IDs[i][p], b.Mask[i][p])
		}
		t.Add(cells...)
	}
	return t
}

// Output is 1.2: last_hidden_state [batch, seq, dim] of the model for an encoded batch, printed as
// transformers prints a BaseModelOutput — the first and last values of each position of row i.
func Output(tok *tokenize.Tokenizer, b *tokenize.Batch, i int, hidden *tensors.Tensor) show.Text {
	dims := hidden.Shape().Dimensions
	seq, dim := dims[1], dims[2]
	flat := tensors.MustCopyFlatData[float32](hidden)
	ids := b.IDs[i][:b.Lengths[i]] // the sentence's own tokens; padding follows them
	var s strings.Builder
	fmt.Fprintf(&s, "BaseModelOutput(last_hidden_state=tensor of shape [%d, %d, %d] — sentence %d:\n", dims[0], seq, dim, i)
	for p := 0; p < len(ids); p++ {
		if p == 2 && len(ids) > 4 {
			fmt.Fprintf(&s, "    ...\n")
			p = len(ids) - 2
		}
		row := flat[(i*seq+p)*dim : (i*seq+p+1)*dim]
		fmt.Fprintf(&s, "    [%8.4f, %8.4f, %8.4f, ..., %8.4f, %8.4f]  %s\n", row[0], row[1], row[2], row[dim-2], row[dim-1], tok.Token(ids[p]))
	}
	fmt.Fprintf(&s, "  hidden_states=None, attentions=None)\n")
	fmt.Fprintf(&s, "[CLS] features = last_hidden_state[:, 0]: %d numbers per sentence", dim)
	return show.Text(s.String())
}

// Result is 1.3's outcome: a classifier's predictions on validation and test.
type Result struct {
	SVC     *svm.LinearSVC // the fitted LinearSVC, when the classifier is one
	Model   string         // what made the predictions: the encoder, or a fine-tuned model
	Classes []string
	// Trainable and Total count the parameters trained and in the model, for a fine-tuned one.
	Trainable, Total int64
	YVal, PredVal    []int
	YTest, PredTest  []int
	AccVal, AccTest  float64
	Demo             bool
}

// NewResult starts the result of svc (nil for another classifier) on the session's encoder and
// dataset; Add records each split's predictions.
func NewResult(s *session.Session, ds *session.Dataset, svc *svm.LinearSVC) *Result {
	return &Result{SVC: svc, Model: s.ModelID, Classes: ds.Classes, Demo: s.Demo}
}

// Add records the predictions on a split ("validation" or "test") against its labels.
func (r *Result) Add(split string, y, pred []int) error {
	acc, err := metrics.Accuracy(y, pred)
	if err != nil {
		return fmt.Errorf("ex1: %s: %w", split, err)
	}
	switch split {
	case "validation":
		r.YVal, r.PredVal, r.AccVal = y, pred, acc
	case "test":
		r.YTest, r.PredTest, r.AccTest = y, pred, acc
	default:
		return fmt.Errorf("ex1: split %q: a result holds validation and test", split)
	}
	return nil
}

// Score fits svc on the training features and predicts validation and test: 1.3's second half.
func Score(s *session.Session, ds *session.Dataset, svc *svm.LinearSVC, x map[string]*features.Matrix, y map[string][]int) (*Result, error) {
	if err := svc.Fit(x["train"], y["train"]); err != nil {
		return nil, err
	}
	r := NewResult(s, ds, svc)
	for _, split := range []string{"validation", "test"} {
		pred, err := svc.Predict(x[split])
		if err != nil {
			return nil, err
		}
		if err := r.Add(split, y[split], pred); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Accuracy is the table of validation and test accuracy, beside the seed lab's when the encoder
// is the seed's.
func (r *Result) Accuracy() *show.Table {
	what := r.Model
	if r.SVC != nil {
		what = fmt.Sprintf("%s on %s [CLS] features", r.SVC, r.Model)
	}
	t := &show.Table{Title: "Exercise 1.3 — " + what, Header: []string{"split", "accuracy"}}
	seed := r.Model == SeedModel && !r.Demo
	if seed {
		t.Header = append(t.Header, "seed lab")
	}
	for _, row := range []struct {
		split    string
		acc, ref float64
		n        int
	}{{"validation", r.AccVal, SeedVal, len(r.YVal)}, {"test", r.AccTest, SeedTest, len(r.YTest)}} {
		if row.n == 0 {
			continue
		}
		if seed {
			t.Add(row.split, row.acc, fmt.Sprintf("%.3f", row.ref))
		} else {
			t.Add(row.split, row.acc)
		}
	}
	if r.Demo {
		t.Note = "demo: a tiny DistilBERT pretrained on synthetic sentences; the seed's numbers need the real model and data"
	}
	return t
}

// Report is scikit-learn's classification_report on the test split.
func (r *Result) Report() (metrics.Report, error) {
	return metrics.NewReport(r.YTest, r.PredTest, metrics.ReportOptions{Labels: indices(len(r.Classes)), TargetNames: r.Classes, Digits: 2})
}

// Confusion is the test split's confusion matrix.
func (r *Result) Confusion() (*metrics.Confusion, error) {
	return metrics.NewConfusion(r.YTest, r.PredTest, r.Classes)
}

func indices(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// Options configure Run.
type Options struct {
	Samples   int    // 1.1: random training samples to show
	Seed      uint64 // 1.1: which
	Inspect   int    // 1.2: the training sentence to tokenise and run through the model
	BatchSize int    // 1.3: sentences per forward pass
	SVC       svm.LinearSVC
}

// Run is the whole exercise for the CLI: each step's tables, in order, composed from the steps a
// notebook calls one cell at a time. It returns 1.3's result, for a results manifest.
func Run(ctx context.Context, s *session.Session, o Options, emit func(...show.Renderable)) (*Result, error) {
	ds, err := s.Dataset(ctx, "rotten_tomatoes")
	if err != nil {
		return nil, err
	}
	tok, err := s.Tokenizer()
	if err != nil {
		return nil, err
	}
	m, err := s.Encoder()
	if err != nil {
		return nil, err
	}
	s.Phase("samples and tokens")
	rows := map[string][]datasets.Row{}
	for _, split := range Splits {
		if rows[split], err = ds.Rows(split); err != nil {
			return nil, err
		}
	}
	emit(s.Banner(fmt.Sprintf("Exercise 1 — dataset %s (%d/%d/%d sentences)", ds.Title, len(rows["train"]), len(rows["validation"]), len(rows["test"]))),
		Samples(rows["train"], ds.Classes, o.Samples, o.Seed))

	if o.Inspect < 0 || o.Inspect >= len(rows["train"]) {
		return nil, fmt.Errorf("ex1: sample %d: the training split has %d sentences", o.Inspect, len(rows["train"]))
	}
	text := rows["train"][o.Inspect].Text
	enc, err := tok.EncodeBatch([]string{text}, tokenize.Options{MaxLength: m.MaxPositions(), Pad: tokenize.PadNone})
	if err != nil {
		return nil, err
	}
	// model(**inputs).last_hidden_state of the one sentence, through the lab's one batching path.
	h, err := features.Encoded(s.Backend, m, tok, enc.IDs, features.Options{Pool: features.None})
	if err != nil {
		return nil, err
	}
	emit(Tokens(tok, enc, []string{text}), Output(tok, enc, 0, tensors.FromFlatDataAndDimensions(h.Data, h.Shape...)))

	res, err := Baseline(s, ds, m, tok, &o.SVC, o.BatchSize)
	if err != nil {
		return nil, err
	}
	report, err := res.Report()
	if err != nil {
		return nil, err
	}
	emit(res.Accuracy(), show.Text("Classification report (test):\n"+report.String()))
	s.Phase("report")
	return res, nil
}

// Baseline is 1.3 composed: the [CLS] features of the three splits (from the disk cache when a
// run before computed them), svc fitted on train and scored on validation and test.
func Baseline(s *session.Session, ds *session.Dataset, m features.Encoder, tok *tokenize.Tokenizer, svc *svm.LinearSVC, batchSize int) (*Result, error) {
	x, y := map[string]*features.Matrix{}, map[string][]int{}
	for _, split := range Splits {
		s.Phase("features " + split)
		rows, err := ds.Rows(split)
		if err != nil {
			return nil, err
		}
		if x[split], err = features.Text(s.Backend, m, tok, datasets.Texts(rows), features.Options{BatchSize: batchSize, Cache: true, Progress: s.Out, Label: split}); err != nil {
			return nil, err
		}
		y[split] = datasets.Labels(rows)
	}
	s.Phase("svm")
	s.Notef("lab: fitting %s on %d × %d features", svc, x["train"].Rows(), x["train"].Width())
	return Score(s, ds, svc, x, y)
}
