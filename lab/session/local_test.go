package session

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-translab/translab/data"
	"github.com/go-translab/translab/lab/reference"
	"github.com/go-translab/translab/lab/results"
)

// demoModel is a copy of the demo's DistilBERT (or CLIP) folder: a real local model.
func demoModel(t *testing.T, clip bool) string {
	t.Helper()
	dir, err := data.DemoDir()
	if clip {
		dir, err = data.CLIPDemoDir()
	}
	if err != nil {
		t.Fatal(err)
	}
	return reference.CopyFiles(t, dir, filepath.Join(t.TempDir(), "model"))
}

// rottenFolder is a folder of Rotten Tomatoes' layout written by pyarrow (lab/datasets' fixture):
// 34/8/8 sentences and a README naming the classes.
func rottenFolder(t *testing.T) string {
	return reference.CopyFiles(t, filepath.Join("..", "datasets", "testdata", "rotten"), filepath.Join(t.TempDir(), "rt"))
}

func truncate(t *testing.T, path string, keep float64) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, int64(float64(st.Size())*keep)); err != nil {
		t.Fatal(err)
	}
}

// The demo stands in only for the lab's own model: any other model the user named that cannot be
// read is an error naming it, whatever the hub's state.
func TestOnlyTheDefaultModelFallsBack(t *testing.T) {
	reference.Offline(t)
	missing := filepath.Join(t.TempDir(), "no", "such")
	for name, o := range map[string]Options{
		"text, another hub id": func() Options { o := Sentiment(false); o.Model = "someone/other-bert"; return o }(),
		"text, missing folder": func() Options { o := Sentiment(false); o.Model = missing; return o }(),
		"clip, another hub id": func() Options { o := CLIP(false); o.Model = "someone/other-clip"; return o }(),
		"clip, missing folder": func() Options { o := CLIP(false); o.Model = missing; return o }(),
		"text, local model, dataset not cached": func() Options {
			o := Sentiment(false)
			o.Model = demoModel(t, false)
			return o
		}(),
	} {
		o.Progress = io.Discard
		s, err := Setup(context.Background(), o)
		if err == nil {
			t.Errorf("%s: ran (demo %v)", name, s.Demo)
			continue
		}
		want := o.Model
		if strings.HasSuffix(name, "dataset not cached") {
			want = "rotten_tomatoes"
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v does not name %s", name, err, want)
		}
	}
}

// A truncated download is an error at Setup, naming the file — never the demo, and before any
// dataset is looked for.
func TestTruncatedWeightsAreAnError(t *testing.T) {
	reference.Offline(t)
	for _, clip := range []bool{false, true} {
		dir := demoModel(t, clip)
		truncate(t, filepath.Join(dir, "model.safetensors"), 0.6)
		o := Sentiment(false)
		if clip {
			o = CLIP(false)
		}
		o.Model, o.Progress = dir, io.Discard
		s, err := Setup(context.Background(), o)
		if err == nil {
			t.Fatalf("clip %v: a truncated model ran (demo %v)", clip, s.Demo)
		}
		if !strings.Contains(err.Error(), filepath.Join(dir, "model.safetensors")) {
			t.Errorf("clip %v: %v does not name the file", clip, err)
		}
	}
}

// A local folder of parquet splits is the exercise's dataset, found by the hub's split rules,
// offline, and named as the folder it is.
func TestLocalDatasetFolder(t *testing.T) {
	reference.Offline(t)
	rt := rottenFolder(t)
	o := Sentiment(false)
	o.Model, o.Dataset, o.Progress = demoModel(t, false), rt, io.Discard
	s, err := Setup(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if s.Demo {
		t.Fatal("a local model and dataset ran the demo")
	}
	d, err := s.Dataset(context.Background(), "rotten_tomatoes") // as ex1 and ex2 ask for it
	if err != nil {
		t.Fatal(err)
	}
	if d.Title != rt || !slices.Equal(d.Classes, []string{"neg", "pos"}) || d.Dir != rt {
		t.Errorf("title %q, classes %v, dir %q", d.Title, d.Classes, d.Dir)
	}
	rows, err := d.Rows("train")
	if err != nil || len(rows) != 34 || rows[0].Text != "a gorgeous , witty , seductive movie ." {
		t.Fatalf("train: %d rows, %v", len(rows), err)
	}

	// Saved results name the model and the folder, with the sha256 of every file read.
	path := filepath.Join(t.TempDir(), "r.json")
	run := s.Results("test")
	if err := run.Metric("test/accuracy", 0.5); err != nil {
		t.Fatal(err)
	}
	if err := run.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := results.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Model == nil || got.Model.ID != o.Model || len(got.Datasets) != 1 || got.Datasets[0].ID != rt || got.Backend.Config == "" {
		t.Fatalf("manifest %+v", got)
	}
	want, _ := results.Hash(filepath.Join(rt, "train.parquet"))
	if !slices.Contains(got.Datasets[0].Files, want) || len(got.Datasets[0].Files) != 4 { // the README and three splits
		t.Errorf("dataset files %+v lack %+v", got.Datasets[0].Files, want)
	}
	weights, _ := results.Hash(filepath.Join(o.Model, "model.safetensors"))
	if !slices.Contains(got.Model.Files, weights) {
		t.Errorf("model files %+v lack %+v", got.Model.Files, weights)
	}
}

// A corrupt or missing split is an error naming the file or the folder, at Setup.
func TestBrokenDatasetFolder(t *testing.T) {
	reference.Offline(t)
	model := demoModel(t, false)
	cases := map[string]struct {
		damage func(dir string)
		want   func(dir string) string
	}{
		"truncated split": {func(dir string) { truncate(t, filepath.Join(dir, "validation.parquet"), 0.5) },
			func(dir string) string { return filepath.Join(dir, "validation.parquet") }},
		"garbage split": {func(dir string) {
			os.WriteFile(filepath.Join(dir, "test.parquet"), []byte("not parquet at all"), 0o644)
		},
			func(dir string) string { return filepath.Join(dir, "test.parquet") }},
		"Git LFS pointer": {func(dir string) {
			os.WriteFile(filepath.Join(dir, "train.parquet"), []byte("version https://git-lfs.github.com/spec/v1\noid sha256:0123\nsize 3400\n"), 0o644)
		}, func(dir string) string { return "git lfs pull" }},
		"missing split": {func(dir string) { os.Remove(filepath.Join(dir, "validation.parquet")) },
			func(dir string) string { return `no split "validation"` }},
		"no data at all": {func(dir string) {
			for _, f := range []string{"train", "validation", "test"} {
				os.Remove(filepath.Join(dir, f+".parquet"))
			}
		}, func(dir string) string { return dir + ": no data files: want parquet, CSV, TSV or JSON-lines files" }},
	}
	for name, c := range cases {
		dir := rottenFolder(t)
		c.damage(dir)
		o := Sentiment(false)
		o.Model, o.Dataset, o.Progress = model, dir, io.Discard
		s, err := Setup(context.Background(), o)
		if err == nil {
			// A missing split is found when the exercise asks for it.
			var d *Dataset
			if d, err = s.Dataset(context.Background(), "rotten_tomatoes"); err == nil {
				_, err = d.Rows("validation")
			}
		}
		if err == nil || !strings.Contains(err.Error(), c.want(dir)) {
			t.Errorf("%s: %v, want an error naming %q", name, err, c.want(dir))
		}
	}
	o := Sentiment(false)
	o.Model, o.Dataset, o.Progress = model, filepath.Join(t.TempDir(), "nowhere"), io.Discard
	if _, err := Setup(context.Background(), o); err == nil || !strings.Contains(err.Error(), "nowhere") {
		t.Errorf("a missing folder: %v", err)
	}
}

// A folder that says it is a copy of a catalog dataset — a hub-cache snapshot, or a git clone of
// the repo — gets the catalog's entry and its revision; one that does not stays what it is.
func TestFolderOrigin(t *testing.T) {
	reference.Offline(t)
	const commit = "0123456789abcdef0123456789abcdef01234567"
	snapshot := reference.CopyFiles(t, filepath.Join("..", "datasets", "testdata", "rotten"),
		filepath.Join(t.TempDir(), "datasets--cornell-movie-review-data--rotten_tomatoes", "snapshots", commit))
	clone := rottenFolder(t)
	os.MkdirAll(filepath.Join(clone, ".git", "refs", "heads"), 0o755)
	os.WriteFile(filepath.Join(clone, ".git", "config"), []byte("[core]\n\tbare = false\n[remote \"origin\"]\n\turl = https://huggingface.co/datasets/cornell-movie-review-data/rotten_tomatoes\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n"), 0o644)
	os.WriteFile(filepath.Join(clone, ".git", "HEAD"), []byte("ref: refs/heads/main\n"), 0o644)
	os.WriteFile(filepath.Join(clone, ".git", "packed-refs"), []byte("# pack-refs with: peeled fully-peeled sorted\n"+commit+" refs/heads/main\n"), 0o644)
	model := demoModel(t, false)
	for name, dir := range map[string]string{"snapshot": snapshot, "clone": clone} {
		o := Sentiment(false)
		o.Model, o.Dataset, o.Progress = model, dir, io.Discard
		s, err := Setup(context.Background(), o)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d, _ := s.Dataset(context.Background(), "rotten_tomatoes")
		if d.Entry.Name != "rotten_tomatoes" || d.Revision != commit || d.Title != "rotten_tomatoes ("+dir+")" {
			t.Errorf("%s: entry %q, revision %q, title %q", name, d.Entry.Name, d.Revision, d.Title)
		}
	}
	if id, rev := origin(rottenFolder(t)); id != "" || rev != "" {
		t.Errorf("a plain folder has origin %q@%q", id, rev)
	}
}

// An image folder outside the catalog: its classes come from its own README, prompts from the
// photo template.
func TestLocalImageFolder(t *testing.T) {
	reference.Offline(t)
	model := demoModel(t, true)
	shapes := filepath.Join(t.TempDir(), "shapes")
	os.MkdirAll(shapes, 0o755)
	for _, f := range []string{"README.md", "train.parquet", "test.parquet"} {
		raw, _ := os.ReadFile(filepath.Join(model, f))
		os.WriteFile(filepath.Join(shapes, f), raw, 0o644)
	}
	o := CLIP(false)
	o.Model, o.Dataset, o.Progress = model, shapes, io.Discard
	s, err := Setup(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Dataset(context.Background(), shapes)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Classes, []string{"red circle", "green square", "blue triangle", "yellow ring", "blue square", "red triangle", "yellow circle", "green ring"}) || d.Entry.Templates != nil || d.Name != "shapes" {
		t.Errorf("classes %v, templates %v, name %q", d.Classes, d.Entry.Templates, d.Name)
	}
	if sp, err := d.EvalSplit(); err != nil || sp.NumRows != 96 {
		t.Errorf("eval split: %v", err)
	}
}

// With the demo, a local folder is not refused: the demo model runs on the user's data, and the
// banner says so.
func TestDemoRunsOnAFolder(t *testing.T) {
	reference.Offline(t)
	o := Sentiment(true)
	rt := rottenFolder(t)
	o.Dataset, o.Progress = rt, io.Discard
	s, err := Setup(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Dataset(context.Background(), "rotten_tomatoes")
	if err != nil || d.Demo || d.Dir != rt || len(d.Splits) != 3 {
		t.Fatalf("dataset %+v, %v", d, err)
	}
	if b := string(s.Banner("ex1")); !s.Demo || !strings.Contains(b, "DEMO (asked for): your dataset "+rt+" with a tiny DistilBERT pretrained") {
		t.Errorf("banner %q", b)
	}
	// A hub id is not the user's data at hand: the demo still refuses it.
	o.Dataset = "someone/reviews"
	if _, err := Setup(context.Background(), o); err == nil || !strings.Contains(err.Error(), o.Dataset) {
		t.Errorf("demo with a hub id: %v", err)
	}
}

// A local dataset is read before the model: offline, its faults are what is reported, not the
// model's absence; and when only the lab's own model is missing, the demo model runs on it.
func TestLocalDatasetBeforeModel(t *testing.T) {
	reference.Offline(t)
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "train.csv"), []byte("text,y\nfine,1\n"), 0o644)
	for _, model := range []string{"someone/other-bert", "distilbert-base-uncased"} {
		o := Sentiment(false)
		o.Model, o.Dataset, o.Progress = model, bad, io.Discard
		if _, err := Setup(context.Background(), o); err == nil || !strings.Contains(err.Error(), filepath.Join(bad, "train.csv")+`: no column "label" (the file has: text, y)`) {
			t.Errorf("%s: %v", model, err)
		}
	}
	o := Sentiment(false)
	o.Dataset, o.LabelColumn, o.Progress = bad, "y", io.Discard
	s, err := Setup(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if b := string(s.Banner("ex1")); !s.Demo || !strings.Contains(b, "is not cached): your dataset "+bad) {
		t.Errorf("demo %v, banner %q", s.Demo, b)
	}
	o.Model = "someone/other-bert" // a model the user named never falls back
	if _, err := Setup(context.Background(), o); err == nil || !strings.Contains(err.Error(), o.Model) {
		t.Errorf("another model: %v", err)
	}
}

// An image folder: classes from the folder names, prompts with spaces; zero-shot classifies its
// one split whole; a text session refuses it.
func TestImageFolderDataset(t *testing.T) {
	reference.Offline(t)
	dir := t.TempDir()
	for _, f := range []string{"sea_lake/1.png", "sea_lake/2.png", "annual-crop/1.png"} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755)
		os.WriteFile(filepath.Join(dir, f), []byte("png"), 0o644)
	}
	o := CLIP(false)
	o.Model, o.Dataset, o.Progress = demoModel(t, true), dir, io.Discard
	s, err := Setup(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Dataset(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Classes, []string{"annual crop", "sea lake"}) || !slices.Equal(d.LabelNames, []string{"annual-crop", "sea_lake"}) || d.HasEvalSplit() {
		t.Errorf("classes %v, label names %v", d.Classes, d.LabelNames)
	}
	if sp, err := d.EvalSplit(); err != nil || sp.Name != "train" || sp.NumRows != 3 {
		t.Errorf("eval split: %v", err)
	}
	path := filepath.Join(t.TempDir(), "r.json")
	if err := s.Results("x").Save(path); err != nil {
		t.Fatal(err)
	}
	if run, err := results.Load(path); err != nil || len(run.Datasets) != 1 || len(run.Datasets[0].Files) != 3 || run.Datasets[0].ID != dir {
		t.Errorf("manifest: %+v, %v", run, err)
	}
	to := Sentiment(true)
	to.Dataset, to.Progress = dir, io.Discard
	if _, err := Setup(context.Background(), to); err == nil || !strings.Contains(err.Error(), dir+" is a folder of images") {
		t.Errorf("a text session on images: %v", err)
	}
}

// The demo's manifest says so, and why.
func TestDemoResults(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	o := Sentiment(true)
	o.Progress = io.Discard
	s, err := Setup(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Dataset(context.Background(), "rotten_tomatoes"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "r.json")
	run := s.Results("ex1")
	run.Seed("samples", 42)
	if err := run.Save(path); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if m["demo"] != true || m["demo_why"] != "asked for" || !strings.HasPrefix(m["datasets"].([]any)[0].(map[string]any)["id"].(string), "demo: ") {
		t.Errorf("manifest:\n%s", raw)
	}
	if err := run.Metric("nan", math.NaN()); err == nil {
		t.Error("a NaN metric was accepted")
	}
}

// A tokenizer with more tokens than the model's embeddings is refused when it is loaded, naming
// both files, instead of indexing past the embedding table at the first rare word.
func TestTokenizerLargerThanTheModelIsRefused(t *testing.T) {
	demo, err := data.DemoDir()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range []string{"model.safetensors", "tokenizer.json", "tokenizer_config.json"} {
		raw, err := os.ReadFile(filepath.Join(demo, f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, f), raw, 0o644)
	}
	var cfg map[string]any
	raw, _ := os.ReadFile(filepath.Join(demo, "config.json"))
	json.Unmarshal(raw, &cfg)
	cfg["vocab_size"] = 10
	raw, _ = json.Marshal(cfg)
	os.WriteFile(filepath.Join(dir, "config.json"), raw, 0o644)
	s := &Session{ModelDir: dir}
	_, err = s.Tokenizer()
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "tokenizer.json")) || !strings.Contains(err.Error(), "vocab_size 10") {
		t.Errorf("err %v", err)
	}
}
