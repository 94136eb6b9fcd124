package peft

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/backend"
	"github.com/go-translab/translab/lab/clip"
	"github.com/go-translab/translab/lab/distilbert"
	"github.com/go-translab/translab/lab/npy"
	"github.com/go-translab/translab/lab/reference"
	"github.com/go-translab/translab/lab/train"
	"github.com/go-translab/translab/lab/weights"
)

// loraGolden is the adapter HF peft 0.13.2 saved on a reference set's CLIP, with its outputs
// (goldens/peft/lora_golden.py).
func loraGolden(s reference.Set) string { return filepath.Join("testdata", s.Name, "lora") }

func readNpy(t *testing.T, path string) *npy.Array {
	t.Helper()
	a, err := npy.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// clipInputs are the reference's token ids [captions, 77] and pixel values [images, 3, size, size].
func clipInputs(t *testing.T, ref string) (ids, pixels *tensors.Tensor) {
	idsA := readNpy(t, filepath.Join(ref, "inputs", "input_ids.npy"))
	ids32 := make([]int32, len(idsA.I64))
	for i, v := range idsA.I64 {
		ids32[i] = int32(v)
	}
	pix := readNpy(t, filepath.Join(ref, "inputs", "pixel_values.npy"))
	return tensors.FromFlatDataAndDimensions(ids32, idsA.Shape...), tensors.FromFlatDataAndDimensions(pix.F32, pix.Shape...)
}

// forward runs CLIP's logits_per_image and normalised image embeddings.
func forward(t *testing.T, m *clip.Model, ids, pixels *tensors.Tensor) (logits, embeds []float32) {
	t.Helper()
	b, _, err := backend.Default()
	if err != nil {
		t.Fatal(err)
	}
	out, err := model.CallOnceN(b, m.Store, func(_ *model.Scope, ids, px *Node) []*Node {
		img := m.Vision(px).Embeds
		perImage, _ := m.Logits(img, m.Text(ids).Embeds)
		return []*Node{perImage, clip.Normalize(img)}
	}, ids, pixels)
	if err != nil {
		t.Fatal(err)
	}
	return tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1])
}

// TestLoRAParity loads the adapter HF peft saved (LoRA on the vision tower's q and v projections)
// and compares the adapted CLIP's embeddings, logits, cross-entropy loss and the gradient of every
// LoRA matrix with peft's.
func TestLoRAParity(t *testing.T) {
	reference.Each(t, func(t *testing.T, s reference.Set) { gradParity(t, s, "lora", "vision_model.") })
}

// TestTextLoRAParity: the same with LoRA on the text tower's q and v projections, under the
// target_modules pattern the lab's text-tower strategy writes. With the captions as the classes,
// logits_per_image is the classifier the text-tower strategies train.
func TestTextLoRAParity(t *testing.T) {
	reference.Each(t, func(t *testing.T, s reference.Set) { gradParity(t, s, "lora-text", "text_model.") })
}

// TestTextBitFitParity: BitFit on the text tower as transformers computes it (every bias of
// text_model trainable): the loss and each bias's gradient.
func TestTextBitFitParity(t *testing.T) {
	reference.Each(t, func(t *testing.T, s reference.Set) { gradParity(t, s, "bitfit-text", "text_model.") })
}

// gradParity compares CLIP's outputs and the golden's gradients; a golden with an adapter_config.json
// is a LoRA adapter, loaded first, whose 4 adapted layers must all lie in tower.
func gradParity(t *testing.T, s reference.Set, golden, tower string) {
	ref, dir := s.Path("clip-tiny-random"), filepath.Join("testdata", s.Name, golden)
	m, err := clip.LoadDir(ref)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ConfigFile)); err == nil {
		lora, err := LoadLoRA(dir, m.Store, m.Config.Params().Linears())
		if err != nil {
			t.Fatal(err)
		}
		if len(lora.Layers) != 4 || lora.Config.Scaling() != 2 || !strings.HasPrefix(lora.Layers[0], tower) || !strings.HasPrefix(lora.Layers[3], tower) {
			t.Fatalf("adapter: layers %v, scaling %v; want the 4 q/v projections of %s and 8/4", lora.Layers, lora.Config.Scaling(), tower)
		}
		m.Adapter = lora
	}
	var meta struct {
		Labels []int32  `json:"labels"`
		Grads  []string `json:"grads"`
	}
	raw, err := os.ReadFile(filepath.Join(dir, "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		t.Fatal(err)
	}
	for _, n := range meta.Grads {
		if !strings.HasPrefix(n, tower) {
			t.Fatalf("golden gradient %s is not of %s", n, tower)
		}
	}
	if m.Adapter == nil { // BitFit: the golden's gradients are the tower's biases, all of them
		rule := All(Under(strings.TrimSuffix(tower, ".")), Biases(m.Config.Params()))
		var want []string
		for _, p := range m.Config.Params() {
			if rule(p.Name) {
				want = append(want, p.Name)
			}
		}
		if got := slices.Sorted(slices.Values(meta.Grads)); !slices.Equal(got, want) && !slices.Equal(got, slices.Sorted(slices.Values(want))) {
			t.Fatalf("golden's trainable parameters %v; the lab's BitFit rule picks %v", got, want)
		}
	}
	ids, pixels := clipInputs(t, ref)
	b, _, err := backend.Default()
	if err != nil {
		t.Fatal(err)
	}
	out, err := model.CallOnceN(b, m.Store, func(_ *model.Scope, ids, px, labels *Node) []*Node {
		g := ids.Graph()
		img := m.Vision(px).Embeds
		perImage, _ := m.Logits(img, m.Text(ids).Embeds)
		loss := train.CrossEntropy(perImage, labels)
		var params []*Node
		for _, n := range meta.Grads {
			params = append(params, m.Store.GetVariable(weights.VarPath(n)).NodeValue(g))
		}
		return append([]*Node{clip.Normalize(img), perImage, loss}, Gradient(loss, params...)...)
	}, ids, pixels, tensors.FromFlatDataAndDimensions(meta.Labels, len(meta.Labels)))
	if err != nil {
		t.Fatal(err)
	}
	names := append([]string{"image_embeds", "logits_per_image", "loss"}, meta.Grads...)
	if len(meta.Grads) < 8 {
		t.Fatalf("golden has %d gradients, want at least 8", len(meta.Grads))
	}
	for i, n := range names {
		file := n
		if i >= 3 {
			file = "grad__" + n
		}
		want := readNpy(t, filepath.Join(dir, file+".npy")).F32
		got := tensors.MustCopyFlatData[float32](out[i])
		if strings.HasSuffix(n, "k_proj.bias") {
			// The key bias adds q·b to every score of a query alike, which softmax ignores: its
			// gradient is zero, and both sides hold only rounding noise (~1e-8) to compare.
			if a, b := maxAbs(got), maxAbs(want); !(a < 1e-6 && b < 1e-6) {
				t.Errorf("%s: gradient max |·| %.3g (lab), %.3g (HF); want both zero to rounding", n, a, b)
			}
			continue
		}
		if e := reference.RelErr(got, want); !(e <= 1e-4) {
			t.Errorf("%s: relative error %.3g > 1e-4", n, e)
		} else {
			t.Logf("%s: %.2g", n, e)
		}
	}
}

// TestNewLoRAStartsAtBase: with B at zero the adapted model is the base model, and A has PEFT's
// kaiming-uniform bound.
func TestNewLoRAStartsAtBase(t *testing.T) {
	ref := reference.Project(t).Path("clip-tiny-random")
	m, err := clip.LoadDir(ref)
	if err != nil {
		t.Fatal(err)
	}
	ids, pixels := clipInputs(t, ref)
	baseLogits, _ := forward(t, m, ids, pixels)
	lora, err := NewLoRA(m.Store, m.Config.Params().Linears(), LoRAConfig{Rank: 8, Alpha: 16, Targets: []string{"q_proj", "v_proj"}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(lora.Layers) != 8 { // both towers, 2 layers each, q and v
		t.Fatalf("adapted %d layers, want 8: %v", len(lora.Layers), lora.Layers)
	}
	a, err := floatsOf(m.Store, "text_model.encoder.layers.0.self_attn.q_proj.lora_A.weight")
	if err != nil {
		t.Fatal(err)
	}
	fanIn := m.Config.Text.HiddenSize
	bound := 1 / math.Sqrt(float64(fanIn))
	var maxAbs float64
	for _, v := range a {
		maxAbs = math.Max(maxAbs, math.Abs(float64(v)))
	}
	if maxAbs > bound || maxAbs < 0.9*bound {
		t.Errorf("lora_A max |value| %.4f, want just under 1/√%d = %.4f", maxAbs, fanIn, bound)
	}
	m.Adapter = lora
	got, _ := forward(t, m, ids, pixels)
	if e := reference.RelErr(got, baseLogits); e != 0 {
		t.Errorf("a fresh adapter changed the logits by %.3g; B starts at zero, so it must not", e)
	}
}

// TestSaveLoadMerge: an adapter saved by the lab loads back to the same outputs, and merging it into
// the base weights gives them too.
func TestSaveLoadMerge(t *testing.T) {
	s := reference.Project(t)
	ref, golden := s.Path("clip-tiny-random"), loraGolden(s)
	m, err := clip.LoadDir(ref)
	if err != nil {
		t.Fatal(err)
	}
	ids, pixels := clipInputs(t, ref)
	base, _ := forward(t, m, ids, pixels)
	lora, err := LoadLoRA(golden, m.Store, m.Config.Params().Linears())
	if err != nil {
		t.Fatal(err)
	}
	m.Adapter = lora
	adapted, _ := forward(t, m, ids, pixels)
	if e := reference.RelErr(adapted, base); e < 1e-3 {
		t.Fatalf("the golden adapter barely changes the logits (%.3g); the test would prove nothing", e)
	}
	dir := t.TempDir()
	if err := lora.Save(dir, "clip-tiny-random"); err != nil {
		t.Fatal(err)
	}
	m2, err := clip.LoadDir(ref)
	if err != nil {
		t.Fatal(err)
	}
	lora2, err := LoadLoRA(dir, m2.Store, m2.Config.Params().Linears())
	if err != nil {
		t.Fatal(err)
	}
	if lora2.Config.Pattern != lora.Config.Pattern || lora2.Config.Rank != 4 || lora2.Config.Alpha != 8 {
		t.Errorf("config after a round trip: %+v", lora2.Config)
	}
	m2.Adapter = lora2
	again, _ := forward(t, m2, ids, pixels)
	if e := reference.RelErr(again, adapted); e != 0 {
		t.Errorf("saved and reloaded adapter: logits differ by %.3g", e)
	}
	if err := lora2.Merge(); err != nil {
		t.Fatal(err)
	}
	m2.Adapter = nil
	merged, _ := forward(t, m2, ids, pixels)
	if e := reference.RelErr(merged, adapted); e > 1e-5 {
		t.Errorf("merged weights: logits differ from the adapter's by %.3g", e)
	}
}

// TestLoadLoRAErrors: each bad adapter is refused with an error naming the file and the fault, and
// the store is left without LoRA matrices.
func TestLoadLoRAErrors(t *testing.T) {
	s := reference.Project(t)
	ref, golden := s.Path("clip-tiny-random"), loraGolden(s)
	cfg, err := clip.LoadConfig(filepath.Join(ref, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	// lora_A of a vision q_proj is [r, hidden]: the golden's r is 4, the edited config's 8.
	hidden := cfg.Vision.HiddenSize
	good, err := os.ReadFile(filepath.Join(golden, ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	tensorsFile, err := os.ReadFile(filepath.Join(golden, WeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	edit := func(field string, value any) []byte {
		var c map[string]any
		if err := json.Unmarshal(good, &c); err != nil {
			t.Fatal(err)
		}
		if value == nil {
			delete(c, field)
		} else {
			c[field] = value
		}
		out, _ := json.Marshal(c)
		return out
	}
	cases := []struct {
		name     string
		config   []byte
		noTensor bool
		want     []string
	}{
		{"not json", []byte("{"), false, []string{ConfigFile, "unexpected end"}},
		{"prefix tuning", edit("peft_type", "PREFIX_TUNING"), false, []string{ConfigFile, "peft_type", "PREFIX_TUNING"}},
		{"dora", edit("use_dora", true), false, []string{ConfigFile, "use_dora"}},
		{"no targets", edit("target_modules", nil), false, []string{ConfigFile, "target_modules", "missing"}},
		{"targets match nothing", edit("target_modules", []string{"query"}), false, []string{ConfigFile, "query", "match none"}},
		{"rank 0", edit("r", 0), false, []string{ConfigFile, "r = 0"}},
		{"rank differs from the file", edit("r", 8), false, []string{WeightsFile, "lora_A.weight", fmt.Sprintf("[4 %d]", hidden), fmt.Sprintf("[8 %d]", hidden)}},
		{"more layers than the file", edit("target_modules", []string{"q_proj", "v_proj"}), false, []string{WeightsFile, "missing", "text_model.encoder.layers.0.self_attn.q_proj.lora_A.weight"}},
		{"no weights file", good, true, []string{WeightsFile}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, ConfigFile), c.config, 0o644); err != nil {
				t.Fatal(err)
			}
			if !c.noTensor {
				if err := os.WriteFile(filepath.Join(dir, WeightsFile), tensorsFile, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			m, err := clip.LoadDir(ref)
			if err != nil {
				t.Fatal(err)
			}
			_, err = LoadLoRA(dir, m.Store, m.Config.Params().Linears())
			if err == nil {
				t.Fatal("loaded a bad adapter")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			for v := range m.Store.IterVariables() {
				if strings.Contains(v.Path(), "lora_") {
					t.Fatalf("a refused adapter left %s in the store", v.Path())
				}
			}
		})
	}
}

// TestLoRADistilBERTParity loads an adapter HF peft trained for sequence classification (LoRA on
// q_lin and v_lin; the head saved whole as modules_to_save) onto the reference tiny DistilBERT and
// compares the logits with peft's.
func TestLoRADistilBERTParity(t *testing.T) { reference.Each(t, loraDistilBERTParity) }

func loraDistilBERTParity(t *testing.T, s reference.Set) {
	ref := s.Path("distilbert-tiny-random")
	m, err := distilbert.LoadDir(ref, distilbert.RequireHead)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("testdata", s.Name, "lora-distilbert")
	lora, err := LoadLoRA(dir, m.Store, m.Config.Params(true).Linears())
	if err != nil {
		t.Fatal(err)
	}
	if len(lora.Layers) != 2*m.Config.NLayers || !slices.Equal(lora.Saved, []string{"pre_classifier", "classifier"}) {
		t.Fatalf("adapted %v, saved whole %v", lora.Layers, lora.Saved)
	}
	m.Adapter = lora
	ids := readNpy(t, filepath.Join(ref, "inputs", "pad_input_ids.npy"))
	mask := readNpy(t, filepath.Join(ref, "inputs", "pad_attention_mask.npy"))
	toInt32 := func(a *npy.Array) *tensors.Tensor {
		v := make([]int32, len(a.I64))
		for i, x := range a.I64 {
			v[i] = int32(x)
		}
		return tensors.FromFlatDataAndDimensions(v, a.Shape...)
	}
	b, _, err := backend.Default()
	if err != nil {
		t.Fatal(err)
	}
	out, err := model.CallOnce(b, m.Store, func(_ *model.Scope, ids, mask *Node) *Node { return m.Logits(ids, mask) }, toInt32(ids), toInt32(mask))
	if err != nil {
		t.Fatal(err)
	}
	want := readNpy(t, filepath.Join(dir, "logits.npy")).F32
	if e := reference.RelErr(tensors.MustCopyFlatData[float32](out), want); !(e <= 1e-4) {
		t.Errorf("logits: relative error %.3g > 1e-4", e)
	} else {
		t.Logf("logits: %.2g", e)
	}
	// Saved again by the lab, the adapter keeps PEFT's layout: the head under its plain names.
	again := t.TempDir()
	if err := lora.Save(again, "distilbert-tiny-random"); err != nil {
		t.Fatal(err)
	}
	f, err := weights.Open(filepath.Join(again, WeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	orig, err := weights.Open(filepath.Join(dir, WeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	if !slices.Equal(f.Names(), orig.Names()) {
		t.Errorf("tensor names after a round trip:\n%v\nwant\n%v", f.Names(), orig.Names())
	}
}

func maxAbs(x []float32) float64 {
	var m float64
	for _, v := range x {
		m = math.Max(m, math.Abs(float64(v)))
	}
	return m
}

// TestLabAdapterInPEFT: adapters the lab saves for the text tower and for both towers are what
// Python's PeftModel.from_pretrained loads: goldens/peft/lab_adapter_check.py loaded the committed
// ones onto the reference CLIP and wrote its logits, and the lab's adapter gives the same. The
// adapter is made here again (seeded A, B set to small seeded values so that it changes the
// logits) and must save to the committed files byte for byte, so the check holds for what the lab
// writes now. LAB_WRITE_PEFT_ADAPTERS=1 rewrites the committed adapters (then rerun the script).
func TestLabAdapterInPEFT(t *testing.T) {
	s := reference.Project(t)
	ref := s.Path("clip-tiny-random")
	for _, c := range []struct {
		name   string
		cfg    LoRAConfig
		layers int
		prefix string
	}{
		{"lab-lora-text", LoRAConfig{Rank: 4, Alpha: 8, Pattern: `text_model\..*\.(q_proj|v_proj)`}, 4, "text_model."},
		{"lab-lora-both", LoRAConfig{Rank: 4, Alpha: 8, Targets: []string{"q_proj", "v_proj"}}, 8, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := clip.LoadDir(ref)
			if err != nil {
				t.Fatal(err)
			}
			ids, pixels := clipInputs(t, ref)
			base, _ := forward(t, m, ids, pixels)
			lora, err := NewLoRA(m.Store, m.Config.Params().Linears(), c.cfg, 5)
			if err != nil {
				t.Fatal(err)
			}
			if len(lora.Layers) != c.layers || !strings.HasPrefix(lora.Layers[0], c.prefix) {
				t.Fatalf("adapted %v", lora.Layers)
			}
			rng := rand.New(rand.NewPCG(6, 0))
			for _, layer := range lora.Layers {
				_, bn := MatrixNames(layer)
				v := m.Store.GetVariable(weights.VarPath(bn))
				vals := make([]float32, v.Shape().Size())
				for i := range vals {
					vals[i] = float32(0.05 * (2*rng.Float64() - 1))
				}
				if err := v.SetValue(tensors.FromFlatDataAndDimensions(vals, v.Shape().Dimensions...)); err != nil {
					t.Fatal(err)
				}
			}
			m.Adapter = lora
			got, _ := forward(t, m, ids, pixels)
			if e := reference.RelErr(got, base); e < 1e-3 {
				t.Fatalf("the adapter barely changes the logits (%.3g); the check would prove nothing", e)
			}
			committed := filepath.Join("testdata", s.Name, c.name)
			dir := t.TempDir()
			if os.Getenv("LAB_WRITE_PEFT_ADAPTERS") == "1" {
				dir = committed
			}
			if err := lora.Save(dir, "goldens/reference/clip-tiny-random"); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{ConfigFile, WeightsFile} {
				a, err := os.ReadFile(filepath.Join(dir, f))
				if err != nil {
					t.Fatal(err)
				}
				b, err := os.ReadFile(filepath.Join(committed, f))
				if err != nil {
					t.Fatal(err)
				}
				if string(a) != string(b) {
					t.Errorf("%s: the lab now writes other bytes than the committed adapter PEFT was checked on", f)
				}
			}
			want := readNpy(t, filepath.Join(committed, "logits_per_image.npy")).F32
			if e := reference.RelErr(got, want); !(e <= 1e-4) {
				t.Errorf("logits: the lab's %v, PeftModel.from_pretrained's %v: relative error %.3g > 1e-4", got, want, e)
			} else {
				t.Logf("logits against PEFT's: %.2g", e)
			}
		})
	}
}
