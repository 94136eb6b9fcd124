// Package zeroshot is the lab's third exercise, part 1: CLIP ViT-B/16 classifies images it was never
// trained on by comparing them with text prompts ("a photo of a {class}."). Each step is one call,
// so a notebook cell or the CLI stays short and both show the same tables.
package zeroshot

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"github.com/gomlx/compute"

	"github.com/go-translab/translab/data"
	"github.com/go-translab/translab/lab/backend"
	"github.com/go-translab/translab/lab/clip"
	"github.com/go-translab/translab/lab/datasets"
	"github.com/go-translab/translab/lab/hub"
	"github.com/go-translab/translab/lab/imageproc"
	"github.com/go-translab/translab/lab/npy"
	"github.com/go-translab/translab/lab/show"
	"github.com/go-translab/translab/lab/tokenize"
)

// DefaultModel is the seed lab's CLIP.
const DefaultModel = "openai/clip-vit-base-patch16"

// Dataset is an image dataset to classify and how to prompt for its classes.
type Dataset struct {
	Name     string
	Spec     datasets.Spec
	Fallback *datasets.Spec // the same data at another revision (refs/convert/parquet), tried when Spec's has no parquet
	// Split to classify; "" takes the first of validation, valid and test that the dataset has.
	Split string
	// Names turns the class names the dataset reports into readable prompt names (WordNet ids
	// into words); nil uses the dataset's names as they are.
	Names     func(datasetNames []string) ([]string, error)
	Templates []string
	Seed      float64 // the seed lab's zero-shot accuracy (%), 0 when it has none
}

// Options configure Setup; the zero value runs the real model, falling back to the demo when the
// hub is unreachable and the cache lacks it.
type Options struct {
	Demo      bool
	Model     string // hub id or HF directory; "" is DefaultModel
	BatchSize int    // images per forward pass; 0 is 32
	Progress  io.Writer
	Hub       *hub.Client
}

// Lab holds the model, its tokenizer and image processor.
type Lab struct {
	Demo      bool
	Why       string
	ModelID   string
	ModelDir  string
	Model     *clip.Model
	Tokenizer *tokenize.Tokenizer
	Processor *imageproc.Config
	Backend   compute.Backend
	BatchSize int
	hub       *hub.Client
	out       io.Writer
}

// Setup loads CLIP, its tokenizer and its image processor — or the demo's when asked, or when the
// hub is unreachable and nothing is cached. Other failures are errors, not a silent demo.
func Setup(ctx context.Context, o Options) (*Lab, error) {
	l := &Lab{Demo: o.Demo, ModelID: o.Model, BatchSize: o.BatchSize, hub: o.Hub, out: o.Progress}
	if l.out == nil {
		l.out = os.Stderr
	}
	if l.ModelID == "" {
		l.ModelID = DefaultModel
	}
	if l.BatchSize <= 0 {
		l.BatchSize = 32
	}
	if l.hub == nil {
		l.hub = hub.NewClient()
		l.hub.Progress = l.out
	}
	dir := ""
	if o.Demo {
		l.Why = "asked for"
	} else {
		var err error
		dir, err = hub.Resolve(ctx, l.hub, l.ModelID, clip.ModelFiles...)
		if err != nil {
			if !errors.Is(err, hub.ErrNetwork) && !errors.Is(err, hub.ErrNotCached) {
				return nil, err
			}
			l.Demo, l.Why = true, "the hub is unreachable and the cache lacks "+l.ModelID
			fmt.Fprintf(l.out, "lab: %v — running the offline demo instead\n", err)
		}
	}
	if l.Demo {
		var err error
		if dir, err = data.CLIPDemoDir(); err != nil {
			return nil, err
		}
		l.ModelID = "demo (tiny random CLIP)"
	}
	m, err := clip.LoadDir(dir)
	if err != nil {
		return nil, err
	}
	tok, err := tokenize.Load(dir)
	if err != nil {
		return nil, err
	}
	proc := imageproc.DefaultCLIP()
	if p := filepath.Join(dir, "preprocessor_config.json"); fileExists(p) {
		if proc, err = imageproc.LoadConfig(p); err != nil {
			return nil, err
		}
	}
	b, _, err := backend.Default()
	if err != nil {
		return nil, err
	}
	l.Model, l.ModelDir, l.Tokenizer, l.Processor, l.Backend = m, dir, tok, proc, b
	return l, nil
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// DemoDataset is the demo's dataset: drawn shapes, in the directory of the demo model.
func DemoDataset() (Dataset, error) {
	dir, err := data.CLIPDemoDir()
	if err != nil {
		return Dataset{}, err
	}
	return Dataset{Name: "demo shapes", Spec: datasets.Spec{ID: dir, ImageColumn: "image", LabelColumn: "label"}, Templates: clip.PhotoTemplate}, nil
}

// Banner is the setup cell's one-line report.
func (l *Lab) Banner() show.Renderable {
	line := fmt.Sprintf("Exercise 3 — CLIP zero-shot, model %s, backend %s", l.ModelID, backend.Choose().Config)
	if l.Demo {
		line += fmt.Sprintf("\nDEMO (%s): a random tiny CLIP on drawn shapes — the numbers below mean nothing.", l.Why)
	}
	return show.Text(line)
}

// Open reads a dataset — from its local directory (the demo) or the hub, at the catalog's
// revision or, when that has no parquet files, at the fallback one — and returns it with the
// class names to prompt with.
func (l *Lab) Open(ctx context.Context, d Dataset) (*datasets.Dataset, []string, error) {
	ds, err := l.open(ctx, d)
	if err != nil {
		return nil, nil, err
	}
	classes := ds.LabelNames
	if d.Names != nil {
		if classes, err = d.Names(ds.LabelNames); err != nil {
			return nil, nil, err
		}
	}
	if len(classes) == 0 {
		return nil, nil, fmt.Errorf("zeroshot: %s has no class names", d.Name)
	}
	return ds, classes, nil
}

func (l *Lab) open(ctx context.Context, d Dataset) (*datasets.Dataset, error) {
	if fileExists(d.Spec.ID) {
		return datasets.OpenDir(d.Spec, d.Spec.ID)
	}
	ds, err := datasets.Load(ctx, l.hub, d.Spec)
	if err != nil && d.Fallback != nil && !errors.Is(err, hub.ErrNetwork) && !errors.Is(err, hub.ErrNotCached) {
		if fb, ferr := datasets.Load(ctx, l.hub, *d.Fallback); ferr == nil {
			return fb, nil
		}
	}
	return ds, err
}

// EvalSplit is the split a dataset is evaluated on: Dataset.Split, or the first of validation,
// valid and test that it has.
func EvalSplit(ds *datasets.Dataset, d Dataset) (*datasets.Split, error) {
	if d.Split != "" {
		return ds.Split(d.Split)
	}
	for _, name := range []string{"validation", "valid", "test"} {
		if s, err := ds.Split(name); err == nil {
			return s, nil
		}
	}
	return ds.Split("validation") // its error lists the splits there are
}

// Evaluate classifies up to limit images (0: all) of the dataset's split, streaming them in
// batches, with the dataset's templates (or the given ones).
func (l *Lab) Evaluate(ctx context.Context, d Dataset, templates []string, limit int) (*Evaluation, error) {
	ds, classes, err := l.Open(ctx, d)
	if err != nil {
		return nil, err
	}
	split, err := EvalSplit(ds, d)
	if err != nil {
		return nil, err
	}
	if templates == nil {
		templates = d.Templates
	}
	if templates == nil {
		templates = clip.PhotoTemplate
	}
	zs, err := l.Classifier(classes, templates)
	if err != nil {
		return nil, err
	}
	total := split.NumRows
	if limit > 0 && limit < total {
		total = limit
	}
	bar := show.NewProgress(l.out, "zero-shot "+d.Name, int64(total), "images")
	defer bar.Done()
	ev := &Evaluation{Dataset: d.Name, Classes: classes, Templates: templates, Seed: d.Seed, Demo: l.Demo}
	var batch [][]byte
	var labels []int
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		pixels, err := l.preprocess(ev, &batch, &labels)
		if err != nil {
			return fmt.Errorf("zeroshot: %s: %w", d.Name, err)
		}
		if len(batch) == 0 {
			return nil
		}
		emb, err := l.ImageEmbeddings(pixels, len(batch))
		if err != nil {
			return err
		}
		logits, err := zs.Logits(emb, len(batch))
		if err != nil {
			return err
		}
		ranked := clip.BestClasses(logits, len(classes), 5)
		for i := 0; i < len(batch) && len(ev.Examples) < maxExamples; i++ {
			ev.Examples = append(ev.Examples, Example{Image: append([]byte(nil), batch[i]...), Label: labels[i], Pred: ranked[i][0]})
		}
		ev.Labels = append(ev.Labels, labels...)
		ev.Ranked = append(ev.Ranked, ranked...)
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
			return nil, fmt.Errorf("zeroshot: %s: row %d has no image", d.Name, row.Index)
		}
		batch = append(batch, row.Image.Bytes)
		labels = append(labels, row.Label)
		if len(batch) == l.BatchSize {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		if len(ev.Labels)+len(batch) >= total {
			break
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if ev.Skipped > 0 {
		if len(ev.Labels) == 0 {
			return nil, fmt.Errorf("zeroshot: %s: none of the %d images could be decoded (first: %v)", d.Name, ev.Skipped, ev.FirstSkip)
		}
		fmt.Fprintf(l.out, "lab: warning: skipped %d image(s) of %s that could not be decoded (first: %v)\n", ev.Skipped, d.Name, ev.FirstSkip)
	}
	return ev, nil
}

// preprocess turns a batch of encoded images into pixel values, dropping (and counting) the ones
// that cannot be decoded.
func (l *Lab) preprocess(ev *Evaluation, batch *[][]byte, labels *[]int) ([]float32, error) {
	pixels, skipped, first, err := l.Pixels(batch, labels)
	ev.Skipped += skipped
	if ev.FirstSkip == nil {
		ev.FirstSkip = first
	}
	return pixels, err
}

// Pixels preprocesses encoded images into pixel values [n, channels, size, size], decoding in
// parallel. A corrupt image does not stop a run over thousands: it is dropped from images (with
// its label) and counted, and the first such error is returned beside the count.
func (l *Lab) Pixels(images *[][]byte, labels *[]int) (pixels []float32, skipped int, firstSkip, err error) {
	workers := runtime.GOMAXPROCS(0)
	pixels, _, _, err = l.Processor.Batch(*images, workers)
	if err == nil {
		return pixels, 0, nil, nil
	}
	var keptImages [][]byte
	var keptLabels []int
	for i, img := range *images {
		if _, _, _, err := l.Processor.Batch([][]byte{img}, 1); err != nil {
			skipped++
			if firstSkip == nil {
				firstSkip = err
			}
			continue
		}
		keptImages = append(keptImages, img)
		keptLabels = append(keptLabels, (*labels)[i])
	}
	*images, *labels = keptImages, keptLabels
	if len(keptImages) == 0 {
		return nil, skipped, firstSkip, nil
	}
	pixels, _, _, err = l.Processor.Batch(keptImages, workers)
	return pixels, skipped, firstSkip, err
}

// CachePath names a file under the user's cache directory (kind/…npy) after the model's files,
// its compute dtype and whatever key writes: results derived from the model are kept there, since
// a notebook reruns its cells as fresh programs. "" when there is no cache directory.
func (l *Lab) CachePath(kind string, key func(h io.Writer)) string {
	base, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	h := sha256.New()
	for _, f := range []string{"config.json", "model.safetensors", "pytorch_model.bin", "tokenizer.json"} {
		if st, err := os.Stat(filepath.Join(l.ModelDir, f)); err == nil {
			fmt.Fprintf(h, "%s %s %d %d\n", l.ModelDir, f, st.Size(), st.ModTime().UnixNano())
		}
	}
	fmt.Fprintf(h, "%v\n", l.Model.Compute)
	key(h)
	return filepath.Join(base, "translab", kind, hex.EncodeToString(h.Sum(nil))[:24]+".npy")
}

// ImageEmbeddings are the model's normalised image embeddings of pixel values [n, channels, size,
// size], kept on disk under a name made of the model's files and the pixels themselves: rerunning
// a notebook cell over the same images then costs a file read instead of the vision tower. The
// cache describes the model as loaded; with an adapter set it is not used.
func (l *Lab) ImageEmbeddings(pixels []float32, n int) ([]float32, error) {
	d := l.Model.Config.ProjectionDim
	path := ""
	if l.Model.Adapter == nil {
		path = l.CachePath("clip-images", func(h io.Writer) { binary.Write(h, binary.LittleEndian, pixels) })
	}
	if a, err := npy.Read(path); err == nil && len(a.Shape) == 2 && a.Shape[0] == n && a.Shape[1] == d {
		return a.F32, nil
	}
	emb, err := l.Model.ImageEmbeddings(l.Backend, pixels, n)
	if err != nil {
		return nil, err
	}
	if path != "" && os.MkdirAll(filepath.Dir(path), 0o755) == nil {
		if err := npy.WriteFloat32(path, []int{n, d}, emb); err != nil {
			fmt.Fprintf(l.out, "lab: could not cache the image embeddings: %v\n", err)
		}
	}
	return emb, nil
}

// Classifier builds the zero-shot classifier, keeping the class embeddings on disk: a notebook
// reruns its cells as fresh programs, and embedding 200 classes × 7 prompts with the text tower is
// the slow part on a CPU. The file is named after everything the embeddings depend on.
func (l *Lab) Classifier(classes, templates []string) (*clip.ZeroShot, error) {
	path := l.CachePath("clip-classes", func(h io.Writer) { fmt.Fprintf(h, "%q\x00%q\n", classes, templates) })
	if path != "" {
		d := l.Model.Config.ProjectionDim
		if a, err := npy.Read(path); err == nil && len(a.Shape) == 2 && a.Shape[0] == len(classes) && a.Shape[1] == d {
			return &clip.ZeroShot{Model: l.Model, Backend: l.Backend, Classes: classes, Templates: templates, ClassEmbeds: a.F32}, nil
		}
	}
	zs, err := clip.NewZeroShot(l.Backend, l.Model, l.Tokenizer, classes, templates)
	if err != nil {
		return nil, err
	}
	if path != "" && os.MkdirAll(filepath.Dir(path), 0o755) == nil {
		if err := npy.WriteFloat32(path, []int{len(classes), l.Model.Config.ProjectionDim}, zs.ClassEmbeds); err != nil {
			fmt.Fprintf(l.out, "lab: could not cache the class embeddings: %v\n", err)
		}
	}
	return zs, nil
}
