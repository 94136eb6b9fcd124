package adapt

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/parquet-go/parquet-go"

	"github.com/go-translab/translab/lab/backend"
	"github.com/go-translab/translab/lab/clip"
	"github.com/go-translab/translab/lab/datasets"
	"github.com/go-translab/translab/lab/npy"
	"github.com/go-translab/translab/lab/peft"
	"github.com/go-translab/translab/lab/session"
	"github.com/go-translab/translab/lab/svm"
	"github.com/go-translab/translab/lab/weights"
	"github.com/go-translab/translab/lab/zeroshot"
)

func demoLab(t *testing.T) (*session.Session, *session.Dataset) {
	t.Helper()
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // the embedding caches and the default output folders
	o := session.CLIP(true)
	o.Progress = io.Discard
	s, err := session.Setup(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Dataset(context.Background(), "eurosat")
	if err != nil {
		t.Fatal(err)
	}
	return s, d
}

// dirDataset opens an image dataset folder the way the session opens the demo's.
func dirDataset(t *testing.T, dir string, like *session.Dataset) *session.Dataset {
	t.Helper()
	ds, err := datasets.OpenDir(datasets.Spec{ID: dir, ImageColumn: "image", LabelColumn: "label"}, dir)
	if err != nil {
		t.Fatal(err)
	}
	return &session.Dataset{Dataset: ds, Name: like.Name, Title: "copy of " + like.Title, Entry: like.Entry, Classes: ds.LabelNames, Demo: true}
}

// testRows is the size of the demo's test split, which Prepare holds out whole.
func testRows(t *testing.T, d *session.Dataset) int {
	t.Helper()
	test, err := d.Split("test")
	if err != nil {
		t.Fatal(err)
	}
	return test.NumRows
}

// TestPrepareDemo: 16 shots of each of the demo's classes, the whole test split held out, and
// zero-shot scored on it exactly as the zero-shot exercise scores it.
func TestPrepareDemo(t *testing.T) {
	l, d := demoLab(t)
	s, err := Prepare(context.Background(), l, d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	classes, held := len(d.Classes), testRows(t, d)
	if len(s.Classes) != classes || classes < 2 {
		t.Fatalf("%d classes in the set, %d in the dataset", len(s.Classes), classes)
	}
	if len(s.Train) != 16*classes || len(s.Eval) != held || len(s.Images) != 16*classes {
		t.Fatalf("%d training (%d images) and %d held-out examples; want %d and %d", len(s.Train), len(s.Images), len(s.Eval), 16*classes, held)
	}
	perClass := map[int]int{}
	for _, e := range s.Train {
		perClass[e.Label]++
		if px := e.Fields[PixelValues].([]float32); len(px) != 3*64*64 {
			t.Fatalf("an example has %d pixel values, want 3×64×64", len(px))
		}
	}
	for c := range classes {
		if perClass[c] != 16 {
			t.Errorf("class %d has %d shots, want 16", c, perClass[c])
		}
	}
	zs, err := s.EvaluateZeroShot()
	if err != nil {
		t.Fatal(err)
	}
	ev, err := zeroshot.Evaluate(context.Background(), s.ZeroShot, s.Processor, d, zeroshot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := zs.Accuracy, ev.TopK(1); got != want {
		t.Errorf("zero-shot accuracy on the held-out images %.4f, the zero-shot exercise's %.4f", got, want)
	}
}

// TestDrawShots: a seeded, per-class uniform sample — the same rows for the same seed, others for
// another, and every class gets its shots.
func TestDrawShots(t *testing.T) {
	type row struct {
		Image struct {
			Bytes []byte `parquet:"bytes"`
			Path  string `parquet:"path"`
		} `parquet:"image"`
		Label int64 `parquet:"label"`
	}
	dir := t.TempDir()
	var rows []row
	for i := range 60 {
		var r row
		r.Image.Bytes, r.Image.Path, r.Label = []byte{byte(i)}, "", int64(i%3)
		rows = append(rows, r)
	}
	if err := parquet.WriteFile(filepath.Join(dir, "train.parquet"), rows); err != nil {
		t.Fatal(err)
	}
	ds, err := datasets.OpenDir(datasets.Spec{ID: dir, ImageColumn: "image", LabelColumn: "label"}, dir)
	if err != nil {
		t.Fatal(err)
	}
	split, err := ds.Split("train")
	if err != nil {
		t.Fatal(err)
	}
	draw := func(seed uint64) []int {
		rows := 0
		picked, err := drawShots(context.Background(), split, 3, 4, seed, func() { rows++ })
		if rows != 60 {
			t.Errorf("progress counted %d rows of 60", rows)
		}
		if err != nil {
			t.Fatal(err)
		}
		var ids []int
		for c, rs := range picked {
			if len(rs) != 4 {
				t.Fatalf("class %d: %d shots, want 4", c, len(rs))
			}
			for _, r := range rs {
				if r.Label != c || int(r.Image.Bytes[0])%3 != c {
					t.Fatalf("class %d got row %d of label %d", c, r.Index, r.Label)
				}
				ids = append(ids, int(r.Image.Bytes[0]))
			}
		}
		return ids
	}
	a, b, c := draw(1), draw(1), draw(2)
	if !slices.Equal(a, b) {
		t.Errorf("same seed, different draws: %v vs %v", a, b)
	}
	if slices.Equal(a, c) {
		t.Errorf("seeds 1 and 2 drew the same rows %v", a)
	}
	if _, err := drawShots(context.Background(), split, 2, 4, 1, func() {}); err == nil || !strings.Contains(err.Error(), "label 2") {
		t.Errorf("a label outside the classes: error %v", err)
	}
}

// TestFineTune: every method trains only its own parameters; LoRA leaves the base weights as they
// were, learns the demo's shapes well past zero-shot, and saves an adapter PEFT's reader loads.
func TestFineTune(t *testing.T) {
	l, d := demoLab(t)
	s, err := Prepare(context.Background(), l, d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	zs, err := s.EvaluateZeroShot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.LinearProbe(&svm.LinearSVC{}); err != nil {
		t.Fatal(err)
	}
	value := func(m *clip.Model, name string) []float32 {
		v := m.Store.GetVariable(weights.VarPath(name))
		if v == nil {
			t.Fatalf("no %s", name)
		}
		x, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		return tensors.MustCopyFlatData[float32](x)
	}
	const q = "vision_model.encoder.layers.0.self_attn.q_proj"
	// The head: one row of the projection's width (32) and a bias per class. The demo's vision
	// tower: width 64, 2 layers, MLP 128; LayerNorms pre, 2 per layer, post.
	head := int64(len(s.Classes)) * (32 + 1)
	wantTrainable := map[Method]int64{Head: head, LayerNorm: head + 6*2*64, BitFit: head + 1280, LoRA: head + 4*8*(64+64),
		Full: head + size(s.Model.Config.Params(), Vision.rule(true))}
	stepsPerEpoch := (len(s.Train) + 7) / 8 // batches of 8, the last one short
	for _, method := range Methods {
		epochs := 4
		if method == LoRA {
			epochs = 10 // enough to learn the shapes, for the accuracy check below
		}
		r, err := s.FineTune(context.Background(), TrainOptions{Method: method, Epochs: epochs, OutputDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		if method == Prompt {
			// One vector of the text tower's width (64) per token of the template's words before
			// the class ("a centered satellite photo of": the demo stands in for EuroSAT).
			words, _, _ := strings.Cut(s.Templates[0], "{}")
			wantTrainable[Prompt] = int64(len(s.Tokenizer.Encode(strings.TrimSpace(words)))-2) * 64
			if _, err := os.Stat(r.Saved); err != nil {
				t.Error(err)
			}
		}
		if r.Trainable != wantTrainable[method] {
			t.Errorf("%s: %d trainable parameters, want %d", method, r.Trainable, wantTrainable[method])
		}
		t.Logf("%s: accuracy %.3f (zero-shot %.3f)", method, r.Accuracy, zs.Accuracy)
		if len(r.History.Epochs) != epochs {
			t.Errorf("%s: %d epochs logged", method, len(r.History.Epochs))
		}
		m := r.Model
		weightSame := slices.Equal(value(m, q+".weight"), value(s.Model, q+".weight"))
		biasSame := slices.Equal(value(m, q+".bias"), value(s.Model, q+".bias"))
		if weightSame == (method == Full) {
			t.Errorf("%s: q_proj weight changed: %v", method, !weightSame)
		}
		if biasSame == (method == BitFit || method == Full) {
			t.Errorf("%s: q_proj bias changed: %v", method, !biasSame)
		}
		const ln = "vision_model.pre_layrnorm.weight"
		if lnSame := slices.Equal(value(m, ln), value(s.Model, ln)); lnSame == (method == LayerNorm || method == Full) {
			t.Errorf("%s: %s changed: %v", method, ln, !lnSame)
		}
		if method != LoRA {
			continue
		}
		// The checkpoints hold what training changes, not the frozen tower.
		ckpt, err := weights.Open(filepath.Join(filepath.Dir(r.Saved), fmt.Sprintf("checkpoint-%d", stepsPerEpoch*epochs), "variables.safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range map[string]bool{weights.VarPath(q + ".weight"): false, weights.VarPath(q + ".lora_A.weight"): true, "/classifier/weight": true, "/optimizer/exp_avg" + weights.VarPath(q+".lora_B.weight"): true} {
			if _, ok := ckpt.Info(name); ok != want {
				t.Errorf("checkpoint holds %s: %v, want %v", name, ok, want)
			}
		}
		ckpt.Close()
		// The demo CLIP is pretrained on these shapes, so zero-shot is already good: learning them
		// means fixing at least a third of zero-shot's mistakes.
		if r.Accuracy < zs.Accuracy+(1-zs.Accuracy)/3 {
			t.Errorf("LoRA reached %.3f on the demo's shapes; zero-shot %.3f: it should fix a third of zero-shot's mistakes", r.Accuracy, zs.Accuracy)
		}
		fresh, err := clip.LoadDir(s.Model.Dir)
		if err != nil {
			t.Fatal(err)
		}
		lora, err := peft.LoadLoRA(r.Saved, fresh.Store, fresh.Config.Params().Linears())
		if err != nil {
			t.Fatal(err)
		}
		if len(lora.Layers) != 4 || !slices.Equal(value(fresh, q+".lora_B.weight"), value(m, q+".lora_B.weight")) {
			t.Errorf("saved adapter: layers %v, or lora_B differs from the trained one", lora.Layers)
		}
		if _, err := os.Stat(filepath.Join(r.Saved, peft.ConfigFile)); err != nil {
			t.Error(err)
		}
	}
	if got := len(s.Results); got != 8 {
		t.Errorf("%d results recorded, want 8", got)
	}
	table := s.Table().Text()
	for _, want := range []string{"zero-shot", "linear probe", "LayerNorm tuning", "BitFit", "LoRA r=8", "prompt learning (CoOp", "demo: a tiny CLIP pretrained on captioned drawn shapes"} {
		if !strings.Contains(table, want) {
			t.Errorf("results table lacks %q:\n%s", want, table)
		}
	}
	if _, err := s.FineTune(context.Background(), TrainOptions{Method: "prefix", OutputDir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "prefix") {
		t.Errorf("unknown method: error %v", err)
	}
}

// TestPrepareNeedsTrainSplit: a dataset with no train split is refused by name.
func TestPrepareNeedsTrainSplit(t *testing.T) {
	l, d := demoLab(t)
	dir := t.TempDir()
	test, err := os.ReadFile(filepath.Join(l.ModelDir, "test.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "test.parquet"), test, 0o644); err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(l.ModelDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "README.md"), readme, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Prepare(context.Background(), l, dirDataset(t, dir, d), Options{})
	if err == nil || !strings.Contains(err.Error(), "train") {
		t.Errorf("no train split: error %v", err)
	}
}

// TestEmbeddingCache: the frozen image embeddings are kept on disk and read back by the next
// program that draws the same images (a notebook's next cell).
func TestEmbeddingCache(t *testing.T) {
	l, d := demoLab(t)
	s, err := Prepare(context.Background(), l, d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.frozenFeatures(); err != nil {
		t.Fatal(err)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(cache, "translab", "clip-images", "*.npy"))
	if len(files) != 2 {
		t.Fatalf("cached embedding files: %v, want 2 (the training and the held-out images)", files)
	}
	for _, f := range files { // mark the cache, to see that it is read rather than recomputed
		a, err := npy.Read(f)
		if err != nil {
			t.Fatal(err)
		}
		for i := range a.F32 {
			a.F32[i] = 0.5
		}
		if err := npy.WriteFloat32(f, a.Shape, a.F32); err != nil {
			t.Fatal(err)
		}
	}
	again, err := Prepare(context.Background(), l, d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := again.frozenFeatures(); err != nil {
		t.Fatal(err)
	}
	if again.trainEmb.Data[0] != 0.5 || again.evalEmb.Data[len(again.evalEmb.Data)-1] != 0.5 {
		t.Error("the second run recomputed the embeddings instead of reading the cache")
	}
	other, err := Prepare(context.Background(), l, d, Options{Seed: 7, Shots: 8})
	if err != nil {
		t.Fatal(err)
	}
	if err := other.frozenFeatures(); err != nil {
		t.Fatal(err)
	}
	if other.trainEmb.Data[0] == 0.5 {
		t.Error("another draw of training images was served the first draw's cached embeddings")
	}
}

// TestPractical: a CPU with a full-size CLIP runs only the methods that keep the tower frozen, and
// says which it left out; the demo and a CUDA backend run them all.
func TestPractical(t *testing.T) {
	on := func(config string) *session.Session { return &session.Session{Choice: backend.Choice{Config: config}} }
	labels := func(runs []TrainOptions) string {
		var out []string
		for _, o := range runs {
			out = append(out, o.Label())
		}
		return strings.Join(out, " ")
	}
	full := &Set{Session: on("go:parallelism=-1"), Classes: make([]string, 10), Templates: zeroshot.SatelliteTemplates}
	runs, note := full.Practical()
	if got := labels(runs); got != "head layernorm/text bitfit/text lora/text full/text prompt" || !strings.Contains(note, "layernorm/vision, layernorm/both, bitfit/vision") || !strings.Contains(note, "30 class prompts") {
		t.Errorf("CPU, full model, 10 classes: %s, %q", got, note)
	}
	many := &Set{Session: on("xla:cpu"), Classes: make([]string, 200), Templates: zeroshot.SatelliteTemplates}
	if runs, note := many.Practical(); labels(runs) != "head" || !strings.Contains(note, "lora/text, lora/both, full/vision, full/text, full/both, prompt") {
		t.Errorf("CPU, full model, 200 classes: %s, %q", labels(runs), note)
	}
	all := 1 + 4*3 + 1
	cuda := &Set{Session: on("xla:/opt/jax_plugins/xla_cuda13/xla_cuda_plugin.so"), Classes: make([]string, 10)}
	if runs, note := cuda.Practical(); len(runs) != all || note != "" {
		t.Errorf("CUDA: %s, %q", labels(runs), note)
	}
	if runs, _ := (&Set{Session: &session.Session{Demo: true, Choice: backend.Choice{Config: "go"}}}).Practical(); len(runs) != all {
		t.Errorf("demo: %s", labels(runs))
	}
}

// TestPrepareSkipsCorruptImages: an image that cannot be decoded is left out and counted, not fatal.
func TestPrepareSkipsCorruptImages(t *testing.T) {
	l, d := demoLab(t)
	ds := d.Dataset
	type row struct {
		Image struct {
			Bytes []byte `parquet:"bytes"`
			Path  string `parquet:"path"`
		} `parquet:"image"`
		Label int64 `parquet:"label"`
	}
	dir := t.TempDir()
	for _, name := range []string{"train", "test"} {
		split, err := ds.Split(name)
		if err != nil {
			t.Fatal(err)
		}
		all, err := split.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var rows []row
		for i, r := range all {
			var w row
			w.Image.Bytes, w.Image.Path, w.Label = r.Image.Bytes, r.Image.Path, int64(r.Label)
			if name == "train" && i == 0 {
				w.Image.Bytes = []byte("\\x89PNG but not really")
			}
			rows = append(rows, w)
		}
		if err := parquet.WriteFile(filepath.Join(dir, name+".parquet"), rows); err != nil {
			t.Fatal(err)
		}
	}
	readme, _ := os.ReadFile(filepath.Join(l.ModelDir, "README.md"))
	os.WriteFile(filepath.Join(dir, "README.md"), readme, 0o644)
	s, err := Prepare(context.Background(), l, dirDataset(t, dir, d), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The demo's train split holds exactly 16 images a class, so the corrupt one leaves its class a
	// shot short.
	kept, held := 16*len(d.Classes)-1, testRows(t, d)
	if s.Skipped != 1 || len(s.Train) != kept || len(s.Images) != kept || len(s.Eval) != held {
		t.Errorf("skipped %d, %d training examples (%d images) and %d held-out; want 1, %d (%d), %d", s.Skipped, len(s.Train), len(s.Images), len(s.Eval), kept, kept, held)
	}
	if g := s.Grid(100); len(g.Pictures) != kept || string(g.Pictures[0].Data) == "\x89PNG but not really" {
		t.Errorf("the grid shows %d pictures, or the corrupt one", len(g.Pictures))
	}
}

// size counts the parameters of a table that rule picks.
func size(table weights.Table, rule func(string) bool) int64 {
	var n int64
	for _, p := range table {
		if rule(p.Name) {
			k := int64(1)
			for _, d := range p.Shape {
				k *= int64(d)
			}
			n += k
		}
	}
	return n
}

// TestTowers: on the text tower or both, each weight-changing method trains its own parameters of
// the tower(s) and no head; the classifier is rebuilt from the class prompts through the trained
// tower (before training it is zero-shot's), and the frozen tower is left as it was.
func TestTowers(t *testing.T) {
	l, d := demoLab(t)
	s, err := Prepare(context.Background(), l, d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Before training, the classifier built in the graph is the zero-shot classifier.
	classes, err := s.classPrompts(s.Model)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := backend.Default()
	if err != nil {
		t.Fatal(err)
	}
	out, err := model.CallOnce(b, s.Model.Store, func(_ *model.Scope, g *Graph) *Node { return clip.Normalize(classes(g)) })
	if err != nil {
		t.Fatal(err)
	}
	got := tensors.MustCopyFlatData[float32](out)
	for i, want := range s.ZeroShot.ClassEmbeds.Data {
		if math.Abs(float64(got[i]-want)) > 1e-5 {
			t.Fatalf("class embedding value %d: %g from the graph, %g from the zero-shot classifier", i, got[i], want)
		}
	}
	value := func(m *clip.Model, name string) []float32 {
		x, err := m.Store.GetVariable(weights.VarPath(name)).Value()
		if err != nil {
			t.Fatal(err)
		}
		return tensors.MustCopyFlatData[float32](x)
	}
	table := s.Model.Config.Params()
	text := Text.rule(false)
	textLoRA := int64(s.Model.Config.Text.NumHiddenLayers) * 2 * 8 * 2 * int64(s.Model.Config.Text.HiddenSize)
	visionLoRA := int64(s.Model.Config.Vision.NumHiddenLayers) * 2 * 8 * 2 * int64(s.Model.Config.Vision.HiddenSize)
	want := map[TrainOptions]int64{
		{Method: LayerNorm, Tower: Text}: size(table, peft.All(text, peft.LayerNorms(table))),
		{Method: BitFit, Tower: Text}:    size(table, peft.All(text, peft.Biases(table))),
		{Method: LoRA, Tower: Text}:      textLoRA,
		{Method: LoRA, Tower: Both}:      textLoRA + visionLoRA,
		{Method: BitFit, Tower: Both}:    size(table, peft.All(peft.Any(text, Vision.rule(false)), peft.Biases(table))),
	}
	for _, o := range []TrainOptions{{Method: LayerNorm, Tower: Text}, {Method: BitFit, Tower: Text}, {Method: LoRA, Tower: Text}, {Method: LoRA, Tower: Both}, {Method: BitFit, Tower: Both}} {
		o.Epochs, o.OutputDir = 2, t.TempDir()
		r, err := s.FineTune(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		key := TrainOptions{Method: o.Method, Tower: o.Tower}
		if r.Trainable != want[key] || r.Strategy != string(o.Tower) {
			t.Errorf("%s: %d trainable parameters, strategy %q; want %d, %q", o.Label(), r.Trainable, r.Strategy, want[key], o.Tower)
		}
		if r.Model.Store.GetVariable(weights.VarPath(clip.ClassifierHead+".weight")) != nil {
			t.Errorf("%s: the model has a head; the text tower is the classifier", o.Label())
		}
		const tb, vb = "text_model.encoder.layers.0.self_attn.v_proj.bias", "vision_model.encoder.layers.0.self_attn.v_proj.bias"
		if same := slices.Equal(value(r.Model, tb), value(s.Model, tb)); same == (o.Method == BitFit) {
			t.Errorf("%s: %s changed: %v", o.Label(), tb, !same)
		}
		if same := slices.Equal(value(r.Model, vb), value(s.Model, vb)); same == (o.Method == BitFit && o.Tower == Both) {
			t.Errorf("%s: %s changed: %v", o.Label(), vb, !same)
		}
		if o.Method != LoRA {
			continue
		}
		fresh, err := clip.LoadDir(s.Model.Dir)
		if err != nil {
			t.Fatal(err)
		}
		lora, err := peft.LoadLoRA(r.Saved, fresh.Store, fresh.Config.Params().Linears())
		if err != nil {
			t.Fatal(err)
		}
		layers := 2 * s.Model.Config.Text.NumHiddenLayers
		if o.Tower == Both {
			layers += 2 * s.Model.Config.Vision.NumHiddenLayers
		}
		if len(lora.Layers) != layers || !strings.HasPrefix(lora.Layers[0], "text_model.") {
			t.Errorf("%s: saved adapter adapts %v", o.Label(), lora.Layers)
		}
	}
	if _, err := s.FineTune(context.Background(), TrainOptions{Method: Prompt, Tower: Text}); err == nil || !strings.Contains(err.Error(), "prompt") {
		t.Errorf("prompt learning on the text tower: error %v", err)
	}
	if _, err := s.FineTune(context.Background(), TrainOptions{Method: LoRA, Tower: "audio"}); err == nil || !strings.Contains(err.Error(), `"audio"`) {
		t.Errorf("an unknown tower: error %v", err)
	}
	cmp := s.Comparison().Text()
	for _, want := range []string{"text", "both", "LoRA", "BitFit", "LayerNorm", "wall times on this machine"} {
		if !strings.Contains(cmp, want) {
			t.Errorf("comparison lacks %q:\n%s", want, cmp)
		}
	}
	if h := s.ComparisonMap(); len(h.Rows) != 2 || h.Rows[0] != "text" || !math.IsNaN(h.Values[0][4]) || math.IsNaN(h.Values[1][3]) {
		t.Errorf("comparison map: rows %v, values %v", h.Rows, h.Values)
	}
}

// TestWiSE: α = 0 is the zero-shot classifier's accuracy and α = 1 the fine-tuned one's, for a
// full fine-tune and a LoRA one, and the model keeps its fine-tuned weights after the sweep.
func TestWiSE(t *testing.T) {
	l, d := demoLab(t)
	s, err := Prepare(context.Background(), l, d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	zs, err := s.EvaluateZeroShot()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []TrainOptions{{Method: Full, Epochs: 3}, {Method: LoRA, Epochs: 5}, {Method: LoRA, Tower: Text, Epochs: 3}} {
		o.OutputDir = t.TempDir()
		r, err := s.FineTune(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.WiSE(r, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %v", o.Label(), c.Accuracy)
		if len(c.Accuracy) != len(WiSEAlphas) || c.Accuracy[0] != zs.Accuracy || c.Accuracy[len(c.Accuracy)-1] != r.Accuracy {
			t.Errorf("%s: accuracy by α %v; want zero-shot's %.4f at 0 and the fine-tune's %.4f at 1", o.Label(), c.Accuracy, zs.Accuracy, r.Accuracy)
		}
		again, err := s.WiSE(r, []float64{1})
		if err != nil || again.Accuracy[0] != r.Accuracy {
			t.Errorf("%s: after the sweep the model scores %v (%v), not its own %.4f", o.Label(), again.Accuracy, err, r.Accuracy)
		}
	}
	if _, err := s.WiSE(zs, nil); err == nil {
		t.Error("WiSE of zero-shot itself: no error")
	}
	if ch := s.WiSEChart(); ch.XLabel != "α" {
		t.Errorf("chart: %+v", ch)
	}
}
