package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/cpu"

	"github.com/go-translab/translab/lab/backend"
	"github.com/go-translab/translab/lab/clip"
	"github.com/go-translab/translab/lab/distilbert"
	"github.com/go-translab/translab/lab/imageproc"
	"github.com/go-translab/translab/lab/tokenize"
)

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", "embed|clip|preprocess [--batch N] [--batches N] [--seq 64] [--layers N]", stderr)
	batch := fs.Int("batch", 0, "items per batch (0: the workload's default — embed 32, clip 8, preprocess 64)")
	seq := fs.Int("seq", 64, "embed: tokens per sentence")
	batches := fs.Int("batches", 5, "timed batches (after one untimed warm-up that compiles)")
	layers := fs.Int("layers", 0, "encoder layers (0: the full model — DistilBERT-base 6, ViT-B/16 12)")
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		fs.Usage()
		return flag.ErrHelp
	}
	workloads := map[string]func() (benchResult, error){
		"embed":      func() (benchResult, error) { return benchEmbed(*batch, *seq, *batches, *layers, stderr) },
		"clip":       func() (benchResult, error) { return benchCLIPTower(*batch, *batches, *layers) },
		"preprocess": func() (benchResult, error) { return benchPreprocess(*batch, *batches) },
	}
	if len(args) == 0 || workloads[args[0]] == nil {
		fmt.Fprintln(stderr, "lab bench: name a workload: embed, clip or preprocess")
		fs.Usage()
		return errUsage
	}
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	r, err := workloads[args[0]]()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "workload\tbackend\tdtype\tbatch\tthroughput\ts/batch\n")
	fmt.Fprintf(stdout, "%s\t%s\tfloat32\t%d\t%.1f %s/s\t%.3f\n", r.name, r.backend, r.batch, float64(r.items)/r.secs, r.unit, r.secs/float64(r.batches))
	fmt.Fprintf(stdout, "(%s; %d CPUs, GOMAXPROCS %d, %s/%s, %s)\n", cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, simdLevel())
	return nil
}

type benchResult struct {
	name, backend, unit   string
	batch, batches, items int
	secs                  float64
}

// timeBatches runs one untimed warm-up (it compiles the graph), then times n runs.
func timeBatches(n int, run func() error) (float64, error) {
	if err := run(); err != nil {
		return 0, err
	}
	start := time.Now()
	for range n {
		if err := run(); err != nil {
			return 0, err
		}
	}
	return time.Since(start).Seconds(), nil
}

// benchEmbed is [CLS] extraction with a DistilBERT-base-size model on sentences of exactly seq
// random ids, so the figure is about the model alone.
func benchEmbed(batch, seq, batches, layers int, progress io.Writer) (benchResult, error) {
	if batch <= 0 {
		batch = 32
	}
	cfg := distilbert.DefaultConfig()
	if layers > 0 {
		cfg.NLayers = layers
	}
	b, err := backend.Default()
	if err != nil {
		return benchResult{}, err
	}
	m := distilbert.NewRandom(cfg, false, 1)
	enc := &tokenize.Batch{}
	for i := range batch {
		ids := make([]int, seq)
		for j := range ids {
			ids[j] = 1000 + (i*7919+j*104729)%(cfg.VocabSize-1000)
		}
		enc.IDs = append(enc.IDs, ids)
	}
	opts := distilbert.FeatureOptions{BatchSize: batch}
	secs, err := timeBatches(batches, func() error { _, _, err := m.FeaturesOf(b, enc, 0, opts); return err })
	return benchResult{fmt.Sprintf("embed [CLS] distilbert-base (%d layers, random, seq %d)", cfg.NLayers, seq), backend.Choose().Config, "sentences", batch, batches, batch * batches, secs}, err
}

// benchCLIPTower is the ViT-B/16 image tower (random weights) on random pixel values.
func benchCLIPTower(batch, batches, layers int) (benchResult, error) {
	if batch <= 0 {
		batch = 8
	}
	cfg := clip.DefaultConfig()
	if layers > 0 {
		cfg.Vision.NumHiddenLayers = layers
	}
	cfg.Text.NumHiddenLayers, cfg.Text.VocabSize = 1, 1000 // unused here; keeps the random init quick
	b, err := backend.Default()
	if err != nil {
		return benchResult{}, err
	}
	m := clip.NewRandom(cfg, 1)
	pixels := make([]float32, batch*3*224*224)
	for i := range pixels {
		pixels[i] = float32((i*7919)%1000)/500 - 1
	}
	secs, err := timeBatches(batches, func() error { _, err := m.ImageEmbeddings(b, pixels, batch); return err })
	return benchResult{fmt.Sprintf("clip image tower ViT-B/16 (%d layers, random)", cfg.Vision.NumHiddenLayers), backend.Choose().Config, "images", batch, batches, batch * batches, secs}, err
}

// benchPreprocess is JPEG decoding + CLIP preprocessing (resize, crop, normalise) of 500×375
// photos-like images, in parallel.
func benchPreprocess(batch, batches int) (benchResult, error) {
	if batch <= 0 {
		batch = 64
	}
	images := make([][]byte, batch)
	for i := range images {
		img := image.NewRGBA(image.Rect(0, 0, 500, 375))
		for p := 0; p < len(img.Pix); p += 4 {
			x, y := (p/4)%500, (p/4)/500
			img.Pix[p], img.Pix[p+1], img.Pix[p+2], img.Pix[p+3] = uint8(x*255/500), uint8(y*255/375), uint8((x*y+i*977)%256), 255
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
			return benchResult{}, err
		}
		images[i] = buf.Bytes()
	}
	proc := imageproc.DefaultCLIP()
	secs, err := timeBatches(batches, func() error { _, _, _, err := proc.Batch(images, runtime.GOMAXPROCS(0)); return err })
	return benchResult{"decode + preprocess JPEG 500×375 → 224×224", fmt.Sprintf("Go, %d workers", runtime.GOMAXPROCS(0)), "images", batch, batches, batch * batches, secs}, err
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
