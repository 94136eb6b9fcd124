package main

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-translab/translab/data"
	"github.com/go-translab/translab/lab/npy"
)

func TestCLIPEmbed(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	model, err := data.CLIPDemoDir()
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	imgs := filepath.Join(tmp, "imgs")
	os.Mkdir(imgs, 0o755)
	for i, c := range []color.RGBA{{200, 30, 30, 255}, {30, 30, 200, 255}, {240, 240, 240, 255}} {
		img := image.NewRGBA(image.Rect(0, 0, 80+10*i, 60))
		for p := range img.Pix {
			img.Pix[p] = []uint8{c.R, c.G, c.B, c.A}[p%4]
		}
		f, _ := os.Create(filepath.Join(imgs, string(rune('a'+i))+".png"))
		png.Encode(f, img)
		f.Close()
	}
	os.WriteFile(filepath.Join(imgs, "notes.txt"), []byte("not an image"), 0o644)
	texts := filepath.Join(tmp, "texts.txt")
	os.WriteFile(texts, []byte("a photo of a red circle.\na photo of a blue triangle.\n"), 0o644)

	check := func(out string, rows int) {
		a, err := npy.Read(out)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Shape) != 2 || a.Shape[0] != rows || a.Shape[1] != 32 {
			t.Fatalf("%s: shape %v, want [%d 32]", out, a.Shape, rows)
		}
		for r := 0; r < rows; r++ {
			var s float64
			for _, v := range a.F32[r*32 : (r+1)*32] {
				s += float64(v) * float64(v)
			}
			if math.Abs(math.Sqrt(s)-1) > 1e-5 {
				t.Fatalf("%s: row %d has norm %v, want 1", out, r, math.Sqrt(s))
			}
		}
	}
	if _, stderr, code := runLab(t, "clip-embed", "--model", model, "--images", imgs, "--out", filepath.Join(tmp, "i.npy")); code != 0 {
		t.Fatalf("images: exit %d: %s", code, stderr)
	}
	check(filepath.Join(tmp, "i.npy"), 3)
	if _, stderr, code := runLab(t, "clip-embed", "--model", model, "--texts", texts, "--out", filepath.Join(tmp, "t.npy")); code != 0 {
		t.Fatalf("texts: exit %d: %s", code, stderr)
	}
	check(filepath.Join(tmp, "t.npy"), 2)

	for name, args := range map[string][]string{
		"both inputs":  {"--model", model, "--texts", texts, "--images", imgs, "--out", filepath.Join(tmp, "x.npy")},
		"no images":    {"--model", model, "--images", tmp + "/nothing", "--out", filepath.Join(tmp, "x.npy")},
		"corrupt file": {"--model", model, "--images", writeCorrupt(t, tmp), "--out", filepath.Join(tmp, "x.npy")},
	} {
		if _, stderr, code := runLab(t, append([]string{"clip-embed"}, args...)...); code == 0 || stderr == "" {
			t.Errorf("%s: exit %d, %q", name, code, stderr)
		} else if name == "corrupt file" && !strings.Contains(stderr, "broken.jpg") {
			t.Errorf("%s: the error should name the file: %q", name, stderr)
		}
	}
}

func writeCorrupt(t *testing.T, dir string) string {
	d := filepath.Join(dir, "corrupt")
	os.Mkdir(d, 0o755)
	os.WriteFile(filepath.Join(d, "broken.jpg"), []byte("\xff\xd8\xff\xe0 not really a jpeg"), 0o644)
	return d
}
