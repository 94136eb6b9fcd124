package clip

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/backend"
	"github.com/go-translab/translab/lab/npy"
	"github.com/go-translab/translab/lab/reference"
)

// referenceDir is the project's clip-tiny-random (goldens/reference), for tests that need a
// checkpoint; the parity tests run on it and on the held-out shared copy (reference.Each).
func referenceDir(t testing.TB) string { return reference.Project(t).Path("clip-tiny-random") }

// eachReference runs f on every copy of clip-tiny-random: the project's, then the shared one.
func eachReference(t *testing.T, f func(t *testing.T, ref string)) {
	reference.Each(t, func(t *testing.T, s reference.Set) { f(t, s.Path("clip-tiny-random")) })
}

func relErr(got, want []float32) float64 { return reference.RelErr(got, want) }

func TestParity(t *testing.T) {
	eachReference(t, func(t *testing.T, ref string) { testParity(t, ref, dtypes.Float32, 1e-4, 1e-4) })
}

// TestParityBF16 runs CLIP with autocast-style bfloat16 matmuls against HF's float32 outputs.
// bfloat16's unit roundoff is 2⁻⁸ ≈ 3.9e-3 per operand. Measured on clip-tiny-random (pure-Go
// backend): hidden states, pooled outputs and embeddings 4.3e-3 … 6.1e-3, logits 1.3e-2. The
// logits are looser because they are cosines times exp(logit_scale): an error in the direction
// of the unit embeddings is scaled by up to 100 while the largest logit is not. Bounds ~3×.
func TestParityBF16(t *testing.T) {
	eachReference(t, func(t *testing.T, ref string) { testParity(t, ref, dtypes.BFloat16, 2e-2, 4e-2) })
}

func testParity(t *testing.T, ref string, compute dtypes.DType, tol, logitTol float64) {
	m, err := LoadDir(ref)
	if err != nil {
		t.Fatal(err)
	}
	m.Compute = compute
	b, _, err := backend.Default()
	if err != nil {
		t.Fatal(err)
	}
	idsA, err := npy.Read(filepath.Join(ref, "inputs", "input_ids.npy"))
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int32, len(idsA.I64))
	for i, v := range idsA.I64 {
		ids[i] = int32(v)
	}
	pix, err := npy.Read(filepath.Join(ref, "inputs", "pixel_values.npy"))
	if err != nil {
		t.Fatal(err)
	}
	names := []string{
		"text_last_hidden_state", "text_pooler_output", "text_embeds_unnorm", "text_embeds",
		"vision_last_hidden_state", "vision_pooler_output", "image_embeds_unnorm", "image_embeds",
		"logits_per_image", "logits_per_text",
	}
	exec, err := model.NewExec(b, m.Store, func(_ *model.Scope, ids, pixels *Node) []*Node {
		txt, img := m.Text(ids), m.Vision(pixels)
		perImage, perText := m.Logits(img.Embeds, txt.Embeds)
		return []*Node{txt.LastHiddenState, txt.Pooled, txt.Embeds, Normalize(txt.Embeds),
			img.LastHiddenState, img.Pooled, img.Embeds, Normalize(img.Embeds), perImage, perText}
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Call(tensors.FromFlatDataAndDimensions(ids, idsA.Shape...), tensors.FromFlatDataAndDimensions(pix.F32, pix.Shape...))
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range names {
		want, err := npy.Read(filepath.Join(ref, "expected", name+".npy"))
		if err != nil {
			t.Fatal(err)
		}
		if out[i].DType() != dtypes.Float32 {
			t.Errorf("%s: dtype %s, want float32", name, out[i].DType())
			continue
		}
		got := tensors.MustCopyFlatData[float32](out[i])
		if len(got) != len(want.F32) {
			t.Errorf("%s: %v values, reference %v", name, out[i].Shape().Dimensions, want.Shape)
			continue
		}
		tol := tol
		if strings.HasPrefix(name, "logits") {
			tol = logitTol
		}
		if e := relErr(got, want.F32); e > tol || math.IsNaN(e) {
			t.Errorf("%s: relative error %.3g > %.0g", name, e, tol)
		} else {
			t.Logf("%s: relative error %.2g", name, e)
		}
	}
}

// TestParityGradients: gradients of the mean cross-entropy of logits_per_image against one text
// per image, through both towers, the projections and logit_scale, against HF's. Only the
// project's reference holds them (make_reference.py computes them; the shared one has none).
func TestParityGradients(t *testing.T) {
	ref := referenceDir(t)
	m, err := LoadDir(ref)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := backend.Default()
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) *npy.Array {
		a, err := npy.Read(filepath.Join(ref, name))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	ints := func(a *npy.Array) *tensors.Tensor {
		v := make([]int32, len(a.I64))
		for i, x := range a.I64 {
			v[i] = int32(x)
		}
		return tensors.FromFlatDataAndDimensions(v, a.Shape...)
	}
	names := []string{
		"logit_scale", "text_projection.weight", "visual_projection.weight",
		"text_model.embeddings.token_embedding.weight", "text_model.embeddings.position_embedding.weight",
		"text_model.encoder.layers.0.self_attn.q_proj.weight", "text_model.encoder.layers.1.mlp.fc1.bias",
		"text_model.final_layer_norm.weight",
		"vision_model.embeddings.class_embedding", "vision_model.embeddings.patch_embedding.weight",
		"vision_model.pre_layrnorm.bias", "vision_model.encoder.layers.0.self_attn.out_proj.weight",
		"vision_model.encoder.layers.1.layer_norm2.weight", "vision_model.post_layernorm.bias",
	}
	pix := read("inputs/pixel_values.npy")
	exec, err := model.NewExec(b, m.Store, func(_ *model.Scope, ids, pixels, labels *Node) []*Node {
		perImage, _ := m.Logits(m.Vision(pixels).Embeds, m.Text(ids).Embeds)
		logp := LogSoftmax(perImage, -1)
		loss := Neg(ReduceAllMean(ReduceSum(Mul(logp, OneHot(labels, perImage.Shape().Dimensions[1], logp.DType())), -1)))
		params := make([]*Node, len(names))
		for i, n := range names {
			params[i] = m.p().Node(ids.Graph(), n)
		}
		return append([]*Node{loss}, Gradient(loss, params...)...)
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Call(ints(read("inputs/input_ids.npy")), tensors.FromFlatDataAndDimensions(pix.F32, pix.Shape...), ints(read("inputs/image_labels.npy")))
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range append([]string{"loss"}, names...) {
		file := "expected/loss.npy"
		if i > 0 {
			file = "expected/grad__" + name + ".npy"
		}
		want := read(file)
		got := tensors.MustCopyFlatData[float32](out[i])
		if len(got) != len(want.F32) {
			t.Errorf("%s: %v values, reference %v", name, out[i].Shape().Dimensions, want.Shape)
			continue
		}
		if e := relErr(got, want.F32); e > 1e-4 || math.IsNaN(e) {
			t.Errorf("%s: relative error %.3g > 1e-4", name, e)
		} else {
			t.Logf("%s: relative error %.2g", name, e)
		}
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Text = TowerConfig{HiddenSize: 32, IntermediateSize: 64, NumHiddenLayers: 1, NumAttentionHeads: 2, HiddenAct: "quick_gelu",
		LayerNormEps: 1e-5, VocabSize: 300, MaxPositionEmbeddings: 77, EOSTokenID: 299}
	cfg.Vision = TowerConfig{HiddenSize: 48, IntermediateSize: 96, NumHiddenLayers: 1, NumAttentionHeads: 3, HiddenAct: "quick_gelu",
		LayerNormEps: 1e-5, ImageSize: 64, PatchSize: 16, NumChannels: 3}
	cfg.ProjectionDim = 24
	m := NewRandom(cfg, 1)
	dir := t.TempDir()
	if err := cfg.Save(filepath.Join(dir, "config.json")); err != nil {
		t.Fatal(err)
	}
	if err := m.Save(filepath.Join(dir, "model.safetensors")); err != nil {
		t.Fatal(err)
	}
	back, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if back.Config.Vision.ImageSize != 64 || back.Config.Text.EOSTokenID != 299 || back.Config.ProjectionDim != 24 {
		t.Fatalf("config round trip: %+v", back.Config)
	}
	for v := range m.Store.IterVariables() {
		a := tensors.MustCopyFlatData[float32](v.MustValue())
		b := tensors.MustCopyFlatData[float32](back.Store.GetVariable(v.Path()).MustValue())
		if reference.RelErr(b, a) != 0 {
			t.Fatalf("%s changed in the round trip", v.Path())
		}
	}
}
