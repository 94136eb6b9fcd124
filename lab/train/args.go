package train

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/go-translab/translab/lab/show"
)

// Args are HF's TrainingArguments under their Go names. Zero values take HF's defaults
// (DefaultArgs shows them), so a cell sets only what it changes — and a reader sees which.
type Args struct {
	OutputDir               string
	LearningRate            float64 // learning_rate: 5e-5
	PerDeviceTrainBatchSize int     // per_device_train_batch_size: 8
	PerDeviceEvalBatchSize  int     // per_device_eval_batch_size: 8
	NumTrainEpochs          int     // num_train_epochs: 3
	WeightDecay             float64 // weight_decay: 0 (not on biases and LayerNorms)
	WarmupSteps             int     // warmup_steps: 0
	WarmupRatio             float64 // warmup_ratio: 0, used when WarmupSteps is 0
	MaxGradNorm             float64 // max_grad_norm: 1; negative disables clipping
	Seed                    uint64  // seed: 42 (shuffling, dropout)
	// EvalStrategy and SaveStrategy are "epoch", the only ones the lab implements (and the seed
	// lab's): an evaluation and a checkpoint after every epoch.
	EvalStrategy       string
	SaveStrategy       string
	LoadBestModelAtEnd bool   // load_best_model_at_end: false
	MetricForBestModel string // metric_for_best_model: "loss" (eval loss) unless set, e.g. "balanced_accuracy"
	// GreaterIsBetter is HF's default: true for any metric but the loss.
	GreaterIsBetter *bool
	// ResumeFromCheckpoint is trainer.train(resume_from_checkpoint=…): a checkpoint directory, or
	// "last" for the newest in OutputDir.
	ResumeFromCheckpoint string
}

// OutputDir is a folder for a run's checkpoints named name, under the user's own cache
// directory (~/.cache/translab/runs/NAME on Linux): two students on one server never write to the
// same one, as they would under a fixed /tmp path. Without a cache directory (no $HOME), it is a
// folder of the user's id under the temporary directory. LAB_RUNS_DIR, when set, is the folder the
// runs go in instead: `make grade` gives each submission its own, so that a test reading a run's
// checkpoints never finds another student's.
func OutputDir(name string) string {
	if dir := os.Getenv("LAB_RUNS_DIR"); dir != "" {
		return filepath.Join(dir, name)
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "translab-"+strconv.Itoa(os.Getuid()), "runs", name)
	}
	return filepath.Join(base, "translab", "runs", name)
}

// DefaultArgs are HF's TrainingArguments(output_dir) defaults, as the Trainer applies them.
func DefaultArgs(outputDir string) Args { return Args{OutputDir: outputDir}.withDefaults() }

func (a Args) withDefaults() Args {
	if a.LearningRate == 0 {
		a.LearningRate = 5e-5
	}
	if a.PerDeviceTrainBatchSize == 0 {
		a.PerDeviceTrainBatchSize = 8
	}
	if a.PerDeviceEvalBatchSize == 0 {
		a.PerDeviceEvalBatchSize = 8
	}
	if a.NumTrainEpochs == 0 {
		a.NumTrainEpochs = 3
	}
	if a.MaxGradNorm == 0 {
		a.MaxGradNorm = 1
	}
	if a.Seed == 0 {
		a.Seed = 42
	}
	if a.EvalStrategy == "" {
		a.EvalStrategy = "epoch"
	}
	if a.SaveStrategy == "" {
		a.SaveStrategy = "epoch"
	}
	if a.MetricForBestModel == "" {
		a.MetricForBestModel = "loss"
	}
	if a.GreaterIsBetter == nil {
		g := a.MetricForBestModel != "loss" && a.MetricForBestModel != "eval_loss"
		a.GreaterIsBetter = &g
	}
	return a
}

// validate names the argument at fault, as HF's TrainingArguments does on construction.
func (a Args) validate() error {
	switch {
	case a.OutputDir == "":
		return fmt.Errorf("train: Args.OutputDir is needed for the checkpoints")
	case !(a.LearningRate > 0) || math.IsInf(a.LearningRate, 0):
		return fmt.Errorf("train: Args.LearningRate %g must be positive", a.LearningRate)
	case a.PerDeviceTrainBatchSize < 1:
		return fmt.Errorf("train: Args.PerDeviceTrainBatchSize %d must be at least 1", a.PerDeviceTrainBatchSize)
	case a.PerDeviceEvalBatchSize < 1:
		return fmt.Errorf("train: Args.PerDeviceEvalBatchSize %d must be at least 1", a.PerDeviceEvalBatchSize)
	case a.NumTrainEpochs < 1:
		return fmt.Errorf("train: Args.NumTrainEpochs %d must be at least 1", a.NumTrainEpochs)
	case !(a.WeightDecay >= 0):
		return fmt.Errorf("train: Args.WeightDecay %g must be ≥ 0", a.WeightDecay)
	case a.WarmupSteps < 0, !(a.WarmupRatio >= 0 && a.WarmupRatio <= 1):
		return fmt.Errorf("train: Args.WarmupSteps %d / WarmupRatio %g: want ≥ 0 steps and a ratio in [0, 1]", a.WarmupSteps, a.WarmupRatio)
	case a.EvalStrategy != "epoch" || a.SaveStrategy != "epoch":
		return fmt.Errorf("train: Args.EvalStrategy %q / SaveStrategy %q: the lab evaluates and saves per \"epoch\" only", a.EvalStrategy, a.SaveStrategy)
	}
	return nil
}

// metric is the value metric_for_best_model takes at an evaluation.
func (a Args) metric(e EpochLog) (float64, error) {
	if a.MetricForBestModel == "loss" || a.MetricForBestModel == "eval_loss" {
		return e.EvalLoss, nil
	}
	v, ok := e.Metrics[a.MetricForBestModel]
	if !ok {
		return 0, fmt.Errorf("train: Args.MetricForBestModel %q is not one of the metrics", a.MetricForBestModel)
	}
	return v, nil
}

func (a Args) better(v, than float64) bool {
	if *a.GreaterIsBetter {
		return v > than
	}
	return v < than
}

// Table shows every argument with HF's default beside it, marking those a cell changed.
func (a Args) Table() *show.Table {
	set, def := a.withDefaults(), DefaultArgs(a.OutputDir)
	t := &show.Table{Title: "TrainingArguments", Header: []string{"argument", "value", "HF's default", ""}}
	row := func(name string, v, d any) {
		mark := ""
		if fmt.Sprint(v) != fmt.Sprint(d) {
			mark = "← set here"
		}
		t.Add(name, fmt.Sprint(v), fmt.Sprint(d), mark)
	}
	row("output_dir", set.OutputDir, def.OutputDir)
	row("learning_rate", set.LearningRate, def.LearningRate)
	row("per_device_train_batch_size", set.PerDeviceTrainBatchSize, def.PerDeviceTrainBatchSize)
	row("per_device_eval_batch_size", set.PerDeviceEvalBatchSize, def.PerDeviceEvalBatchSize)
	row("num_train_epochs", set.NumTrainEpochs, def.NumTrainEpochs)
	row("weight_decay", set.WeightDecay, def.WeightDecay)
	row("warmup_steps", set.WarmupSteps, def.WarmupSteps)
	row("warmup_ratio", set.WarmupRatio, def.WarmupRatio)
	row("max_grad_norm", set.MaxGradNorm, def.MaxGradNorm)
	row("seed", set.Seed, def.Seed)
	row("eval_strategy", set.EvalStrategy, def.EvalStrategy)
	row("save_strategy", set.SaveStrategy, def.SaveStrategy)
	row("load_best_model_at_end", set.LoadBestModelAtEnd, def.LoadBestModelAtEnd)
	row("metric_for_best_model", set.MetricForBestModel, def.MetricForBestModel)
	row("greater_is_better", *set.GreaterIsBetter, *def.GreaterIsBetter)
	return t
}
