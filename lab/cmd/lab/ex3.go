package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/go-translab/translab/lab/clip"
	"github.com/go-translab/translab/lab/show"
	"github.com/go-translab/translab/lab/zeroshot"
)

func runEx3(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ex3", "zero-shot [--dataset imagenette|tinyimagenet|eurosat|all] [--templates default|ensemble] [--limit N] [--demo] [--model ID_OR_DIR]", stderr)
	dataset := fs.String("dataset", "all", "dataset to classify: imagenette, tinyimagenet, eurosat or all")
	templates := fs.String("templates", "default", "prompts: default (the dataset's, e.g. \"a photo of a {}.\") or ensemble (OpenAI's 7 ImageNet prompts averaged)")
	limit := fs.Int("limit", 0, "classify at most N images per dataset (0: all)")
	demo := fs.Bool("demo", false, "run a random tiny CLIP on drawn shapes (also the fallback when the hub is unreachable and nothing is cached)")
	modelID := fs.String("model", zeroshot.DefaultModel, "CLIP: hub id or HF directory")
	batch := fs.Int("batch", 32, "images per forward pass")
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		fs.Usage()
		return flag.ErrHelp
	}
	if len(args) > 0 && args[0] == "adapt" {
		return runEx3Adapt(ctx, args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "zero-shot" {
		fmt.Fprintln(stderr, "lab ex3: name a part: zero-shot or adapt")
		fs.Usage()
		return errUsage
	}
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	var tmpl []string
	switch *templates {
	case "default":
	case "ensemble":
		tmpl = clip.EnsembleTemplates
	default:
		return fmt.Errorf("--templates %q: want default or ensemble", *templates)
	}
	// Names are checked before anything is loaded, so a typo fails at once.
	names := []string{*dataset}
	if *dataset == "all" {
		names = zeroshot.DatasetNames
	}
	var todo []zeroshot.Dataset
	for _, n := range names {
		d, err := zeroshot.LookupDataset(strings.ToLower(n))
		if err != nil {
			return err
		}
		todo = append(todo, d)
	}
	l, err := zeroshot.Setup(ctx, zeroshot.Options{Demo: *demo, Model: *modelID, BatchSize: *batch, Progress: stderr})
	if err != nil {
		return err
	}
	show.Show(stdout, l.Banner())
	if l.Demo {
		d, err := zeroshot.DemoDataset()
		if err != nil {
			return err
		}
		todo = []zeroshot.Dataset{d}
	}
	summary := &show.Table{Title: "Zero-shot accuracy", Header: []string{"dataset", "classes", "images", "top-1 %", "top-5 %", "seed lab %"}}
	for _, d := range todo {
		ev, err := l.Evaluate(ctx, d, tmpl, *limit)
		if err != nil {
			return err
		}
		show.Show(stdout, ev.PerClass())
		if cm, err := ev.Confusion(); err == nil {
			show.Show(stdout, cm)
		}
		show.Show(stdout, ev.MostConfused(5))
		s := ev.Summary()
		summary.Rows = append(summary.Rows, s.Rows...)
		summary.Note = s.Note
	}
	show.Show(stdout, summary)
	return nil
}
