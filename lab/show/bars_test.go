package show

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestBarsText(t *testing.T) {
	g := &Bars{Title: "Per-class accuracy", Labels: []string{"cat", "dog", "bird", "fish", "newt"},
		Values: []float64{50, 100, 120, math.NaN(), -5}, Max: 100, Unit: "%"}
	want := "Per-class accuracy\n" +
		"cat    50.0%  ██████████\n" +
		"dog   100.0%  ████████████████████\n" +
		"bird  120.0%  ████████████████████\n" +
		"fish     n/a\n" +
		"newt   -5.0%\n"
	if got := g.Text(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// 33 of 100 is 6.6 cells: six full blocks and five eighths of the seventh.
	g = &Bars{Values: []float64{33, 100}, Max: 100, Format: "%.0f"}
	if got := strings.Split(g.Text(), "\n")[0]; got != "0   33  ██████▋" {
		t.Errorf("%q", got)
	}
}

// barWidths returns the widths of the track rects and of the bars in a Bars SVG.
func barWidths(t *testing.T, h string) (tracks, bars []float64) {
	t.Helper()
	re := regexp.MustCompile(`<rect x="[^"]*" y="[^"]*" width="([^"]*)" height="14"( fill="#eee")?/>`)
	for _, m := range re.FindAllStringSubmatch(h, -1) {
		w, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			t.Fatal(err)
		}
		if m[2] != "" {
			tracks = append(tracks, w)
		} else {
			bars = append(bars, w)
		}
	}
	return tracks, bars
}

func TestBarsHTML(t *testing.T) {
	cases := []struct {
		name   string
		g      Bars
		labels []string
		frac   []float64 // bar lengths as fractions of the track; bars of length 0 are not drawn
		texts  []string
	}{
		{"against Max", Bars{Title: "accuracy", Labels: []string{"cat", "dog"}, Values: []float64{50, 100}, Max: 100, Unit: "%"},
			[]string{"cat", "dog"}, []float64{0.5, 1}, []string{">50.0%<", ">100.0%<"}},
		{"largest is full", Bars{Values: []float64{2, 4}, Format: "%.2f"}, []string{"0", "1"}, []float64{0.5, 1}, []string{">2.00<", ">4.00<"}},
		{"above Max is capped", Bars{Labels: []string{"a"}, Values: []float64{150}, Max: 100}, []string{"a"}, []float64{1}, []string{">150.0<"}},
		{"no bar for NaN or negative", Bars{Labels: []string{"a", "b", "c"}, Values: []float64{math.NaN(), -1, 1}},
			[]string{"a", "b", "c"}, []float64{1}, []string{">n/a<", ">-1.0<"}},
		{"more labels than values", Bars{Labels: []string{"a", "b", "c"}, Values: []float64{1, 2}}, []string{"a", "b"}, []float64{0.5, 1}, nil},
		{"more values than labels", Bars{Labels: []string{"a"}, Values: []float64{1, 2}}, []string{"a"}, []float64{1}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := c.g.HTML()
			wellFormed(t, h)
			tracks, bars := barWidths(t, h)
			if len(tracks) != len(c.labels) || len(bars) != len(c.frac) {
				t.Fatalf("%d tracks and %d bars, want %d and %d: %s", len(tracks), len(bars), len(c.labels), len(c.frac), h)
			}
			for i, f := range c.frac {
				if math.Abs(bars[i]-f*tracks[0]) > 0.1 {
					t.Errorf("bar %d is %.1f of a %.1f track, want %.2f of it", i, bars[i], tracks[0], f)
				}
			}
			for _, l := range c.labels {
				if !strings.Contains(h, `text-anchor="end">`+l+`</text>`) {
					t.Errorf("label %q missing", l)
				}
			}
			for _, want := range c.texts {
				if !strings.Contains(h, want) {
					t.Errorf("missing %q in %s", want, h)
				}
			}
			title := 0
			if c.g.Title != "" {
				title = 1
			}
			if lines := strings.Count(c.g.Text(), "\n"); lines != title+len(c.labels) {
				t.Errorf("%d text lines, want %d:\n%s", lines, len(c.labels), c.g.Text())
			}
		})
	}
}

func TestBarsEmptyAndEscaped(t *testing.T) {
	for _, g := range []*Bars{{}, {Title: "x", Labels: []string{"a"}}, {Labels: []string{}, Values: []float64{1}}} {
		h := g.HTML()
		wellFormed(t, h)
		if !strings.Contains(h, "no data") || !strings.Contains(g.Text(), "no data") {
			t.Errorf("want \"no data\": %s\n%s", h, g.Text())
		}
	}
	g := &Bars{Title: "<b>acc</b>", Labels: []string{`<script>alert("x")</script>`, "a\nb\x00", strings.Repeat("long ", 20)},
		Values: []float64{1, 2, 3}, Unit: " <u>"}
	h := g.HTML()
	wellFormed(t, h)
	for _, bad := range []string{"<script>", "<b>", "<u>"} {
		if strings.Contains(h, bad) {
			t.Errorf("unescaped %q in %s", bad, h)
		}
	}
	if !strings.Contains(h, "&lt;script&gt;") || !strings.Contains(h, ">long long long long long long l…</text>") {
		t.Errorf("escaping or shortening: %s", h)
	}
	if strings.Count(g.Text(), "\n") != 4 {
		t.Errorf("a newline in a label must not break a text line:\n%s", g.Text())
	}
}
