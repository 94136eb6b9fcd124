package imageproc

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// withJPEGSize rewrites the frame header's dimensions, leaving the scan data alone.
func withJPEGSize(t testing.TB, data []byte, w, h uint16) []byte {
	t.Helper()
	out := append([]byte(nil), data...)
	for i := 2; i+9 < len(out); {
		if out[i] != 0xFF {
			t.Fatal("lost marker sync in test JPEG")
		}
		marker := out[i+1]
		n := int(binary.BigEndian.Uint16(out[i+2:]))
		if marker == 0xC0 || marker == 0xC1 || marker == 0xC2 {
			binary.BigEndian.PutUint16(out[i+5:], h)
			binary.BigEndian.PutUint16(out[i+7:], w)
			return out
		}
		i += 2 + n
	}
	t.Fatal("no SOF marker in test JPEG")
	return nil
}

// withPNGSize rewrites IHDR's dimensions and its CRC.
func withPNGSize(data []byte, w, h uint32) []byte {
	out := append([]byte(nil), data...)
	binary.BigEndian.PutUint32(out[16:], w)
	binary.BigEndian.PutUint32(out[20:], h)
	binary.BigEndian.PutUint32(out[29:], crc32.ChecksumIEEE(out[12:29]))
	return out
}

func TestDecodeRejectsBadInput(t *testing.T) {
	jpg := readTestdata(t, "edges_420_q90.jpg")
	png := readTestdata(t, "rgb.png")
	for _, tc := range []struct {
		name, want string
		data       []byte
	}{
		{"empty", "empty input", nil},
		{"text", "not a recognised image", []byte("this is not an image at all")},
		{"truncated JPEG", "decoding jpeg", jpg[:len(jpg)/2]},
		{"JPEG header only", "jpeg", jpg[:40]},
		{"truncated PNG", "png", png[:len(png)/3]},
		{"JPEG bomb", "exceeds the limit", withJPEGSize(t, jpg, 65000, 65000)},
		{"PNG bomb", "exceeds the limit", withPNGSize(png, 100000, 100000)},
		{"zero-width JPEG", "jpeg", withJPEGSize(t, jpg, 0, 77)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, err := Decode(tc.data)
			if err == nil {
				t.Fatalf("decoded a %d×%d image, want an error", img.Width, img.Height)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
	// The limit is checked against the header, so a file just over a small limit is refused.
	if _, err := DecodeLimit(jpg, 101*77-1); err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Errorf("DecodeLimit just under the size: %v", err)
	}
	if _, err := DecodeLimit(jpg, 101*77); err != nil {
		t.Errorf("DecodeLimit at exactly the size: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, name := range []string{"edges_420_q90.jpg", "edges_420_progressive.jpg", "tiny_422_3x3.jpg",
		"cmyk_q90.jpg", "grey_q90.jpg", "palette_trns.png", "la.png", "palette.gif", "rgb.bmp", "lossless.webp",
		"lossy_even_100x76.webp", "lossy_alpha.webp"} {
		data := readTestdata(f, name)
		f.Add(data)
		f.Add(data[:len(data)*2/3])
	}
	f.Add([]byte{})
	f.Add([]byte{0xFF, 0xD8, 0xFF})
	f.Fuzz(func(t *testing.T, data []byte) {
		// A small limit keeps the fuzzer from spending its time on huge declared sizes.
		img, err := DecodeLimit(data, 1<<20)
		if err != nil {
			return
		}
		if img.Width <= 0 || img.Height <= 0 || len(img.Pix) != img.Width*img.Height*3 {
			t.Fatalf("decoded %d×%d with %d bytes of pixels", img.Width, img.Height, len(img.Pix))
		}
		// A small target keeps each execution cheap; the resize path is the same code at any size.
		small := DefaultCLIP()
		small.ShortestEdge, small.CropHeight, small.CropWidth = 16, 16, 16
		if _, err := small.Preprocess(img); err != nil {
			t.Fatalf("Preprocess of a decoded image: %v", err)
		}
	})
}

func TestBatchMatchesPreprocess(t *testing.T) {
	names := []string{"edges_420_q90.jpg", "tall_420_q75.jpg", "grey_q90.jpg", "rgba.png", "palette.gif", "one_pixel.jpg"}
	var inputs [][]byte
	for _, n := range names {
		inputs = append(inputs, readTestdata(t, n))
	}
	c := DefaultCLIP()
	got, h, w, err := c.Batch(inputs, 3)
	if err != nil {
		t.Fatal(err)
	}
	if h != 224 || w != 224 || len(got) != len(names)*3*224*224 {
		t.Fatalf("Batch gave %d values of %d×%d", len(got), h, w)
	}
	per := 3 * 224 * 224
	for i, n := range names {
		img, err := Decode(inputs[i])
		if err != nil {
			t.Fatal(err)
		}
		want, err := c.Preprocess(img)
		if err != nil {
			t.Fatal(err)
		}
		for j := range want {
			if got[i*per+j] != want[j] {
				t.Fatalf("%s: Batch value %d = %v, Preprocess gives %v", n, j, got[i*per+j], want[j])
			}
		}
	}

	inputs[4] = []byte("garbage")
	if _, _, _, err := c.Batch(inputs, 0); err == nil || !strings.HasPrefix(err.Error(), "image 4:") {
		t.Errorf("Batch with a bad image 4: error %v, want one naming image 4", err)
	}
	noCrop := *c
	noCrop.DoCenterCrop = false
	if _, _, _, err := noCrop.Batch([][]byte{inputs[0], inputs[1]}, 2); err == nil || !strings.Contains(err.Error(), "image 1") {
		t.Errorf("Batch of different sizes without a crop: %v", err)
	}
}

// syntheticJPEG is a 500×375 photo-like JPEG (gradients, edges, texture) at quality 90, 4:2:0.
func syntheticJPEG(tb testing.TB, seed int) []byte {
	tb.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 500, 375))
	for y := range 375 {
		for x := range 500 {
			r := uint8(x*255/499 + seed)
			g := uint8(y * 255 / 374)
			b := uint8((x*y + seed*31) % 251)
			if (x/40+y/40)%2 == 0 {
				r, b = b, r
			}
			img.SetRGBA(x, y, color.RGBA{r, g, b, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func BenchmarkBatch64JPEG500x375(b *testing.B) {
	var inputs [][]byte
	for i := range 64 {
		inputs = append(inputs, syntheticJPEG(b, i))
	}
	c := DefaultCLIP()
	b.ResetTimer()
	for b.Loop() {
		if _, _, _, err := c.Batch(inputs, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N)/64*1e3, "ms/image")
}

func ExampleConfig_Batch() {
	c := DefaultCLIP()
	data, _ := os.ReadFile("testdata/edges_420_q90.jpg")
	pixels, h, w, err := c.Batch([][]byte{data, data}, 0)
	fmt.Println(len(pixels), h, w, err)
	// Output: 301056 224 224 <nil>
}

// BatchEach leaves a corrupt image out, says which and why, and keeps the others' pixels exactly
// as Batch computes them.
func TestBatchEachSkipsCorruptImages(t *testing.T) {
	encode := func(shade uint8) []byte {
		img := image.NewRGBA(image.Rect(0, 0, 40, 30))
		for i := range img.Pix {
			img.Pix[i] = shade + uint8(i%17)
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	good1, good2 := encode(10), encode(120)
	c := DefaultCLIP()
	b, err := c.BatchEach([][]byte{good1, []byte("not an image"), good2}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Kept) != 2 || b.Kept[0] != 0 || b.Kept[1] != 2 || b.Errs[1] == nil || b.Errs[0] != nil || b.Errs[2] != nil {
		t.Fatalf("kept %v, errors %v", b.Kept, b.Errs)
	}
	want, _, _, err := c.Batch([][]byte{good1, good2}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(b.Pixels, want) {
		t.Error("the kept images' pixels differ from Batch's")
	}
	if _, _, _, err := c.Batch([][]byte{good1, []byte("x")}, 1); err == nil || !strings.Contains(err.Error(), "image 1") {
		t.Errorf("Batch must still fail on the first bad image, naming it: %v", err)
	}
}
