package distilbert

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-translab/translab/lab/npy"
	"github.com/go-translab/translab/lab/tokenize"
)

// TestDemoModelMatchesTransformers checks the project's own HF export end to end: data/demo (config,
// safetensors and tokenizer.json written by data/gendemo) loaded by HF transformers gave the golden
// [CLS] vectors (goldens/distilbert/demo_golden.py); loaded here it must give the same ids and vectors.
func TestDemoModelMatchesTransformers(t *testing.T) {
	dir := filepath.Join("..", "..", "data", "demo")
	m, err := LoadDir(dir, NoHead)
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
	raw, err := os.ReadFile(filepath.Join("testdata", "demo_cls.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &golden); err != nil {
		t.Fatal(err)
	}
	for i, text := range golden.Texts {
		got := tok.Encode(text)
		if len(got) != len(golden.IDs[i]) {
			t.Fatalf("%q: ids %v, transformers %v", text, got, golden.IDs[i])
		}
		for j := range got {
			if got[j] != golden.IDs[i][j] {
				t.Fatalf("%q: ids %v, transformers %v", text, got, golden.IDs[i])
			}
		}
	}
	feats, _, err := m.Features(testBackend(t), tok, golden.Texts, FeatureOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := npy.Read(filepath.Join("testdata", "demo_cls.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if e := relErr(feats, want.F32); e > 1e-4 {
		t.Fatalf("[CLS] vectors differ from transformers': relative error %.3g", e)
	} else {
		t.Logf("relative error %.2g", e)
	}
}
