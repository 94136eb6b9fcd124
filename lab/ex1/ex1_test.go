package ex1

import (
	"strings"
	"testing"

	"github.com/go-translab/translab/lab/svm"
)

// The seed lab's figures stand beside the seed's encoder only, and a split the result has not seen
// is left out rather than shown as 0.
func TestAccuracyShowsSeedFiguresOnlyForTheSeedModel(t *testing.T) {
	r := &Result{SVC: &svm.LinearSVC{}, Model: SeedModel, Classes: []string{"neg", "pos"}}
	if err := r.Add("test", []int{0, 1, 1, 0}, []int{0, 1, 0, 0}); err != nil {
		t.Fatal(err)
	}
	tab := r.Accuracy()
	if len(tab.Header) != 3 || len(tab.Rows) != 1 || tab.Rows[0][0] != "test" || tab.Rows[0][1] != "0.7500" || tab.Rows[0][2] != "0.798" {
		t.Errorf("seed model: %v %v", tab.Header, tab.Rows)
	}
	r.Model = "sentence-transformers/all-MiniLM-L6-v2"
	if tab := r.Accuracy(); len(tab.Header) != 2 || strings.Contains(tab.Title, SeedModel) || !strings.Contains(tab.Title, "all-MiniLM-L6-v2") {
		t.Errorf("another encoder: %q %v", tab.Title, tab.Header)
	}
	if err := r.Add("train", nil, nil); err == nil || !strings.Contains(err.Error(), "train") {
		t.Errorf("a split a result does not hold: %v", err)
	}
	if err := r.Add("validation", []int{0, 1}, []int{0}); err == nil {
		t.Error("labels and predictions of different lengths were accepted")
	}
}
