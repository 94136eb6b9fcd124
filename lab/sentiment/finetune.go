package sentiment

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-translab/translab/lab/atomicfile"
	"github.com/go-translab/translab/lab/datasets"
	"github.com/go-translab/translab/lab/distilbert"
	"github.com/go-translab/translab/lab/metrics"
	"github.com/go-translab/translab/lab/peft"
	"github.com/go-translab/translab/lab/show"
	"github.com/go-translab/translab/lab/train"
)

// Tokenized is Exercise 2.1: the dataset with input_ids and attention_mask added to every row by
// datasets.Map, and a table of the fields before and after, as the seed lab prints them.
func (l *Lab) Tokenized() (map[string][]datasets.Row, *show.Table, error) {
	out := map[string][]datasets.Row{}
	for _, split := range Splits {
		rows, err := datasets.Map(l.Rows[split], func(r datasets.Row) (datasets.Row, error) {
			ids := l.Tokenizer.Encode(r.Text)
			if limit := l.Model.Config.MaxPositionEmbeddings; len(ids) > limit {
				ids = append(ids[:limit-1], ids[len(ids)-1]) // truncate, keeping [SEP] last
			}
			mask := make([]int, len(ids))
			for i := range mask {
				mask[i] = 1
			}
			if r.Fields == nil {
				r.Fields = map[string]any{}
			}
			r.Fields["input_ids"], r.Fields["attention_mask"] = ids, mask
			return r, nil
		})
		if err != nil {
			return nil, nil, err
		}
		out[split] = rows
	}
	t := &show.Table{Title: "Exercise 2.1 — the dataset before and after tokenisation", Header: []string{"", "fields", "rows (train/validation/test)"}}
	n := fmt.Sprintf("%d/%d/%d", len(out["train"]), len(out["validation"]), len(out["test"]))
	t.Add("before", "text, label", n)
	t.Add("after", "text, label, input_ids, attention_mask", n)
	return out, t, nil
}

// FineTuneOptions are Exercise 2.3's TrainingArguments.
type FineTuneOptions struct {
	train.Args
	HeadSeed uint64 // seed of the fresh classification head (and of LoRA's A matrices)
	// LoRA, when set, trains LoRA side paths and the layers it saves whole (the head, in
	// DefaultLoRA) instead of every weight: HF peft's LoraConfig.
	LoRA *peft.LoRAConfig
}

// DefaultLoRA is HF peft's usual LoRA for DistilBERT sequence classification: rank 8, alpha 16,
// dropout 0.1 on q_lin and v_lin, and the new head (pre_classifier and classifier) trained whole
// and saved with the adapter, as peft's task_type SEQ_CLS does.
func DefaultLoRA() *peft.LoRAConfig {
	return &peft.LoRAConfig{Rank: 8, Alpha: 16, Dropout: 0.1, Targets: []string{"q_lin", "v_lin"}, ModulesToSave: []string{"classifier", "score"}}
}

// DefaultLoRAFineTune is DefaultFineTune with DefaultLoRA and a ten times larger learning rate
// (5e-4; the demo 5e-2): a few small matrices need bigger steps than the whole model, as in peft's
// own examples.
func (l *Lab) DefaultLoRAFineTune(outputDir string) FineTuneOptions {
	o := l.DefaultFineTune(outputDir)
	o.LoRA, o.LearningRate = DefaultLoRA(), 10*o.LearningRate
	return o
}

// DefaultFineTune is the seed lab's setting: lr 5e-5 (the demo's tiny random model needs 5e-3),
// batch 16, 3 epochs, weight decay 0.01, the best epoch by balanced accuracy kept.
func (l *Lab) DefaultFineTune(outputDir string) FineTuneOptions {
	o := FineTuneOptions{Args: train.Args{OutputDir: outputDir, LearningRate: 5e-5, BatchSize: 16, Epochs: 3,
		WeightDecay: 0.01, Seed: 42, MetricForBest: "balanced_accuracy", LoadBestAtEnd: true, Progress: l.out}, HeadSeed: 42}
	if l.Demo {
		o.LearningRate, o.BatchSize = 5e-3, 32
	}
	return o
}

// FineTuned is what Exercise 2 produced.
type FineTuned struct {
	Method    string // "fine-tuned DistilBERT", or with LoRA its rank
	History   *train.History
	Model     *distilbert.Model
	Labels    []string
	Test      *Result     // the fine-tuned model's test predictions, in the baseline's shape
	Exported  string      // the HF directory of the best model (LoRA merged into its weights)
	Adapter   string      // with LoRA: the adapter in PEFT's format
	Trainable peft.Counts // the parameters trained
	Demo      bool
}

// FineTune is Exercise 2.2 and 2.3: DistilBertForSequenceClassification from the encoder with a
// fresh head (HF's initialisation), trained with the Trainer on train, evaluated each epoch on
// validation, the best epoch exported as an HF directory in OutputDir/best.
func (l *Lab) FineTune(ctx context.Context, o FineTuneOptions) (*FineTuned, error) {
	rows, _, err := l.Tokenized()
	if err != nil {
		return nil, err
	}
	labels := l.Data.LabelNames
	cfg := *l.Model.Config
	cfg.ID2Label, cfg.Label2ID = map[string]string{}, map[string]int{}
	for i, name := range labels {
		cfg.ID2Label[fmt.Sprint(i)], cfg.Label2ID[name] = name, i
	}
	// A fresh copy of the encoder, so that the feature extractor of Exercise 1 stays as it was.
	m, err := distilbert.LoadDir(l.ModelDir, distilbert.NoHead)
	if err != nil {
		return nil, err
	}
	m.Config = &cfg
	m.InitHead(o.HeadSeed)
	ft := &FineTuned{Method: "fine-tuned DistilBERT", Model: m, Labels: labels, Demo: l.Demo}
	var lora *peft.LoRA
	rule := func(string) bool { return true }
	params := m.Params()
	if o.LoRA != nil {
		if lora, err = peft.NewLoRA(m.Store, params.Linears(), *o.LoRA, o.HeadSeed); err != nil {
			return nil, err
		}
		m.Adapter = lora
		params = params.With(lora.Params()...)
		rule = lora.Trainable
		ft.Method = fmt.Sprintf("DistilBERT + LoRA r=%d (%s) + head", o.LoRA.Rank, strings.Join(lora.Config.Targets, ", "))
		if len(lora.Saved) == 0 {
			ft.Method = fmt.Sprintf("DistilBERT + LoRA r=%d (%s), head frozen", o.LoRA.Rank, strings.Join(lora.Config.Targets, ", "))
		}
	}
	if ft.Trainable, err = peft.Freeze(m.Store, rule); err != nil {
		return nil, err
	}
	fmt.Fprintf(l.out, "ex2: %s: %s\n", ft.Method, ft.Trainable)
	examples := func(split string) []train.Example {
		out := make([]train.Example, len(rows[split]))
		for i, r := range rows[split] {
			out[i] = train.Example{IDs: r.Fields["input_ids"].([]int), Label: r.Label}
		}
		return out
	}
	tr, err := train.NewTrainer(l.Backend, train.Model{Store: m.Store, Logits: m.Logits, PadID: l.Tokenizer.PadID(), Params: params}, o.Args, examples("train"), examples("validation"), labels)
	if err != nil {
		return nil, err
	}
	h, err := tr.Run(ctx)
	if err != nil {
		return nil, err
	}
	ft.History = h
	// Test predictions of the best model (loaded at the end), for the comparison with Exercise 1.
	pred, err := l.predict(m, examples("test"))
	if err != nil {
		return nil, err
	}
	res := &Result{Labels: labels, Demo: l.Demo}
	for i, e := range examples("test") {
		res.YTest, res.PredTest = append(res.YTest, e.Label), append(res.PredTest, pred[i])
	}
	if res.AccTest, err = metrics.Accuracy(res.YTest, res.PredTest); err != nil {
		return nil, err
	}
	ft.Test = res
	if lora != nil {
		// The adapter alone (PEFT's files), then merged into the weights: the export is a plain
		// DistilBertForSequenceClassification that any HF code loads.
		ft.Adapter = filepath.Join(o.OutputDir, "adapter")
		if err := lora.Save(ft.Adapter, l.ModelID); err != nil {
			return nil, err
		}
		if err := lora.Merge(); err != nil {
			return nil, err
		}
		m.Adapter = nil
	}
	ft.Exported = filepath.Join(o.OutputDir, "best")
	if err := Export(m, l.ModelDir, ft.Exported); err != nil {
		return nil, err
	}
	return ft, nil
}

// predict is the argmax of the classifier's logits.
func (l *Lab) predict(m *distilbert.Model, examples []train.Example) ([]int, error) {
	var out []int
	for start := 0; start < len(examples); start += l.BatchSize {
		part := examples[start:min(start+l.BatchSize, len(examples))]
		logits, err := m.ClassifyIDs(l.Backend, idsOf(part), l.Tokenizer.PadID())
		if err != nil {
			return nil, err
		}
		k := m.Config.NumLabels()
		for i := range part {
			best := 0
			for c := 1; c < k; c++ {
				if logits[i*k+c] > logits[i*k+best] {
					best = c
				}
			}
			out = append(out, best)
		}
	}
	return out, nil
}

func idsOf(examples []train.Example) [][]int {
	out := make([][]int, len(examples))
	for i, e := range examples {
		out[i] = e.IDs
	}
	return out
}

// Export writes m as an HF directory that this project and transformers both load: config.json
// (with id2label), model.safetensors with DistilBertForSequenceClassification's names, and the
// tokenizer files found beside the original model. The directory is filled under a temporary name
// and renamed, so an existing export is replaced only by a complete one.
func Export(m *distilbert.Model, tokenizerDir, dir string) error {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, ".tmp-"+filepath.Base(dir)+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	cfg := *m.Config
	cfg.Architectures = []string{"DistilBertForSequenceClassification"}
	if err := cfg.Save(filepath.Join(tmp, "config.json")); err != nil {
		return err
	}
	if err := m.Save(filepath.Join(tmp, "model.safetensors"), false); err != nil {
		return err
	}
	for _, f := range []string{"tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"} {
		raw, err := os.ReadFile(filepath.Join(tokenizerDir, f))
		if err != nil {
			continue // the tokenizer may come in either form
		}
		if err := atomicfile.WriteFile(filepath.Join(tmp, f), raw); err != nil {
			return err
		}
	}
	old := dir + ".old"
	os.RemoveAll(old)
	if _, err := os.Stat(dir); err == nil {
		if err := os.Rename(dir, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.Rename(old, dir) // put the previous export back
		return err
	}
	return os.RemoveAll(old)
}

// Comparison is the table of Exercise 2's fine-tuned models against the Exercise 1 baseline on the
// test split, with the parameters each trained.
func Comparison(baseline *Result, fts ...*FineTuned) (*show.Table, error) {
	t := &show.Table{Title: "Exercise 2 — fine-tuning against the Exercise 1 baseline (test split)",
		Header: []string{"model", "trained params", "accuracy", "balanced accuracy", "f1", "precision", "recall"}}
	rows := []struct {
		name    string
		trained string
		r       *Result
	}{{"[CLS] features + Linear SVM", "–", baseline}}
	for _, ft := range fts {
		rows = append(rows, struct {
			name    string
			trained string
			r       *Result
		}{ft.Method, fmt.Sprintf("%d (%.2f %%)", ft.Trainable.Trainable, ft.Trainable.Percent()), ft.Test})
	}
	for _, row := range rows {
		s, err := train.Scores(row.r.YTest, row.r.PredTest, len(baseline.Labels))
		if err != nil {
			return nil, err
		}
		t.Add(row.name, row.trained, s["accuracy"], s["balanced_accuracy"], s["f1"], s["precision"], s["recall"])
	}
	if baseline.Demo {
		t.Note = "demo fixtures: these numbers mean nothing about real sentiment analysis"
	}
	return t, nil
}

// Confusion is the fine-tuned model's confusion matrix on the test split.
func (ft *FineTuned) Confusion() (*show.Table, error) {
	cm, labels, err := metrics.ConfusionMatrix(ft.Test.YTest, ft.Test.PredTest)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(labels))
	for i, l := range labels {
		names[i] = ft.Labels[l]
	}
	t := &show.Table{Title: "Confusion matrix, test (rows: true, columns: predicted)", Header: append([]string{""}, names...)}
	for i, row := range cm {
		cells := []any{names[i]}
		for _, v := range row {
			cells = append(cells, v)
		}
		t.Add(cells...)
	}
	return t, nil
}
