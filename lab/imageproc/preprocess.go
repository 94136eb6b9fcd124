package imageproc

import (
	"fmt"
	"image"
	"runtime"
	"sync"
)

// ResizeOutputSize is HF's get_resize_output_image_size(default_to_square=False) for a
// shortest-edge size: the short side becomes size and the long side int(size*long/short),
// truncated, not rounded.
func ResizeOutputSize(w, h, size int) (outW, outH int) {
	short, long := h, w
	if w <= h {
		short, long = w, h
	}
	newLong := int(float64(size*long) / float64(short))
	if w <= h {
		return size, newLong
	}
	return newLong, size
}

// CenterCrop is HF's image_transforms.center_crop on a uint8 image: the window starts at
// floor((size-crop)/2), and an image smaller than the crop is first padded with zeros, the
// padding split as ceil(diff/2) before.
func CenterCrop(img *RGB, cropW, cropH int) *RGB {
	if img.Width == cropW && img.Height == cropH {
		return img
	}
	win := cropWindow(img.Width, img.Height, cropW, cropH)
	return place(img, image.Point{}, win)
}

// cropWindow is where HF's centre crop of a w×h image lies in that image's coordinates; parts
// outside the image are HF's zero padding.
func cropWindow(w, h, cropW, cropH int) image.Rectangle {
	top := floorDiv(h-cropH, 2)
	left := floorDiv(w-cropW, 2)
	if top < 0 {
		top = -((cropH - h + 1) / 2) // the ceil(diff/2) padding
	}
	if left < 0 {
		left = -((cropW - w + 1) / 2)
	}
	return image.Rect(left, top, left+cropW, top+cropH)
}

// place copies src, whose top-left pixel sits at at (in the coordinates win is given in), into a
// zeroed image covering win.
func place(src *RGB, at image.Point, win image.Rectangle) *RGB {
	out := NewRGB(win.Dx(), win.Dy())
	r := image.Rectangle{Min: at, Max: at.Add(image.Pt(src.Width, src.Height))}.Intersect(win)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		sy := y - at.Y
		copy(out.Pix[((y-win.Min.Y)*win.Dx()+r.Min.X-win.Min.X)*3:],
			src.Pix[(sy*src.Width+r.Min.X-at.X)*3:(sy*src.Width+r.Max.X-at.X)*3])
	}
	return out
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// maxResizedPixels bounds a resize without a crop, which an extreme aspect ratio could make
// enormous (a 1×100000 image becomes 224×22400000).
const maxResizedPixels = DefaultMaxPixels

// Transform runs the uint8 stages (resize, centre crop) and returns the image CLIP sees before
// rescaling; handy to compare with Pillow byte for byte. With a crop, only the kept part of the
// resize is computed; the bytes are the same as resizing everything.
func (c *Config) Transform(img *RGB) (*RGB, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if img == nil || img.Width <= 0 || img.Height <= 0 || len(img.Pix) != img.Width*img.Height*3 {
		return nil, fmt.Errorf("imageproc: empty or malformed image")
	}
	if !c.DoResize {
		if c.DoCenterCrop {
			return CenterCrop(img, c.CropWidth, c.CropHeight), nil
		}
		return img, nil
	}
	w, h := c.Width, c.Height
	if c.ShortestEdge > 0 {
		w, h = ResizeOutputSize(img.Width, img.Height, c.ShortestEdge)
	}
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("imageproc: a %d×%d image resizes to %d×%d", img.Width, img.Height, w, h)
	}
	if !c.DoCenterCrop {
		if int64(w)*int64(h) > maxResizedPixels {
			return nil, fmt.Errorf("imageproc: a %d×%d image would resize to %d×%d, over %d pixels", img.Width, img.Height, w, h, maxResizedPixels)
		}
		return Resize(img, w, h, c.Resample)
	}
	win := cropWindow(w, h, c.CropWidth, c.CropHeight)
	kept := win.Intersect(image.Rect(0, 0, w, h))
	part, err := resizeRegion(img, w, h, kept, c.Resample)
	if err != nil {
		return nil, err
	}
	return place(part, kept.Min, win), nil
}

// Preprocess returns CLIP pixel values for one image, channel-first [3, H, W] float32, with H×W
// the crop size (or the resized size when there is no crop).
func (c *Config) Preprocess(img *RGB) ([]float32, error) {
	t, err := c.Transform(img)
	if err != nil {
		return nil, err
	}
	out := make([]float32, 3*t.Width*t.Height)
	c.normalizeInto(out, t)
	return out, nil
}

// normalizeInto writes CHW values with HF's arithmetic: rescale in float64 then cast to float32,
// normalise in float32.
func (c *Config) normalizeInto(dst []float32, t *RGB) {
	n := t.Width * t.Height
	var lut [3][256]float32
	for ch := range 3 {
		for v := range 256 {
			x := float32(v)
			if c.DoRescale {
				x = float32(float64(v) * c.RescaleFactor)
			}
			if c.DoNormalize {
				x = float32(x-c.Mean[ch]) / c.Std[ch]
			}
			lut[ch][v] = x
		}
	}
	for i := range n {
		p := t.Pix[i*3 : i*3+3]
		dst[i] = lut[0][p[0]]
		dst[n+i] = lut[1][p[1]]
		dst[2*n+i] = lut[2][p[2]]
	}
}

// Batch decodes and preprocesses encoded images in parallel into one [N, 3, H, W] float32 slice.
// workers <= 0 uses GOMAXPROCS. All images must end up the same size (always true with a centre
// crop). An error names the index of the first image that failed.
func (c *Config) Batch(images [][]byte, workers int) ([]float32, int, int, error) {
	b, err := c.BatchEach(images, workers)
	if err != nil {
		return nil, 0, 0, err
	}
	for i, err := range b.Errs {
		if err != nil {
			return nil, 0, 0, fmt.Errorf("image %d: %w", i, err)
		}
	}
	return b.Pixels, b.Height, b.Width, nil
}

// Preprocessed is a batch after BatchEach: the pixel values of the images that could be decoded,
// in input order, and the error of each one that could not.
type Preprocessed struct {
	Pixels        []float32 // [len(Kept), 3, Height, Width]
	Kept          []int     // the input index of each image in Pixels
	Errs          []error   // per input image; nil where it was kept
	Height, Width int
}

// BatchEach is Batch for a run over thousands of images, where one corrupt file must not stop the
// rest: images that fail to decode are left out and their errors returned one per image. The error
// result is for what no image can fix (an invalid configuration, sizes that differ).
func (c *Config) BatchEach(images [][]byte, workers int) (*Preprocessed, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	out := &Preprocessed{Errs: make([]error, len(images))}
	if len(images) == 0 {
		return out, nil
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(images))
	results := make([]*RGB, len(images))
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range next {
				img, err := Decode(images[i])
				if err == nil {
					img, err = c.Transform(img)
				}
				results[i], out.Errs[i] = img, err
			}
		})
	}
	for i := range images {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, t := range results {
		if out.Errs[i] != nil {
			continue
		}
		if len(out.Kept) == 0 {
			out.Width, out.Height = t.Width, t.Height
			out.Pixels = make([]float32, 0, len(images)*3*t.Width*t.Height)
		} else if t.Width != out.Width || t.Height != out.Height {
			return nil, fmt.Errorf("image %d: size %d×%d after preprocessing differs from image %d's %d×%d; enable the centre crop",
				i, t.Width, t.Height, out.Kept[0], out.Width, out.Height)
		}
		per := 3 * t.Width * t.Height
		out.Pixels = append(out.Pixels, make([]float32, per)...)
		c.normalizeInto(out.Pixels[len(out.Pixels)-per:], t)
		out.Kept = append(out.Kept, i)
	}
	return out, nil
}
