package main

import (
	"math"
	"testing"

	"github.com/go-translab/translab/lab/clip"
	"github.com/go-translab/translab/lab/distilbert"
)

// A tiny config counted by hand: 2 layers, d 4, ff 8, 3 tokens.
func TestFLOPCountsByHand(t *testing.T) {
	cfg := &distilbert.Config{NLayers: 2, Dim: 4, HiddenDim: 8}
	// per layer: projections 4·2·3·4·4 = 384, FFN 2·2·3·4·8 = 384, attention 2·2·3·3·4 = 144 → 912
	if got := clsFLOPs(cfg, 3); got != 2*912 {
		t.Errorf("clsFLOPs = %v, want 1824", got)
	}
	// head: pre_classifier 2·4·4 = 32, classifier 2·4·2 = 16; ×3 for the backward
	if got := trainFLOPs(cfg, 3, 2); got != 3*(1824+32+16) {
		t.Errorf("trainFLOPs = %v, want 5616", got)
	}
	// image 8, patch 4 → 4 patches of 3·4·4 = 48 values: 2·4·48·4 = 1536; encoder on 5 tokens,
	// 1 layer: 4·2·5·4·4 = 640 + 2·2·5·4·8 = 640 + 2·2·5·5·4 = 400; projection 2·4·2 = 16
	c := &clip.Config{Vision: clip.TowerConfig{HiddenSize: 4, IntermediateSize: 8, NumHiddenLayers: 1, ImageSize: 8, PatchSize: 4, NumChannels: 3}, ProjectionDim: 2}
	if got := vitFLOPs(c); got != 1536+640+640+400+16 {
		t.Errorf("vitFLOPs = %v, want 3232", got)
	}
}

// The full-size counts against the published ones: DistilBERT-base ≈ 85 MFLOP a token forward
// (the figure: 6 layers × 14.2 M, plus attention), ViT-B/16 17.6 GMAC = 35.2 GFLOP an image.
func TestFLOPCountsFullSize(t *testing.T) {
	if perToken := clsFLOPs(distilbert.DefaultConfig(), 64) / 64; math.Abs(perToken-86.114304e6) > 1 {
		t.Errorf("DistilBERT-base at 64 tokens: %.2f MFLOP a token, want 86.11 (84.93 dense + 1.18 attention)", perToken/1e6)
	}
	if g := vitFLOPs(clip.DefaultConfig()); math.Abs(g-35.13e9) > 0.01e9 {
		t.Errorf("ViT-B/16: %.2f GFLOP an image, want 35.13", g/1e9)
	}
}

func TestRTLengths(t *testing.T) {
	l := rtLengths(10662, 1)
	sum, lo, hi := 0, 1000, 0
	for _, x := range l {
		sum, lo, hi = sum+x, min(lo, x), max(hi, x)
	}
	if mean := float64(sum) / float64(len(l)); math.Abs(mean-rtMeanTokens) > 0.5 || lo < rtMinTokens || hi != rtMaxTokens {
		t.Errorf("mean %.2f, range %d–%d; want ≈%v, within %d–%d reaching the cut", mean, lo, hi, rtMeanTokens, rtMinTokens, rtMaxTokens)
	}
	rows, padded := batchShapes([]int{3, 20, 9, 17, 1}, 2, true)
	if len(rows) != 3 || rows[2] != 1 || padded[0] != 8 || padded[1] != 24 || padded[2] != 24 {
		t.Errorf("sorted batches: rows %v padded %v, want [2 2 1] [8 24 24]", rows, padded)
	}
	if _, padded := batchShapes([]int{3, 20, 9, 17, 1}, 2, false); padded[0] != 24 || padded[1] != 24 || padded[2] != 8 {
		t.Errorf("unsorted batches padded %v, want [24 24 8]", padded)
	}
}
