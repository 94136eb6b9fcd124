package show

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock lets the tests step time instead of sleeping.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newTestProgress(w *bytes.Buffer, total int64, unit string, tty bool) (*Progress, *fakeClock) {
	c := &fakeClock{t: time.Unix(1000, 0)}
	p := NewProgress(w, "job", total, unit)
	p.now = c.now
	p.start, p.last = c.t, c.t
	p.tty = tty
	return p, c
}

func TestProgressLogModeThrottlesAndEnds(t *testing.T) {
	var buf bytes.Buffer
	p, clk := newTestProgress(&buf, 10662, "sentences", false)
	if p.tty {
		t.Fatal("a bytes.Buffer is not a terminal")
	}
	for range 4 {
		clk.advance(time.Second)
		p.Add(128) // inside the 5 s window: no line yet
	}
	if buf.Len() != 0 {
		t.Fatalf("printed before 5 s: %q", buf.String())
	}
	clk.advance(time.Second)
	p.Add(128)
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one heartbeat line, got %q", buf.String())
	}
	if want := "job:   6% 640/10662 sentences 128.0 sentences/s ETA 1m18s"; lines[0] != want {
		t.Fatalf("heartbeat line\n got %q\nwant %q", lines[0], want)
	}
	if strings.Contains(buf.String(), "\r") {
		t.Fatal("log mode must not use \\r")
	}
	p.Set(10662)
	p.Done()
	p.Done() // idempotent
	lines = strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("want heartbeat + final line, got %q", buf.String())
	}
	if want := "job: 100% 10662/10662 sentences in 5.0s (2132.4 sentences/s)"; lines[1] != want {
		t.Fatalf("final line\n got %q\nwant %q", lines[1], want)
	}
}

func TestProgressTerminalRedraw(t *testing.T) {
	var buf bytes.Buffer
	p, clk := newTestProgress(&buf, 4<<20, "B", true)
	clk.advance(10 * time.Millisecond)
	p.Add(1 << 20) // under 100 ms since start: skipped
	if buf.Len() != 0 {
		t.Fatalf("redrew too soon: %q", buf.String())
	}
	clk.advance(990 * time.Millisecond)
	p.Add(1 << 20)
	got := buf.String()
	// The rate counts from the first Add: 1 MiB in the 0.99 s since.
	want := "\rjob: [============            ]  50% 2.0 MiB/4.0 MiB 1.0 MiB/s ETA 2.0s"
	if got != want {
		t.Fatalf("redraw\n got %q\nwant %q", got, want)
	}
	clk.advance(time.Second)
	p.Add(2 << 20)
	p.Done()
	frames := strings.Split(buf.String(), "\r")
	final, prev := frames[len(frames)-1], frames[len(frames)-2]
	if strings.TrimRight(final, " \n") != "job: 100% 4.0 MiB/4.0 MiB in 2.0s (2.0 MiB/s)" || !strings.HasSuffix(final, "\n") {
		t.Fatalf("final redraw must overwrite the bar and end the line: %q", buf.String())
	}
	if len(final)-1 < len(prev) {
		t.Fatalf("final line %q does not blank the longer bar line %q", final, prev)
	}
}

func TestProgressResumeBaseNotCountedInRate(t *testing.T) {
	var buf bytes.Buffer
	p, clk := newTestProgress(&buf, 100<<20, "B", false)
	p.Set(90 << 20) // resumed from a partial download
	clk.advance(2 * time.Second)
	p.Add(10 << 20)
	p.Done()
	if want := "job: 100% 100.0 MiB/100.0 MiB in 2.0s (5.0 MiB/s)\n"; buf.String() != want {
		t.Fatalf("got %q want %q", buf.String(), want)
	}
}

func TestProgressUnknownTotalAndNil(t *testing.T) {
	var buf bytes.Buffer
	p, clk := newTestProgress(&buf, 0, "", false)
	clk.advance(time.Second)
	p.Add(7)
	p.Done()
	if want := "job: 7 in 1.0s (7.0/s)\n"; buf.String() != want {
		t.Fatalf("got %q want %q", buf.String(), want)
	}

	quiet := NewProgress(nil, "quiet", 10, "B")
	quiet.Add(5)
	quiet.Done()
	var nilP *Progress
	nilP.Add(1)
	nilP.Set(1)
	nilP.Done()
}

func TestProgressConcurrentAdd(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf, "par", 8000, "items")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				p.Add(1)
			}
		})
	}
	wg.Wait()
	p.Done()
	if !strings.Contains(buf.String(), "8000/8000 items") {
		t.Fatalf("lost updates: %q", buf.String())
	}
}

// A first step that compiles for 20 s, then steps of 0.1 s: the ETA is the remaining steps at
// 0.1 s, not at the average the compilation inflates.
func TestProgressETASkipsTheFirstUnit(t *testing.T) {
	var buf bytes.Buffer
	p, clk := newTestProgress(&buf, 30, "steps", true)
	clk.advance(20 * time.Second)
	p.Add(1)
	if strings.Contains(buf.String(), "ETA") {
		t.Fatalf("an ETA from the first step alone: %q", buf.String())
	}
	for range 9 {
		clk.advance(100 * time.Millisecond)
		p.Add(1)
	}
	frames := strings.Split(buf.String(), "\r")
	if want := "job: [========                ]  33% 10/30 steps 10.0 steps/s ETA 2.0s"; strings.TrimRight(frames[len(frames)-1], " ") != want {
		t.Fatalf("line after 10 steps\n got %q\nwant %q", frames[len(frames)-1], want)
	}
	p.Done()
	if !strings.Contains(buf.String(), "10/30 steps in 20.9s (0.5 steps/s)") {
		t.Errorf("the final line's average is the whole run's: %q", buf.String())
	}
}
