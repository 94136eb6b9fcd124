package main

import (
	"context"
	"io"

	"github.com/go-translab/translab/lab/ex1"
	"github.com/go-translab/translab/lab/session"
	"github.com/go-translab/translab/lab/show"
	"github.com/go-translab/translab/lab/svm"
)

func runEx1(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ex1", "[--demo] [--model ID_OR_DIR] [--samples 5] [--seed 42] [--inspect 0] [--batch 32] [--C 1]", stderr)
	demo := fs.Bool("demo", false, "run on the embedded demo fixtures (also the fallback when the hub is unreachable and nothing is cached)")
	modelID := fs.String("model", ex1.SeedModel, "the encoder, a DistilBERT or BERT checkpoint: hub id or HF directory")
	samples := fs.Int("samples", 5, "random training samples to show (1.1)")
	seed := fs.Uint64("seed", 42, "seed of the random samples")
	inspect := fs.Int("inspect", 0, "training sentence whose tokens and model output to show (1.2)")
	batch := fs.Int("batch", 32, "sentences per forward pass when extracting features (1.3)")
	c := fs.Float64("C", 1, "the Linear SVM's regularisation: smaller is stronger (1.3)")
	if err := parse(fs, args); err != nil {
		return err
	}
	o := session.Sentiment(*demo)
	o.Model, o.Progress = *modelID, stderr
	s, err := session.Setup(ctx, o)
	if err != nil {
		return err
	}
	return ex1.Run(ctx, s, ex1.Options{Samples: *samples, Seed: *seed, Inspect: *inspect, BatchSize: *batch, SVC: svm.LinearSVC{C: *c}},
		func(items ...show.Renderable) { show.Show(stdout, items...) })
}
