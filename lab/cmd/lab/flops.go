package main

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/go-translab/translab/lab/clip"
	"github.com/go-translab/translab/lab/distilbert"
)

// What the benchmarks count as FLOPs: the matmuls alone, 2·m·n·k each, at the padded shapes the
// backend computes (a mask saves no arithmetic). Not counted: embedding lookups, LayerNorm,
// softmax, GELU, bias adds and residuals (O(tokens·width) each, under 2 % of a base-size layer at
// these lengths), and the optimizer's update (AdamW: ~10 flops a parameter, 0.7 GFLOP a step for
// DistilBERT-base, 0.1 % of a b32×64 step).

// encoderFLOPs is a transformer encoder's forward on one sequence of s tokens: per layer the Q, K,
// V and output projections (4 · 2·s·d·d), the feed-forward pair (2 · 2·s·d·ff), and attention's
// scores QKᵀ and context AV (2 · 2·s·s·d, the heads' d/h columns summed).
func encoderFLOPs(layers, d, ff, s int) float64 {
	L, D, F, S := float64(layers), float64(d), float64(ff), float64(s)
	return L * (4*2*S*D*D + 2*2*S*D*F + 2*2*S*S*D)
}

// clsFLOPs is DistilBERT's [CLS] extraction on one sentence of s (padded) tokens: every layer runs
// on every token, though only the first row is kept.
func clsFLOPs(cfg *distilbert.Config, s int) float64 {
	return encoderFLOPs(cfg.NLayers, cfg.Dim, cfg.HiddenDim, s)
}

// trainFLOPs is one sentence of s tokens through a training step of
// DistilBertForSequenceClassification: the forward with its head on the [CLS] row
// (pre_classifier d×d, classifier d×labels), times 3 — the backward computes, for every matmul,
// the gradient of its input and of its weight, each a matmul of the forward's size. (The first
// layer's input gradient is needed too: the word embeddings train.)
func trainFLOPs(cfg *distilbert.Config, s, labels int) float64 {
	d := float64(cfg.Dim)
	return 3 * (clsFLOPs(cfg, s) + 2*d*d + 2*d*float64(labels))
}

// vitFLOPs is one image through CLIP's vision tower and projection: the patch embedding (a
// convolution with stride = kernel, i.e. a matmul of patches × (channels·p·p) × d), the encoder
// on patches + the class token, and the pooled token's projection (d × projection_dim).
func vitFLOPs(cfg *clip.Config) float64 {
	v := cfg.Vision
	patches, d := cfg.NumPatches(), float64(v.HiddenSize)
	return 2*float64(patches)*float64(v.NumChannels*v.PatchSize*v.PatchSize)*d +
		encoderFLOPs(v.NumHiddenLayers, v.HiddenSize, v.IntermediateSize, patches+1) + 2*d*float64(cfg.ProjectionDim)
}

// padTo is what collate.WithPadding{PadToMultipleOf: m} makes of a batch whose longest row is n.
func padTo(n, m int) int { return (n + m - 1) / m * m }

// The sentence-polarity corpus (Rotten Tomatoes, Pang & Lee 2005: 10,662 sentences) cannot be
// downloaded here and the demo's sentences are synthetic, so its lengths are an assumption, stated:
// Kim (2014, Table 1) gives a mean of 20 words (punctuation split off) and a longest of 56;
// BERT's WordPiece is assumed to make 1.2 tokens of a word, so 24 + [CLS] and [SEP] = 26 tokens on
// average; the spread is a log-normal (right-skewed, as sentence lengths are) with a standard
// deviation of 10 tokens, cut at 70 (56 × 1.2 + 2) and at 5 below.
const (
	rtMeanTokens, rtSDTokens = 26.0, 10.0
	rtMinTokens, rtMaxTokens = 5, 70
)

// rtLengths are n lengths from that distribution: its quantiles at (i+½)/n, so that any n has the
// same shape, shuffled by seed (the Trainer's batches are shuffled; features.Text sorts them).
func rtLengths(n int, seed uint64) []int {
	sigma2 := math.Log(1 + rtSDTokens*rtSDTokens/(rtMeanTokens*rtMeanTokens))
	mu, sigma := math.Log(rtMeanTokens)-sigma2/2, math.Sqrt(sigma2)
	out := make([]int, n)
	for i := range out {
		z := math.Sqrt2 * math.Erfinv(2*(float64(i)+0.5)/float64(n)-1)
		out[i] = min(max(int(math.Round(math.Exp(mu+sigma*z))), rtMinTokens), rtMaxTokens)
	}
	rand.New(rand.NewPCG(seed, 7)).Shuffle(n, func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// batchShapes are the padded lengths of the batches that the lengths make, in order, batch at a
// time, after sorting them when sorted (features.Text) or as they come (the Trainer's shuffle).
func batchShapes(lengths []int, batch int, sorted bool) (rows, padded []int) {
	l := append([]int(nil), lengths...)
	if sorted {
		sort.Ints(l)
	}
	for start := 0; start < len(l); start += batch {
		end := min(start+batch, len(l))
		rows, padded = append(rows, end-start), append(padded, padTo(maxOf(l[start:end]), 8))
	}
	return rows, padded
}

func maxOf(xs []int) int {
	m := 0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}
