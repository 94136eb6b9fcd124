package datasets

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writePNG writes a small PNG whose colour says which image it is.
func writePNG(t *testing.T, p string, shade uint8) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 4, 3))
	for i := range img.Pix {
		img.Pix[i] = shade
	}
	img.Set(0, 0, color.NRGBA{R: 255, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	writeFile(t, p, buf.Bytes())
	return buf.Bytes()
}

func writeFile(t *testing.T, p string, raw []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestImageFolderOneSplit(t *testing.T) {
	dir := t.TempDir()
	want := map[string][]byte{}
	for i, f := range []string{"sea_lake/a.png", "sea_lake/b.png", "forest/x.PNG", "forest/deeper/y.jpg", "annual-crop/1.png"} {
		want[filepath.Join(dir, f)] = writePNG(t, filepath.Join(dir, f), uint8(10*i))
	}
	// Not data: notes beside the images, and a notebook's checkpoints folder.
	writeFile(t, filepath.Join(dir, "forest", "notes.txt"), []byte("taken in May"))
	writePNG(t, filepath.Join(dir, ".ipynb_checkpoints", "z.png"), 1)
	writePNG(t, filepath.Join(dir, "sea_lake", ".hidden", "z.png"), 1)

	d, err := OpenDir(Spec{}, dir)
	if err != nil {
		t.Fatal(err)
	}
	if d.Format != FormatImageFolder || !slices.Equal(d.Available, []string{"train"}) || !slices.Equal(d.LabelNames, []string{"annual-crop", "forest", "sea_lake"}) {
		t.Fatalf("format %q, splits %v, classes %v", d.Format, d.Available, d.LabelNames)
	}
	sp, _ := d.Split("train")
	rows, err := sp.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		rel, _ := filepath.Rel(dir, r.Image.Path)
		got = append(got, fmt.Sprintf("%d %s", r.Label, filepath.ToSlash(rel)))
		if !bytes.Equal(r.Image.Bytes, want[r.Image.Path]) {
			t.Errorf("%s: bytes differ from the file's", r.Image.Path)
		}
	}
	if w := []string{"0 annual-crop/1.png", "1 forest/deeper/y.jpg", "1 forest/x.PNG", "2 sea_lake/a.png", "2 sea_lake/b.png"}; !slices.Equal(got, w) || sp.NumRows != 5 || len(sp.Files) != 5 {
		t.Errorf("rows %v (NumRows %d), want %v", got, sp.NumRows, w)
	}
}

func TestImageFolderSplits(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"train/cat/1.png", "train/cat/2.png", "train/dog/1.png", "val/cat/1.png", "val/dog/1.png", "test/dog/1.png", "test/bird/1.png"} {
		writePNG(t, filepath.Join(dir, f), 0)
	}
	d, err := OpenDir(Spec{}, dir)
	if err != nil {
		t.Fatal(err)
	}
	// "val" is HF's validation; classes are those of every split.
	if !slices.Equal(d.Available, []string{"test", "train", "validation"}) || !slices.Equal(d.LabelNames, []string{"bird", "cat", "dog"}) {
		t.Fatalf("splits %v, classes %v", d.Available, d.LabelNames)
	}
	for name, labels := range map[string][]int{"train": {1, 1, 2}, "validation": {1, 2}, "test": {0, 2}} {
		sp, _ := d.Split(name)
		rows, err := sp.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if got := Labels(rows); !slices.Equal(got, labels) {
			t.Errorf("%s: labels %v, want %v", name, got, labels)
		}
	}
}

// Bad layouts are one-line errors naming the folder and what it has.
func TestImageFolderBadLayouts(t *testing.T) {
	for name, c := range map[string]struct {
		files []string
		want  string
	}{
		"no class folders": {[]string{"a.png", "b.png"}, "a.png is not in a class folder; want one folder per class (DIR/CLASS/a.png)"},
		"one class":        {[]string{"cats/a.png", "cats/b.png"}, "only one class folder (cats); want two or more, one folder per class"},
		"split beside classes": {[]string{"train/cats/a.png", "dogs/b.png"},
			"split folders (train) beside other folders (dogs)"},
		"split without classes": {[]string{"train/a.png", "test/b.png"}, "test/b.png is not in a class folder; want test/CLASS/b.png"},
		"nothing to read":       {[]string{"notes.txt"}, "no data files: want parquet, CSV, TSV or JSON-lines files named by split"},
	} {
		dir := t.TempDir()
		for _, f := range c.files {
			writePNG(t, filepath.Join(dir, f), 0)
		}
		_, err := OpenDir(Spec{}, dir)
		if err == nil || !strings.HasPrefix(err.Error(), "datasets: "+dir+": ") || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") || !errors.Is(err, ErrNoSplit) {
			t.Errorf("%s: %v, want one line naming %s and %q", name, err, dir, c.want)
		}
	}
}

// A corrupt image is read as it is: the decoder that meets it skips and counts it, as with parquet.
// A file that cannot be read at all is an error naming it.
func TestImageFolderUnreadableFile(t *testing.T) {
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "a", "1.png"), 0)
	writeFile(t, filepath.Join(dir, "b", "2.png"), []byte("not a png"))
	d, err := OpenDir(Spec{}, dir)
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := d.Split("train")
	rows, err := sp.ReadAll()
	if err != nil || string(rows[1].Image.Bytes) != "not a png" {
		t.Fatalf("%v, %+v", err, rows)
	}
	gone := filepath.Join(dir, "a", "1.png")
	os.Remove(gone)
	if _, err := sp.ReadAll(); err == nil || !strings.Contains(err.Error(), gone) || !errors.Is(err, ErrFormat) {
		t.Errorf("a vanished image: %v", err)
	}
}

func TestHoldOut(t *testing.T) {
	var rows []Row
	for i := range 40 {
		rows = append(rows, Row{Index: i, Label: []int{0, 0, 0, 1, 1, 2, 2, 2, 2, 3}[i%10]})
	}
	rows = append(rows, Row{Index: 40, Label: 4}) // a class of one stays in training
	s := &Split{Name: "train", Files: []string{"x"}, inMemory: true, local: rows, NumRows: len(rows)}
	rest, held, err := s.HoldOut(0.25, 7)
	if err != nil {
		t.Fatal(err)
	}
	count := func(sp *Split) map[int]int {
		m := map[int]int{}
		for _, r := range sp.local {
			m[r.Label]++
		}
		return m
	}
	// round(0.25 × n) per class: 12→3, 8→2, 16→4, 4→1; the lone row of class 4 is never held out.
	if got, want := count(held), map[int]int{0: 3, 1: 2, 2: 4, 3: 1}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("held out per class %v, want %v", got, want)
	}
	if rest.NumRows+held.NumRows != len(rows) || held.Name != "test" || rest.Name != "train" {
		t.Errorf("rest %d + held %d rows of %d", rest.NumRows, held.NumRows, len(rows))
	}
	var all []int
	for _, sp := range []*Split{rest, held} {
		idx := make([]int, 0, sp.NumRows)
		for r, err := range sp.Rows() {
			if err != nil {
				t.Fatal(err)
			}
			idx = append(idx, r.Index)
		}
		if !slices.IsSorted(idx) {
			t.Errorf("%s: rows out of order %v", sp.Name, idx)
		}
		all = append(all, idx...)
	}
	slices.Sort(all)
	if len(slices.Compact(all)) != len(rows) {
		t.Errorf("the parts overlap or lose rows: %v", all)
	}
	_, again, _ := s.HoldOut(0.25, 7)
	_, other, _ := s.HoldOut(0.25, 8)
	if !slices.Equal(Labels(again.local), Labels(held.local)) || fmt.Sprint(indexes(again.local)) != fmt.Sprint(indexes(held.local)) {
		t.Error("the same seed held out other rows")
	}
	if fmt.Sprint(indexes(other.local)) == fmt.Sprint(indexes(held.local)) {
		t.Error("another seed held out the same rows")
	}
	if _, _, err := s.HoldOut(1, 7); err == nil {
		t.Error("fraction 1 accepted")
	}
}

func indexes(rows []Row) []int {
	out := make([]int, len(rows))
	for i, r := range rows {
		out[i] = r.Index
	}
	return out
}

var sentenceSpec = Spec{TextColumn: "sentence", LabelColumn: "y"}

// writeCSV writes rows (a header first) as CSV or, with tab, TSV.
func writeCSV(t *testing.T, p string, tab bool, records [][]string) {
	t.Helper()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if tab {
		w.Comma = '\t'
	}
	w.WriteAll(records)
	writeFile(t, p, buf.Bytes())
}

// The rotten fixture's parquet splits, written as CSV, TSV and JSON lines, read as the same rows;
// labels as strings are numbered in sorted order, which for neg/pos is the ClassLabel's.
func TestTextFilesMatchParquet(t *testing.T) {
	pq, err := OpenDir(RottenTomatoes, filepath.Join(testdata, "rotten"))
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"csv", "tsv", "jsonl", "csv-int"} {
		dir := t.TempDir()
		for _, split := range pq.Available {
			sp, _ := pq.Split(split)
			rows, err := sp.ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			records := [][]string{{"y", "sentence"}}
			var jsonl bytes.Buffer
			for _, r := range rows {
				label := pq.LabelNames[r.Label]
				if format == "csv-int" {
					label = fmt.Sprint(r.Label)
				}
				records = append(records, []string{label, r.Text})
				line, _ := json.Marshal(map[string]string{"sentence": r.Text, "y": label})
				jsonl.Write(append(line, '\n'))
			}
			switch format {
			case "jsonl":
				writeFile(t, filepath.Join(dir, split+".jsonl"), jsonl.Bytes())
			case "tsv":
				writeCSV(t, filepath.Join(dir, split+".tsv"), true, records)
			default:
				writeCSV(t, filepath.Join(dir, "data", split+".csv"), false, records)
			}
		}
		spec := sentenceSpec
		spec.LabelNames = []string{"neg", "pos"} // what integer labels are called
		d, err := OpenDir(spec, dir)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if !slices.Equal(d.Available, pq.Available) || !slices.Equal(d.LabelNames, []string{"neg", "pos"}) || d.LabelsFromStrings != (format != "csv-int") {
			t.Errorf("%s: splits %v, label names %v (from strings %v)", format, d.Available, d.LabelNames, d.LabelsFromStrings)
		}
		for _, split := range pq.Available {
			a, _ := pq.Split(split)
			b, _ := d.Split(split)
			ra, _ := a.ReadAll()
			rb, err := b.ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(Texts(ra), Texts(rb)) || !slices.Equal(Labels(ra), Labels(rb)) || !slices.Equal(indexes(ra), indexes(rb)) {
				t.Errorf("%s %s: rows differ from parquet's", format, split)
			}
		}
	}
}

// String labels get names in sorted order over every split; a lone file is the train split.
func TestTextLabelsFromStrings(t *testing.T) {
	dir := t.TempDir()
	writeCSV(t, filepath.Join(dir, "train.csv"), false, [][]string{{"sentence", "y"}, {"a", "very good"}, {"b", "bad"}})
	writeCSV(t, filepath.Join(dir, "test.csv"), false, [][]string{{"sentence", "y"}, {"c", "awful"}})
	d, err := OpenDir(sentenceSpec, dir)
	if err != nil {
		t.Fatal(err)
	}
	train, _ := d.Split("train")
	rows, _ := train.ReadAll()
	if !slices.Equal(d.LabelNames, []string{"awful", "bad", "very good"}) || !slices.Equal(Labels(rows), []int{2, 1}) || d.Format != FormatCSV {
		t.Errorf("names %v, labels %v, format %q", d.LabelNames, Labels(rows), d.Format)
	}

	one := t.TempDir()
	writeFile(t, filepath.Join(one, "my_sentences.jsonl"), []byte(`{"sentence": "fine", "y": 1, "id": 7}`+"\n\n"+`{"sentence": "dull", "y": 0, "id": 8.5}`+"\n"))
	spec := sentenceSpec
	spec.Extra = []string{"id"}
	d, err = OpenDir(spec, one)
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := d.Split("train")
	rows, _ = sp.ReadAll()
	if !slices.Equal(d.Available, []string{"train"}) || !slices.Equal(Labels(rows), []int{1, 0}) || rows[0].Fields["id"] != int64(7) || rows[1].Fields["id"] != 8.5 {
		t.Errorf("splits %v, rows %+v", d.Available, rows)
	}
}

// Faults in text files are one-line errors naming the file and what it has.
func TestTextFileErrors(t *testing.T) {

	for name, c := range map[string]struct {
		files map[string]string
		spec  Spec
		want  string
	}{
		"missing text column": {map[string]string{"train.csv": "text,label\nfine,1\n"}, sentenceSpec,
			`train.csv: no column "y" (the file has: text, label)`},
		"missing text column, labels fine": {map[string]string{"train.csv": "txt,y\nfine,1\n"}, sentenceSpec,
			`train.csv: no column "sentence" (the file has: txt, y)`},
		"mixed label types": {map[string]string{"train.csv": "sentence,y\na,1\nb,pos\n"}, sentenceSpec,
			`label column "y" mixes integers (` + "%DIR%/train.csv line 2: \"1\") and strings (%DIR%/train.csv line 3: \"pos\")"},
		"mixed across files": {map[string]string{"train.jsonl": `{"sentence": "a", "y": "pos"}`, "test.jsonl": `{"sentence": "b", "y": 0}`}, sentenceSpec,
			`mixes integers (%DIR%/test.jsonl line 1: "0") and strings (%DIR%/train.jsonl line 1: "pos")`},
		"empty label": {map[string]string{"train.csv": "sentence,y\na,\n"}, sentenceSpec, `train.csv: line 2: label column "y" is empty`},
		"label out of range": {map[string]string{"train.csv": "text,label\na,2\n"}, Spec{TextColumn: "text", LabelColumn: "label", LabelNames: []string{"neg", "pos"}},
			"train.csv: line 2: label 2 (column \"label\") is outside the 2 label names [neg pos]"},
		"float label":     {map[string]string{"train.jsonl": `{"sentence": "a", "y": 0.5}`}, sentenceSpec, `train.jsonl: line 1: label column "y": 0.5 is not an integer`},
		"text a number":   {map[string]string{"train.jsonl": `{"sentence": 3, "y": 0}`}, sentenceSpec, `train.jsonl: line 1: text column "sentence" is a JSON number; want a string`},
		"ragged CSV":      {map[string]string{"train.csv": "sentence,y\na,1,extra\n"}, sentenceSpec, "train.csv: not valid CSV: record on line 2: wrong number of fields"},
		"bad JSON line":   {map[string]string{"train.jsonl": "{\"sentence\": \"a\", \"y\": 1}\n{oops\n"}, sentenceSpec, "train.jsonl: line 2: want one JSON object per line"},
		"empty file":      {map[string]string{"train.csv": ""}, sentenceSpec, "train.csv: the file is empty"},
		"header only":     {map[string]string{"train.csv": "sentence,y\n"}, sentenceSpec, `split "train" has no rows`},
		"invalid UTF-8":   {map[string]string{"train.csv": "sentence,y\ncaf\xe9,1\n"}, sentenceSpec, "train.csv: line 2: invalid UTF-8 at byte offset 14"},
		"several formats": {map[string]string{"train.csv": "sentence,y\na,1\n", "test.jsonl": `{"sentence": "b", "y": 0}`}, sentenceSpec, "split files of several formats"},
	} {
		dir := t.TempDir()
		for f, body := range c.files {
			writeFile(t, filepath.Join(dir, f), []byte(body))
		}
		_, err := OpenDir(c.spec, dir)
		want := strings.ReplaceAll(c.want, "%DIR%", dir)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), dir) {
			t.Errorf("%s: %v\nwant one line with %q", name, err, want)
		}
	}
}

// An image column in a CSV holds paths relative to the file, as HF's imagefolder metadata does.
func TestCSVImagePaths(t *testing.T) {
	dir := t.TempDir()
	raw := writePNG(t, filepath.Join(dir, "pics", "a.png"), 9)
	writeCSV(t, filepath.Join(dir, "train.csv"), false, [][]string{{"file", "kind"}, {"pics/a.png", "cat"}, {"pics/a.png", "dog"}})
	d, err := OpenDir(Spec{ImageColumn: "file", LabelColumn: "kind"}, dir)
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := d.Split("train")
	rows, err := sp.ReadAll()
	if err != nil || len(rows) != 2 || !bytes.Equal(rows[0].Image.Bytes, raw) || rows[1].Label != 1 || !slices.Equal(d.LabelNames, []string{"cat", "dog"}) {
		t.Errorf("%v, %+v, %v", err, rows, d.LabelNames)
	}
}

// One file read alone numbers string labels as its folder does: test.csv, which lacks a class,
// gets the numbers train.csv's classes give it.
func TestOpenFile(t *testing.T) {
	dir := t.TempDir()
	writeCSV(t, filepath.Join(dir, "train.csv"), false, [][]string{{"sentence", "y"}, {"a", "pos"}, {"b", "neg"}, {"c", "meh"}})
	writeCSV(t, filepath.Join(dir, "test.csv"), false, [][]string{{"sentence", "y"}, {"d", "pos"}, {"e", "pos"}})
	d, err := OpenFile(sentenceSpec, filepath.Join(dir, "test.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := d.Splits["test"].ReadAll()
	if !slices.Equal(d.Available, []string{"test"}) || !slices.Equal(d.LabelNames, []string{"meh", "neg", "pos"}) || !slices.Equal(Labels(rows), []int{2, 2}) || !slices.Equal(Texts(rows), []string{"d", "e"}) {
		t.Errorf("splits %v, names %v, rows %+v", d.Available, d.LabelNames, rows)
	}
	lone := filepath.Join(t.TempDir(), "mine.tsv")
	writeCSV(t, lone, true, [][]string{{"sentence", "y"}, {"d", "pos"}, {"e", "bad"}})
	if d, err = OpenFile(sentenceSpec, lone); err != nil || d.Available[0] != "train" || !slices.Equal(d.LabelNames, []string{"bad", "pos"}) {
		t.Errorf("a lone file: %v, %+v", err, d)
	}
	if _, err := OpenFile(sentenceSpec, filepath.Join(dir, "notes.txt")); err == nil || !strings.Contains(err.Error(), "notes.txt: not a CSV, TSV or JSON-lines file") {
		t.Errorf("a .txt: %v", err)
	}
}

// A text file is input: whatever it holds, reading it is rows or an *Error, never a panic.
func FuzzTextFile(f *testing.F) {
	f.Add([]byte("sentence,y\na,1\nb,pos\n"), false)
	f.Add([]byte("sentence,y\n\"open quote,1\n"), false)
	f.Add([]byte(`{"sentence": "a", "y": [1]}`+"\n"+`[1, 2]`), true)
	f.Add([]byte(`[{"sentence": "a", "y": 1e400}]`), true)
	f.Fuzz(func(t *testing.T, raw []byte, jsonl bool) {
		p := filepath.Join(t.TempDir(), "train.csv")
		if jsonl {
			p = filepath.Join(filepath.Dir(p), "train.jsonl")
		}
		os.WriteFile(p, raw, 0o644)
		d, err := OpenFile(sentenceSpec, p)
		var e *Error
		if err != nil && !errors.As(err, &e) {
			t.Fatalf("not an *Error: %v", err)
		}
		if err == nil {
			rows, err := d.Splits["train"].ReadAll()
			for _, r := range rows {
				if err == nil && len(d.LabelNames) > 0 && (r.Label < 0 || r.Label >= len(d.LabelNames)) {
					t.Fatalf("label %d outside %v", r.Label, d.LabelNames)
				}
			}
		}
	})
}
