package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/go-translab/translab/data"
	"github.com/go-translab/translab/lab/features"
	"github.com/go-translab/translab/lab/session"
	"github.com/go-translab/translab/lab/show"
	"github.com/go-translab/translab/lab/zeroshot"
)

const defaultCLIP = "openai/clip-vit-base-patch16"

func runEx3(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ex3", "zero-shot [--dataset imagenette|tinyimagenet|eurosat|all] [--templates default|ensemble] [--limit N] [--demo] [--model ID_OR_DIR]", stderr)
	dataset := fs.String("dataset", "all", "dataset to classify: imagenette, tinyimagenet, eurosat or all")
	templates := fs.String("templates", "default", "prompts: default (the dataset's, e.g. \"a photo of a {}.\") or ensemble (OpenAI's 7 ImageNet prompts averaged)")
	limit := fs.Int("limit", 0, "classify at most N images per dataset (0: all)")
	demo := fs.Bool("demo", false, "run a random tiny CLIP on drawn shapes (also the fallback when the hub is unreachable and nothing is cached)")
	modelID := fs.String("model", defaultCLIP, "CLIP: hub id or HF directory")
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
		tmpl = zeroshot.EnsembleTemplates
	default:
		return fmt.Errorf("--templates %q: want default or ensemble", *templates)
	}
	// Names are checked before anything is loaded, so a typo fails at once.
	names := []string{strings.ToLower(*dataset)}
	if *dataset == "all" {
		names = zeroshot.DatasetNames
	}
	for _, n := range names {
		if _, err := data.Lookup(n); err != nil || !slices.Contains(zeroshot.DatasetNames, n) {
			return fmt.Errorf("--dataset %q: want one of %s or all", n, strings.Join(zeroshot.DatasetNames, ", "))
		}
	}
	o := session.CLIP(*demo)
	o.Model, o.Progress = *modelID, stderr
	s, err := session.Setup(ctx, o)
	if err != nil {
		return err
	}
	show.Show(stdout, s.Banner("Exercise 3 — CLIP zero-shot"))
	m, err := s.CLIP()
	if err != nil {
		return err
	}
	tok, err := s.Tokenizer()
	if err != nil {
		return err
	}
	proc, err := s.ImageProcessor()
	if err != nil {
		return err
	}
	summary := &show.Table{Title: "Zero-shot accuracy", Header: []string{"dataset", "classes", "images", "top-1 %", "top-5 %", "seed lab %"}}
	for _, n := range names {
		d, err := s.Dataset(ctx, n)
		if err != nil {
			return err
		}
		t := tmpl
		if t == nil {
			if t = d.Entry.Templates; t == nil {
				t = zeroshot.PhotoTemplate
			}
		}
		zs, err := zeroshot.NewClassifier(s.Backend, m, tok, d.Classes, t, features.Options{Cache: true, Progress: s.Out})
		if err != nil {
			return err
		}
		ev, err := zeroshot.Evaluate(ctx, zs, proc, d, zeroshot.Options{Limit: *limit, BatchSize: *batch, Cache: true, Progress: s.Out})
		if err != nil {
			return err
		}
		if s.ModelID != defaultCLIP {
			ev.Seed = 0 // the seed lab's accuracies are ViT-B/16's: not a reference for another model
		}
		cm, err := ev.Confusion()
		if err != nil {
			return err
		}
		show.Show(stdout, ev.PerClass())
		if len(ev.Classes) <= 20 { // beyond, a table of counts is unreadable; MostConfused says it
			show.Show(stdout, cm.Table(ev.ConfusionTitle()))
		}
		show.Show(stdout, ev.MostConfused(5))
		sum := ev.Summary()
		summary.Rows = append(summary.Rows, sum.Rows...)
		summary.Note = sum.Note
	}
	show.Show(stdout, summary)
	return nil
}
