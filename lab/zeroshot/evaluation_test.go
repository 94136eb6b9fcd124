package zeroshot

import (
	"strings"
	"testing"
)

func TestEvaluationTables(t *testing.T) {
	e := &Evaluation{
		Dataset: "toy", Classes: []string{"cat", "dog", "cow"},
		Labels: []int{0, 0, 1, 1, 2, 2},
		Ranked: [][]int{{0, 1, 2}, {1, 0, 2}, {1, 2, 0}, {1, 0, 2}, {0, 2, 1}, {0, 1, 2}},
		Seed:   98.46,
	}
	if got := e.TopK(1); got != 3.0/6 {
		t.Errorf("top-1 %v, want 0.5", got)
	}
	if got := e.TopK(2); got != 5.0/6 {
		t.Errorf("top-2 %v, want 5/6", got)
	}
	if got := e.TopK(5); got != 1 {
		t.Errorf("top-5 %v, want 1", got)
	}
	s := e.Summary().Text()
	for _, want := range []string{"toy", "50.00", "100.00", "98.46"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	pc := e.PerClass()
	if pc.Rows[0][2] != "50.0" || pc.Rows[1][2] != "100.0" || pc.Rows[2][2] != "0.0" {
		t.Errorf("per-class rows %v", pc.Rows)
	}
	cm, err := e.Confusion()
	if err != nil {
		t.Fatal(err)
	}
	// cow (row 2) was taken for cat twice.
	if cm.Rows[2][1] != "2" || cm.Rows[0][1] != "1" || cm.Rows[0][2] != "1" {
		t.Errorf("confusion rows %v", cm.Rows)
	}
	mc := e.MostConfused(1)
	if len(mc.Rows) != 1 || mc.Rows[0][0] != "cow" || mc.Rows[0][1] != "cat" || mc.Rows[0][2] != "2" {
		t.Errorf("most confused %v", mc.Rows)
	}
	big := &Evaluation{Classes: make([]string, 21)}
	if _, err := big.Confusion(); err == nil {
		t.Error("a 21-class confusion matrix should be refused")
	}
}
