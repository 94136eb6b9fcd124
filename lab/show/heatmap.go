package show

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Heatmap is a matrix of numbers drawn as coloured cells, white for the smallest value to dark
// blue for the largest: a confusion matrix, where the diagonal should stand out.
//
// Rows and Cols label the rows and columns; nil numbers them from 0. When labels are given, only
// as many rows (columns) are drawn as there are both labels and values: the shorter wins. A row
// shorter than the others, and a NaN or infinite value, leave an empty cell.
type Heatmap struct {
	Title              string
	RowLabel, ColLabel string // what the rows and the columns are, e.g. "true class", "predicted"
	Rows, Cols         []string
	Values             [][]float64
	Format             string // fmt verb for the numbers in the cells; "" is "%.0f"
}

func (m *Heatmap) size() (rows, cols int) {
	rows = len(m.Values)
	if m.Rows != nil {
		rows = min(rows, len(m.Rows))
	}
	for _, r := range m.Values[:rows] {
		cols = max(cols, len(r))
	}
	if m.Cols != nil {
		cols = min(cols, len(m.Cols))
	}
	return rows, cols
}

// value reports false for a cell that has no drawable value.
func (m *Heatmap) value(r, c int) (float64, bool) {
	if c >= len(m.Values[r]) {
		return 0, false
	}
	v := m.Values[r][c]
	return v, finite(v)
}

func (m *Heatmap) rowName(r int) string {
	if m.Rows == nil {
		return strconv.Itoa(r)
	}
	return m.Rows[r]
}

func (m *Heatmap) colName(c int) string {
	if m.Cols == nil {
		return strconv.Itoa(c)
	}
	return m.Cols[c]
}

func (m *Heatmap) format(v float64) string {
	f := m.Format
	if f == "" {
		f = "%.0f"
	}
	return fmt.Sprintf(f, v)
}

// Text renders the matrix as an aligned table: row names down the left, column names across the
// top, the rows and columns named in the corner.
func (m *Heatmap) Text() string {
	rows, cols := m.size()
	if rows == 0 || cols == 0 {
		s := "(no data)\n"
		if m.Title != "" {
			s = oneLine(m.Title) + "\n" + s
		}
		return s
	}
	corner := m.RowLabel
	if m.ColLabel != "" {
		corner = strings.TrimSpace(corner + ` \ ` + m.ColLabel)
	}
	t := &Table{Title: oneLine(m.Title), Header: []string{corner}}
	for c := range cols {
		t.Header = append(t.Header, m.colName(c))
	}
	for r := range rows {
		row := []string{m.rowName(r)}
		for c := range cols {
			s := ""
			if v, ok := m.value(r, c); ok {
				s = m.format(v)
			}
			row = append(row, s)
		}
		t.Rows = append(t.Rows, row)
	}
	return t.Text()
}

// blues is the white-to-dark-blue scale of the cells, as RGB stops at equal spacing.
var blues = [][3]float64{{247, 251, 255}, {198, 219, 239}, {107, 174, 214}, {33, 113, 181}, {8, 48, 107}}

// blue returns the colour at t ∈ [0, 1] on the scale, and whether text on it must be white to
// be read.
func blue(t float64) (string, bool) {
	t = min(max(t, 0), 1) * float64(len(blues)-1)
	i := min(int(t), len(blues)-2)
	f := t - float64(i)
	var c [3]float64
	for k := range c {
		c[k] = blues[i][k] + f*(blues[i+1][k]-blues[i][k])
	}
	luma := (0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]) / 255
	return fmt.Sprintf("#%02x%02x%02x", int(math.Round(c[0])), int(math.Round(c[1])), int(math.Round(c[2]))), luma < 0.5
}

// Heatmap layout. The grid aims at heatmapGrid pixels across whatever the number of classes, so
// ten classes get cells large enough for their counts and thirty still fit a notebook's width;
// cells never shrink below heatmapMinCell, where a row label still fits.
const (
	heatmapGrid    = 440.0
	heatmapMinCell = 12.0
	heatmapMaxCell = 44.0
	maxLabelRunes  = 24
	charWidth      = 0.6 // average width of a sans-serif character, in ems
)

// HTML renders the matrix as a self-contained inline SVG. Each cell carries a tooltip with its
// row, column and value, which is how a reader gets the number when the cells are too small to
// print it in.
func (m *Heatmap) HTML() string {
	rows, cols := m.size()
	var b strings.Builder
	if rows == 0 || cols == 0 {
		svgStart(&b, 320, 120, m.Title)
		svgNoData(&b, 320, 120)
		return b.String()
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for r := range rows {
		for c := range cols {
			if v, ok := m.value(r, c); ok {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	lo = min(lo, 0) // counts and rates start at 0: a matrix of large counts should not look empty
	cell := math.Round(min(max(heatmapGrid/float64(max(rows, cols)), heatmapMinCell), heatmapMaxCell))
	labelFont := min(11, math.Floor(cell*0.8))
	numFont := min(12, math.Floor(cell*0.4))

	rowNames, colNames := make([]string, rows), make([]string, cols)
	rowW, colW := 0.0, 0.0
	for r := range rows {
		rowNames[r] = shorten(m.rowName(r), maxLabelRunes)
		rowW = max(rowW, textWidth(rowNames[r], labelFont))
	}
	for c := range cols {
		colNames[c] = shorten(m.colName(c), maxLabelRunes)
		colW = max(colW, textWidth(colNames[c], labelFont))
	}
	// Column labels read across when every one fits its cell, and upwards otherwise.
	rotate := colW > cell-2
	colH := labelFont + 4
	if rotate {
		colH = colW + 6
	}

	left := 8 + rowW + 6
	if m.RowLabel != "" {
		left += 18
	}
	gridW, gridH := float64(cols)*cell, float64(rows)*cell
	w := int(math.Ceil(max(left+gridW+12, textWidth(m.Title, 13)+24)))
	top := contentTop(m.Title)
	if m.ColLabel != "" {
		top += 18
	}
	gy := top + colH
	h := int(math.Ceil(gy + gridH + 12))
	svgStart(&b, w, h, m.Title)

	b.WriteString(`<g fill="#333">`)
	if m.ColLabel != "" {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-weight="bold">%s</text>`,
			left+gridW/2, top-6, xmlText(m.ColLabel))
	}
	if m.RowLabel != "" {
		cy := gy + gridH/2
		fmt.Fprintf(&b, `<text x="14" y="%.1f" text-anchor="middle" font-weight="bold" transform="rotate(-90 14 %.1f)">%s</text>`,
			cy, cy, xmlText(m.RowLabel))
	}
	fmt.Fprintf(&b, `<g font-size="%g">`, labelFont)
	for r, name := range rowNames {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`,
			left-6, gy+(float64(r)+0.5)*cell+labelFont*0.35, xmlText(name))
	}
	for c, name := range colNames {
		cx := left + (float64(c)+0.5)*cell
		if rotate {
			x, y := cx+labelFont*0.35, gy-4
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" transform="rotate(-90 %.1f %.1f)">%s</text>`, x, y, x, y, xmlText(name))
		} else {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, cx, gy-4, xmlText(name))
		}
	}
	b.WriteString(`</g></g>`)

	fmt.Fprintf(&b, `<g stroke="white" stroke-width="1" font-size="%g" text-anchor="middle">`, numFont)
	for r := range rows {
		for c := range cols {
			x, y := left+float64(c)*cell, gy+float64(r)*cell
			v, ok := m.value(r, c)
			tip := m.tooltip(r, c, v, ok)
			if !ok {
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%g" height="%g" fill="#f4f4f4"><title>%s</title></rect>`,
					x, y, cell, cell, xmlText(tip))
				continue
			}
			t := 0.0
			if hi > lo {
				t = (v - lo) / (hi - lo)
			}
			fill, dark := blue(t)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%g" height="%g" fill="%s"><title>%s</title></rect>`,
				x, y, cell, cell, fill, xmlText(tip))
			// A number is printed only when it fits its cell at a readable size.
			if s := m.format(v); numFont >= 8 && textWidth(s, numFont) <= cell-4 {
				ink := "#222"
				if dark {
					ink = "white"
				}
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="%s" stroke="none">%s</text>`,
					x+cell/2, y+cell/2+numFont*0.35, ink, xmlText(s))
			}
		}
	}
	b.WriteString(`</g>`)
	fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%g" height="%g" fill="none" stroke="#bbb"/>`, left, gy, gridW, gridH)
	b.WriteString(`</svg>`)
	return b.String()
}

// tooltip names a cell the way a reader says it: "true class cat, predicted dog: 12".
func (m *Heatmap) tooltip(r, c int, v float64, ok bool) string {
	name := func(axis, label string) string { return strings.TrimSpace(axis + " " + label) }
	s := name(m.RowLabel, m.rowName(r)) + ", " + name(m.ColLabel, m.colName(c)) + ": "
	if !ok {
		return s + "no value"
	}
	return s + m.format(v)
}

// shorten keeps labels to n characters, marking a cut with an ellipsis, so one long class name
// cannot push the picture off the page.
func shorten(s string, n int) string {
	s = oneLine(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// textWidth estimates the width in pixels of s at the given font size.
func textWidth(s string, font float64) float64 {
	return float64(utf8.RuneCountInString(s)) * font * charWidth
}
