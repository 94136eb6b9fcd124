package show

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"
)

// dotsPerPath counts the points in each <path> of a Scatter SVG, legend swatches included.
func dotsPerPath(h string) []int {
	var n []int
	for _, m := range regexp.MustCompile(`<path [^>]*d="([^"]*)"`).FindAllStringSubmatch(h, -1) {
		n = append(n, strings.Count(m[1], "M"))
	}
	return n
}

func TestScatter(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		name    string
		s       Scatter
		paths   []int    // points per path: each group with points, then one swatch per listed group
		legend  []string // in order
		skipped int
	}{
		{"named groups", Scatter{X: []float64{0, 1, 2, 3, 4, 5}, Y: []float64{5, 4, 3, 2, 1, 0}, Group: []int{0, 1, 0, 1, 2, 0},
			GroupNames: []string{"neg", "pos", "neutral"}}, []int{3, 2, 1, 1, 1, 1}, []string{"neg (3)", "pos (2)", "neutral (1)"}, 0},
		{"named group without points", Scatter{X: []float64{0, 1}, Y: []float64{0, 1}, Group: []int{1, 1},
			GroupNames: []string{"neg", "pos"}}, []int{2, 1, 1}, []string{"neg (0)", "pos (2)"}, 0},
		{"not finite or no group", Scatter{X: []float64{0, nan, 2, 3, math.Inf(1), 5}, Y: []float64{0, 1, 2, 3, 4, 5},
			Group: []int{0, 0, -1, 2, 0, 1}, GroupNames: []string{"a", "b"}}, []int{1, 1, 1, 1}, []string{"a (1)", "b (1)"}, 4},
		{"X longer than Y", Scatter{X: []float64{0, 1, 2, 3, 4}, Y: []float64{0, 1, 2}}, []int{3, 1}, []string{"group 0 (3)"}, 0},
		{"Group shorter than points", Scatter{X: []float64{0, 1, 2}, Y: []float64{0, 1, 2}, Group: []int{1}},
			[]int{1, 1}, []string{"group 1 (1)"}, 0},
		{"unnamed sparse groups", Scatter{X: []float64{0, 1, 2}, Y: []float64{2, 1, 0}, Group: []int{7, 0, 7}},
			[]int{1, 2, 1, 1}, []string{"group 0 (1)", "group 7 (2)"}, 0},
		{"one point", Scatter{X: []float64{3}, Y: []float64{3}, GroupNames: []string{"only"}}, []int{1, 1}, []string{"only (1)"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := c.s.HTML()
			wellFormed(t, h)
			if got := dotsPerPath(h); fmt.Sprint(got) != fmt.Sprint(c.paths) {
				t.Errorf("points per path %v, want %v", got, c.paths)
			}
			at := 0
			for _, l := range c.legend {
				i := strings.Index(h[at:], ">"+l+"</text>")
				if i < 0 {
					t.Errorf("legend %q missing or out of order: %s", l, h)
					break
				}
				at += i
			}
			if got := strings.Contains(h, fmt.Sprintf("%d not drawn", c.skipped)); got != (c.skipped > 0) {
				t.Errorf("skipped note for %d points: %v", c.skipped, got)
			}
			if strings.Contains(h, "NaN") || strings.Contains(h, "Inf") {
				t.Errorf("non-finite value leaked: %s", h)
			}
			txt := c.s.Text()
			for _, l := range c.legend {
				name, count, _ := strings.Cut(strings.TrimSuffix(l, ")"), " (")
				if !regexp.MustCompile(regexp.QuoteMeta(name) + ` +` + count + " points\n").MatchString(txt) {
					t.Errorf("text legend lacks %s with %s points:\n%s", name, count, txt)
				}
			}
			if got := strings.Contains(txt, fmt.Sprintf("%d points not drawn", c.skipped)); got != (c.skipped > 1) {
				t.Errorf("text note for %d skipped points: %v\n%s", c.skipped, got, txt)
			}
		})
	}
}

func TestScatterTextMarksTheMajority(t *testing.T) {
	// Group 1 has three points on the corner where group 0 has one: the corner shows group 1.
	s := &Scatter{X: []float64{0, 0, 0, 0, 10}, Y: []float64{0, 0, 0, 0, 10}, Group: []int{0, 1, 1, 1, 0}, GroupNames: []string{"a", "b"}}
	lines := strings.Split(s.Text(), "\n")
	top, bottom := lines[0], lines[scatterTextRows-1]
	if !strings.HasSuffix(top, "•") || !strings.HasSuffix(bottom, "┤+") {
		t.Errorf("top right should be group 0 (•), bottom left group 1 (+):\n%s", s.Text())
	}
	for _, l := range lines {
		if n := len([]rune(l)); n > 80 {
			t.Errorf("line of %d runes is too wide for a log: %q", n, l)
		}
	}
}

func TestScatterManyGroups(t *testing.T) {
	var x, y []float64
	var g []int
	for i := range 40 {
		x, y, g = append(x, float64(i)), append(y, float64(i%7)), append(g, i)
	}
	h := (&Scatter{X: x, Y: y, Group: g}).HTML()
	wellFormed(t, h)
	// Groups 10–19 repeat the first ten colours, so they are squares instead of dots.
	if !strings.Contains(h, `stroke="`+chartColours[0]+`" stroke-width="5" stroke-linecap="butt"`) {
		t.Errorf("group 10 should be drawn as squares: %s", h)
	}
	if !regexp.MustCompile(`>and \d+ more groups<`).MatchString(h) {
		t.Errorf("a legend of 40 groups cannot fit beside the plot: %s", h)
	}
}

func TestScatterEmptyAndEscaped(t *testing.T) {
	for _, s := range []*Scatter{{}, {Title: "t", X: []float64{1}}, {X: []float64{math.NaN()}, Y: []float64{1}}, {X: []float64{1}, Y: []float64{1}, Group: []int{}}} {
		h := s.HTML()
		wellFormed(t, h)
		if !strings.Contains(h, "no data") || !strings.Contains(s.Text(), "no data") {
			t.Errorf("want \"no data\": %s\n%s", h, s.Text())
		}
	}
	s := &Scatter{Title: "<i>map</i>", XLabel: "PC 1 <x>", YLabel: "a & b", X: []float64{1, 2}, Y: []float64{1, 2},
		Group: []int{0, 1}, GroupNames: []string{`<script>alert("x")</script>`, "ok\xff\x01"}}
	h := s.HTML()
	wellFormed(t, h)
	for _, bad := range []string{"<script>", "<i>", "<x>"} {
		if strings.Contains(h, bad) {
			t.Errorf("unescaped %q in %s", bad, h)
		}
	}
	for _, want := range []string{"&lt;script&gt;", "PC 1 &lt;x&gt;", "a &amp; b"} {
		if !strings.Contains(h, want) {
			t.Errorf("missing %q in %s", want, h)
		}
	}
}
