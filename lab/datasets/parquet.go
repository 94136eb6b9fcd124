package datasets

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// The kinds of failure, for errors.Is; every error is an *Error that also
// names the file (and row) at fault.
var (
	ErrNotParquet = errors.New("not a readable parquet file") // garbage, truncated or corrupt
	ErrSchema     = errors.New("schema does not fit the spec")
	ErrNull       = errors.New("null value")
	ErrLabel      = errors.New("label outside the label names")
	ErrEmpty      = errors.New("no rows")
	ErrNoSplit    = errors.New("no such split")
)

// Error is what every failure of this package looks like.
type Error struct {
	File  string // the parquet file, or the repo for repo-level faults
	Row   int    // 0-based row within File; -1 when the fault is not one row's
	Kind  error  // one of the Err* sentinels
	Msg   string
	Cause error // underlying error from the parquet library, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("datasets: ")
	b.WriteString(e.File)
	if e.Row >= 0 {
		fmt.Fprintf(&b, ": row %d", e.Row)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Cause != nil {
		b.WriteString(": ")
		b.WriteString(e.Cause.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Cause}
}

// Split is the local parquet files of one split, their schemas already
// checked against the Spec. It holds no open file: Rows opens them one at a
// time, so a Split can be kept around (or dropped) freely.
type Split struct {
	Name    string
	Files   []string // read in this order; HF's shard names sort in shard order
	NumRows int
	// LabelNames are the class names; when set, a label outside them is an
	// error rather than a silent out-of-range index into a classifier.
	LabelNames []string

	spec Spec
	// inMemory splits (text files, image folders, a held-out part) are their rows in local; an
	// image row there holds the file's path, read when the row is streamed.
	inMemory bool
	local    []Row
}

// OpenFiles checks the files of one split against spec (each must have the
// spec's columns with usable types) and counts their rows. Only the footers
// are read. Label names come from the files' `datasets` metadata when it has
// a ClassLabel for the label column, else from spec.LabelNames.
func OpenFiles(spec Spec, split string, files ...string) (*Split, error) {
	s := &Split{Name: split, Files: files, LabelNames: spec.LabelNames, spec: spec}
	if len(files) == 0 {
		return nil, &Error{File: split, Row: -1, Kind: ErrEmpty, Msg: "the split has no files"}
	}
	fromMeta := false
	for _, name := range files {
		err := withFile(name, func(f *parquet.File) error {
			if _, err := plan(f.Schema(), spec); err != nil {
				return err
			}
			s.NumRows += int(f.NumRows())
			if !fromMeta {
				if names := metadataLabelNames(f, spec.LabelColumn); names != nil {
					s.LabelNames, fromMeta = names, true
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if s.NumRows == 0 {
		return nil, &Error{File: strings.Join(files, ", "), Row: -1, Kind: ErrEmpty,
			Msg: fmt.Sprintf("split %q has no rows", split)}
	}
	return s, nil
}

// withFile opens a parquet file for fn and turns whatever goes wrong, panics
// of the parquet library included, into an *Error naming the file.
// parquet-go trusts lengths and offsets in the footer and page headers and
// can index out of range on a crafted or damaged file; a dataset file is
// input, so that must be an error, not a crash.
func withFile(name string, fn func(*parquet.File) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &Error{File: name, Row: -1, Kind: ErrNotParquet, Msg: "corrupt parquet file", Cause: fmt.Errorf("parquet-go panicked: %v", r)}
		}
	}()
	osf, err := os.Open(name)
	if err != nil {
		return &Error{File: name, Row: -1, Kind: ErrNotParquet, Msg: "cannot open", Cause: err}
	}
	defer osf.Close()
	st, err := osf.Stat()
	if err != nil {
		return &Error{File: name, Row: -1, Kind: ErrNotParquet, Msg: "cannot open", Cause: err}
	}
	f, err := openParquet(osf, st.Size())
	if err != nil {
		if isLFSPointer(osf) {
			return &Error{File: name, Row: -1, Kind: ErrNotParquet,
				Msg: "a Git LFS pointer, not the data: the repo was cloned without Git LFS (run `git lfs install` and `git lfs pull` in the clone)"}
		}
		return &Error{File: name, Row: -1, Kind: ErrNotParquet, Msg: "not parquet, or truncated", Cause: err}
	}
	err = fn(f)
	var e *Error
	if errors.As(err, &e) && e.File == "" {
		e.File = name
	}
	return err
}

// isLFSPointer says whether a file is the small text Git LFS leaves in a clone made without it.
func isLFSPointer(r io.ReaderAt) bool {
	head := make([]byte, 64)
	n, _ := r.ReadAt(head, 0)
	return bytes.HasPrefix(head[:n], []byte("version https://git-lfs.github.com/spec/"))
}

func openParquet(r io.ReaderAt, size int64) (*parquet.File, error) {
	// parquet-go allocates the footer length the file claims (up to 4 GiB)
	// before comparing it with the file's size: a damaged footer would cost
	// seconds and gigabytes before failing. Check it here first.
	var tail [8]byte
	if size < 12 {
		return nil, fmt.Errorf("%d bytes is too short for a parquet file", size)
	}
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return nil, err
	}
	if string(tail[4:]) != "PAR1" {
		return nil, fmt.Errorf("no parquet magic at the end (%q)", tail[4:])
	}
	if n := int64(binary.LittleEndian.Uint32(tail[:4])); n > size-12 {
		return nil, fmt.Errorf("footer of %d bytes does not fit in a file of %d bytes", n, size)
	}
	// The page index and bloom filters are for seeking and filtering, which
	// a sequential reader never does; skipping them reads less of the file.
	return parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
}

// ReadAll reads the whole split into memory: right for Rotten Tomatoes,
// a choice the caller makes knowingly for image datasets.
func (s *Split) ReadAll() ([]Row, error) {
	rows := make([]Row, 0, s.NumRows)
	for row, err := range s.Rows() {
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// Rows streams the split's rows in file order. Only the spec's columns are
// decoded, and only one row group's worth of them is in memory at a time.
// The first error ends the sequence.
func (s *Split) Rows() iter.Seq2[Row, error] {
	if s.inMemory {
		return s.localRows
	}
	return func(yield func(Row, error) bool) {
		index := 0
		for _, name := range s.Files {
			stopped := false
			err := withFile(name, func(f *parquet.File) error {
				cols, err := plan(f.Schema(), s.spec)
				if err != nil {
					return err
				}
				fileRow := 0
				for _, rg := range f.RowGroups() {
					ok, err := s.readRowGroup(rg, cols, &index, &fileRow, yield)
					if err != nil || !ok {
						stopped = !ok
						return err
					}
				}
				return nil
			})
			if err != nil {
				yield(Row{}, err)
				return
			}
			if stopped {
				return
			}
		}
	}
}

// batch is how many rows are decoded at once: enough to amortise the
// per-call cost of the library, small enough that a batch of images stays
// a few MB.
const batch = 64

// readRowGroup yields the rows of one row group; ok is false when the
// consumer stopped early.
func (s *Split) readRowGroup(rg parquet.RowGroup, cols []column, index, fileRow *int, yield func(Row, error) bool) (ok bool, err error) {
	chunks := rg.ColumnChunks()
	for i := range cols {
		for j := range cols[i].leaves {
			l := &cols[i].leaves[j]
			l.pages = chunks[l.index].Pages()
			l.values = nil
			defer l.pages.Close()
		}
	}
	total := int(rg.NumRows())
	buf := make([]parquet.Value, batch)
	got := make([][]any, len(cols))
	for done := 0; done < total; {
		n := min(batch, total-done)
		for i := range cols {
			if got[i], err = cols[i].read(buf[:n]); err != nil {
				return false, err
			}
		}
		for k := range n {
			row := Row{Index: *index}
			for i := range cols {
				if err := s.setField(&row, *fileRow, &cols[i], got[i][k]); err != nil {
					return false, err
				}
			}
			*index++
			*fileRow++
			if !yield(row, nil) {
				return false, nil
			}
		}
		done += n
	}
	return true, nil
}

// setField stores one decoded value in row; fileRow numbers the row within
// its file, since that is where someone would go and look.
func (s *Split) setField(row *Row, fileRow int, c *column, v any) error {
	rowErr := func(kind error, format string, args ...any) error {
		return &Error{Row: fileRow, Kind: kind, Msg: fmt.Sprintf(format, args...)}
	}
	if v == nil && c.role != roleExtra {
		return rowErr(ErrNull, "column %q is null", c.name)
	}
	switch c.role {
	case roleText:
		row.Text = v.(string)
	case roleLabel:
		label := v.(int64)
		if n := len(s.LabelNames); n > 0 && (label < 0 || label >= int64(n)) {
			return rowErr(ErrLabel, "label %d (column %q) is outside the %d label names %v", label, c.name, n, s.LabelNames)
		}
		row.Label = int(label)
	case roleImage:
		row.Image = v.(*Image)
	default:
		if row.Fields == nil {
			row.Fields = make(map[string]any, len(s.spec.Extra))
		}
		row.Fields[c.name] = v
	}
	return nil
}

type role int

const (
	roleText role = iota
	roleLabel
	roleImage
	roleExtra
)

// column reads one of the spec's columns: one leaf for a plain value, two
// (bytes, path) for an image.
type column struct {
	name   string
	role   role
	leaves []leaf
	image  bool
}

type leaf struct {
	index  int // column index in the file's row groups
	decode func(parquet.Value) any
	pages  parquet.Pages
	values parquet.ValueReader // of the current page; nil between pages
}

// read decodes the column's next len(buf) values. The values are copied out
// of the library's page buffers at once, since those may be reused for the
// next page.
func (c *column) read(buf []parquet.Value) ([]any, error) {
	n := len(buf)
	out := make([]any, n)
	if !c.image {
		if err := c.leaves[0].read(c.name, buf); err != nil {
			return nil, err
		}
		for k, v := range buf {
			out[k] = c.leaves[0].decode(v)
		}
		return out, nil
	}
	data := make([]any, n)
	if err := c.leaves[0].read(c.name+".bytes", buf); err != nil {
		return nil, err
	}
	for k, v := range buf {
		data[k] = c.leaves[0].decode(v)
	}
	if len(c.leaves) > 1 {
		if err := c.leaves[1].read(c.name+".path", buf); err != nil {
			return nil, err
		}
	}
	for k := range n {
		var img Image
		var path any
		if len(c.leaves) > 1 {
			path = c.leaves[1].decode(buf[k])
		}
		// A null image reads as a null in both leaves; keep it null so the
		// caller sees it instead of an image with no bytes.
		if data[k] == nil && path == nil {
			continue
		}
		img.Bytes, _ = data[k].([]byte)
		img.Path, _ = path.(string)
		out[k] = &img
	}
	return out, nil
}

// read fills buf from the leaf's pages, crossing page boundaries. It is an
// error for the column to run out first: every leaf of a flat schema has
// exactly one value per row, so a short column means a corrupt file.
func (l *leaf) read(name string, buf []parquet.Value) error {
	n := 0
	for n < len(buf) {
		if l.values == nil {
			p, err := l.pages.ReadPage()
			if err == io.EOF {
				return &Error{Row: -1, Kind: ErrNotParquet, Msg: fmt.Sprintf("column %q has fewer values than its row group has rows", name)}
			}
			if err != nil {
				return &Error{Row: -1, Kind: ErrNotParquet, Msg: fmt.Sprintf("cannot read column %q", name), Cause: err}
			}
			l.values = p.Values()
		}
		k, err := l.values.ReadValues(buf[n:])
		n += k
		switch {
		case err == io.EOF:
			l.values = nil
		case err != nil:
			return &Error{Row: -1, Kind: ErrNotParquet, Msg: fmt.Sprintf("cannot read column %q", name), Cause: err}
		case k == 0:
			// A reader that neither advances nor ends would spin forever.
			return &Error{Row: -1, Kind: ErrNotParquet, Msg: fmt.Sprintf("column %q: page yields no values", name)}
		}
	}
	return nil
}

// plan finds the spec's columns in a file's schema and picks a decoder for
// each, or says precisely which column does not fit and why.
func plan(schema *parquet.Schema, spec Spec) ([]column, error) {
	var cols []column
	add := func(name string, r role) error {
		if name == "" {
			return nil
		}
		var node parquet.Node
		for _, f := range schema.Fields() {
			if f.Name() == name {
				node = f
				break
			}
		}
		if node == nil {
			return schemaError("no column %q (the file has: %s)", name, strings.Join(fieldNames(schema), ", "))
		}
		if node.Repeated() || isList(node) {
			return schemaError("column %q is a list; want a single value per row", name)
		}
		c := column{name: name, role: r}
		switch {
		case node.Leaf():
			lc, _ := schema.Lookup(name)
			dec, what := decoder(node.Type())
			ok := dec != nil
			switch r {
			case roleText:
				ok = what == "string"
			case roleLabel:
				ok = what == "int32" || what == "int64"
			case roleImage:
				ok = false
			}
			if !ok {
				return schemaError("column %q is %s; want %s", name, what, want(r))
			}
			c.leaves = []leaf{{index: lc.ColumnIndex, decode: dec}}
		case isImage(node) && (r == roleImage || r == roleExtra):
			bytesCol, _ := schema.Lookup(name, "bytes")
			c.image = true
			c.leaves = []leaf{{index: bytesCol.ColumnIndex, decode: decodeBinary}}
			if pathCol, ok := schema.Lookup(name, "path"); ok {
				c.leaves = append(c.leaves, leaf{index: pathCol.ColumnIndex, decode: decodeString})
			}
		default:
			return schemaError("column %q is a struct {%s}; want %s", name, strings.Join(fieldNamesOf(node), ", "), want(r))
		}
		cols = append(cols, c)
		return nil
	}
	if err := add(spec.TextColumn, roleText); err != nil {
		return nil, err
	}
	if err := add(spec.LabelColumn, roleLabel); err != nil {
		return nil, err
	}
	if err := add(spec.ImageColumn, roleImage); err != nil {
		return nil, err
	}
	for _, name := range spec.Extra {
		if err := add(name, roleExtra); err != nil {
			return nil, err
		}
	}
	return cols, nil
}

func schemaError(format string, args ...any) error {
	return &Error{Row: -1, Kind: ErrSchema, Msg: fmt.Sprintf(format, args...)}
}

func want(r role) string {
	switch r {
	case roleText:
		return "a string"
	case roleLabel:
		return "an integer (ClassLabel)"
	case roleImage:
		return "an image, struct {bytes: binary, path: string}"
	}
	return "a string, number, boolean, binary or image column"
}

// isImage says whether a group is `datasets`' Image feature: bytes and an
// optional path, nothing repeated.
func isImage(n parquet.Node) bool {
	if n.Leaf() {
		return false
	}
	var hasBytes bool
	for _, f := range n.Fields() {
		switch {
		case !f.Leaf() || f.Repeated():
			return false
		case f.Name() == "bytes" && f.Type().Kind() == parquet.ByteArray:
			hasBytes = true
		case f.Name() == "path" && f.Type().Kind() == parquet.ByteArray:
		default:
			return false
		}
	}
	return hasBytes
}

func isList(n parquet.Node) bool {
	if lt := n.Type().LogicalType(); lt != nil {
		if _, ok := lt.Value.(*format.ListType); ok {
			return true
		}
	}
	return false
}

func fieldNames(s *parquet.Schema) []string { return fieldNamesOf(s) }

func fieldNamesOf(n parquet.Node) []string {
	var names []string
	for _, f := range n.Fields() {
		names = append(names, f.Name())
	}
	return names
}

// decoder picks how to turn a leaf's values into Go values, and names the
// type for error messages. A nil decoder means the type is not supported.
func decoder(t parquet.Type) (func(parquet.Value) any, string) {
	switch t.Kind() {
	case parquet.Boolean:
		return nullable(func(v parquet.Value) any { return v.Boolean() }), "bool"
	case parquet.Int32:
		if unsigned(t) {
			return nullable(func(v parquet.Value) any { return int64(v.Uint32()) }), "int32"
		}
		return nullable(func(v parquet.Value) any { return int64(v.Int32()) }), "int32"
	case parquet.Int64:
		return nullable(func(v parquet.Value) any { return v.Int64() }), "int64"
	case parquet.Float:
		return nullable(func(v parquet.Value) any { return float64(v.Float()) }), "float"
	case parquet.Double:
		return nullable(func(v parquet.Value) any { return v.Double() }), "double"
	case parquet.ByteArray:
		if isString(t) {
			return decodeString, "string"
		}
		return decodeBinary, "binary"
	}
	return nil, strings.ToLower(t.String())
}

func nullable(f func(parquet.Value) any) func(parquet.Value) any {
	return func(v parquet.Value) any {
		if v.IsNull() {
			return nil
		}
		return f(v)
	}
}

func decodeString(v parquet.Value) any {
	if v.IsNull() {
		return nil
	}
	return string(v.ByteArray())
}

func decodeBinary(v parquet.Value) any {
	if v.IsNull() {
		return nil
	}
	return bytes.Clone(v.ByteArray())
}

func isString(t parquet.Type) bool {
	if lt := t.LogicalType(); lt != nil {
		switch lt.Value.(type) {
		case *format.StringType, *format.EnumType, *format.JsonType:
			return true
		}
	}
	ct := t.ConvertedType()
	return ct != nil && (*ct == deprecated.UTF8 || *ct == deprecated.Enum || *ct == deprecated.Json)
}

func unsigned(t parquet.Type) bool {
	if lt := t.LogicalType(); lt != nil {
		if it, ok := lt.Value.(*format.IntType); ok {
			return !it.IsSigned
		}
	}
	return false
}

// metadataLabelNames reads the ClassLabel names that `datasets` stores in
// the arrow schema metadata of every parquet file it writes, so a file
// carries its label names even without the repo's README.
func metadataLabelNames(f *parquet.File, labelColumn string) []string {
	if labelColumn == "" {
		return nil
	}
	raw, ok := f.Lookup("huggingface")
	if !ok {
		return nil
	}
	var meta struct {
		Info struct {
			Features map[string]struct {
				Type  string   `json:"_type"`
				Names []string `json:"names"`
			} `json:"features"`
		} `json:"info"`
	}
	if json.Unmarshal([]byte(raw), &meta) != nil {
		return nil // metadata is a hint; a file without usable metadata is still data
	}
	if feat, ok := meta.Info.Features[labelColumn]; ok && feat.Type == "ClassLabel" && len(feat.Names) > 0 {
		return feat.Names
	}
	return nil
}
