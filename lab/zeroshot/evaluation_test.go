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
	if cm.Counts[2][0] != 2 || cm.Counts[0][1] != 1 || cm.Counts[0][0] != 1 || cm.Counts[1][1] != 2 {
		t.Errorf("confusion counts %v", cm.Counts)
	}
	if tab := cm.Table(e.ConfusionTitle()); tab.Rows[2][1] != "2" || tab.Header[1] != "cat" {
		t.Errorf("confusion table %v %v", tab.Header, tab.Rows)
	}
	bars := e.PerClassBars()
	if len(bars.Labels) != 3 || bars.Values[0] != 50 || bars.Values[1] != 100 || bars.Values[2] != 0 {
		t.Errorf("per-class bars %v %v", bars.Labels, bars.Values)
	}
	mc := e.MostConfused(1)
	if len(mc.Rows) != 1 || mc.Rows[0][0] != "cow" || mc.Rows[0][1] != "cat" || mc.Rows[0][2] != "2" {
		t.Errorf("most confused %v", mc.Rows)
	}
}
