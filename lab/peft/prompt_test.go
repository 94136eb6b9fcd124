package peft

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/backend"
	"github.com/go-translab/translab/lab/clip"
	"github.com/go-translab/translab/lab/reference"
	"github.com/go-translab/translab/lab/tokenize"
	"github.com/go-translab/translab/lab/train"
	"github.com/go-translab/translab/lab/weights"
)

// coopGolden is what goldens/peft/coop_golden.py wrote with torch and HF transformers for a
// reference set's CLIP and tokenizer.
func coopGolden(s reference.Set) string { return filepath.Join("testdata", s.Name, "coop") }

func clipWithTokenizer(t *testing.T, s reference.Set) (*clip.Model, *tokenize.Tokenizer) {
	t.Helper()
	m, err := clip.LoadDir(s.Path("clip-tiny-random"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenize.Load(s.Path("tokenizers", "clip-tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	return m, tok
}

// TestPromptLearnerParity: with the golden's context vectors, the class features, CLIP's logits,
// the loss and the gradient with respect to the vectors equal those of PyTorch with HF's CLIP.
func TestPromptLearnerParity(t *testing.T) { reference.Each(t, promptLearnerParity) }

func promptLearnerParity(t *testing.T, s reference.Set) {
	m, tok := clipWithTokenizer(t, s)
	coopGolden := coopGolden(s)
	var meta struct {
		Classes []string `json:"classes"`
		Labels  []int32  `json:"labels"`
		NCtx    int      `json:"n_ctx"`
	}
	raw, err := os.ReadFile(filepath.Join(coopGolden, "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		t.Fatal(err)
	}
	p, err := NewPromptLearner(m, tok, meta.Classes, "a photo of a {}.")
	if err != nil {
		t.Fatal(err)
	}
	if p.Context != meta.NCtx {
		t.Fatalf("%d context vectors, want %d", p.Context, meta.NCtx)
	}
	// Our prompts' ids equal the golden's up to each end-of-text token (padding may differ).
	want := readNpy(t, filepath.Join(coopGolden, "input_ids.npy"))
	got := tensors.MustCopyFlatData[int32](p.ids)
	cols, wantCols := p.ids.Shape().Dimensions[1], want.Shape[1]
	for r := range meta.Classes {
		for c := 0; c < wantCols; c++ {
			w := want.I64[r*wantCols+c]
			if c >= cols || int64(got[r*cols+c]) != w {
				t.Fatalf("prompt %d token %d: %v, want %d", r, c, got[r*cols:(r+1)*cols], w)
			}
			if w == int64(m.Config.Text.EOSTokenID) {
				break
			}
		}
	}
	ctx := readNpy(t, filepath.Join(coopGolden, "ctx.npy"))
	if err := m.Store.GetVariable(weights.VarPath(ContextName)).SetValue(tensors.FromFlatDataAndDimensions(ctx.F32, ctx.Shape...)); err != nil {
		t.Fatal(err)
	}
	_, pixels := clipInputs(t, s.Path("clip-tiny-random"))
	b, _, err := backend.Default()
	if err != nil {
		t.Fatal(err)
	}
	out, err := model.CallOnceN(b, m.Store, func(_ *model.Scope, px, labels *Node) []*Node {
		g := px.Graph()
		img := m.Vision(px).Embeds
		logits := p.Logits(img)
		loss := train.CrossEntropy(logits, labels)
		ctxNode := m.Store.GetVariable(weights.VarPath(ContextName)).NodeValue(g)
		return []*Node{clip.Normalize(p.ClassEmbeds(g)), logits, loss, Gradient(loss, ctxNode)[0]}
	}, pixels, tensors.FromFlatDataAndDimensions(meta.Labels, len(meta.Labels)))
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"class_embeds", "logits", "loss", "grad_ctx"} {
		want := readNpy(t, filepath.Join(coopGolden, name+".npy")).F32
		if e := reference.RelErr(tensors.MustCopyFlatData[float32](out[i]), want); !(e <= 1e-4) {
			t.Errorf("%s: relative error %.3g > 1e-4", name, e)
		} else {
			t.Logf("%s: %.2g", name, e)
		}
	}
}

// TestPromptLearnerStartsAtZeroShot: before training, the learned prompts are the template's, so
// the class features are the text tower's features of the written prompts.
func TestPromptLearnerStartsAtZeroShot(t *testing.T) {
	s := reference.Project(t)
	m, tok := clipWithTokenizer(t, s)
	classes := []string{"forest", "annual crop land", "lake or sea"}
	p, err := NewPromptLearner(m, tok, classes, "a centered satellite photo of {}.")
	if err != nil {
		t.Fatal(err)
	}
	if p.Context != 5 || p.Init != "a centered satellite photo of" { // one token a word in the project's vocabulary
		t.Fatalf("context %d %q", p.Context, p.Init)
	}
	b, _, err := backend.Default()
	if err != nil {
		t.Fatal(err)
	}
	var prompts []string
	for _, c := range classes {
		prompts = append(prompts, "a centered satellite photo of "+c+".")
	}
	want, err := m.TextEmbeddings(b, tok, prompts)
	if err != nil {
		t.Fatal(err)
	}
	out, err := model.CallOnce(b, m.Store, func(_ *model.Scope, g *Graph) *Node { return clip.Normalize(p.ClassEmbeds(g)) })
	if err != nil {
		t.Fatal(err)
	}
	if e := reference.RelErr(tensors.MustCopyFlatData[float32](out), want); e > 1e-5 {
		t.Errorf("class features at initialisation differ from the written prompts' by %.3g", e)
	}
	for _, bad := range []string{"{} in a photo.", "a photo of a class.", "a {} of {}."} {
		m2, _ := clipWithTokenizer(t, s)
		if _, err := NewPromptLearner(m2, tok, classes, bad); err == nil || !strings.Contains(err.Error(), "template") {
			t.Errorf("template %q: error %v", bad, err)
		}
	}
	path := filepath.Join(t.TempDir(), "prompt_learner.safetensors")
	if err := p.Save(path); err != nil {
		t.Fatal(err)
	}
	f, err := weights.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if info, ok := f.Info(ContextName); !ok || len(info.Shape) != 2 || info.Shape[0] != 5 || f.Metadata()["ctx_init"] != p.Init {
		t.Errorf("saved context: %v %v, metadata %v", info, ok, f.Metadata())
	}
}

// BenchmarkPromptLearnerStep times one CoOp training step's graph at full size: CLIP ViT-B/16's
// text tower (random weights) reading EuroSAT's 10 class prompts with 5 learned context vectors,
// scored against a batch of 8 image embeddings, loss and gradient. The image tower is not run:
// prompt learning trains on embeddings computed once.
//
//	GOEXPERIMENT=simd go test -run XXX -bench PromptLearnerStep ./lab/peft/
func BenchmarkPromptLearnerStep(b *testing.B) {
	cfg := clip.DefaultConfig()
	cfg.Vision.NumHiddenLayers = 1 // unused here; keeps the random init quick
	m := clip.NewRandom(cfg, 1)
	// The project's BPE vocabulary is smaller than CLIP's, so its ids index the full-size table.
	tok, err := tokenize.Load(reference.Project(b).Path("tokenizers", "clip-tokenizer.json"))
	if err != nil {
		b.Fatal(err)
	}
	classes := []string{"annual crop land", "forest", "brushland or shrubland", "highway or road", "industrial buildings or commercial buildings",
		"pasture land", "permanent crop land", "residential buildings or homes or apartments", "river", "lake or sea"}
	p, err := NewPromptLearner(m, tok, classes, "a centered satellite photo of {}.")
	if err != nil {
		b.Fatal(err)
	}
	be, _, err := backend.Default()
	if err != nil {
		b.Fatal(err)
	}
	exec, err := model.NewExec(be, m.Store, func(_ *model.Scope, emb, labels *Node) []*Node {
		loss := train.CrossEntropy(p.Logits(emb), labels)
		return []*Node{loss, Gradient(loss, m.Store.GetVariable(weights.VarPath(ContextName)).NodeValue(emb.Graph()))[0]}
	})
	if err != nil {
		b.Fatal(err)
	}
	emb := make([]float32, 8*512)
	for i := range emb {
		emb[i] = float32(i%13) - 6
	}
	in := []any{tensors.FromFlatDataAndDimensions(emb, 8, 512), tensors.FromFlatDataAndDimensions([]int32{0, 1, 2, 3, 4, 5, 6, 7}, 8)}
	if _, err := exec.Call(in...); err != nil { // compiles
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := exec.Call(in...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/step")
}
