// Package metrics reproduces scikit-learn's classification metrics (sklearn.metrics): accuracy,
// balanced accuracy, precision/recall/F1 with binary, macro, weighted and micro averaging,
// the confusion matrix, and classification_report, whose text it matches character for
// character.
//
// Ill-defined ratios follow sklearn's default zero_division="warn": they count as 0.0 (this
// package does not print the warning). Averages are summed in numpy's pairwise order so the
// last bits, and hence the rounded report digits, agree with sklearn's.
package metrics

import (
	"errors"
	"fmt"
	"slices"
)

// Labels returns the sorted distinct labels of yTrue and yPred together, sklearn's
// unique_labels.
func Labels(yTrue, yPred []int) []int {
	all := make([]int, 0, len(yTrue)+len(yPred))
	all = append(append(all, yTrue...), yPred...)
	slices.Sort(all)
	return slices.Compact(all)
}

func check(yTrue, yPred []int) error {
	if len(yTrue) != len(yPred) {
		return fmt.Errorf("metrics: yTrue has %d samples but yPred has %d", len(yTrue), len(yPred))
	}
	if len(yTrue) == 0 {
		return errors.New("metrics: no samples")
	}
	return nil
}

// Accuracy is the fraction of samples whose prediction equals the truth.
func Accuracy(yTrue, yPred []int) (float64, error) {
	if err := check(yTrue, yPred); err != nil {
		return 0, err
	}
	hits := 0
	for i := range yTrue {
		if yTrue[i] == yPred[i] {
			hits++
		}
	}
	return float64(hits) / float64(len(yTrue)), nil
}

// BalancedAccuracy is the mean per-class recall over the classes present in yTrue. Classes
// that only occur in yPred have no recall and are left out, as sklearn does (with a warning).
func BalancedAccuracy(yTrue, yPred []int) (float64, error) {
	cm, _, err := ConfusionMatrix(yTrue, yPred)
	if err != nil {
		return 0, err
	}
	var recalls []float64
	for i, row := range cm {
		total := 0
		for _, v := range row {
			total += v
		}
		if total > 0 {
			recalls = append(recalls, float64(row[i])/float64(total))
		}
	}
	return pairwiseSum(recalls) / float64(len(recalls)), nil
}

// ConfusionMatrix counts samples with true label labels[i] predicted as labels[j] in cm[i][j];
// labels are the sorted distinct labels of both inputs.
func ConfusionMatrix(yTrue, yPred []int) (cm [][]int, labels []int, err error) {
	if err := check(yTrue, yPred); err != nil {
		return nil, nil, err
	}
	labels = Labels(yTrue, yPred)
	cm = make([][]int, len(labels))
	for i := range cm {
		cm[i] = make([]int, len(labels))
	}
	for k := range yTrue {
		i, _ := slices.BinarySearch(labels, yTrue[k])
		j, _ := slices.BinarySearch(labels, yPred[k])
		cm[i][j]++
	}
	return cm, labels, nil
}

// ClassScores holds one class's row of the classification report.
type ClassScores struct {
	Label     int
	Name      string // target name, or the label in decimal
	Precision float64
	Recall    float64
	F1        float64
	Support   int // samples of this class in yTrue
}

// counts are the sufficient statistics for precision and recall.
type counts struct{ tp, pred, true_ int }

func countsFor(yTrue, yPred, labels []int) []counts {
	pos := make(map[int]int, len(labels))
	for i, l := range labels {
		if _, dup := pos[l]; !dup {
			pos[l] = i
		}
	}
	c := make([]counts, len(labels))
	for k := range yTrue {
		if i, ok := pos[yTrue[k]]; ok {
			c[i].true_++
			if yPred[k] == yTrue[k] {
				c[i].tp++
			}
		}
		if j, ok := pos[yPred[k]]; ok {
			c[j].pred++
		}
	}
	return c
}

// ratio is sklearn's _prf_divide with zero_division="warn": 0 when the denominator is 0.
func ratio(num, den int) float64 {
	if den == 0 {
		return 0
	}
	return float64(num) / float64(den)
}

// f1 mirrors sklearn's (1+β²)·p·r / (β²·p + r) with β = 1, operation for operation.
func f1(p, r float64) float64 {
	den := p + r
	if den == 0 {
		den = 1
	}
	return 2 * p * r / den
}

func scores(c counts) (p, r, f float64) {
	p, r = ratio(c.tp, c.pred), ratio(c.tp, c.true_)
	return p, r, f1(p, r)
}

// PerClass returns precision, recall, F1 and support for each label in labels, in that order
// (sklearn's precision_recall_fscore_support(average=None, labels=labels)). Nil labels means
// Labels(yTrue, yPred).
func PerClass(yTrue, yPred []int, labels []int) ([]ClassScores, error) {
	if err := check(yTrue, yPred); err != nil {
		return nil, err
	}
	if labels == nil {
		labels = Labels(yTrue, yPred)
	}
	out := make([]ClassScores, len(labels))
	for i, c := range countsFor(yTrue, yPred, labels) {
		p, r, f := scores(c)
		out[i] = ClassScores{Label: labels[i], Name: fmt.Sprint(labels[i]), Precision: p, Recall: r, F1: f, Support: c.true_}
	}
	return out, nil
}

type averageKind int

const (
	binaryAvg averageKind = iota
	macroAvg
	weightedAvg
	microAvg
)

// Average selects how precision, recall and F1 are reduced to one number.
type Average struct {
	kind     averageKind
	posLabel int
}

// Binary scores only the class posLabel; the targets must have at most two distinct labels.
// sklearn's default is Binary(1).
func Binary(posLabel int) Average { return Average{kind: binaryAvg, posLabel: posLabel} }

var (
	// Macro is the unweighted mean over classes.
	Macro = Average{kind: macroAvg}
	// Weighted is the mean over classes weighted by their support in yTrue.
	Weighted = Average{kind: weightedAvg}
	// Micro pools the counts of all classes; for single-label data it equals accuracy.
	Micro = Average{kind: microAvg}
)

func (a Average) String() string {
	switch a.kind {
	case binaryAvg:
		return fmt.Sprintf("binary(pos_label=%d)", a.posLabel)
	case macroAvg:
		return "macro"
	case weightedAvg:
		return "weighted"
	}
	return "micro"
}

// PrecisionRecallF1 computes the three scores averaged as avg over labels (nil means all
// labels in either input), like precision_recall_fscore_support.
func PrecisionRecallF1(yTrue, yPred []int, avg Average, labels []int) (p, r, f float64, err error) {
	if err := check(yTrue, yPred); err != nil {
		return 0, 0, 0, err
	}
	present := Labels(yTrue, yPred)
	if labels == nil {
		labels = present
	}
	if avg.kind == binaryAvg {
		if len(present) > 2 {
			return 0, 0, 0, fmt.Errorf("metrics: targets are multiclass (%d labels) but average is binary; use Macro, Weighted or Micro", len(present))
		}
		if !slices.Contains(present, avg.posLabel) && len(present) >= 2 {
			return 0, 0, 0, fmt.Errorf("metrics: pos_label=%d is not a valid label; it should be one of %v", avg.posLabel, present)
		}
		labels = []int{avg.posLabel}
	}
	c := countsFor(yTrue, yPred, labels)
	switch avg.kind {
	case binaryAvg:
		p, r, f = scores(c[0])
		return p, r, f, nil
	case microAvg:
		var sum counts
		for _, v := range c {
			sum.tp += v.tp
			sum.pred += v.pred
			sum.true_ += v.true_
		}
		p, r, f = scores(sum)
		return p, r, f, nil
	}
	ps, rs, fs := make([]float64, len(c)), make([]float64, len(c)), make([]float64, len(c))
	for i, v := range c {
		ps[i], rs[i], fs[i] = scores(v)
	}
	if avg.kind == macroAvg {
		n := float64(len(c))
		return pairwiseSum(ps) / n, pairwiseSum(rs) / n, pairwiseSum(fs) / n, nil
	}
	weights := make([]float64, len(c))
	totalPred := 0
	for i, v := range c {
		weights[i] = float64(v.true_)
		totalPred += v.pred
	}
	total := pairwiseSum(weights)
	if total == 0 {
		// No true samples of any reported label: sklearn returns zero_division for the
		// undefined scores, which is 0 under the default.
		return 0, 0, 0, nil
	}
	wavg := func(x []float64) float64 {
		prod := make([]float64, len(x))
		for i := range x {
			prod[i] = x[i] * weights[i]
		}
		return pairwiseSum(prod) / total
	}
	return wavg(ps), wavg(rs), wavg(fs), nil
}

// Precision is the averaged fraction of predicted positives that are correct.
func Precision(yTrue, yPred []int, avg Average) (float64, error) {
	p, _, _, err := PrecisionRecallF1(yTrue, yPred, avg, nil)
	return p, err
}

// Recall is the averaged fraction of true positives that are found.
func Recall(yTrue, yPred []int, avg Average) (float64, error) {
	_, r, _, err := PrecisionRecallF1(yTrue, yPred, avg, nil)
	return r, err
}

// F1 is the averaged harmonic mean of precision and recall.
func F1(yTrue, yPred []int, avg Average) (float64, error) {
	_, _, f, err := PrecisionRecallF1(yTrue, yPred, avg, nil)
	return f, err
}

// pairwiseSum adds like numpy's float64 add.reduce (pairwise summation with 8-way unrolled
// blocks of up to 128 elements), so averages round exactly as sklearn's do.
func pairwiseSum(a []float64) float64 {
	n := len(a)
	switch {
	case n < 8:
		s := 0.0
		for _, v := range a {
			s += v
		}
		return s
	case n <= 128:
		var r [8]float64
		copy(r[:], a[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			for j := range r {
				r[j] += a[i+j]
			}
		}
		s := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			s += a[i]
		}
		return s
	default:
		half := n / 2
		half -= half % 8
		return pairwiseSum(a[:half]) + pairwiseSum(a[half:])
	}
}

// Argmax is the index of the largest value of each row of a row-major [n, k] matrix of scores
// (logits, decision values) — the predicted class. The first maximum wins, as numpy's argmax.
func Argmax[T float32 | float64](rows []T, k int) []int {
	out := make([]int, len(rows)/k)
	for i := range out {
		row := rows[i*k : (i+1)*k]
		best := 0
		for c := 1; c < k; c++ {
			if row[c] > row[best] {
				best = c
			}
		}
		out[i] = best
	}
	return out
}
