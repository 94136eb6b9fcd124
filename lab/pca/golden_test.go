package pca

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/go-translab/translab/lab/npy"
)

// goldenCase is one entry of testdata/goldens.json, written by goldens/pca/make_goldens.py.
type goldenCase struct {
	N, D, K int
	Solver  string
	Files   []string
}

func readGolden(t *testing.T, name, part string, shape ...int) []float32 {
	t.Helper()
	a, err := npy.Read(filepath.Join("testdata", name+"_"+part+".npy"))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(a.Shape) != fmt.Sprint(shape) || a.F32 == nil {
		t.Fatalf("%s_%s: shape %v, want %v of floats", name, part, a.Shape, shape)
	}
	return a.F32
}

// TestMatchesScikitLearn compares every fitted quantity with sklearn's. The goldens reach Go as
// float32 (the npy reader narrows float64), so agreement is checked to a few float32 ulps of
// each quantity's scale, far inside the 1e-4 the notebooks need.
func TestMatchesScikitLearn(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "goldens.json"))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Sklearn string
		Cases   map[string]goldenCase
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		t.Fatal(err)
	}
	if len(meta.Cases) < 4 {
		t.Fatalf("goldens.json lists %d cases", len(meta.Cases))
	}
	for name, c := range meta.Cases {
		t.Run(name, func(t *testing.T) {
			x := readGolden(t, name, "x", c.N, c.D)
			p, err := Fit(x, c.N, c.D, c.K)
			if err != nil {
				t.Fatal(err)
			}
			within := func(what string, got []float64, want []float32, tol float64) {
				t.Helper()
				if len(got) != len(want) {
					t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
				}
				worst, at := 0.0, 0
				for i := range got {
					if e := math.Abs(got[i] - float64(want[i])); e > worst {
						worst, at = e, i
					}
				}
				if worst > tol {
					t.Errorf("%s[%d] = %.8g, sklearn %.8g (error %.3g > %.3g)", what, at, got[at], want[at], worst, tol)
				}
			}
			within("mean", p.Mean, readGolden(t, name, "mean", c.D), 1e-6*maxAbs(p.Mean))
			var comps []float64
			for _, v := range p.Components {
				comps = append(comps, v...)
			}
			// Unit vectors: an absolute bound is a relative one.
			within("components", comps, readGolden(t, name, "components", c.K, c.D), 2e-6)
			within("explained variance", p.ExplainedVariance,
				readGolden(t, name, "explained_variance", c.K), 1e-6*p.ExplainedVariance[0])
			within("explained variance ratio", p.ExplainedVarianceRatio,
				readGolden(t, name, "explained_variance_ratio", c.K), 1e-6)

			for _, split := range []string{"", "heldout_"} {
				rows := c.N
				xs := x
				if split != "" {
					if !slices.Contains(c.Files, "heldout_x") {
						continue
					}
					a, err := npy.Read(filepath.Join("testdata", name+"_heldout_x.npy"))
					if err != nil {
						t.Fatal(err)
					}
					rows, xs = a.Shape[0], a.F32
				}
				z, err := p.Transform(xs, rows)
				if err != nil {
					t.Fatal(err)
				}
				want := readGolden(t, name, split+"transform", rows, c.K)
				// Each coordinate against the spread of its column, so that a component's
				// near-zero coordinates are not held to a relative bound they cannot meet.
				for j := range c.K {
					got, w := Column(z, c.K, j), make([]float32, rows)
					for r := range rows {
						w[r] = want[r*c.K+j]
					}
					within(fmt.Sprintf("%stransform column %d", split, j), got, w, 1e-6*maxAbs(got))
				}
			}
		})
	}
}

func maxAbs(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, math.Abs(x))
	}
	return m
}
