package show

import (
	"bytes"
	"strings"
	"testing"
)

func TestTableText(t *testing.T) {
	tb := &Table{Title: "Exercise 1.3 — accuracy", Header: []string{"split", "accuracy", "seed"}}
	tb.Add("validation", 0.8217, "0.822")
	tb.Add("test", 0.79831, "0.798")
	got := tb.Text()
	want := "Exercise 1.3 — accuracy\n" +
		"split       accuracy   seed\n" +
		"----------  --------  -----\n" +
		"validation    0.8217  0.822\n" +
		"test          0.7983  0.798\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestTableKeepsOneLinePerRow(t *testing.T) {
	tb := &Table{Header: []string{"text", "label"}}
	tb.Add("a film\nwith a line break\tand a tab", "pos")
	if lines := strings.Count(tb.Text(), "\n"); lines != 3 {
		t.Fatalf("%d lines:\n%s", lines, tb.Text())
	}
}

func TestTableHTMLEscapes(t *testing.T) {
	tb := &Table{Title: "samples", Header: []string{"text"}, Note: "demo <fixtures>"}
	tb.Add(`<script>alert("x")</script> & co`)
	h := tb.HTML()
	for _, bad := range []string{"<script>", `alert("x")`} {
		if strings.Contains(h, bad) {
			t.Errorf("unescaped %q in %s", bad, h)
		}
	}
	for _, want := range []string{"<table", ">samples</p>", ">text</th>", "&lt;script&gt;", "demo &lt;fixtures&gt;"} {
		if !strings.Contains(h, want) {
			t.Errorf("missing %q in %s", want, h)
		}
	}
}

func TestTableHTMLAlignsEveryColumn(t *testing.T) {
	tb := &Table{Title: "Exercise 1.3 — a stable baseline over five seeds", Header: []string{"split", "accuracy"}}
	tb.Add("validation", 0.8217)
	tb.Add("test", "79.8%")
	h := tb.HTML()
	left, right := `style="text-align:left"`, `style="text-align:right"`
	for _, want := range []string{
		"<th " + left + ">split</th>", "<th " + right + ">accuracy</th>",
		"<td " + left + ">validation</td>", "<td " + right + ">0.8217</td>",
		"<td " + left + ">test</td>", "<td " + right + ">79.8%</td>",
	} {
		if !strings.Contains(h, want) {
			t.Errorf("missing %q in %s", want, h)
		}
	}
	if strings.Contains(h, "<caption") {
		t.Errorf("a caption wraps into a narrow stack in Jupyter: %s", h)
	}
	title := strings.Index(h, "white-space:nowrap")
	if title < 0 || title > strings.Index(h, "<table") || !strings.Contains(h, ">Exercise 1.3 — a stable baseline over five seeds</p>") {
		t.Errorf("title should be one unwrapped line above the table: %s", h)
	}
	// A header wider than its rows still gets one aligned cell per column, and a table with no
	// title has no empty title line.
	h = (&Table{Header: []string{"a"}, Rows: [][]string{{"x", "1"}}}).HTML()
	if strings.Contains(h, "<p") || !strings.Contains(h, "<th "+right+"></th>") {
		t.Errorf("%s", h)
	}
}

func TestShowWritesTextOutsideNotebooks(t *testing.T) {
	var b bytes.Buffer
	Show(&b, Text("hello"), &Table{Header: []string{"a"}, Rows: [][]string{{"1"}}})
	if b.String() != "hello\na\n-\n1\n" {
		t.Fatalf("%q", b.String())
	}
}

func TestImageGrid(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n....")
	g := &ImageGrid{Title: "samples", Pictures: []Picture{{Data: png, Caption: "true cat / predicted <dog>"}, {Data: png, Caption: "ok", Good: true}}}
	h := g.HTML()
	for _, want := range []string{"data:image/png;base64,", "true cat / predicted &lt;dog&gt;", "#070", "#b00", `alt="true cat / predicted &lt;dog&gt;"`} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if txt := g.Text(); !strings.Contains(txt, "✗ true cat") || !strings.Contains(txt, "✓ ok") {
		t.Errorf("text %q", txt)
	}
}
