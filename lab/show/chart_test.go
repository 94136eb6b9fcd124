package show

import (
	"encoding/xml"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
)

// wellFormed fails the test unless s parses as XML from start to end: a browser drops an inline
// SVG that does not.
func wellFormed(t *testing.T, s string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, s)
		}
	}
}

func TestNiceAxisTicks(t *testing.T) {
	a := niceAxis(0.31, 0.92)
	want := []float64{0.4, 0.5, 0.6, 0.7, 0.8, 0.9}
	if len(a.ticks) != len(want) {
		t.Fatalf("ticks %v, want %v", a.ticks, want)
	}
	for i := range want {
		if a.ticks[i] != want[i] {
			t.Fatalf("ticks %v, want %v", a.ticks, want)
		}
	}
	if got := tickLabel(a.ticks[0], a.step); got != "0.4" {
		t.Errorf("label %q", got)
	}
	if a := niceAxis(0, 1000); tickLabel(a.ticks[1], a.step) != "200" {
		t.Errorf("ticks %v step %v", a.ticks, a.step)
	}

	// Every step must be 1, 2 or 5 × 10^k, give 4–6 ticks, and keep the ticks within the axis.
	for _, r := range [][2]float64{{0, 1}, {0.31, 0.92}, {2.3, 2.31}, {0, 9999}, {-3, 7}, {1e-7, 3e-7},
		{5, 5}, {0, 0}, {-1e6, 1e6}, {0.5, 6.9}, {1.01, 2.99}, {0.001, 0.0031}, {-0.2, -0.1}, {95, 101}} {
		for _, shift := range []float64{0, 0.013, 0.37} {
			lo, hi := r[0]+shift*(r[1]-r[0]), r[1]
			a := niceAxis(lo, hi)
			if n := len(a.ticks); n < 4 || n > 6 {
				t.Errorf("[%g, %g]: %d ticks %v", lo, hi, n, a.ticks)
			}
			if m, _ := mantissa(a.step); m != 1 && m != 2 && m != 5 {
				t.Errorf("[%g, %g]: step %g", lo, hi, a.step)
			}
			if a.lo > lo || a.hi < hi || a.ticks[0] < a.lo-1e-12 || a.ticks[len(a.ticks)-1] > a.hi+1e-12 {
				t.Errorf("[%g, %g]: axis [%g, %g] ticks %v", lo, hi, a.lo, a.hi, a.ticks)
			}
		}
	}
}

func TestNiceAxisSweep(t *testing.T) {
	for lo := -3.0; lo < 3; lo += 0.037 {
		for span := 0.001; span < 5000; span *= 1.07 {
			a := niceAxis(lo, lo+span)
			if n := len(a.ticks); n < 4 || n > 6 {
				t.Fatalf("[%g, %g]: %d ticks %v", lo, lo+span, n, a.ticks)
			}
		}
	}
}

func TestChartEscapes(t *testing.T) {
	c := &Chart{Title: `<script>alert("x")</script> & co`, XLabel: "step <n>", YLabel: "loss & more",
		Series: []Series{{Name: "run <a>\x00\xff", Y: []float64{3, 2, 1}}}}
	h := c.HTML()
	wellFormed(t, h)
	for _, bad := range []string{"<script>", `alert("x")`, "<n>", "<a>"} {
		if strings.Contains(h, bad) {
			t.Errorf("unescaped %q in %s", bad, h)
		}
	}
	for _, want := range []string{"&lt;script&gt;", "step &lt;n&gt;", "loss &amp; more", "run &lt;a&gt;"} {
		if !strings.Contains(h, want) {
			t.Errorf("missing %q in %s", want, h)
		}
	}
}

func TestChartSVG(t *testing.T) {
	c := &Chart{Title: "loss", XLabel: "step", YLabel: "loss", Series: []Series{
		{Name: "train", Y: []float64{0.92, 0.7, 0.5, 0.4, 0.31}},
		{Name: "val", X: []float64{0, 2, 4}, Y: []float64{0.9, 0.6, 0.45}},
	}}
	h := c.HTML()
	wellFormed(t, h)
	if strings.Contains(h, "<script") || strings.Contains(h, "href") {
		t.Errorf("SVG must be self-contained: %s", h)
	}
	if n := strings.Count(h, "<polyline"); n != 2 {
		t.Errorf("%d polylines", n)
	}
	if !strings.Contains(h, chartColours[0]) || !strings.Contains(h, chartColours[1]) {
		t.Errorf("series should have distinct colours: %s", h)
	}
	for _, want := range []string{`width="640"`, `height="320"`, ">train<", ">val<", ">0.4<", ">0.8<"} {
		if !strings.Contains(h, want) {
			t.Errorf("missing %q in %s", want, h)
		}
	}
}

func TestChartNaNMakesGap(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	c := &Chart{Series: []Series{{Name: "loss", Y: []float64{1, 0.9, nan, 0.7, 0.6, inf, 0.5, 0.4}}}}
	h := c.HTML()
	wellFormed(t, h)
	if n := strings.Count(h, "<polyline"); n != 3 {
		t.Errorf("%d polylines, want 3 around the two gaps: %s", n, h)
	}
	if strings.Contains(h, "NaN") || strings.Contains(h, "Inf") {
		t.Errorf("non-finite value leaked: %s", h)
	}
	// An isolated point between two gaps has no neighbour to join: it must still show.
	c = &Chart{Series: []Series{{Y: []float64{1, nan, 0.5, nan, 0.2, 0.1}}}}
	if h := c.HTML(); strings.Count(h, "<polyline") != 1 || strings.Count(h, "<circle") != 2 {
		t.Errorf("want 1 polyline and 2 dots: %s", h)
	}
	txt := c.Text()
	if !strings.Contains(txt, "last 0.1 (at 5)") || !strings.Contains(txt, "min 0.1  max 1") {
		t.Errorf("text:\n%s", txt)
	}
}

func TestChartSinglePoint(t *testing.T) {
	c := &Chart{Series: []Series{{Name: "acc", X: []float64{3}, Y: []float64{0.75}}}}
	h := c.HTML()
	wellFormed(t, h)
	if strings.Count(h, "<circle") != 1 || strings.Contains(h, "<polyline") {
		t.Errorf("want one dot: %s", h)
	}
	if txt := c.Text(); !strings.Contains(txt, "•") || !strings.Contains(txt, "last 0.75") {
		t.Errorf("text:\n%s", txt)
	}
}

func TestChartEmpty(t *testing.T) {
	for _, c := range []*Chart{
		{},
		{Title: "nothing yet", Series: []Series{{Name: "loss"}}},
		{Series: []Series{{Name: "loss", Y: []float64{math.NaN()}}}},
	} {
		h := c.HTML()
		wellFormed(t, h)
		if !strings.Contains(h, "no data") {
			t.Errorf("HTML: %s", h)
		}
		if !strings.Contains(c.Text(), "no data") {
			t.Errorf("Text: %s", c.Text())
		}
	}
}

func TestChartTextShowsLastValues(t *testing.T) {
	c := &Chart{Title: "training\nrun", XLabel: "epoch", Series: []Series{
		{Name: "train", Y: []float64{2.5, 1.2, 0.8, 0.61234}},
		{Name: "validation", Y: []float64{2.6, 1.4, 1.1, 1.05, math.NaN()}},
	}}
	txt := c.Text()
	for _, want := range []string{"training run\n", "• train       last 0.6123 (at 3)  min 0.6123  max 2.5",
		"+ validation  last 1.05 (at 3)", "epoch", "┤"} {
		if !strings.Contains(txt, want) {
			t.Errorf("missing %q in\n%s", want, txt)
		}
	}
	lines := strings.Split(strings.TrimSuffix(txt, "\n"), "\n")
	if len(lines) != 1+textRows+2+2 {
		t.Errorf("%d lines:\n%s", len(lines), txt)
	}
	for _, l := range lines {
		if n := len([]rune(l)); n > 80 {
			t.Errorf("line of %d runes is too wide for a log: %q", n, l)
		}
	}
}

func TestChartIsRenderable(t *testing.T) {
	var _ Renderable = &Chart{}
}
