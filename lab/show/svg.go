package show

import (
	"fmt"
	"html"
	"strings"
)

// chartColours is the Tableau 10 palette: distinct from each other and on white. Series past the
// tenth reuse a colour with a dash pattern.
var chartColours = []string{"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
	"#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"}

// xmlText escapes s for SVG text or attributes. Beyond html.EscapeString it must also drop what
// XML forbids outright (control characters, invalid UTF-8): one stray byte in a run name would
// otherwise make the browser refuse the whole inline SVG.
func xmlText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case r < 0x20, r == 0xFFFE, r == 0xFFFF:
			return -1
		}
		return r
	}, s)
	return html.EscapeString(s)
}

// svgStart opens a self-contained inline SVG of w×h pixels on a white background, with the title
// as its accessible name and as a bold heading. It returns the y at which the content may start.
func svgStart(b *strings.Builder, w, h int, title string) float64 {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" `+
		`font-family="sans-serif" font-size="11" role="img">`, w, h, w, h)
	if title != "" {
		fmt.Fprintf(b, `<title>%s</title>`, xmlText(title))
	}
	b.WriteString(`<rect width="100%" height="100%" fill="white"/>`)
	if title != "" {
		fmt.Fprintf(b, `<text x="%d" y="18" text-anchor="middle" font-size="13" font-weight="bold">%s</text>`,
			w/2, xmlText(title))
	}
	return contentTop(title)
}

// contentTop is where content may start below the title svgStart draws, for layouts that must
// know their height before they open the SVG.
func contentTop(title string) float64 {
	if title == "" {
		return 12
	}
	return 28
}

// svgNoData says so in the middle of the picture and closes the SVG.
func svgNoData(b *strings.Builder, w, h int) {
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle" fill="#888">no data</text></svg>`, w/2, h/2)
}

// plotFrame is the rectangle a plot draws in, and the axes that map data onto it.
type plotFrame struct {
	x0, x1, y0, y1 float64
	xa, ya         axis
}

// newPlotFrame leaves room for tick and axis labels around the plot and for a legend of width
// legendW on its right.
func newPlotFrame(w, h int, top, legendW float64, xlabel, ylabel string) plotFrame {
	left, bottom := 56.0, 26.0
	if ylabel != "" {
		left += 16
	}
	if xlabel != "" {
		bottom += 16
	}
	return plotFrame{x0: left, x1: float64(w) - 12 - legendW, y0: top, y1: float64(h) - bottom}
}

func (f plotFrame) px(x float64) float64 { return f.x0 + f.xa.frac(x)*(f.x1-f.x0) }
func (f plotFrame) py(y float64) float64 { return f.y1 - f.ya.frac(y)*(f.y1-f.y0) }

// drawAxes draws the grid lines at the ticks, the frame, the tick labels and the axis labels.
func (f plotFrame) drawAxes(b *strings.Builder, xlabel, ylabel string) {
	b.WriteString(`<g stroke="#e5e5e5" stroke-width="1">`)
	for _, t := range f.xa.ticks {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, f.px(t), f.y0, f.px(t), f.y1)
	}
	for _, t := range f.ya.ticks {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, f.x0, f.py(t), f.x1, f.py(t))
	}
	b.WriteString(`</g>`)
	fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#444"/>`, f.x0, f.y0, f.x1-f.x0, f.y1-f.y0)
	b.WriteString(`<g fill="#333">`)
	for _, t := range f.xa.ticks {
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, f.px(t), f.y1+14, xmlText(tickLabel(t, f.xa.step)))
	}
	for _, t := range f.ya.ticks {
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`, f.x0-5, f.py(t)+4, xmlText(tickLabel(t, f.ya.step)))
	}
	if xlabel != "" {
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, (f.x0+f.x1)/2, f.y1+30, xmlText(xlabel))
	}
	if ylabel != "" {
		cy := (f.y0 + f.y1) / 2
		fmt.Fprintf(b, `<text x="14" y="%.1f" text-anchor="middle" transform="rotate(-90 14 %.1f)">%s</text>`, cy, cy, xmlText(ylabel))
	}
	b.WriteString(`</g>`)
}
