// Package adapt is the lab's third exercise, part 2: adapting CLIP to a dataset its zero-shot
// prompts handle poorly (EuroSAT's satellite tiles) from a few labelled images per class. Every
// method is scored on the same held-out images as zero-shot: a linear probe on frozen image
// features, then fine-tuning — a zero-shot-initialised head alone, or LayerNorm tuning, BitFit,
// LoRA on the attention projections or full fine-tuning of the vision tower, the text tower or
// both (the seed's adaptation strategies) — and prompt learning (CoOp), which trains only the
// prompts' context words; WiSE-FT then mixes a fine-tune's weights with the zero-shot ones.
package adapt

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/go-translab/translab/lab/backend"
	"github.com/go-translab/translab/lab/clip"
	"github.com/go-translab/translab/lab/datasets"
	"github.com/go-translab/translab/lab/features"
	"github.com/go-translab/translab/lab/imageproc"
	"github.com/go-translab/translab/lab/metrics"
	"github.com/go-translab/translab/lab/session"
	"github.com/go-translab/translab/lab/show"
	"github.com/go-translab/translab/lab/svm"
	"github.com/go-translab/translab/lab/tokenize"
	"github.com/go-translab/translab/lab/train"
	"github.com/go-translab/translab/lab/zeroshot"
)

// PixelValues is the row field holding an image's preprocessed pixel values [channels·size·size],
// and ImageEmbeds the field holding its frozen, normalised embedding: what the collators stack.
const (
	PixelValues = "pixel_values"
	ImageEmbeds = "image_embeds"
)

// Options say how the few-shot problem is drawn. The drawn images are kept preprocessed in memory
// (0.6 MB each at 224×224): 16 shots of EuroSAT's 10 classes and 400 held-out images take ~340 MB;
// Tiny ImageNet's 200 classes at 16 shots take ~2 GB, so fewer shots suit it on a small machine.
type Options struct {
	Shots     int      // labelled training images per class; 0: 16 (CoOp's and CLIP-LoRA's usual)
	EvalLimit int      // held-out images every method is scored on; 0: 400
	Seed      uint64   // which training images are drawn; 0: 42
	Templates []string // zero-shot prompts; nil: the dataset's
}

// Set is a few-shot problem: the training images drawn per class, the held-out images, and the
// results of the methods tried on them so far.
type Set struct {
	Session   *session.Session
	Dataset   *session.Dataset
	Model     *clip.Model // the pre-trained model, frozen; each method trains a fresh copy
	Tokenizer *tokenize.Tokenizer
	Processor *imageproc.Config
	Classes   []string
	Templates []string
	Shots     int
	// Train and Eval carry preprocessed pixel values (field PixelValues), ready for the Trainer.
	Train, Eval []datasets.Row
	// Images are the training images as encoded, in the order of Train, to look at.
	Images   [][]byte
	ZeroShot *zeroshot.Classifier
	Results  []Result
	Skipped  int // images that could not be decoded
	// HeldOut is the fraction of the train split held out to score on, for a dataset without an
	// evaluation split of its own (a folder of class folders); 0 when it has one. Options.Seed
	// drew it.
	HeldOut float64

	trainEmb, evalEmb *features.Matrix // frozen, normalised image embeddings, computed once
}

// Result is one method's score on the held-out images.
type Result struct {
	Method string // what ran, in words: "LoRA r=8 (text q,v)"
	// Strategy and Technique place the result in the comparison: what is adapted (zero-shot,
	// linear probe, head only, vision, text, both, prompt learning) and how (LoRA, BitFit, …).
	Strategy, Technique string
	Options             TrainOptions // what a fine-tuning run ran with
	Trainable, Total    int64        // parameters trained and in the model (0, 0: nothing trained)
	Accuracy            float64
	BalancedAccuracy    float64
	Seconds             float64
	Baseline            bool           // zero-shot: what the others are compared with
	History             *train.History // per-epoch log of a fine-tuning run
	Saved               string         // where a trained LoRA adapter or prompt context was written
	Model               *clip.Model    // the fine-tuned model, with its head (and adapter)

	wise *wiseState // what WiSE needs to mix the fine-tuned weights with the zero-shot ones
}

// HoldOutFraction is the part of a lone train split held out to score on: train_test_split's
// default test_size in scikit-learn and HF datasets.
const HoldOutFraction = 0.25

// Prepare draws Shots training images per class from the dataset's train split (a seeded
// reservoir sample over one pass, so the split need not fit in memory) and takes the first
// EvalLimit images of its evaluation split — the images zero-shot is scored on. A dataset without
// an evaluation split (a folder of class folders) has HoldOutFraction of its train split held out
// instead, stratified by class and drawn with Seed, and the shots come from the rest.
func Prepare(ctx context.Context, s *session.Session, d *session.Dataset, o Options) (*Set, error) {
	if o.Shots <= 0 {
		o.Shots = 16
	}
	if o.EvalLimit <= 0 {
		o.EvalLimit = 400
	}
	if o.Seed == 0 {
		o.Seed = 42
	}
	set := &Set{Session: s, Dataset: d, Shots: o.Shots, Templates: o.Templates, Classes: d.Classes}
	if set.Templates == nil {
		set.Templates = d.Entry.Templates
	}
	if set.Templates == nil {
		set.Templates = zeroshot.PhotoTemplate
	}
	var err error
	if set.Model, err = s.CLIP(); err != nil {
		return nil, err
	}
	if set.Tokenizer, err = s.Tokenizer(); err != nil {
		return nil, err
	}
	if set.Processor, err = s.ImageProcessor(); err != nil {
		return nil, err
	}
	trainSplit, err := d.Split("train")
	if err != nil {
		return nil, fmt.Errorf("adapt: %s: %w", d.Title, err)
	}
	var evalSplit *datasets.Split
	if !d.HasEvalSplit() {
		if trainSplit, evalSplit, err = trainSplit.HoldOut(HoldOutFraction, o.Seed); err != nil {
			return nil, fmt.Errorf("adapt: %s: %w", d.Title, err)
		}
		set.HeldOut = HoldOutFraction
	} else if evalSplit, err = d.EvalSplit(); err != nil {
		return nil, err
	}
	bar := show.NewProgress(s.Out, fmt.Sprintf("drawing %d shots per class", o.Shots), int64(trainSplit.NumRows), "rows")
	picked, err := drawShots(ctx, trainSplit, len(set.Classes), o.Shots, o.Seed, func() { bar.Add(1) })
	bar.Done()
	if err != nil {
		return nil, fmt.Errorf("adapt: %s train split: %w", d.Title, err)
	}
	var images [][]byte
	var labels []int
	for c, rows := range picked {
		if len(rows) < o.Shots {
			s.Notef("adapt: warning: class %q has %d training images, fewer than %d", set.Classes[c], len(rows), o.Shots)
		}
		for _, r := range rows {
			images, labels = append(images, r.Image.Bytes), append(labels, c)
		}
	}
	if set.Train, set.Images, err = set.examples(images, labels, "training"); err != nil {
		return nil, err
	}

	images, labels = nil, nil
	for row, err := range evalSplit.Rows() {
		if err != nil {
			return nil, err
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if row.Image == nil {
			return nil, fmt.Errorf("adapt: %s: row %d has no image", d.Title, row.Index)
		}
		if row.Label < 0 || row.Label >= len(set.Classes) {
			return nil, fmt.Errorf("adapt: %s: row %d: label %d is not one of the %d classes", d.Title, row.Index, row.Label, len(set.Classes))
		}
		images, labels = append(images, row.Image.Bytes), append(labels, row.Label)
		if len(images) == o.EvalLimit {
			break
		}
	}
	if set.Eval, _, err = set.examples(images, labels, "held-out"); err != nil {
		return nil, err
	}
	if len(set.Train) == 0 || len(set.Eval) == 0 {
		return nil, fmt.Errorf("adapt: %s: %d training and %d evaluation images could be decoded; need some of each", d.Title, len(set.Train), len(set.Eval))
	}
	if set.ZeroShot, err = zeroshot.NewClassifier(s.Backend, set.Model, set.Tokenizer, set.Classes, set.Templates, features.Options{Cache: true}); err != nil {
		return nil, err
	}
	return set, nil
}

// drawShots keeps, for every class, a uniform sample of `shots` rows of the split (reservoir
// sampling, seeded), in one pass.
func drawShots(ctx context.Context, split *datasets.Split, classes, shots int, seed uint64, seen func()) ([][]datasets.Row, error) {
	rng := rand.New(rand.NewPCG(seed, 0x73686f74))
	picked := make([][]datasets.Row, classes)
	count := make([]int, classes)
	for row, err := range split.Rows() {
		if err != nil {
			return nil, err
		}
		seen()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if row.Image == nil {
			return nil, fmt.Errorf("row %d has no image", row.Index)
		}
		c := row.Label
		if c < 0 || c >= classes {
			return nil, fmt.Errorf("row %d: label %d is not one of the %d classes", row.Index, c, classes)
		}
		count[c]++
		row.Image = &datasets.Image{Bytes: append([]byte(nil), row.Image.Bytes...), Path: row.Image.Path}
		if len(picked[c]) < shots {
			picked[c] = append(picked[c], row)
		} else if j := rng.IntN(count[c]); j < shots {
			picked[c][j] = row
		}
	}
	return picked, nil
}

// examples preprocesses images into rows with their pixel values, in batches, skipping (and
// counting) the ones that cannot be decoded.
func (set *Set) examples(images [][]byte, labels []int, what string) ([]datasets.Row, [][]byte, error) {
	var out []datasets.Row
	var kept [][]byte
	bar := show.NewProgress(set.Session.Out, "decoding "+what+" images", int64(len(images)), "images")
	defer bar.Done()
	const batch = 32
	for start := 0; start < len(images); start += batch {
		imgs := images[start:min(start+batch, len(images))]
		pre, err := set.Processor.BatchEach(imgs, runtime.GOMAXPROCS(0))
		if err != nil {
			return nil, nil, fmt.Errorf("adapt: %s: %w", set.Dataset.Title, err)
		}
		if skipped := len(imgs) - len(pre.Kept); skipped > 0 {
			set.Skipped += skipped
			for i, e := range pre.Errs {
				if e != nil {
					set.Session.Notef("adapt: warning: skipped %d %s image(s) that could not be decoded (first: image %d: %v)", skipped, what, start+i, e)
					break
				}
			}
		}
		per := 3 * pre.Height * pre.Width
		for k, i := range pre.Kept {
			out = append(out, datasets.Row{Index: start + i, Label: labels[start+i], Fields: map[string]any{PixelValues: pre.Pixels[k*per : (k+1)*per]}})
			kept = append(kept, imgs[i])
		}
		bar.Add(int64(len(imgs)))
	}
	return out, kept, nil
}

// Summary is the few-shot problem in one table.
func (set *Set) Summary() *show.Table {
	t := &show.Table{Title: "Few-shot problem — " + set.Dataset.Title, Header: []string{"classes", "shots per class", "training images", "held-out images"}}
	t.Add(len(set.Classes), set.Shots, len(set.Train), len(set.Eval))
	var notes []string
	if set.HeldOut > 0 {
		notes = append(notes, fmt.Sprintf("the dataset has one split: %.0f%% of each class held out to score on (stratified, seeded)", 100*set.HeldOut))
	}
	if set.Session.Demo {
		notes = append(notes, set.demoNote())
	}
	t.Note = strings.Join(notes, "; ")
	return t
}

// demoNote says what the demo ran on: its drawn shapes, or the user's own images.
func (set *Set) demoNote() string {
	if set.Dataset.Demo {
		return "demo: a tiny CLIP pretrained on captioned drawn shapes; the seed's numbers need the real model and data"
	}
	return "demo: a tiny CLIP pretrained on drawn shapes, adapted to your images; the seed's numbers need the real model"
}

// Grid shows up to perClass training images of each class.
func (set *Set) Grid(perClass int) *show.ImageGrid {
	g := &show.ImageGrid{Title: fmt.Sprintf("%s — %d-shot training images", set.Dataset.Title, set.Shots)}
	shown := make([]int, len(set.Classes))
	for i, ex := range set.Train {
		if shown[ex.Label] < perClass {
			shown[ex.Label]++
			g.Pictures = append(g.Pictures, show.Picture{Data: set.Images[i], Caption: set.Classes[ex.Label], Good: true})
		}
	}
	return g
}

// pixels are a set's pixel values, concatenated.
func pixels(rows []datasets.Row) []float32 {
	var out []float32
	for _, r := range rows {
		out = append(out, r.Fields[PixelValues].([]float32)...)
	}
	return out
}

// frozenFeatures computes the frozen model's normalised image embeddings of both sets once (kept
// on disk by features.Images, so the next notebook cell reads them back).
func (set *Set) frozenFeatures() error {
	var err error
	s := set.Session
	if set.trainEmb == nil {
		if set.trainEmb, err = features.Images(s.Backend, set.Model, pixels(set.Train), len(set.Train), features.Options{Cache: true, Progress: s.Out, Label: "(training)"}); err != nil {
			return err
		}
	}
	if set.evalEmb == nil {
		set.evalEmb, err = features.Images(s.Backend, set.Model, pixels(set.Eval), len(set.Eval), features.Options{Cache: true, Progress: s.Out, Label: "(held-out)"})
	}
	return err
}

// score records a method's predictions on the held-out images.
func (set *Set) score(r Result, pred []int, since time.Time) (Result, error) {
	scores, err := train.Scores(datasets.Labels(set.Eval), pred, len(set.Classes))
	if err != nil {
		return r, err
	}
	r.Accuracy, r.BalancedAccuracy, r.Seconds = scores["accuracy"], scores["balanced_accuracy"], time.Since(since).Seconds()
	set.Results = append(set.Results, r)
	return r, nil
}

// EvaluateZeroShot scores zero-shot CLIP on the held-out images: the baseline to beat.
func (set *Set) EvaluateZeroShot() (Result, error) {
	start := time.Now()
	if err := set.frozenFeatures(); err != nil {
		return Result{}, err
	}
	logits, err := set.ZeroShot.Logits(set.evalEmb)
	if err != nil {
		return Result{}, err
	}
	pred := metrics.Argmax(logits, len(set.Classes))
	return set.score(Result{Method: "zero-shot (" + strings.Join(set.Templates, " | ") + ")", Strategy: "zero-shot", Technique: "–", Baseline: true}, pred, start)
}

// LinearProbe trains svc (Exercise 1's LinearSVC) on the frozen image embeddings of the training
// images: CLIP's paper's linear probe.
func (set *Set) LinearProbe(svc *svm.LinearSVC) (Result, error) {
	start := time.Now()
	if err := set.frozenFeatures(); err != nil {
		return Result{}, err
	}
	if svc.Warn == nil {
		svc.Warn = func(msg string) { set.Session.Notef("adapt: linear probe: %s", msg) }
	}
	if err := svc.Fit(set.trainEmb, datasets.Labels(set.Train)); err != nil {
		return Result{}, err
	}
	pred, err := svc.Predict(set.evalEmb)
	if err != nil {
		return Result{}, err
	}
	coef := int64(len(svc.Model.Coef) * (len(svc.Model.Coef[0]) + 1))
	return set.score(Result{Method: "linear probe (" + svc.String() + ")", Strategy: "linear probe", Technique: "LinearSVC", Trainable: coef, Total: coef}, pred, start)
}

// Table compares every method tried so far with zero-shot, on the same held-out images.
func (set *Set) Table() *show.Table {
	t := &show.Table{
		Title:  fmt.Sprintf("Adapting CLIP — %s, %d shots per class, %d held-out images", set.Dataset.Title, set.Shots, len(set.Eval)),
		Header: []string{"method", "trained params", "trained %", "accuracy %", "balanced acc. %", "Δ vs zero-shot (points)", "time"},
	}
	base := -1.0
	for _, r := range set.Results {
		if r.Baseline {
			base = r.Accuracy
		}
	}
	for _, r := range set.Results {
		delta := "–"
		if base >= 0 && !r.Baseline {
			delta = fmt.Sprintf("%+.1f", 100*(r.Accuracy-base))
		}
		share := "–"
		if r.Total > 0 && r.History != nil {
			share = fmt.Sprintf("%.3f", 100*float64(r.Trainable)/float64(r.Total))
		}
		t.Add(r.Method, r.Trainable, share, fmt.Sprintf("%.2f", 100*r.Accuracy), fmt.Sprintf("%.2f", 100*r.BalancedAccuracy), delta, fmt.Sprintf("%.1fs", r.Seconds))
	}
	if set.Session.Demo {
		t.Note = set.demoNote()
	}
	return t
}

// Bars is the accuracy of every method tried so far, as a picture.
func (set *Set) Bars() *show.Bars {
	b := &show.Bars{Title: "Held-out accuracy by method — " + set.Dataset.Title, Max: 100, Unit: "%"}
	for _, r := range set.Results {
		b.Labels, b.Values = append(b.Labels, r.Method), append(b.Values, 100*r.Accuracy)
	}
	return b
}

// Strategies are the comparison's rows, in order: what is adapted.
var Strategies = []string{"zero-shot", "linear probe", "head only", string(Vision), string(Text), string(Both), "prompt learning"}

// Techniques are the comparison's columns for the strategies that change a tower's weights.
var Techniques = []string{"LayerNorm", "BitFit", "LoRA", "full"}

// compared are the results in the comparison's order — strategy, then technique — the last run of
// each pair only.
func (set *Set) compared() []Result {
	var out []Result
	for _, st := range Strategies {
		for _, tech := range append([]string{""}, Techniques...) {
			for i := len(set.Results) - 1; i >= 0; i-- {
				r := set.Results[i]
				if r.Strategy == st && (r.Technique == tech || tech == "" && !slices.Contains(Techniques, r.Technique)) {
					out = append(out, r)
					break
				}
			}
		}
	}
	return out
}

// Comparison is the seed's comparison of adaptation strategies: what is adapted (nothing, a
// probe, the head, the vision tower, the text tower, both, the prompts) against how (LayerNorm
// tuning, BitFit, LoRA, full fine-tuning), with the parameters each trains, its held-out accuracy
// and its wall time on this machine.
func (set *Set) Comparison() *show.Table {
	t := &show.Table{
		Title:  fmt.Sprintf("Adaptation strategies — %s, %d shots per class, %d held-out images", set.Dataset.Title, set.Shots, len(set.Eval)),
		Header: []string{"strategy", "method", "trained params", "accuracy %", "Δ vs zero-shot (points)", "wall time"},
	}
	base := -1.0
	for _, r := range set.Results {
		if r.Baseline {
			base = r.Accuracy
		}
	}
	for _, r := range set.compared() {
		delta := "–"
		if base >= 0 && !r.Baseline {
			delta = fmt.Sprintf("%+.1f", 100*(r.Accuracy-base))
		}
		t.Add(r.Strategy, r.Technique, r.Trainable, fmt.Sprintf("%.2f", 100*r.Accuracy), delta, fmt.Sprintf("%.1fs", r.Seconds))
	}
	t.Note = "wall times on this machine: " + machine(set.Session.Choice)
	if set.Session.Demo {
		t.Note += "; " + set.demoNote()
	}
	return t
}

// ComparisonMap is the comparison's accuracies as a picture: strategies down, methods across
// (the strategies without a tower method in the first column), an empty cell for what did not run.
func (set *Set) ComparisonMap() *show.Heatmap {
	cols := append([]string{"as is"}, Techniques...)
	h := &show.Heatmap{Title: "Held-out accuracy % — strategy × method — " + set.Dataset.Title, RowLabel: "strategy", ColLabel: "method", Cols: cols, Format: "%.1f"}
	row := map[string]int{}
	for _, r := range set.compared() {
		i, ok := row[r.Strategy]
		if !ok {
			i = len(h.Rows)
			row[r.Strategy] = i
			h.Rows = append(h.Rows, r.Strategy)
			h.Values = append(h.Values, []float64{math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()})
		}
		c := max(slices.Index(cols, r.Technique), 0)
		h.Values[i][c] = 100 * r.Accuracy
	}
	return h
}

// machine is the backend and the CPUs it had, for the wall times.
func machine(c backend.Choice) string {
	desc := c.Description
	if desc == "" {
		desc = c.Config
	}
	if c.CPU() && !strings.Contains(desc, "CPUs") {
		desc += fmt.Sprintf(", %d CPUs", runtime.NumCPU())
	}
	return desc
}
