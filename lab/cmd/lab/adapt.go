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

var adaptMethods = []string{"zero-shot", "linear-probe", "head", "layernorm", "bitfit", "lora", "full", "prompt"}

type adaptOptions struct {
	*exerciseFlags
	dataset, methods, towers, out    *string
	wise                             *string
	shots, eval, epochs, batch, rank *int
	lr                               *float64
	seed                             *uint64
}

func adaptFlags(stderr io.Writer) (*flag.FlagSet, *adaptOptions) {
	fs := newFlags("ex3 adapt", "[--dataset eurosat|imagenette|tinyimagenet|ID_OR_DIR] [--shots N] [--eval N] [--methods LIST] [--towers vision,text,both] [--wise ALPHAS] [--epochs N] [--demo] [--model ID_OR_DIR] [--out DIR] [--results FILE.json] [--verbose]", stderr)
	o := &adaptOptions{exerciseFlags: addExerciseFlags(fs, "CLIP", defaultCLIP, "a tiny CLIP pretrained on drawn shapes")}
	o.dataset = fs.String("dataset", "eurosat", datasetHelp("images to adapt to: eurosat, imagenette or tinyimagenet (the catalog's)"))
	o.shots = fs.Int("shots", 16, "labelled training images per class, drawn from the train split")
	o.eval = fs.Int("eval", 400, "held-out images every method is scored on (the first of the evaluation split)")
	o.methods = fs.String("methods", "auto", "comma-separated methods: "+strings.Join(adaptMethods, ", ")+`; "auto" is both baselines and every fine-tuning run practical here (on a CPU with the full model, those that never run the vision tower at a step)`)
	o.towers = fs.String("towers", "", "comma-separated towers layernorm, bitfit, lora and full adapt: vision, text, both (default: vision; with --methods auto, every practical one)")
	o.wise = fs.String("wise", "0,0.25,0.5,0.75,1", `WiSE-FT: the mixing coefficients α at which the full and LoRA fine-tunes are scored with (1−α)·zero-shot + α·fine-tuned weights; "none" skips it`)
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
	var towers []adapt.Tower
	if *o.towers != "" {
		for _, t := range strings.Split(*o.towers, ",") {
			if !slices.Contains(adapt.Towers, adapt.Tower(t)) {
				return &badFlag{fmt.Sprintf("--towers: %q is not one of vision, text, both", t)}
			}
			towers = append(towers, adapt.Tower(t))
		}
	}
	alphas, err := wiseAlphas(*o.wise)
	if err != nil {
		return err
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
	runs := adaptRuns(todo, towers)
	if todo == nil {
		practical, note := s.Practical()
		runs = []adapt.TrainOptions{{Method: "zero-shot"}, {Method: "linear-probe"}}
		for _, r := range practical {
			if !r.Method.Towered() || towers == nil || slices.Contains(towers, r.Tower) {
				runs = append(runs, r)
			}
		}
		if note != "" {
			fmt.Fprintln(stdout, note)
		}
	}
	// The learning rates (with the runs made at each) and the folders of the fine-tuning runs.
	lrs, dirs := map[string][]string{}, []string{}
	var wise []adapt.WiSECurve
	var wiseKeys []string
	for _, run1 := range runs {
		key := run1.Key() // lora, lora-text: a name for folders and metrics
		l.Phase(key)
		var r adapt.Result
		switch run1.Method {
		case "zero-shot":
			r, err = s.EvaluateZeroShot()
		case "linear-probe":
			r, err = s.LinearProbe(&svm.LinearSVC{})
		default:
			dir := ""
			if *out != "" {
				dir = *out + "/" + key
			}
			to := s.Effective(adapt.TrainOptions{Method: run1.Method, Tower: run1.Tower, Epochs: *epochs, LearningRate: *lr, BatchSize: *batch, Rank: *rank, Seed: *seed, OutputDir: dir})
			lrText := strconv.FormatFloat(to.LearningRate, 'g', -1, 64)
			lrs[lrText] = append(lrs[lrText], key)
			dirs = append(dirs, to.OutputDir)
			r, err = s.FineTune(ctx, to)
			if err == nil {
				show.Show(stdout, r.History.Table())
				switch run1.Method {
				case adapt.LoRA:
					fmt.Fprintf(stdout, "LoRA adapter (PEFT format): %s\n", r.Saved)
				case adapt.Prompt:
					fmt.Fprintf(stdout, "learned prompt context: %s\n", r.Saved)
				}
			}
			if err == nil && alphas != nil && (run1.Method == adapt.Full || run1.Method == adapt.LoRA) {
				var c adapt.WiSECurve
				c, err = s.WiSE(r, alphas)
				wise, wiseKeys = append(wise, c), append(wiseKeys, key)
			}
		}
		if err != nil {
			return err
		}
		if err := recordScores(run, key+"/", map[string]float64{"accuracy": r.Accuracy, "balanced_accuracy": r.BalancedAccuracy}); err != nil {
			return err
		}
	}
	l.Phase("report")
	show.Show(stdout, s.Table(), s.Comparison(), s.ComparisonMap())
	if len(wise) > 0 {
		show.Show(stdout, s.WiSETable(wise...), s.WiSEChart(wise...))
		for k, c := range wise {
			for i, a := range c.Alphas {
				if err := run.Metric(fmt.Sprintf("%s/wise/alpha=%g/accuracy", wiseKeys[k], a), c.Accuracy[i]); err != nil {
					return err
				}
			}
		}
	}
	run.Option("wise", *o.wise)
	ranTowers := []string{}
	for _, r := range runs {
		if r.Method.Towered() && !slices.Contains(ranTowers, string(r.Tower)) {
			ranTowers = append(ranTowers, string(r.Tower))
		}
	}
	if len(ranTowers) == 0 {
		run.Option("towers", "unused")
	} else {
		run.Option("towers", strings.Join(ranTowers, ","))
	}
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

// adaptRuns are the runs --methods and --towers name: each method that changes a tower's weights
// once per tower (vision alone when --towers is not given), the others once.
func adaptRuns(methods []string, towers []adapt.Tower) []adapt.TrainOptions {
	if towers == nil {
		towers = []adapt.Tower{adapt.Vision}
	}
	var runs []adapt.TrainOptions
	for _, m := range methods {
		if !adapt.Method(m).Towered() {
			runs = append(runs, adapt.TrainOptions{Method: adapt.Method(m)})
			continue
		}
		for _, t := range towers {
			runs = append(runs, adapt.TrainOptions{Method: adapt.Method(m), Tower: t})
		}
	}
	return runs
}

// wiseAlphas reads --wise: "none", or comma-separated coefficients between 0 and 1.
func wiseAlphas(v string) ([]float64, error) {
	if v == "none" {
		return nil, nil
	}
	var out []float64
	for _, f := range strings.Split(v, ",") {
		a, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || !(a >= 0 && a <= 1) {
			return nil, &badFlag{fmt.Sprintf("--wise: %q is not a coefficient between 0 and 1 (give a list such as 0,0.5,1, or none)", f)}
		}
		out = append(out, a)
	}
	return out, nil
}
