package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/cpu"

	"github.com/go-translab/translab/lab/backend"
	"github.com/go-translab/translab/lab/distilbert"
	"github.com/go-translab/translab/lab/tokenize"
)

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", "embed [--batch 32] [--seq 64] [--batches 5] [--layers 6]", stderr)
	batch := fs.Int("batch", 32, "sentences per batch")
	seq := fs.Int("seq", 64, "tokens per sentence")
	batches := fs.Int("batches", 5, "timed batches (after one untimed warm-up that compiles)")
	layers := fs.Int("layers", 6, "encoder layers (DistilBERT-base has 6)")
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		fs.Usage()
		return flag.ErrHelp
	}
	if len(args) == 0 || args[0] != "embed" {
		fmt.Fprintln(stderr, "lab bench: name a workload: embed")
		fs.Usage()
		return errUsage
	}
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	b, err := backend.Default()
	if err != nil {
		return err
	}
	cfg := distilbert.DefaultConfig()
	cfg.NLayers = *layers
	m := distilbert.NewRandom(cfg, false, 1)
	// Sentences of exactly seq random ids, so the figure is about the model alone.
	sentences := func(n int) *tokenize.Batch {
		enc := &tokenize.Batch{}
		for i := range n {
			ids := make([]int, *seq)
			for j := range ids {
				ids[j] = 1000 + (i*7919+j*104729)%(cfg.VocabSize-1000)
			}
			enc.IDs = append(enc.IDs, ids)
		}
		return enc
	}
	opts := distilbert.FeatureOptions{BatchSize: *batch}
	if _, _, err := m.FeaturesOf(b, sentences(*batch), 0, opts); err != nil { // compiles
		return err
	}
	opts.Progress = stderr
	start := time.Now()
	if _, _, err := m.FeaturesOf(b, sentences(*batch**batches), 0, opts); err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	n := *batch * *batches
	fmt.Fprintf(stdout, "workload\tbackend\tdtype\tbatch\tseq\tsentences/s\ts/batch\n")
	fmt.Fprintf(stdout, "embed [CLS] distilbert-base (%d layers, random)\t%s\tfloat32\t%d\t%d\t%.1f\t%.2f\n",
		*layers, backend.Choose().Config, *batch, *seq, float64(n)/secs, secs/float64(*batches))
	fmt.Fprintf(stdout, "(%s; %d CPUs, GOMAXPROCS %d, %s/%s, %s)\n", cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, simdLevel())
	return nil
}

// cpuModel names the processor, since the pure-Go backend's speed depends on its SIMD width.
func cpuModel() string {
	raw, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func simdLevel() string {
	switch {
	case cpu.X86.HasAVX512F:
		return "AVX-512"
	case cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		return "AVX2+FMA, no AVX-512"
	case runtime.GOARCH == "arm64":
		return "NEON"
	}
	return "no AVX2"
}
