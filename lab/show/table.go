// Package show renders what the lab shows a student — progress, tables, curves, heatmaps, bars,
// point maps, images — the same way in a terminal (text) and in a GoNB notebook (inline HTML), so
// the CLI and the notebooks print the same thing.
package show

import (
	"fmt"
	"html"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/janpfeifer/gonb/gonbui"
)

// Renderable is anything that can be shown both as text and as HTML.
type Renderable interface {
	Text() string
	HTML() string
}

// Table is a titled table of strings. Columns whose cells all look numeric are right-aligned.
type Table struct {
	Title  string
	Header []string
	Rows   [][]string
	Note   string // a line under the table (e.g. "demo fixtures: the numbers mean nothing")
}

// Add appends a row, formatting each value with %v (floats with 4 significant decimals).
func (t *Table) Add(cells ...any) {
	row := make([]string, len(cells))
	for i, c := range cells {
		switch v := c.(type) {
		case float64:
			row[i] = fmt.Sprintf("%.4f", v)
		case float32:
			row[i] = fmt.Sprintf("%.4f", v)
		default:
			row[i] = fmt.Sprint(v)
		}
	}
	t.Rows = append(t.Rows, row)
}

func (t *Table) columns() int {
	n := len(t.Header)
	for _, r := range t.Rows {
		n = max(n, len(r))
	}
	return n
}

func (t *Table) numeric(col int) bool {
	seen := false
	for _, r := range t.Rows {
		if col >= len(r) || r[col] == "" {
			continue
		}
		var f float64
		if _, err := fmt.Sscan(strings.TrimSuffix(r[col], "%"), &f); err != nil {
			return false
		}
		seen = true
	}
	return seen
}

// Text renders the table with aligned columns. Cells are shown on one line: newlines and tabs
// inside a cell become spaces, so a review with line breaks cannot break the layout.
func (t *Table) Text() string {
	n := t.columns()
	clean := func(s string) string { return strings.NewReplacer("\n", " ", "\r", " ", "\t", " ").Replace(s) }
	width := make([]int, n)
	for i, h := range t.Header {
		width[i] = utf8.RuneCountInString(clean(h))
	}
	for _, r := range t.Rows {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(clean(c)))
		}
	}
	var b strings.Builder
	if t.Title != "" {
		b.WriteString(t.Title + "\n")
	}
	line := func(cells []string) {
		for i := 0; i < n; i++ {
			c := ""
			if i < len(cells) {
				c = clean(cells[i])
			}
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i > 0 {
				b.WriteString("  ")
			}
			if t.numeric(i) {
				b.WriteString(pad + c)
			} else if i < n-1 {
				b.WriteString(c + pad)
			} else {
				b.WriteString(c)
			}
		}
		b.WriteString("\n")
	}
	if len(t.Header) > 0 {
		line(t.Header)
		rule := make([]string, n)
		for i := range rule {
			rule[i] = strings.Repeat("-", width[i])
		}
		line(rule)
	}
	for _, r := range t.Rows {
		line(r)
	}
	if t.Note != "" {
		b.WriteString(t.Note + "\n")
	}
	return b.String()
}

// HTML renders the table as an HTML <table>, every cell escaped. Every cell states its alignment
// because Jupyter's stylesheet right-aligns all table cells, which leaves text columns ragged. The
// title is a paragraph rather than a <caption>: Jupyter shrinks a caption to the table's width and
// wraps a long title into a narrow stack of words.
func (t *Table) HTML() string {
	var b strings.Builder
	if t.Title != "" {
		b.WriteString(`<p style="font-weight:bold;white-space:nowrap;margin:0.6em 0 0.2em">` +
			html.EscapeString(t.Title) + "</p>")
	}
	b.WriteString(`<table class="lab-table">`)
	n := t.columns()
	align := make([]string, n)
	for i := range align {
		align[i] = ` style="text-align:left"`
		if t.numeric(i) {
			align[i] = ` style="text-align:right"`
		}
	}
	if len(t.Header) > 0 {
		b.WriteString("<thead><tr>")
		for i := 0; i < n; i++ {
			h := ""
			if i < len(t.Header) {
				h = t.Header[i]
			}
			b.WriteString("<th" + align[i] + ">" + html.EscapeString(h) + "</th>")
		}
		b.WriteString("</tr></thead>")
	}
	b.WriteString("<tbody>")
	for _, r := range t.Rows {
		b.WriteString("<tr>")
		for i := 0; i < n; i++ {
			c := ""
			if i < len(r) {
				c = r[i]
			}
			b.WriteString("<td" + align[i] + ">" + html.EscapeString(c) + "</td>")
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</tbody></table>")
	if t.Note != "" {
		b.WriteString("<p><em>" + html.EscapeString(t.Note) + "</em></p>")
	}
	return b.String()
}

// Text is preformatted text (a model summary, a report) that keeps its layout in both worlds.
type Text string

func (s Text) Text() string { return string(s) }
func (s Text) HTML() string { return "<pre>" + html.EscapeString(string(s)) + "</pre>" }

// Show displays each item where the user is looking: inline HTML in a GoNB notebook, text on w
// (stdout when nil) elsewhere.
func Show(w io.Writer, items ...Renderable) {
	if gonbui.IsNotebook {
		for _, it := range items {
			gonbui.DisplayHTML(it.HTML())
		}
		// GoNB reads display data from a named pipe on its own schedule, apart from the ordinary
		// stdout/stderr pipes, and closes that pipe's reader as soon as the program exits. Without
		// waiting, a table shown last in a cell can be lost, and text printed after it can appear
		// above it. Sync returns once GoNB has acknowledged everything sent before it.
		gonbui.Sync()
		return
	}
	for _, it := range items {
		if w == nil {
			w = os.Stdout
		}
		s := it.Text()
		if !strings.HasSuffix(s, "\n") {
			s += "\n"
		}
		fmt.Fprint(w, s)
	}
}
