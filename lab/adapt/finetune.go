package adapt

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/gomlx/gomlx/core/graph"

	"github.com/go-translab/translab/lab/clip"
	"github.com/go-translab/translab/lab/collate"
	"github.com/go-translab/translab/lab/datasets"
	"github.com/go-translab/translab/lab/features"
	"github.com/go-translab/translab/lab/peft"
	"github.com/go-translab/translab/lab/train"
)

// Method is a way to fine-tune CLIP on the few-shot set.
type Method string

const (
	// Head trains only a linear head on the image embeddings, initialised from zero-shot.
	Head Method = "head"
	// BitFit trains the head and every bias of the vision tower.
	BitFit Method = "bitfit"
	// LayerNorm trains the head and the vision tower's LayerNorm scales and shifts.
	LayerNorm Method = "layernorm"
	// LoRA trains the head and rank-r side paths on the vision tower's q and v projections.
	LoRA Method = "lora"
	// Prompt learns the context words of the prompts (CoOp); both towers stay frozen.
	Prompt Method = "prompt"
)

// Methods are the fine-tuning methods.
var Methods = []Method{Head, LayerNorm, BitFit, LoRA, Prompt}

// FrozenTower says whether a method leaves the vision tower as it is, so that it trains on image
// embeddings computed once rather than running the tower at every step.
func (m Method) FrozenTower() bool { return m == Head || m == Prompt }

// Practical are the methods worth running here: all of them on the demo or a GPU; on a CPU with a
// full-size CLIP, only those that keep the vision tower frozen (training through ViT-B/16 takes
// hours there), with a note saying what was left out and why.
func (s *Set) Practical() (methods []Method, note string) {
	if s.Session.Demo || s.Session.Choice.GPU() {
		return Methods, ""
	}
	var skipped []string
	for _, m := range Methods {
		// Prompt learning runs the text tower on every class's prompt at each step (1.4 s for 10
		// classes on a 2-core CPU): fine for EuroSAT, hours for Tiny ImageNet's 200.
		if m.FrozenTower() && (m != Prompt || len(s.Classes) <= maxCPUPromptClasses) {
			methods = append(methods, m)
		} else {
			skipped = append(skipped, string(m))
		}
	}
	return methods, fmt.Sprintf("Not run here: %s — they run a tower forward and backward at every step (the vision tower, or the text tower on all %d class prompts), which takes hours on a CPU. Use a GPU (kernel \"Go · lab (CUDA)\") or call FineTune for them yourself.", strings.Join(skipped, ", "), len(s.Classes))
}

// maxCPUPromptClasses bounds the classes for which Practical runs prompt learning on a CPU.
const maxCPUPromptClasses = 20

// TrainOptions configure FineTune; zero values take the method's defaults.
type TrainOptions struct {
	Method       Method
	Epochs       int     // 0: 10
	BatchSize    int     // 0: 8
	LearningRate float64 // 0: 1e-2 for the head alone, 1e-3 for the others
	Rank         int     // LoRA rank; 0: 8
	Alpha        float64 // LoRA alpha; 0: twice the rank
	Dropout      float64 // LoRA dropout
	Seed         uint64  // 0: 42
	// OutputDir receives the Trainer's checkpoints and the trained adapter or head; "" is a
	// folder under the user's cache directory named after the dataset and method.
	OutputDir string
	// Quiet keeps the Trainer's progress bars and the trainable-parameter line to itself.
	Quiet bool
}

// FineTune trains a fresh copy of the model on the few-shot set with one PEFT method, keeps the
// epoch with the best held-out accuracy, and scores it. A trained LoRA adapter is saved in PEFT's
// format (OutputDir/adapter), so Python's PeftModel.from_pretrained can load it; learned prompt
// context goes to OutputDir/prompt_learner.safetensors.
func (s *Set) FineTune(ctx context.Context, o TrainOptions) (Result, error) {
	start := time.Now()
	o = s.Effective(o)
	m, err := clip.LoadDir(s.Model.Dir) // a fresh copy: each method starts from the same weights
	if err != nil {
		return Result{}, err
	}
	m.Compute = s.Model.Compute
	c := m.Config.Vision
	// Most methods train a head on the image tower's output, from pixels.
	logits := m.ClassifierLogits
	trainSet, evalSet := s.Train, s.Eval
	collator := collate.Collator(collate.Stack{Field: PixelValues, Dims: []int{c.NumChannels, c.ImageSize, c.ImageSize}})
	onEmbeddings := func() error {
		if err := s.frozenFeatures(); err != nil {
			return err
		}
		trainSet, evalSet = withEmbeddings(s.Train, s.trainEmb), withEmbeddings(s.Eval, s.evalEmb)
		collator = collate.Stack{Field: ImageEmbeds, Dims: []int{m.Config.ProjectionDim}}
		return nil
	}
	if o.Method != Prompt {
		if err := m.AddClassifier(s.ZeroShot.ClassEmbeds.Data, len(s.Classes)); err != nil {
			return Result{}, err
		}
	}
	head := peft.Under(clip.ClassifierHead)
	var rule func(string) bool
	var lora *peft.LoRA
	var learner *peft.PromptLearner
	name := string(o.Method)
	switch o.Method {
	case Head:
		// The tower is frozen: train on its embeddings, computed once (as for prompt learning).
		if err := onEmbeddings(); err != nil {
			return Result{}, err
		}
		rule, name = head, "zero-shot-initialised head"
		logits = m.HeadLogits
	case LayerNorm:
		rule = peft.Any(head, peft.All(peft.Under("vision_model"), peft.LayerNorms(m.Config.Params())))
		name = "LayerNorm tuning (vision) + head"
	case BitFit:
		rule = peft.Any(head, peft.All(peft.Under("vision_model"), peft.Biases(m.Config.Params())))
		name = "BitFit (vision biases) + head"
	case LoRA:
		cfg := peft.LoRAConfig{Rank: o.Rank, Alpha: o.Alpha, Dropout: o.Dropout, Pattern: `vision_model\..*\.(q_proj|v_proj)`}
		if lora, err = peft.NewLoRA(m.Store, m.Config.Params().Linears(), cfg, o.Seed); err != nil {
			return Result{}, err
		}
		m.Adapter = lora
		rule = peft.Any(head, lora.Trainable)
		name = fmt.Sprintf("LoRA r=%d (vision q,v) + head", o.Rank)
	case Prompt:
		// The image tower is frozen and untouched: train on its embeddings, computed once.
		if err := onEmbeddings(); err != nil {
			return Result{}, err
		}
		if learner, err = peft.NewPromptLearner(m, s.Tokenizer, s.Classes, s.Templates[0]); err != nil {
			return Result{}, err
		}
		rule = peft.Under(peft.ContextName)
		name = fmt.Sprintf("prompt learning (CoOp, %d vectors)", learner.Context)
		logits = learner.Logits
	default:
		return Result{}, fmt.Errorf("adapt: unknown method %q (want one of %v)", o.Method, Methods)
	}
	counts, err := peft.Freeze(m.Store, rule)
	if err != nil {
		return Result{}, err
	}
	out := s.Session.Out
	if o.Quiet {
		out = nil
	} else {
		s.Session.Notef("adapt: %s: %s", name, counts)
	}
	args := train.Args{
		OutputDir: o.OutputDir, LearningRate: o.LearningRate, PerDeviceTrainBatchSize: o.BatchSize, PerDeviceEvalBatchSize: 32,
		NumTrainEpochs: o.Epochs, Seed: o.Seed, MetricForBestModel: "accuracy", LoadBestModelAtEnd: true,
	}
	t, err := train.New(train.Config{
		Backend: s.Session.Backend, Args: args, Classes: s.Classes, Name: name, Progress: out,
		Model:        train.Model{Store: m.Store, Forward: func(in []*Node) *Node { return logits(in[0]) }},
		TrainDataset: trainSet, EvalDataset: evalSet, Collator: collator,
	})
	if err != nil {
		return Result{}, err
	}
	hist, err := t.Train(ctx)
	if err != nil {
		return Result{}, err
	}
	_, scores, err := t.Evaluate()
	if err != nil {
		return Result{}, err
	}
	r := Result{Method: name, Trainable: counts.Trainable, Total: counts.Total, History: hist, Model: m}
	switch {
	case lora != nil:
		r.Saved = filepath.Join(o.OutputDir, "adapter")
		err = lora.Save(r.Saved, s.Session.ModelID)
	case learner != nil:
		r.Saved = filepath.Join(o.OutputDir, "prompt_learner.safetensors")
		err = learner.Save(r.Saved)
	}
	if err != nil {
		return Result{}, err
	}
	r.Accuracy, r.BalancedAccuracy, r.Seconds = scores["accuracy"], scores["balanced_accuracy"], time.Since(start).Seconds()
	s.Results = append(s.Results, r)
	return r, nil
}

// withEmbeddings is a set's rows with their frozen image embeddings in place of the pixels.
func withEmbeddings(rows []datasets.Row, emb *features.Matrix) []datasets.Row {
	out := make([]datasets.Row, len(rows))
	for i, r := range rows {
		out[i] = datasets.Row{Index: r.Index, Label: r.Label, Fields: map[string]any{ImageEmbeds: emb.Row(i)}}
	}
	return out
}

// Effective are the options FineTune runs with: o with its zero values replaced by the method's
// defaults, the output folder included, so that a manifest can record what ran.
func (s *Set) Effective(o TrainOptions) TrainOptions {
	if o.Epochs <= 0 {
		o.Epochs = 10
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 8
	}
	if o.Rank <= 0 {
		o.Rank = 8
	}
	if o.Seed == 0 {
		o.Seed = 42
	}
	if o.Alpha <= 0 {
		o.Alpha = 2 * float64(o.Rank)
	}
	if o.LearningRate <= 0 {
		o.LearningRate = 1e-3
		if o.Method == Head {
			o.LearningRate = 1e-2
		}
	}
	if o.OutputDir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		o.OutputDir = filepath.Join(base, "translab", "adapt", strings.ReplaceAll(s.Dataset.Name, " ", "-")+"-"+string(o.Method))
	}
	return o
}
