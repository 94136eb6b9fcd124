package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"golang.org/x/sys/cpu"

	"github.com/go-translab/translab/data"
	"github.com/go-translab/translab/lab/backend"
	"github.com/go-translab/translab/lab/clip"
	"github.com/go-translab/translab/lab/collate"
	"github.com/go-translab/translab/lab/datasets"
	"github.com/go-translab/translab/lab/distilbert"
	"github.com/go-translab/translab/lab/ex2"
	"github.com/go-translab/translab/lab/features"
	"github.com/go-translab/translab/lab/imageproc"
	"github.com/go-translab/translab/lab/machine"
	"github.com/go-translab/translab/lab/metrics"
	"github.com/go-translab/translab/lab/tokenize"
	"github.com/go-translab/translab/lab/train"
	"github.com/go-translab/translab/lab/weights"
	"github.com/go-translab/translab/lab/zeroshot"
)

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", "embed|train|clip|preprocess|corpus|finetune|zeroshot|project [--batch N] [--batches N] [--seq 64] [--layers N] [--limit N] [--dtype float32|bf16] [--json FILE]", stderr)
	batch := fs.Int("batch", 0, "items per batch (0: the workload's default — embed, train, corpus, finetune 32; clip 8; preprocess, zeroshot 64)")
	seq := fs.Int("seq", 64, "embed, train: tokens per sentence")
	batches := fs.Int("batches", 5, "embed, train, clip, preprocess: timed batches or steps (after one untimed warm-up that compiles)")
	layers := fs.Int("layers", 0, "encoder layers (0: the full model — DistilBERT-base 6, ViT-B/16 12)")
	limit := fs.Int("limit", 0, "corpus, finetune, zeroshot: items (0: the full size — 10662 sentences, 8530 sentences, 512 images — on an accelerator, "+
		fmt.Sprintf("%d/%d/%d on a CPU backend)", cpuLimits["corpus"], cpuLimits["finetune"], cpuLimits["zeroshot"]))
	jsonPath := fs.String("json", "", "also append the result as one JSON line to this file")
	dtype := fs.String("dtype", "float32", "matmul dtype of the models: float32, or bf16 (mixed precision: bf16 matmuls, float32 weights and norms)")
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		fs.Usage()
		return flag.ErrHelp
	}
	_, choice, err := backend.Default()
	if err != nil {
		return err
	}
	benchChoice = choice
	n := func(workload string) int { return benchSize(workload, *limit, choice.Config) }
	workloads := map[string]func() (benchResult, error){
		"embed":      func() (benchResult, error) { return benchEmbed(*batch, *seq, *batches, *layers, stderr) },
		"train":      func() (benchResult, error) { return benchTrain(*batch, *seq, *batches, *layers) },
		"clip":       func() (benchResult, error) { return benchCLIPTower(*batch, *batches, *layers) },
		"preprocess": func() (benchResult, error) { return benchPreprocess(*batch, *batches) },
		"corpus":     func() (benchResult, error) { return benchCorpus(n("corpus"), *batch, *layers) },
		"finetune":   func() (benchResult, error) { return benchFinetune(ctx, n("finetune"), *batch, *layers) },
		"zeroshot":   func() (benchResult, error) { return benchZeroShot(n("zeroshot"), *batch, *layers) },
	}
	if len(args) == 0 || (workloads[args[0]] == nil && args[0] != "project") {
		fmt.Fprintln(stderr, "lab bench: name a workload: embed, train, clip, preprocess, corpus, finetune, zeroshot, or project (time to result at the exercises' real sizes)")
		fs.Usage()
		return errUsage
	}
	if err := parse(fs, args[1:], atLeast("batch", 0, "0: the workload's default"), atLeast("seq", 2, "[CLS] and [SEP]"), atLeast("batches", 1, ""),
		atLeast("layers", 0, "0: the full model"), atLeast("limit", 0, "0: the full size"), outFile("json")); err != nil {
		return err
	}
	if benchDType, err = weights.ParseCompute(*dtype); err != nil {
		return fmt.Errorf("--dtype %w", err)
	}
	fmt.Fprintf(stdout, "backend %s\n", choice) // first, as every verb's banner says it
	// The clock is measured before the workload heats the cores, as the peak is what they can do.
	peak, peakErr := machine.Local()
	if args[0] == "project" {
		return benchProject(stdout, *layers, peak, peakErr)
	}
	r, err := workloads[args[0]]()
	if err != nil {
		return err
	}
	r.workload = args[0]
	r.peakRSS = peakRSS()
	fmt.Fprintf(stdout, "workload\tbackend\tdtype\tbatch\tthroughput\ts/batch\tGFLOP/s\t%% of peak\tpeak RSS\n")
	gflops, share := r.rate(peak, peakErr)
	fmt.Fprintf(stdout, "%s\t%s\t%s\t%d\t%.1f %s/s\t%.3f\t%s\t%s\t%s\n", r.name, r.backend, dtypeName(), r.batch, float64(r.items)/r.secs, r.unit, r.secs/float64(r.batches), gflops, share, gib(r.peakRSS))
	fmt.Fprintf(stdout, "(%s; %d CPUs, GOMAXPROCS %d, %s/%s, %s)\n", cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, simdLevel())
	fmt.Fprintf(stdout, "(%s)\n", peakLine(peak, peakErr))
	if *jsonPath != "" {
		return appendJSONLine(*jsonPath, r, peak, peakErr)
	}
	return nil
}

// rate is the workload's achieved GFLOP/s and its share of the machine's float32 peak, as table
// cells ("–" where the workload's FLOPs are not counted or the peak is unknown).
func (r benchResult) rate(peak machine.Peak, peakErr error) (gflops, share string) {
	if r.flops <= 0 || r.secs <= 0 {
		return "–", "–"
	}
	g := r.flops / r.secs / 1e9
	if peakErr != nil || peak.GFLOPS() <= 0 {
		return fmt.Sprintf("%.0f", g), "–"
	}
	return fmt.Sprintf("%.0f", g), fmt.Sprintf("%.0f %%", 100*g/peak.GFLOPS())
}

func peakLine(peak machine.Peak, err error) string {
	if err != nil {
		return "peak unknown: " + err.Error()
	}
	return peak.String() + "; FLOPs: the matmuls at the padded shapes, a training step 3× its forward"
}

// fullSizes are the GPU issue's workloads: the sentence-polarity corpus (10,662 sentences), its
// training split (8,530) and a zero-shot batch of 512 images.
var fullSizes = map[string]int{"corpus": 10662, "finetune": 8530, "zeroshot": 512}

// cpuLimits keep a bare `lab bench corpus` to minutes on a CPU backend, where the full sizes take hours.
var cpuLimits = map[string]int{"corpus": 256, "finetune": 64, "zeroshot": 64}

func benchSize(workload string, limit int, backendConfig string) int {
	if limit > 0 {
		return min(limit, fullSizes[workload])
	}
	if strings.HasPrefix(backendConfig, "go") || strings.Contains(backendConfig, "cpu") {
		return cpuLimits[workload]
	}
	return fullSizes[workload]
}

// appendJSONLine appends r so that several runs (and goldens/bench/pytorch_suite.py, which writes
// the same keys) collect into one file.
func appendJSONLine(path string, r benchResult, peak machine.Peak, peakErr error) error {
	fields := map[string]any{
		"impl": "gomlx", "workload": r.workload, "name": r.name, "backend": r.backend, "dtype": dtypeName(),
		"batch": r.batch, "batches": r.batches, "items": r.items, "unit": r.unit, "secs": r.secs,
		"throughput": float64(r.items) / r.secs, "s_per_batch": r.secs / float64(r.batches),
		"compile_secs": r.compileSecs, "median_step_secs": r.medianStepSecs, "cpu": cpuModel(),
		"peak_rss_bytes": r.peakRSS, "backend_line": benchChoice.String(), "threads": runtime.GOMAXPROCS(0),
	}
	if r.flops > 0 && r.secs > 0 {
		fields["gflops"] = r.flops / r.secs / 1e9
	}
	if peakErr == nil {
		fields["peak_gflops"], fields["peak"] = peak.GFLOPS(), peak.String()
	}
	line, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

type benchResult struct {
	name, backend, unit   string
	batch, batches, items int
	secs                  float64
	workload              string
	// compileSecs is the untimed warm-up that compiled the graphs; medianStepSecs is finetune's
	// steady-state step, since its epoch time includes compilation.
	compileSecs, medianStepSecs float64
	// peakRSS is the process's peak resident memory after the workload (one workload per process),
	// as goldens/bench/pytorch_suite.py reports PyTorch's.
	peakRSS int64
	// flops is the timed work's FLOP count (flops.go says what is counted); 0 where not counted.
	flops float64
}

// peakRSS is the process's resident high-water mark in bytes: VmHWM, which counts what the PJRT
// plugin allocates in C as well as Go's heap (0 where /proc is missing).
func peakRSS() int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kb); err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

func gib(b int64) string {
	if b <= 0 {
		return "?"
	}
	return fmt.Sprintf("%.2f GiB", float64(b)/(1<<30))
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
	m, b, err := benchDistilBERT(layers, false)
	if err != nil {
		return benchResult{}, err
	}
	cfg := m.Config
	var ids [][]int
	for i := range batch {
		row := make([]int, seq)
		for j := range row {
			row[j] = 1000 + (i*7919+j*104729)%(cfg.VocabSize-1000)
		}
		ids = append(ids, row)
	}
	tok, err := padTokenizer()
	if err != nil {
		return benchResult{}, err
	}
	opts := features.Options{BatchSize: batch}
	secs, err := timeBatches(batches, func() error { _, err := features.Encoded(b, m, tok, ids, opts); return err })
	return benchResult{name: fmt.Sprintf("embed [CLS] distilbert-base (%d layers, random, seq %d)", cfg.NLayers, seq), backend: benchChoice.Config, unit: "sentences", batch: batch, batches: batches, items: batch * batches, secs: secs,
		flops: float64(batch*batches) * clsFLOPs(cfg, seq)}, err
}

// benchTrain is one optimisation step of DistilBertForSequenceClassification (DistilBERT-base
// size, random weights, two labels) on batch sentences of exactly seq random ids: the Trainer's own
// compiled step (train.NewStep — forward with dropout, cross-entropy, backward, clipping to norm 1,
// AdamW with HF's decay groups at Exercise 2's weight decay 0.01), so the figure is the steady
// state of fine-tuning without padding, evaluation or checkpoints (those are `bench finetune`).
func benchTrain(batch, seq, batches, layers int) (benchResult, error) {
	if batch <= 0 {
		batch = 32
	}
	cfg := distilbert.DefaultConfig()
	if layers > 0 {
		cfg.NLayers = layers
	}
	cfg.ID2Label, cfg.Label2ID = map[string]string{"0": "NEGATIVE", "1": "POSITIVE"}, map[string]int{"NEGATIVE": 0, "POSITIVE": 1}
	b, _, err := backend.Default()
	if err != nil {
		return benchResult{}, err
	}
	m := distilbert.NewRandom(cfg, true, 1)
	m.Compute = benchDType
	tm := ex2.TrainModel(m)
	adamw := train.DefaultAdamW()
	adamw.WeightDecay = 0.01
	opt, err := train.NewAdamW(m.Store, tm.Params, adamw)
	if err != nil {
		return benchResult{}, err
	}
	if err := m.Store.SetRNGStateFromSeed(42); err != nil { // dropout's masks
		return benchResult{}, err
	}
	step, err := train.NewStep(b, tm, opt)
	if err != nil {
		return benchResult{}, err
	}
	defer step.Finalize()
	rng := rand.New(rand.NewPCG(5, 5))
	ids, mask, labels := make([]int32, batch*seq), make([]int32, batch*seq), make([]int32, batch)
	for i := range ids {
		ids[i], mask[i] = int32(1000+rng.IntN(cfg.VocabSize-1000)), 1
	}
	for i := range labels {
		labels[i] = int32(rng.IntN(2))
	}
	in := []any{tensors.FromFlatDataAndDimensions(ids, batch, seq), tensors.FromFlatDataAndDimensions(mask, batch, seq), tensors.FromFlatDataAndDimensions(labels, batch)}
	var compile float64
	first := true
	secs, err := timeBatches(batches, func() error {
		start := time.Now()
		out, err := step.Call(in...)
		if err != nil {
			return err
		}
		if loss := tensors.ToScalar[float32](out[0]); math.IsNaN(float64(loss)) || math.IsInf(float64(loss), 0) {
			return fmt.Errorf("bench train: the loss is %v", loss)
		}
		if first {
			compile, first = time.Since(start).Seconds(), false
		}
		return nil
	})
	return benchResult{name: fmt.Sprintf("train step distilbert-base seq-classif (%d layers, random, seq %d, AdamW)", cfg.NLayers, seq), backend: benchChoice.Config,
		unit: "sentences", batch: batch, batches: batches, items: batch * batches, secs: secs, compileSecs: compile, flops: float64(batch*batches) * trainFLOPs(cfg, seq, 2)}, err
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
	b, _, err := backend.Default()
	if err != nil {
		return benchResult{}, err
	}
	m := clip.NewRandom(cfg, 1)
	m.Compute = benchDType
	pixels := make([]float32, batch*3*224*224)
	for i := range pixels {
		pixels[i] = float32((i*7919)%1000)/500 - 1
	}
	secs, err := timeBatches(batches, func() error { _, err := m.ImageEmbeddings(b, pixels, batch); return err })
	return benchResult{name: fmt.Sprintf("clip image tower ViT-B/16 (%d layers, random)", cfg.Vision.NumHiddenLayers), backend: benchChoice.Config, unit: "images", batch: batch, batches: batches, items: batch * batches, secs: secs,
		flops: float64(batch*batches) * vitFLOPs(cfg)}, err
}

// benchPreprocess is JPEG decoding + CLIP preprocessing (resize, crop, normalise) of 500×375
// photos-like images, in parallel.
func benchPreprocess(batch, batches int) (benchResult, error) {
	if batch <= 0 {
		batch = 64
	}
	images, err := syntheticJPEGs(batch)
	if err != nil {
		return benchResult{}, err
	}
	proc := imageproc.DefaultCLIP()
	secs, err := timeBatches(batches, func() error { _, _, _, err := proc.Batch(images, runtime.GOMAXPROCS(0)); return err })
	return benchResult{name: "decode + preprocess JPEG 500×375 → 224×224", backend: fmt.Sprintf("Go, %d workers", runtime.GOMAXPROCS(0)), unit: "images", batch: batch, batches: batches, items: batch * batches, secs: secs}, err
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

// corpusIDs are n sentences of random ids, [CLS] … [SEP], with the lengths assumed for the
// sentence-polarity corpus once tokenised (rtLengths), so padding costs what it would on the real
// data.
func corpusIDs(n, vocab int, seed uint64) [][]int {
	rng := rand.New(rand.NewPCG(seed, 1))
	lengths := rtLengths(n, seed)
	out := make([][]int, n)
	for i := range out {
		ids := make([]int, lengths[i])
		ids[0], ids[len(ids)-1] = 101, 102
		for j := 1; j < len(ids)-1; j++ {
			ids[j] = 1000 + rng.IntN(vocab-1000)
		}
		out[i] = ids
	}
	return out
}

// benchCorpus is [CLS] extraction over a corpus, batched the way features.Text batches it (sorted
// by length, padded by the collator to a multiple of 8), but with one compiled Exec warmed up on
// every batch shape first, so that the timed pass measures the model and not XLA's compiler.
func benchCorpus(n, batch, layers int) (benchResult, error) {
	if batch <= 0 {
		batch = 32
	}
	m, b, err := benchDistilBERT(layers, false)
	if err != nil {
		return benchResult{}, err
	}
	cfg := m.Config
	sents := corpusIDs(n, cfg.VocabSize, 1)
	sort.SliceStable(sents, func(a, b int) bool { return len(sents[a]) < len(sents[b]) })
	tok, err := padTokenizer()
	if err != nil {
		return benchResult{}, err
	}
	collator := collate.WithPadding{Tokenizer: tok, PadToMultipleOf: 8}
	type padded struct{ ids, mask *tensors.Tensor }
	var batches []padded
	var flops float64
	shapes := map[[2]int]int{} // shape → index of its first batch
	for start := 0; start < n; start += batch {
		in, err := collator.Pad(sents[start:min(start+batch, n)])
		if err != nil {
			return benchResult{}, err
		}
		dims := in[0].Shape().Dimensions
		flops += float64(dims[0]) * clsFLOPs(cfg, dims[1])
		if _, ok := shapes[[2]int{dims[0], dims[1]}]; !ok {
			shapes[[2]int{dims[0], dims[1]}] = len(batches)
		}
		batches = append(batches, padded{in[0], in[1]})
	}
	exec, err := model.NewExec(b, m.Store, func(_ *model.Scope, ids, mask *Node) *Node { return m.CLS(ids, mask) })
	if err != nil {
		return benchResult{}, err
	}
	defer exec.Finalize()
	out := make([]float32, n*cfg.Dim)
	call := func(p padded, offset int) error {
		res, err := exec.Call(p.ids, p.mask)
		if err != nil {
			return err
		}
		copy(out[offset:], tensors.MustCopyFlatData[float32](res[0])) // the host copy is part of extraction
		return nil
	}
	start := time.Now()
	for _, i := range shapes {
		if err := call(batches[i], 0); err != nil {
			return benchResult{}, err
		}
	}
	compile := time.Since(start).Seconds()
	start = time.Now()
	for i, p := range batches {
		if err := call(p, i*batch*cfg.Dim); err != nil {
			return benchResult{}, err
		}
	}
	secs := time.Since(start).Seconds()
	return benchResult{name: fmt.Sprintf("corpus [CLS] distilbert-base (%d layers, random, %d sentences, lengths as assumed for Rotten Tomatoes)", cfg.NLayers, n),
		backend: benchChoice.Config, unit: "sentences", batch: batch, batches: len(batches), items: n, secs: secs, compileSecs: compile, flops: flops}, nil
}

// benchFinetune is one epoch of lab/train's Trainer (AdamW, dropout, one evaluation and one
// checkpoint, as Exercise 2 runs it) on random sentences and labels. The epoch's time includes
// compiling each padded length; the median step is the steady state without it.
func benchFinetune(ctx context.Context, n, batch, layers int) (benchResult, error) {
	if batch <= 0 {
		batch = 32
	}
	cfg := distilbert.DefaultConfig()
	if layers > 0 {
		cfg.NLayers = layers
	}
	cfg.ID2Label, cfg.Label2ID = map[string]string{"0": "NEGATIVE", "1": "POSITIVE"}, map[string]int{"NEGATIVE": 0, "POSITIVE": 1}
	b, _, err := backend.Default()
	if err != nil {
		return benchResult{}, err
	}
	m := distilbert.NewRandom(cfg, true, 1)
	m.Compute = benchDType
	tok, err := padTokenizer()
	if err != nil {
		return benchResult{}, err
	}
	rng := rand.New(rand.NewPCG(2, 2))
	examples := func(sents [][]int) []datasets.Row {
		out := make([]datasets.Row, len(sents))
		for i, s := range sents {
			out[i] = datasets.Row{Index: i, Label: rng.IntN(2), Fields: map[string]any{collate.InputIDs: s}}
		}
		return out
	}
	dir, err := os.MkdirTemp("", "lab-bench-finetune-")
	if err != nil {
		return benchResult{}, err
	}
	defer os.RemoveAll(dir)
	var steps []float64
	last := time.Now()
	args := train.Args{OutputDir: dir, LearningRate: 5e-5, PerDeviceTrainBatchSize: batch, PerDeviceEvalBatchSize: batch, NumTrainEpochs: 1, Seed: 42}
	tr, err := train.New(train.Config{
		Backend: b, Model: ex2.TrainModel(m), Args: args, Classes: []string{"NEGATIVE", "POSITIVE"},
		TrainDataset: examples(corpusIDs(n, cfg.VocabSize, 3)), EvalDataset: examples(corpusIDs(batch, cfg.VocabSize, 4)),
		Collator:  collate.WithPadding{Tokenizer: tok, PadToMultipleOf: 8},
		AfterStep: func(int, int) { now := time.Now(); steps = append(steps, now.Sub(last).Seconds()); last = now },
	})
	if err != nil {
		return benchResult{}, err
	}
	start := time.Now()
	last = start
	if _, err := tr.Train(ctx); err != nil {
		return benchResult{}, err
	}
	secs := time.Since(start).Seconds()
	sort.Float64s(steps)
	median := 0.0
	if len(steps) > 0 {
		median = steps[len(steps)/2]
	}
	return benchResult{name: fmt.Sprintf("finetune 1 epoch distilbert-base (%d layers, random, %d sentences, lengths as assumed for Rotten Tomatoes)", cfg.NLayers, n),
		backend: benchChoice.Config, unit: "sentences", batch: batch, batches: (n + batch - 1) / batch, items: n, secs: secs, medianStepSecs: median}, nil
}

// benchZeroShot is Exercise 3's loop per batch — decode and preprocess the JPEGs, embed them with
// the ViT-B/16 tower, score them against the class embeddings — on the lab's own calls, so it
// includes whatever they cost (ImageEmbeddings builds its graph on every call). The class
// embeddings, computed once before the loop, are not timed.
func benchZeroShot(n, batch, layers int) (benchResult, error) {
	if batch <= 0 {
		batch = 64
	}
	cfg := clip.DefaultConfig()
	if layers > 0 {
		cfg.Vision.NumHiddenLayers, cfg.Text.NumHiddenLayers = layers, layers
	}
	b, _, err := backend.Default()
	if err != nil {
		return benchResult{}, err
	}
	m := clip.NewRandom(cfg, 1)
	m.Compute = benchDType
	images, err := syntheticJPEGs(n)
	if err != nil {
		return benchResult{}, err
	}
	classes := []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}
	prompts := make([]int32, len(classes)*8)
	for c := range classes {
		for j := range 8 {
			prompts[c*8+j] = int32(1000 + c*97 + j)
		}
		prompts[c*8], prompts[c*8+7] = 49406, 49407 // start and end of text, where the tower pools
	}
	text, err := model.CallOnce(b, m.Store, func(_ *model.Scope, ids *Node) *Node { return clip.Normalize(m.Text(ids).Embeds) },
		tensors.FromFlatDataAndDimensions(prompts, len(classes), 8))
	if err != nil {
		return benchResult{}, err
	}
	d := cfg.ProjectionDim
	z := &zeroshot.Classifier{Model: m, Backend: b, Classes: classes, Templates: zeroshot.PhotoTemplate,
		ClassEmbeds: &features.Matrix{Data: tensors.MustCopyFlatData[float32](text), Shape: []int{len(classes), d}}}
	proc := imageproc.DefaultCLIP()
	var predicted int
	step := func(part [][]byte) error {
		pixels, _, _, err := proc.Batch(part, runtime.GOMAXPROCS(0))
		if err != nil {
			return err
		}
		emb, err := m.ImageEmbeddings(b, pixels, len(part))
		if err != nil {
			return err
		}
		logits, err := z.Logits(&features.Matrix{Data: emb, Shape: []int{len(part), d}})
		if err != nil {
			return err
		}
		predicted += len(metrics.Argmax(logits, len(classes)))
		return nil
	}
	start := time.Now()
	if err := step(images[:min(batch, n)]); err != nil { // warm-up: first use of the backend and the plugin
		return benchResult{}, err
	}
	compile := time.Since(start).Seconds()
	predicted = 0
	start = time.Now()
	for i := 0; i < n; i += batch {
		if err := step(images[i:min(i+batch, n)]); err != nil {
			return benchResult{}, err
		}
	}
	secs := time.Since(start).Seconds()
	if predicted != n {
		return benchResult{}, fmt.Errorf("bench zeroshot: %d predictions for %d images", predicted, n)
	}
	return benchResult{name: fmt.Sprintf("zeroshot decode+preprocess+ViT-B/16 (%d layers, random, %d JPEGs 500×375)", cfg.Vision.NumHiddenLayers, n),
		backend: benchChoice.Config, unit: "images", batch: batch, batches: (n + batch - 1) / batch, items: n, secs: secs, compileSecs: compile, flops: float64(n) * vitFLOPs(cfg)}, nil
}

// syntheticJPEGs are photo-sized (500×375) gradients with some texture, quality 85, so decoding
// costs about what a real photo's does.
func syntheticJPEGs(n int) ([][]byte, error) {
	images := make([][]byte, n)
	for i := range images {
		img := image.NewRGBA(image.Rect(0, 0, 500, 375))
		for p := 0; p < len(img.Pix); p += 4 {
			x, y := (p/4)%500, (p/4)/500
			img.Pix[p], img.Pix[p+1], img.Pix[p+2], img.Pix[p+3] = uint8(x*255/500), uint8(y*255/375), uint8((x*y+i*977)%256), 255
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
			return nil, err
		}
		images[i] = buf.Bytes()
	}
	return images, nil
}

// benchDType is the models' matmul dtype for this run (--dtype), and benchChoice the backend.
var (
	benchDType  dtypes.DType
	benchChoice backend.Choice
)

// padTokenizer pads the benchmarks' random ids: the demo's WordPiece tokenizer, whose [PAD] is 0
// as in BERT's vocabulary.
func padTokenizer() (*tokenize.Tokenizer, error) {
	dir, err := data.DemoDir()
	if err != nil {
		return nil, err
	}
	return tokenize.Load(dir)
}

func dtypeName() string {
	if benchDType == dtypes.BFloat16 {
		return "bf16"
	}
	return "float32"
}

// benchDistilBERT is a DistilBERT-base-size model with random weights (and a head when asked), with
// the run's layer count and matmul dtype, and the backend to run it on.
func benchDistilBERT(layers int, head bool) (*distilbert.Model, compute.Backend, error) {
	cfg := distilbert.DefaultConfig()
	if layers > 0 {
		cfg.NLayers = layers
	}
	b, _, err := backend.Default()
	if err != nil {
		return nil, nil, err
	}
	m := distilbert.NewRandom(cfg, head, 1)
	m.Compute = benchDType
	return m, b, nil
}
