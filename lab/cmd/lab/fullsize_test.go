package main

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/backend"
	"github.com/go-translab/translab/lab/clip"
	"github.com/go-translab/translab/lab/distilbert"
	"github.com/go-translab/translab/lab/npy"
	"github.com/go-translab/translab/lab/reference"
)

// TestFullSizeGoldens compares the full-size models (DistilBERT-base, CLIP ViT-B/16) with goldens
// that real HF transformers wrote (goldens/bench/hf_full_goldens.py): the tiny reference models
// cannot show errors that grow with width and depth, nor a device's numerics.
func TestFullSizeGoldens(t *testing.T) {
	dir := os.Getenv("LAB_FULL_GOLDENS")
	if dir == "" {
		t.Skip("opt-in full-size check (base-size checkpoints, hundreds of MB, not in the repository): LAB_FULL_GOLDENS not set; point it at the output of goldens/bench/hf_full_goldens.py")
	}
	b, _, err := backend.Default()
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) *npy.Array {
		a, err := npy.Read(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	int32s := func(a *npy.Array) *tensors.Tensor {
		v := make([]int32, len(a.I64))
		for i, x := range a.I64 {
			v[i] = int32(x)
		}
		return tensors.FromFlatDataAndDimensions(v, a.Shape...)
	}
	check := func(what string, got *tensors.Tensor, want *npy.Array) {
		t.Helper()
		if e := reference.RelErr(tensors.MustCopyFlatData[float32](got), want.F32); e > 1e-4 || e != e {
			t.Errorf("%s: relative error %.3g > 1e-4", what, e)
		} else {
			t.Logf("%s: relative error %.3g", what, e)
		}
	}

	t.Run("distilbert", func(t *testing.T) {
		m, err := distilbert.LoadDir(filepath.Join(dir, "distilbert"), distilbert.RequireHead)
		if err != nil {
			t.Fatal(err)
		}
		ids, mask := int32s(read("distilbert_input_ids.npy")), int32s(read("distilbert_attention_mask.npy"))
		out, err := model.CallOnceN(b, m.Store, func(_ *model.Scope, ids, mask *Node) []*Node {
			return []*Node{m.Encode(ids, mask), m.Logits(ids, mask)}
		}, ids, mask)
		if err != nil {
			t.Fatal(err)
		}
		check("distilbert last_hidden_state", out[0], read("distilbert_last_hidden_state.npy"))
		check("distilbert logits", out[1], read("distilbert_logits.npy"))
	})

	t.Run("clip", func(t *testing.T) {
		m, err := clip.LoadDir(filepath.Join(dir, "clip"))
		if err != nil {
			t.Fatal(err)
		}
		px := read("clip_pixel_values.npy")
		img, err := model.CallOnce(b, m.Store, func(_ *model.Scope, x *Node) *Node { return clip.Normalize(m.Vision(x).Embeds) },
			tensors.FromFlatDataAndDimensions(px.F32, px.Shape...))
		if err != nil {
			t.Fatal(err)
		}
		check("clip image_embeds", img, read("clip_image_embeds.npy"))
		txt, err := model.CallOnce(b, m.Store, func(_ *model.Scope, ids *Node) *Node { return clip.Normalize(m.Text(ids).Embeds) },
			int32s(read("clip_input_ids.npy")))
		if err != nil {
			t.Fatal(err)
		}
		check("clip text_embeds", txt, read("clip_text_embeds.npy"))
	})
}
