package adapt

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	. "github.com/gomlx/gomlx/core/graph"

	"github.com/go-translab/translab/lab/clip"
	"github.com/go-translab/translab/lab/collate"
	"github.com/go-translab/translab/lab/datasets"
	"github.com/go-translab/translab/lab/features"
	"github.com/go-translab/translab/lab/peft"
	"github.com/go-translab/translab/lab/tokenize"
	"github.com/go-translab/translab/lab/train"
	"github.com/go-translab/translab/lab/zeroshot"
)

// Method is a way to fine-tune CLIP on the few-shot set.
type Method string

const (
	// Head trains only a linear head on the image embeddings, initialised from zero-shot.
	Head Method = "head"
	// BitFit trains every bias of the tower(s) (and the head when only the vision tower trains).
	BitFit Method = "bitfit"
	// LayerNorm trains the tower(s)' LayerNorm scales and shifts.
	LayerNorm Method = "layernorm"
	// LoRA trains rank-r side paths on the tower(s)' attention q and v projections.
	LoRA Method = "lora"
	// Full trains every weight of the tower(s) and its projection: the end-to-end fine-tune
	// WiSE-FT starts from, and the cost PEFT is measured against.
	Full Method = "full"
	// Prompt learns the context words of the prompts (CoOp); both towers stay frozen.
	Prompt Method = "prompt"
)

// Methods are the fine-tuning methods.
var Methods = []Method{Head, LayerNorm, BitFit, LoRA, Full, Prompt}

// FrozenTower says whether a method leaves the vision tower as it is, so that it trains on image
// embeddings computed once rather than running the tower at every step.
func (m Method) FrozenTower() bool { return m == Head || m == Prompt }

// Towered says whether a method changes a tower's weights, so that it can be pointed at the
// vision tower, the text tower or both.
func (m Method) Towered() bool { return m == LayerNorm || m == BitFit || m == LoRA || m == Full }

// Tower is the encoder a weight-changing method adapts: the seed's "image encoder only, text
// encoder, or both".
type Tower string

const (
	// Vision adapts the image encoder; a zero-shot-initialised head on its embeddings trains too.
	Vision Tower = "vision"
	// Text adapts the text encoder: the classifier is the zero-shot classifier rebuilt at every
	// step from the class prompts run through the adapted tower, and the image embeddings are
	// computed once.
	Text Tower = "text"
	// Both adapts both encoders, with the classifier built from the adapted text tower.
	Both Tower = "both"
)

// Towers are the towers a weight-changing method can adapt.
var Towers = []Tower{Vision, Text, Both}

// TrainsText says whether the text tower changes, so that the classifier has to be rebuilt from
// the class prompts at every step.
func (t Tower) TrainsText() bool { return t == Text || t == Both }

// TrainsVision says whether the vision tower changes, so that every step runs it on the pixels.
func (t Tower) TrainsVision() bool { return t == Vision || t == Both }

// towerPrefixes are the HF name prefixes of a tower's weights, its projection included.
func (t Tower) rule(withProjection bool) func(string) bool {
	var rules []func(string) bool
	if t.TrainsVision() {
		rules = append(rules, peft.Under("vision_model"))
		if withProjection {
			rules = append(rules, peft.Under("visual_projection"))
		}
	}
	if t.TrainsText() {
		rules = append(rules, peft.Under("text_model"))
		if withProjection {
			rules = append(rules, peft.Under("text_projection"))
		}
	}
	return peft.Any(rules...)
}

// LoRATargets is PEFT's target_modules for a tower's attention q and v projections: a pattern
// for one tower, and the plain list for both (which PEFT matches in every layer of the model).
func LoRATargets(t Tower) (pattern string, targets []string) {
	switch t {
	case Text:
		return `text_model\..*\.(q_proj|v_proj)`, nil
	case Both:
		return "", []string{"q_proj", "v_proj"}
	}
	return `vision_model\..*\.(q_proj|v_proj)`, nil
}

// Practical are the fine-tuning runs worth making here: every method on every tower on the demo
// or a GPU; on a CPU with a full-size CLIP, those that never run the vision tower at a training
// step — the head, prompt learning and the text-tower strategies, which run the text tower on
// the class prompts once per step — with a note saying what was left out and why. Each run is a
// TrainOptions with its Method and Tower set, for FineTune.
func (s *Set) Practical() (runs []TrainOptions, note string) {
	all := func(keep func(TrainOptions) bool) (kept, skipped []TrainOptions) {
		for _, m := range Methods {
			towers := []Tower{""}
			if m.Towered() {
				towers = Towers
			}
			for _, t := range towers {
				o := TrainOptions{Method: m, Tower: t}
				if keep(o) {
					kept = append(kept, o)
				} else {
					skipped = append(skipped, o)
				}
			}
		}
		return kept, skipped
	}
	if s.Session.Demo || s.Session.Choice.GPU() {
		runs, _ = all(func(TrainOptions) bool { return true })
		return runs, ""
	}
	// A text-tower step runs ViT-B/16's text tower forward and backward on every class prompt:
	// 6–8 s for EuroSAT's 10 classes × 3 templates on a 2-core CPU, ~25 minutes for 10 epochs of
	// 16 shots (docs/benchmarks.md, "CLIP adaptation"); Tiny ImageNet's 200 classes would take
	// hours. The vision tower's runs take ~5 hours there.
	fewClasses := len(s.Classes)*max(len(s.Templates), 1) <= maxCPUPrompts
	runs, skipped := all(func(o TrainOptions) bool {
		switch {
		case o.Method == Head:
			return true
		case o.Method == Prompt:
			return len(s.Classes) <= maxCPUPrompts
		case o.Tower == Text:
			return fewClasses
		}
		return false
	})
	var names []string
	for _, o := range skipped {
		names = append(names, o.Label())
	}
	return runs, fmt.Sprintf("Not run here: %s — they run the vision tower forward and backward at every step, or the text tower on all %d class prompts, which takes hours on a CPU. Use a GPU (kernel \"Go · lab (CUDA)\") or call FineTune for them yourself.", strings.Join(names, ", "), len(s.Classes)*max(len(s.Templates), 1))
}

// maxCPUPrompts bounds the class prompts (classes × templates, or classes for prompt learning)
// for which Practical runs the methods that put them through the text tower at every step on a
// CPU: EuroSAT's 30 fit, at about half an hour a run.
const maxCPUPrompts = 30

// Key is a run's name for folders and metrics: "lora" on the vision tower (as before there were
// towers), "lora-text", "head".
func (o TrainOptions) Key() string {
	return strings.ReplaceAll(strings.TrimSuffix(o.Label(), "/"+string(Vision)), "/", "-")
}

// Label is a run's short name, "lora/text" or "head".
func (o TrainOptions) Label() string {
	if o.Method.Towered() {
		t := o.Tower
		if t == "" {
			t = Vision
		}
		return string(o.Method) + "/" + string(t)
	}
	return string(o.Method)
}

// TrainOptions configure FineTune; zero values take the method's defaults.
type TrainOptions struct {
	Method       Method
	Tower        Tower   // for LayerNorm, BitFit, LoRA and Full; "": Vision
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
	if o.Method.Towered() && !slices.Contains(Towers, o.Tower) {
		return Result{}, fmt.Errorf("adapt: unknown tower %q (want one of %v)", o.Tower, Towers)
	}
	if !o.Method.Towered() && o.Tower != "" && o.Tower != Vision {
		return Result{}, fmt.Errorf("adapt: %s changes no tower's weights, so tower %q means nothing for it (towers are for %s, %s, %s and %s)", o.Method, o.Tower, LayerNorm, BitFit, LoRA, Full)
	}
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
	if o.Method.Towered() && o.Tower.TrainsText() {
		// The classifier is the text tower's own: the class prompts run through it at every
		// step, in one batch, so what the tower learns moves the class embeddings.
		classes, err := s.classPrompts(m)
		if err != nil {
			return Result{}, err
		}
		if o.Tower == Text { // the vision tower is frozen: its embeddings are computed once
			if err := onEmbeddings(); err != nil {
				return Result{}, err
			}
			logits = func(img *Node) *Node { perImage, _ := m.Logits(img, classes(img.Graph())); return perImage }
		} else {
			logits = func(px *Node) *Node {
				perImage, _ := m.Logits(m.Vision(px).Embeds, classes(px.Graph()))
				return perImage
			}
		}
	} else if o.Method != Prompt {
		if err := m.AddClassifier(s.ZeroShot.ClassEmbeds.Data, len(s.Classes)); err != nil {
			return Result{}, err
		}
	}
	// The head trains with the vision tower alone; with the text tower the classifier is the
	// tower's output, and there is no head.
	head := peft.Under(clip.ClassifierHead)
	if o.Method.Towered() && o.Tower.TrainsText() {
		head = func(string) bool { return false }
	}
	withHead := ""
	if o.Tower == Vision {
		withHead = " + head"
	}
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
		rule = peft.Any(head, peft.All(o.Tower.rule(false), peft.LayerNorms(m.Config.Params())))
		name = fmt.Sprintf("LayerNorm tuning (%s)%s", o.Tower, withHead)
	case BitFit:
		rule = peft.Any(head, peft.All(o.Tower.rule(false), peft.Biases(m.Config.Params())))
		name = fmt.Sprintf("BitFit (%s biases)%s", o.Tower, withHead)
	case LoRA:
		pattern, targets := LoRATargets(o.Tower)
		cfg := peft.LoRAConfig{Rank: o.Rank, Alpha: o.Alpha, Dropout: o.Dropout, Pattern: pattern, Targets: targets}
		if lora, err = peft.NewLoRA(m.Store, m.Config.Params().Linears(), cfg, o.Seed); err != nil {
			return Result{}, err
		}
		m.Adapter = lora
		rule = peft.Any(head, lora.Trainable)
		name = fmt.Sprintf("LoRA r=%d (%s q,v)%s", o.Rank, o.Tower, withHead)
	case Full:
		rule = peft.Any(head, o.Tower.rule(true))
		name = fmt.Sprintf("full fine-tuning (%s)%s", o.Tower, withHead)
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
	zeroShot, err := trainedValues(m.Store)
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
	r := Result{Method: name, Options: o, Trainable: counts.Trainable, Total: counts.Total, History: hist, Model: m, wise: &wiseState{trainer: t, start: zeroShot}}
	r.Strategy, r.Technique = o.strategy()
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
	if o.Method.Towered() && o.Tower == "" {
		o.Tower = Vision
	}
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
		o.OutputDir = filepath.Join(base, "translab", "adapt", strings.ReplaceAll(s.Dataset.Name, " ", "-")+"-"+o.Key())
	}
	return o
}

// classPrompts tokenizes every class's prompts (classes × templates) once and returns what builds
// the classifier from them in a graph: the text tower on all of them in one batch, normalised and
// averaged over the templates per class — the zero-shot classifier's own recipe, so before any
// training the classifier is zero-shot's — [classes, projection_dim].
func (s *Set) classPrompts(m *clip.Model) (func(*Graph) *Node, error) {
	var prompts []string
	for _, c := range s.Classes {
		prompts = append(prompts, zeroshot.Prompts(s.Templates, c)...)
	}
	enc, err := s.Tokenizer.EncodeBatch(prompts, tokenize.Options{MaxLength: m.Config.Text.MaxPositionEmbeddings, Pad: tokenize.PadLongest})
	if err != nil {
		return nil, fmt.Errorf("adapt: class prompts: %w", err)
	}
	ids, _, err := enc.Tensors()
	if err != nil {
		return nil, fmt.Errorf("adapt: class prompts: %w", err)
	}
	k, t := len(s.Classes), len(s.Templates)
	return func(g *Graph) *Node {
		e := clip.Normalize(m.Text(ConstTensor(g, ids)).Embeds) // [classes·templates, dim]
		return ReduceMean(Reshape(e, k, t, m.Config.ProjectionDim), 1)
	}, nil
}

// strategy is where a run sits in the comparison: what it adapts, and how.
func (o TrainOptions) strategy() (strategy, technique string) {
	switch o.Method {
	case Head:
		return "head only", "zero-shot-initialised head"
	case Prompt:
		return "prompt learning", "CoOp"
	}
	return string(o.Tower), map[Method]string{LayerNorm: "LayerNorm", BitFit: "BitFit", LoRA: "LoRA", Full: "full"}[o.Method]
}
