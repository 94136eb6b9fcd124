package train

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestArgsDefaultsAreHFs(t *testing.T) {
	a := DefaultArgs("out")
	if a.LearningRate != 5e-5 || a.PerDeviceTrainBatchSize != 8 || a.PerDeviceEvalBatchSize != 8 || a.NumTrainEpochs != 3 ||
		a.WeightDecay != 0 || a.MaxGradNorm != 1 || a.Seed != 42 || a.MetricForBestModel != "loss" || *a.GreaterIsBetter ||
		a.EvalStrategy != "epoch" || a.SaveStrategy != "epoch" || a.LoadBestModelAtEnd {
		t.Fatalf("defaults %+v", a)
	}
	if b := (Args{OutputDir: "o", MetricForBestModel: "f1"}).withDefaults(); !*b.GreaterIsBetter {
		t.Error("greater_is_better must default to true for a metric other than the loss")
	}
}

func TestArgsNameTheFieldAtFault(t *testing.T) {
	for field, a := range map[string]Args{
		"OutputDir":               {},
		"LearningRate":            {OutputDir: "o", LearningRate: -1},
		"PerDeviceTrainBatchSize": {OutputDir: "o", PerDeviceTrainBatchSize: -2},
		"NumTrainEpochs":          {OutputDir: "o", NumTrainEpochs: -1},
		"WeightDecay":             {OutputDir: "o", WeightDecay: -0.1},
		"EvalStrategy":            {OutputDir: "o", EvalStrategy: "steps"},
	} {
		err := a.withDefaults().validate()
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: got %v", field, err)
		}
	}
}

// EarlyStopping counts as HF's callback does: an improvement must beat the best so far by more
// than the threshold, and the best so far moves on any improvement.
func TestEarlyStoppingCountsLikeHF(t *testing.T) {
	a := Args{OutputDir: "o", MetricForBestModel: "accuracy"}.withDefaults()
	hist := func(acc ...float64) *History {
		h := &History{}
		for i, v := range acc {
			h.Epochs = append(h.Epochs, EpochLog{Epoch: i + 1, Metrics: map[string]float64{"accuracy": v}})
		}
		return h
	}
	for _, c := range []struct {
		acc       []float64
		patience  int
		threshold float64
		stop      bool
	}{
		{[]float64{0.5, 0.6, 0.7}, 1, 0, false},
		{[]float64{0.5, 0.6, 0.6}, 1, 0, true},
		{[]float64{0.5, 0.6, 0.6}, 2, 0, false},
		{[]float64{0.5, 0.55, 0.6}, 2, 0.06, true},         // two gains of 0.05 < threshold
		{[]float64{0.5, 0.55, 0.56, 0.63}, 2, 0.06, false}, // 0.63 beats the moving best 0.56 by more than 0.06
		{[]float64{0.5, 0.4, 0.3}, 2, 0, true},
	} {
		got := EarlyStopping{Patience: c.patience, Threshold: c.threshold}.OnEvaluate(a, hist(c.acc...)) != ""
		if got != c.stop {
			t.Errorf("accuracies %v, patience %d, threshold %g: stop %v, want %v", c.acc, c.patience, c.threshold, got, c.stop)
		}
	}
	loss := Args{OutputDir: "o"}.withDefaults()
	h := &History{Epochs: []EpochLog{{Epoch: 1, EvalLoss: 0.7}, {Epoch: 2, EvalLoss: 0.8}}}
	if (EarlyStopping{Patience: 1}).OnEvaluate(loss, h) == "" {
		t.Error("a rising eval loss must count as no improvement")
	}
}

func TestArgsTableMarksWhatACellSet(t *testing.T) {
	tab := Args{OutputDir: "o", LearningRate: 2e-5, NumTrainEpochs: 3}.Table()
	marked := map[string]bool{}
	for _, r := range tab.Rows {
		marked[r[0]] = r[3] != ""
	}
	if !marked["learning_rate"] || marked["num_train_epochs"] || marked["per_device_train_batch_size"] || len(tab.Rows) != 15 {
		t.Errorf("rows %v", tab.Rows)
	}
}

func TestOutputDirIsTheUsersOwn(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CACHE_HOME", "")
	if got, want := OutputDir("ex2"), filepath.Join(home, ".cache", "translab", "runs", "ex2"); got != want {
		t.Errorf("OutputDir(ex2) = %s, want %s", got, want)
	}
	t.Setenv("HOME", "")
	got := OutputDir("ex2")
	if want := filepath.Join(os.TempDir(), "translab-"+strconv.Itoa(os.Getuid()), "runs", "ex2"); got != want {
		t.Errorf("without a home: OutputDir(ex2) = %s, want %s", got, want)
	}
}
