// Package ex2 is the lab's second exercise: fine-tuning the encoder end to end (or with LoRA) for
// sentiment classification with the Trainer — DistilBERT in the seed lab, or a BERT checkpoint,
// each kept in its own architecture. Its steps — a tokenised dataset, a classifier from the encoder,
// the training arguments, the Trainer — are each a call a notebook cell makes; FineTune composes
// them for the CLI.
package ex2

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	. "github.com/gomlx/gomlx/core/graph"

	"github.com/go-translab/translab/lab/bert"
	"github.com/go-translab/translab/lab/collate"
	"github.com/go-translab/translab/lab/datasets"
	"github.com/go-translab/translab/lab/distilbert"
	"github.com/go-translab/translab/lab/ex1"
	"github.com/go-translab/translab/lab/features"
	"github.com/go-translab/translab/lab/peft"
	"github.com/go-translab/translab/lab/session"
	"github.com/go-translab/translab/lab/show"
	"github.com/go-translab/translab/lab/tokenize"
	"github.com/go-translab/translab/lab/train"
	"github.com/go-translab/translab/lab/weights"
)

// Model is a sequence classifier Exercise 2 trains, exports and runs: DistilBertForSequenceClassification
// (distilbert.Model) or BertForSequenceClassification (bert.Model) — the architecture HF's
// AutoModelForSequenceClassification builds for the checkpoint (see NewForSequenceClassification).
type Model interface {
	features.Encoder
	// Logits builds the classifier's forward pass [batch, num_labels] over Weights(); dropout is
	// active only while the store trains.
	Logits(ids, mask *Node) *Node
	Params() weights.Table        // every parameter, the head included
	SetAdapter(a weights.Adapter) // nil removes it
	Labels() []string             // the head's label names, in id order
	// SavePretrained writes an HF directory (config, weights, the tokenizer's files from
	// tokenizerDir) that the model's transformers class loads.
	SavePretrained(dir, tokenizerDir string) error
}

// NewForSequenceClassification is AutoModelForSequenceClassification.from_pretrained(dir,
// id2label=…): the encoder in dir with a fresh classification head of len(labels) outputs,
// initialised as HF does, in the checkpoint's own architecture — DistilBertForSequenceClassification
// (pre_classifier, ReLU, dropout, classifier) or BertForSequenceClassification (the pretrained
// pooler, dropout, classifier).
func NewForSequenceClassification(dir string, labels []string, seed uint64) (Model, error) {
	kind, err := session.ModelType(dir)
	if err != nil {
		return nil, err
	}
	if kind == "bert" {
		m, err := bert.NewForSequenceClassification(dir, labels, seed)
		if err != nil {
			return nil, err
		}
		return m, nil
	}
	m, err := distilbert.NewForSequenceClassification(dir, labels, seed)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Tokenize is 2.1, the seed's dataset.map(preprocess): every row gains input_ids and
// attention_mask, cut by the tokenizer to maxLength tokens (special tokens included, [SEP] kept
// last). Padding waits for the collator, batch by batch.
func Tokenize(tok *tokenize.Tokenizer, rows []datasets.Row, maxLength int) ([]datasets.Row, error) {
	return datasets.Map(rows, func(r datasets.Row) (datasets.Row, error) {
		b, err := tok.EncodeBatch([]string{r.Text}, tokenize.Options{MaxLength: maxLength, Pad: tokenize.PadNone})
		if err != nil {
			return r, err
		}
		r.Fields[collate.InputIDs], r.Fields["attention_mask"] = b.IDs[0], b.Mask[0]
		return r, nil
	})
}

// Fields is 2.1's table: the fields of a row before and after tokenising, with their values.
func Fields(before, after datasets.Row) *show.Table {
	t := &show.Table{Title: "Exercise 2.1 — a row before and after tokenisation", Header: []string{"", "fields", "values"}}
	t.Add("before", strings.Join(fieldNames(before), ", "), fmt.Sprintf("text=%q label=%d", before.Text, before.Label))
	ids, _ := after.Fields[collate.InputIDs].([]int)
	mask, _ := after.Fields["attention_mask"].([]int)
	t.Add("after", strings.Join(fieldNames(after), ", "), fmt.Sprintf("input_ids=%v attention_mask=%v", ids, mask))
	return t
}

func fieldNames(r datasets.Row) []string {
	names := []string{"text", "label"}
	var extra []string
	for k := range r.Fields {
		extra = append(extra, k)
	}
	sort.Strings(extra)
	return append(names, extra...)
}

// TrainModel is what the Trainer trains for a sequence classifier: its store, its logits on the
// collator's input_ids and attention_mask, and its parameter table (with LoRA's matrices when it
// has them) for AdamW's weight-decay groups.
func TrainModel(m Model) train.Model {
	params := m.Params()
	w := m.Weights()
	if lora, ok := w.Adapter.(*peft.LoRA); ok {
		params = params.With(lora.Params()...)
	}
	return train.Model{Store: w.Store, Params: params, Forward: func(in []*Node) *Node { return m.Logits(in[0], in[1]) }}
}

// SeedArgs are the seed lab's TrainingArguments: learning rate 5e-5, batch 16, 3 epochs, weight
// decay 0.01, an evaluation and a checkpoint each epoch, the best epoch by balanced accuracy
// loaded at the end. The demo's tiny model needs a larger step (1e-3) and takes batches
// of 32.
func SeedArgs(outputDir string, demo bool) train.Args {
	a := train.Args{OutputDir: outputDir, LearningRate: 5e-5, PerDeviceTrainBatchSize: 16, PerDeviceEvalBatchSize: 16,
		NumTrainEpochs: 3, WeightDecay: 0.01, Seed: 42, EvalStrategy: "epoch", SaveStrategy: "epoch",
		LoadBestModelAtEnd: true, MetricForBestModel: "balanced_accuracy"}
	if demo {
		a.LearningRate, a.PerDeviceTrainBatchSize, a.PerDeviceEvalBatchSize = 1e-3, 32, 32
	}
	return a
}

// DefaultLoRA is HF peft's usual LoRA for sequence classification: rank 8, alpha 16, dropout 0.1,
// no target_modules — so, as in peft, the attention's query and value projections of the model's
// type (LoRATargets: q_lin and v_lin in DistilBERT, query and value in BERT) — and the new head
// trained whole and saved with the adapter, as peft's task_type SEQ_CLS does ("classifier" also
// takes DistilBERT's pre_classifier).
func DefaultLoRA() *peft.LoRAConfig {
	return &peft.LoRAConfig{Rank: 8, Alpha: 16, Dropout: 0.1, ModulesToSave: []string{"classifier", "score"}}
}

// LoRATargets are peft's default target_modules for a model type ("distilbert", "bert"; peft's
// TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING): the attention's query and value projections.
func LoRATargets(modelType string) []string {
	if modelType == "bert" {
		return []string{"query", "value"}
	}
	return []string{"q_lin", "v_lin"}
}

// Options configure FineTune: the training arguments, early stopping, the head's seed and LoRA.
type Options struct {
	Args      train.Args
	Patience  int     // early stopping after this many evaluations without improvement; 0: off
	Threshold float64 // the improvement that counts for early stopping
	HeadSeed  uint64  // seed of the fresh head (and of LoRA's A matrices)
	// LoRA, when set, trains LoRA side paths and the layers it saves whole instead of every
	// weight: HF peft's LoraConfig.
	LoRA *peft.LoRAConfig
}

// FineTuned is what Exercise 2 produced.
type FineTuned struct {
	Method  string // "fine-tuned distilbert-base-uncased", or with LoRA its rank
	History *train.History
	Model   Model
	Classes []string
	// Test is the best model's predictions, in the baseline's shape: on the test split, and on the
	// validation split (what the export reproduces).
	Test      *ex1.Result
	Exported  string      // the HF directory of the best model (LoRA merged into its weights)
	Adapter   string      // with LoRA: the adapter in PEFT's format
	Trainable peft.Counts // the parameters trained
	Demo      bool
	// Args are the training arguments that ran: HF's defaults filled in, a batch larger than the
	// training set cut to it; WarmupSteps is the schedule's warm-up, from WarmupRatio when set.
	Args        train.Args
	WarmupSteps int
}

// Adapt puts LoRA on m (or nothing, with cfg nil) and freezes everything it does not train; the
// method's name and PEFT's trainable-parameter counts come back for the tables. A cfg without
// target_modules adapts peft's defaults for the model (LoRATargets), as peft does.
func Adapt(m Model, model string, cfg *peft.LoRAConfig, seed uint64) (*peft.LoRA, string, peft.Counts, error) {
	name := "fine-tuned " + model
	rule := func(string) bool { return true }
	var lora *peft.LoRA
	store := m.Weights().Store
	if cfg != nil && len(cfg.Targets) == 0 && cfg.Pattern == "" {
		withTargets := *cfg // target_modules=None: peft's defaults for the model type
		withTargets.Targets = LoRATargets(basePrefix(m))
		cfg = &withTargets
	}
	if cfg != nil {
		var err error
		if lora, err = peft.NewLoRA(store, m.Params().Linears(), *cfg, seed); err != nil {
			return nil, "", peft.Counts{}, err
		}
		m.SetAdapter(lora)
		rule = lora.Trainable
		name = fmt.Sprintf("%s + LoRA r=%d (%s) + head", model, cfg.Rank, strings.Join(lora.Config.Targets, ", "))
		if len(lora.Saved) == 0 {
			name = fmt.Sprintf("%s + LoRA r=%d (%s), head frozen", model, cfg.Rank, strings.Join(lora.Config.Targets, ", "))
		}
	}
	counts, err := peft.Freeze(store, rule)
	return lora, name, counts, err
}

// FineTune is Exercise 2.2 and 2.3 composed: the classifier from the session's encoder with a
// fresh head, trained with the Trainer on train, evaluated each epoch on validation, scored on
// test, the best epoch exported as an HF directory in Args.OutputDir/best (and with LoRA the
// adapter in Args.OutputDir/adapter).
func FineTune(ctx context.Context, s *session.Session, o Options) (*FineTuned, error) {
	ds, err := s.Dataset(ctx, "rotten_tomatoes")
	if err != nil {
		return nil, err
	}
	tok, err := s.Tokenizer()
	if err != nil {
		return nil, err
	}
	m, err := NewForSequenceClassification(s.ModelDir, ds.Classes, o.HeadSeed)
	if err != nil {
		return nil, err
	}
	s.Phase("tokenisation")
	tokenized := map[string][]datasets.Row{}
	for _, split := range ex1.Splits {
		rows, err := ds.Rows(split)
		if err != nil {
			return nil, err
		}
		if tokenized[split], err = Tokenize(tok, rows, m.MaxPositions()); err != nil {
			return nil, err
		}
	}
	lora, method, counts, err := Adapt(m, s.ModelID, o.LoRA, o.HeadSeed)
	if err != nil {
		return nil, err
	}
	s.Notef("ex2: %s: %s", method, counts)
	var callbacks []train.Callback
	if o.Patience > 0 {
		callbacks = append(callbacks, train.EarlyStopping{Patience: o.Patience, Threshold: o.Threshold})
	}
	trainer, err := train.New(train.Config{
		Backend: s.Backend, Model: TrainModel(m), Args: o.Args, Classes: ds.Classes, Name: method,
		TrainDataset: tokenized["train"], EvalDataset: tokenized["validation"],
		Collator: collate.WithPadding{Tokenizer: tok, PadToMultipleOf: 8}, Callbacks: callbacks, Progress: s.Out,
		Phase: s.Phase,
	})
	if err != nil {
		return nil, err
	}
	h, err := trainer.Train(ctx)
	if err != nil {
		return nil, err
	}
	ft := &FineTuned{Method: method, History: h, Model: m, Classes: ds.Classes, Trainable: counts, Demo: s.Demo, Args: trainer.Args, WarmupSteps: trainer.WarmupSteps()}
	// The best model's predictions (it was loaded at the end): test for the comparison with
	// Exercise 1, validation for what the export must reproduce.
	ft.Test = &ex1.Result{Model: method, Classes: ds.Classes, Demo: s.Demo, Trainable: counts.Trainable, Total: counts.Total}
	s.Phase("prediction")
	for _, split := range []string{"validation", "test"} {
		p, _, err := trainer.Predict(tokenized[split])
		if err != nil {
			return nil, err
		}
		if err := ft.Test.Add(split, p.Labels, p.Predictions()); err != nil {
			return nil, err
		}
	}
	s.Phase("export")
	if lora != nil {
		// The adapter alone (PEFT's files), then merged into the weights: the export is a plain
		// DistilBertForSequenceClassification or BertForSequenceClassification that any HF code loads.
		ft.Adapter = filepath.Join(o.Args.OutputDir, "adapter")
		if err := lora.Save(ft.Adapter, s.ModelID); err != nil {
			return nil, err
		}
		if err := lora.Merge(); err != nil {
			return nil, err
		}
		m.SetAdapter(nil)
	}
	ft.Exported = filepath.Join(o.Args.OutputDir, "best")
	if err := m.SavePretrained(ft.Exported, s.ModelDir); err != nil {
		return nil, err
	}
	return ft, nil
}

// Comparison is the table of Exercise 2's fine-tuned models against the Exercise 1 baseline on the
// test split, with the parameters each trained (when known). Each row names the model it ran.
func Comparison(baseline *ex1.Result, others ...*ex1.Result) (*show.Table, error) {
	t := &show.Table{Title: "Exercise 2 — fine-tuning against the Exercise 1 baseline (test split)",
		Header: []string{"model", "trained params", "accuracy", "balanced accuracy", "f1", "precision", "recall"}}
	for i, r := range append([]*ex1.Result{baseline}, others...) {
		name, trained := r.Model, "–"
		if i == 0 {
			name = r.Model + " [CLS] features + Linear SVM"
		}
		if r.Total > 0 {
			trained = fmt.Sprintf("%d (%.2f %%)", r.Trainable, 100*float64(r.Trainable)/float64(r.Total))
		}
		s, err := train.Scores(r.YTest, r.PredTest, len(baseline.Classes))
		if err != nil {
			return nil, err
		}
		t.Add(name, trained, s["accuracy"], s["balanced_accuracy"], s["f1"], s["precision"], s["recall"])
	}
	if baseline.Demo {
		t.Note = "demo: a tiny DistilBERT pretrained on synthetic sentences; the seed's numbers need the real model and data"
	}
	return t, nil
}

// Evaluate is a classifier's predictions on the test rows, in Exercise 1's shape, for Comparison.
func Evaluate(c *Classifier, name string, test []datasets.Row, demo bool) (*ex1.Result, error) {
	preds, err := c.Predict(datasets.Texts(test))
	if err != nil {
		return nil, err
	}
	pred := make([]int, len(preds))
	for i, p := range preds {
		pred[i] = p.Label
	}
	r := &ex1.Result{Model: name, Classes: c.Labels, Demo: demo}
	return r, r.Add("test", datasets.Labels(test), pred)
}

// Architecture is 2.2's view of a sequence classifier: its blocks, their parameter counts, and
// which come from the checkpoint and which are new (the head, randomly initialised). As HF's
// from_pretrained, it tells them apart by the base model's prefix ("distilbert.", "bert."): what
// lies outside it is the head.
func Architecture(m Model) *show.Table {
	labels := m.Labels()
	params := m.Params()
	base := basePrefix(m)
	t := &show.Table{Title: fmt.Sprintf("Exercise 2.2 — the %s encoder plus a classification head for %d labels (%s)", base, len(labels), strings.Join(labels, ", ")),
		Header: []string{"block", "parameters", "weights"}}
	var order []string
	count := map[string]int{}
	for _, p := range params {
		block := p.Name
		switch parts := strings.Split(p.Name, "."); {
		case parts[0] == base && len(parts) > 4 && parts[2] == "layer": // transformer.layer.N, encoder.layer.N
			block = strings.Join(parts[:4], ".")
		case parts[0] == base:
			block = strings.Join(parts[:2], ".")
		default:
			block = parts[0]
		}
		if _, ok := count[block]; !ok {
			order = append(order, block)
		}
		count[block] += p.Size()
	}
	total := 0
	for _, b := range order {
		origin := "from the checkpoint"
		if !strings.HasPrefix(b, base+".") {
			origin = "new: random, HF's initialisation"
		}
		t.Add(b, count[b], origin)
		total += count[b]
	}
	t.Add("total", total, "")
	return t
}

// basePrefix is HF's base_model_prefix of a sequence classifier ("distilbert", "bert"; for these
// two also the model_type): the scope of the encoder's parameters, the first of which are the word
// embeddings.
func basePrefix(m Model) string {
	base, _, _ := strings.Cut(m.Params()[0].Name, ".")
	return base
}

// ConfusionTitle names the fine-tuned model's test confusion matrix.
const ConfusionTitle = "Confusion matrix, test (rows: true, columns: predicted)"
