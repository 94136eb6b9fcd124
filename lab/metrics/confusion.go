package metrics

import (
	"fmt"

	"github.com/go-translab/translab/lab/show"
)

// Confusion is a confusion matrix over named classes: Counts[i][j] samples of class i predicted as
// class j, every class listed whether or not it occurs (unlike ConfusionMatrix, which lists the
// labels present), so rows and columns line up with the class names.
type Confusion struct {
	Names  []string
	Counts [][]int
}

// NewConfusion counts predictions of labels 0..len(names)-1.
func NewConfusion(yTrue, yPred []int, names []string) (*Confusion, error) {
	if err := check(yTrue, yPred); err != nil {
		return nil, err
	}
	k := len(names)
	c := &Confusion{Names: names, Counts: make([][]int, k)}
	for i := range c.Counts {
		c.Counts[i] = make([]int, k)
	}
	for i, y := range yTrue {
		p := yPred[i]
		if y < 0 || y >= k || p < 0 || p >= k {
			return nil, fmt.Errorf("metrics: sample %d: label %d or prediction %d is not one of the %d classes", i, y, p, k)
		}
		c.Counts[y][p]++
	}
	return c, nil
}

// Table is the matrix as a table: rows true classes, columns predictions.
func (c *Confusion) Table(title string) *show.Table {
	t := &show.Table{Title: title, Header: append([]string{"true \\ predicted"}, c.Names...)}
	for i, row := range c.Counts {
		cells := []any{c.Names[i]}
		for _, v := range row {
			cells = append(cells, v)
		}
		t.Add(cells...)
	}
	return t
}

// Heatmap is the matrix as a picture: the count in each cell, darker for more.
func (c *Confusion) Heatmap(title string) *show.Heatmap {
	values := make([][]float64, len(c.Counts))
	for i, row := range c.Counts {
		values[i] = make([]float64, len(row))
		for j, v := range row {
			values[i][j] = float64(v)
		}
	}
	return &show.Heatmap{Title: title, RowLabel: "true class", ColLabel: "predicted", Rows: c.Names, Cols: c.Names, Values: values}
}
