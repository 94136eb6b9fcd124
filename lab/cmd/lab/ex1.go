package main

import (
	"context"
	"io"

	"github.com/go-translab/translab/lab/sentiment"
	"github.com/go-translab/translab/lab/show"
)

func runEx1(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ex1", "[--demo] [--model ID_OR_DIR] [--samples 5] [--seed 42] [--inspect 0] [--batch 32]", stderr)
	demo := fs.Bool("demo", false, "run on the embedded demo fixtures (also the fallback when the hub is unreachable and nothing is cached)")
	modelID := fs.String("model", sentiment.DefaultModel, "DistilBERT or another BERT-family encoder: hub id or HF directory")
	samples := fs.Int("samples", 5, "random training samples to show (1.1)")
	seed := fs.Uint64("seed", 42, "seed of the random samples")
	inspect := fs.Int("inspect", 0, "training sentence whose tokens and model output to show (1.2)")
	batch := fs.Int("batch", 32, "sentences per forward pass when extracting features (1.3)")
	if err := parse(fs, args); err != nil {
		return err
	}
	l, err := sentiment.Setup(ctx, sentiment.Options{Demo: *demo, Model: *modelID, BatchSize: *batch, Progress: stderr})
	if err != nil {
		return err
	}
	show.Show(stdout, l.Banner(), l.Samples(*samples, *seed))
	inspected, err := l.Inspect(*inspect)
	if err != nil {
		return err
	}
	show.Show(stdout, inspected...)
	res, err := l.Baseline()
	if err != nil {
		return err
	}
	show.Show(stdout, res.Accuracy(), res.Report())
	return nil
}
