package pca

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestFitRejectsBadInput(t *testing.T) {
	ok := make([]float32, 6*4)
	for i := range ok {
		ok[i] = float32(i % 7)
	}
	withValue := func(v float32) []float32 {
		x := slices.Clone(ok)
		x[2*4+3] = v
		return x
	}
	cases := []struct {
		name    string
		x       []float32
		n, d, k int
		want    string
	}{
		{"one row", ok[:4], 1, 4, 1, "at least 2"},
		{"no features", nil, 6, 0, 1, "features"},
		{"no components", ok, 6, 4, 0, "0 components"},
		{"more components than features", ok, 6, 4, 5, "at most min(rows, features) = 4"},
		{"more components than rows", ok[:12], 3, 4, 4, "at most min(rows, features) = 3"},
		{"short data", ok[:23], 6, 4, 2, "23 values for 6 rows of 4 features"},
		{"NaN", withValue(float32(math.NaN())), 6, 4, 2, "row 2, feature 3 is NaN"},
		{"Inf", withValue(float32(math.Inf(-1))), 6, 4, 2, "row 2, feature 3 is -Inf"},
		{"constant rows", slices.Repeat([]float32{1, 2, 3, 4}, 6), 6, 4, 1, "no variance"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Fit(c.x, c.n, c.d, c.k)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Fit = %v, %v; want an error saying %q", p, err, c.want)
			}
		})
	}
}

func TestTransformRejectsBadInput(t *testing.T) {
	x := lowRank(rand.New(rand.NewPCG(3, 4)), 20, 5, 2, 0.1)
	p, err := Fit(x, 20, 5, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Transform(x[:9], 2); err == nil || !strings.Contains(err.Error(), "9 values for 2 rows of 5 features") {
		t.Errorf("short input: %v", err)
	}
	x[7] = float32(math.NaN())
	if _, err := p.Transform(x, 20); err == nil || !strings.Contains(err.Error(), "row 1, feature 2 is NaN") {
		t.Errorf("NaN: %v", err)
	}
	if z, err := p.Transform(nil, 0); err != nil || len(z) != 0 {
		t.Errorf("no rows: %v, %v", z, err)
	}
}

// TestFitProperties checks what holds for any correct PCA, independently of sklearn, on data big
// enough for several workers and a short last block of rows: unit orthogonal components in
// sklearn's sign convention, decreasing variances, and projections that are centred with exactly
// the explained variances as their variances and no covariance between them.
func TestFitProperties(t *testing.T) {
	n, d, k := 3001, 203, 4
	x := lowRank(rand.New(rand.NewPCG(5, 6)), n, d, 6, 0.3)
	p, err := Fit(x, n, d, k)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range p.Components {
		big := 0
		for j := range v {
			if math.Abs(v[j]) > math.Abs(v[big]) {
				big = j
			}
		}
		if v[big] <= 0 {
			t.Errorf("component %d: largest entry %g is not positive", i, v[big])
		}
		for j, u := range p.Components[:i+1] {
			want := 0.0
			if i == j {
				want = 1
			}
			if got := dot(v, u); math.Abs(got-want) > 1e-12 {
				t.Errorf("c%d·c%d = %g", i, j, got)
			}
		}
		if i > 0 && p.ExplainedVariance[i] > p.ExplainedVariance[i-1] {
			t.Errorf("variances not decreasing: %v", p.ExplainedVariance)
		}
	}
	var ratio float64
	for _, r := range p.ExplainedVarianceRatio {
		ratio += r
	}
	// Six strong axes over small noise: the first four carry most, but not all, of the variance.
	if ratio < 0.5 || ratio >= 1 {
		t.Errorf("explained variance ratios %v", p.ExplainedVarianceRatio)
	}

	z, err := p.Transform(x, n)
	if err != nil {
		t.Fatal(err)
	}
	for a := range k {
		za := Column(z, k, a)
		var mean float64
		for _, v := range za {
			mean += v
		}
		mean /= float64(n)
		if math.Abs(mean) > 1e-9*math.Sqrt(p.ExplainedVariance[a]) {
			t.Errorf("coordinate %d has mean %g", a, mean)
		}
		for b := range a + 1 {
			zb := Column(z, k, b)
			cov := dot(za, zb) / float64(n-1)
			want := 0.0
			if a == b {
				want = p.ExplainedVariance[a]
			}
			if math.Abs(cov-want) > 1e-9*p.ExplainedVariance[0] {
				t.Errorf("cov(z%d, z%d) = %.12g, want %.12g", a, b, cov, want)
			}
		}
	}
}

// TestFitAllComponentsOfFewRows asks for as many components as rows when there are fewer rows
// than features: the centred data have rank n−1, so the last component has no variance, but it
// must still be a unit vector orthogonal to the others.
func TestFitAllComponentsOfFewRows(t *testing.T) {
	n, d := 6, 15
	x := lowRank(rand.New(rand.NewPCG(10, 11)), n, d, 3, 0.2)
	p, err := Fit(x, n, d, n)
	if err != nil {
		t.Fatal(err)
	}
	if v := p.ExplainedVariance[n-1]; v < 0 || v > 1e-12*p.ExplainedVariance[0] {
		t.Errorf("last variance %g, want 0", v)
	}
	for i, v := range p.Components {
		for j, u := range p.Components[:i+1] {
			want := 0.0
			if i == j {
				want = 1
			}
			if got := dot(v, u); math.Abs(got-want) > 1e-10 {
				t.Errorf("c%d·c%d = %g", i, j, got)
			}
		}
	}
	var sum float64
	for _, r := range p.ExplainedVarianceRatio {
		sum += r
	}
	if math.Abs(sum-1) > 1e-12 {
		t.Errorf("all components together explain %.15f of the variance, want 1", sum)
	}
}

// TestCovarianceMatchesDefinition checks the blocked, padded, parallel sum against the plain
// formula on sizes that exercise each edge: fewer rows than a block, a short last block, a
// feature count that is not a multiple of the tile width, and a large offset.
func TestCovarianceMatchesDefinition(t *testing.T) {
	for _, size := range [][2]int{{2, 1}, {5, 3}, {130, 9}, {300, 17}, {1000, 24}} {
		n, d := size[0], size[1]
		rng := rand.New(rand.NewPCG(uint64(n), uint64(d)))
		x := make([]float32, n*d)
		for i := range x {
			x[i] = float32(rng.NormFloat64() + 100*float64(i%d))
		}
		mean := make([]float64, d)
		for i, v := range x {
			mean[i%d] += float64(v) / float64(n)
		}
		got := covariance(x, n, d, mean)
		for i := range d {
			for j := range d {
				var want float64
				for r := range n {
					want += (float64(x[r*d+i]) - mean[i]) * (float64(x[r*d+j]) - mean[j])
				}
				if math.Abs(got[i*d+j]-want) > 1e-9*math.Max(1, math.Abs(want)) {
					t.Fatalf("%d×%d: C[%d][%d] = %.15g, want %.15g", n, d, i, j, got[i*d+j], want)
				}
			}
		}
	}
}

// TestSyrkKernelsAgree holds the vector kernel (where the build has one) to the portable one.
func TestSyrkKernelsAgree(t *testing.T) {
	rows, dp := 37, 24
	rng := rand.New(rand.NewPCG(8, 9))
	block := make([]float64, rows*dp)
	for i := range block {
		block[i] = rng.NormFloat64()
	}
	want, got := make([]float64, dp*dp), make([]float64, dp*dp)
	for i := range got {
		got[i] = float64(i) // both add to what is there
		want[i] = float64(i)
	}
	syrkUpperGo(want, block, dp)
	syrkUpper(got, block, dp)
	for i := range dp {
		for j := i; j < dp; j++ {
			if math.Abs(got[i*dp+j]-want[i*dp+j]) > 1e-12*float64(rows) {
				t.Fatalf("[%d][%d]: %g, portable kernel %g", i, j, got[i*dp+j], want[i*dp+j])
			}
		}
	}
}

func TestColumn(t *testing.T) {
	z := []float64{1, 2, 3, 4, 5, 6}
	if got := Column(z, 3, 1); !slices.Equal(got, []float64{2, 5}) {
		t.Errorf("Column(z, 3, 1) = %v", got)
	}
	if got := Column(z, 2, 0); !slices.Equal(got, []float64{1, 3, 5}) {
		t.Errorf("Column(z, 2, 0) = %v", got)
	}
	for _, bad := range [][2]int{{3, 3}, {3, -1}, {4, 0}, {0, 0}} {
		func() {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("Column(z, %d, %d) did not panic", bad[0], bad[1])
				}
			}()
			Column(z, bad[0], bad[1])
		}()
	}
}

// Map projects on the first two components: two clusters apart along one axis land apart on x.
func TestMapSeparatesClusters(t *testing.T) {
	var x []float32
	var groups []int
	for i := range 40 {
		g := i % 2
		x = append(x, float32(10*g)+float32(i%5)*0.1, float32(i%3)*0.2, float32(i%7)*0.05)
		groups = append(groups, g)
	}
	s, err := Map(x, 40, 3, groups, []string{"neg", "pos"}, "map")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.X) != 40 || len(s.Y) != 40 || s.GroupNames[1] != "pos" {
		t.Fatalf("map of %d×%d points", len(s.X), len(s.Y))
	}
	for i := range 40 {
		sameSide, sameGroup := (s.X[i] > 0) == (s.X[0] > 0), groups[i] == groups[0]
		if sameSide != sameGroup {
			t.Fatalf("point %d (group %d) at x=%.2f, point 0 (group %d) at %.2f: the clusters are not apart", i, groups[i], s.X[i], groups[0], s.X[0])
		}
	}
	if _, err := Map(x[:3], 1, 3, groups[:1], nil, ""); err == nil {
		t.Error("a map of one row")
	}
}
