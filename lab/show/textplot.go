package show

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

const (
	textCols = 60
	textRows = 12
)

// textMarks tells series (and groups of points) apart in a terminal, where there is no colour in
// CI logs; twelve, so that ten classes get a mark each.
var textMarks = []rune{'•', '+', 'x', 'o', '*', '#', '@', '%', '&', '=', '~', '^'}

// oneLine keeps user text from breaking the plot's layout, as Table.Text does for cells.
func oneLine(s string) string {
	return strings.NewReplacer("\n", " ", "\r", " ", "\t", " ").Replace(s)
}

func newTextGrid(cols, rows int) [][]rune {
	grid := make([][]rune, rows)
	for r := range grid {
		grid[r] = []rune(strings.Repeat(" ", cols))
	}
	return grid
}

// writeTextPlot frames a character plot: the y axis on the left, labelled with the ends of ya,
// and below the x axis its two ends with xlabel between them when it fits.
func writeTextPlot(b *strings.Builder, grid [][]rune, xa, ya axis, xlabel, ylabel string) {
	rows, cols := len(grid), len(grid[0])
	labels := map[int]string{0: fmtNum(ya.hi), rows - 1: fmtNum(ya.lo)}
	labelW := max(utf8.RuneCountInString(labels[0]), utf8.RuneCountInString(labels[rows-1]))
	if ylabel != "" {
		b.WriteString(strings.Repeat(" ", labelW+1) + oneLine(ylabel) + "\n")
	}
	for r, row := range grid {
		l, tick := labels[r]
		edge := "│"
		if tick {
			edge = "┤"
		}
		fmt.Fprintf(b, "%*s %s%s\n", labelW, l, edge, strings.TrimRight(string(row), " "))
	}
	fmt.Fprintf(b, "%*s └%s\n", labelW, "", strings.Repeat("─", cols))
	xl, xr := fmtNum(xa.lo), fmtNum(xa.hi)
	mid := oneLine(xlabel)
	gap := cols - utf8.RuneCountInString(xl) - utf8.RuneCountInString(xr) - utf8.RuneCountInString(mid)
	if gap < 2 {
		mid, gap = "", cols-utf8.RuneCountInString(xl)-utf8.RuneCountInString(xr)
	}
	fmt.Fprintf(b, "%*s  %s%s%s%s%s\n", labelW, "", xl, strings.Repeat(" ", max(1, gap/2)), mid,
		strings.Repeat(" ", max(1, gap-gap/2)), xr)
}
