package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/go-translab/translab/lab/hub"
)

func runFetch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("fetch", "[--include GLOB] MODEL_OR_DATASET_ID...", stderr)
	include := fs.String("include", "", "only files matching this glob (e.g. '*.json'); default all files")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "lab fetch: name at least one repo, e.g. distilbert-base-uncased or datasets/cornell-movie-review-data/rotten_tomatoes")
		fs.Usage()
		return errUsage
	}
	c := hub.NewClient()
	var patterns []string
	if *include != "" {
		patterns = []string{*include}
	}
	for _, id := range fs.Args() {
		dir, err := c.Snapshot(ctx, hub.ParseRepo(id), patterns...)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\t%s\n", id, dir)
	}
	return nil
}
