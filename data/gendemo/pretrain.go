package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/go-translab/translab/lab/backend"
	"github.com/go-translab/translab/lab/collate"
	"github.com/go-translab/translab/lab/datasets"
	"github.com/go-translab/translab/lab/distilbert"
	"github.com/go-translab/translab/lab/tokenize"
	"github.com/go-translab/translab/lab/train"
	"github.com/go-translab/translab/lab/weights"
)

// predictAt is the row field holding the position whose output predicts the row's masked word.
const predictAt = "predict_at"

// pretrainMLM trains m on the corpus with masked-language modelling, through the lab's own
// Trainer. Half the examples are BERT's MLM: one word hidden (80/10/10: [MASK], a random word, or
// the word itself) and asked for at its position. The other half ask [CLS], with the sentence in
// full, "good" or "bad": the side, in the lexicon of the demo's phrases, of one of its judging
// words — distant supervision from a sentiment lexicon, never the sentence's own label. That gives
// [CLS] a summary of the sentence, the role BERT's next-sentence task gives it; a bag of judging
// words, which a negation or a "but" fools, so fine-tuning still has something to learn. (MLM
// alone, or [CLS] asked for the words themselves, left Exercise 1's SVM near 0.65: a tiny model
// does not learn from 6000 sentences which words judge, as a real one does from billions.) Both
// go through HF's DistilBertForMaskedLM head (vocab_transform → GELU → vocab_layer_norm →
// vocab_projector tied to the word embeddings); it is dropped afterwards, so the checkpoint stays
// a DistilBertModel.
func pretrainMLM(m *distilbert.Model, tok *tokenize.Tokenizer, vocab []string, corpus []review) error {
	d, v := m.Config.Dim, m.Config.VocabSize
	rng := rand.New(rand.NewPCG(2026, 14))
	for name, t := range map[string]*tensors.Tensor{
		"vocab_transform.weight":  tensors.FromFlatDataAndDimensions(normal(rng, d*d, m.Config.InitializerRange), d, d),
		"vocab_transform.bias":    tensors.FromFlatDataAndDimensions(make([]float32, d), d),
		"vocab_layer_norm.weight": tensors.FromFlatDataAndDimensions(ones(d), d),
		"vocab_layer_norm.bias":   tensors.FromFlatDataAndDimensions(make([]float32, d), d),
		"vocab_projector.bias":    tensors.FromFlatDataAndDimensions(make([]float32, v), v),
	} {
		if _, err := m.Store.CreateVariable(weights.VarPath(name), t); err != nil {
			return err
		}
	}
	maskID, ok := tok.ID("[MASK]")
	if !ok {
		return fmt.Errorf("gendemo: the tokenizer has no [MASK]")
	}
	first := 5 // the first whole word: after the specials, the characters and ## continuations
	for len(vocab[first]) == 1 || strings.HasPrefix(vocab[first], "##") {
		first++
	}
	encoded := make([][]int, len(corpus))
	for i, r := range corpus {
		encoded[i] = tok.Encode(r.Text)
	}
	// The lexicon: the words of the phrases written for one side only.
	sides := [2]map[int]bool{{}, {}}
	for label, phrases := range [2][]string{append(slices.Clone(negative), adjectives[0]...), append(slices.Clone(positive), adjectives[1]...)} {
		for _, p := range phrases {
			for _, id := range tok.Encode(p) {
				sides[label][id] = true
			}
		}
	}
	var goodBad [2]int
	for i, w := range []string{"bad", "good"} {
		if goodBad[i], ok = tok.ID(w); !ok {
			return fmt.Errorf("gendemo: %q is not in the vocabulary", w)
		}
	}
	judging := map[int]bool{}
	for id := range sides[0] {
		if !sides[1][id] {
			judging[id] = true
		}
	}
	for id := range sides[1] {
		if !sides[0][id] {
			judging[id] = true
		}
	}
	var rows []datasets.Row
	for pass := 0; pass < 2; pass++ {
		for _, ids := range encoded {
			// BERT's MLM: hide one word, ask for it at its position.
			p := 1 + rng.IntN(len(ids)-2) // not [CLS] or [SEP]
			in := append([]int(nil), ids...)
			switch x := rng.IntN(10); {
			case x < 8:
				in[p] = maskID
			case x < 9:
				in[p] = first + rng.IntN(len(vocab)-first)
			}
			rows = append(rows, datasets.Row{Index: len(rows), Label: ids[p], Fields: map[string]any{collate.InputIDs: in, predictAt: p}})
			// The summary at [CLS]: asked, with the sentence in full, whether one of its judging
			// words is on the side of "good" or of "bad" — a sentiment lexicon's distant
			// supervision, never the sentence's label (which a negation or a "but" reverses).
			var judged []int
			for _, id := range ids[1 : len(ids)-1] {
				if judging[id] {
					judged = append(judged, id)
				}
			}
			if len(judged) > 0 {
				word := goodBad[0]
				if sides[1][judged[rng.IntN(len(judged))]] {
					word = goodBad[1]
				}
				rows = append(rows, datasets.Row{Index: len(rows), Label: word, Fields: map[string]any{collate.InputIDs: ids, predictAt: 0}})
			}
		}
	}
	rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	evalRows, trainRows := rows[:1000], rows[1000:]
	classes := make([]string, v)
	for i := range classes {
		classes[i] = strconv.Itoa(i)
	}
	b, choice, err := backend.New()
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "gendemo: pretraining on %s\n", choice)
	out, err := os.MkdirTemp("", "gendemo-mlm-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(out)
	p := m.Weights()
	forward := func(in []*Node) *Node {
		h := m.Encode(in[0], in[1])
		at := OneHot(in[2], h.Shape().Dimensions[1], h.DType())
		x := Einsum("bs,bsd->bd", at, h)
		x = weights.Activations[m.Config.Activation](p.Linear(x, "vocab_transform"))
		x = p.LayerNorm(x, "vocab_layer_norm", m.Config.LayerNormEps)
		emb := p.Node(x.Graph(), "distilbert.embeddings.word_embeddings.weight")
		return Add(Einsum("bd,vd->bv", x, emb), InsertAxes(p.Node(x.Graph(), "vocab_projector.bias"), 0))
	}
	t, err := train.New(train.Config{
		Backend: b, Model: train.Model{Store: m.Store, Forward: forward}, Classes: classes,
		Args: train.Args{OutputDir: out, LearningRate: 2e-3, PerDeviceTrainBatchSize: 64, PerDeviceEvalBatchSize: 250,
			NumTrainEpochs: 3, WarmupRatio: 0.05, Seed: 7},
		TrainDataset: trainRows, EvalDataset: evalRows, Collator: mlmCollator{tok}, Progress: os.Stderr,
		ComputeMetrics: func(p train.EvalPrediction) (map[string]float64, error) {
			pred, right := p.Predictions(), 0
			for i, y := range p.Labels {
				if pred[i] == y {
					right++
				}
			}
			return map[string]float64{"accuracy": float64(right) / float64(len(p.Labels))}, nil
		},
	})
	if err != nil {
		return err
	}
	h, err := t.Train(context.Background())
	if err != nil {
		return err
	}
	for _, e := range h.Epochs {
		fmt.Fprintf(os.Stderr, "mlm epoch %d: train loss %.3f, eval loss %.3f, masked-word accuracy %.3f\n", e.Epoch, e.TrainLoss, e.EvalLoss, e.Metrics["accuracy"])
	}
	return nil
}

// mlmCollator pads the masked sentences and adds the position each one is asked at.
type mlmCollator struct{ tok *tokenize.Tokenizer }

func (c mlmCollator) Collate(rows []datasets.Row) ([]*tensors.Tensor, error) {
	in, err := collate.WithPadding{Tokenizer: c.tok, PadToMultipleOf: 8}.Collate(rows)
	if err != nil {
		return nil, err
	}
	at := make([]int32, len(rows))
	for i, r := range rows {
		at[i] = int32(r.Fields[predictAt].(int))
	}
	return append(in, tensors.FromFlatDataAndDimensions(at, len(rows))), nil
}

func normal(rng *rand.Rand, n int, std float64) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(rng.NormFloat64() * std)
	}
	return out
}

func ones(n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = 1
	}
	return out
}
