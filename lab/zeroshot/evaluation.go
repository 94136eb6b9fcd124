package zeroshot

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"

	"github.com/go-translab/translab/lab/features"
	"github.com/go-translab/translab/lab/imageproc"
	"github.com/go-translab/translab/lab/metrics"
	"github.com/go-translab/translab/lab/pca"
	"github.com/go-translab/translab/lab/session"
	"github.com/go-translab/translab/lab/show"
)

// Options tune Evaluate.
type Options struct {
	Limit     int  // images to classify; 0: the whole split
	BatchSize int  // images per forward pass; 0: 32
	Cache     bool // keep image embeddings on disk (a rerun reads them back)
	Progress  io.Writer
}

// Evaluation is what a zero-shot run found: for each image its label and its five best classes.
type Evaluation struct {
	Dataset   string // the dataset's title (in the demo, what it stands in for)
	Classes   []string
	Templates []string
	Labels    []int
	Ranked    [][]int // best first, up to 5 per image
	Seed      float64 // the seed lab's accuracy (%), 0 when it has none
	Demo      bool
	// Embeddings are the images' normalised embeddings, [len(Labels), projection_dim]: what the
	// classes were compared with, to map (PCA) or to train on.
	Embeddings *features.Matrix
	// Examples keeps the first images classified, to look at.
	Examples []Example
	// Skipped counts images that could not be decoded; FirstSkip says why the first one failed.
	Skipped   int
	FirstSkip error
}

// Example is one classified image.
type Example struct {
	Image       []byte
	Label, Pred int
}

// maxExamples bounds the images an evaluation keeps for Grid.
const maxExamples = 24

// Evaluate classifies up to o.Limit images of the dataset's evaluation split with zs, streaming
// them in batches: decode and preprocess, embed (features.Images), score (zs.Logits), rank. A
// corrupt image does not stop a run over thousands: it is skipped and counted.
func Evaluate(ctx context.Context, zs *Classifier, proc *imageproc.Config, d *session.Dataset, o Options) (*Evaluation, error) {
	if o.BatchSize <= 0 {
		o.BatchSize = 32
	}
	split, err := d.EvalSplit()
	if err != nil {
		return nil, err
	}
	total := split.NumRows
	if o.Limit > 0 && o.Limit < total {
		total = o.Limit
	}
	dim := zs.Model.Config.ProjectionDim
	ev := &Evaluation{Dataset: d.Title, Classes: zs.Classes, Templates: zs.Templates, Demo: d.Demo,
		Embeddings: &features.Matrix{Shape: []int{0, dim}}}
	if d.Entry.SeedZeroShotAccuracy != nil && !d.Demo {
		ev.Seed = *d.Entry.SeedZeroShotAccuracy
	}
	bar := show.NewProgress(o.Progress, "zero-shot "+d.Title, int64(total), "images")
	defer bar.Done()
	var batch [][]byte
	var labels []int
	seen := 0 // rows read from the split
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		pre, err := proc.BatchEach(batch, runtime.GOMAXPROCS(0))
		if err != nil {
			return fmt.Errorf("zeroshot: %s: %w", d.Title, err)
		}
		for i, e := range pre.Errs {
			if e != nil {
				ev.Skipped++
				if ev.FirstSkip == nil {
					ev.FirstSkip = fmt.Errorf("row %d: %w", seen-len(batch)+i, e)
				}
			}
		}
		if len(pre.Kept) > 0 {
			emb, err := features.Images(zs.Backend, zs.Model, pre.Pixels, len(pre.Kept), features.Options{BatchSize: o.BatchSize, Cache: o.Cache})
			if err != nil {
				return err
			}
			logits, err := zs.Logits(emb)
			if err != nil {
				return err
			}
			best := ranked(logits, len(zs.Classes), 5)
			for k, i := range pre.Kept {
				if len(ev.Examples) < maxExamples {
					ev.Examples = append(ev.Examples, Example{Image: append([]byte(nil), batch[i]...), Label: labels[i], Pred: best[k][0]})
				}
				ev.Labels = append(ev.Labels, labels[i])
			}
			ev.Ranked = append(ev.Ranked, best...)
			ev.Embeddings.Data = append(ev.Embeddings.Data, emb.Data...)
			ev.Embeddings.Shape[0] += len(pre.Kept)
		}
		bar.Add(int64(len(batch)))
		batch, labels = batch[:0], labels[:0]
		return nil
	}
	for row, err := range split.Rows() {
		if err != nil {
			return nil, err
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if row.Image == nil {
			return nil, fmt.Errorf("zeroshot: %s: row %d has no image", d.Title, row.Index)
		}
		if row.Label < 0 || row.Label >= len(zs.Classes) {
			return nil, fmt.Errorf("zeroshot: %s: row %d: label %d is not one of the %d classes", d.Title, row.Index, row.Label, len(zs.Classes))
		}
		batch = append(batch, row.Image.Bytes)
		labels = append(labels, row.Label)
		seen++
		if len(batch) == o.BatchSize {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		if seen >= total {
			break
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if ev.Skipped > 0 {
		if len(ev.Labels) == 0 {
			return nil, fmt.Errorf("zeroshot: %s: none of the %d images could be decoded (first: %v)", d.Title, ev.Skipped, ev.FirstSkip)
		}
		fmt.Fprintf(progressOr(o.Progress), "zeroshot: warning: skipped %d image(s) of %s that could not be decoded (first: %v)\n", ev.Skipped, d.Title, ev.FirstSkip)
	}
	return ev, nil
}

func progressOr(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// Grid shows up to n of the classified images with their true and predicted classes.
func (e *Evaluation) Grid(n int) *show.ImageGrid {
	var images [][]byte
	var labels, preds []int
	for _, ex := range e.Examples[:min(n, len(e.Examples))] {
		images, labels, preds = append(images, ex.Image), append(labels, ex.Label), append(preds, ex.Pred)
	}
	return Guesses(e.Dataset, images, labels, preds, e.Classes)
}

// Guesses shows images with their true class and, in red where it differs, the predicted one.
func Guesses(title string, images [][]byte, labels, preds []int, classes []string) *show.ImageGrid {
	g := &show.ImageGrid{Title: title + " — true class / CLIP's guess"}
	for i, img := range images {
		caption := classes[labels[i]]
		if preds[i] != labels[i] {
			caption += " / " + classes[preds[i]]
		}
		g.Pictures = append(g.Pictures, show.Picture{Data: img, Caption: caption, Good: preds[i] == labels[i]})
	}
	return g
}

// Map is the images' embeddings on their first two principal components, coloured by class.
func (e *Evaluation) Map() (*show.Scatter, error) {
	return pca.Map(e.Embeddings.Data, e.Embeddings.Rows(), e.Embeddings.Width(), e.Labels, e.Classes,
		"CLIP image embeddings — "+e.Dataset+" (PCA)")
}

// TopK is the share of images whose label is among their k best classes.
func (e *Evaluation) TopK(k int) float64 {
	if len(e.Labels) == 0 {
		return 0
	}
	hits := 0
	for i, y := range e.Labels {
		for _, c := range e.Ranked[i][:min(k, len(e.Ranked[i]))] {
			if c == y {
				hits++
				break
			}
		}
	}
	return float64(hits) / float64(len(e.Labels))
}

// Predictions are the best classes.
func (e *Evaluation) Predictions() []int {
	p := make([]int, len(e.Ranked))
	for i, r := range e.Ranked {
		p[i] = r[0]
	}
	return p
}

// Summary is the seed lab's table: dataset, number of classes, zero-shot accuracy, beside the seed.
func (e *Evaluation) Summary() *show.Table {
	t := &show.Table{Title: "Zero-shot accuracy", Header: []string{"dataset", "classes", "images", "top-1 %", "top-5 %", "seed lab %"}}
	seed := "—"
	if e.Seed > 0 {
		seed = fmt.Sprintf("%.2f", e.Seed)
	}
	t.Add(e.Dataset, len(e.Classes), len(e.Labels), fmt.Sprintf("%.2f", 100*e.TopK(1)), fmt.Sprintf("%.2f", 100*e.TopK(5)), seed)
	if e.Demo {
		t.Note = "demo: a tiny CLIP pretrained on captioned drawn shapes; the seed's numbers need the real model and data"
	}
	return t
}

// perClass is each class's number of images and its accuracy (NaN-free: -1 when it has none).
func (e *Evaluation) perClass() (n []int, acc []float64) {
	n = make([]int, len(e.Classes))
	hit := make([]int, len(e.Classes))
	for i, y := range e.Labels {
		n[y]++
		if e.Ranked[i][0] == y {
			hit[y]++
		}
	}
	acc = make([]float64, len(e.Classes))
	for c := range acc {
		acc[c] = -1
		if n[c] > 0 {
			acc[c] = float64(hit[c]) / float64(n[c])
		}
	}
	return n, acc
}

// PerClass is the accuracy of each class, as a table.
func (e *Evaluation) PerClass() *show.Table {
	n, acc := e.perClass()
	t := &show.Table{Title: "Per-class accuracy — " + e.Dataset, Header: []string{"class", "images", "accuracy %", ""}}
	for c, name := range e.Classes {
		a, bar := "—", ""
		if acc[c] >= 0 {
			a, bar = fmt.Sprintf("%.1f", 100*acc[c]), strings.Repeat("█", int(acc[c]*20+0.5)) // a bar of 20 cells at 100 %
		}
		t.Add(name, n[c], a, bar)
	}
	return t
}

// PerClassBars is the accuracy of each class, as a picture (classes without images left out).
func (e *Evaluation) PerClassBars() *show.Bars {
	_, acc := e.perClass()
	b := &show.Bars{Title: "Per-class accuracy — " + e.Dataset, Max: 100, Unit: "%"}
	for c, name := range e.Classes {
		if acc[c] >= 0 {
			b.Labels, b.Values = append(b.Labels, name), append(b.Values, 100*acc[c])
		}
	}
	return b
}

// Confusion is the confusion matrix (rows true, columns predicted).
func (e *Evaluation) Confusion() (*metrics.Confusion, error) {
	return metrics.NewConfusion(e.Labels, e.Predictions(), e.Classes)
}

// ConfusionTitle names the matrix in a table or a heatmap.
func (e *Evaluation) ConfusionTitle() string {
	return "Confusion matrix — " + e.Dataset + " (rows: true class, columns: predicted)"
}

// MostConfused lists the n most frequent (true, predicted) pairs of different classes.
func (e *Evaluation) MostConfused(n int) *show.Table {
	type pair struct{ y, p, count int }
	counts := map[[2]int]int{}
	for i, y := range e.Labels {
		if p := e.Ranked[i][0]; p != y {
			counts[[2]int{y, p}]++
		}
	}
	var pairs []pair
	for k, c := range counts {
		pairs = append(pairs, pair{k[0], k[1], c})
	}
	sort.Slice(pairs, func(a, b int) bool {
		if pairs[a].count != pairs[b].count {
			return pairs[a].count > pairs[b].count
		}
		return pairs[a].y*len(e.Classes)+pairs[a].p < pairs[b].y*len(e.Classes)+pairs[b].p
	})
	t := &show.Table{Title: "Most confused — " + e.Dataset, Header: []string{"true class", "predicted as", "images"}}
	for _, p := range pairs[:min(n, len(pairs))] {
		t.Add(e.Classes[p.y], e.Classes[p.p], p.count)
	}
	return t
}
