// Package datasets reads the parquet files of Hugging Face dataset repos as
// rows, streamed one row group at a time, so that a split larger than memory
// (ImageNet-sized image datasets) can still be walked.
//
// The lab reads two shapes of dataset: text classification (a string column
// and a ClassLabel int column, e.g. Rotten Tomatoes) and image classification
// (an `image` column of struct{bytes, path}, as `datasets` stores its Image
// feature, and a ClassLabel int). A Spec names the columns; everything else
// in the file is ignored unless listed in Spec.Extra.
//
// A local folder may instead hold the user's own data (local.go): images in one
// folder per class, or CSV, TSV and JSON-lines files by split, read into memory
// (images by path, each read when its row comes) and streamed like parquet rows.
//
//	ds, err := datasets.Load(ctx, hub.NewClient(), datasets.RottenTomatoes, "train", "validation")
//	train, err := ds.Split("train")
//	for row, err := range train.Rows() { ... row.Text, row.Label ... }
package datasets

import (
	"fmt"
	"maps"
	"math/rand/v2"
)

// Spec says which dataset repo to read and which of its columns matter.
// Empty column names mean "this dataset has no such column".
type Spec struct {
	ID       string // hub dataset id, "org/name"
	Revision string // branch, tag or commit; "" means "main"
	// Config picks one config of a repo that has several (files under
	// "{config}/"); "" is enough when the repo has one.
	Config string

	TextColumn  string   // a string column, read into Row.Text
	LabelColumn string   // an int column (ClassLabel), read into Row.Label
	ImageColumn string   // a struct{bytes, path} column, read into Row.Image
	Extra       []string // other columns to carry in Row.Fields

	// LabelNames are used when the repo's README and the parquet metadata
	// name no classes; when they do, theirs win.
	LabelNames []string
}

// RottenTomatoes is the dataset of exercises 1 and 2: 8530/1066/1066 movie
// review sentences labelled 0 neg, 1 pos.
var RottenTomatoes = Spec{
	ID:          "cornell-movie-review-data/rotten_tomatoes",
	Revision:    "main",
	TextColumn:  "text",
	LabelColumn: "label",
	LabelNames:  []string{"neg", "pos"},
}

// Image is an encoded image as `datasets` stores it: the file's bytes (PNG,
// JPEG, ...) and the name it had, if any. Decoding is left to the caller,
// who knows which formats it needs.
type Image struct {
	Bytes []byte
	Path  string // "" when the image was stored without a name
}

// Row is one example. Text, Label and Image hold the Spec's columns; Fields
// holds the Extra columns and whatever Map adds.
type Row struct {
	// Index is the row's position in its split, so that a sample or an error
	// can be traced back to the file.
	Index int
	Text  string
	Label int // 0 when the Spec has no label column
	Image *Image
	// Fields values are string, int64, float64, bool, []byte or *Image, or
	// nil for a null; Map may add anything.
	Fields map[string]any
}

// Sample returns n rows drawn at random without replacement, the same ones
// for the same seed and input on every machine (math/rand/v2's PCG is
// specified, unlike the global source). n larger than len(rows) returns them
// all, shuffled.
func Sample(rows []Row, n int, seed uint64) []Row {
	n = max(0, min(n, len(rows)))
	r := rand.New(rand.NewPCG(seed, 0x7472616e736c6162)) // "translab": a fixed stream per seed
	// A partial Fisher–Yates over indices: O(len) memory for the indices but
	// the rows themselves, which may hold images, are not copied until picked.
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	out := make([]Row, n)
	for i := range n {
		j := i + r.IntN(len(idx)-i)
		idx[i], idx[j] = idx[j], idx[i]
		out[i] = rows[idx[i]]
	}
	return out
}

// Texts are the rows' texts, in order: what a tokenizer or feature extractor takes.
func Texts(rows []Row) []string {
	t := make([]string, len(rows))
	for i, r := range rows {
		t[i] = r.Text
	}
	return t
}

// Images are the rows' encoded images, in order: what an image processor takes.
func Images(rows []Row) [][]byte {
	out := make([][]byte, len(rows))
	for i, r := range rows {
		if r.Image != nil {
			out[i] = r.Image.Bytes
		}
	}
	return out
}

// Labels are the rows' labels, in order: what a classifier is fitted on and scored against.
func Labels(rows []Row) []int {
	y := make([]int, len(rows))
	for i, r := range rows {
		y[i] = r.Label
	}
	return y
}

// Map applies f to every row and returns the results, leaving rows as they
// were: f gets a copy whose Fields map is its own, so it may add fields
// (token ids, features) without touching the originals. It stops at the
// first error, which names the row.
func Map(rows []Row, f func(Row) (Row, error)) ([]Row, error) {
	out := make([]Row, len(rows))
	for i, row := range rows {
		row.Fields = maps.Clone(row.Fields)
		if row.Fields == nil {
			row.Fields = map[string]any{}
		}
		got, err := f(row)
		if err != nil {
			return nil, &RowError{Row: row.Index, Err: err}
		}
		out[i] = got
	}
	return out, nil
}

// RowError says which row a Map function failed on.
type RowError struct {
	Row int
	Err error
}

func (e *RowError) Error() string { return fmt.Sprintf("datasets: row %d: %v", e.Row, e.Err) }
func (e *RowError) Unwrap() error { return e.Err }
