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
	"slices"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/go-translab/translab/lab/clip"
	"github.com/go-translab/translab/lab/imageproc"
	"github.com/go-translab/translab/lab/tokenize"
)

// The CLIP demo: synthetic pictures of coloured shapes, a byte-level BPE tokenizer in CLIP's
// tokenizer.json layout, and a tiny CLIP pretrained contrastively on captioned pictures.
//
// Each colour comes in two shapes and each shape in two colours, so neither the colour nor the
// shape alone names a class: the text tower has to read both words of a prompt.
var shapeClasses = []struct{ colour, shape int }{
	{0, 0}, {1, 1}, {2, 2}, {3, 3}, // red circle, green square, blue triangle, yellow ring
	{2, 1}, {0, 2}, {3, 0}, {1, 3}, // blue square, red triangle, yellow circle, green ring
}

var (
	colourNames = []string{"red", "green", "blue", "yellow"}
	shapeNames  = []string{"circle", "square", "triangle", "ring"}
	colours     = []color.RGBA{{220, 30, 30, 255}, {30, 170, 40, 255}, {30, 60, 220, 255}, {230, 200, 20, 255}}
)

func className(label int) string {
	c := shapeClasses[label]
	return colourNames[c.colour] + " " + shapeNames[c.shape]
}

type picture struct {
	Image struct {
		Bytes []byte `parquet:"bytes"`
		Path  string `parquet:"path"`
	} `parquet:"image"`
	Label int64 `parquet:"label"`
}

func writeCLIPDemo(out string) {
	must(os.MkdirAll(out, 0o755))
	start := time.Now()
	n := len(shapeClasses)
	rng := rand.New(rand.NewPCG(2026, 12))
	rows := drawPictures(12*n, "shape", rng)
	must(parquet.WriteFile(filepath.Join(out, "test.parquet"), rows))
	// The train split: 16 shots per class, for the adaptation exercise.
	train := drawPictures(16*n, "train", rng)
	must(parquet.WriteFile(filepath.Join(out, "train.parquet"), train))
	must(os.WriteFile(filepath.Join(out, "README.md"), []byte(clipReadme()), 0o644))

	// The merges are learned on the words of the pretraining captions, so each of those is one
	// token; other words are spelled in pieces, down to single bytes.
	base := byteLevelVocab()
	merges, merged := learnMerges(captionWords())
	vocab := append(slices.Clone(base), merged...)
	must(writeJSON(filepath.Join(out, "tokenizer.json"), clipTokenizerJSON(vocab, merges)))
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
	m := clip.NewRandom(cfg, 9)
	tok, err := tokenize.Load(out)
	must(err)
	proc, err := imageproc.LoadConfig(filepath.Join(out, "preprocessor_config.json"))
	must(err)
	must(pretrainCLIP(m, tok, proc))
	must(m.Save(filepath.Join(out, "model.safetensors")))
	fmt.Printf("wrote %d + %d pictures of %d shapes, a %d-token byte-level BPE and a tiny CLIP pretrained on captioned pictures to %s (%s)\n",
		len(rows), len(train), n, len(vocab)+2, out, time.Since(start).Round(time.Second))
}

// drawPictures draws n pictures, the classes in turn, named prefix_NN.png.
func drawPictures(n int, prefix string, rng *rand.Rand) []picture {
	var rows []picture
	for i := 0; i < n; i++ {
		label := i % len(shapeClasses)
		var p picture
		p.Image.Bytes, p.Image.Path, p.Label = drawPNG(label, rng), fmt.Sprintf("%s_%02d.png", prefix, i), int64(label)
		rows = append(rows, p)
	}
	return rows
}

func drawPNG(label int, rng *rand.Rand) []byte {
	var buf bytes.Buffer
	must(png.Encode(&buf, drawShape(label, rng)))
	return buf.Bytes()
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
	cx, cy := 20+rng.Float64()*24, 20+rng.Float64()*24
	r := 10 + rng.Float64()*8
	shape := shapeClasses[label].shape
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			if inside(shape, float64(x)-cx, float64(y)-cy, r) {
				img.SetRGBA(x, y, colours[shapeClasses[label].colour])
			}
		}
	}
	return img
}

func inside(shape int, dx, dy, r float64) bool {
	switch shape {
	case 0:
		return dx*dx+dy*dy <= r*r
	case 1:
		return math.Abs(dx) <= r*0.8 && math.Abs(dy) <= r*0.8
	case 2:
		return dy <= r*0.7 && dy >= -r && math.Abs(dx) <= (dy+r)*0.6
	default:
		d := math.Sqrt(dx*dx + dy*dy)
		return d <= r && d >= r*0.6
	}
}

// Pretraining pictures come in three styles, each with its own captions: photos (as in the demo's
// splits), sketches (a grey outline on white: no colour) and blurry photos (colour, but the shape
// smeared). A caption's style words thus say what to look at, as real alt-texts do, and a prompt's
// template matters: "a sketch of a {}." asks for an outline, not a colour.
var styleTemplates = [][]string{
	{"a photo of a {}.", "a picture of a {}.", "an image of a {}.", "a {}.", "a {} on a plain background.",
		"the {}.", "a small {}.", "a large {}.", "a centered photo of a {}.", "a photo of the {}.",
		"a close-up photo of a {}.", "a centered picture of the {}.", "a {} shape."},
	{"a sketch of a {}.", "a drawing of a {}.", "a pencil sketch of the {}.", "a line drawing of a {}.", "a sketch of the {}."},
	{"a blurry photo of a {}.", "a blurry picture of the {}.", "a blurred image of a {}.", "a blurry {}."},
}

// drawStyled draws a pretraining picture of a class in a style (0 photo, 1 sketch, 2 blurry).
func drawStyled(label, style int, rng *rand.Rand) []byte {
	img := drawShape(label, rng).(*image.RGBA)
	switch style {
	case 1:
		ink := uint8(40 + rng.IntN(50))
		const size = 64
		out := image.NewRGBA(img.Rect)
		colour := colours[shapeClasses[label].colour]
		painted := func(x, y int) bool {
			if x < 0 || y < 0 || x >= size || y >= size {
				return false
			}
			return img.RGBAAt(x, y) == colour
		}
		for y := 0; y < size; y++ {
			for x := 0; x < size; x++ {
				v := uint8(235 + rng.IntN(20))
				if painted(x, y) && !(painted(x-2, y) && painted(x+2, y) && painted(x, y-2) && painted(x, y+2)) {
					v = ink
				}
				out.SetRGBA(x, y, color.RGBA{v, v, v, 255})
			}
		}
		img = out
	case 2:
		img = boxBlur(boxBlur(img, 3), 3)
	}
	var buf bytes.Buffer
	must(png.Encode(&buf, img))
	return buf.Bytes()
}

func boxBlur(img *image.RGBA, k int) *image.RGBA {
	b := img.Rect
	out := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			var sum [3]int
			n := 0
			for yy := max(y-k, b.Min.Y); yy <= min(y+k, b.Max.Y-1); yy++ {
				for xx := max(x-k, b.Min.X); xx <= min(x+k, b.Max.X-1); xx++ {
					c := img.RGBAAt(xx, yy)
					sum[0], sum[1], sum[2] = sum[0]+int(c.R), sum[1]+int(c.G), sum[2]+int(c.B)
					n++
				}
			}
			out.SetRGBA(x, y, color.RGBA{uint8(sum[0] / n), uint8(sum[1] / n), uint8(sum[2] / n), 255})
		}
	}
	return out
}

// byteLevelVocab is GPT-2/CLIP's byte-to-character alphabet, in CLIP's vocabulary order: the 256
// characters, then the same with the end-of-word suffix.
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

func clipTokenizerJSON(vocab, merges []string) map[string]any {
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
			"end_of_word_suffix": "</w>", "fuse_unk": false, "byte_fallback": false, "vocab": ids, "merges": merges},
	}
}

func clipReadme() string {
	var names strings.Builder
	for i := range shapeClasses {
		fmt.Fprintf(&names, "          '%d': %s\n", i, className(i))
	}
	return fmt.Sprintf(`---
dataset_info:
  features:
  - name: image
    dtype: image
  - name: label
    dtype:
      class_label:
        names:
%s  splits:
  - name: train
    num_examples: %d
  - name: test
    num_examples: %d
---
# Demo shapes (drawn by the lab)

64×64 pictures of coloured shapes drawn by data/gendemo, in the layout of an HF image dataset, for
the offline CLIP demo. The tiny CLIP beside them was pretrained by data/gendemo, contrastively, on
other pictures of the same shapes with captions ("a drawing of a red circle."): zero-shot works on
them, and the prompt matters. Its numbers say how the lab's steps behave, not what CLIP can do.
`, names.String(), 16*len(shapeClasses), 12*len(shapeClasses))
}
