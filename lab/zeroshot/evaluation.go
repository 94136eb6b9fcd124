package zeroshot

import (
	"fmt"
	"sort"
	"strings"

	"github.com/go-translab/translab/lab/clip"

	"github.com/go-translab/translab/lab/show"
)

// Evaluation is what a zero-shot run found: for each image its label and its five best classes.
type Evaluation struct {
	Dataset   string
	Classes   []string
	Templates []string
	Labels    []int
	Ranked    [][]int // best first, up to 5 per image
	Seed      float64
	Demo      bool
	// Examples keeps the first images classified, to look at.
	Examples []Example
	// Skipped counts images that could not be decoded; FirstSkip says why the first one failed.
	Skipped   int
	FirstSkip error
}

// Example is one classified image.
type Example struct {
	Image       []byte
	Label, Pred int
}

// maxExamples bounds the images an evaluation keeps for Grid.
const maxExamples = 24

// Grid shows up to n of the classified images with their true and predicted classes.
func (e *Evaluation) Grid(n int) *show.ImageGrid {
	g := &show.ImageGrid{Title: fmt.Sprintf("%s — true class / CLIP's guess", e.Dataset)}
	for _, ex := range e.Examples[:min(n, len(e.Examples))] {
		caption := e.Classes[ex.Label]
		if ex.Pred != ex.Label {
			caption += " / " + e.Classes[ex.Pred]
		}
		g.Pictures = append(g.Pictures, show.Picture{Data: ex.Image, Caption: caption, Good: ex.Pred == ex.Label})
	}
	return g
}

// Prompts is the table of the prompts each class is compared with.
func (e *Evaluation) Prompts() *show.Table {
	t := &show.Table{Title: "Prompts — " + e.Dataset, Header: []string{"class", "prompts"}}
	for _, c := range e.Classes {
		t.Add(c, strings.Join(clip.Prompts(e.Templates, c), " | "))
	}
	return t
}

// TopK is the share of images whose label is among their k best classes.
func (e *Evaluation) TopK(k int) float64 {
	if len(e.Labels) == 0 {
		return 0
	}
	hits := 0
	for i, y := range e.Labels {
		for _, c := range e.Ranked[i][:min(k, len(e.Ranked[i]))] {
			if c == y {
				hits++
				break
			}
		}
	}
	return float64(hits) / float64(len(e.Labels))
}

// Predictions are the best classes.
func (e *Evaluation) Predictions() []int {
	p := make([]int, len(e.Ranked))
	for i, r := range e.Ranked {
		p[i] = r[0]
	}
	return p
}

// Summary is the seed lab's table: dataset, number of classes, zero-shot accuracy, beside the seed.
func (e *Evaluation) Summary() *show.Table {
	t := &show.Table{Title: "Zero-shot accuracy", Header: []string{"dataset", "classes", "images", "top-1 %", "top-5 %", "seed lab %"}}
	seed := "—"
	if e.Seed > 0 {
		seed = fmt.Sprintf("%.2f", e.Seed)
	}
	t.Add(e.Dataset, len(e.Classes), len(e.Labels), fmt.Sprintf("%.2f", 100*e.TopK(1)), fmt.Sprintf("%.2f", 100*e.TopK(5)), seed)
	if e.Demo {
		t.Note = "demo: a random tiny CLIP on drawn shapes — these numbers mean nothing"
	}
	return t
}

// PerClass is the accuracy of each class.
func (e *Evaluation) PerClass() *show.Table {
	n := make([]int, len(e.Classes))
	hit := make([]int, len(e.Classes))
	for i, y := range e.Labels {
		n[y]++
		if e.Ranked[i][0] == y {
			hit[y]++
		}
	}
	t := &show.Table{Title: "Per-class accuracy — " + e.Dataset, Header: []string{"class", "images", "accuracy %", ""}}
	for c, name := range e.Classes {
		acc, bar := "—", ""
		if n[c] > 0 {
			a := float64(hit[c]) / float64(n[c])
			acc, bar = fmt.Sprintf("%.1f", 100*a), strings.Repeat("█", int(a*20+0.5)) // a bar of 20 cells at 100 %
		}
		t.Add(name, n[c], acc, bar)
	}
	return t
}

// Confusion is the confusion matrix (rows true, columns predicted), for at most 20 classes.
func (e *Evaluation) Confusion() (*show.Table, error) {
	k := len(e.Classes)
	if k > 20 {
		return nil, fmt.Errorf("zeroshot: a confusion matrix of %d classes is unreadable; see MostConfused", k)
	}
	cm := make([][]int, k)
	for i := range cm {
		cm[i] = make([]int, k)
	}
	for i, y := range e.Labels {
		cm[y][e.Ranked[i][0]]++
	}
	t := &show.Table{Title: "Confusion matrix — " + e.Dataset + " (rows: true class, columns: predicted)", Header: append([]string{"true \\ predicted"}, e.Classes...)}
	for i, row := range cm {
		cells := []any{e.Classes[i]}
		for _, v := range row {
			cells = append(cells, v)
		}
		t.Add(cells...)
	}
	return t, nil
}

// MostConfused lists the n most frequent (true, predicted) pairs of different classes.
func (e *Evaluation) MostConfused(n int) *show.Table {
	type pair struct{ y, p, count int }
	counts := map[[2]int]int{}
	for i, y := range e.Labels {
		if p := e.Ranked[i][0]; p != y {
			counts[[2]int{y, p}]++
		}
	}
	var pairs []pair
	for k, c := range counts {
		pairs = append(pairs, pair{k[0], k[1], c})
	}
	sort.Slice(pairs, func(a, b int) bool {
		if pairs[a].count != pairs[b].count {
			return pairs[a].count > pairs[b].count
		}
		return pairs[a].y*len(e.Classes)+pairs[a].p < pairs[b].y*len(e.Classes)+pairs[b].p
	})
	t := &show.Table{Title: "Most confused — " + e.Dataset, Header: []string{"true class", "predicted as", "images"}}
	for _, p := range pairs[:min(n, len(pairs))] {
		t.Add(e.Classes[p.y], e.Classes[p.p], p.count)
	}
	return t
}
