package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/go-translab/translab/lab/results"
	"github.com/go-translab/translab/lab/session"
)

// exerciseFlags are the flags every exercise shares: the demo, the model, the dataset, a results
// manifest and --verbose.
type exerciseFlags struct {
	fs             *flag.FlagSet
	demo, verbose  *bool
	model, results *string
	dataset        *string
	// the columns of a dataset outside the catalog; "" keeps the usual names
	textColumn, labelColumn, imageColumn *string
	started                              time.Time
}

func addExerciseFlags(fs *flag.FlagSet, kind, defaultModel, demoWhat string) *exerciseFlags {
	return &exerciseFlags{
		fs:          fs,
		demo:        fs.Bool("demo", false, "run "+demoWhat+" (also the fallback when the model is the default, the hub is unreachable and nothing is cached)"),
		model:       fs.String("model", defaultModel, kind+": hub id (org/name[@revision]) or HF directory; one that cannot be read is an error, never the demo"),
		results:     fs.String("results", "", "write a manifest of the run to this JSON `FILE`: the metrics printed, seeds, options, the backend, the model's and the datasets' ids, revisions and sha256 of every file read, versions, wall times"),
		verbose:     fs.Bool("verbose", false, "say more: the full cause when the demo stands in for an unreachable model"),
		started:     time.Now(),
		textColumn:  fs.String("text-column", "", "the `COLUMN` of a local or hub dataset outside the catalog holding the sentences (default \"text\"; e.g. SST-2's \"sentence\")"),
		labelColumn: fs.String("label-column", "", "the `COLUMN` holding the labels: integers, or strings numbered in sorted order (default \"label\")"),
		imageColumn: fs.String("image-column", "", "the `COLUMN` holding the images: parquet's image struct, or in a CSV/JSON-lines file the image's path (default \"image\")"),
	}
}

// datasetHelp is --dataset's help for an exercise whose catalog datasets are named in what.
func datasetHelp(what string) string {
	return what + ", a hub dataset id (org/name[@revision]), or a local folder: a dataset repo's files " +
		"(a git clone of the HF dataset repo, or a snapshot folder) with its parquet splits, CSV/TSV/JSON-lines files by split " +
		"(train.csv, validation.csv, test.csv), or images in one folder per class (DIR/CLASS/*.jpg or DIR/train/CLASS/*.jpg)"
}

// rules are the checks of the shared flags, applied by parse before any work.
func (e *exerciseFlags) rules() []rule { return []rule{outFile("results")} }

// setup makes the session, the one place the demo is decided; with the demo standing in unasked,
// --verbose prints the full cause the banner's one line sums up. The run's manifest starts here.
func (e *exerciseFlags) setup(ctx context.Context, verb string, o session.Options, stderr io.Writer) (*session.Session, *results.Run, error) {
	o.Model, o.Progress = *e.model, stderr
	o.TextColumn, o.LabelColumn, o.ImageColumn = *e.textColumn, *e.labelColumn, *e.imageColumn
	if !*e.verbose {
		o.CauseHint = "--verbose shows the full cause"
	}
	s, err := session.Setup(ctx, o)
	if err != nil {
		return nil, nil, err
	}
	if s.Demo && s.Cause != nil && *e.verbose {
		fmt.Fprintf(stderr, "lab %s: the demo runs because: %v\n", verb, s.Cause)
	}
	run := s.Results(verb)
	run.Started = e.started.UTC().Truncate(time.Millisecond)
	run.PhaseSince("setup", e.started)
	e.fs.VisitAll(func(f *flag.Flag) { run.Option(f.Name, f.Value.String()) })
	return s, run, nil
}

// save writes the manifest when --results asked for one.
func (e *exerciseFlags) save(run *results.Run, verb string, stderr io.Writer) error {
	if *e.results == "" {
		return nil
	}
	if err := run.Save(*e.results); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "lab %s: results in %s\n", verb, *e.results)
	return nil
}

// recordScores records a table of scores under a prefix, e.g. "test/accuracy".
func recordScores(run *results.Run, prefix string, scores map[string]float64) error {
	for name, v := range scores {
		if err := run.Metric(prefix+name, v); err != nil {
			return err
		}
	}
	return nil
}
