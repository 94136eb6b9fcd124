// Package sentiment is the lab's first exercise: Rotten Tomatoes movie reviews, DistilBERT [CLS]
// features and a Linear SVM baseline. Each step is one call, so a notebook cell or the CLI stays
// a few lines long and both show the same tables.
//
//	l, _ := sentiment.Setup(ctx, sentiment.Options{})
//	show.Show(nil, l.Banner(), l.Samples(5, 42))     // 1.1
//	show.Show(nil, l.Inspect(0)...)                  // 1.2
//	res, _ := l.Baseline()                            // 1.3
//	show.Show(nil, res.Accuracy(), res.Report())
package sentiment

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gomlx/compute"

	"github.com/go-translab/translab/data"
	"github.com/go-translab/translab/lab/backend"
	"github.com/go-translab/translab/lab/datasets"
	"github.com/go-translab/translab/lab/distilbert"
	"github.com/go-translab/translab/lab/hub"
	"github.com/go-translab/translab/lab/show"
	"github.com/go-translab/translab/lab/tokenize"
)

// DefaultModel is the seed lab's encoder.
const DefaultModel = "distilbert-base-uncased"

// Splits are the dataset's splits, in the order the lab uses them.
var Splits = []string{"train", "validation", "test"}

// Options configure Setup; the zero value runs the real exercise, falling back to the demo when
// neither the hub nor the cache has what it needs.
type Options struct {
	Demo      bool      // use the embedded demo fixtures, whatever the network
	Model     string    // encoder: a hub id or an HF directory; "" is DefaultModel
	BatchSize int       // sentences per forward pass; 0 is 32
	Progress  io.Writer // progress bars and notices; nil is stderr
	Hub       *hub.Client
}

// Lab holds what the exercise works on.
type Lab struct {
	Demo      bool
	Why       string // why the demo runs, when it does
	ModelID   string
	ModelDir  string
	Model     *distilbert.Model
	Tokenizer *tokenize.Tokenizer
	Data      *datasets.Dataset
	Rows      map[string][]datasets.Row
	Backend   compute.Backend
	BatchSize int
	out       io.Writer
}

// Setup loads Rotten Tomatoes, DistilBERT and its tokenizer (from the hub cache, fetching what is
// missing), or the demo fixtures when asked or when the hub is unreachable and nothing is cached.
// Any other failure — a repo that does not exist, a refused token, a corrupt file — is an error,
// not a silent demo.
func Setup(ctx context.Context, o Options) (*Lab, error) {
	l := &Lab{Demo: o.Demo, ModelID: o.Model, BatchSize: o.BatchSize, out: o.Progress, Rows: map[string][]datasets.Row{}}
	if l.out == nil {
		l.out = os.Stderr
	}
	if l.ModelID == "" {
		l.ModelID = DefaultModel
	}
	if l.BatchSize <= 0 {
		l.BatchSize = 32
	}
	if o.Demo {
		l.Why = "asked for"
	} else if err := l.loadReal(ctx, o.Hub); err != nil {
		if !errors.Is(err, hub.ErrNetwork) && !errors.Is(err, hub.ErrNotCached) {
			return nil, err
		}
		l.Demo, l.Why = true, "the hub is unreachable and the cache lacks "+what(err)
		fmt.Fprintf(l.out, "lab: %s — running the offline demo instead\n", firstLine(err.Error()))
	}
	if l.Demo {
		if err := l.loadDemo(); err != nil {
			return nil, err
		}
	}
	b, _, err := backend.Default()
	if err != nil {
		return nil, err
	}
	l.Backend = b
	return l, nil
}

func (l *Lab) loadReal(ctx context.Context, c *hub.Client) error {
	if c == nil {
		c = hub.NewClient()
		c.Progress = l.out
	}
	ds, err := datasets.Load(ctx, c, datasets.RottenTomatoes, Splits...)
	if err != nil {
		return err
	}
	m, dir, err := distilbert.Load(ctx, c, l.ModelID, distilbert.NoHead)
	if err != nil {
		return err
	}
	tok, err := tokenize.Load(dir)
	if err != nil {
		return err
	}
	l.Data, l.Model, l.ModelDir, l.Tokenizer = ds, m, dir, tok
	return l.readRows()
}

func (l *Lab) loadDemo() error {
	dir, err := data.DemoDir()
	if err != nil {
		return err
	}
	spec := datasets.RottenTomatoes
	spec.ID = "demo reviews"
	ds, err := datasets.OpenDir(spec, dir, Splits...)
	if err != nil {
		return err
	}
	m, err := distilbert.LoadDir(dir, distilbert.NoHead)
	if err != nil {
		return err
	}
	tok, err := tokenize.Load(dir)
	if err != nil {
		return err
	}
	l.Data, l.Model, l.ModelDir, l.Tokenizer, l.ModelID = ds, m, dir, tok, "demo (tiny random DistilBERT)"
	return l.readRows()
}

func (l *Lab) readRows() error {
	for _, name := range Splits {
		split, err := l.Data.Split(name)
		if err != nil {
			return err
		}
		rows, err := split.ReadAll()
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return fmt.Errorf("sentiment: split %q of %s is empty", name, l.Data.Spec.ID)
		}
		l.Rows[name] = rows
	}
	return nil
}

// what names the missing piece in a hub error, for the one-line demo notice.
func what(err error) string {
	var he *hub.Error
	if errors.As(err, &he) {
		return he.Repo.String()
	}
	return "the dataset or the model"
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Banner is the setup cell's one-line report: what runs, on which backend, demo or not.
func (l *Lab) Banner() show.Renderable {
	mode := fmt.Sprintf("dataset %s (%d/%d/%d sentences)", l.Data.Spec.ID, len(l.Rows["train"]), len(l.Rows["validation"]), len(l.Rows["test"]))
	line := fmt.Sprintf("Exercise 1 — %s, model %s, backend %s", mode, l.ModelID, backend.Choose().Config)
	if l.Demo {
		line += fmt.Sprintf("\nDEMO (%s): embedded fixtures with a random tiny model — the numbers below mean nothing.", l.Why)
	}
	return show.Text(line)
}

// LabelName is the class name of a label id.
func (l *Lab) LabelName(label int) string {
	if label >= 0 && label < len(l.Data.LabelNames) {
		return l.Data.LabelNames[label]
	}
	return fmt.Sprint(label)
}
