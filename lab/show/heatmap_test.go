package show

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// confusionFixture is a 10-class confusion matrix with 80 on the diagonal and small counts off it.
func confusionFixture(k int) [][]float64 {
	m := make([][]float64, k)
	for i := range m {
		m[i] = make([]float64, k)
		for j := range m[i] {
			m[i][j] = float64((i + 2*j) % 5)
		}
		m[i][i] = 80
	}
	return m
}

func TestHeatmapText(t *testing.T) {
	m := &Heatmap{Title: "Confusion\nmatrix", RowLabel: "true", ColLabel: "predicted",
		Rows: []string{"neg", "pos"}, Cols: []string{"neg", "pos"}, Values: [][]float64{{410, 12}, {88, 445}}}
	want := "Confusion matrix\n" +
		"true \\ predicted  neg  pos\n" +
		"----------------  ---  ---\n" +
		"neg               410   12\n" +
		"pos                88  445\n"
	if got := m.Text(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestHeatmapCells(t *testing.T) {
	names := []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}
	m := &Heatmap{Title: "CIFAR-10", RowLabel: "true class", ColLabel: "predicted", Rows: names, Cols: names, Values: confusionFixture(10)}
	h := m.HTML()
	wellFormed(t, h)
	if n := strings.Count(h, "<rect x="); n != 100+1 {
		t.Errorf("%d rects, want 100 cells and the frame", n)
	}
	// Ten classes: every count is printed in its cell, the diagonal in white on dark blue.
	if n := strings.Count(h, `stroke="none">`); n != 100 {
		t.Errorf("%d numbers in cells, want 100", n)
	}
	if n := strings.Count(h, `fill="white" stroke="none">80<`); n != 10 {
		t.Errorf("%d diagonal cells with white text, want 10", n)
	}
	darkest, _ := blue(1)
	lightest, _ := blue(0)
	if !strings.Contains(h, `fill="`+darkest+`"><title>true class cat, predicted cat: 80</title>`) ||
		!strings.Contains(h, `fill="`+lightest+`"><title>true class airplane, predicted dog: 0</title>`) {
		t.Errorf("cells should run from white (0) to dark blue (the largest): %s", h)
	}
	// "automobile" does not fit across a cell, so the column labels stand upright.
	if !strings.Contains(h, `)">automobile</text>`) || !strings.Contains(h, "rotate(-90") {
		t.Errorf("long column labels should be rotated: %s", h)
	}
	for _, want := range []string{">true class</text>", ">predicted</text>", ">CIFAR-10</text>"} {
		if !strings.Contains(h, want) {
			t.Errorf("missing %q", want)
		}
	}

	// Thirty classes: the cells are too small for numbers; the tooltips still carry them.
	m = &Heatmap{Values: confusionFixture(30)}
	h = m.HTML()
	wellFormed(t, h)
	if strings.Contains(h, `stroke="none">`) {
		t.Errorf("numbers printed in cells too small for them")
	}
	if n := strings.Count(h, "<title>"); n != 900 {
		t.Errorf("%d tooltips, want 900", n)
	}
	if !strings.Contains(h, "<title>29, 29: 80</title>") {
		t.Errorf("unlabelled rows and columns should be numbered from 0")
	}
	// Labels that fit across their cells stay level.
	h = (&Heatmap{Values: confusionFixture(3)}).HTML()
	if strings.Contains(h, "rotate(") || !strings.Contains(h, `text-anchor="middle">2</text>`) {
		t.Errorf("short column labels should not be rotated: %s", h)
	}
}

func TestHeatmapScaleStartsAtZero(t *testing.T) {
	// Counts of 10 and 20: 10 is half way up the scale, not white, or the matrix would hide that
	// every cell is busy.
	h := (&Heatmap{Values: [][]float64{{10, 20}, {20, 10}}}).HTML()
	half, _ := blue(0.5)
	if n := strings.Count(h, `fill="`+half+`"`); n != 2 {
		t.Errorf("%d cells at mid-scale %s, want 2: %s", n, half, h)
	}
}

func TestHeatmapEdgeCases(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		name      string
		m         Heatmap
		rows      int // data rows in Text (0: no data)
		emptyCell bool
		text      []string
	}{
		{"nil", Heatmap{}, 0, false, nil},
		{"no columns", Heatmap{Values: [][]float64{{}, {}}}, 0, false, nil},
		{"labels but no values", Heatmap{Rows: []string{"a"}, Cols: []string{"b"}}, 0, false, nil},
		{"empty row labels", Heatmap{Rows: []string{}, Values: [][]float64{{1}}}, 0, false, nil},
		{"fewer row labels than rows", Heatmap{Rows: []string{"a", "b"}, Values: [][]float64{{1, 2}, {3, 4}, {5, 6}}}, 2, false, []string{"b  3  4"}},
		{"fewer column labels than columns", Heatmap{Cols: []string{"x"}, Values: [][]float64{{1, 2}, {3, 4}}}, 2, false, []string{"0  1\n"}},
		{"ragged row", Heatmap{Values: [][]float64{{1, 2}, {3}}}, 2, true, []string{"1  3"}},
		{"NaN and Inf", Heatmap{Values: [][]float64{{nan, 2}, {math.Inf(1), 4}}, Format: "%.2f"}, 2, true, []string{"0     2.00\n", "1     4.00\n"}},
		{"all zero", Heatmap{Values: [][]float64{{0, 0}, {0, 0}}}, 2, false, nil},
		{"negative", Heatmap{Values: [][]float64{{-1, 0.5}, {2, -3}}, Format: "%.1f"}, 2, false, []string{"-3.0"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, txt := c.m.HTML(), c.m.Text()
			wellFormed(t, h)
			if c.rows == 0 {
				if !strings.Contains(h, "no data") || !strings.Contains(txt, "no data") {
					t.Errorf("want \"no data\": %s\n%s", h, txt)
				}
				return
			}
			if lines := strings.Count(txt, "\n"); lines != 2+c.rows {
				t.Errorf("%d text lines, want header, rule and %d rows:\n%s", lines, c.rows, txt)
			}
			if got := strings.Contains(h, "no value</title>"); got != c.emptyCell {
				t.Errorf("empty cell drawn: %v, want %v", got, c.emptyCell)
			}
			if strings.Contains(h, "NaN") || strings.Contains(h, "Inf") {
				t.Errorf("non-finite value leaked: %s", h)
			}
			for _, want := range c.text {
				if !strings.Contains(txt, want) {
					t.Errorf("text lacks %q:\n%s", want, txt)
				}
			}
		})
	}
}

func TestHeatmapEscapes(t *testing.T) {
	m := &Heatmap{Title: `<script>alert("x")</script>`, RowLabel: "true & <real>", ColLabel: "pred\x00\xff",
		Rows: []string{"<b>cat</b>", "a very long class name that goes on and on"}, Cols: []string{"x<y", "&"},
		Values: [][]float64{{1, 2}, {3, 4}}}
	h := m.HTML()
	wellFormed(t, h)
	for _, bad := range []string{"<script>", "<b>", "<real>", "x<y"} {
		if strings.Contains(h, bad) {
			t.Errorf("unescaped %q in %s", bad, h)
		}
	}
	for _, want := range []string{"&lt;b&gt;cat&lt;/b&gt;", "true &amp; &lt;real&gt;", "x&lt;y", "a very long class name …"} {
		if !strings.Contains(h, want) {
			t.Errorf("missing %q in %s", want, h)
		}
	}
	if !strings.Contains(m.Text(), "a very long class name that goes on and on") {
		t.Errorf("the text table should keep full names:\n%s", m.Text())
	}
}

func TestBlueScale(t *testing.T) {
	prev := 3.0
	for i := 0; i <= 10; i++ {
		c, dark := blue(float64(i) / 10)
		var r, g, b int
		if _, err := fmt.Sscanf(c, "#%02x%02x%02x", &r, &g, &b); err != nil {
			t.Fatalf("%q: %v", c, err)
		}
		luma := (0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(b)) / 255
		if luma >= prev {
			t.Errorf("t=%.1f: %s is not darker than the step before", float64(i)/10, c)
		}
		prev = luma
		if dark != (luma < 0.5) {
			t.Errorf("t=%.1f: white text %v on %s", float64(i)/10, dark, c)
		}
	}
	if c, _ := blue(-1); c != "#f7fbff" {
		t.Errorf("below the scale: %s", c)
	}
	if c, _ := blue(2); c != "#08306b" {
		t.Errorf("above the scale: %s", c)
	}
}

func TestNewPlotsAreRenderable(t *testing.T) {
	for _, r := range []Renderable{&Heatmap{}, &Bars{}, &Scatter{}} {
		_ = r.Text()
		_ = r.HTML()
	}
}
