package pca

import (
	"fmt"

	"github.com/go-translab/translab/lab/show"
)

// Map is the lab's 2-D picture of features: the n×d rows projected on their first two principal
// components, one point per row coloured by its group (a label), the share of variance each axis
// explains in its title.
func Map(x []float32, n, d int, groups []int, names []string, title string) (*show.Scatter, error) {
	p, err := Fit(x, n, d, 2)
	if err != nil {
		return nil, err
	}
	z, err := p.Transform(x, n)
	if err != nil {
		return nil, err
	}
	r := p.ExplainedVarianceRatio
	return &show.Scatter{
		Title:  title,
		XLabel: fmt.Sprintf("principal component 1 (%.1f %% of the variance)", 100*r[0]),
		YLabel: fmt.Sprintf("principal component 2 (%.1f %%)", 100*r[1]),
		X:      Column(z, 2, 0), Y: Column(z, 2, 1), Group: groups, GroupNames: names,
	}, nil
}
