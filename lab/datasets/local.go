package datasets

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The formats a local folder can hold, in Dataset.Format.
const (
	FormatParquet     = "parquet"
	FormatImageFolder = "imagefolder" // DIR/CLASS/*.png or DIR/{train,validation,test}/CLASS/*.png
	FormatCSV         = "csv"
	FormatTSV         = "tsv"
	FormatJSONLines   = "json" // JSON Lines (or one JSON array of objects)
)

// ErrFormat is a CSV, TSV or JSON file that does not parse, or a data file that cannot be read.
var ErrFormat = errors.New("not a readable data file")

// splitAliases are the folder and file names HF's loaders take for each split
// (datasets.data_files' keywords); the lab calls the splits by HF's names.
var splitAliases = map[string]string{
	"train": "train", "training": "train",
	"validation": "validation", "valid": "validation", "val": "validation", "dev": "validation",
	"test": "test", "testing": "test", "eval": "test", "evaluation": "test",
}

// imageExts are the extensions an image folder's images may have: what the lab's decoder reads
// (PNG, JPEG, GIF, BMP, WebP) and TIFF, which HF's imagefolder takes too and the lab then skips
// and counts as undecodable, like any other image it cannot read.
var imageExts = map[string]bool{".png": true, ".jpg": true, ".jpeg": true, ".jpe": true, ".jfif": true,
	".gif": true, ".bmp": true, ".webp": true, ".tif": true, ".tiff": true}

func isImageFile(p string) bool { return imageExts[strings.ToLower(path.Ext(p))] }

// IsTextFile says whether a path names a CSV, TSV or JSON-lines file (by its extension), which
// OpenFile reads.
func IsTextFile(p string) bool { return textFormat(filepath.ToSlash(p)) != "" }

// textFormat is the format of a text data file by its extension, "" for any other file.
func textFormat(p string) string {
	switch strings.ToLower(path.Ext(p)) {
	case ".csv":
		return FormatCSV
	case ".tsv":
		return FormatTSV
	case ".jsonl", ".json":
		return FormatJSONLines
	}
	return ""
}

// openLocal reads a folder that holds no parquet files: text files by split, else an image folder.
func openLocal(spec Spec, dir string, files []string, want []string) (*Dataset, error) {
	if layout, format := textLayout(files); layout != nil {
		return openText(spec, dir, format, layout, want)
	}
	if slices.ContainsFunc(files, isImageFile) {
		return openImageFolder(spec, dir, files, want)
	}
	return nil, &Error{File: dir, Row: -1, Kind: ErrNoSplit, Msg: "no data files: want parquet, CSV, TSV or JSON-lines files " +
		"named by split (train.csv, validation.csv, test.csv), or images in one folder per class (DIR/CLASS/*.jpg or DIR/train/CLASS/*.jpg)"}
}

// textLayout groups a folder's CSV, TSV and JSON-lines files by split: files named by a split
// ("train.csv", "data/validation-00000-of-00001.jsonl"); or, when none is, a lone CSV, TSV or
// .jsonl file, which is the train split. All must be of one format.
func textLayout(files []string) (map[string][]string, string) {
	layout := map[string][]string{}
	var format string
	var loose []string
	for _, f := range files {
		ft := textFormat(f)
		if ft == "" || strings.Contains("/"+f, "/.") {
			continue
		}
		stem := strings.TrimSuffix(path.Base(f), path.Ext(f))
		stem = shardSuffix.ReplaceAllString(stem, "")
		if i := strings.LastIndexByte(stem, '-'); i >= 0 {
			stem = stem[i+1:]
		}
		split, ok := splitAliases[strings.ToLower(stem)]
		if !ok {
			if !strings.HasSuffix(f, ".json") { // config.json and its kind are not data
				loose = append(loose, f)
			}
			continue
		}
		if format != "" && ft != format {
			format = "mixed"
		} else if format == "" {
			format = ft
		}
		layout[split] = append(layout[split], f)
	}
	if len(layout) == 0 && len(loose) == 1 {
		return map[string][]string{"train": loose}, textFormat(loose[0])
	}
	if len(layout) == 0 {
		return nil, ""
	}
	return layout, format
}

// cell is one value of a text file: a CSV field (always a string) or a decoded JSON value.
type cell = any

// table is a text file read into memory: its columns, in the file's order, and its records.
type table struct {
	file    string
	columns []string
	records []map[string]cell
	lines   []int // the line each record starts on, from 1, for errors
}

func readTable(file, format string) (*table, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, &Error{File: file, Row: -1, Kind: ErrFormat, Msg: "cannot read", Cause: unwrapPathError(err)}
	}
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(raw) {
		off := 0
		for off < len(raw) {
			r, size := utf8.DecodeRune(raw[off:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			off += size
		}
		return nil, &Error{File: file, Row: -1, Kind: ErrFormat,
			Msg: fmt.Sprintf("line %d: invalid UTF-8 at byte offset %d; save the file as UTF-8", bytes.Count(raw[:off], []byte("\n"))+1, off)}
	}
	if format == FormatJSONLines {
		return readJSON(file, raw)
	}
	r := csv.NewReader(bytes.NewReader(raw))
	if format == FormatTSV {
		r.Comma = '\t'
		r.LazyQuotes = true // a TSV quotes nothing: a '"' in a sentence is a character
	}
	t := &table{file: file}
	header, err := r.Read()
	if err == io.EOF {
		return nil, &Error{File: file, Row: -1, Kind: ErrEmpty, Msg: "the file is empty; want a header line naming the columns, then one line per example"}
	}
	if err != nil {
		return nil, &Error{File: file, Row: -1, Kind: ErrFormat, Msg: "not valid " + strings.ToUpper(format), Cause: err}
	}
	t.columns = slices.Clone(header)
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &Error{File: file, Row: -1, Kind: ErrFormat, Msg: "not valid " + strings.ToUpper(format), Cause: err}
		}
		line, _ := r.FieldPos(0)
		m := make(map[string]cell, len(rec))
		for i, v := range rec {
			m[header[i]] = v
		}
		t.records, t.lines = append(t.records, m), append(t.lines, line)
	}
	return t, nil
}

// readJSON reads JSON Lines (one object per line), or one JSON array of objects, as HF's json
// loader does.
func readJSON(file string, raw []byte) (*table, error) {
	t := &table{file: file}
	seen := map[string]bool{}
	add := func(obj map[string]cell, line int) {
		for k := range obj {
			if !seen[k] {
				seen[k] = true
				t.columns = append(t.columns, k)
			}
		}
		t.records, t.lines = append(t.records, obj), append(t.lines, line)
	}
	bad := func(line int, err error) error {
		return &Error{File: file, Row: -1, Kind: ErrFormat, Msg: fmt.Sprintf("line %d: want one JSON object per line (JSON Lines)", line), Cause: err}
	}
	if trimmed := bytes.TrimSpace(raw); len(trimmed) > 0 && trimmed[0] == '[' {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var objs []map[string]cell
		if err := dec.Decode(&objs); err != nil {
			return nil, &Error{File: file, Row: -1, Kind: ErrFormat, Msg: "not a JSON array of objects", Cause: err}
		}
		for i, o := range objs {
			add(o, i+1) // no lines in an array: the object's number stands in
		}
	} else {
		for i, l := range bytes.Split(raw, []byte("\n")) {
			if len(bytes.TrimSpace(l)) == 0 {
				continue
			}
			dec := json.NewDecoder(bytes.NewReader(l))
			dec.UseNumber()
			var obj map[string]cell
			if err := dec.Decode(&obj); err != nil {
				return nil, bad(i+1, err)
			}
			if obj == nil {
				return nil, bad(i+1, errors.New("null"))
			}
			add(obj, i+1)
		}
	}
	slices.Sort(t.columns) // objects need not list their keys in one order
	return t, nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// openText reads the text files of a folder's splits into memory. Label names come from the
// label column's strings, sorted — as HF's class_encode_column makes a ClassLabel over every
// split — when they are not integers; integer labels take the spec's names.
func openText(spec Spec, dir, format string, layout map[string][]string, want []string) (*Dataset, error) {
	if format == "mixed" {
		return nil, &Error{File: dir, Row: -1, Kind: ErrNoSplit, Msg: fmt.Sprintf("split files of several formats (%s); keep one format", strings.Join(allFiles(layout), ", "))}
	}
	d := &Dataset{Spec: spec, Splits: map[string]*Split{}, where: dir, Format: format}
	want, err := d.pickSplits(dir, slices.Collect(maps.Keys(layout)), want)
	if err != nil {
		return nil, err
	}
	// Every split is read, loaded or not: string labels are numbered over all of them.
	tables := map[string][]*table{}
	for _, name := range d.Available {
		for _, f := range layout[name] {
			t, err := readTable(filepath.Join(dir, filepath.FromSlash(f)), format)
			if err != nil {
				return nil, err
			}
			tables[name] = append(tables[name], t)
		}
	}
	labels, err := labelKinds(spec.LabelColumn, tables)
	if err != nil {
		return nil, err
	}
	d.LabelNames = spec.LabelNames
	if labels.strings {
		d.LabelNames, d.LabelsFromStrings = labels.names, true
	}
	for _, name := range want {
		s := &Split{Name: name, LabelNames: d.LabelNames, spec: spec, inMemory: true}
		for _, t := range tables[name] {
			s.Files = append(s.Files, t.file)
			rows, err := t.rows(spec, d.LabelNames, labels.strings, len(s.local))
			if err != nil {
				return nil, err
			}
			s.local = append(s.local, rows...)
		}
		if s.NumRows = len(s.local); s.NumRows == 0 {
			return nil, &Error{File: strings.Join(s.Files, ", "), Row: -1, Kind: ErrEmpty, Msg: fmt.Sprintf("split %q has no rows", name)}
		}
		d.Splits[name] = s
	}
	return d, nil
}

// OpenFile reads one CSV, TSV or JSON-lines file as a dataset of one split, named by the file
// ("validation.csv" is validation; a name that is no split's is train). String labels are numbered
// over the file and the other split files of its format beside it (train.csv, validation.csv,
// test.csv), as OpenDir numbers them, so that files read one at a time get the same numbers.
func OpenFile(spec Spec, file string) (*Dataset, error) {
	format := textFormat(filepath.ToSlash(file))
	if format == "" {
		return nil, &Error{File: file, Row: -1, Kind: ErrFormat, Msg: "not a CSV, TSV or JSON-lines file (.csv, .tsv, .jsonl)"}
	}
	dir, base := filepath.Split(file)
	var names []string
	if entries, err := os.ReadDir(filepath.Clean(dir)); err == nil {
		for _, e := range entries {
			if !e.IsDir() {
				names = append(names, e.Name())
			}
		}
	}
	layout, lf := textLayout(names)
	split, shared := "train", false
	for name, fs := range layout {
		if lf == format && slices.Contains(fs, base) {
			split, shared = name, true
		}
	}
	tables := map[string][]*table{}
	var own *table
	if shared {
		for name, fs := range layout {
			for _, f := range fs {
				t, err := readTable(filepath.Join(dir, f), format)
				if err != nil {
					return nil, err
				}
				tables[name] = append(tables[name], t)
				if f == base {
					own = t
				}
			}
		}
	} else {
		t, err := readTable(file, format)
		if err != nil {
			return nil, err
		}
		tables[split], own = []*table{t}, t
	}
	labels, err := labelKinds(spec.LabelColumn, tables)
	if err != nil {
		return nil, err
	}
	d := &Dataset{Spec: spec, Splits: map[string]*Split{}, where: file, Format: format, Available: []string{split}, LabelNames: spec.LabelNames}
	if labels.strings {
		d.LabelNames, d.LabelsFromStrings = labels.names, true
	}
	rows, err := own.rows(spec, d.LabelNames, labels.strings, 0)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, &Error{File: file, Row: -1, Kind: ErrEmpty, Msg: "no rows"}
	}
	d.Splits[split] = &Split{Name: split, Files: []string{file}, NumRows: len(rows), LabelNames: d.LabelNames, spec: spec, inMemory: true, local: rows}
	return d, nil
}

func allFiles(layout map[string][]string) []string {
	var out []string
	for _, fs := range layout {
		out = append(out, fs...)
	}
	slices.Sort(out)
	return out
}

// labelKind is what a text dataset's label column holds: integers, or strings and their sorted names.
type labelKind struct {
	strings bool
	names   []string
}

// labelKinds checks that the label column holds integers in every file, or strings in every file,
// and names the first of each where it mixes them.
func labelKinds(column string, tables map[string][]*table) (labelKind, error) {
	if column == "" {
		return labelKind{}, nil
	}
	type first struct {
		file  string
		line  int
		value string
	}
	var firstInt, firstStr *first
	set := map[string]bool{}
	for _, split := range sortedTableKeys(tables) { // errors name the same file every run
		for _, t := range tables[split] {
			if !slices.Contains(t.columns, column) {
				return labelKind{}, missingColumn(t, column)
			}
			for i, rec := range t.records {
				v, ok := rec[column]
				if !ok || v == nil || v == "" {
					return labelKind{}, &Error{File: t.file, Row: -1, Kind: ErrNull, Msg: fmt.Sprintf("line %d: label column %q is empty", t.lines[i], column)}
				}
				s, isInt, err := labelValue(v)
				if err != nil {
					return labelKind{}, &Error{File: t.file, Row: -1, Kind: ErrSchema, Msg: fmt.Sprintf("line %d: label column %q: %v", t.lines[i], column, err)}
				}
				f := &first{t.file, t.lines[i], s}
				if isInt && firstInt == nil {
					firstInt = f
				}
				if !isInt {
					set[s] = true
					if firstStr == nil {
						firstStr = f
					}
				}
			}
		}
	}
	if firstInt != nil && firstStr != nil {
		where := func(f *first) string { return fmt.Sprintf("%s line %d: %q", f.file, f.line, f.value) }
		return labelKind{}, &Error{File: firstStr.file, Row: -1, Kind: ErrSchema,
			Msg: fmt.Sprintf("label column %q mixes integers (%s) and strings (%s); want one or the other", column, where(firstInt), where(firstStr))}
	}
	if firstStr == nil {
		return labelKind{}, nil
	}
	names := make([]string, 0, len(set))
	for s := range set {
		names = append(names, s)
	}
	slices.Sort(names)
	return labelKind{strings: true, names: names}, nil
}

func sortedTableKeys(m map[string][]*table) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// labelValue reads one label: an integer (a CSV field of digits, a JSON integer) or a string.
func labelValue(v cell) (s string, isInt bool, err error) {
	switch v := v.(type) {
	case string:
		if _, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
			return strings.TrimSpace(v), true, nil
		}
		return v, false, nil
	case json.Number:
		if _, err := v.Int64(); err == nil {
			return v.String(), true, nil
		}
		return "", false, fmt.Errorf("%s is not an integer", v)
	case bool:
		return strconv.FormatBool(v), false, nil
	}
	return "", false, fmt.Errorf("a JSON %s; want an integer or a string", jsonKind(v))
}

func jsonKind(v cell) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	}
	return fmt.Sprintf("%T", v)
}

func missingColumn(t *table, column string) error {
	return &Error{File: t.file, Row: -1, Kind: ErrSchema, Msg: fmt.Sprintf("no column %q (the file has: %s)", column, strings.Join(t.columns, ", "))}
}

// rows turns a table's records into rows; first is the split's row count before this file.
func (t *table) rows(spec Spec, names []string, stringLabels bool, first int) ([]Row, error) {
	for _, c := range append([]string{spec.TextColumn, spec.ImageColumn}, spec.Extra...) {
		if c != "" && !slices.Contains(t.columns, c) {
			return nil, missingColumn(t, c)
		}
	}
	rows := make([]Row, len(t.records))
	for i, rec := range t.records {
		line := t.lines[i]
		fail := func(kind error, format string, args ...any) error {
			return &Error{File: t.file, Row: -1, Kind: kind, Msg: fmt.Sprintf("line %d: ", line) + fmt.Sprintf(format, args...)}
		}
		r := Row{Index: first + i}
		if c := spec.TextColumn; c != "" {
			switch v := rec[c].(type) {
			case string:
				r.Text = v
			case nil:
				return nil, fail(ErrNull, "text column %q is null", c)
			default:
				return nil, fail(ErrSchema, "text column %q is a JSON %s; want a string", c, jsonKind(v))
			}
		}
		if c := spec.LabelColumn; c != "" {
			s, _, _ := labelValue(rec[c]) // checked by labelKinds
			if stringLabels {
				r.Label, _ = slices.BinarySearch(names, s)
			} else {
				n, _ := strconv.ParseInt(s, 10, 64)
				if len(names) > 0 && (n < 0 || n >= int64(len(names))) {
					return nil, fail(ErrLabel, "label %d (column %q) is outside the %d label names %v", n, c, len(names), names)
				}
				r.Label = int(n)
			}
		}
		if c := spec.ImageColumn; c != "" {
			p, ok := rec[c].(string)
			if !ok || p == "" {
				return nil, fail(ErrSchema, "image column %q: want the image file's path (relative to %s)", c, filepath.Dir(t.file))
			}
			if !filepath.IsAbs(p) {
				p = filepath.Join(filepath.Dir(t.file), filepath.FromSlash(p))
			}
			r.Image = &Image{Path: p}
		}
		for _, c := range spec.Extra {
			if r.Fields == nil {
				r.Fields = map[string]any{}
			}
			r.Fields[c] = jsonValue(rec[c])
		}
		rows[i] = r
	}
	return rows, nil
}

// jsonValue gives an Extra column's value the types parquet's would have.
func jsonValue(v cell) any {
	if n, ok := v.(json.Number); ok {
		if i, err := n.Int64(); err == nil {
			return i
		}
		f, _ := n.Float64()
		return f
	}
	return v
}

// openImageFolder reads a folder of images in one sub-folder per class, as torchvision's
// ImageFolder and HF's imagefolder do: DIR/CLASS/… (one split, "train") or
// DIR/{train,validation,test}/CLASS/… . Class names are the folder names, sorted; images may sit
// deeper inside a class folder. Only the paths are read here; Rows reads each image when it comes.
func openImageFolder(spec Spec, dir string, files []string, want []string) (*Dataset, error) {
	var images []string
	for _, f := range files {
		if isImageFile(f) {
			images = append(images, f)
		}
	}
	top := map[string]bool{}
	for _, f := range images {
		first, _, nested := strings.Cut(f, "/")
		if !nested {
			return nil, &Error{File: dir, Row: -1, Kind: ErrNoSplit, Msg: fmt.Sprintf("%s is not in a class folder; want one folder per class (DIR/CLASS/%s)", f, f)}
		}
		top[first] = true
	}
	var splitDirs, other []string
	for name := range top {
		if _, ok := splitAliases[strings.ToLower(name)]; ok {
			splitDirs = append(splitDirs, name)
		} else {
			other = append(other, name)
		}
	}
	slices.Sort(splitDirs)
	slices.Sort(other)
	bySplit := len(other) == 0
	if len(splitDirs) > 0 && len(other) > 0 {
		return nil, &Error{File: dir, Row: -1, Kind: ErrNoSplit, Msg: fmt.Sprintf("split folders (%s) beside other folders (%s); want DIR/{train,validation,test}/CLASS/… or DIR/CLASS/…",
			strings.Join(splitDirs, ", "), strings.Join(other, ", "))}
	}
	type item struct{ split, class, file string }
	var items []item
	classSet := map[string]bool{}
	for _, f := range images {
		parts := strings.Split(f, "/")
		it := item{split: "train", class: parts[0], file: f}
		if bySplit {
			if len(parts) < 3 {
				return nil, &Error{File: dir, Row: -1, Kind: ErrNoSplit, Msg: fmt.Sprintf("%s is not in a class folder; want %s/CLASS/%s", f, parts[0], parts[1])}
			}
			it.split, it.class = splitAliases[strings.ToLower(parts[0])], parts[1]
		}
		classSet[it.class] = true
		items = append(items, it)
	}
	classes := make([]string, 0, len(classSet))
	for c := range classSet {
		classes = append(classes, c)
	}
	slices.Sort(classes)
	if len(classes) < 2 {
		return nil, &Error{File: dir, Row: -1, Kind: ErrNoSplit, Msg: fmt.Sprintf("only one class folder (%s); want two or more, one folder per class", classes[0])}
	}
	d := &Dataset{Spec: spec, Splits: map[string]*Split{}, where: dir, Format: FormatImageFolder, LabelNames: classes}
	d.Spec.TextColumn, d.Spec.ImageColumn, d.Spec.LabelColumn = "", "image", "label"
	layout := map[string][]item{}
	for _, it := range items {
		layout[it.split] = append(layout[it.split], it)
	}
	want, err := d.pickSplits(dir, slices.Collect(maps.Keys(layout)), want)
	if err != nil {
		return nil, err
	}
	for _, name := range want {
		its := layout[name]
		s := &Split{Name: name, LabelNames: classes, spec: d.Spec, inMemory: true}
		// Class by class, as ImageFolder lists them; the file listing is sorted already.
		slices.SortStableFunc(its, func(a, b item) int { return strings.Compare(a.class, b.class) })
		for i, it := range its {
			p := filepath.Join(dir, filepath.FromSlash(it.file))
			label, _ := slices.BinarySearch(classes, it.class)
			s.local = append(s.local, Row{Index: i, Label: label, Image: &Image{Path: p}})
			s.Files = append(s.Files, p)
		}
		s.NumRows = len(s.local)
		d.Splits[name] = s
	}
	return d, nil
}

// localRows streams a split held in memory, reading each image file as its row comes (a new
// buffer per row, so a caller may keep it).
func (s *Split) localRows(yield func(Row, error) bool) {
	for _, row := range s.local {
		if row.Image != nil && row.Image.Bytes == nil && row.Image.Path != "" {
			raw, err := os.ReadFile(row.Image.Path)
			if err != nil {
				yield(Row{}, &Error{File: row.Image.Path, Row: -1, Kind: ErrFormat, Msg: "cannot read the image", Cause: unwrapPathError(err)})
				return
			}
			row.Image = &Image{Bytes: raw, Path: row.Image.Path}
		}
		if !yield(row, nil) {
			return
		}
	}
}

// HoldOut splits a split in two — rest and held out — stratified by label: in every class with two
// or more rows, a seeded random fraction of them (at least one, never all) is held out, as
// scikit-learn's and HF's train_test_split(stratify=…) do. For a dataset that comes as one split
// (a folder of class folders), it gives adaptation images to score on that it never trained on.
// Rows keep their order and their Index in the original split. rest is named like s, held "test".
func (s *Split) HoldOut(fraction float64, seed uint64) (rest, held *Split, err error) {
	if !(fraction > 0 && fraction < 1) {
		return nil, nil, fmt.Errorf("datasets: hold-out fraction %v: want between 0 and 1", fraction)
	}
	rows := s.local
	if !s.inMemory {
		if rows, err = s.ReadAll(); err != nil {
			return nil, nil, err
		}
	}
	byClass := map[int][]int{}
	for i, r := range rows {
		byClass[r.Label] = append(byClass[r.Label], i)
	}
	labels := make([]int, 0, len(byClass))
	for l := range byClass {
		labels = append(labels, l)
	}
	slices.Sort(labels)                                  // map order must not reach the random stream
	rng := rand.New(rand.NewPCG(seed, 0x686f6c646f7574)) // "holdout"
	isHeld := make([]bool, len(rows))
	for _, l := range labels {
		idx := byClass[l]
		if len(idx) < 2 {
			continue
		}
		n := min(max(int(math.Round(fraction*float64(len(idx)))), 1), len(idx)-1)
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		for _, i := range idx[:n] {
			isHeld[i] = true
		}
	}
	rest = &Split{Name: s.Name, Files: s.Files, LabelNames: s.LabelNames, spec: s.spec, inMemory: true}
	held = &Split{Name: "test", Files: s.Files, LabelNames: s.LabelNames, spec: s.spec, inMemory: true}
	for i, r := range rows {
		if isHeld[i] {
			held.local = append(held.local, r)
		} else {
			rest.local = append(rest.local, r)
		}
	}
	rest.NumRows, held.NumRows = len(rest.local), len(held.local)
	if held.NumRows == 0 {
		return nil, nil, &Error{File: strings.Join(s.Files[:min(len(s.Files), 3)], ", "), Row: -1, Kind: ErrEmpty,
			Msg: fmt.Sprintf("split %q has no class with two or more rows to hold some out", s.Name)}
	}
	return rest, held, nil
}
