package show

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"golang.org/x/term"
)

// Redraw intervals: a terminal line is cheap to overwrite, so it can follow
// the work closely; a log file or notebook cell keeps every line, so it only
// gets a heartbeat.
const (
	ttyInterval  = 100 * time.Millisecond
	liveInterval = 250 * time.Millisecond
	logInterval  = 5 * time.Second
	barWidth     = 24
)

// Progress reports the advance of a long job (a download, an embedding pass,
// a training epoch) on one line. On a terminal the line is redrawn in place;
// anywhere else a line is printed every few seconds plus a final one, so CI
// logs and notebooks stay readable. A nil *Progress, or one made with a nil
// writer, counts silently. All methods are safe for concurrent use.
type Progress struct {
	mu    sync.Mutex
	w     io.Writer
	label string
	unit  string
	tty   bool
	live  string // GoNB display id: in a notebook the line is a live HTML element instead
	now   func() time.Time

	total   int64
	n       int64
	base    int64 // count the job started from, so a resumed job's rate is honest
	started bool  // an Add happened; Set before that only moves base
	start   time.Time
	// firstAt and firstN are the time and count at the first Add. The live rate and the ETA count
	// from there: the first unit of a job often carries a one-off cost (a training step's graph
	// compiled, a connection opened) that the units after it do not repeat.
	firstAt time.Time
	firstN  int64
	last    time.Time // last line written
	width   int       // width of the last terminal line, to blank leftovers
	done    bool
}

// NewProgress starts a progress report of total units (total <= 0 when it is
// unknown). Unit "B" formats counts as bytes (KiB, MiB, ...); any other unit
// is printed after plain counts, e.g. "512/10662 sentences".
func NewProgress(w io.Writer, label string, total int64, unit string) *Progress {
	p := &Progress{w: w, label: label, total: total, unit: unit, now: time.Now}
	if f, ok := w.(interface{ Fd() uintptr }); ok {
		p.tty = term.IsTerminal(int(f.Fd()))
	}
	if w != nil && gonbui.IsNotebook {
		p.live = "progress_" + gonbui.UniqueID()
	}
	p.start = p.now()
	p.last = p.start
	return p
}

// Add advances the count by n.
func (p *Progress) Add(n int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n += n
	if !p.started {
		p.started, p.firstAt, p.firstN = true, p.now(), p.n
	}
	p.maybeDraw()
}

// Set moves the count to n. Before any Add it marks where the job starts
// (a resumed download), which is then not counted in the rate.
func (p *Progress) Set(n int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n = n
	if !p.started {
		p.base = n
		return
	}
	p.maybeDraw()
}

// Done writes the final line. Later calls, and Adds after it, print nothing.
func (p *Progress) Done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done || p.w == nil {
		p.done = true
		return
	}
	p.done = true
	line := p.finalLine(p.now())
	if p.live != "" {
		gonbui.UpdateHTML(p.live, lineHTML(line))
		gonbui.Sync() // the final line must reach GoNB before the program can exit (see Show)
		return
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r%s%s\n", line, p.pad(line))
	} else {
		fmt.Fprintln(p.w, line)
	}
}

func (p *Progress) maybeDraw() {
	if p.w == nil || p.done {
		return
	}
	now := p.now()
	if p.live != "" {
		if now.Sub(p.last) < liveInterval {
			return
		}
		p.last = now
		gonbui.UpdateHTML(p.live, lineHTML(p.line(now, true)))
		return
	}
	if p.tty {
		if now.Sub(p.last) < ttyInterval {
			return
		}
		p.last = now
		line := p.line(now, true)
		fmt.Fprintf(p.w, "\r%s%s", line, p.pad(line))
		p.width = max(p.width, len(line)) // the padding stays on screen too
		return
	}
	if now.Sub(p.last) < logInterval {
		return
	}
	p.last = now
	fmt.Fprintln(p.w, p.line(now, false))
}

// pad blanks what is left of a longer previous line after a \r.
func (p *Progress) pad(line string) string {
	if d := p.width - len(line); d > 0 {
		return strings.Repeat(" ", d)
	}
	return ""
}

func (p *Progress) line(now time.Time, bar bool) string {
	var b strings.Builder
	b.WriteString(p.label)
	b.WriteString(":")
	if p.total > 0 {
		frac := min(max(float64(p.n)/float64(p.total), 0), 1)
		if bar {
			fill := int(frac * barWidth)
			b.WriteString(" [")
			b.WriteString(strings.Repeat("=", fill))
			b.WriteString(strings.Repeat(" ", barWidth-fill))
			b.WriteString("]")
		}
		fmt.Fprintf(&b, " %3.0f%%", 100*frac)
	}
	b.WriteString(" ")
	b.WriteString(p.count())
	rate := p.steadyRate(now)
	if rate > 0 {
		b.WriteString(" ")
		b.WriteString(p.formatRate(rate))
		if p.total > 0 && p.n < p.total {
			eta := time.Duration(float64(p.total-p.n) / rate * float64(time.Second))
			b.WriteString(" ETA ")
			b.WriteString(formatDuration(eta))
		}
	}
	return b.String()
}

func (p *Progress) finalLine(now time.Time) string {
	var b strings.Builder
	b.WriteString(p.label)
	b.WriteString(":")
	if p.total > 0 {
		frac := min(max(float64(p.n)/float64(p.total), 0), 1)
		fmt.Fprintf(&b, " %3.0f%%", 100*frac)
	}
	b.WriteString(" ")
	b.WriteString(p.count())
	fmt.Fprintf(&b, " in %s", formatDuration(now.Sub(p.start)))
	if rate := p.rate(now); rate > 0 {
		fmt.Fprintf(&b, " (%s)", p.formatRate(rate))
	}
	return b.String()
}

// steadyRate is the rate since the first Add, over the units after it; 0 until there are some.
func (p *Progress) steadyRate(now time.Time) float64 {
	secs := now.Sub(p.firstAt).Seconds()
	if !p.started || secs <= 0 || p.n <= p.firstN {
		return 0
	}
	return float64(p.n-p.firstN) / secs
}

// rate is the average over the whole job, for its final line.
func (p *Progress) rate(now time.Time) float64 {
	secs := now.Sub(p.start).Seconds()
	if secs <= 0 || p.n <= p.base {
		return 0
	}
	return float64(p.n-p.base) / secs
}

func (p *Progress) count() string {
	if p.unit == "B" {
		if p.total > 0 {
			return formatBytes(float64(p.n)) + "/" + formatBytes(float64(p.total))
		}
		return formatBytes(float64(p.n))
	}
	s := fmt.Sprint(p.n)
	if p.total > 0 {
		s += "/" + fmt.Sprint(p.total)
	}
	if p.unit != "" {
		s += " " + p.unit
	}
	return s
}

func (p *Progress) formatRate(r float64) string {
	if p.unit == "B" {
		return formatBytes(r) + "/s"
	}
	if p.unit != "" {
		return fmt.Sprintf("%.1f %s/s", r, p.unit)
	}
	return fmt.Sprintf("%.1f/s", r)
}

func formatBytes(v float64) string {
	const units = "KMGTPE"
	if v < 1024 {
		return fmt.Sprintf("%.0f B", v)
	}
	i := -1
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, units[i])
}

func formatDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}
