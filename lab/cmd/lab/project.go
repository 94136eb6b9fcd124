package main

import (
	"fmt"
	"io"
	"sort"

	"github.com/go-translab/translab/lab/clip"
	"github.com/go-translab/translab/lab/distilbert"
	"github.com/go-translab/translab/lab/machine"
)

// The exercises' real sizes: Rotten Tomatoes' 10,662 sentences (Exercise 1 embeds them all), its
// 8,530 training and 1,066 validation sentences (one Exercise 2 epoch, batch 16), and ImageNette's
// 3,925 validation images (Exercise 3's zero-shot, batch 32).
const (
	ex1Sentences, ex1Batch              = 10662, 32
	ex2Train, ex2Validation, ex2Batch   = 8530, 1066, 16
	imagenetteValidation, zeroShotBatch = 3925, 32
	// ex1Sample is how many sentences are timed for Exercise 1: the same quantiles of the assumed
	// lengths as the full corpus, enough for every padded length to occur.
	ex1Sample = 640
)

// benchProject measures each exercise's work briefly on full-size random models and projects the
// wall time at the real sizes: by FLOPs where the shapes differ from those measured (Exercise 1's
// 10,662 sentences from a 640-sentence sample of the same lengths; Exercise 2's epoch from steps at
// its most common padded length), by count where they do not (zero-shot images).
func benchProject(w io.Writer, layers int, peak machine.Peak, peakErr error) error {
	fmt.Fprintf(w, "(%s)\n", peakLine(peak, peakErr))
	fmt.Fprintf(w, "(sentence lengths assumed, not measured: log-normal, mean %.0f, sd %.0f WordPiece tokens with [CLS] and [SEP], %d–%d; Kim 2014 gives Rotten Tomatoes 20 words on average, 56 at most, at an assumed 1.2 tokens a word)\n",
		rtMeanTokens, rtSDTokens, rtMinTokens, rtMaxTokens)
	cfg := distilbert.DefaultConfig()
	if layers > 0 {
		cfg.NLayers = layers
	}
	fmt.Fprintf(w, "task\treal size\tmeasured here\tGFLOP/s\t%% of peak\tprojected at the real size\n")
	row := func(task, size, measured string, r benchResult, projected string) {
		g, share := r.rate(peak, peakErr)
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", task, size, measured, g, share, projected)
	}

	// Exercise 1: sorted by length, batch 32, padded to multiples of 8, as features.Text does.
	c, err := benchCorpus(ex1Sample, ex1Batch, layers)
	if err != nil {
		return err
	}
	rows, padded := batchShapes(rtLengths(ex1Sentences, 1), ex1Batch, true)
	full := shapesFLOPs(rows, padded, func(s int) float64 { return clsFLOPs(cfg, s) })
	ex1 := full / (c.flops / c.secs)
	row("Exercise 1 features ([CLS], DistilBERT-base, batch 32)", "10,662 sentences",
		fmt.Sprintf("%d sentences in %.1f s (%.0f/s), after %.1f s of first calls (%d shapes)", ex1Sample, c.secs, float64(ex1Sample)/c.secs, c.compileSecs, distinct(padded)),
		c, fmt.Sprintf("%s (+ ~%.0f s of compiling)", duration(ex1), c.compileSecs))

	// Exercise 2: the Trainer's shuffled batches of 16, each padded to its longest, then one
	// evaluation of the validation split.
	rows, padded = batchShapes(rtLengths(ex2Train, 3), ex2Batch, false)
	common := mode(padded)
	t, err := benchTrain(ex2Batch, common, 3, layers)
	if err != nil {
		return err
	}
	trainSecs := shapesFLOPs(rows, padded, func(s int) float64 { return trainFLOPs(cfg, s, 2) }) / (t.flops / t.secs)
	vRows, vPadded := batchShapes(rtLengths(ex2Validation, 4), ex2Batch, false)
	evalSecs := shapesFLOPs(vRows, vPadded, func(s int) float64 { return clsFLOPs(cfg, s) }) / (c.flops / c.secs)
	compile := t.compileSecs * float64(distinct(padded))
	row("Exercise 2 epoch (fine-tune DistilBERT-base, AdamW, batch 16)", "8,530 + 1,066 validation sentences",
		fmt.Sprintf("3 steps of 16×%d in %.1f s (%.2f s/step); %d steps, %d padded lengths, most %d", common, t.secs, t.secs/3, len(rows), distinct(padded), common),
		t, fmt.Sprintf("%s (training %s, validation %s at Exercise 1's rate, + ~%.0f s compiling %d shapes at %.0f s each)",
			duration(trainSecs+evalSecs), duration(trainSecs), duration(evalSecs), compile, distinct(padded), t.compileSecs))

	// Exercise 3: decode and preprocess, embed, score, as the zero-shot loop does per batch.
	z, err := benchZeroShot(2*zeroShotBatch, zeroShotBatch, layers)
	if err != nil {
		return err
	}
	zs := float64(imagenetteValidation) * z.secs / float64(z.items)
	ccfg := clip.DefaultConfig()
	if layers > 0 {
		ccfg.Vision.NumHiddenLayers = layers
	}
	row("ImageNette zero-shot (ViT-B/16, batch 32, JPEG decode included)", "3,925 images",
		fmt.Sprintf("%d images in %.1f s (%.2f/s), after a first batch of %.1f s", z.items, z.secs, float64(z.items)/z.secs, z.compileSecs),
		z, fmt.Sprintf("%s (%.1f GFLOP an image)", duration(zs), vitFLOPs(ccfg)/1e9))
	fmt.Fprintln(w, "(not included: tokenising, reading the parquet files and the SVM (Exercise 1), checkpoints (Exercise 2), reading JPEGs from disk and the class prompts' embeddings (zero-shot); GFLOP/s counts matmuls only)")
	return nil
}

func shapesFLOPs(rows, padded []int, perRow func(int) float64) float64 {
	total := 0.0
	for i := range rows {
		total += float64(rows[i]) * perRow(padded[i])
	}
	return total
}

func distinct(xs []int) int {
	seen := map[int]bool{}
	for _, x := range xs {
		seen[x] = true
	}
	return len(seen)
}

// mode is the most frequent value, the smaller on a tie.
func mode(xs []int) int {
	count := map[int]int{}
	for _, x := range xs {
		count[x]++
	}
	keys := make([]int, 0, len(count))
	for k := range count {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	best := keys[0]
	for _, k := range keys {
		if count[k] > count[best] {
			best = k
		}
	}
	return best
}

func duration(secs float64) string {
	switch {
	case secs < 90:
		return fmt.Sprintf("%.0f s", secs)
	case secs < 5400:
		return fmt.Sprintf("%.1f min", secs/60)
	}
	return fmt.Sprintf("%.1f h", secs/3600)
}
