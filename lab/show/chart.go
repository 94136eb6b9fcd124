package show

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Series is one curve of a Chart: a name and its points. A nil X plots Y against its index (the
// usual "loss per step" case); otherwise the first min(len(X), len(Y)) points are drawn, in order.
// Points where X or Y is NaN or ±Inf are skipped and break the line, so a diverged step shows as a
// gap rather than dragging the axes to infinity.
type Series struct {
	Name string
	X, Y []float64
}

// Chart is a line chart for training curves: inline SVG in a notebook, a character plot in a
// terminal.
type Chart struct {
	Title, XLabel, YLabel string
	Series                []Series
	Width, Height         int // SVG size in pixels; 0 is 640 wide, 320 high
}

type chartPoint struct {
	x, y float64
	ok   bool
}

func (s *Series) points() []chartPoint {
	n := len(s.Y)
	if s.X != nil {
		n = min(n, len(s.X))
	}
	pts := make([]chartPoint, n)
	for i := range n {
		x := float64(i)
		if s.X != nil {
			x = s.X[i]
		}
		y := s.Y[i]
		pts[i] = chartPoint{x, y, finite(x) && finite(y)}
	}
	return pts
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// runs splits the points into stretches of consecutive drawable points.
func runs(pts []chartPoint) [][]chartPoint {
	var out [][]chartPoint
	start := -1
	for i, p := range pts {
		if p.ok && start < 0 {
			start = i
		}
		if !p.ok && start >= 0 {
			out = append(out, pts[start:i])
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, pts[start:])
	}
	return out
}

// bounds is the range of all drawable points; ok is false when there are none.
func (c *Chart) bounds() (xlo, xhi, ylo, yhi float64, ok bool) {
	xlo, ylo = math.Inf(1), math.Inf(1)
	xhi, yhi = math.Inf(-1), math.Inf(-1)
	for i := range c.Series {
		for _, p := range c.Series[i].points() {
			if !p.ok {
				continue
			}
			ok = true
			xlo, xhi = min(xlo, p.x), max(xhi, p.x)
			ylo, yhi = min(ylo, p.y), max(yhi, p.y)
		}
	}
	return
}

// axis is a plotted range and the tick values on it.
type axis struct {
	lo, hi float64
	step   float64
	ticks  []float64
}

func (a axis) frac(v float64) float64 { return (v - a.lo) / (a.hi - a.lo) }

// niceAxis picks a tick step of 1, 2 or 5 × 10^k giving 4–6 ticks inside [lo, hi]. The plotted
// range stays the data range (training curves would otherwise waste a quarter of the height on
// empty space) unless too few ticks fit, in which case it widens to the neighbouring ticks.
func niceAxis(lo, hi float64) axis {
	if lo == hi {
		// One value (a single point, a flat metric): give it room so it sits mid-axis.
		pad := math.Abs(lo) * 0.1
		if pad == 0 {
			pad = 1
		}
		lo, hi = lo-pad, hi+pad
	}
	r := hi - lo
	if !finite(r) || r <= 0 {
		// Spans beyond float64 (±1e308 together) have no sensible ticks; label the ends.
		return axis{lo: lo, hi: hi, step: r, ticks: []float64{lo, hi}}
	}
	e := int(math.Floor(math.Log10(r)))
	var best axis
	bestScore := math.MaxInt
	for k := e - 2; k <= e+1; k++ {
		for _, m := range []float64{1, 2, 5} {
			ticks, step := tickRange(lo, hi, m, k, false)
			// Too few ticks can be fixed by widening the axis; too many cannot.
			score := abs(len(ticks) - 5)
			if len(ticks) < 4 {
				score += 10
			} else if len(ticks) > 6 {
				score += 20
			}
			if score < bestScore {
				best, bestScore = axis{lo: lo, hi: hi, step: step, ticks: ticks}, score
			}
		}
	}
	if len(best.ticks) < 4 {
		m, k := mantissa(best.step)
		best.ticks, _ = tickRange(lo, hi, m, k, true)
		best.lo = min(lo, best.ticks[0])
		best.hi = max(hi, best.ticks[len(best.ticks)-1])
	}
	return best
}

// tickRange lists the multiples of m×10^k in [lo, hi] (widened to the enclosing multiples when
// outer). Values are computed as i*m / 10^-k rather than i*step so that 0.3 prints and compares
// as 0.3, not 0.30000000000000004.
func tickRange(lo, hi, m float64, k int, outer bool) ([]float64, float64) {
	scale := math.Pow(10, math.Abs(float64(k)))
	step := m * scale
	if k < 0 {
		step = m / scale
	}
	first, last := math.Ceil(lo/step-1e-9), math.Floor(hi/step+1e-9)
	if outer {
		first, last = math.Floor(lo/step+1e-9), math.Ceil(hi/step-1e-9)
	}
	if last-first > 1000 { // cannot happen with the steps tried; guards the allocation
		return []float64{lo, hi}, step
	}
	var ticks []float64
	for i := first; i <= last; i++ {
		v := i * m * scale
		if k < 0 {
			v = i * m / scale
		}
		ticks = append(ticks, v+0) // +0 turns -0 into 0
	}
	return ticks, step
}

func mantissa(step float64) (float64, int) {
	k := int(math.Floor(math.Log10(step) + 1e-9))
	m := math.Round(step / math.Pow(10, float64(k)))
	return m, k
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// tickLabel prints a tick with just enough decimals for its step, so 0.4 and 0.6 read as such
// and 1000, 2000 don't grow a ".0".
func tickLabel(v, step float64) string {
	if v == 0 {
		return "0"
	}
	if math.Abs(v) >= 1e6 || step < 1e-4 {
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	dec := max(0, -int(math.Floor(math.Log10(step)+1e-9)))
	return strconv.FormatFloat(v, 'f', dec, 64)
}

// fmtNum prints a data value: whole numbers (steps, epochs) as integers, others to 4 significant
// digits.
func fmtNum(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

func seriesStyle(i int) string {
	s := fmt.Sprintf(`stroke="%s"`, chartColours[i%len(chartColours)])
	if i >= len(chartColours) {
		s += fmt.Sprintf(` stroke-dasharray="%d 3"`, 2+2*(i/len(chartColours)))
	}
	return s
}

func (c *Chart) seriesName(i int) string {
	if c.Series[i].Name != "" {
		return c.Series[i].Name
	}
	return fmt.Sprintf("series %d", i+1)
}

// HTML renders the chart as a self-contained inline SVG.
func (c *Chart) HTML() string {
	w, h := c.Width, c.Height
	if w <= 0 {
		w = 640
	}
	if h <= 0 {
		h = 320
	}
	var b strings.Builder
	top := svgStart(&b, w, h, c.Title)
	// The legend sits right of the plot, where it cannot hide a curve whichever way it runs.
	legendW := 0.0
	for i := range c.Series {
		legendW = max(legendW, 30+6.5*float64(utf8.RuneCountInString(c.seriesName(i))))
	}
	legendW = min(legendW, float64(w)/3)
	f := newPlotFrame(w, h, top, legendW, c.XLabel, c.YLabel)

	xlo, xhi, ylo, yhi, ok := c.bounds()
	if !ok || f.x1-f.x0 < 10 || f.y1-f.y0 < 10 {
		svgNoData(&b, w, h)
		return b.String()
	}
	f.xa, f.ya = niceAxis(xlo, xhi), niceAxis(ylo, yhi)
	f.drawAxes(&b, c.XLabel, c.YLabel)

	for i := range c.Series {
		colour := chartColours[i%len(chartColours)]
		fmt.Fprintf(&b, `<g fill="none" stroke-width="1.5" %s>`, seriesStyle(i))
		for _, run := range runs(c.Series[i].points()) {
			if len(run) == 1 {
				// A polyline of one point is invisible.
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s" stroke="none"/>`, f.px(run[0].x), f.py(run[0].y), colour)
				continue
			}
			b.WriteString(`<polyline points="`)
			for j, p := range run {
				if j > 0 {
					b.WriteByte(' ')
				}
				fmt.Fprintf(&b, "%.1f,%.1f", f.px(p.x), f.py(p.y))
			}
			b.WriteString(`"/>`)
		}
		b.WriteString(`</g>`)
	}

	lx := f.x1 + 12
	for i := range c.Series {
		ly := f.y0 + 8 + 16*float64(i)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke-width="2" %s/>`, lx, ly, lx+18, ly, seriesStyle(i))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#333">%s</text>`, lx+24, ly+4, xmlText(c.seriesName(i)))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// Text renders a 60×12 character plot followed by one line per series with its last, minimum
// and maximum values — the numbers a CI log reader actually wants.
func (c *Chart) Text() string {
	var b strings.Builder
	if c.Title != "" {
		b.WriteString(oneLine(c.Title) + "\n")
	}
	xlo, xhi, ylo, yhi, ok := c.bounds()
	if !ok {
		b.WriteString("(no data)\n")
		return b.String()
	}
	xa, ya := niceAxis(xlo, xhi), niceAxis(ylo, yhi)
	grid := newTextGrid(textCols, textRows)
	cell := func(p chartPoint) (float64, float64) {
		return xa.frac(p.x) * (textCols - 1), (1 - ya.frac(p.y)) * (textRows - 1)
	}
	set := func(cx, cy float64, m rune) {
		col, row := int(math.Round(cx)), int(math.Round(cy))
		if col >= 0 && col < textCols && row >= 0 && row < textRows {
			grid[row][col] = m
		}
	}
	for i := range c.Series {
		m := textMarks[i%len(textMarks)]
		for _, run := range runs(c.Series[i].points()) {
			ax, ay := cell(run[0])
			set(ax, ay, m)
			for _, p := range run[1:] {
				// Fill in between points so a sparse per-epoch curve still reads as a line.
				bx, by := cell(p)
				n := int(math.Ceil(max(math.Abs(bx-ax), math.Abs(by-ay))))
				for s := 1; s <= n; s++ {
					t := float64(s) / float64(n)
					set(ax+t*(bx-ax), ay+t*(by-ay), m)
				}
				set(bx, by, m)
				ax, ay = bx, by
			}
		}
	}

	writeTextPlot(&b, grid, xa, ya, c.XLabel, c.YLabel)

	nameW := 0
	for i := range c.Series {
		nameW = max(nameW, utf8.RuneCountInString(oneLine(c.seriesName(i))))
	}
	for i := range c.Series {
		name := oneLine(c.seriesName(i))
		fmt.Fprintf(&b, "%c %s%s  ", textMarks[i%len(textMarks)], name, strings.Repeat(" ", nameW-utf8.RuneCountInString(name)))
		var last chartPoint
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, p := range c.Series[i].points() {
			if p.ok {
				last = p
				lo, hi = min(lo, p.y), max(hi, p.y)
			}
		}
		if !last.ok {
			b.WriteString("no data\n")
			continue
		}
		fmt.Fprintf(&b, "last %s (at %s)  min %s  max %s\n", fmtNum(last.y), fmtNum(last.x), fmtNum(lo), fmtNum(hi))
	}
	return b.String()
}
