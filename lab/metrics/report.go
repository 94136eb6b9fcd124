package metrics

import (
	"fmt"
	"html"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/go-translab/translab/lab/show"
)

// Scores is one averaged row of a report.
type Scores struct {
	Precision, Recall, F1 float64
}

// Report is the structured form of sklearn's classification_report.
type Report struct {
	Classes []ClassScores
	// MicroIsAccuracy is true when the report covers exactly the labels present in the data;
	// the micro-average row then equals accuracy and is printed as an "accuracy" row with
	// only its F1 column.
	MicroIsAccuracy bool
	Micro           Scores
	Macro           Scores
	Weighted        Scores
	Support         int // total support of the reported classes
	Digits          int

	// noHits records that no prediction at all was correct. sklearn then builds its counts
	// from a float array and prints every support as "3.0"; String copies that quirk.
	noHits bool
}

// ReportOptions configures NewReport. The zero value reports every label present in either
// input, named by its number, with 2 digits.
type ReportOptions struct {
	// Labels to report, in this order; nil means Labels(yTrue, yPred). Labels absent from
	// the data get support 0 and zero scores.
	Labels []int
	// TargetNames names the labels, one per label, in the same order.
	TargetNames []string
	// Digits after the decimal point; 0 or less means sklearn's default of 2.
	Digits int
}

// NewReport computes the per-class and averaged scores of classification_report.
func NewReport(yTrue, yPred []int, o ReportOptions) (Report, error) {
	if err := check(yTrue, yPred); err != nil {
		return Report{}, err
	}
	present := Labels(yTrue, yPred)
	labels := o.Labels
	if labels == nil {
		labels = present
	}
	if len(labels) == 0 {
		return Report{}, fmt.Errorf("metrics: no labels to report")
	}
	if o.TargetNames != nil && len(o.TargetNames) != len(labels) {
		return Report{}, fmt.Errorf("metrics: %d target names for %d labels %v", len(o.TargetNames), len(labels), labels)
	}
	classes, err := PerClass(yTrue, yPred, labels)
	if err != nil {
		return Report{}, err
	}
	acc, _ := Accuracy(yTrue, yPred)
	r := Report{Classes: classes, Digits: o.Digits, noHits: acc == 0}
	if r.Digits <= 0 {
		r.Digits = 2
	}
	for i := range r.Classes {
		if o.TargetNames != nil {
			r.Classes[i].Name = o.TargetNames[i]
		}
		r.Support += r.Classes[i].Support
	}
	set := slices.Clone(labels)
	slices.Sort(set)
	r.MicroIsAccuracy = slices.Equal(slices.Compact(set), present)
	for _, a := range []struct {
		avg Average
		out *Scores
	}{{Micro, &r.Micro}, {Macro, &r.Macro}, {Weighted, &r.Weighted}} {
		p, rc, f, err := PrecisionRecallF1(yTrue, yPred, a.avg, labels)
		if err != nil {
			return Report{}, err
		}
		*a.out = Scores{p, rc, f}
	}
	return r, nil
}

// ClassificationReport returns exactly the text of sklearn's
// classification_report(y_true, y_pred, target_names=targetNames, digits=digits) for integer
// labels; targetNames may be nil and digits ≤ 0 means 2. It panics on invalid input (mismatched
// lengths, no samples, a wrong number of target names); use NewReport to get an error instead.
func ClassificationReport(yTrue, yPred []int, targetNames []string, digits int) string {
	r, err := NewReport(yTrue, yPred, ReportOptions{TargetNames: targetNames, Digits: digits})
	if err != nil {
		panic(err)
	}
	return r.String()
}

// String renders the report in sklearn's fixed-width layout: the name column is as wide as
// the longest class name, "weighted avg" or the digit count, and each number takes 9 columns.
func (r Report) String() string {
	width := max(len("weighted avg"), r.Digits)
	for _, c := range r.Classes {
		width = max(width, utf8.RuneCountInString(c.Name))
	}
	count := func(n int) string {
		if r.noHits {
			return fmt.Sprintf("%d.0", n)
		}
		return fmt.Sprint(n)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%*s  %9s %9s %9s %9s\n\n", width, "", "precision", "recall", "f1-score", "support")
	row := func(name string, p, rc, f float64, support int) {
		fmt.Fprintf(&b, "%*s  %9.*f %9.*f %9.*f %9s\n", width, name, r.Digits, p, r.Digits, rc, r.Digits, f, count(support))
	}
	for _, c := range r.Classes {
		row(c.Name, c.Precision, c.Recall, c.F1, c.Support)
	}
	b.WriteString("\n")
	if r.MicroIsAccuracy {
		fmt.Fprintf(&b, "%*s  %9s %9s %9.*f %9s\n", width, "accuracy", "", "", r.Digits, r.Micro.F1, count(r.Support))
	} else {
		row("micro avg", r.Micro.Precision, r.Micro.Recall, r.Micro.F1, r.Support)
	}
	row("macro avg", r.Macro.Precision, r.Macro.Recall, r.Macro.F1, r.Support)
	row("weighted avg", r.Weighted.Precision, r.Weighted.Recall, r.Weighted.F1, r.Support)
	return b.String()
}

// HTML renders the report as a plain <table> for notebooks; numbers use the report's digits
// and class names are escaped.
func (r Report) HTML() string {
	var b strings.Builder
	num := func(v float64) string { return fmt.Sprintf("%.*f", r.Digits, v) }
	b.WriteString("<table>\n<thead><tr><th></th><th>precision</th><th>recall</th><th>f1-score</th><th>support</th></tr></thead>\n<tbody>\n")
	row := func(name, p, rc, f string, support int) {
		fmt.Fprintf(&b, "<tr><th>%s</th><td>%s</td><td>%s</td><td>%s</td><td>%d</td></tr>\n", html.EscapeString(name), p, rc, f, support)
	}
	for _, c := range r.Classes {
		row(c.Name, num(c.Precision), num(c.Recall), num(c.F1), c.Support)
	}
	if r.MicroIsAccuracy {
		row("accuracy", "", "", num(r.Micro.F1), r.Support)
	} else {
		row("micro avg", num(r.Micro.Precision), num(r.Micro.Recall), num(r.Micro.F1), r.Support)
	}
	row("macro avg", num(r.Macro.Precision), num(r.Macro.Recall), num(r.Macro.F1), r.Support)
	row("weighted avg", num(r.Weighted.Precision), num(r.Weighted.Recall), num(r.Weighted.F1), r.Support)
	b.WriteString("</tbody>\n</table>\n")
	return b.String()
}

// Text is the report as classification_report prints it, so a Report shows in a terminal as is.
func (r Report) Text() string { return r.String() }

// Table is the report as a table titled title, for a notebook: the same rows and numbers.
func (r Report) Table(title string) *show.Table {
	t := &show.Table{Title: title, Header: []string{"", "precision", "recall", "f1-score", "support"}}
	num := func(v float64) string { return fmt.Sprintf("%.*f", r.Digits, v) }
	for _, c := range r.Classes {
		t.Add(c.Name, num(c.Precision), num(c.Recall), num(c.F1), c.Support)
	}
	if r.MicroIsAccuracy {
		t.Add("accuracy", "", "", num(r.Micro.F1), r.Support)
	} else {
		t.Add("micro avg", num(r.Micro.Precision), num(r.Micro.Recall), num(r.Micro.F1), r.Support)
	}
	t.Add("macro avg", num(r.Macro.Precision), num(r.Macro.Recall), num(r.Macro.F1), r.Support)
	t.Add("weighted avg", num(r.Weighted.Precision), num(r.Weighted.Recall), num(r.Weighted.F1), r.Support)
	return t
}
