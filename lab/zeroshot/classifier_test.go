package zeroshot

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/backend"
	"github.com/go-translab/translab/lab/clip"
	"github.com/go-translab/translab/lab/features"
	"github.com/go-translab/translab/lab/reference"
	"github.com/go-translab/translab/lab/tokenize"
)

// The zero-shot classifier is CLIPModel itself: its logits are logits_per_image for the class
// prompts, and an ensemble's class embedding the renormalised mean of its prompts' embeddings.
func TestClassifierAgreesWithTheModel(t *testing.T) {
	m, err := clip.LoadDir(reference.Project(t).Path("clip-tiny-random"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenize.Load(reference.Project(t).Path("tokenizers", "clip-tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	b, _, _ := backend.Default()
	classes := []string{"cat", "dog", "church", "golf ball"}
	size := m.Config.Vision.ImageSize
	pixels := make([]float32, 2*3*size*size)
	for i := range pixels {
		pixels[i] = float32(math.Sin(float64(i) * 0.001))
	}
	img, err := features.Images(b, m, pixels, 2, features.Options{})
	if err != nil {
		t.Fatal(err)
	}

	z, err := NewClassifier(b, m, tok, classes, PhotoTemplate, features.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := z.Logits(img)
	if err != nil {
		t.Fatal(err)
	}
	var prompts []string
	for _, c := range classes {
		prompts = append(prompts, Prompts(PhotoTemplate, c)...)
	}
	enc, _ := tok.EncodeBatch(prompts, tokenize.Options{MaxLength: 77})
	ids, _, err := enc.Tensors()
	if err != nil {
		t.Fatal(err)
	}
	want, err := model.CallOnce(b, m.Store, func(_ *model.Scope, ids, px *Node) *Node {
		perImage, _ := m.Logits(m.Vision(px).Embeds, m.Text(ids).Embeds)
		return perImage
	}, ids, tensors.FromFlatDataAndDimensions(pixels, 2, 3, size, size))
	if err != nil {
		t.Fatal(err)
	}
	if e := reference.RelErr(got, tensors.MustCopyFlatData[float32](want)); e > 1e-5 {
		t.Fatalf("zero-shot logits differ from CLIPModel's by %.3g", e)
	}

	ens, err := NewClassifier(b, m, tok, classes[:1], EnsembleTemplates, features.Options{})
	if err != nil {
		t.Fatal(err)
	}
	each, _ := m.TextEmbeddings(b, tok, Prompts(EnsembleTemplates, classes[0]))
	d := m.Config.ProjectionDim
	mean := make([]float64, d)
	for i := range EnsembleTemplates {
		for j := 0; j < d; j++ {
			mean[j] += float64(each[i*d+j])
		}
	}
	var norm float64
	for _, v := range mean {
		norm += v * v
	}
	wantEmb := make([]float32, d)
	for j, v := range mean {
		wantEmb[j] = float32(v / math.Sqrt(norm))
	}
	if e := reference.RelErr(ens.ClassEmbeds.Data, wantEmb); e > 1e-6 {
		t.Fatalf("ensemble embedding off by %.3g", e)
	}
	best := ranked(got, len(classes), 2)
	for i, r := range best {
		row := got[i*len(classes) : (i+1)*len(classes)]
		if len(r) != 2 || row[r[0]] < row[r[1]] {
			t.Fatalf("ranked %v on %v", best, got)
		}
		for c := range row {
			if c != r[0] && row[c] > row[r[0]] {
				t.Fatalf("ranked %v: class %d scores higher than the best", r, c)
			}
		}
	}
}
