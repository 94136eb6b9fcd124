package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/metrics"
	"github.com/go-translab/translab/lab/show"
	"github.com/go-translab/translab/lab/weights"
)

// Example is one labelled input: a tokenised sequence (special tokens included, not padded) for a
// text classifier, or an image's pixel values (channels × height × width, flattened) — or any
// fixed-size features of it, such as a frozen tower's embedding — for an image classifier.
type Example struct {
	IDs    []int
	Pixels []float32
	Label  int
}

// Model is what the Trainer trains: a store of variables and a classifier's forward pass, which
// must apply dropout only when the store says the graph is training. Only the store's trainable
// variables are updated (see lab/peft's Freeze).
type Model struct {
	Store *model.Store
	// Logits classifies token ids and their attention mask [batch, seq] (a text classifier).
	Logits func(ids, mask *Node) *Node
	PadID  int
	// ImageLogits classifies pixel values [batch, channels·height·width] (an image classifier);
	// set it instead of Logits.
	ImageLogits func(pixels *Node) *Node
	// Params is the model's parameter table (with any head, adapter or prompt added): AdamW's
	// weight-decay groups come from it. It may be nil only when Args.WeightDecay is 0.
	Params weights.Table
}

// logits runs the model on a batch's inputs (ids and mask, or pixels).
func (m Model) logits(in []*Node) *Node {
	if m.ImageLogits != nil {
		return m.ImageLogits(in[0])
	}
	return m.Logits(in[0], in[1])
}

// Args are the Trainer's settings, named after HF's TrainingArguments; zero values take HF's
// defaults (see withDefaults).
type Args struct {
	OutputDir     string
	LearningRate  float64 // 5e-5
	BatchSize     int     // 8 (per_device_train_batch_size)
	EvalBatchSize int     // 8
	Epochs        int     // 3
	WeightDecay   float64 // 0
	WarmupSteps   int
	WarmupRatio   float64
	MaxGradNorm   float64 // 1; negative disables clipping
	Seed          uint64  // 42
	MetricForBest string  // "loss" (eval loss, lower is better) unless set, e.g. "balanced_accuracy"
	Patience      int     // early stopping after this many evaluations without improvement; 0: never
	Threshold     float64 // the improvement that counts for early stopping
	LoadBestAtEnd bool
	ResumeFrom    string // a checkpoint directory, or "last" for the newest in OutputDir
	Progress      io.Writer
	// AfterStep, when set, is called after every optimizer step (the tests use it to kill a run).
	AfterStep func(epoch, step int)
}

func (a Args) withDefaults() Args {
	if a.LearningRate == 0 {
		a.LearningRate = 5e-5
	}
	if a.BatchSize <= 0 {
		a.BatchSize = 8
	}
	if a.EvalBatchSize <= 0 {
		a.EvalBatchSize = a.BatchSize
	}
	if a.Epochs <= 0 {
		a.Epochs = 3
	}
	if a.MaxGradNorm == 0 {
		a.MaxGradNorm = 1
	}
	if a.Seed == 0 {
		a.Seed = 42
	}
	if a.MetricForBest == "" {
		a.MetricForBest = "loss"
	}
	return a
}

// EpochLog is one row of the training history: what HF's Trainer logs at each evaluation.
type EpochLog struct {
	Epoch     int                `json:"epoch"`
	Step      int                `json:"step"`
	TrainLoss float64            `json:"train_loss"`
	EvalLoss  float64            `json:"eval_loss"`
	Metrics   map[string]float64 `json:"metrics"`
	LR        float64            `json:"learning_rate"`
}

// History is the per-epoch log plus the loss of every step, for the curve.
type History struct {
	Epochs     []EpochLog `json:"epochs"`
	StepLosses []float64  `json:"step_losses"`
	Best       string     `json:"best_checkpoint"`
	BestMetric float64    `json:"best_metric"`
	Stopped    string     `json:"stopped,omitempty"` // why training ended early
}

// Table renders the history as the per-epoch table a notebook and the CLI show.
func (h *History) Table() *show.Table {
	t := &show.Table{Title: "Training history", Header: []string{"epoch", "step", "train loss", "eval loss"}}
	var names []string
	if len(h.Epochs) > 0 {
		for k := range h.Epochs[0].Metrics {
			names = append(names, k)
		}
		sort.Strings(names)
		t.Header = append(t.Header, names...)
	}
	for _, e := range h.Epochs {
		row := []any{e.Epoch, e.Step, e.TrainLoss, e.EvalLoss}
		for _, n := range names {
			row = append(row, e.Metrics[n])
		}
		t.Add(row...)
	}
	if h.Stopped != "" {
		t.Note = h.Stopped
	}
	return t
}

// Trainer fine-tunes a classifier the way HF's Trainer does: padded batches in a seeded order,
// AdamW with a linear schedule, an evaluation and a checkpoint each epoch, the best checkpoint kept,
// early stopping, and resumption from a checkpoint.
type Trainer struct {
	Model   Model
	Backend compute.Backend
	Args    Args
	Train   []Example
	Eval    []Example
	Labels  []string

	opt  *Optimizer
	step *model.Exec
	eval *model.Exec
}

// NewTrainer prepares the optimizer and the compiled steps.
func NewTrainer(b compute.Backend, m Model, args Args, train, eval []Example, labels []string) (*Trainer, error) {
	args = args.withDefaults()
	if len(train) == 0 || len(eval) == 0 {
		return nil, errors.New("train: the training and evaluation sets must not be empty")
	}
	if args.OutputDir == "" {
		return nil, errors.New("train: Args.OutputDir is needed for the checkpoints")
	}
	if (m.Logits == nil) == (m.ImageLogits == nil) {
		return nil, errors.New("train: the Model needs either Logits (text) or ImageLogits (images)")
	}
	pixels := len(train[0].Pixels)
	for i, set := range [][]Example{train, eval} {
		for j, e := range set {
			kind := []string{"training", "evaluation"}[i]
			if e.Label < 0 || e.Label >= len(labels) {
				return nil, fmt.Errorf("train: %s example %d: label %d (labels 0..%d)", kind, j, e.Label, len(labels)-1)
			}
			if m.ImageLogits == nil && len(e.IDs) == 0 {
				return nil, fmt.Errorf("train: %s example %d: no token ids", kind, j)
			}
			if m.ImageLogits != nil && (len(e.Pixels) == 0 || len(e.Pixels) != pixels) {
				return nil, fmt.Errorf("train: %s example %d: %d pixel values, want %d like the first", kind, j, len(e.Pixels), pixels)
			}
		}
	}
	steps := args.Epochs * ((len(train) + args.BatchSize - 1) / args.BatchSize)
	warmup := args.WarmupSteps
	if warmup == 0 && args.WarmupRatio > 0 {
		warmup = int(math.Ceil(args.WarmupRatio * float64(steps)))
	}
	cfg := DefaultAdamW()
	cfg.LR, cfg.WeightDecay, cfg.MaxGradNorm, cfg.WarmupSteps, cfg.TotalSteps = args.LearningRate, args.WeightDecay, max(args.MaxGradNorm, 0), warmup, steps
	opt, err := NewAdamW(m.Store, m.Params, cfg)
	if err != nil {
		return nil, err
	}
	if err := m.Store.SetRNGStateFromSeed(int64(args.Seed)); err != nil {
		return nil, err
	}
	t := &Trainer{Model: m, Backend: b, Args: args, Train: train, Eval: eval, Labels: labels, opt: opt}
	// Inputs are the batch's tensors then the labels: ids, mask, labels or pixels, labels.
	t.step, err = model.NewExec(b, m.Store, func(_ *model.Scope, in []*Node) []*Node {
		g := in[0].Graph()
		m.Store.SetTraining(g, true)
		loss := CrossEntropy(m.logits(in), in[len(in)-1])
		norm, lr := opt.Step(g, loss)
		return []*Node{loss, norm, lr}
	})
	if err != nil {
		return nil, err
	}
	t.eval, err = model.NewExec(b, m.Store, func(_ *model.Scope, in []*Node) []*Node {
		logits := m.logits(in)
		return []*Node{CrossEntropy(logits, in[len(in)-1]), logits}
	})
	return t, err
}

// CrossEntropy is the mean cross-entropy of logits [batch, classes] against integer labels [batch],
// HF's single-label classification loss.
func CrossEntropy(logits, labels *Node) *Node {
	logp := LogSoftmax(logits, -1)
	onehot := OneHot(labels, logits.Shape().Dimensions[1], logp.DType())
	return Neg(ReduceAllMean(ReduceSum(Mul(logp, onehot), -1)))
}

// batch is the inputs of the compiled steps for examples: ids, mask and labels, or pixels and labels.
// Sequences are padded to the longest (rounded up to a multiple of 8, so a run compiles a handful
// of graphs rather than one per length; padding is masked, so the numbers are those of HF's
// collator).
func (t *Trainer) batch(examples []Example) []any {
	if t.Model.ImageLogits != nil {
		n := len(examples[0].Pixels)
		px := make([]float32, 0, len(examples)*n)
		lv := make([]int32, len(examples))
		for r, e := range examples {
			px = append(px, e.Pixels...)
			lv[r] = int32(e.Label)
		}
		return []any{tensors.FromFlatDataAndDimensions(px, len(examples), n), tensors.FromFlatDataAndDimensions(lv, len(examples))}
	}
	cols := 0
	for _, e := range examples {
		cols = max(cols, len(e.IDs))
	}
	cols = (cols + 7) / 8 * 8
	idv := make([]int32, len(examples)*cols)
	mv := make([]int32, len(examples)*cols)
	lv := make([]int32, len(examples))
	for r, e := range examples {
		for c := range cols {
			idv[r*cols+c] = int32(t.Model.PadID)
		}
		for c, id := range e.IDs {
			idv[r*cols+c], mv[r*cols+c] = int32(id), 1
		}
		lv[r] = int32(e.Label)
	}
	return []any{tensors.FromFlatDataAndDimensions(idv, len(examples), cols), tensors.FromFlatDataAndDimensions(mv, len(examples), cols), tensors.FromFlatDataAndDimensions(lv, len(examples))}
}

// order is the epoch's shuffled order: a function of the seed and the epoch alone, so a resumed
// run sees the batches the uninterrupted one would have.
func (t *Trainer) order(epoch int) []int {
	rng := rand.New(rand.NewPCG(t.Args.Seed, uint64(epoch)))
	return rng.Perm(len(t.Train))
}

// Evaluate returns the evaluation loss and the metrics of the current weights.
func (t *Trainer) Evaluate() (float64, map[string]float64, error) {
	var lossSum float64
	var yTrue, yPred []int
	for start := 0; start < len(t.Eval); start += t.Args.EvalBatchSize {
		part := t.Eval[start:min(start+t.Args.EvalBatchSize, len(t.Eval))]
		out, err := t.eval.Call(t.batch(part)...)
		if err != nil {
			return 0, nil, err
		}
		lossSum += float64(tensors.ToScalar[float32](out[0])) * float64(len(part))
		logits := tensors.MustCopyFlatData[float32](out[1])
		k := len(t.Labels)
		for i, e := range part {
			best := 0
			for c := 1; c < k; c++ {
				if logits[i*k+c] > logits[i*k+best] {
					best = c
				}
			}
			yTrue, yPred = append(yTrue, e.Label), append(yPred, best)
		}
	}
	m, err := Scores(yTrue, yPred, len(t.Labels))
	return lossSum / float64(len(t.Eval)), m, err
}

// Scores are the lab's metrics: accuracy, balanced accuracy, and precision, recall and F1 (binary
// on class 1 with two classes, macro-averaged otherwise).
func Scores(yTrue, yPred []int, classes int) (map[string]float64, error) {
	avg := metrics.Macro
	if classes == 2 {
		avg = metrics.Binary(1)
	}
	acc, err := metrics.Accuracy(yTrue, yPred)
	if err != nil {
		return nil, err
	}
	bal, err := metrics.BalancedAccuracy(yTrue, yPred)
	if err != nil {
		return nil, err
	}
	p, r, f, err := metrics.PrecisionRecallF1(yTrue, yPred, avg, nil)
	if err != nil {
		return nil, err
	}
	return map[string]float64{"accuracy": acc, "balanced_accuracy": bal, "precision": p, "recall": r, "f1": f}, nil
}

// Run trains for Args.Epochs epochs (continuing a resumed run), evaluating and checkpointing after
// each, and returns the history.
func (t *Trainer) Run(ctx context.Context) (*History, error) {
	a := t.Args
	if err := os.MkdirAll(a.OutputDir, 0o755); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	h := &History{BestMetric: math.NaN()}
	start := 0
	if a.ResumeFrom == "" {
		// A fresh run owns its output directory: checkpoints of an earlier run there would be taken
		// for this run's by a later --resume, so they go (as HF's rotation would delete them).
		if old := checkpointSteps(a.OutputDir); len(old) > 0 {
			fmt.Fprintf(progressOr(a.Progress), "train: starting afresh in %s: removing %d checkpoint(s) of an earlier run\n", a.OutputDir, len(old))
			for _, s := range old {
				if err := os.RemoveAll(filepath.Join(a.OutputDir, checkpointName(s))); err != nil {
					return nil, fmt.Errorf("train: %w", err)
				}
			}
		}
	}
	if a.ResumeFrom != "" {
		dir := a.ResumeFrom
		if dir == "last" {
			var err error
			if dir, err = LastCheckpoint(a.OutputDir); err != nil {
				return nil, err
			}
		}
		st, err := loadCheckpoint(dir, t.Model.Store)
		if err != nil {
			return nil, err
		}
		h, start = st.History, st.Epoch
		fmt.Fprintf(progressOr(a.Progress), "train: resumed from %s (epoch %d, step %d)\n", dir, st.Epoch, st.Step)
	}
	stepsPerEpoch := (len(t.Train) + a.BatchSize - 1) / a.BatchSize
	sinceBest := 0
	for i := len(h.Epochs) - 1; i >= 0 && h.Epochs[i].Metrics != nil; i-- { // restore the patience count
		if filepath.Base(h.Best) == checkpointName(h.Epochs[i].Step) {
			break
		}
		sinceBest++
	}
	for epoch := start + 1; epoch <= a.Epochs; epoch++ {
		bar := show.NewProgress(a.Progress, fmt.Sprintf("epoch %d/%d", epoch, a.Epochs), int64(stepsPerEpoch), "steps")
		order := t.order(epoch)
		var lossSum float64
		var lr float64
		for b := 0; b < stepsPerEpoch; b++ {
			if err := ctx.Err(); err != nil {
				return h, err
			}
			idx := order[b*a.BatchSize : min((b+1)*a.BatchSize, len(order))]
			part := make([]Example, len(idx))
			for i, j := range idx {
				part[i] = t.Train[j]
			}
			out, err := t.step.Call(t.batch(part)...)
			if err != nil {
				return h, err
			}
			loss := float64(tensors.ToScalar[float32](out[0]))
			lr = float64(tensors.ToScalar[float32](out[2]))
			lossSum += loss
			h.StepLosses = append(h.StepLosses, loss)
			bar.Add(1)
			if a.AfterStep != nil {
				a.AfterStep(epoch, (epoch-1)*stepsPerEpoch+b+1)
			}
		}
		bar.Done()
		evalLoss, scores, err := t.Evaluate()
		if err != nil {
			return h, err
		}
		step := epoch * stepsPerEpoch
		h.Epochs = append(h.Epochs, EpochLog{Epoch: epoch, Step: step, TrainLoss: lossSum / float64(stepsPerEpoch), EvalLoss: evalLoss, Metrics: scores, LR: lr})
		metric := evalLoss
		if a.MetricForBest != "loss" {
			var ok bool
			if metric, ok = scores[a.MetricForBest]; !ok {
				return h, fmt.Errorf("train: metric_for_best_model %q is not one of the metrics", a.MetricForBest)
			}
		}
		better := math.IsNaN(h.BestMetric) || (a.MetricForBest == "loss" && metric < h.BestMetric) || (a.MetricForBest != "loss" && metric > h.BestMetric)
		improved := better && (math.IsNaN(h.BestMetric) || math.Abs(metric-h.BestMetric) > a.Threshold)
		if better {
			h.BestMetric, h.Best = metric, filepath.Join(a.OutputDir, checkpointName(step))
		}
		if improved {
			sinceBest = 0
		} else {
			sinceBest++
		}
		if a.Patience > 0 && sinceBest >= a.Patience && epoch < a.Epochs {
			h.Stopped = fmt.Sprintf("early stopping after epoch %d: %s did not improve for %d evaluations", epoch, a.MetricForBest, sinceBest)
		}
		if err := saveCheckpoint(a.OutputDir, t.Model.Store, trainerState{Epoch: epoch, Step: step, History: h}); err != nil {
			return h, err
		}
		if err := pruneCheckpoints(a.OutputDir, h.Best, step); err != nil {
			return h, err
		}
		if h.Stopped != "" {
			break
		}
	}
	if a.LoadBestAtEnd && h.Best != "" {
		if _, err := loadCheckpoint(h.Best, t.Model.Store); err != nil {
			return h, err
		}
	}
	return h, nil
}

func progressOr(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

func checkpointName(step int) string { return "checkpoint-" + strconv.Itoa(step) }

// LastCheckpoint is the newest complete checkpoint in dir.
func LastCheckpoint(dir string) (string, error) {
	steps := checkpointSteps(dir)
	if len(steps) == 0 {
		return "", fmt.Errorf("train: %s: no checkpoint to resume from", dir)
	}
	return filepath.Join(dir, checkpointName(steps[len(steps)-1])), nil
}

func checkpointSteps(dir string) []int {
	entries, _ := os.ReadDir(dir)
	var steps []int
	for _, e := range entries {
		if n, ok := strings.CutPrefix(e.Name(), "checkpoint-"); ok && e.IsDir() {
			if s, err := strconv.Atoi(n); err == nil {
				if _, err := os.Stat(filepath.Join(dir, e.Name(), stateFile)); err == nil {
					steps = append(steps, s)
				}
			}
		}
	}
	sort.Ints(steps)
	return steps
}

// pruneCheckpoints keeps the best and the last checkpoint (HF's save_total_limit=1 with
// load_best_model_at_end keeps the same two).
func pruneCheckpoints(dir, best string, last int) error {
	for _, s := range checkpointSteps(dir) {
		p := filepath.Join(dir, checkpointName(s))
		if s != last && p != best {
			if err := os.RemoveAll(p); err != nil {
				return fmt.Errorf("train: %w", err)
			}
		}
	}
	return nil
}

// Curve is the loss of every training step with the evaluation loss at each epoch's last step.
func (h *History) Curve() *show.Chart {
	c := &show.Chart{Title: "Loss", XLabel: "step", YLabel: "loss", Series: []show.Series{{Name: "train (per step)", Y: h.StepLosses}}}
	eval := show.Series{Name: "eval (per epoch)"}
	for _, e := range h.Epochs {
		eval.X, eval.Y = append(eval.X, float64(e.Step-1)), append(eval.Y, e.EvalLoss)
	}
	c.Series = append(c.Series, eval)
	return c
}
