package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/go-translab/translab/lab/adapt"
	"github.com/go-translab/translab/lab/session"
	"github.com/go-translab/translab/lab/show"
	"github.com/go-translab/translab/lab/svm"
	"github.com/go-translab/translab/lab/zeroshot"
)

var adaptMethods = []string{"zero-shot", "linear-probe", "head", "layernorm", "bitfit", "lora", "prompt"}

func runEx3Adapt(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ex3", "adapt [--dataset eurosat|imagenette|tinyimagenet] [--shots N] [--eval N] [--methods LIST] [--epochs N] [--demo] [--model ID_OR_DIR] [--out DIR]", stderr)
	dataset := fs.String("dataset", "eurosat", "dataset to adapt to: eurosat, imagenette or tinyimagenet")
	shots := fs.Int("shots", 16, "labelled training images per class, drawn from the train split")
	eval := fs.Int("eval", 400, "held-out images every method is scored on (the first of the evaluation split)")
	methods := fs.String("methods", "auto", "comma-separated methods: "+strings.Join(adaptMethods, ", ")+`; "auto" is both baselines and every fine-tuning method practical here (on a CPU with the full model, those that keep the vision tower frozen)`)
	epochs := fs.Int("epochs", 10, "fine-tuning epochs")
	lr := fs.Float64("lr", 0, "learning rate (0: 1e-2 for the head alone, 1e-3 for the others)")
	batch := fs.Int("batch", 8, "fine-tuning batch size")
	rank := fs.Int("rank", 8, "LoRA rank (alpha is twice the rank)")
	seed := fs.Uint64("seed", 42, "seed of the few-shot draw and of training")
	demo := fs.Bool("demo", false, "run a random tiny CLIP on drawn shapes (also the fallback when the hub is unreachable and nothing is cached)")
	modelID := fs.String("model", defaultCLIP, "CLIP: hub id or HF directory")
	out := fs.String("out", "", "folder for the checkpoints, the LoRA adapter and the learned prompt context, one subfolder per method (default: under the user cache directory)")
	if err := parse(fs, args); err != nil {
		return err
	}
	var todo []string
	if *methods != "auto" {
		todo = strings.Split(*methods, ",")
		for _, m := range todo {
			if !slices.Contains(adaptMethods, m) {
				return fmt.Errorf("--methods: %q is not one of auto, %s", m, strings.Join(adaptMethods, ", "))
			}
		}
	}
	name := strings.ToLower(*dataset)
	if !slices.Contains(zeroshot.DatasetNames, name) {
		return fmt.Errorf("--dataset %q: want one of %s", *dataset, strings.Join(zeroshot.DatasetNames, ", "))
	}
	o := session.CLIP(*demo)
	o.Model, o.Progress = *modelID, stderr
	l, err := session.Setup(ctx, o)
	if err != nil {
		return err
	}
	show.Show(stdout, l.Banner("Exercise 3, part 2 — adapting CLIP"))
	d, err := l.Dataset(ctx, name)
	if err != nil {
		return err
	}
	s, err := adapt.Prepare(ctx, l, d, adapt.Options{Shots: *shots, EvalLimit: *eval, Seed: *seed})
	if err != nil {
		return err
	}
	show.Show(stdout, s.Summary())
	if todo == nil {
		practical, note := s.Practical()
		todo = []string{"zero-shot", "linear-probe"}
		for _, m := range practical {
			todo = append(todo, string(m))
		}
		if note != "" {
			fmt.Fprintln(stdout, note)
		}
	}
	for _, m := range todo {
		switch m {
		case "zero-shot":
			_, err = s.EvaluateZeroShot()
		case "linear-probe":
			_, err = s.LinearProbe(&svm.LinearSVC{})
		default:
			dir := ""
			if *out != "" {
				dir = *out + "/" + m
			}
			var r adapt.Result
			r, err = s.FineTune(ctx, adapt.TrainOptions{Method: adapt.Method(m), Epochs: *epochs, LearningRate: *lr, BatchSize: *batch, Rank: *rank, Seed: *seed, OutputDir: dir})
			if err == nil {
				show.Show(stdout, r.History.Table())
				switch m {
				case "lora":
					fmt.Fprintf(stdout, "LoRA adapter (PEFT format): %s\n", r.Saved)
				case "prompt":
					fmt.Fprintf(stdout, "learned prompt context: %s\n", r.Saved)
				}
			}
		}
		if err != nil {
			return err
		}
	}
	show.Show(stdout, s.Table())
	return nil
}
