package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/go-translab/translab/lab/adapt"
	"github.com/go-translab/translab/lab/results"
	"github.com/go-translab/translab/lab/session"
	"github.com/go-translab/translab/lab/show"
	"github.com/go-translab/translab/lab/svm"
	"github.com/go-translab/translab/lab/zeroshot"
)

var adaptMethods = []string{"zero-shot", "linear-probe", "head", "layernorm", "bitfit", "lora", "prompt"}

type adaptOptions struct {
	*exerciseFlags
	dataset, methods, out            *string
	shots, eval, epochs, batch, rank *int
	lr                               *float64
	seed                             *uint64
}

func adaptFlags(stderr io.Writer) (*flag.FlagSet, *adaptOptions) {
	fs := newFlags("ex3 adapt", "[--dataset eurosat|imagenette|tinyimagenet|ID_OR_DIR] [--shots N] [--eval N] [--methods LIST] [--epochs N] [--demo] [--model ID_OR_DIR] [--out DIR] [--results FILE.json] [--verbose]", stderr)
	o := &adaptOptions{exerciseFlags: addExerciseFlags(fs, "CLIP", defaultCLIP, "a tiny CLIP pretrained on drawn shapes")}
	o.dataset = fs.String("dataset", "eurosat", datasetHelp("images to adapt to: eurosat, imagenette or tinyimagenet (the catalog's)"))
	o.shots = fs.Int("shots", 16, "labelled training images per class, drawn from the train split")
	o.eval = fs.Int("eval", 400, "held-out images every method is scored on (the first of the evaluation split)")
	o.methods = fs.String("methods", "auto", "comma-separated methods: "+strings.Join(adaptMethods, ", ")+`; "auto" is both baselines and every fine-tuning method practical here (on a CPU with the full model, those that keep the vision tower frozen)`)
	o.epochs = fs.Int("epochs", 10, "fine-tuning epochs")
	o.lr = fs.Float64("lr", 0, "learning rate (0: 1e-2 for the head alone, 1e-3 for the others)")
	o.batch = fs.Int("batch", 8, "fine-tuning batch size")
	o.rank = fs.Int("rank", 8, "LoRA rank (alpha is twice the rank)")
	o.seed = fs.Uint64("seed", 42, "seed of the few-shot draw and of training")
	o.out = fs.String("out", "", "folder for the checkpoints, the LoRA adapter and the learned prompt context, one subfolder per method (default: under the user cache directory)")
	return fs, o
}

func runEx3Adapt(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, o := adaptFlags(stderr)
	if err := parse(fs, args, append(o.rules(), atLeast("shots", 1, ""), atLeast("eval", 1, ""), atLeast("epochs", 1, ""), atLeast("lr", 0, "0: the method's default"),
		atLeast("batch", 1, ""), atLeast("rank", 1, ""), anyNumber("seed"), outDir("out"))...); err != nil {
		return err
	}
	dataset, methods, out, epochs, lr, batch, rank, seed := o.dataset, o.methods, o.out, o.epochs, o.lr, o.batch, o.rank, o.seed
	var todo []string
	if *methods != "auto" {
		todo = strings.Split(*methods, ",")
		for _, m := range todo {
			if !slices.Contains(adaptMethods, m) {
				return &badFlag{fmt.Sprintf("--methods: %q is not one of auto, %s", m, strings.Join(adaptMethods, ", "))}
			}
		}
	}
	name := catalogCase(*dataset)
	if err := checkDatasetRef("dataset", name, zeroshot.DatasetNames); err != nil {
		return err
	}
	so := session.CLIP(*o.demo)
	so.Dataset = name
	l, run, err := o.setup(ctx, "ex3 adapt", so, stderr)
	if err != nil {
		return err
	}
	show.Show(stdout, l.Banner("Exercise 3, part 2 — adapting CLIP"))
	d, err := l.Dataset(ctx, name)
	if err != nil {
		return err
	}
	l.Phase("shots and features")
	s, err := adapt.Prepare(ctx, l, d, adapt.Options{Shots: *o.shots, EvalLimit: *o.eval, Seed: *seed})
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
	// The learning rates (with the methods that ran at each) and the folders of the fine-tuning methods.
	lrs, dirs := map[string][]string{}, []string{}
	for _, m := range todo {
		l.Phase(m)
		var r adapt.Result
		switch m {
		case "zero-shot":
			r, err = s.EvaluateZeroShot()
		case "linear-probe":
			r, err = s.LinearProbe(&svm.LinearSVC{})
		default:
			dir := ""
			if *out != "" {
				dir = *out + "/" + m
			}
			to := s.Effective(adapt.TrainOptions{Method: adapt.Method(m), Epochs: *epochs, LearningRate: *lr, BatchSize: *batch, Rank: *rank, Seed: *seed, OutputDir: dir})
			lrText := strconv.FormatFloat(to.LearningRate, 'g', -1, 64)
			lrs[lrText] = append(lrs[lrText], m)
			dirs = append(dirs, to.OutputDir)
			r, err = s.FineTune(ctx, to)
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
		if err := recordScores(run, m+"/", map[string]float64{"accuracy": r.Accuracy, "balanced_accuracy": r.BalancedAccuracy}); err != nil {
			return err
		}
	}
	l.Phase("report")
	show.Show(stdout, s.Table())
	recordAdaptOptions(run, lrs, dirs)
	seedRan := s.Effective(adapt.TrainOptions{Seed: *seed}).Seed
	run.Seed("shots and training", seedRan)
	if s.HeldOut > 0 {
		run.Seed("held-out split", seedRan)
	}
	return o.save(run, "ex3 adapt", stderr)
}

// recordAdaptOptions puts in the manifest the learning rates and folders the fine-tuning methods
// ran with, where --lr 0 and an empty --out stand for each method's own: "0.01 (head), 0.001
// (lora, prompt)" when methods differ. Without a fine-tuning method, neither was used.
func recordAdaptOptions(run *results.Run, methodsAt map[string][]string, dirs []string) {
	if len(dirs) == 0 {
		run.Option("lr", "unused")
		run.Option("out", "unused")
		return
	}
	run.Option("out", strings.Join(dirs, ", "))
	var lrs []string
	for lr := range methodsAt {
		lrs = append(lrs, lr)
	}
	slices.Sort(lrs)
	if len(lrs) == 1 {
		run.Option("lr", lrs[0])
		return
	}
	for i, lr := range lrs {
		lrs[i] = lr + " (" + strings.Join(methodsAt[lr], ", ") + ")"
	}
	run.Option("lr", strings.Join(lrs, ", "))
}
