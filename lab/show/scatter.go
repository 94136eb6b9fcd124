package show

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Scatter is a cloud of points coloured by group: a 2-D PCA map of features coloured by class.
//
// It draws as many points as X, Y and (when not nil) Group all have: the shorter wins. Nil Group
// puts every point in group 0. With GroupNames, a point's group must index it; without, groups
// are called "group N" and only those with points are listed. Points with a NaN or infinite
// coordinate, or a group that is negative or has no name, are left out and counted in a note.
type Scatter struct {
	Title, XLabel, YLabel string
	X, Y                  []float64
	Group                 []int // per point, an index into GroupNames
	GroupNames            []string
	Width, Height         int // SVG size in pixels; 0 is 640 wide, 440 high
}

type scatterPoint struct {
	x, y  float64
	group int
}

// points returns the drawable points, the groups to list in the legend (in increasing order)
// with their number of points, and how many points were left out.
func (s *Scatter) points() (pts []scatterPoint, groups []int, count map[int]int, skipped int) {
	n := min(len(s.X), len(s.Y))
	if s.Group != nil {
		n = min(n, len(s.Group))
	}
	count = map[int]int{}
	for i := range n {
		g := 0
		if s.Group != nil {
			g = s.Group[i]
		}
		if g < 0 || (s.GroupNames != nil && g >= len(s.GroupNames)) || !finite(s.X[i]) || !finite(s.Y[i]) {
			skipped++
			continue
		}
		count[g]++
		pts = append(pts, scatterPoint{s.X[i], s.Y[i], g})
	}
	if s.GroupNames != nil {
		// Every named group is listed, an empty one too: a class missing from the map is news.
		for g := range s.GroupNames {
			groups = append(groups, g)
		}
	} else {
		for g := range count {
			groups = append(groups, g)
		}
		slices.Sort(groups)
	}
	return pts, groups, count, skipped
}

func (s *Scatter) groupName(g int) string {
	if g < len(s.GroupNames) {
		return s.GroupNames[g]
	}
	return "group " + strconv.Itoa(g)
}

func scatterAxes(pts []scatterPoint) (axis, axis) {
	xlo, ylo := math.Inf(1), math.Inf(1)
	xhi, yhi := math.Inf(-1), math.Inf(-1)
	for _, p := range pts {
		xlo, xhi = min(xlo, p.x), max(xhi, p.x)
		ylo, yhi = min(ylo, p.y), max(yhi, p.y)
	}
	return niceAxis(xlo, xhi), niceAxis(ylo, yhi)
}

func skippedNote(skipped int) string {
	if skipped == 1 {
		return "1 point not drawn (a coordinate is not finite, or it has no group)"
	}
	return fmt.Sprintf("%d points not drawn (a coordinate is not finite, or they have no group)", skipped)
}

const scatterTextRows = 20

// Text renders a 60×20 character plot, each cell marked for the group with most points in it,
// then one line per group with its mark and number of points.
func (s *Scatter) Text() string {
	var b strings.Builder
	if s.Title != "" {
		b.WriteString(oneLine(s.Title) + "\n")
	}
	pts, groups, count, skipped := s.points()
	if len(pts) == 0 {
		b.WriteString("(no data)\n")
		if skipped > 0 {
			b.WriteString(skippedNote(skipped) + "\n")
		}
		return b.String()
	}
	xa, ya := scatterAxes(pts)
	counts := make([][]map[int]int, scatterTextRows)
	for r := range counts {
		counts[r] = make([]map[int]int, textCols)
	}
	for _, p := range pts {
		col := int(math.Round(xa.frac(p.x) * (textCols - 1)))
		row := int(math.Round((1 - ya.frac(p.y)) * (scatterTextRows - 1)))
		if counts[row][col] == nil {
			counts[row][col] = map[int]int{}
		}
		counts[row][col][p.group]++
	}
	grid := newTextGrid(textCols, scatterTextRows)
	for r, row := range counts {
		for c, cell := range row {
			best, bestN := -1, 0
			for g, k := range cell {
				if k > bestN || (k == bestN && g < best) {
					best, bestN = g, k
				}
			}
			if best >= 0 {
				grid[r][c] = textMarks[best%len(textMarks)]
			}
		}
	}
	writeTextPlot(&b, grid, xa, ya, s.XLabel, s.YLabel)
	nameW := 0
	for _, g := range groups {
		nameW = max(nameW, utf8.RuneCountInString(oneLine(s.groupName(g))))
	}
	for _, g := range groups {
		name := oneLine(s.groupName(g))
		fmt.Fprintf(&b, "%c %s%s  %d points\n", textMarks[g%len(textMarks)], name,
			strings.Repeat(" ", nameW-utf8.RuneCountInString(name)), count[g])
	}
	if skipped > 0 {
		b.WriteString(skippedNote(skipped) + "\n")
	}
	return b.String()
}

// dotStyle draws group g's points. Past the tenth group the colours repeat, so the shape changes
// instead: round dots, then squares.
type dotStyle struct {
	colour string
	size   float64 // diameter or side, in pixels
	square bool
}

func newDotStyle(g int, size float64) dotStyle {
	return dotStyle{chartColours[g%len(chartColours)], size, (g/len(chartColours))%2 == 1}
}

// attrs are the path attributes. A dot is a zero-length stroke with round caps; a square is a
// stroke as long as it is wide with flat caps, since renderers disagree on square caps of a
// zero-length stroke.
func (d dotStyle) attrs() string {
	linecap := "round"
	if d.square {
		linecap = "butt"
	}
	return fmt.Sprintf(`fill="none" stroke="%s" stroke-width="%g" stroke-linecap="%s"`, d.colour, d.size, linecap)
}

// at appends one point at (x, y) to a path's data.
func (d dotStyle) at(b *strings.Builder, x, y float64) {
	if d.square {
		fmt.Fprintf(b, "M%.1f %.1fh%g", x-d.size/2, y, d.size)
		return
	}
	fmt.Fprintf(b, "M%.1f %.1fh0", x, y)
}

// HTML renders the points as a self-contained inline SVG with a legend of the groups and their
// sizes. Each group's points are one path of zero-length strokes, which round line caps draw as
// dots: a third of the size of a <circle> per point, which matters at 10,000 points.
func (s *Scatter) HTML() string {
	w, h := s.Width, s.Height
	if w <= 0 {
		w = 640
	}
	if h <= 0 {
		h = 440
	}
	var b strings.Builder
	top := svgStart(&b, w, h, s.Title)
	pts, groups, count, skipped := s.points()
	legend := make([]string, len(groups))
	legendW := 0.0
	for i, g := range groups {
		legend[i] = fmt.Sprintf("%s (%d)", shorten(s.groupName(g), maxLabelRunes), count[g])
		legendW = max(legendW, 30+textWidth(legend[i], 11))
	}
	legendW = min(legendW, float64(w)/3)
	f := newPlotFrame(w, h, top, legendW, s.XLabel, s.YLabel)
	if len(pts) == 0 || f.x1-f.x0 < 10 || f.y1-f.y0 < 10 {
		svgNoData(&b, w, h)
		return b.String()
	}
	f.xa, f.ya = scatterAxes(pts)
	f.drawAxes(&b, s.XLabel, s.YLabel)

	size := 5.0 // dot diameter: smaller as the cloud gets denser, so clusters keep their shape
	if len(pts) > 5000 {
		size = 3
	} else if len(pts) > 1000 {
		size = 4
	}
	for _, g := range groups {
		if count[g] == 0 {
			continue
		}
		dot := newDotStyle(g, size)
		fmt.Fprintf(&b, `<path %s stroke-opacity="0.7" d="`, dot.attrs())
		for _, p := range pts {
			if p.group == g {
				dot.at(&b, f.px(p.x), f.py(p.y))
			}
		}
		b.WriteString(`"/>`)
	}

	lx := f.x1 + 14
	// The legend lists as many groups as fit beside the plot and says how many more there are.
	lines := max(1, int((f.y1-f.y0)/16)-1)
	shown := len(groups)
	if shown > lines {
		shown = lines - 1
	}
	for i, g := range groups[:shown] {
		ly := f.y0 + 8 + 16*float64(i)
		dot := newDotStyle(g, 7)
		fmt.Fprintf(&b, `<path %s d="`, dot.attrs())
		dot.at(&b, lx+4, ly)
		b.WriteString(`"/>`)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#333">%s</text>`, lx+14, ly+4, xmlText(legend[i]))
	}
	ly := f.y0 + 12 + 16*float64(shown)
	if shown < len(groups) {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#888">and %d more groups</text>`, lx, ly, len(groups)-shown)
		ly += 16
	}
	if skipped > 0 {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#888">%d not drawn</text>`, lx, ly, skipped)
	}
	b.WriteString(`</svg>`)
	return b.String()
}
