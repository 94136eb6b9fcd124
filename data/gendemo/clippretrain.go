package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"strings"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/go-translab/translab/lab/backend"
	"github.com/go-translab/translab/lab/clip"
	"github.com/go-translab/translab/lab/datasets"
	"github.com/go-translab/translab/lab/imageproc"
	"github.com/go-translab/translab/lab/tokenize"
	"github.com/go-translab/translab/lab/train"
)

// captionWords are the words of every caption, for the tokenizer's merges.
func captionWords() []string {
	seen := map[string]bool{}
	var words []string
	add := func(text string) {
		for _, w := range strings.FieldsFunc(text, func(r rune) bool { return !(r >= 'a' && r <= 'z') }) {
			if !seen[w] {
				seen[w] = true
				words = append(words, w)
			}
		}
	}
	for _, ts := range styleTemplates {
		for _, t := range ts {
			add(t)
		}
	}
	for i := range shapeClasses {
		add(className(i))
	}
	sort.Strings(words)
	return words
}

// learnMerges is BPE training on words (each counted once): merge the most frequent adjacent pair
// (ties to the first in byte order) until every word is one token. It returns the merges, in rank
// order, and the tokens they make, in vocabulary order.
func learnMerges(words []string) (merges, tokens []string) {
	split := make([][]string, len(words))
	for i, w := range words {
		for j, c := range w {
			t := string(c)
			if j == len(w)-1 {
				t += "</w>"
			}
			split[i] = append(split[i], t)
		}
	}
	have := map[string]bool{}
	for {
		count := map[[2]string]int{}
		for _, s := range split {
			for j := 0; j+1 < len(s); j++ {
				count[[2]string{s[j], s[j+1]}]++
			}
		}
		if len(count) == 0 {
			return merges, tokens
		}
		var best [2]string
		bestN := 0
		for p, n := range count {
			if n > bestN || (n == bestN && p[0]+" "+p[1] < best[0]+" "+best[1]) {
				best, bestN = p, n
			}
		}
		merges = append(merges, best[0]+" "+best[1])
		if t := best[0] + best[1]; !have[t] {
			have[t] = true
			tokens = append(tokens, t)
		}
		for i, s := range split {
			var out []string
			for j := 0; j < len(s); j++ {
				if j+1 < len(s) && s[j] == best[0] && s[j+1] == best[1] {
					out = append(out, s[j]+s[j+1])
					j++
				} else {
					out = append(out, s[j])
				}
			}
			split[i] = out
		}
	}
}

// pictureField is the row field of a pretraining picture's pixel values.
const pictureField = "pixel_values"

// pretrainCLIP trains m contrastively, with the lab's own Trainer, on pictures drawn for it (none
// of them in the demo's splits): each batch's pictures against one caption per class and style,
// each in a template of its style drawn at random, by CLIP's loss on the image side — the
// cross-entropy of the scaled cosine similarities, the right caption being the one of the
// picture's class and style. Half the pictures are photos, a quarter each sketches and blurry.
func pretrainCLIP(m *clip.Model, tok *tokenize.Tokenizer, proc *imageproc.Config) error {
	rng := rand.New(rand.NewPCG(2026, 15))
	const perClass = 160
	n := len(shapeClasses)
	images := make([][]byte, perClass*n)
	labels := make([]int, len(images))
	styles := len(styleTemplates)
	for i := range images {
		style := []int{0, 0, 1, 2}[(i/n)%4]
		images[i], labels[i] = drawStyled(i%n, style, rng), (i%n)*styles+style
	}
	pixels, h, w, err := proc.Batch(images, runtime.GOMAXPROCS(0))
	if err != nil {
		return err
	}
	per := 3 * h * w
	rows := make([]datasets.Row, len(images))
	for i := range rows {
		rows[i] = datasets.Row{Index: i, Label: labels[i], Fields: map[string]any{pictureField: pixels[i*per : (i+1)*per]}}
	}
	classes := make([]string, n*styles) // a class in a style
	for i := range classes {
		classes[i] = fmt.Sprint(className(i/styles), "/", i%styles)
	}
	b, choice, err := backend.New()
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "gendemo: pretraining CLIP on %s\n", choice)
	out, err := os.MkdirTemp("", "gendemo-clip-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(out)
	forward := func(in []*Node) *Node {
		perImage, _ := m.Logits(m.Vision(in[0]).Embeds, m.Text(in[1]).Embeds)
		return perImage
	}
	evalRows, trainRows := rows[:16*n], rows[16*n:]
	t, err := train.New(train.Config{
		Backend: b, Model: train.Model{Store: m.Store, Forward: forward}, Classes: classes,
		Args: train.Args{OutputDir: out, LearningRate: 1e-3, PerDeviceTrainBatchSize: 32, PerDeviceEvalBatchSize: 64,
			NumTrainEpochs: 8, WarmupRatio: 0.05, Seed: 9},
		TrainDataset: trainRows, EvalDataset: evalRows, Progress: os.Stderr,
		Collator: &captionCollator{tok: tok, classes: n, size: h, rng: rand.New(rand.NewPCG(2026, 16))},
	})
	if err != nil {
		return err
	}
	hist, err := t.Train(context.Background())
	if err != nil {
		return err
	}
	for _, e := range hist.Epochs {
		fmt.Fprintf(os.Stderr, "clip epoch %d: train loss %.3f, eval loss %.3f, accuracy against the captions %.3f\n", e.Epoch, e.TrainLoss, e.EvalLoss, e.Metrics["accuracy"])
	}
	return nil
}

// captionCollator stacks a batch's pictures and writes one caption per class and style, in templates drawn
// from its own stream (the Trainer calls it in a fixed order, so the captions are reproducible).
type captionCollator struct {
	tok     *tokenize.Tokenizer
	classes int
	size    int
	rng     *rand.Rand
}

func (c *captionCollator) Collate(rows []datasets.Row) ([]*tensors.Tensor, error) {
	flat := make([]float32, 0, len(rows)*3*c.size*c.size)
	for _, r := range rows {
		flat = append(flat, r.Fields[pictureField].([]float32)...)
	}
	var captions []string
	for class := range c.classes {
		for _, ts := range styleTemplates {
			captions = append(captions, strings.ReplaceAll(ts[c.rng.IntN(len(ts))], "{}", className(class)))
		}
	}
	batch, err := c.tok.EncodeBatch(captions, tokenize.Options{Pad: tokenize.PadLongest})
	if err != nil {
		return nil, err
	}
	ids, _, err := batch.Tensors()
	if err != nil {
		return nil, err
	}
	return []*tensors.Tensor{tensors.FromFlatDataAndDimensions(flat, len(rows), 3, c.size, c.size), ids}, nil
}
