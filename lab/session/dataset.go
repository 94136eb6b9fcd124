package session

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-translab/translab/data"
	"github.com/go-translab/translab/lab/datasets"
	"github.com/go-translab/translab/lab/hub"
)

// Dataset is one of the lab's datasets as the session opened it: from the hub at the catalog's
// revision, or — in the demo — the embedded fixture standing in for it, which says so in its title.
type Dataset struct {
	*datasets.Dataset
	Name    string     // the catalog name, e.g. "imagenette"
	Title   string     // what tables call it: the name, or "demo shapes (standing in for imagenette)"
	Entry   data.Entry // the catalog's entry: prompt templates, the seed lab's accuracy
	Classes []string   // readable class names in label order, for prompts and tables
	Demo    bool
}

// Dataset opens a dataset of the catalog (data/catalog.json) by name: all its splits from the hub
// cache (downloading what is missing), or the demo fixture standing in for it when the session
// runs the demo.
func (s *Session) Dataset(ctx context.Context, name string) (*Dataset, error) {
	if d, ok := s.datasets[name]; ok {
		return d, nil
	}
	e, err := data.Lookup(name)
	if err != nil {
		return nil, err
	}
	d := &Dataset{Name: e.Name, Title: e.Name, Entry: e, Demo: s.Demo}
	if s.Demo {
		err = d.openDemo(s)
	} else {
		err = d.open(ctx, s.Hub)
	}
	if err != nil {
		return nil, err
	}
	s.datasets[name] = d
	return d, nil
}

func (d *Dataset) open(ctx context.Context, c *hub.Client) error {
	ds, err := datasets.Load(ctx, c, d.Entry.Spec())
	if fb, ok := d.Entry.FallbackSpec(); err != nil && ok && !errors.Is(err, hub.ErrNetwork) && !errors.Is(err, hub.ErrNotCached) {
		// The revision holds no parquet files (loose images, a loading script): the hub's conversion.
		if conv, ferr := datasets.Load(ctx, c, fb); ferr == nil {
			ds, err = conv, nil
		}
	}
	if err != nil {
		return err
	}
	d.Dataset = ds
	if d.Classes, err = d.Entry.ClassNames(ds.LabelNames); err != nil {
		return err
	}
	return nil
}

// openDemo opens the demo's fixture in the demo model's directory: sentences labelled neg/pos for
// a text dataset, drawn shapes for an image one.
func (d *Dataset) openDemo(s *Session) error {
	spec := d.Entry.Spec()
	what := "demo reviews"
	if spec.ImageColumn != "" {
		spec, what = datasets.Spec{ID: s.ModelDir, ImageColumn: "image", LabelColumn: "label"}, "demo shapes"
	}
	if (spec.ImageColumn != "") != (s.kind.name == "CLIP") {
		return fmt.Errorf("session: the %s demo has no stand-in for %s", s.kind.name, d.Name)
	}
	spec.ID = what
	ds, err := datasets.OpenDir(spec, s.ModelDir)
	if err != nil {
		return err
	}
	d.Dataset, d.Classes = ds, ds.LabelNames
	d.Title = fmt.Sprintf("%s (standing in for %s)", what, d.Name)
	if len(d.Classes) == 0 {
		return fmt.Errorf("session: the demo's %s name no classes", what)
	}
	return nil
}

// Rows reads a whole split into memory (fine for Rotten Tomatoes' sentences; image splits are
// better streamed with Split(name).Rows()).
func (d *Dataset) Rows(split string) ([]datasets.Row, error) {
	sp, err := d.Split(split)
	if err != nil {
		return nil, err
	}
	rows, err := sp.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("session: split %q of %s is empty", split, d.Title)
	}
	return rows, nil
}

// EvalSplit is the split a dataset is evaluated on: the first of validation, valid and test that
// it has.
func (d *Dataset) EvalSplit() (*datasets.Split, error) {
	for _, name := range []string{"validation", "valid", "test"} {
		if sp, err := d.Split(name); err == nil {
			return sp, nil
		}
	}
	return d.Split("validation") // its error lists the splits there are
}

// First reads the first n rows of the evaluation split: a few images (or sentences) to look at.
func (d *Dataset) First(n int) ([]datasets.Row, error) {
	sp, err := d.EvalSplit()
	if err != nil {
		return nil, err
	}
	var rows []datasets.Row
	for row, err := range sp.Rows() {
		if err != nil {
			return nil, err
		}
		if len(rows) == n {
			break
		}
		if row.Image != nil { // the reader reuses its buffers between rows
			row.Image = &datasets.Image{Bytes: append([]byte(nil), row.Image.Bytes...), Path: row.Image.Path}
		}
		rows = append(rows, row)
	}
	return rows, nil
}
