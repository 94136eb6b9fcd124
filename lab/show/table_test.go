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
	for _, want := range []string{"<table", "<caption>samples</caption>", "<th>text</th>", "&lt;script&gt;", "demo &lt;fixtures&gt;"} {
		if !strings.Contains(h, want) {
			t.Errorf("missing %q in %s", want, h)
		}
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
	for _, want := range []string{"data:image/png;base64,", "true cat / predicted &lt;dog&gt;", "#070", "#b00"} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if txt := g.Text(); !strings.Contains(txt, "✗ true cat") || !strings.Contains(txt, "✓ ok") {
		t.Errorf("text %q", txt)
	}
}
