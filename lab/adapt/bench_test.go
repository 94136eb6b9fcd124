package adapt

import (
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/go-translab/translab/lab/backend"
	"github.com/go-translab/translab/lab/clip"
	"github.com/go-translab/translab/lab/peft"
	"github.com/go-translab/translab/lab/reference"
	"github.com/go-translab/translab/lab/tokenize"
	"github.com/go-translab/translab/lab/train"
	"github.com/go-translab/translab/lab/zeroshot"
)

// BenchmarkTextTowerStep times one training step of each text-tower strategy on a ViT-B/16-size
// CLIP with random weights (its text tower: 12 layers of width 512) and EuroSAT's shape: the 10
// classes × 3 templates of prompts through the tower in one batch, 8 image embeddings, AdamW.
// What the CPU estimates of docs/benchmarks.md ("CLIP adaptation") rest on:
//
//	GOEXPERIMENT=simd go test -run XXX -bench TextTowerStep -benchtime 3x ./lab/adapt/
func BenchmarkTextTowerStep(b *testing.B) {
	cfg := clip.DefaultConfig()
	cfg.Vision.NumHiddenLayers = 1 // unused here; keeps the random init quick
	tok, err := tokenize.Load(reference.Project(b).Path("tokenizers", "clip-tokenizer.json"))
	if err != nil {
		b.Fatal(err)
	}
	classes := []string{"annual crop land", "forest", "brushland or shrubland", "highway or road", "industrial buildings or commercial buildings",
		"pasture land", "permanent crop land", "residential buildings or homes or apartments", "river", "lake or sea"}
	be, _, err := backend.Default()
	if err != nil {
		b.Fatal(err)
	}
	for _, method := range []Method{LayerNorm, BitFit, LoRA, Full} {
		b.Run(string(method), func(b *testing.B) {
			m := clip.NewRandom(cfg, 1)
			s := &Set{Tokenizer: tok, Classes: classes, Templates: zeroshot.SatelliteTemplates}
			prompts, err := s.classPrompts(m)
			if err != nil {
				b.Fatal(err)
			}
			var rule func(string) bool
			switch method {
			case LayerNorm:
				rule = peft.All(Text.rule(false), peft.LayerNorms(m.Config.Params()))
			case BitFit:
				rule = peft.All(Text.rule(false), peft.Biases(m.Config.Params()))
			case LoRA:
				pattern, _ := LoRATargets(Text)
				lora, err := peft.NewLoRA(m.Store, m.Config.Params().Linears(), peft.LoRAConfig{Rank: 8, Alpha: 16, Pattern: pattern}, 1)
				if err != nil {
					b.Fatal(err)
				}
				m.Adapter, rule = lora, lora.Trainable
			case Full:
				rule = Text.rule(true)
			}
			if _, err := peft.Freeze(m.Store, rule); err != nil {
				b.Fatal(err)
			}
			tm := train.Model{Store: m.Store, Forward: func(in []*Node) *Node {
				perImage, _ := m.Logits(in[0], prompts(in[0].Graph()))
				return perImage
			}}
			opt, err := train.NewAdamW(m.Store, nil, func() train.AdamWConfig { c := train.DefaultAdamW(); c.LR, c.TotalSteps = 1e-3, 100; return c }())
			if err != nil {
				b.Fatal(err)
			}
			step, err := train.NewStep(be, tm, opt)
			if err != nil {
				b.Fatal(err)
			}
			emb := make([]float32, 8*512)
			for i := range emb {
				emb[i] = float32(i%13) - 6
			}
			in := []any{tensors.FromFlatDataAndDimensions(emb, 8, 512), tensors.FromFlatDataAndDimensions([]int32{0, 1, 2, 3, 4, 5, 6, 7}, 8)}
			if _, err := step.Call(in...); err != nil { // compiles
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				if _, err := step.Call(in...); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/step")
		})
	}
}
