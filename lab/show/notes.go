package show

import (
	"bytes"
	"html"
	"io"
	"strings"
	"sync"

	"github.com/janpfeifer/gonb/gonbui"
)

// Notes returns the writer for routine notices ("loaded 10662 sentences from the cache"). In a
// GoNB notebook they cannot go to stderr, which Jupyter paints pink as if something failed, nor
// to stdout, which reaches the cell by a different pipe than displayed tables and so can overtake
// them. There each complete line is displayed as HTML through the same channel as Show's items,
// and w is ignored; text after the last newline waits for the next one. Elsewhere Notes returns w
// itself, or io.Discard when w is nil. The notebook writer is safe for concurrent use and never
// splits or interleaves a line written in one Write.
func Notes(w io.Writer) io.Writer {
	if gonbui.IsNotebook {
		return &lineWriter{emit: displayLine}
	}
	if w == nil {
		return io.Discard
	}
	return w
}

// displayLine shows one notice in the notebook and waits for GoNB to take it, for the reason
// given in Show: so that it stays in order with the tables and text around it.
func displayLine(line string) {
	gonbui.DisplayHTML(lineHTML(line))
	gonbui.Sync()
}

// lineHTML renders one line of monospaced text for a notebook cell (a notice, a progress bar that
// must keep its shape) without the margins a <pre> has by default. An empty line becomes a space,
// since an empty <pre> has no height and the blank line would vanish.
func lineHTML(line string) string {
	if line == "" {
		line = " "
	}
	return `<pre style="margin:0">` + html.EscapeString(line) + "</pre>"
}

// lineWriter cuts what is written into lines and hands each complete one to emit, without its
// line ending.
type lineWriter struct {
	mu      sync.Mutex
	pending []byte // the start of a line whose newline has not been written yet
	emit    func(line string)
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock() // emit runs under the lock, so concurrent writers' lines keep their order
	rest := p
	for {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		var line string
		if len(l.pending) > 0 {
			line = string(append(l.pending, rest[:i]...))
			l.pending = l.pending[:0]
		} else {
			line = string(rest[:i])
		}
		l.emit(strings.TrimSuffix(line, "\r"))
		rest = rest[i+1:]
	}
	l.pending = append(l.pending, rest...)
	return len(p), nil
}
