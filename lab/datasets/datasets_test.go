package datasets

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// The fixtures are written by goldens/datasets/make_fixtures.py with pyarrow,
// so these tests read what HF `datasets` writes, not what parquet-go writes.
const testdata = "testdata"

func TestRottenLikeFolder(t *testing.T) {
	d, err := OpenDir(RottenTomatoes, filepath.Join(testdata, "rotten"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"test", "train", "validation"}; !slices.Equal(d.Available, want) {
		t.Errorf("splits %v, want %v", d.Available, want)
	}
	if !slices.Equal(d.LabelNames, []string{"neg", "pos"}) {
		t.Errorf("label names %v", d.LabelNames)
	}
	for name, n := range map[string]int{"train": 34, "validation": 8, "test": 8} {
		s, err := d.Split(name)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := s.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if s.NumRows != n || len(rows) != n {
			t.Errorf("%s: NumRows %d, read %d, want %d", name, s.NumRows, len(rows), n)
		}
	}
	train, _ := d.Split("train")
	rows, _ := train.ReadAll()
	if r := rows[0]; r.Text != "a gorgeous , witty , seductive movie ." || r.Label != 1 || r.Index != 0 || r.Image != nil || r.Fields != nil {
		t.Errorf("row 0 = %+v", r)
	}
	if r := rows[1]; r.Text != "the plot is a mess and the jokes fall flat ." || r.Label != 0 || r.Index != 1 {
		t.Errorf("row 1 = %+v", r)
	}
	// Non-ASCII text comes back byte for byte.
	if !slices.ContainsFunc(rows, func(r Row) bool { return r.Text == "élan and wit in equal measure — a treat ." }) {
		t.Error("the UTF-8 sentence is missing or mangled")
	}
}

func TestStreamsAcrossRowGroupsAndPages(t *testing.T) {
	file := filepath.Join(testdata, "multi_row_group.parquet")
	// The fixture must really have several row groups and several pages per
	// column chunk, or this test proves nothing.
	groups, pages := layoutOf(t, file, 1)
	if groups != 5 || pages < 3 {
		t.Fatalf("fixture has %d row groups and %d pages in the first text chunk; regenerate it", groups, pages)
	}
	spec := Spec{TextColumn: "text", LabelColumn: "label", Extra: []string{"id", "score"}, LabelNames: []string{"a", "b", "c"}}
	s, err := OpenFiles(spec, "train", file)
	if err != nil {
		t.Fatal(err)
	}
	if s.NumRows != 300 {
		t.Fatalf("NumRows %d", s.NumRows)
	}
	n := 0
	for r, err := range s.Rows() {
		if err != nil {
			t.Fatal(err)
		}
		i := r.Index
		word := "good"
		if i%3 == 0 {
			word = "bad"
		}
		if i != n || r.Label != i%3 || r.Text != fmt.Sprintf("sentence number %d %s", i, word) ||
			r.Fields["id"] != int64(i) || r.Fields["score"] != float64(i)/4 {
			t.Fatalf("row %d = %+v", n, r)
		}
		n++
	}
	if n != 300 {
		t.Errorf("read %d rows", n)
	}
	// Stopping early is fine and reads no further.
	n = 0
	for _, err := range s.Rows() {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 70 {
			break
		}
	}
}

// layoutOf counts a file's row groups and the data pages of one column in
// its first row group.
func layoutOf(t *testing.T, file string, column int) (groups, pages int) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	p := f.RowGroups()[0].ColumnChunks()[column].Pages()
	defer p.Close()
	for {
		if _, err := p.ReadPage(); err != nil {
			break
		}
		pages++
	}
	return len(f.RowGroups()), pages
}

func TestImagesInShards(t *testing.T) {
	spec := Spec{ImageColumn: "image", LabelColumn: "label"}
	d, err := OpenDir(spec, filepath.Join(testdata, "images"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"tench", "English springer", "cassette player"}; !slices.Equal(d.LabelNames, want) {
		t.Errorf("label names %v, want %v", d.LabelNames, want)
	}
	train, err := d.Split("train")
	if err != nil {
		t.Fatal(err)
	}
	if len(train.Files) != 2 || !strings.HasSuffix(train.Files[0], "train-00000-of-00002.parquet") {
		t.Fatalf("train files %v", train.Files)
	}
	rows, err := train.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 12 {
		t.Fatalf("%d rows, want 12 (7 + 5 in two shards)", len(rows))
	}
	for i, r := range rows {
		if r.Index != i || r.Label != i%3 || r.Image == nil {
			t.Fatalf("row %d = %+v", i, r)
		}
		img, err := png.Decode(bytes.NewReader(r.Image.Bytes))
		if err != nil {
			t.Fatalf("row %d: image bytes do not decode: %v", i, err)
		}
		if w := img.Bounds().Dx(); w != 2+i%3 {
			t.Errorf("row %d: width %d, want %d", i, w, 2+i%3)
		}
		wantPath := ""
		if i%2 == 0 {
			wantPath = fmt.Sprintf("img_%03d.png", i)
		}
		if r.Image.Path != wantPath {
			t.Errorf("row %d: path %q, want %q", i, r.Image.Path, wantPath)
		}
	}
	if val, _ := d.Split("validation"); val == nil || val.NumRows != 3 {
		t.Errorf("validation split %+v", val)
	}
}

func TestLabelNamesFromFileMetadata(t *testing.T) {
	// Without a README the names come from the `datasets` metadata in the
	// file, and beat the Spec's fallback.
	s, err := OpenFiles(Spec{TextColumn: "text", LabelColumn: "label", LabelNames: []string{"x", "y", "z"}}, "train",
		filepath.Join(testdata, "rotten", "train.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.LabelNames, []string{"neg", "pos"}) {
		t.Errorf("label names %v", s.LabelNames)
	}
	// A file without metadata falls back to the Spec.
	s, err = OpenFiles(Spec{TextColumn: "text", LabelColumn: "label", LabelNames: []string{"x", "y"}}, "train",
		filepath.Join(testdata, "bad", "null_text.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.LabelNames, []string{"x", "y"}) {
		t.Errorf("label names %v", s.LabelNames)
	}
}

func TestNullInExtraIsNil(t *testing.T) {
	s, err := OpenFiles(Spec{LabelColumn: "label", Extra: []string{"text"}}, "train", filepath.Join(testdata, "bad", "null_text.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var got []any
	for _, r := range rows {
		got = append(got, r.Fields["text"])
	}
	if want := []any{"fine .", "also fine .", nil, "last ."}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(filepath.Join(testdata, "rotten", "train.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// The footer (and its magic) is at the end, so a cut anywhere loses it;
	// a file whose pages are damaged but whose footer is intact is covered
	// by corrupt_pages.
	corrupt := bytes.Clone(good)
	for i := 4; i < len(corrupt)/2; i++ {
		corrupt[i] = 0xff
	}
	bad := func(name string) string { return filepath.Join(testdata, "bad", name) }
	tests := []struct {
		name  string
		file  string
		kind  error
		want  []string // substrings of the message
		atRow bool     // the fault shows while reading rows, not at open
	}{
		{"truncated", write("truncated.parquet", good[:len(good)/2]), ErrNotParquet, []string{"truncated.parquet", "truncated"}, false},
		{"cut to 3 bytes", write("tiny.parquet", good[:3]), ErrNotParquet, []string{"tiny.parquet"}, false},
		{"empty file", write("zero.parquet", nil), ErrNotParquet, []string{"zero.parquet"}, false},
		{"not parquet", write("notes.parquet", []byte("these are not the rows you are looking for\n")), ErrNotParquet, []string{"notes.parquet", "not parquet"}, false},
		{"missing file", filepath.Join(dir, "absent.parquet"), ErrNotParquet, []string{"absent.parquet", "cannot open"}, false},
		{"corrupt pages", write("corrupt.parquet", corrupt), ErrNotParquet, []string{"corrupt.parquet"}, true},
		{"text is int", bad("text_is_int.parquet"), ErrSchema, []string{"text_is_int.parquet", `column "text" is int64; want a string`}, false},
		{"label missing", bad("no_label.parquet"), ErrSchema, []string{"no_label.parquet", `no column "label"`, "the file has: text"}, false},
		{"label is a list", bad("label_is_list.parquet"), ErrSchema, []string{"label_is_list.parquet", `column "label" is a list`}, false},
		{"empty dataset", bad("empty.parquet"), ErrEmpty, []string{"empty.parquet", `split "train" has no rows`}, false},
		{"null text", bad("null_text.parquet"), ErrNull, []string{"null_text.parquet", "row 2", `column "text" is null`}, true},
		{"label out of range", bad("label_out_of_range.parquet"), ErrLabel, []string{"label_out_of_range.parquet", "row 2", "label 5", "2 label names [neg pos]"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := OpenFiles(RottenTomatoes, "train", tt.file)
			if tt.atRow {
				if err != nil {
					// A corrupt page may or may not show at open: only the
					// footer is read there. Either way it must be an error.
					if tt.kind != ErrNotParquet {
						t.Fatalf("open: %v", err)
					}
				} else {
					_, err = s.ReadAll()
				}
			}
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("error %q is not %v", err, tt.kind)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestMissingSplitListsWhatExists(t *testing.T) {
	d, err := OpenDir(RottenTomatoes, filepath.Join(testdata, "rotten"), "train")
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Split("unsupervised")
	if !errors.Is(err, ErrNoSplit) || !strings.Contains(err.Error(), `no split "unsupervised"; there is: test, train, validation`) {
		t.Errorf("got %v", err)
	}
	// Asking for it up front fails the same way, before any file is read.
	_, err = OpenDir(RottenTomatoes, filepath.Join(testdata, "images"), "test")
	if !errors.Is(err, ErrNoSplit) || !strings.Contains(err.Error(), "there is: train, validation") {
		t.Errorf("got %v", err)
	}
}

func TestSample(t *testing.T) {
	rows := make([]Row, 100)
	for i := range rows {
		rows[i].Index = i
	}
	indices := func(rs []Row) []int {
		var out []int
		for _, r := range rs {
			out = append(out, r.Index)
		}
		return out
	}
	a, b := indices(Sample(rows, 10, 42)), indices(Sample(rows, 10, 42))
	if len(a) != 10 || !slices.Equal(a, b) {
		t.Fatalf("same seed, different samples: %v %v", a, b)
	}
	// Pinned: a change here changes every notebook's "random examples".
	if want := []int{37, 59, 54, 10, 16, 94, 25, 53, 27, 72}; !slices.Equal(a, want) {
		t.Errorf("Sample(100 rows, 10, 42) = %v, want %v", a, want)
	}
	if c := indices(Sample(rows, 10, 43)); slices.Equal(a, c) {
		t.Error("seeds 42 and 43 give the same sample")
	}
	all := indices(Sample(rows, 1000, 1))
	if len(all) != 100 {
		t.Fatalf("n > len gave %d rows", len(all))
	}
	slices.Sort(all)
	for i, v := range all {
		if v != i {
			t.Fatalf("not a permutation: %v", all)
		}
	}
	if len(Sample(rows, 0, 1)) != 0 || len(Sample(nil, 5, 1)) != 0 || len(Sample(rows, -1, 1)) != 0 {
		t.Error("empty samples are not empty")
	}
	if rows[0].Index != 0 || rows[99].Index != 99 {
		t.Error("Sample reordered its input")
	}
}

func TestMapKeepsOriginals(t *testing.T) {
	rows := []Row{{Index: 0, Text: "a ."}, {Index: 1, Text: "b .", Fields: map[string]any{"id": int64(7)}}}
	out, err := Map(rows, func(r Row) (Row, error) {
		r.Fields["len"] = len(r.Text)
		r.Text = strings.ToUpper(r.Text)
		return r, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if out[1].Text != "B ." || out[1].Fields["len"] != 3 || out[1].Fields["id"] != int64(7) {
		t.Errorf("mapped row %+v", out[1])
	}
	if rows[0].Text != "a ." || rows[0].Fields != nil || len(rows[1].Fields) != 1 {
		t.Errorf("the originals changed: %+v", rows)
	}
	_, err = Map(rows, func(r Row) (Row, error) {
		if r.Index == 1 {
			return r, errors.New("too long")
		}
		return r, nil
	})
	var re *RowError
	if !errors.As(err, &re) || re.Row != 1 || !strings.Contains(err.Error(), "row 1: too long") {
		t.Errorf("got %v", err)
	}
}

func TestSplitOf(t *testing.T) {
	tests := []struct{ path, split, config string }{
		{"train.parquet", "train", ""},
		{"validation.parquet", "validation", ""},
		{"train-00000-of-00002.parquet", "train", ""},
		{"data/train-00001-of-00002.parquet", "train", "data"},
		{"data/valid-00000-of-00001-4b6f6d2a8c1e9f03.parquet", "valid", "data"},
		{"default/train/0000.parquet", "train", "default"},
		{"default/partial-train/0003.parquet", "train", "default"},
		{"plain_text/rotten_tomatoes-test.parquet", "test", "plain_text"},
		{"plain_text/rotten_tomatoes-train-00000-of-00002.parquet", "train", "plain_text"},
		{"README.md", "", ""},
		{"0000.parquet", "", ""},
		{".cache/train.parquet", "", ""},
	}
	for _, tt := range tests {
		split, config, ok := splitOf(tt.path)
		if split != tt.split || config != tt.config || ok != (tt.split != "") {
			t.Errorf("splitOf(%q) = %q, %q, %v; want %q, %q", tt.path, split, config, ok, tt.split, tt.config)
		}
	}
}

func TestFindSplitsWithConfigs(t *testing.T) {
	files := []string{"README.md", "a/train/0000.parquet", "a/train/0001.parquet", "a/test/0000.parquet", "b/train/0000.parquet"}
	if _, err := findSplits(Spec{ID: "org/ds"}, files); !errors.Is(err, ErrNoSplit) || !strings.Contains(err.Error(), "set Spec.Config") {
		t.Errorf("two configs without Spec.Config: %v", err)
	}
	layout, err := findSplits(Spec{ID: "org/ds", Config: "a"}, files)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string][]string{"train": {"a/train/0000.parquet", "a/train/0001.parquet"}, "test": {"a/test/0000.parquet"}}; !reflect.DeepEqual(layout, want) {
		t.Errorf("layout %v", layout)
	}
	if _, err := findSplits(Spec{ID: "org/ds", Config: "c"}, files); !errors.Is(err, ErrNoSplit) || !strings.Contains(err.Error(), `"a" "b"`) {
		t.Errorf("unknown config: %v", err)
	}
}

func TestReadmeLabelNames(t *testing.T) {
	single := "---\ndataset_info:\n  features:\n  - name: text\n    dtype: string\n  - name: label\n    dtype:\n      class_label:\n        names:\n          '0': neg\n          '1': pos\n---\n# card\n"
	multi := "---\r\ndataset_info:\r\n- config_name: other\r\n  features:\r\n  - name: label\r\n    dtype:\r\n      class_label:\r\n        names:\r\n          '0': x\r\n- config_name: default\r\n  features:\r\n  - name: label\r\n    dtype:\r\n      class_label:\r\n        names:\r\n          1: b\r\n          0: a\r\n---\r\n"
	tests := []struct {
		name, readme, config, column string
		want                         []string
	}{
		{"single config", single, "", "label", []string{"neg", "pos"}},
		{"other column", single, "", "text", nil},
		{"no label column", single, "", "", nil},
		{"configs, default picked, int keys, CRLF", multi, "", "label", []string{"a", "b"}},
		{"configs, named", multi, "other", "label", []string{"x"}},
		{"list of names", "---\ndataset_info:\n  features:\n  - name: label\n    dtype:\n      class_label:\n        names: [cat, dog]\n---\n", "", "label", []string{"cat", "dog"}},
		{"gap in ids", "---\ndataset_info:\n  features:\n  - name: label\n    dtype:\n      class_label:\n        names:\n          '0': a\n          '2': c\n---\n", "", "label", nil},
		{"broken yaml", "---\ndataset_info: [\n---\n", "", "label", nil},
		{"no front matter", "# just a card\n", "", "label", nil},
		{"unclosed front matter", "---\ndataset_info:\n", "", "label", nil},
	}
	for _, tt := range tests {
		if got := readmeLabelNames([]byte(tt.readme), tt.config, tt.column); !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

// FuzzOpen feeds arbitrary bytes to the reader as a parquet file: whatever
// they are, the answer is rows or an error, never a panic or a hang.
func FuzzOpen(f *testing.F) {
	for _, name := range []string{"rotten/train.parquet", "multi_row_group.parquet", "images/data/validation-00000-of-00001.parquet", "bad/null_text.parquet", "bad/label_out_of_range.parquet"} {
		b, err := os.ReadFile(filepath.Join(testdata, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)-9]) // footer cut
	}
	f.Add([]byte("PAR1"))
	f.Add([]byte("PAR1PAR1"))
	f.Add([]byte("PAR1\x00\x00\x00\x00PAR1"))
	specs := []Spec{RottenTomatoes, {ImageColumn: "image", LabelColumn: "label"}, {Extra: []string{"id", "score", "text"}}}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "f.parquet")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, spec := range specs {
			s, err := OpenFiles(spec, "train", p)
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || !strings.Contains(err.Error(), p) {
					t.Fatalf("error without the file: %v", err)
				}
				continue
			}
			for _, err := range s.Rows() {
				if err != nil {
					break
				}
			}
		}
	})
}
