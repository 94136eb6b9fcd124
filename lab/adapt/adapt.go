// Package adapt is the lab's third exercise, part 2: adapting CLIP to a dataset its zero-shot
// prompts handle poorly (EuroSAT's satellite tiles) from a few labelled images per class. Every
// method is scored on the same held-out images as zero-shot: a linear probe on frozen image
// features, then fine-tuning with PEFT — a zero-shot-initialised head alone, plus the vision
// tower's LayerNorms, its biases (BitFit) or LoRA on its attention projections — and prompt
// learning (CoOp), which trains only the prompts' context words.
package adapt

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/go-translab/translab/lab/clip"
	"github.com/go-translab/translab/lab/datasets"
	"github.com/go-translab/translab/lab/show"
	"github.com/go-translab/translab/lab/svm"
	"github.com/go-translab/translab/lab/train"
	"github.com/go-translab/translab/lab/zeroshot"
)

// Options say how the few-shot problem is drawn. The drawn images are kept preprocessed in memory
// (0.6 MB each at 224×224): 16 shots of EuroSAT's 10 classes and 400 held-out images take ~340 MB;
// Tiny ImageNet's 200 classes at 16 shots take ~2 GB, so fewer shots suit it on a small machine.
type Options struct {
	Shots     int      // labelled training images per class; 0: 16 (CoOp's and CLIP-LoRA's usual)
	EvalLimit int      // held-out images every method is scored on; 0: 400
	Seed      uint64   // which training images are drawn; 0: 42
	Templates []string // zero-shot prompts; nil: the dataset's
	Progress  io.Writer
}

// Set is a few-shot problem: the training images drawn per class, the held-out images, and the
// results of the methods tried on them so far.
type Set struct {
	Lab       *zeroshot.Lab
	Dataset   zeroshot.Dataset
	Classes   []string
	Templates []string
	Shots     int
	// Train and Eval carry preprocessed pixel values, ready for the Trainer.
	Train, Eval []train.Example
	// Images are the training images as encoded, in the order of Train, to look at.
	Images   [][]byte
	ZeroShot *clip.ZeroShot
	Results  []Result
	Skipped  int // images that could not be decoded

	trainEmb, evalEmb []float32 // frozen, normalised image embeddings, computed once
	out               io.Writer
}

// Result is one method's score on the held-out images.
type Result struct {
	Method           string
	Trainable, Total int64 // parameters trained and in the model (0, 0: nothing trained)
	Accuracy         float64
	BalancedAccuracy float64
	Seconds          float64
	Baseline         bool           // zero-shot: what the others are compared with
	History          *train.History // per-epoch log of a fine-tuning run
	Saved            string         // where a trained LoRA adapter or prompt context was written
	Model            *clip.Model    // the fine-tuned model, with its head (and adapter)
}

// Prepare draws Shots training images per class from the dataset's train split (a seeded
// reservoir sample over one pass, so the split need not fit in memory) and takes the first
// EvalLimit images of its evaluation split — the images zero-shot is scored on.
func Prepare(ctx context.Context, l *zeroshot.Lab, d zeroshot.Dataset, o Options) (*Set, error) {
	if o.Shots <= 0 {
		o.Shots = 16
	}
	if o.EvalLimit <= 0 {
		o.EvalLimit = 400
	}
	if o.Seed == 0 {
		o.Seed = 42
	}
	s := &Set{Lab: l, Dataset: d, Shots: o.Shots, Templates: o.Templates, out: o.Progress}
	if s.out == nil {
		s.out = os.Stderr
	}
	if s.Templates == nil {
		s.Templates = d.Templates
	}
	if s.Templates == nil {
		s.Templates = clip.PhotoTemplate
	}
	ds, classes, err := l.Open(ctx, d)
	if err != nil {
		return nil, err
	}
	s.Classes = classes
	trainSplit, err := ds.Split("train")
	if err != nil {
		return nil, fmt.Errorf("adapt: %s: %w", d.Name, err)
	}
	bar := show.NewProgress(s.out, fmt.Sprintf("drawing %d shots per class", o.Shots), int64(trainSplit.NumRows), "rows")
	picked, err := drawShots(ctx, trainSplit, len(classes), o.Shots, o.Seed, func() { bar.Add(1) })
	bar.Done()
	if err != nil {
		return nil, fmt.Errorf("adapt: %s train split: %w", d.Name, err)
	}
	var images [][]byte
	var labels []int
	for c, rows := range picked {
		if len(rows) < o.Shots {
			fmt.Fprintf(s.out, "adapt: warning: class %q has %d training images, fewer than %d\n", classes[c], len(rows), o.Shots)
		}
		for _, r := range rows {
			images, labels = append(images, r.Image.Bytes), append(labels, c)
		}
	}
	if s.Train, s.Images, err = s.examples(images, labels, "training"); err != nil {
		return nil, err
	}

	evalSplit, err := zeroshot.EvalSplit(ds, d)
	if err != nil {
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
			return nil, fmt.Errorf("adapt: %s: row %d has no image", d.Name, row.Index)
		}
		if row.Label < 0 || row.Label >= len(classes) {
			return nil, fmt.Errorf("adapt: %s: row %d: label %d is not one of the %d classes", d.Name, row.Index, row.Label, len(classes))
		}
		images, labels = append(images, row.Image.Bytes), append(labels, row.Label)
		if len(images) == o.EvalLimit {
			break
		}
	}
	if s.Eval, _, err = s.examples(images, labels, "held-out"); err != nil {
		return nil, err
	}
	if len(s.Train) == 0 || len(s.Eval) == 0 {
		return nil, fmt.Errorf("adapt: %s: %d training and %d evaluation images could be decoded; need some of each", d.Name, len(s.Train), len(s.Eval))
	}
	if s.ZeroShot, err = l.Classifier(classes, s.Templates); err != nil {
		return nil, err
	}
	return s, nil
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

// examples preprocesses images into Trainer examples, in batches, skipping (and counting) the ones
// that cannot be decoded.
func (s *Set) examples(images [][]byte, labels []int, what string) ([]train.Example, [][]byte, error) {
	var out []train.Example
	var kept [][]byte
	bar := show.NewProgress(s.out, "decoding "+what+" images", int64(len(images)), "images")
	defer bar.Done()
	bs := s.Lab.BatchSize
	for start := 0; start < len(images); start += bs {
		imgs := images[start:min(start+bs, len(images))]
		labs := labels[start:min(start+bs, len(labels))]
		px, skipped, first, err := s.Lab.Pixels(&imgs, &labs)
		if err != nil {
			return nil, nil, fmt.Errorf("adapt: %s: %w", s.Dataset.Name, err)
		}
		if skipped > 0 {
			s.Skipped += skipped
			fmt.Fprintf(s.out, "adapt: warning: skipped %d image(s) that could not be decoded (first: %v)\n", skipped, first)
		}
		bar.Add(int64(len(imgs) + skipped))
		if len(imgs) == 0 {
			continue
		}
		per := len(px) / len(imgs)
		for i, label := range labs {
			out = append(out, train.Example{Pixels: px[i*per : (i+1)*per], Label: label})
		}
		kept = append(kept, imgs...)
	}
	return out, kept, nil
}

// Summary is the few-shot problem in one table.
func (s *Set) Summary() *show.Table {
	t := &show.Table{Title: "Few-shot problem — " + s.Dataset.Name, Header: []string{"classes", "shots per class", "training images", "held-out images"}}
	t.Add(len(s.Classes), s.Shots, len(s.Train), len(s.Eval))
	if s.Lab.Demo {
		t.Note = "demo fixtures: a random tiny CLIP on drawn shapes — the numbers show the mechanics, not CLIP"
	}
	return t
}

// Grid shows up to perClass training images of each class.
func (s *Set) Grid(perClass int) *show.ImageGrid {
	g := &show.ImageGrid{Title: fmt.Sprintf("%s — %d-shot training images", s.Dataset.Name, s.Shots)}
	shown := make([]int, len(s.Classes))
	for i, ex := range s.Train {
		if shown[ex.Label] < perClass {
			shown[ex.Label]++
			g.Pictures = append(g.Pictures, show.Picture{Data: s.Images[i], Caption: s.Classes[ex.Label], Good: true})
		}
	}
	return g
}

// embeddings computes the frozen model's normalised image embeddings of a set, in batches (kept on
// disk by the Lab, so the next notebook cell reads them back).
func (s *Set) embeddings(set []train.Example, what string) ([]float32, error) {
	bar := show.NewProgress(s.out, "image features ("+what+")", int64(len(set)), "images")
	defer bar.Done()
	var out []float32
	for start := 0; start < len(set); start += s.Lab.BatchSize {
		part := set[start:min(start+s.Lab.BatchSize, len(set))]
		var px []float32
		for _, e := range part {
			px = append(px, e.Pixels...)
		}
		emb, err := s.Lab.ImageEmbeddings(px, len(part))
		if err != nil {
			return nil, err
		}
		out = append(out, emb...)
		bar.Add(int64(len(part)))
	}
	return out, nil
}

func (s *Set) frozenFeatures() error {
	var err error
	if s.trainEmb == nil {
		if s.trainEmb, err = s.embeddings(s.Train, "training"); err != nil {
			return err
		}
	}
	if s.evalEmb == nil {
		s.evalEmb, err = s.embeddings(s.Eval, "held-out")
	}
	return err
}

func labelsOf(set []train.Example) []int {
	y := make([]int, len(set))
	for i, e := range set {
		y[i] = e.Label
	}
	return y
}

// score records a method's predictions on the held-out images.
func (s *Set) score(r Result, pred []int, since time.Time) (Result, error) {
	scores, err := train.Scores(labelsOf(s.Eval), pred, len(s.Classes))
	if err != nil {
		return r, err
	}
	r.Accuracy, r.BalancedAccuracy, r.Seconds = scores["accuracy"], scores["balanced_accuracy"], time.Since(since).Seconds()
	s.Results = append(s.Results, r)
	return r, nil
}

// EvaluateZeroShot scores zero-shot CLIP on the held-out images: the baseline to beat.
func (s *Set) EvaluateZeroShot() (Result, error) {
	start := time.Now()
	if err := s.frozenFeatures(); err != nil {
		return Result{}, err
	}
	logits, err := s.ZeroShot.Logits(s.evalEmb, len(s.Eval))
	if err != nil {
		return Result{}, err
	}
	var pred []int
	for _, best := range clip.BestClasses(logits, len(s.Classes), 1) {
		pred = append(pred, best[0])
	}
	return s.score(Result{Method: "zero-shot (" + strings.Join(s.Templates, " | ") + ")", Baseline: true}, pred, start)
}

// LinearProbe trains a linear SVM (Exercise 1's LinearSVC) on the frozen image embeddings of the
// training images: CLIP's paper's linear probe, with C the SVM's regularisation (0: 1).
func (s *Set) LinearProbe(c float64) (Result, error) {
	start := time.Now()
	if err := s.frozenFeatures(); err != nil {
		return Result{}, err
	}
	if c == 0 {
		c = 1
	}
	d := s.Lab.Model.Config.ProjectionDim
	model, err := svm.FitFlat(s.trainEmb, len(s.Train), d, labelsOf(s.Train), svm.Options{C: c, Warn: func(msg string) { fmt.Fprintln(s.out, "adapt: linear probe:", msg) }})
	if err != nil {
		return Result{}, err
	}
	coef := int64(len(model.Coef) * (len(model.Coef[0]) + 1))
	return s.score(Result{Method: fmt.Sprintf("linear probe (SVM, C=%g)", c), Trainable: coef, Total: coef}, model.PredictFlat(s.evalEmb, len(s.Eval)), start)
}

// Table compares every method tried so far with zero-shot, on the same held-out images.
func (s *Set) Table() *show.Table {
	t := &show.Table{
		Title:  fmt.Sprintf("Adapting CLIP — %s, %d shots per class, %d held-out images", s.Dataset.Name, s.Shots, len(s.Eval)),
		Header: []string{"method", "trained params", "trained %", "accuracy %", "balanced acc. %", "Δ vs zero-shot (points)", "seconds"},
	}
	base := -1.0
	for _, r := range s.Results {
		if r.Baseline {
			base = r.Accuracy
		}
	}
	for _, r := range s.Results {
		delta := "–"
		if base >= 0 && !r.Baseline {
			delta = fmt.Sprintf("%+.1f", 100*(r.Accuracy-base))
		}
		share := "–"
		if r.Total > 0 && r.History != nil {
			share = fmt.Sprintf("%.3f", 100*float64(r.Trainable)/float64(r.Total))
		}
		t.Add(r.Method, r.Trainable, share, fmt.Sprintf("%.2f", 100*r.Accuracy), fmt.Sprintf("%.2f", 100*r.BalancedAccuracy), delta, fmt.Sprintf("%.1f", r.Seconds))
	}
	if s.Lab.Demo {
		t.Note = "demo fixtures: a random tiny CLIP on drawn shapes — the numbers show the mechanics, not CLIP"
	}
	return t
}
