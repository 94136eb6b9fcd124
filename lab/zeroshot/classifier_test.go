package clip

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/backend"
	"github.com/go-translab/translab/lab/reference"
	"github.com/go-translab/translab/lab/tokenize"
)

func TestZeroShotAgreesWithTheModel(t *testing.T) {
	m, err := LoadDir(referenceDir(t))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenize.Load(reference.Dir(t, "tokenizers", "clip-tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	b, _, _ := backend.Default()
	classes := []string{"cat", "dog", "church", "golf ball"}
	pixels := make([]float32, 2*3*224*224)
	for i := range pixels {
		pixels[i] = float32(math.Sin(float64(i) * 0.001))
	}
	img, err := m.ImageEmbeddings(b, pixels, 2)
	if err != nil {
		t.Fatal(err)
	}

	// One template: the classifier's logits are CLIPModel's logits_per_image for those prompts.
	z, err := NewZeroShot(b, m, tok, classes, PhotoTemplate)
	if err != nil {
		t.Fatal(err)
	}
	got, err := z.Logits(img, 2)
	if err != nil {
		t.Fatal(err)
	}
	var prompts []string
	for _, c := range classes {
		prompts = append(prompts, Prompts(PhotoTemplate, c)...)
	}
	enc, _ := tok.EncodeBatch(prompts, tokenize.Options{MaxLength: 77})
	ids, _, rows, cols, _ := enc.Int32()
	want, err := model.CallOnce(b, m.Store, func(_ *model.Scope, ids, px *Node) *Node {
		perImage, _ := m.Logits(m.Vision(px).Embeds, m.Text(ids).Embeds)
		return perImage
	}, tensors.FromFlatDataAndDimensions(ids, rows, cols), tensors.FromFlatDataAndDimensions(pixels, 2, 3, 224, 224))
	if err != nil {
		t.Fatal(err)
	}
	if e := reference.RelErr(got, tensors.MustCopyFlatData[float32](want)); e > 1e-5 {
		t.Fatalf("zero-shot logits differ from CLIPModel's by %.3g", e)
	}

	// An ensemble's class embedding is the renormalised mean of its prompts' normalised embeddings.
	ens, err := NewZeroShot(b, m, tok, classes[:1], EnsembleTemplates)
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
	wantEmb := make([]float32, d)
	normalizeInto(wantEmb, mean)
	if e := reference.RelErr(ens.ClassEmbeds, wantEmb); e > 1e-6 {
		t.Fatalf("ensemble embedding off by %.3g", e)
	}
	if best := BestClasses(got, len(classes), 2); len(best) != 2 || len(best[0]) != 2 || got[best[0][0]] < got[best[0][1]] {
		t.Fatalf("BestClasses %v on %v", best, got)
	}
}
