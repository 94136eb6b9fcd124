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

	"github.com/go-translab/translab/lab/collate"
	"github.com/go-translab/translab/lab/datasets"
	"github.com/go-translab/translab/lab/metrics"
	"github.com/go-translab/translab/lab/show"
	"github.com/go-translab/translab/lab/weights"
)

// Model is what the Trainer trains: a store of variables and a classifier's forward pass over the
// tensors a Collator makes (input_ids and attention_mask, pixel values, embeddings …), returning
// logits [batch, classes]. Forward must apply dropout only when the store says the graph is
// training. Only the store's trainable variables are updated (see lab/peft's Freeze).
type Model struct {
	Store   *model.Store
	Forward func(inputs []*Node) *Node
	// Params is the model's parameter table (with any head, adapter or prompt added): AdamW's
	// weight-decay groups come from it. It may be nil only when Args.WeightDecay is 0.
	Params weights.Table
}

// Config is what HF's Trainer(...) is given: the model, the arguments, the two datasets, the data
// collator, the metrics function and the callbacks — plus the backend to run on and the class names.
type Config struct {
	Backend compute.Backend
	Model   Model
	Args    Args
	// TrainDataset and EvalDataset are rows whose fields the Collator reads (e.g. input_ids added
	// by datasets.Map) and whose Label is the class.
	TrainDataset []datasets.Row
	EvalDataset  []datasets.Row
	Collator     collate.Collator
	// ComputeMetrics scores each evaluation; nil is ClassificationMetrics.
	ComputeMetrics func(EvalPrediction) (map[string]float64, error)
	Callbacks      []Callback
	Classes        []string // the label names; labels are 0..len(Classes)-1
	// Name says what is trained (e.g. "DistilBERT + LoRA r=8"): tables and curves are titled with it.
	Name string
	// Progress receives a progress bar per epoch and the trainer's notices; nil keeps quiet.
	Progress io.Writer
	// AfterStep, when set, is called after every optimizer step (the tests use it to kill a run).
	AfterStep func(epoch, step int)
	// Phase, when set, is told as the run moves between training steps, evaluations and
	// checkpoints (a results manifest times each; session.Session.Phase fits).
	Phase func(name string)
}

// EvalPrediction is what HF's compute_metrics receives: the logits of every evaluation example
// [n, classes] (row-major) and their labels.
type EvalPrediction struct {
	Logits  []float32
	Labels  []int
	Classes int
}

// Predictions are the best class of each example: the argmax of its logits.
func (p EvalPrediction) Predictions() []int { return metrics.Argmax(p.Logits, p.Classes) }

// ClassificationMetrics is the lab's compute_metrics: accuracy, balanced accuracy, and precision,
// recall and F1 (binary on class 1 with two classes, macro-averaged otherwise).
func ClassificationMetrics(p EvalPrediction) (map[string]float64, error) {
	return Scores(p.Labels, p.Predictions(), p.Classes)
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
	Name       string     `json:"name,omitempty"` // what was trained, for titles
	Metric     string     `json:"metric_for_best_model,omitempty"`
	Epochs     []EpochLog `json:"epochs"`
	StepLosses []float64  `json:"step_losses"`
	Best       string     `json:"best_checkpoint"`
	BestMetric float64    `json:"best_metric"`
	Stopped    string     `json:"stopped,omitempty"` // why training ended early
}

func (h *History) titled(what string) string {
	if h.Name == "" {
		return what
	}
	return what + " — " + h.Name
}

// Table renders the history as the per-epoch table a notebook and the CLI show.
func (h *History) Table() *show.Table {
	t := &show.Table{Title: h.titled("Training history"), Header: []string{"epoch", "step", "train loss", "eval loss"}}
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

// Curve is the loss of every training step with the evaluation loss at each epoch's last step,
// steps numbered from 1 as in the history's table.
func (h *History) Curve() *show.Chart {
	steps := make([]float64, len(h.StepLosses))
	for i := range steps {
		steps[i] = float64(i + 1)
	}
	c := &show.Chart{Title: h.titled("Loss"), XLabel: "step", YLabel: "loss", Series: []show.Series{{Name: "train (per step)", X: steps, Y: h.StepLosses}}}
	eval := show.Series{Name: "eval (per epoch)"}
	for _, e := range h.Epochs {
		eval.X, eval.Y = append(eval.X, float64(e.Step)), append(eval.Y, e.EvalLoss)
	}
	c.Series = append(c.Series, eval)
	return c
}

// MetricCurve is an evaluation metric per epoch (the one that picks the best model when name is "").
func (h *History) MetricCurve(name string) *show.Chart {
	if name == "" {
		name = h.Metric
	}
	s := show.Series{Name: name}
	for _, e := range h.Epochs {
		if v, ok := e.Metrics[name]; ok {
			s.X, s.Y = append(s.X, float64(e.Epoch)), append(s.Y, v)
		}
	}
	return &show.Chart{Title: h.titled("Validation " + name), XLabel: "epoch", YLabel: name, Series: []show.Series{s}}
}

// Trainer fine-tunes a classifier the way HF's Trainer does: collated batches in a seeded order,
// AdamW with a linear schedule, an evaluation and a checkpoint each epoch, the best checkpoint
// kept, callbacks such as early stopping, and resumption from a checkpoint.
type Trainer struct {
	Config
	opt  *Optimizer
	step *model.Exec
	eval *model.Exec
}

// New checks the configuration and prepares the optimizer and the compiled steps.
func New(c Config) (*Trainer, error) {
	c.Args = c.Args.withDefaults()
	a := c.Args
	if err := a.validate(); err != nil {
		return nil, err
	}
	if len(c.TrainDataset) == 0 || len(c.EvalDataset) == 0 {
		return nil, errors.New("train: the training and evaluation sets must not be empty")
	}
	if c.Model.Store == nil || c.Model.Forward == nil || c.Collator == nil || c.Backend == nil {
		return nil, errors.New("train: the Trainer needs a Backend, a Model with Store and Forward, and a Collator")
	}
	if len(c.Classes) < 2 {
		return nil, fmt.Errorf("train: %d classes; a classifier needs at least two", len(c.Classes))
	}
	for i, set := range [][]datasets.Row{c.TrainDataset, c.EvalDataset} {
		for j, r := range set {
			if r.Label < 0 || r.Label >= len(c.Classes) {
				return nil, fmt.Errorf("train: %s example %d: label %d (labels 0..%d)", []string{"training", "evaluation"}[i], j, r.Label, len(c.Classes)-1)
			}
		}
	}
	if c.ComputeMetrics == nil {
		c.ComputeMetrics = ClassificationMetrics
	}
	if n := len(c.TrainDataset); a.PerDeviceTrainBatchSize > n {
		// HF's DataLoader gives one short batch of every example (drop_last is false): the same
		// run as a batch of n, which is what Args then say ran. A student who typed 100000 hears it.
		if c.Progress != nil {
			fmt.Fprintf(c.Progress, "train: batch size %d is more than the %d training examples: each epoch is one step on all %d\n", a.PerDeviceTrainBatchSize, n, n)
		}
		a.PerDeviceTrainBatchSize = n
		c.Args = a
	}
	steps := a.NumTrainEpochs * ((len(c.TrainDataset) + a.PerDeviceTrainBatchSize - 1) / a.PerDeviceTrainBatchSize)
	warmup := a.WarmupSteps
	if warmup == 0 && a.WarmupRatio > 0 {
		warmup = int(math.Ceil(a.WarmupRatio * float64(steps)))
	}
	cfg := DefaultAdamW()
	cfg.LR, cfg.WeightDecay, cfg.MaxGradNorm, cfg.WarmupSteps, cfg.TotalSteps = a.LearningRate, a.WeightDecay, max(a.MaxGradNorm, 0), warmup, steps
	opt, err := NewAdamW(c.Model.Store, c.Model.Params, cfg)
	if err != nil {
		return nil, err
	}
	if err := c.Model.Store.SetRNGStateFromSeed(int64(a.Seed)); err != nil {
		return nil, err
	}
	t := &Trainer{Config: c, opt: opt}
	if t.step, err = NewStep(c.Backend, c.Model, opt); err != nil {
		return nil, err
	}
	forward := c.Model.Forward
	t.eval, err = model.NewExec(c.Backend, c.Model.Store, func(_ *model.Scope, in []*Node) []*Node {
		logits := forward(in[:len(in)-1])
		return []*Node{CrossEntropy(logits, in[len(in)-1]), logits}
	})
	return t, err
}

// WarmupSteps are the warm-up steps of the learning-rate schedule that runs: Args.WarmupSteps, or
// Args.WarmupRatio of all steps rounded up.
func (t *Trainer) WarmupSteps() int { return t.opt.Config().WarmupSteps }

// NewStep compiles the Trainer's optimisation step for m: forward with dropout, cross-entropy,
// backward, clipping and opt's AdamW update, in one graph. Its inputs are the collated tensors,
// then the labels; its outputs the loss, the gradients' norm before clipping and the learning rate.
// The Trainer runs it once per batch; `lab bench train` times it alone.
func NewStep(b compute.Backend, m Model, opt *Optimizer) (*model.Exec, error) {
	return model.NewExec(b, m.Store, func(_ *model.Scope, in []*Node) []*Node {
		g := in[0].Graph()
		m.Store.SetTraining(g, true)
		loss := CrossEntropy(m.Forward(in[:len(in)-1]), in[len(in)-1])
		norm, lr := opt.Step(g, loss)
		return []*Node{loss, norm, lr}
	})
}

// CrossEntropy is the mean cross-entropy of logits [batch, classes] against integer labels [batch],
// HF's single-label classification loss.
func CrossEntropy(logits, labels *Node) *Node {
	logp := LogSoftmax(logits, -1)
	onehot := OneHot(labels, logits.Shape().Dimensions[1], logp.DType())
	return Neg(ReduceAllMean(ReduceSum(Mul(logp, onehot), -1)))
}

// batch is the inputs of the compiled steps for rows: the collated tensors, then the labels.
func (t *Trainer) batch(rows []datasets.Row) ([]any, error) {
	in, err := t.Collator.Collate(rows)
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, len(in)+1)
	for _, x := range in {
		out = append(out, x)
	}
	return append(out, collate.Labels(rows)), nil
}

// order is the epoch's shuffled order: a function of the seed and the epoch alone, so a resumed
// run sees the batches the uninterrupted one would have.
func (t *Trainer) order(epoch int) []int {
	rng := rand.New(rand.NewPCG(t.Args.Seed, uint64(epoch)))
	return rng.Perm(len(t.TrainDataset))
}

// Predict runs the model on rows in evaluation batches: their logits and labels, and the mean loss.
func (t *Trainer) Predict(rows []datasets.Row) (EvalPrediction, float64, error) {
	p := EvalPrediction{Classes: len(t.Classes)}
	var lossSum float64
	bs := t.Args.PerDeviceEvalBatchSize
	for start := 0; start < len(rows); start += bs {
		part := rows[start:min(start+bs, len(rows))]
		in, err := t.batch(part)
		if err != nil {
			return p, 0, err
		}
		out, err := t.eval.Call(in...)
		if err != nil {
			return p, 0, err
		}
		lossSum += float64(tensors.ToScalar[float32](out[0])) * float64(len(part))
		p.Logits = append(p.Logits, tensors.MustCopyFlatData[float32](out[1])...)
		for _, r := range part {
			p.Labels = append(p.Labels, r.Label)
		}
	}
	return p, lossSum / float64(max(len(rows), 1)), nil
}

// Evaluate returns the evaluation loss and the metrics of the current weights.
func (t *Trainer) Evaluate() (float64, map[string]float64, error) {
	p, loss, err := t.Predict(t.EvalDataset)
	if err != nil {
		return 0, nil, err
	}
	m, err := t.ComputeMetrics(p)
	return loss, m, err
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

// Train trains for Args.NumTrainEpochs epochs (continuing a resumed run), evaluating and
// checkpointing after each, and returns the history — HF's trainer.train().
func (t *Trainer) Train(ctx context.Context) (*History, error) {
	a := t.Args
	log := t.Progress
	if log == nil {
		log = io.Discard
	}
	if err := os.MkdirAll(a.OutputDir, 0o755); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	h := &History{BestMetric: math.NaN()}
	start := 0
	if a.ResumeFromCheckpoint == "" {
		// A fresh run owns its output directory: checkpoints of an earlier run there would be taken
		// for this run's by a later resume, so they go (as HF's rotation would delete them).
		if old := checkpointSteps(a.OutputDir); len(old) > 0 {
			fmt.Fprintf(log, "train: starting afresh in %s: removing %d checkpoint(s) of an earlier run\n", a.OutputDir, len(old))
			for _, s := range old {
				if err := os.RemoveAll(filepath.Join(a.OutputDir, checkpointName(s))); err != nil {
					return nil, fmt.Errorf("train: %w", err)
				}
			}
		}
	} else {
		dir := a.ResumeFromCheckpoint
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
		fmt.Fprintf(log, "train: resumed from %s (epoch %d, step %d)\n", dir, st.Epoch, st.Step)
	}
	h.Name, h.Metric = t.Name, a.MetricForBestModel
	stepsPerEpoch := (len(t.TrainDataset) + a.PerDeviceTrainBatchSize - 1) / a.PerDeviceTrainBatchSize
	// One line for the whole run, as HF's progress bar: a notebook cell keeps one live line, not
	// one per epoch.
	label := "training"
	if t.Name != "" {
		label = "training " + t.Name
	}
	bar := show.NewProgress(t.Progress, fmt.Sprintf("%s, %d epochs", label, a.NumTrainEpochs), int64((a.NumTrainEpochs-start)*stepsPerEpoch), "steps")
	defer bar.Done()
	for epoch := start + 1; epoch <= a.NumTrainEpochs; epoch++ {
		t.mark("training")
		order := t.order(epoch)
		var lossSum, lr float64
		for b := 0; b < stepsPerEpoch; b++ {
			if err := ctx.Err(); err != nil {
				return h, err
			}
			idx := order[b*a.PerDeviceTrainBatchSize : min((b+1)*a.PerDeviceTrainBatchSize, len(order))]
			part := make([]datasets.Row, len(idx))
			for i, j := range idx {
				part[i] = t.TrainDataset[j]
			}
			in, err := t.batch(part)
			if err != nil {
				return h, err
			}
			out, err := t.step.Call(in...)
			if err != nil {
				return h, err
			}
			loss := float64(tensors.ToScalar[float32](out[0]))
			lr = float64(tensors.ToScalar[float32](out[2]))
			lossSum += loss
			h.StepLosses = append(h.StepLosses, loss)
			bar.Add(1)
			if t.AfterStep != nil {
				t.AfterStep(epoch, (epoch-1)*stepsPerEpoch+b+1)
			}
		}
		t.mark("evaluation")
		evalLoss, scores, err := t.Evaluate()
		if err != nil {
			return h, err
		}
		step := epoch * stepsPerEpoch
		h.Epochs = append(h.Epochs, EpochLog{Epoch: epoch, Step: step, TrainLoss: lossSum / float64(stepsPerEpoch), EvalLoss: evalLoss, Metrics: scores, LR: lr})
		metric, err := a.metric(h.Epochs[len(h.Epochs)-1])
		if err != nil {
			return h, err
		}
		if math.IsNaN(h.BestMetric) || a.better(metric, h.BestMetric) {
			h.BestMetric, h.Best = metric, filepath.Join(a.OutputDir, checkpointName(step))
		}
		for _, cb := range t.Callbacks {
			if stop := cb.OnEvaluate(a, h); stop != "" && epoch < a.NumTrainEpochs {
				h.Stopped = stop
			}
		}
		t.mark("checkpoints")
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
	if a.LoadBestModelAtEnd && h.Best != "" {
		t.mark("checkpoints")
		if _, err := loadCheckpoint(h.Best, t.Model.Store); err != nil {
			return h, err
		}
	}
	return h, nil
}

func (t *Trainer) mark(phase string) {
	if t.Phase != nil {
		t.Phase(phase)
	}
}

// Callback is told of every evaluation, as HF's TrainerCallback.on_evaluate; a non-empty answer
// stops training and says why.
type Callback interface {
	OnEvaluate(args Args, h *History) (stop string)
}

// EarlyStopping is HF's EarlyStoppingCallback: stop once metric_for_best_model has not improved
// by more than Threshold for Patience evaluations in a row. It counts from the history alone, so
// a resumed run stops where the uninterrupted one would.
type EarlyStopping struct {
	Patience  int
	Threshold float64
}

// OnEvaluate counts the evaluations since the last improvement.
func (e EarlyStopping) OnEvaluate(a Args, h *History) string {
	if e.Patience <= 0 {
		return ""
	}
	best, since := math.NaN(), 0
	for _, ep := range h.Epochs {
		m, err := a.metric(ep)
		if err != nil {
			return ""
		}
		// As HF: an evaluation counts as an improvement when it beats the best so far by more than
		// the threshold; the best so far moves on any improvement.
		if math.IsNaN(best) || (a.better(m, best) && math.Abs(m-best) > e.Threshold) {
			since = 0
		} else {
			since++
		}
		if math.IsNaN(best) || a.better(m, best) {
			best = m
		}
	}
	if since >= e.Patience {
		return fmt.Sprintf("early stopping after epoch %d: %s did not improve for %d evaluations", h.Epochs[len(h.Epochs)-1].Epoch, a.MetricForBestModel, since)
	}
	return ""
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
