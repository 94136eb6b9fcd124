package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/go-translab/translab/data"
	"github.com/go-translab/translab/lab/features"
	"github.com/go-translab/translab/lab/session"
	"github.com/go-translab/translab/lab/show"
	"github.com/go-translab/translab/lab/zeroshot"
)

const defaultCLIP = "openai/clip-vit-base-patch16"

// ex3Parts are Exercise 3's parts, each a verb of its own with its own flags.
var ex3Parts = map[string]runFunc{"zero-shot": runEx3ZeroShot, "adapt": runEx3Adapt}

func runEx3(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		if part, ok := ex3Parts[args[0]]; ok {
			return part(ctx, args[1:], stdout, stderr)
		}
	}
	help := len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help")
	switch {
	case help:
	case len(args) == 0:
		fmt.Fprintln(stderr, "lab ex3: name a part: zero-shot or adapt")
	default:
		fmt.Fprintf(stderr, "lab ex3: unknown part %q: name zero-shot or adapt\n", args[0])
	}
	fmt.Fprintf(stderr, "usage: lab ex3 zero-shot|adapt [flags]   (lab ex3 PART --help for one part's flags)\n\n%s\n\n", summaries["ex3"])
	zs, _ := zeroShotFlags(stderr)
	ad, _ := adaptFlags(stderr)
	for _, fs := range []*flag.FlagSet{zs, ad} {
		fs.Usage()
		fmt.Fprintln(stderr)
	}
	if help {
		return flag.ErrHelp
	}
	return errUsage
}

type zeroShotOptions struct {
	*exerciseFlags
	dataset, templates *string
	limit, batch       *int
}

func zeroShotFlags(stderr io.Writer) (*flag.FlagSet, *zeroShotOptions) {
	fs := newFlags("ex3 zero-shot", "[--dataset imagenette|tinyimagenet|eurosat|all|ID_OR_DIR] [--templates default|ensemble] [--limit N] [--batch 32] [--demo] [--model ID_OR_DIR] [--results FILE.json] [--verbose]", stderr)
	o := &zeroShotOptions{exerciseFlags: addExerciseFlags(fs, "CLIP", defaultCLIP, "a tiny CLIP pretrained on drawn shapes")}
	o.dataset = fs.String("dataset", "all", datasetHelp("images to classify: imagenette, tinyimagenet, eurosat or all (the catalog's)"))
	o.templates = fs.String("templates", "default", "prompts: default (the dataset's, e.g. \"a photo of a {}.\") or ensemble (OpenAI's 7 ImageNet prompts averaged)")
	o.limit = fs.Int("limit", 0, "classify at most N images per dataset (0: all)")
	o.batch = fs.Int("batch", 32, "images per forward pass")
	return fs, o
}

func runEx3ZeroShot(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, o := zeroShotFlags(stderr)
	if err := parse(fs, args, append(o.rules(), oneOf("templates", "default", "ensemble"), atLeast("limit", 0, "0: all"), atLeast("batch", 1, ""))...); err != nil {
		return err
	}
	var tmpl []string
	if *o.templates == "ensemble" {
		tmpl = zeroshot.EnsembleTemplates
	}
	// Names are checked before anything is loaded, so a typo fails at once.
	*o.dataset = catalogCase(*o.dataset)
	names := []string{*o.dataset}
	if *o.dataset == "all" {
		names = zeroshot.DatasetNames
	} else if err := checkDatasetRef("dataset", *o.dataset, append(slices.Clone(zeroshot.DatasetNames), "all")); err != nil {
		return err
	}
	so := session.CLIP(*o.demo)
	if *o.dataset != "all" {
		so.Dataset = *o.dataset // opened at Setup: a bad folder or id fails before the model runs
	}
	s, run, err := o.setup(ctx, "ex3 zero-shot", so, stderr)
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
		s.Phase(n + " prompts")
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
		s.Phase(n + " images")
		ev, err := zeroshot.Evaluate(ctx, zs, proc, d, zeroshot.Options{Limit: *o.limit, BatchSize: *o.batch, Cache: true, Progress: s.Out})
		if err != nil {
			return err
		}
		if s.ModelID != defaultCLIP {
			ev.Seed = 0 // the seed lab's accuracies are ViT-B/16's: not a reference for another model
		}
		s.Phase("report")
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
		if err := recordScores(run, d.Name+"/", map[string]float64{"top1": ev.TopK(1), "top5": ev.TopK(5), "images": float64(len(ev.Labels))}); err != nil {
			return err
		}
	}
	show.Show(stdout, summary)
	if *o.limit == 0 {
		run.Option("limit", "all") // the images classified are each dataset's "images" metric
	}
	return o.save(run, "ex3 zero-shot", stderr)
}

// catalogCase reads a catalog name in any case ("EuroSAT"); other references stay as typed, since
// hub ids and paths are case-sensitive.
func catalogCase(ref string) string {
	if _, err := data.Lookup(strings.ToLower(ref)); err == nil {
		if _, err := os.Stat(ref); err != nil {
			return strings.ToLower(ref)
		}
	}
	return ref
}

// checkDatasetRef refuses, before any work, a --dataset that names a catalog dataset the part
// cannot use, that is neither a catalog name nor a hub id (org/name), or a local folder that is not
// there.
func checkDatasetRef(flagName, ref string, allowed []string) error {
	want := fmt.Sprintf("want %s, a hub dataset id (org/name) or a local folder", strings.Join(allowed, ", "))
	if e, err := data.Lookup(ref); err == nil {
		if !slices.Contains(allowed, e.Name) {
			return &badFlag{fmt.Sprintf("--%s %q: not a dataset of this part; %s", flagName, ref, want)}
		}
		return nil
	}
	st, err := os.Stat(ref)
	switch {
	case err == nil && !st.IsDir():
		return &badFlag{fmt.Sprintf("--%s %s: is a file; want the folder holding the dataset's files", flagName, ref)}
	case err == nil:
		return nil
	case looksLikePath(ref):
		return &badFlag{fmt.Sprintf("--%s %s: no such folder", flagName, ref)}
	case !strings.Contains(ref, "/"):
		return &badFlag{fmt.Sprintf("--%s %q: unknown; %s", flagName, ref, want)}
	}
	return nil
}

func looksLikePath(s string) bool {
	return strings.HasPrefix(s, "/") || strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../") || s == "." || s == ".." || strings.HasPrefix(s, "~")
}
