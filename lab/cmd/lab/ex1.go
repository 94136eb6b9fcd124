package main

import (
	"context"
	"fmt"
	"io"

	"github.com/go-translab/translab/lab/ex1"
	"github.com/go-translab/translab/lab/metrics"
	"github.com/go-translab/translab/lab/results"
	"github.com/go-translab/translab/lab/session"
	"github.com/go-translab/translab/lab/show"
	"github.com/go-translab/translab/lab/svm"
)

func runEx1(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ex1", "[--demo] [--model ID_OR_DIR] [--dataset ID_OR_DIR] [--samples 5] [--seed 42] [--inspect 0] [--batch 32] [--C 1] [--results FILE.json] [--verbose]", stderr)
	ef := addExerciseFlags(fs, "the encoder, a DistilBERT or BERT checkpoint", ex1.SeedModel, "on the embedded demo fixtures")
	dataset := fs.String("dataset", "rotten_tomatoes", datasetHelp("the sentences: rotten_tomatoes (the catalog's)"))
	samples := fs.Int("samples", 5, "random training samples to show (1.1)")
	seed := fs.Uint64("seed", 42, "seed of the random samples")
	inspect := fs.Int("inspect", 0, "training sentence whose tokens and model output to show (1.2)")
	batch := fs.Int("batch", 32, "sentences per forward pass when extracting features (1.3)")
	c := fs.Float64("C", 1, "the Linear SVM's regularisation: smaller is stronger (1.3)")
	if err := parse(fs, args, append(ef.rules(), atLeast("samples", 0, ""), anyNumber("seed"), atLeast("inspect", 0, ""), atLeast("batch", 1, ""), positive("C"))...); err != nil {
		return err
	}
	*dataset = catalogCase(*dataset)
	if err := checkDatasetRef("dataset", *dataset, []string{"rotten_tomatoes"}); err != nil {
		return err
	}
	o := session.Sentiment(*ef.demo)
	o.Dataset = *dataset
	s, run, err := ef.setup(ctx, "ex1", o, stderr)
	if err != nil {
		return err
	}
	// --inspect's upper bound is the training split's size, known once the dataset is open.
	ds, err := s.Dataset(ctx, "rotten_tomatoes")
	if err != nil {
		return err
	}
	if train, err := ds.Split("train"); err == nil && *inspect >= train.NumRows {
		return &badFlag{fmt.Sprintf("--inspect %d: want < %d, the sentences of %s's training split", *inspect, train.NumRows, ds.Title)}
	}
	res, err := ex1.Run(ctx, s, ex1.Options{Samples: *samples, Seed: *seed, Inspect: *inspect, BatchSize: *batch, SVC: svm.LinearSVC{C: *c}},
		func(items ...show.Renderable) { show.Show(stdout, items...) })
	if err != nil {
		return err
	}
	run.Seed("samples", *seed)
	if err := recordEx1(run, res); err != nil {
		return err
	}
	return ef.save(run, "ex1", stderr)
}

// recordEx1 puts 1.3's numbers in the manifest: accuracy on validation and test, and the test
// split's classification report.
func recordEx1(run *results.Run, res *ex1.Result) error {
	if err := run.Metric("validation/accuracy", res.AccVal); err != nil {
		return err
	}
	if err := run.Metric("test/accuracy", res.AccTest); err != nil {
		return err
	}
	report, err := res.Report()
	if err != nil {
		return err
	}
	for _, cl := range report.Classes {
		for name, v := range map[string]float64{"precision": cl.Precision, "recall": cl.Recall, "f1": cl.F1} {
			if err := run.Metric(fmt.Sprintf("test/%s/%s", cl.Name, name), v); err != nil {
				return err
			}
		}
	}
	for avg, sc := range map[string]metrics.Scores{"macro avg": report.Macro, "weighted avg": report.Weighted} {
		for name, v := range map[string]float64{"precision": sc.Precision, "recall": sc.Recall, "f1": sc.F1} {
			if err := run.Metric(fmt.Sprintf("test/%s/%s", avg, name), v); err != nil {
				return err
			}
		}
	}
	return nil
}
