package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"

	"github.com/go-translab/translab/lab/ex1"
	"github.com/go-translab/translab/lab/ex2"
	"github.com/go-translab/translab/lab/session"
	"github.com/go-translab/translab/lab/show"
	"github.com/go-translab/translab/lab/svm"
	"github.com/go-translab/translab/lab/train"
)

func runEx2(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ex2", "[--demo] [--model ID_OR_DIR] [--dataset ID_OR_DIR] [--output-dir DIR] [--learning-rate 5e-5] [--batch-size 16] [--epochs 3] [--weight-decay 0.01] [--warmup-steps N | --warmup-ratio R] [--patience N] [--metric balanced_accuracy] [--seed 42] [--resume] [--lora [--lora-rank 8]] [--results FILE.json] [--verbose]", stderr)
	ef := addExerciseFlags(fs, "the encoder to fine-tune, a DistilBERT or BERT checkpoint, trained and exported in its own architecture", ex1.SeedModel, "on the embedded demo fixtures")
	dataset := fs.String("dataset", "rotten_tomatoes", datasetHelp("the sentences: rotten_tomatoes (the catalog's)"))
	out := fs.String("output-dir", "ex2-output", "checkpoints, and the best model exported in OUTPUT_DIR/best")
	lr := fs.Float64("learning-rate", 0, "AdamW learning rate (0: 5e-5; the demo's tiny model uses 1e-3)")
	batch := fs.Int("batch-size", 0, "training batch size (0: 16; the demo uses 32)")
	epochs := fs.Int("epochs", 3, "epochs")
	wd := fs.Float64("weight-decay", 0.01, "AdamW weight decay (not on biases and LayerNorm weights)")
	warmup := fs.Int("warmup-steps", 0, "linear warm-up steps")
	warmupRatio := fs.Float64("warmup-ratio", 0, "warm-up as a share of all steps (used when --warmup-steps is 0)")
	patience := fs.Int("patience", 0, "early stopping after this many epochs without improvement (0: off)")
	threshold := fs.Float64("threshold", 0, "the improvement that counts for early stopping")
	metric := fs.String("metric", "balanced_accuracy", "metric for the best model: loss, accuracy, balanced_accuracy, f1, precision or recall")
	seed := fs.Uint64("seed", 42, "seed of the shuffling, the dropout and the new head")
	resume := fs.Bool("resume", false, "continue from the last checkpoint in --output-dir")
	lora := fs.Bool("lora", false, "train LoRA side paths on the attention's query and value projections (q_lin, v_lin in DistilBERT; query, value in BERT) and the head instead of every weight (HF peft's default; learning rate ×10)")
	loraRank := fs.Int("lora-rank", 8, "with --lora: the rank r (alpha is 2r)")
	if err := parse(fs, args, append(ef.rules(), outDir("output-dir"), atLeast("learning-rate", 0, "0: the default"), atLeast("batch-size", 0, "0: the default"),
		atLeast("epochs", 1, ""), atLeast("weight-decay", 0, ""), atLeast("warmup-steps", 0, ""), between("warmup-ratio", 0, 1),
		atLeast("patience", 0, "0: no early stopping"), atLeast("threshold", 0, ""), atLeast("seed", 1, "the Trainer reads 0 as its default, 42"), atLeast("lora-rank", 1, ""),
		oneOf("metric", "loss", "accuracy", "balanced_accuracy", "f1", "precision", "recall"))...); err != nil {
		return err
	}
	if *resume {
		// Before the banner and the model: nothing to resume is a mistake on the command line.
		if _, err := train.LastCheckpoint(*out); err != nil {
			return &badFlag{fmt.Sprintf("--resume: %s holds no checkpoint to continue from; rerun without --resume to start afresh", *out)}
		}
	}
	*dataset = catalogCase(*dataset)
	if err := checkDatasetRef("dataset", *dataset, []string{"rotten_tomatoes"}); err != nil {
		return err
	}
	so := session.Sentiment(*ef.demo)
	so.Dataset = *dataset
	s, run, err := ef.setup(ctx, "ex2", so, stderr)
	if err != nil {
		return err
	}
	o := ex2.Options{Args: ex2.SeedArgs(*out, s.Demo), Patience: *patience, Threshold: *threshold, HeadSeed: *seed}
	if *lora {
		o.LoRA = ex2.DefaultLoRA()
		o.LoRA.Rank, o.LoRA.Alpha = *loraRank, 2*float64(*loraRank)
		o.Args.LearningRate *= 10 // a few small matrices need bigger steps than the whole model, as in peft's examples
	}
	if *lr > 0 {
		o.Args.LearningRate = *lr
	}
	if *batch > 0 {
		o.Args.PerDeviceTrainBatchSize = *batch
	}
	a := &o.Args
	a.NumTrainEpochs, a.WeightDecay, a.WarmupSteps, a.WarmupRatio, a.MetricForBestModel, a.Seed = *epochs, *wd, *warmup, *warmupRatio, *metric, *seed
	if *resume {
		a.ResumeFromCheckpoint = "last"
	}
	ds, err := s.Dataset(ctx, "rotten_tomatoes")
	if err != nil {
		return err
	}
	tok, err := s.Tokenizer()
	if err != nil {
		return err
	}
	trainRows, err := ds.Rows("train")
	if err != nil {
		return err
	}
	after, err := ex2.Tokenize(tok, trainRows[:1], 0)
	if err != nil {
		return err
	}
	show.Show(stdout, s.Banner("Exercise 2 — fine-tuning on "+ds.Title), ex2.Fields(trainRows[0], after[0]))
	if !s.Demo && s.Choice.CPU() {
		fmt.Fprintf(stderr, "lab ex2: fine-tuning %s on a CPU takes hours; a GPU (GOMLX_BACKEND=xla:cuda) or the XLA CPU plugin is advised\n", s.ModelID)
	}
	ft, err := ex2.FineTune(ctx, s, o)
	if err != nil {
		if _, none := train.LastCheckpoint(*out); ctx.Err() != nil && none == nil {
			return &interrupted{err: err, resume: "rerun with --resume to continue"}
		}
		return err
	}
	// The values that ran where a flag's 0 stood for a default (or a batch beyond the data was cut
	// to it), so that a manifest says what happened.
	run.Option("learning-rate", strconv.FormatFloat(ft.Args.LearningRate, 'g', -1, 64))
	run.Option("batch-size", strconv.Itoa(ft.Args.PerDeviceTrainBatchSize))
	run.Option("warmup-steps", strconv.Itoa(ft.WarmupSteps))
	if *patience == 0 {
		run.Option("patience", "off")
	}
	s.Phase("baseline model")
	m, err := s.Encoder()
	if err != nil {
		return err
	}
	baseline, err := ex1.Baseline(s, ds, m, tok, &svm.LinearSVC{}, 32) // its phases: features per split, svm
	if err != nil {
		return err
	}
	cmp, err := ex2.Comparison(baseline, ft.Test)
	if err != nil {
		return err
	}
	cm, err := ft.Test.Confusion()
	if err != nil {
		return err
	}
	s.Phase("report")
	show.Show(stdout, ft.History.Table(), ft.History.Curve(), cmp, cm.Table(ex2.ConfusionTitle))
	abs, _ := filepath.Abs(ft.Exported)
	fmt.Fprintf(stdout, "best model exported to %s (load it with lab embed --model %s, or transformers' from_pretrained)\n", abs, abs)
	if ft.Adapter != "" {
		fmt.Fprintf(stdout, "LoRA adapter (PEFT format) in %s; the export above has it merged into the weights\n", ft.Adapter)
	}
	run.Seed("training", *seed)
	for prefix, r := range map[string]*ex1.Result{"test/baseline/": baseline, "test/fine-tuned/": ft.Test} {
		scores, err := train.Scores(r.YTest, r.PredTest, len(baseline.Classes))
		if err != nil {
			return err
		}
		if err := recordScores(run, prefix, scores); err != nil {
			return err
		}
	}
	for _, e := range ft.History.Epochs {
		scores := map[string]float64{"train_loss": e.TrainLoss, "eval_loss": e.EvalLoss}
		for k, v := range e.Metrics {
			scores[k] = v
		}
		if err := recordScores(run, fmt.Sprintf("validation/epoch %d/", e.Epoch), scores); err != nil {
			return err
		}
	}
	return ef.save(run, "ex2", stderr)
}
