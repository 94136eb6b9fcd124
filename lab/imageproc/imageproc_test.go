package imageproc

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-translab/translab/lab/reference"

	"github.com/go-translab/translab/lab/npy"
)

// eachReference runs f on every copy of clip-images: the project's (goldens/reference, 64 px
// images, crops of 56) and the held-out shared one (224).
func eachReference(t *testing.T, f func(t *testing.T, ref string)) {
	reference.Each(t, func(t *testing.T, s reference.Set) { f(t, s.Path("clip-images")) })
}

// clipAt is DefaultCLIP with its resize and crop at size, the reference's own.
func clipAt(size int) *Config {
	c := DefaultCLIP()
	c.ShortestEdge, c.CropHeight, c.CropWidth = size, size, size
	return c
}

func decodeFile(t testing.TB, path string) *RGB {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := Decode(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// pixelDiff is the max and mean absolute difference over all channel values.
func pixelDiff(t testing.TB, got, want *RGB) (maxDiff int, mean float64) {
	t.Helper()
	if got.Width != want.Width || got.Height != want.Height {
		t.Fatalf("size %d×%d, want %d×%d", got.Width, got.Height, want.Width, want.Height)
	}
	sum := 0
	for i := range got.Pix {
		d := int(got.Pix[i]) - int(want.Pix[i])
		if d < 0 {
			d = -d
		}
		sum += d
		maxDiff = max(maxDiff, d)
	}
	return maxDiff, float64(sum) / float64(len(got.Pix))
}

func TestNormalizeMatchesReference(t *testing.T) { eachReference(t, testNormalize) }

func testNormalize(t *testing.T, ref string) {
	want, err := npy.Read(filepath.Join(ref, "pixel_values.npy"))
	if err != nil {
		t.Fatal(err)
	}
	names, _ := filepath.Glob(filepath.Join(ref, "img[0-9]_*.png"))
	if len(names) != 4 || len(want.Shape) != 4 || want.Shape[0] != 4 || want.Shape[1] != 3 || want.Shape[2] != want.Shape[3] {
		t.Fatalf("reference has %d images and shape %v, want 4 and [4 3 S S]", len(names), want.Shape)
	}
	size := want.Shape[2]
	c := clipAt(size)
	per := 3 * size * size
	for i, name := range names {
		got, err := c.Preprocess(decodeFile(t, name))
		if err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for j, g := range got {
			w := float64(want.F32[i*per+j])
			worst = max(worst, math.Abs(float64(g)-w)/max(1, math.Abs(w)))
		}
		if worst > 1e-5 {
			t.Errorf("%s: max relative difference %.3g > 1e-5", filepath.Base(name), worst)
		}
	}
}

func TestResizeMatchesReference(t *testing.T) { eachReference(t, testResize) }

func testResize(t *testing.T, ref string) {
	want, err := npy.Read(filepath.Join(ref, "pixel_values_resize.npy"))
	if err != nil {
		t.Fatal(err)
	}
	all, _ := filepath.Glob(filepath.Join(ref, "resize[0-9]_*.png"))
	var names []string
	for _, n := range all {
		if !strings.Contains(n, "_resized_crop") {
			names = append(names, n)
		}
	}
	if len(names) != 3 {
		t.Fatalf("found %d resize inputs, want 3", len(names))
	}
	if len(want.Shape) != 4 || want.Shape[2] != want.Shape[3] {
		t.Fatalf("pixel_values_resize.npy: shape %v, want [N 3 S S]", want.Shape)
	}
	size := want.Shape[2]
	c := clipAt(size)
	per := 3 * size * size
	for i, name := range names {
		img := decodeFile(t, name)
		crop, err := c.Transform(img)
		if err != nil {
			t.Fatal(err)
		}
		wantCrop := decodeFile(t, strings.TrimSuffix(name, ".png")+fmt.Sprintf("_resized_crop%d.png", size))
		maxDiff, mean := pixelDiff(t, crop, wantCrop)
		t.Logf("%s (%d×%d): resize+crop vs PIL max %d, mean %.4f levels", filepath.Base(name), img.Width, img.Height, maxDiff, mean)
		if maxDiff > 0 {
			t.Errorf("%s: resize+crop differs from PIL by up to %d levels (mean %.4f); want identical", filepath.Base(name), maxDiff, mean)
		}
		got, err := c.Preprocess(img)
		if err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for j, g := range got {
			w := float64(want.F32[i*per+j])
			worst = max(worst, math.Abs(float64(g)-w)/max(1, math.Abs(w)))
		}
		if worst > 1e-4 {
			t.Errorf("%s: pixel values differ by %.3g relative, want <= 1e-4", filepath.Base(name), worst)
		}
	}
}

type manifest struct {
	ShortestEdge int    `json:"shortest_edge"`
	Crop         [2]int `json:"crop"`
	Images       []struct {
		File    string `json:"file"`
		PILMode string `json:"pil_mode"`
		Crop224 string `json:"crop224"`
	} `json:"images"`
}

func readManifest(t testing.TB) manifest {
	t.Helper()
	data, err := os.ReadFile("testdata/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// jpegTolerance is how far a JPEG may decode from Pillow. Chroma upsampling and colour conversion
// follow libjpeg exactly; the IDCT is Go's image/jpeg, which rounds differently from libjpeg's
// "islow" and leaves up to 3 levels on a few pixels (measured mean ≤ 0.04). Every other format must
// be identical.
const jpegTolerance = 3

func tolerance(file string) int {
	if strings.HasSuffix(file, ".jpg") || strings.HasSuffix(file, ".jpeg") {
		return jpegTolerance
	}
	return 0
}

// resizedTolerance allows for bicubic's overshoot (negative lobes) amplifying a decoded difference
// by a level.
func resizedTolerance(file string) int {
	if t := tolerance(file); t > 0 {
		return t + 1
	}
	return 0
}

// TestDecodeMatchesPillow requires Pillow's bytes for every kind, within jpegTolerance for JPEGs.
func TestDecodeMatchesPillow(t *testing.T) {
	m := readManifest(t)
	for _, e := range m.Images {
		got := decodeFile(t, filepath.Join("testdata", e.File))
		want := decodeFile(t, filepath.Join("testdata", e.File+".rgb.png"))
		maxDiff, mean := pixelDiff(t, got, want)
		t.Logf("%-28s %-5s %3d×%-3d max %d mean %.4f", e.File, e.PILMode, got.Width, got.Height, maxDiff, mean)
		if maxDiff > tolerance(e.File) || mean > 0.1 {
			t.Errorf("%s (PIL mode %s): decoded RGB differs from Pillow by up to %d levels (mean %.4f)", e.File, e.PILMode, maxDiff, mean)
		}
	}
}

// TestPipelineMatchesHF runs decode → resize → crop → normalise on the goldens with the small
// configuration the script used, and the 224 px CLIP configuration where a crop was stored.
func TestPipelineMatchesHF(t *testing.T) {
	m := readManifest(t)
	want, err := npy.Read("testdata/pixel_values_small.npy")
	if err != nil {
		t.Fatal(err)
	}
	small := DefaultCLIP()
	small.ShortestEdge = m.ShortestEdge
	small.CropHeight, small.CropWidth = m.Crop[0], m.Crop[1]
	if fmt.Sprint(want.Shape) != fmt.Sprint([]int{len(m.Images), 3, m.Crop[0], m.Crop[1]}) {
		t.Fatalf("pixel_values_small.npy has shape %v for %d images", want.Shape, len(m.Images))
	}
	per := 3 * m.Crop[0] * m.Crop[1]
	for i, e := range m.Images {
		img := decodeFile(t, filepath.Join("testdata", e.File))
		got, err := small.Preprocess(img)
		if err != nil {
			t.Fatalf("%s: %v", e.File, err)
		}
		// A level is 1/255/std ≈ 0.015 in normalised units.
		tol := float64(resizedTolerance(e.File)) / 255 / 0.26
		for j, g := range got {
			if w := want.F32[i*per+j]; math.Abs(float64(g-w)) > tol+1e-6 {
				t.Errorf("%s: pixel value %d is %v, HF has %v", e.File, j, g, w)
				break
			}
		}
		if e.Crop224 == "" {
			continue
		}
		crop, err := DefaultCLIP().Transform(img)
		if err != nil {
			t.Fatal(err)
		}
		maxDiff, mean := pixelDiff(t, crop, decodeFile(t, filepath.Join("testdata", e.Crop224)))
		if maxDiff > resizedTolerance(e.File) {
			t.Errorf("%s: 224 px resize+crop differs from Pillow by up to %d (mean %.4f)", e.File, maxDiff, mean)
		}
	}
}

func TestResizeOutputSize(t *testing.T) {
	for _, tc := range []struct{ w, h, wantW, wantH int }{
		{500, 375, 298, 224}, // 224*500/375 = 298.67, truncated
		{200, 300, 224, 336},
		{64, 64, 224, 224},
		{375, 500, 224, 298},
		{1000, 3, 74666, 224},
	} {
		w, h := ResizeOutputSize(tc.w, tc.h, 224)
		if w != tc.wantW || h != tc.wantH {
			t.Errorf("ResizeOutputSize(%d, %d) = %d×%d, want %d×%d", tc.w, tc.h, w, h, tc.wantW, tc.wantH)
		}
	}
}

func TestCenterCropPadsLikeHF(t *testing.T) {
	// 3×2 image into a 6×5 window: HF pads ceil(3/2)=2 columns left and ceil(3/2)=2 rows on top.
	img := NewRGB(3, 2)
	for i := range img.Pix {
		img.Pix[i] = uint8(i + 1)
	}
	got := CenterCrop(img, 6, 5)
	for y := range 5 {
		for x := range 6 {
			sx, sy := x-2, y-2
			want := uint8(0)
			if sx >= 0 && sx < 3 && sy >= 0 && sy < 2 {
				want = img.Pix[(sy*3+sx)*3]
			}
			if g := got.Pix[(y*6+x)*3]; g != want {
				t.Fatalf("pixel (%d,%d) = %d, want %d", x, y, g, want)
			}
		}
	}
	// Mixed: taller than the crop but narrower. top = (7-4)//2 = 1, left pad = ceil((4-1)/2) = 2.
	tall := NewRGB(1, 7)
	for y := range 7 {
		tall.Pix[y*3] = uint8(10 + y)
	}
	got = CenterCrop(tall, 4, 4)
	for y := range 4 {
		if g := got.Pix[(y*4+2)*3]; g != uint8(11+y) {
			t.Errorf("row %d: got %d, want %d", y, g, 11+y)
		}
		if g := got.Pix[(y*4+1)*3]; g != 0 {
			t.Errorf("row %d: padding is %d, want 0", y, g)
		}
	}
}

func TestConfig(t *testing.T) {
	// openai/clip-vit-base-patch16's preprocessor_config.json: bare ints for size and crop.
	path := filepath.Join(t.TempDir(), "preprocessor_config.json")
	if err := os.WriteFile(path, []byte(`{"crop_size": 224, "do_center_crop": true, "do_normalize": true,
		"do_resize": true, "feature_extractor_type": "CLIPFeatureExtractor",
		"image_mean": [0.48145466, 0.4578275, 0.40821073],
		"image_std": [0.26862954, 0.26130258, 0.27577711], "resample": 3, "size": 224}`), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if *c != *DefaultCLIP() {
		t.Errorf("LoadConfig = %+v, want DefaultCLIP %+v", *c, *DefaultCLIP())
	}
	c, err = ParseConfig([]byte(`{"size": {"shortest_edge": 336}, "crop_size": {"height": 336, "width": 300},
		"do_rescale": false, "resample": 2, "image_mean": [0.5]}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.ShortestEdge != 336 || c.CropHeight != 336 || c.CropWidth != 300 || c.DoRescale || c.Resample != Bilinear || c.Mean != [3]float32{0.5, 0.5, 0.5} {
		t.Errorf("dict sizes parsed as %+v", *c)
	}
	c, err = ParseConfig([]byte(`{"size": {"height": 32, "width": 48}}`))
	if err != nil || c.ShortestEdge != 0 || c.Height != 32 || c.Width != 48 {
		t.Errorf("height/width size: %+v, %v", c, err)
	}
	for _, bad := range []string{`{"resample": 0}`, `{"size": {"longest_edge": 10}}`, `{"crop_size": {"height": 3}}`,
		`{"image_std": [1, 0, 1]}`, `{"image_mean": [1, 2]}`, `{"size": 0}`, `not json`} {
		if _, err := ParseConfig([]byte(bad)); err == nil {
			t.Errorf("ParseConfig(%s) accepted", bad)
		}
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("LoadConfig of a missing file succeeded")
	}
}
