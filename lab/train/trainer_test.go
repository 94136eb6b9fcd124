package train_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"

	"github.com/go-translab/translab/data"
	"github.com/go-translab/translab/lab/backend"
	"github.com/go-translab/translab/lab/collate"
	"github.com/go-translab/translab/lab/datasets"
	"github.com/go-translab/translab/lab/distilbert"
	"github.com/go-translab/translab/lab/tokenize"
	"github.com/go-translab/translab/lab/train"
)

// demoTrainRows of the demo's train split are enough to see the Trainer learn, checkpoint and
// resume, in a third of the time the whole split takes.
const demoTrainRows = 640

// demoTrainer fine-tunes the demo's tiny DistilBERT with a fresh head on the first demoTrainRows
// demo reviews.
func demoTrainer(t testing.TB, args train.Args, afterStep func(epoch, step int), callbacks ...train.Callback) *train.Trainer {
	t.Helper()
	dir, err := data.DemoDir()
	if err != nil {
		t.Fatal(err)
	}
	m, err := distilbert.LoadDir(dir, distilbert.NoHead)
	if err != nil {
		t.Fatal(err)
	}
	m.InitHead(7)
	tok, err := tokenize.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := datasets.OpenDir(datasets.RottenTomatoes, dir, "train", "validation")
	if err != nil {
		t.Fatal(err)
	}
	tokenized := func(split string) []datasets.Row {
		s, _ := ds.Split(split)
		rows, err := s.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if split == "train" {
			if len(rows) < demoTrainRows {
				t.Fatalf("the demo's train split has %d rows, fewer than the %d the tests train on", len(rows), demoTrainRows)
			}
			rows = rows[:demoTrainRows]
		}
		out, err := datasets.Map(rows, func(r datasets.Row) (datasets.Row, error) {
			r.Fields[collate.InputIDs] = tok.Encode(r.Text)
			return r, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	b, _, err := backend.Default()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := train.New(train.Config{
		Backend: b, Args: args, Classes: ds.LabelNames,
		Model:        train.Model{Store: m.Store, Forward: func(in []*Node) *Node { return m.Logits(in[0], in[1]) }, Params: m.Params()},
		TrainDataset: tokenized("train"), EvalDataset: tokenized("validation"),
		Collator: collate.WithPadding{Tokenizer: tok, PadToMultipleOf: 8}, Callbacks: callbacks, AfterStep: afterStep,
	})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// stepsPerEpoch: one optimizer step per batch, the last one short.
func stepsPerEpoch(tr *train.Trainer) int {
	b := tr.Args.PerDeviceTrainBatchSize
	return (len(tr.TrainDataset) + b - 1) / b
}

func demoArgs(out string) train.Args {
	return train.Args{OutputDir: out, LearningRate: 5e-3, PerDeviceTrainBatchSize: 32, NumTrainEpochs: 3, WeightDecay: 0.01, Seed: 3,
		MetricForBestModel: "balanced_accuracy", LoadBestModelAtEnd: true}
}

// TestMain lets a test run a training in a child process that it can kill with SIGKILL.
func TestMain(m *testing.M) {
	if out := os.Getenv("TRAIN_CHILD_OUT"); out != "" {
		args := demoArgs(out)
		if os.Getenv("TRAIN_CHILD_RESUME") != "" {
			args.ResumeFromCheckpoint = "last"
		}
		tr := demoTrainer(&testing.B{}, args, nil)
		if os.Getenv("TRAIN_CHILD_KILL") != "" {
			per := stepsPerEpoch(tr)
			tr.AfterStep = func(epoch, step int) {
				if epoch == 2 && step == per+per/2 { // the middle of epoch 2
					syscall.Kill(os.Getpid(), syscall.SIGKILL)
				}
			}
		}
		h, err := tr.Train(context.Background())
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		raw, _ := json.Marshal(h.Epochs)
		os.WriteFile(filepath.Join(out, "history.json"), raw, 0o644)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestTrainingLearns(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	out := t.TempDir()
	tr := demoTrainer(t, demoArgs(out), nil)
	h, err := tr.Train(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + h.Table().Text())
	if steps := 3 * stepsPerEpoch(tr); len(h.Epochs) != 3 || len(h.StepLosses) != steps {
		t.Fatalf("%d epochs, %d steps logged; want 3 and %d", len(h.Epochs), len(h.StepLosses), steps)
	}
	first, last := h.Epochs[0], h.Epochs[2]
	if !(last.TrainLoss < first.TrainLoss) || last.Metrics["balanced_accuracy"] < 0.75 {
		t.Errorf("no learning: train loss %.3f → %.3f, balanced accuracy %.3f", first.TrainLoss, last.TrainLoss, last.Metrics["balanced_accuracy"])
	}
	// Best and last checkpoints only.
	entries, _ := os.ReadDir(out)
	n := 0
	for _, e := range entries {
		if e.IsDir() {
			n++
		}
	}
	if n < 1 || n > 2 {
		t.Errorf("%d checkpoint directories kept, want the best and the last", n)
	}
}

// TestKillAndResume kills a training with SIGKILL in the middle of epoch 2, resumes it from its
// last checkpoint, and requires the per-epoch results of an uninterrupted run with the same seed.
func TestKillAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs three trainings in child processes")
	}
	cache := t.TempDir()
	run := func(out string, env ...string) error {
		cmd := exec.Command(os.Args[0], "-test.run", "^$")
		cmd.Env = append(os.Environ(), append(env, "TRAIN_CHILD_OUT="+out, "XDG_CACHE_HOME="+cache)...)
		cmd.Stderr = os.Stderr
		return cmd.Run()
	}
	history := func(out string) []train.EpochLog {
		raw, err := os.ReadFile(filepath.Join(out, "history.json"))
		if err != nil {
			t.Fatal(err)
		}
		var h []train.EpochLog
		json.Unmarshal(raw, &h)
		return h
	}
	whole := t.TempDir()
	if err := run(whole); err != nil {
		t.Fatalf("uninterrupted run: %v", err)
	}
	cut := t.TempDir()
	err := run(cut, "TRAIN_CHILD_KILL=1")
	if ee, ok := err.(*exec.ExitError); !ok || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the run was meant to die of SIGKILL, got %v", err)
	}
	a := history(whole)
	if len(a) == 0 {
		t.Fatal("the uninterrupted run logged no epochs")
	}
	// Epoch 1 ends on the step its checkpoint is named after.
	if _, err := os.Stat(filepath.Join(cut, fmt.Sprintf("checkpoint-%d", a[0].Step))); err != nil {
		t.Fatalf("epoch 1's checkpoint is missing after the kill: %v", err)
	}
	if err := run(cut, "TRAIN_CHILD_RESUME=1"); err != nil {
		t.Fatalf("resumed run: %v", err)
	}
	b := history(cut)
	if len(a) != 3 || len(b) != 3 {
		t.Fatalf("epochs: uninterrupted %d, resumed %d", len(a), len(b))
	}
	for i := range a {
		for _, k := range []string{"balanced_accuracy", "f1", "accuracy"} {
			if a[i].Metrics[k] != b[i].Metrics[k] {
				t.Errorf("epoch %d %s: uninterrupted %v, resumed %v", i+1, k, a[i].Metrics[k], b[i].Metrics[k])
			}
		}
		if math.Abs(a[i].EvalLoss-b[i].EvalLoss) > 1e-6*math.Abs(a[i].EvalLoss) || math.Abs(a[i].TrainLoss-b[i].TrainLoss) > 1e-6*math.Abs(a[i].TrainLoss) {
			t.Errorf("epoch %d losses: uninterrupted %v/%v, resumed %v/%v", i+1, a[i].TrainLoss, a[i].EvalLoss, b[i].TrainLoss, b[i].EvalLoss)
		}
	}
}

func TestEarlyStopping(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	args := demoArgs(t.TempDir())
	args.NumTrainEpochs = 6
	h, err := demoTrainer(t, args, nil, train.EarlyStopping{Patience: 1, Threshold: 10}).Train(context.Background()) // no improvement can exceed 10
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Epochs) != 2 || h.Stopped == "" {
		t.Fatalf("ran %d epochs (stopped: %q); patience 1 should stop after the second", len(h.Epochs), h.Stopped)
	}
	if filepath.Base(h.Best) == "" {
		t.Error("no best checkpoint recorded")
	}
}

// The chart numbers steps as the table does: the first step is 1, an epoch's evaluation sits on
// its last step.
func TestCurveCountsStepsFromOne(t *testing.T) {
	h := &train.History{StepLosses: []float64{0.9, 0.8, 0.7, 0.6}, Epochs: []train.EpochLog{{Epoch: 1, Step: 2, EvalLoss: 0.85}, {Epoch: 2, Step: 4, EvalLoss: 0.65}}}
	c := h.Curve()
	if x := c.Series[0].X; fmt.Sprint(x) != "[1 2 3 4]" {
		t.Errorf("train steps at %v, want [1 2 3 4]", x)
	}
	if x := c.Series[1].X; fmt.Sprint(x) != fmt.Sprint([]int{h.Epochs[0].Step, h.Epochs[1].Step}) {
		t.Errorf("evaluations at %v, want the table's steps 2 and 4", x)
	}
	if rows := h.Table().Rows; fmt.Sprint(rows[0][1]) != "2" {
		t.Errorf("the table's first epoch ends at step %v", rows[0][1])
	}
}
