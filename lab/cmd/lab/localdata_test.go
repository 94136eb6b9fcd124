package main

// The user's own data (issue 18): image folders with one folder per class, and CSV / TSV /
// JSON-lines files by split, with --text-column / --label-column. The demo's fixtures, re-laid-out,
// must give the numbers they give as parquet.

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-translab/translab/data"
	"github.com/go-translab/translab/lab/datasets"
	"github.com/go-translab/translab/lab/npy"
	"github.com/go-translab/translab/lab/reference"
	"github.com/go-translab/translab/lab/results"
)

// demoSplits copies the parquet splits (and card) of a demo folder into dst, and reads them.
func demoSplits(t *testing.T, clip bool, dst string) *datasets.Dataset {
	t.Helper()
	src, err := data.DemoDir()
	spec := datasets.RottenTomatoes
	if clip {
		src, err = data.CLIPDemoDir()
		spec = datasets.Spec{ImageColumn: "image", LabelColumn: "label"}
	}
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(dst, 0o755)
	entries, _ := os.ReadDir(src)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".parquet") || e.Name() == "README.md" {
			raw, _ := os.ReadFile(filepath.Join(src, e.Name()))
			os.WriteFile(filepath.Join(dst, e.Name()), raw, 0o644)
		}
	}
	d, err := datasets.OpenDir(spec, dst)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func readSplit(t *testing.T, d *datasets.Dataset, name string) []datasets.Row {
	t.Helper()
	sp, err := d.Split(name)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := sp.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func loadRun(t *testing.T, path string) *results.Run {
	t.Helper()
	run, err := results.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// ex1 on the demo's reviews as train.csv/validation.csv/test.csv with SST-2-like columns
// (sentence, and y holding "neg"/"pos") reports what it reports on the same data as parquet.
func TestEx1CSVMatchesParquet(t *testing.T) {
	reference.Offline(t)
	pq := filepath.Join(t.TempDir(), "reviews")
	d := demoSplits(t, false, pq)
	csvDir := filepath.Join(t.TempDir(), "reviews")
	os.MkdirAll(csvDir, 0o755)
	for _, split := range d.Available {
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.Write([]string{"sentence", "y"})
		for _, r := range readSplit(t, d, split) {
			w.Write([]string{r.Text, d.LabelNames[r.Label]})
		}
		w.Flush()
		os.WriteFile(filepath.Join(csvDir, split+".csv"), buf.Bytes(), 0o644)
	}
	dir := t.TempDir()
	_, stderr, code := runLab(t, "ex1", "--demo", "--dataset", pq, "--results", filepath.Join(dir, "pq.json"))
	if code != 0 {
		t.Fatalf("parquet: exit %d: %s", code, stderr)
	}
	stdout, stderr, code := runLab(t, "ex1", "--demo", "--dataset", csvDir, "--text-column", "sentence", "--label-column", "y", "--results", filepath.Join(dir, "csv.json"))
	if code != 0 {
		t.Fatalf("csv: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "DEMO (asked for): your dataset "+csvDir) || !strings.Contains(stderr, `the labels of column "y" are strings, numbered in sorted order (as HF's ClassLabel): 0 neg, 1 pos`) {
		t.Errorf("banner or mapping missing:\n%s\n%s", stdout, stderr)
	}
	a, b := loadRun(t, filepath.Join(dir, "pq.json")), loadRun(t, filepath.Join(dir, "csv.json"))
	for _, m := range []string{"validation/accuracy", "test/accuracy", "test/macro avg/f1"} {
		if va, ok := a.Metrics[m]; !ok || b.Metrics[m] != va {
			t.Errorf("%s: parquet %v, csv %v", m, a.Metrics[m], b.Metrics[m])
		}
	}
	if b.Options["text-column"] != "sentence" || b.Options["label-column"] != "y" || len(b.Datasets) != 1 || len(b.Datasets[0].Files) != 3 {
		t.Errorf("csv manifest: options %v, datasets %+v", b.Options, b.Datasets)
	}

	// A column the files lack: one line naming the file and the columns it has, before any model.
	_, stderr, code = runLab(t, "ex1", "--demo", "--dataset", csvDir, "--text-column", "review", "--label-column", "y")
	want := fmt.Sprintf(`%s: no column "review" (the file has: sentence, y)`, filepath.Join(csvDir, "test.csv"))
	if code != 1 || !strings.Contains(stderr, want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("missing column: exit %d, %q, want %q", code, stderr, want)
	}
}

// The demo's shapes laid out as image folders: zero-shot gives the parquet's accuracy on
// DIR/{train,test}/CLASS; on DIR/CLASS it classifies every image, skipping and counting a corrupt
// one; adapt holds a seeded quarter out and says so in the manifest.
func TestEx3ImageFolders(t *testing.T) {
	reference.Offline(t)
	pq := filepath.Join(t.TempDir(), "shapes")
	d := demoSplits(t, true, pq)
	bySplit := filepath.Join(t.TempDir(), "shapes")
	flat := filepath.Join(t.TempDir(), "shapes")
	n := 0
	for _, split := range d.Available {
		for i, r := range readSplit(t, d, split) {
			class := strings.ReplaceAll(d.LabelNames[r.Label], " ", "_")
			ext := ".jpg"
			if bytes.HasPrefix(r.Image.Bytes, []byte("\x89PNG")) {
				ext = ".png"
			}
			for _, p := range []string{filepath.Join(bySplit, split, class), filepath.Join(flat, class)} {
				os.MkdirAll(p, 0o755)
				os.WriteFile(filepath.Join(p, fmt.Sprintf("%s-%03d%s", split, i, ext)), r.Image.Bytes, 0o644)
			}
			n++
		}
	}
	os.WriteFile(filepath.Join(flat, "red_circle", "broken.png"), []byte("\x89PNG not really"), 0o644)

	dir := t.TempDir()
	for _, ds := range []string{pq, bySplit} {
		_, stderr, code := runLab(t, "ex3", "zero-shot", "--demo", "--dataset", ds, "--results", filepath.Join(dir, filepath.Base(filepath.Dir(ds))+".json"))
		if code != 0 {
			t.Fatalf("zero-shot on %s: exit %d: %s", ds, code, stderr)
		}
	}
	a, b := loadRun(t, filepath.Join(dir, filepath.Base(filepath.Dir(pq))+".json")), loadRun(t, filepath.Join(dir, filepath.Base(filepath.Dir(bySplit))+".json"))
	if top1, ok := a.Metrics["shapes/top1"]; !ok || b.Metrics["shapes/top1"] != top1 || b.Metrics["shapes/images"] != a.Metrics["shapes/images"] {
		t.Errorf("zero-shot: parquet %v, image folders %v", a.Metrics, b.Metrics)
	}

	stdout, stderr, code := runLab(t, "ex3", "zero-shot", "--demo", "--dataset", flat, "--results", filepath.Join(dir, "flat.json"))
	if code != 0 || !strings.Contains(stdout, "red circle") || !strings.Contains(stderr, "skipped 1 image(s)") {
		t.Fatalf("zero-shot on DIR/CLASS: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if got := loadRun(t, filepath.Join(dir, "flat.json")).Metrics["shapes/images"]; got != float64(n) {
		t.Errorf("DIR/CLASS: %v images classified, want all %d but the broken one", got, n)
	}

	stdout, stderr, code = runLab(t, "ex3", "adapt", "--demo", "--dataset", flat, "--methods", "zero-shot,linear-probe,lora,bitfit,layernorm", "--towers", "vision,text,both",
		"--shots", "2", "--eval", "8", "--seed", "7", "--epochs", "1", "--results", filepath.Join(dir, "adapt.json"))
	if code != 0 || !strings.Contains(stdout, "25% of each class held out") || !strings.Contains(stdout, "Adaptation strategies — ") || !strings.Contains(stdout, "WiSE-FT") {
		t.Fatalf("adapt on DIR/CLASS: exit %d\n%s\n%s", code, stdout, stderr)
	}
	run := loadRun(t, filepath.Join(dir, "adapt.json"))
	if run.Seeds["held-out split"] != 7 || run.Metrics["linear-probe/accuracy"] < 0 {
		t.Errorf("adapt manifest: seeds %v, metrics %v", run.Seeds, run.Metrics)
	}
	// Every method on every tower ran, and WiSE-FT scored the LoRA runs.
	for _, m := range []string{"lora", "lora-text", "lora-both", "bitfit", "bitfit-text", "bitfit-both", "layernorm", "layernorm-text", "layernorm-both", "lora-text/wise/alpha=0.5"} {
		if _, ok := run.Metrics[m+"/accuracy"]; !ok {
			t.Errorf("adapt manifest lacks %s/accuracy: %v", m, run.Metrics)
		}
	}
}

// Bad image-folder layouts fail at once, in one line naming the folder and what it has.
func TestImageFolderLayoutErrors(t *testing.T) {
	reference.Offline(t)
	one := t.TempDir()
	os.MkdirAll(filepath.Join(one, "cats"), 0o755)
	os.WriteFile(filepath.Join(one, "cats", "a.png"), []byte("x"), 0o644)
	loose := t.TempDir()
	os.WriteFile(filepath.Join(loose, "a.png"), []byte("x"), 0o644)
	for dir, want := range map[string]string{
		one:   one + ": only one class folder (cats); want two or more, one folder per class",
		loose: loose + ": a.png is not in a class folder",
	} {
		for _, verb := range [][]string{{"ex3", "zero-shot"}, {"ex3", "adapt"}} {
			stdout, stderr, code := runLab(t, append(verb, "--demo", "--dataset", dir)...)
			if code != 1 || !strings.Contains(stderr, want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || stdout != "" {
				t.Errorf("%v %s: exit %d, %q", verb, dir, code, stderr)
			}
		}
	}
}

// Exercise 1's embed → svm route on CSV files: embed reads the named columns, writes labels
// numbered as the folder's splits number them, and gives the features the same sentences give
// one per line.
func TestEmbedCSVForSVM(t *testing.T) {
	reference.Offline(t)
	model := localModel(t, false)
	dir := t.TempDir()
	train := "sentence,y\n\"a warm, funny film\",pos\ndull and long,neg\nsplendid acting,pos\nawful,neg\nso-so,meh\n"
	test := "sentence,y\nlovely,pos\nboring,neg\n"
	os.WriteFile(filepath.Join(dir, "train.csv"), []byte(train), 0o644)
	os.WriteFile(filepath.Join(dir, "test.csv"), []byte(test), 0o644)
	os.WriteFile(filepath.Join(dir, "test.txt"), []byte("lovely\nboring\n"), 0o644)
	out := func(name string) string { return filepath.Join(dir, name) }
	for _, split := range []string{"train", "test"} {
		_, stderr, code := runLab(t, "embed", "--model", model, "--input", out(split+".csv"), "--text-column", "sentence", "--label-column", "y",
			"--out", out(split+"-x.npy"), "--out-labels", out(split+"-y.npy"))
		if code != 0 || !strings.Contains(stderr, "numbered in sorted order: 0 meh, 1 neg, 2 pos") {
			t.Fatalf("embed %s: exit %d: %s", split, code, stderr)
		}
	}
	if _, stderr, code := runLab(t, "embed", "--model", model, "--input", out("test.txt"), "--out", out("lines-x.npy")); code != 0 {
		t.Fatalf("embed lines: %s", stderr)
	}
	y, err := npy.Read(out("test-y.npy"))
	if err != nil || !slices.Equal(y.I64, []int64{2, 1}) {
		t.Errorf("test labels %v, %v", y, err)
	}
	a, _ := npy.Read(out("test-x.npy"))
	b, _ := npy.Read(out("lines-x.npy"))
	if a == nil || b == nil || !slices.Equal(a.F32, b.F32) || !slices.Equal(a.Shape, b.Shape) {
		t.Error("the CSV's features differ from the same sentences' one per line")
	}
	stdout, stderr, code := runLab(t, "svm", "--train-x", out("train-x.npy"), "--train-y", out("train-y.npy"), "--test-x", out("test-x.npy"), "--test-y", out("test-y.npy"), "--out-pred", out("p.npy"))
	if code != 0 || !strings.Contains(stdout, "accuracy") {
		t.Errorf("svm: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--input", out("test.csv"), "--text-column", "review"}, `test.csv: no column "review" (the file has: sentence, y)`},
		{[]string{"--input", out("test.txt"), "--text-column", "sentence"}, "columns are for a .csv, .tsv or .jsonl --input"},
		{[]string{"--input", out("test.csv"), "--label-column", "y"}, "--label-column and --out-labels go together"},
	} {
		_, stderr, code := runLab(t, append([]string{"embed", "--model", model, "--out", out("bad.npy")}, c.args...)...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %q", c.args, code, stderr)
		}
		mustNotExist(t, "bad embed", out("bad.npy"))
	}
}
