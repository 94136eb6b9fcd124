package show

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/janpfeifer/gonb/gonbui"
)

func TestNotesOutsideNotebookIsTheGivenWriter(t *testing.T) {
	if gonbui.IsNotebook {
		t.Skip("runs inside a notebook")
	}
	var b bytes.Buffer
	w := Notes(&b)
	if w != io.Writer(&b) {
		t.Fatalf("Notes(w) = %T, want w itself", w)
	}
	fmt.Fprintln(w, "loaded 10662 sentences")
	if b.String() != "loaded 10662 sentences\n" {
		t.Errorf("%q", b.String())
	}
	if Notes(nil) != io.Discard {
		t.Errorf("Notes(nil) = %T, want io.Discard", Notes(nil))
	}
}

func TestLineWriterEmitsCompleteLines(t *testing.T) {
	var got []string
	l := &lineWriter{emit: func(s string) { got = append(got, s) }}
	for _, chunk := range []string{"loa", "ded\r\nsecond", " line\n\nlast without newline"} {
		if n, err := l.Write([]byte(chunk)); n != len(chunk) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", chunk, n, err)
		}
	}
	want := []string{"loaded", "second line", ""}
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Fatalf("lines %q, want %q", got, want)
	}
	l.Write([]byte("\n"))
	if got[len(got)-1] != "last without newline" || len(got) != 4 {
		t.Errorf("the held-back line should come out with its newline: %q", got)
	}
}

func TestLineWriterKeepsConcurrentLinesWhole(t *testing.T) {
	var got []string
	l := &lineWriter{emit: func(s string) { got = append(got, s) }}
	const writers, lines = 8, 200
	var wg sync.WaitGroup
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range lines {
				fmt.Fprintf(l, "writer %d line %d\n", g, i)
			}
		}()
	}
	wg.Wait()
	if len(got) != writers*lines {
		t.Fatalf("%d lines, want %d", len(got), writers*lines)
	}
	next := make([]int, writers)
	for _, s := range got {
		var g, i int
		if _, err := fmt.Sscanf(s, "writer %d line %d", &g, &i); err != nil || fmt.Sprintf("writer %d line %d", g, i) != s {
			t.Fatalf("torn line %q", s)
		}
		if i != next[g] {
			t.Fatalf("writer %d: line %d came before line %d", g, i, next[g])
		}
		next[g]++
	}
}

func TestLineHTML(t *testing.T) {
	if got := lineHTML(`cache <dir> & "more"`); got != `<pre style="margin:0">cache &lt;dir&gt; &amp; &#34;more&#34;</pre>` {
		t.Errorf("%s", got)
	}
	if got := lineHTML(""); !strings.Contains(got, "> </pre>") {
		t.Errorf("a blank line must keep its height: %s", got)
	}
}
