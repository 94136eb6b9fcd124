package clip

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/backend"
	"github.com/go-translab/translab/lab/npy"
	"github.com/go-translab/translab/lab/reference"
	"github.com/go-translab/translab/lab/tokenize"
)

// TestDemoModelMatchesTransformers checks the project's own CLIP export end to end: data/demo-clip
// (written by data/gendemo) loaded by HF transformers gave the golden ids and embeddings
// (goldens/clip/demo_golden.py); loaded here it must give the same.
func TestDemoModelMatchesTransformers(t *testing.T) {
	dir := filepath.Join("..", "..", "data", "demo-clip")
	m, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenize.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Texts []string
		IDs   [][]int
	}
	raw, _ := os.ReadFile(filepath.Join("testdata", "demo_golden.json"))
	if err := json.Unmarshal(raw, &golden); err != nil {
		t.Fatal(err)
	}
	for i, text := range golden.Texts {
		if got := tok.Encode(text); !slices.Equal(got, golden.IDs[i]) {
			t.Fatalf("%q: ids %v, transformers %v", text, got, golden.IDs[i])
		}
	}
	b, _, _ := backend.Default()
	enc, err := tok.EncodeBatch(golden.Texts, tokenize.Options{MaxLength: 77})
	if err != nil {
		t.Fatal(err)
	}
	ids, _, rows, cols, _ := enc.Int32()
	pix, err := npy.Read(filepath.Join("testdata", "demo_pixels.npy"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := model.CallOnceN(b, m.Store, func(_ *model.Scope, ids, px *Node) []*Node {
		return []*Node{m.Text(ids).Embeds, m.Vision(px).Embeds}
	}, tensors.FromFlatDataAndDimensions(ids, rows, cols), tensors.FromFlatDataAndDimensions(pix.F32, pix.Shape...))
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"demo_text_embeds", "demo_image_embeds"} {
		want, err := npy.Read(filepath.Join("testdata", name+".npy"))
		if err != nil {
			t.Fatal(err)
		}
		if e := reference.RelErr(tensors.MustCopyFlatData[float32](out[i]), want.F32); e > 1e-4 {
			t.Errorf("%s: relative error %.3g", name, e)
		} else {
			t.Logf("%s: relative error %.2g", name, e)
		}
	}
}
