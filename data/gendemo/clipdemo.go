package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/parquet-go/parquet-go"

	"github.com/go-translab/translab/lab/clip"
)

// The CLIP demo: synthetic pictures of coloured shapes, a byte-level BPE tokenizer in CLIP's
// tokenizer.json layout, and a tiny CLIP with random weights.
var shapeClasses = []string{"red circle", "green square", "blue triangle", "yellow ring"}

type picture struct {
	Image struct {
		Bytes []byte `parquet:"bytes"`
		Path  string `parquet:"path"`
	} `parquet:"image"`
	Label int64 `parquet:"label"`
}

func writeCLIPDemo(out string) {
	must(os.MkdirAll(out, 0o755))
	rng := rand.New(rand.NewPCG(2026, 12))
	rows := drawPictures(48, "shape", rng)
	must(parquet.WriteFile(filepath.Join(out, "test.parquet"), rows))
	// The train split (16 shots per class, for the adaptation exercise) is drawn after the test
	// split, so adding it left test.parquet as it was.
	train := drawPictures(64, "train", rng)
	must(parquet.WriteFile(filepath.Join(out, "train.parquet"), train))
	must(os.WriteFile(filepath.Join(out, "README.md"), []byte(clipReadme), 0o644))

	vocab := byteLevelVocab()
	must(writeJSON(filepath.Join(out, "tokenizer.json"), clipTokenizerJSON(vocab)))
	must(writeJSON(filepath.Join(out, "tokenizer_config.json"), map[string]any{
		"model_max_length": 77, "bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>",
		"unk_token": "<|endoftext|>", "pad_token": "<|endoftext|>", "tokenizer_class": "CLIPTokenizer",
	}))
	must(writeJSON(filepath.Join(out, "preprocessor_config.json"), map[string]any{
		"do_resize": true, "size": map[string]int{"shortest_edge": 64}, "do_center_crop": true,
		"crop_size": map[string]int{"height": 64, "width": 64}, "do_rescale": true, "rescale_factor": 1.0 / 255,
		"do_normalize": true, "image_mean": []float64{0.48145466, 0.4578275, 0.40821073},
		"image_std": []float64{0.26862954, 0.26130258, 0.27577711}, "do_convert_rgb": true, "resample": 3,
		"image_processor_type": "CLIPImageProcessor",
	}))
	cfg := clip.DefaultConfig()
	cfg.Text = clip.TowerConfig{HiddenSize: 64, IntermediateSize: 128, NumHiddenLayers: 2, NumAttentionHeads: 2,
		HiddenAct: "quick_gelu", LayerNormEps: 1e-5, VocabSize: len(vocab) + 2, MaxPositionEmbeddings: 77, EOSTokenID: len(vocab) + 1}
	cfg.Vision = clip.TowerConfig{HiddenSize: 64, IntermediateSize: 128, NumHiddenLayers: 2, NumAttentionHeads: 2,
		HiddenAct: "quick_gelu", LayerNormEps: 1e-5, ImageSize: 64, PatchSize: 16, NumChannels: 3}
	cfg.ProjectionDim = 32
	must(cfg.Save(filepath.Join(out, "config.json")))
	must(clip.NewRandom(cfg, 9).Save(filepath.Join(out, "model.safetensors")))
	fmt.Printf("wrote %d pictures of %d shapes, a %d-token byte-level BPE and a tiny CLIP to %s\n", len(rows), len(shapeClasses), len(vocab)+2, out)
}

// drawPictures draws n pictures, the classes in turn, named prefix_NN.png.
func drawPictures(n int, prefix string, rng *rand.Rand) []picture {
	var rows []picture
	for i := 0; i < n; i++ {
		label := i % len(shapeClasses)
		var buf bytes.Buffer
		must(png.Encode(&buf, drawShape(label, rng)))
		var p picture
		p.Image.Bytes, p.Image.Path, p.Label = buf.Bytes(), fmt.Sprintf("%s_%02d.png", prefix, i), int64(label)
		rows = append(rows, p)
	}
	return rows
}

// drawShape draws one class's shape at a random place and size on a noisy background.
func drawShape(label int, rng *rand.Rand) image.Image {
	const size = 64
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	bg := uint8(180 + rng.IntN(60))
	for i := range img.Pix {
		if i%4 == 3 {
			img.Pix[i] = 255
			continue
		}
		img.Pix[i] = bg - uint8(rng.IntN(20))
	}
	colours := []color.RGBA{{220, 30, 30, 255}, {30, 170, 40, 255}, {30, 60, 220, 255}, {230, 200, 20, 255}}
	cx, cy := 20+rng.Float64()*24, 20+rng.Float64()*24
	r := 10 + rng.Float64()*8
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			dx, dy := float64(x)-cx, float64(y)-cy
			var in bool
			switch label {
			case 0:
				in = dx*dx+dy*dy <= r*r
			case 1:
				in = math.Abs(dx) <= r*0.8 && math.Abs(dy) <= r*0.8
			case 2:
				in = dy <= r*0.7 && dy >= -r && math.Abs(dx) <= (dy+r)*0.6
			case 3:
				d := math.Sqrt(dx*dx + dy*dy)
				in = d <= r && d >= r*0.6
			}
			if in {
				img.SetRGBA(x, y, colours[label])
			}
		}
	}
	return img
}

// byteLevelVocab is GPT-2/CLIP's byte-to-character alphabet, in CLIP's vocabulary order: the 256
// characters, then the same with the end-of-word suffix. With no merges, every word is spelled
// out byte by byte, which is all a random demo model needs.
func byteLevelVocab() []string {
	var bs []int
	for b := '!'; b <= '~'; b++ {
		bs = append(bs, int(b))
	}
	for b := '¡'; b <= '¬'; b++ {
		bs = append(bs, int(b))
	}
	for b := '®'; b <= 'ÿ'; b++ {
		bs = append(bs, int(b))
	}
	seen := map[int]bool{}
	for _, b := range bs {
		seen[b] = true
	}
	chars := make([]string, 0, 256)
	for _, b := range bs {
		chars = append(chars, string(rune(b)))
	}
	n := 0
	for b := 0; b < 256; b++ {
		if !seen[b] {
			chars = append(chars, string(rune(256+n)))
			n++
		}
	}
	vocab := append([]string{}, chars...)
	for _, c := range chars {
		vocab = append(vocab, c+"</w>")
	}
	return vocab
}

func clipTokenizerJSON(vocab []string) map[string]any {
	ids := map[string]int{}
	for i, t := range vocab {
		ids[t] = i
	}
	sot, eot := len(vocab), len(vocab)+1
	ids["<|startoftext|>"], ids["<|endoftext|>"] = sot, eot
	added := func(id int, content string, normalized bool) map[string]any {
		return map[string]any{"id": id, "content": content, "single_word": false, "lstrip": false, "rstrip": false, "normalized": normalized, "special": true}
	}
	return map[string]any{
		"version": "1.0", "truncation": nil, "padding": nil,
		"added_tokens": []any{added(sot, "<|startoftext|>", true), added(eot, "<|endoftext|>", false)},
		"normalizer": map[string]any{"type": "Sequence", "normalizers": []any{
			map[string]any{"type": "NFC"},
			map[string]any{"type": "Replace", "pattern": map[string]any{"Regex": `\s+`}, "content": " "},
			map[string]any{"type": "Lowercase"},
		}},
		"pre_tokenizer": map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "Split", "pattern": map[string]any{"Regex": `<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`}, "behavior": "Removed", "invert": true},
			map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true},
		}},
		"post_processor": map[string]any{"type": "RobertaProcessing", "sep": []any{"<|endoftext|>", eot}, "cls": []any{"<|startoftext|>", sot}, "trim_offsets": false, "add_prefix_space": false},
		"decoder":        map[string]any{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
		"model": map[string]any{"type": "BPE", "dropout": nil, "unk_token": "<|endoftext|>", "continuing_subword_prefix": "",
			"end_of_word_suffix": "</w>", "fuse_unk": false, "byte_fallback": false, "vocab": ids, "merges": []string{}},
	}
}

const clipReadme = `---
dataset_info:
  features:
  - name: image
    dtype: image
  - name: label
    dtype:
      class_label:
        names:
          '0': red circle
          '1': green square
          '2': blue triangle
          '3': yellow ring
  splits:
  - name: train
    num_examples: 64
  - name: test
    num_examples: 48
---
# Demo shapes (drawn by the lab)

64×64 pictures of coloured shapes drawn by data/gendemo, in the layout of an HF image dataset, for
the offline CLIP demo. The CLIP model beside them has random weights: its zero-shot accuracy here
means nothing. Adapting it on the train split shows that training works, not what CLIP can do.
`
