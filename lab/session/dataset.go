package session

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-translab/translab/data"
	"github.com/go-translab/translab/lab/datasets"
	"github.com/go-translab/translab/lab/hub"
)

// Dataset is a dataset as the session opened it: a catalog dataset from the hub at the catalog's
// revision, another hub dataset, a local folder — or, in the demo, the embedded fixture standing in
// for a catalog dataset, which says so in its title.
type Dataset struct {
	*datasets.Dataset
	Name    string     // the catalog name, e.g. "imagenette"; for another dataset a short name of it
	Title   string     // what tables call it: the name, "rotten_tomatoes (./rt)", or "demo shapes (standing in for imagenette)"
	Entry   data.Entry // the catalog's entry (prompt templates, the seed lab's accuracy), or one made for another dataset
	Classes []string   // readable class names in label order, for prompts and tables
	Demo    bool
	// Ref is the dataset as it was asked for; Dir the local folder read (a folder, a snapshot in
	// the hub cache, or the demo's); Revision the commit its files are at, when known.
	Ref, Dir, Revision string
}

// Dataset opens a dataset by reference: a catalog name (data/catalog.json), a hub dataset id
// ("org/name", "datasets/org/name@revision"), or a local folder holding a dataset repo's files — a
// git clone of the repo or a snapshot folder — whose parquet splits are found by the same rules as
// on the hub. A folder that is a copy of a catalog dataset (a snapshot in a hub cache, or a clone
// whose remote is the catalog's repo) gets the catalog's class names and prompts. A local folder may
// also hold images in one folder per class (DIR/CLASS/*.jpg, DIR/train/CLASS/*.jpg: classes and
// prompts from the folder names) or CSV, TSV or JSON-lines files by split (DIR/train.csv, …; the
// Options' column names say which columns to read). In the demo, catalog names open the fixture
// standing in for them, and a local folder is read as it is. For Sentiment, the exercise's own name
// ("rotten_tomatoes") returns the dataset Options.Dataset named.
func (s *Session) Dataset(ctx context.Context, ref string) (*Dataset, error) {
	if d, ok := s.datasets[ref]; ok {
		return d, nil
	}
	if ref == "" {
		return nil, errors.New("session: no dataset named")
	}
	var d *Dataset
	var err error
	switch {
	case s.Demo && !isFolder(ref):
		e, lerr := data.Lookup(ref)
		if lerr != nil {
			return nil, fmt.Errorf("session: the demo's fixtures stand in for the catalog's datasets only (%s), not for %s", catalogNames(), ref)
		}
		d = &Dataset{Name: e.Name, Title: e.Name, Entry: e, Demo: true, Ref: ref}
		err = d.openDemo(s)
	case isFolder(ref):
		d, err = s.openFolder(ref)
	default:
		d, err = s.openHub(ctx, ref)
	}
	if err != nil {
		return nil, err
	}
	s.datasets[ref] = d
	return d, nil
}

// isFolder says whether a dataset reference is a local folder: one that exists, or a path that
// cannot be a hub id.
func isFolder(ref string) bool {
	if _, err := data.Lookup(ref); err == nil {
		return false
	}
	if _, err := os.Stat(ref); err == nil {
		return true
	}
	return filepath.IsAbs(ref) || ref == "." || ref == ".." || strings.HasPrefix(ref, "./") || strings.HasPrefix(ref, "../") ||
		strings.HasPrefix(ref, "~")
}

func inCatalog(ref string) bool {
	_, err := data.Lookup(ref)
	return err == nil
}

func catalogNames() string {
	entries, _ := data.Catalog()
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name
	}
	return strings.Join(names, ", ")
}

// openHub opens a catalog dataset, or another dataset repo on the hub.
func (s *Session) openHub(ctx context.Context, ref string) (*Dataset, error) {
	if e, err := data.Lookup(ref); err == nil {
		d := &Dataset{Name: e.Name, Title: e.Name, Entry: e, Ref: ref}
		return d, d.open(ctx, s.Hub)
	}
	r := hub.ParseRepo(strings.TrimPrefix(ref, "datasets/"))
	if !strings.Contains(r.ID, "/") {
		return nil, fmt.Errorf("session: dataset %q: not in the catalog (%s), and not a hub id (org/name) or a local folder", ref, catalogNames())
	}
	if e, err := data.Lookup(r.ID); err == nil { // a catalog dataset at another revision
		if r.Revision != "" {
			e.Revision, e.RevisionFallback = r.Revision, ""
		}
		d := &Dataset{Name: e.Name, Title: ref, Entry: e, Ref: ref}
		return d, d.open(ctx, s.Hub)
	}
	e := s.entryFor(r.ID, path.Base(r.ID))
	e.Revision = r.Revision
	d := &Dataset{Name: e.Name, Title: ref, Entry: e, Ref: ref}
	if err := d.open(ctx, s.Hub); err != nil {
		return nil, err
	}
	return d, nil
}

// openFolder opens a local copy of a dataset repo.
func (s *Session) openFolder(dir string) (*Dataset, error) {
	st, err := os.Stat(dir)
	switch {
	case err != nil:
		return nil, fmt.Errorf("session: dataset folder %s: %w", dir, unwrapPath(err))
	case !st.IsDir():
		return nil, fmt.Errorf("session: dataset %s is a file; want the folder holding the dataset's files", dir)
	}
	id, rev := origin(dir)
	e, err := data.Lookup(id)
	catalog := id != "" && err == nil
	if !catalog {
		e = s.entryFor(id, filepath.Base(filepath.Clean(dir)))
	} else {
		e.Columns = s.withColumns(e.Columns)
	}
	title := dir
	if catalog {
		title = fmt.Sprintf("%s (%s)", e.Name, dir)
	}
	d := &Dataset{Name: e.Name, Title: title, Entry: e, Ref: dir, Dir: dir, Revision: rev}
	ds, err := datasets.OpenDir(e.Spec(), dir)
	if err != nil {
		return nil, err
	}
	ds.Commit = rev
	if ds.Format == datasets.FormatImageFolder && s.kind.columns.Image == "" {
		return nil, fmt.Errorf("session: %s is a folder of images; %s reads sentences (CSV, TSV, JSON-lines or parquet files)", dir, s.kind.name)
	}
	if err := d.setClasses(ds, catalog); err != nil {
		return nil, err
	}
	if ds.LabelsFromStrings {
		s.Notef("session: %s: the labels of column %q are strings, numbered in sorted order (as HF's ClassLabel): %s", dir, ds.Spec.LabelColumn, labelMapping(ds.LabelNames))
	}
	return d, nil
}

// labelMapping writes label names as "0 neg, 1 pos", eliding the middle of a long list.
func labelMapping(names []string) string {
	var parts []string
	for i, n := range names {
		if len(names) > 12 && i == 10 {
			parts = append(parts, "…")
		}
		if len(names) <= 12 || i < 10 || i == len(names)-1 {
			parts = append(parts, fmt.Sprintf("%d %s", i, n))
		}
	}
	return strings.Join(parts, ", ")
}

// withColumns puts the Options' column names over a dataset's usual ones.
func (s *Session) withColumns(c data.Columns) data.Columns {
	if s.columns.Text != "" {
		c.Text = s.columns.Text
	}
	if s.columns.Label != "" {
		c.Label = s.columns.Label
	}
	if s.columns.Image != "" {
		c.Image = s.columns.Image
	}
	return c
}

// entryFor makes a catalog-like entry for a dataset outside the catalog: the columns the lab's
// exercises of this kind read (text or image, and label). A text dataset stands in for the
// exercise's own, whose class names it takes when it names none itself.
func (s *Session) entryFor(id, name string) data.Entry {
	e := data.Entry{Name: name, HFID: id, Columns: s.withColumns(s.kind.columns)}
	if s.kind.dataset != "" {
		if own, err := data.Lookup(s.kind.dataset); err == nil {
			e.LabelNames = own.LabelNames
		}
	}
	return e
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
	d.Revision = ds.Commit
	if sp := firstSplit(ds); sp != nil && len(sp.Files) > 0 {
		d.Dir = filepath.Dir(sp.Files[0])
	}
	_, catalog := catalogEntry(d.Entry)
	return d.setClasses(ds, catalog)
}

// catalogEntry says whether e is the catalog's own entry (by hub id).
func catalogEntry(e data.Entry) (data.Entry, bool) {
	c, err := data.Lookup(e.HFID)
	return c, err == nil && e.HFID != ""
}

// setClasses takes the class names: the catalog's reading of the dataset's own for a catalog
// dataset; for another, the dataset's own (WordNet ids made readable), else the entry's.
func (d *Dataset) setClasses(ds *datasets.Dataset, catalog bool) error {
	d.Dataset = ds
	var err error
	if catalog {
		d.Classes, err = d.Entry.ClassNames(ds.LabelNames)
		return err
	}
	names := ds.LabelNames
	if len(names) == 0 {
		names = d.Entry.LabelNames
	}
	if len(names) == 0 {
		return fmt.Errorf("session: dataset %s names no classes (its README's dataset_info or its parquet files' metadata should list them)", d.Ref)
	}
	if allWNIDs(names) {
		if readable, err := data.ReadableNames(names); err == nil {
			names = readable
		}
	} else if ds.Format == datasets.FormatImageFolder {
		names = promptNames(names)
	}
	d.Classes = names
	return nil
}

// promptNames are class folders' names as words for prompts: "sea_lake" and "sea-lake" say "sea lake".
func promptNames(folders []string) []string {
	out := make([]string, len(folders))
	for i, f := range folders {
		out[i] = strings.Join(strings.FieldsFunc(f, func(r rune) bool { return r == '_' || r == '-' || r == ' ' }), " ")
		if out[i] == "" {
			out[i] = f
		}
	}
	return out
}

func allWNIDs(names []string) bool {
	for _, n := range names {
		if len(n) != 9 || n[0] != 'n' || strings.Trim(n[1:], "0123456789") != "" {
			return false
		}
	}
	return true
}

func firstSplit(ds *datasets.Dataset) *datasets.Split {
	for _, name := range ds.Available {
		if sp, ok := ds.Splits[name]; ok {
			return sp
		}
	}
	return nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
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
	d.Dataset, d.Classes, d.Dir = ds, ds.LabelNames, s.ModelDir
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
// it has — or, for a dataset that comes as one split (a folder of class folders), that split, which
// zero-shot classifies whole (adapt holds a part of it out instead: HeldOut).
func (d *Dataset) EvalSplit() (*datasets.Split, error) {
	for _, name := range []string{"validation", "valid", "test"} {
		if sp, err := d.Split(name); err == nil {
			return sp, nil
		}
	}
	if len(d.Available) == 1 {
		return d.Split(d.Available[0])
	}
	return d.Split("validation") // its error lists the splits there are
}

// HasEvalSplit says whether the dataset has a split of its own to evaluate on (validation, valid
// or test).
func (d *Dataset) HasEvalSplit() bool {
	return slices.ContainsFunc(d.Available, func(n string) bool { return n == "validation" || n == "valid" || n == "test" })
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
