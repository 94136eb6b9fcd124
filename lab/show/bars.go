package show

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Bars is a horizontal bar per label, e.g. the accuracy of each class. Nil Labels numbers the
// bars from 0; otherwise there are as many bars as there are both labels and values (the
// shorter wins). A negative value draws no bar, a value above Max a full one; NaN and ±Inf are
// shown as "n/a" without a bar.
type Bars struct {
	Title  string
	Labels []string
	Values []float64
	Max    float64 // the value of a full-length bar; 0 (or less) is the largest value
	Format string  // fmt verb for the values; "" is "%.1f"
	Unit   string  // written after each value, e.g. "%"
}

func (g *Bars) count() int {
	if g.Labels == nil {
		return len(g.Values)
	}
	return min(len(g.Labels), len(g.Values))
}

func (g *Bars) label(i int) string {
	if g.Labels == nil {
		return strconv.Itoa(i)
	}
	return g.Labels[i]
}

func (g *Bars) valueText(i int) string {
	v := g.Values[i]
	if !finite(v) {
		return "n/a"
	}
	f := g.Format
	if f == "" {
		f = "%.1f"
	}
	return fmt.Sprintf(f, v) + g.Unit
}

// full is the value of a full-length bar.
func (g *Bars) full() float64 {
	if g.Max > 0 {
		return g.Max
	}
	m := 0.0
	for _, v := range g.Values[:g.count()] {
		if finite(v) {
			m = max(m, v)
		}
	}
	return m
}

// fraction is how much of a full bar value i fills, in [0, 1].
func (g *Bars) fraction(i int, full float64) float64 {
	v := g.Values[i]
	if !finite(v) || full <= 0 {
		return 0
	}
	return min(max(v/full, 0), 1)
}

const textBarCells = 20

// eighths draws the last, partial cell of a text bar to an eighth of a cell.
var eighths = []rune{' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'}

// Text renders one line per bar: the label, the value and a bar of █ 20 cells long at Max.
func (g *Bars) Text() string {
	var b strings.Builder
	if g.Title != "" {
		b.WriteString(oneLine(g.Title) + "\n")
	}
	n := g.count()
	if n == 0 {
		b.WriteString("(no data)\n")
		return b.String()
	}
	labelW, valueW := 0, 0
	for i := range n {
		labelW = max(labelW, utf8.RuneCountInString(oneLine(g.label(i))))
		valueW = max(valueW, utf8.RuneCountInString(g.valueText(i)))
	}
	full := g.full()
	for i := range n {
		label, value := oneLine(g.label(i)), g.valueText(i)
		eighth := int(math.Round(g.fraction(i, full) * textBarCells * 8))
		bar := strings.Repeat("█", eighth/8)
		if eighth%8 > 0 {
			bar += string(eighths[eighth%8])
		}
		line := fmt.Sprintf("%s%s  %*s  %s", label, strings.Repeat(" ", labelW-utf8.RuneCountInString(label)), valueW, value, bar)
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	return b.String()
}

// Bars layout, in pixels.
const (
	barsWidth   = 640
	barsRow     = 22
	barsThick   = 14
	barsMaxText = 32 // runes of a label before it is shortened
)

// HTML renders the bars as a self-contained inline SVG. A light track behind each bar shows the
// full length, so a short bar reads as "far from Max" rather than just "shorter than the others".
func (g *Bars) HTML() string {
	var b strings.Builder
	n := g.count()
	if n == 0 {
		svgStart(&b, 320, 120, g.Title)
		svgNoData(&b, 320, 120)
		return b.String()
	}
	labels := make([]string, n)
	labelW, valueW := 0.0, 0.0
	for i := range n {
		labels[i] = shorten(g.label(i), barsMaxText)
		labelW = max(labelW, textWidth(labels[i], 11))
		valueW = max(valueW, textWidth(g.valueText(i), 11))
	}
	x0 := 12 + labelW + 8
	track := barsWidth - x0 - valueW - 20
	w := barsWidth
	if track < 120 { // long labels: widen the picture rather than squash the bars
		track = 120
		w = int(math.Ceil(x0 + track + valueW + 20))
	}
	top := contentTop(g.Title)
	h := int(math.Ceil(top + float64(n)*barsRow + 8))
	svgStart(&b, w, h, g.Title)
	full := g.full()
	fmt.Fprintf(&b, `<g fill="%s">`, chartColours[0])
	for i := range n {
		y := top + float64(i)*barsRow + (barsRow-barsThick)/2
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%d" fill="#eee"/>`, x0, y, track, barsThick)
		if f := g.fraction(i, full); f > 0 {
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%d"/>`, x0, y, f*track, barsThick)
		}
	}
	b.WriteString(`</g><g fill="#333">`)
	for i := range n {
		ty := top + float64(i)*barsRow + barsRow/2 + 4
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`, x0-8, ty, xmlText(labels[i]))
		// The value goes at the end of the bar, or of the track for a bar longer than Max.
		vx := x0 + min(1, g.fraction(i, full))*track + 4
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">%s</text>`, vx, ty, xmlText(g.valueText(i)))
	}
	fmt.Fprintf(&b, `</g><line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#444"/></svg>`,
		x0, top, x0, top+float64(n)*barsRow)
	return b.String()
}
