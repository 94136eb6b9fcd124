package metrics

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

type goldenCase struct {
	Name            string                `json:"name"`
	YTrue           []int                 `json:"y_true"`
	YPred           []int                 `json:"y_pred"`
	Labels          []int                 `json:"labels"`
	TargetNames     []string              `json:"target_names"`
	Accuracy        float64               `json:"accuracy"`
	BalancedAcc     float64               `json:"balanced_accuracy"`
	Confusion       [][]int               `json:"confusion_matrix"`
	ConfusionLabels []int                 `json:"confusion_labels"`
	Averages        map[string][3]float64 `json:"averages"`
	PerClass        struct {
		Labels    []int     `json:"labels"`
		Precision []float64 `json:"precision"`
		Recall    []float64 `json:"recall"`
		F1        []float64 `json:"f1"`
		Support   []int     `json:"support"`
	} `json:"per_class"`
	Reports map[string]string `json:"reports"`
}

func loadGoldens(t *testing.T) []goldenCase {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "sklearn_metrics_goldens.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Meta  map[string]string `json:"meta"`
		Cases []goldenCase      `json:"cases"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	t.Logf("goldens from scikit-learn %s", g.Meta["sklearn_version"])
	return g.Cases
}

// Scores are compared for exact float64 equality: the package reproduces sklearn's operation
// order, so any difference is a real divergence, not noise.
func TestSklearnGoldens(t *testing.T) {
	for _, c := range loadGoldens(t) {
		t.Run(c.Name, func(t *testing.T) {
			acc, err := Accuracy(c.YTrue, c.YPred)
			if err != nil || acc != c.Accuracy {
				t.Errorf("Accuracy = %v, %v; sklearn %v", acc, err, c.Accuracy)
			}
			bal, err := BalancedAccuracy(c.YTrue, c.YPred)
			if err != nil || bal != c.BalancedAcc {
				t.Errorf("BalancedAccuracy = %v, %v; sklearn %v", bal, err, c.BalancedAcc)
			}
			cm, labels, err := ConfusionMatrix(c.YTrue, c.YPred)
			if err != nil || !slices.Equal(labels, c.ConfusionLabels) || !slices.EqualFunc(cm, c.Confusion, slices.Equal) {
				t.Errorf("ConfusionMatrix = %v %v, %v; sklearn %v %v", cm, labels, err, c.Confusion, c.ConfusionLabels)
			}

			for key, want := range c.Averages {
				var avg Average
				switch {
				case key == "macro":
					avg = Macro
				case key == "weighted":
					avg = Weighted
				case key == "micro":
					avg = Micro
				case strings.HasPrefix(key, "binary:"):
					pos, _ := strconv.Atoi(strings.TrimPrefix(key, "binary:"))
					avg = Binary(pos)
				}
				lab := c.Labels
				if avg.kind == binaryAvg {
					lab = nil
				}
				p, r, f, err := PrecisionRecallF1(c.YTrue, c.YPred, avg, lab)
				if err != nil || [3]float64{p, r, f} != want {
					t.Errorf("%v: p, r, f = %v %v %v, %v; sklearn %v", avg, p, r, f, err, want)
				}
				if lab == nil {
					if got, _ := Precision(c.YTrue, c.YPred, avg); got != want[0] {
						t.Errorf("Precision(%v) = %v, sklearn %v", avg, got, want[0])
					}
					if got, _ := Recall(c.YTrue, c.YPred, avg); got != want[1] {
						t.Errorf("Recall(%v) = %v, sklearn %v", avg, got, want[1])
					}
					if got, _ := F1(c.YTrue, c.YPred, avg); got != want[2] {
						t.Errorf("F1(%v) = %v, sklearn %v", avg, got, want[2])
					}
				}
			}

			per, err := PerClass(c.YTrue, c.YPred, c.Labels)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range per {
				w := c.PerClass
				if s.Label != w.Labels[i] || s.Precision != w.Precision[i] || s.Recall != w.Recall[i] || s.F1 != w.F1[i] || s.Support != w.Support[i] {
					t.Errorf("class %d: %+v; sklearn label %d p %v r %v f %v support %d", i, s, w.Labels[i], w.Precision[i], w.Recall[i], w.F1[i], w.Support[i])
				}
			}

			for d, want := range c.Reports {
				digits, _ := strconv.Atoi(d)
				r, err := NewReport(c.YTrue, c.YPred, ReportOptions{Labels: c.Labels, TargetNames: c.TargetNames, Digits: digits})
				if err != nil {
					t.Fatal(err)
				}
				if got := r.String(); got != want {
					t.Errorf("digits=%d report differs.\ngot:\n%s\nsklearn:\n%s", digits, got, want)
				}
				if c.Labels == nil {
					if got := ClassificationReport(c.YTrue, c.YPred, c.TargetNames, digits); got != want {
						t.Errorf("ClassificationReport(digits=%d) differs from sklearn", digits)
					}
				}
			}
		})
	}
}

func TestPairwiseSumMatchesNumpyBlocks(t *testing.T) {
	// 1e16 + 1 + ... loses the ones when added left to right but not in numpy's 8 partial
	// sums; this pins down the unrolled-block order rather than plain summation.
	a := make([]float64, 16)
	a[0] = 1e16
	for i := 1; i < len(a); i++ {
		a[i] = 1
	}
	seq := 0.0
	for _, v := range a {
		seq += v
	}
	// r[0] = 1e16 + 1 rounds back to 1e16; r[1..7] = 2 each; total 1e16 + 14.
	if got, want := pairwiseSum(a), 1e16+14; got != want || got == seq {
		t.Fatalf("pairwiseSum = %v, want %v (sequential gives %v)", got, want, seq)
	}
}

func TestErrors(t *testing.T) {
	if _, err := Accuracy([]int{1, 2}, []int{1}); err == nil || !strings.Contains(err.Error(), "2 samples but yPred has 1") {
		t.Errorf("mismatched lengths: %v", err)
	}
	if _, err := Accuracy(nil, nil); err == nil {
		t.Error("empty input accepted")
	}
	if _, err := Precision([]int{0, 1, 2}, []int{0, 1, 2}, Binary(1)); err == nil || !strings.Contains(err.Error(), "multiclass") {
		t.Errorf("binary average on 3 classes: %v", err)
	}
	if _, err := Precision([]int{0, 2}, []int{0, 2}, Binary(1)); err == nil || !strings.Contains(err.Error(), "pos_label=1") {
		t.Errorf("missing pos_label: %v", err)
	}
	if _, err := NewReport([]int{0, 1}, []int{0, 1}, ReportOptions{TargetNames: []string{"only"}}); err == nil || !strings.Contains(err.Error(), "1 target names for 2 labels") {
		t.Errorf("wrong target names: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("ClassificationReport did not panic on mismatched lengths")
		}
	}()
	ClassificationReport([]int{0}, []int{0, 1}, nil, 2)
}

func TestHTMLEscapesNames(t *testing.T) {
	r, err := NewReport([]int{0, 1, 1, 0}, []int{0, 1, 0, 0}, ReportOptions{TargetNames: []string{"<neg>", "pos & co"}})
	if err != nil {
		t.Fatal(err)
	}
	h := r.HTML()
	for _, want := range []string{
		"<table>", "<th>&lt;neg&gt;</th><td>0.67</td><td>1.00</td><td>0.80</td><td>2</td>",
		"<th>pos &amp; co</th><td>1.00</td><td>0.50</td><td>0.67</td><td>2</td>",
		"<th>accuracy</th><td></td><td></td><td>0.75</td><td>4</td>", "</table>",
	} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML lacks %q:\n%s", want, h)
		}
	}
	if strings.Contains(h, "<neg>") {
		t.Error("class name not escaped")
	}
}
