package imageproc

import (
	"fmt"
	"image"
	"math"
)

// This file re-implements Pillow's convolution resampler (libImaging/Resample.c) for 8-bit RGB:
// separable filtering, horizontal pass first into a uint8 intermediate, then vertical, with the
// filter support widened by the scale factor when shrinking (antialiasing) and integer
// coefficients of precisionBits fractional bits. Every rounding step is kept, because the
// point is to produce Pillow's bytes, not merely a good-looking resize.

// precisionBits leaves 8 bits for the pixel value and 2 for overshoot of negative lobes in an int32.
const precisionBits = 32 - 8 - 2

type filter struct {
	fn      func(float64) float64
	support float64
}

// filterFor maps PIL's Image.Resampling numbers to filters.
func filterFor(resample int) (filter, error) {
	switch resample {
	case Bicubic:
		return filter{bicubic, 2}, nil
	case Bilinear:
		return filter{bilinear, 1}, nil
	case Lanczos:
		return filter{lanczos, 3}, nil
	case Box:
		return filter{box, 0.5}, nil
	case Hamming:
		return filter{hamming, 1}, nil
	}
	return filter{}, fmt.Errorf("resample %d: unsupported (want 1 lanczos, 2 bilinear, 3 bicubic, 4 box or 5 hamming)", resample)
}

// The explicit float64(...) conversions forbid the compiler from fusing multiply-adds (as it may
// on arm64), which would change the last bit of some coefficients relative to Pillow's build.

func bicubic(x float64) float64 {
	const a = -0.5
	if x < 0 {
		x = -x
	}
	if x < 1 {
		return float64(float64(float64((a+2)*x)-(a+3))*x*x) + 1
	}
	if x < 2 {
		return float64(float64(float64(float64(float64(x-5)*x)+8)*x)-4) * a
	}
	return 0
}

func bilinear(x float64) float64 {
	if x < 0 {
		x = -x
	}
	if x < 1 {
		return 1 - x
	}
	return 0
}

func box(x float64) float64 {
	if x > -0.5 && x <= 0.5 {
		return 1
	}
	return 0
}

func hamming(x float64) float64 {
	if x < 0 {
		x = -x
	}
	if x == 0 {
		return 1
	}
	if x >= 1 {
		return 0
	}
	x *= math.Pi
	// Pillow writes these constants as C floats, so they are float32 values widened to double.
	return math.Sin(x) / x * (float64(float32(0.54)) + float64(float64(float32(0.46))*math.Cos(x)))
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	x *= math.Pi
	return math.Sin(x) / x
}

func lanczos(x float64) float64 {
	if -3 <= x && x < 3 {
		return sinc(x) * sinc(x/3)
	}
	return 0
}

// coeffs are the fixed-point weights of one pass: output sample i reads inputs
// start[i] .. start[i]+count[i]-1 with weights k[i*ksize : i*ksize+count[i]].
type coeffs struct {
	ksize        int
	start, count []int
	k            []int32
}

// precompute is Pillow's precompute_coeffs followed by normalize_coeffs_8bpc, for the whole
// input range (Image.resize without a box), restricted to output samples from..to-1. A sample's
// weights depend only on its own index, so computing a subset changes nothing.
func precompute(inSize, outSize, from, to int, f filter) coeffs {
	scale := float64(inSize) / float64(outSize)
	filterscale := scale
	if filterscale < 1 {
		filterscale = 1
	}
	support := f.support * filterscale
	ksize := int(math.Ceil(support))*2 + 1
	n := to - from
	c := coeffs{
		ksize: ksize,
		start: make([]int, n),
		count: make([]int, n),
		k:     make([]int32, n*ksize),
	}
	w := make([]float64, ksize)
	invFilterscale := 1 / filterscale
	for i := range n {
		xx := from + i
		center := float64(float64(xx)+0.5) * scale
		xmin := int(center - support + 0.5)
		if xmin < 0 {
			xmin = 0
		}
		xmax := int(center + support + 0.5)
		if xmax > inSize {
			xmax = inSize
		}
		xmax -= xmin
		var ww float64
		for x := range xmax {
			v := f.fn(float64(float64(x+xmin)-center+0.5) * invFilterscale)
			w[x] = v
			ww += v
		}
		for x := range xmax {
			v := w[x]
			if ww != 0 {
				v /= ww
			}
			// Round half away from zero, then truncate: Pillow's (int)(±0.5 + v*2^22).
			if v < 0 {
				c.k[i*ksize+x] = int32(-0.5 + float64(v*(1<<precisionBits)))
			} else {
				c.k[i*ksize+x] = int32(0.5 + float64(v*(1<<precisionBits)))
			}
		}
		c.start[i] = xmin
		c.count[i] = xmax
	}
	return c
}

// clip8 drops the fraction and saturates, like Pillow's clip8 lookup table.
func clip8(ss int32) uint8 {
	v := ss >> precisionBits
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// Resize resamples img to w×h as PIL's Image.resize((w, h), resample) does for an RGB image.
func Resize(img *RGB, w, h, resample int) (*RGB, error) {
	return resizeRegion(img, w, h, image.Rect(0, 0, w, h), resample)
}

// resizeRegion returns the part r of the w×h resize of img. Computing only what a centre crop
// keeps is faster, and bounds the work for extreme aspect ratios whose full resize would be huge.
func resizeRegion(img *RGB, w, h int, r image.Rectangle, resample int) (*RGB, error) {
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("resize to %d×%d: sizes must be positive", w, h)
	}
	if img.Width <= 0 || img.Height <= 0 {
		return nil, fmt.Errorf("resize: empty image %d×%d", img.Width, img.Height)
	}
	if r.Empty() || !r.In(image.Rect(0, 0, w, h)) {
		return nil, fmt.Errorf("resize: region %v outside the %d×%d output", r, w, h)
	}
	f, err := filterFor(resample)
	if err != nil {
		return nil, err
	}
	needH := w != img.Width
	needV := h != img.Height

	// Rows of the source the vertical pass reads (all of r's rows when there is none).
	first, last := r.Min.Y, r.Max.Y
	var vert coeffs
	if needV {
		vert = precompute(img.Height, h, r.Min.Y, r.Max.Y, f)
		first = vert.start[0]
		last = vert.start[len(vert.start)-1] + vert.count[len(vert.count)-1]
		for i := range vert.start {
			vert.start[i] -= first
		}
	}
	// Horizontal pass first, as Pillow does, into a uint8 intermediate of just those rows.
	var mid *RGB
	if needH {
		mid = horizontal(img, first, last, precompute(img.Width, w, r.Min.X, r.Max.X, f))
	} else {
		mid = NewRGB(r.Dx(), last-first)
		for y := first; y < last; y++ {
			copy(mid.Pix[(y-first)*r.Dx()*3:(y-first+1)*r.Dx()*3], img.Pix[(y*img.Width+r.Min.X)*3:(y*img.Width+r.Max.X)*3])
		}
	}
	if !needV {
		return mid, nil
	}
	return vertical(mid, vert), nil
}

func horizontal(in *RGB, first, last int, c coeffs) *RGB {
	w := len(c.start)
	out := NewRGB(w, last-first)
	const half = 1 << (precisionBits - 1)
	for y := first; y < last; y++ {
		row := in.Pix[y*in.Width*3 : (y+1)*in.Width*3]
		dst := out.Pix[(y-first)*w*3 : (y-first+1)*w*3]
		for xx := range w {
			k := c.k[xx*c.ksize : xx*c.ksize+c.count[xx]]
			src := row[c.start[xx]*3:]
			s0, s1, s2 := int32(half), int32(half), int32(half)
			for x, kv := range k {
				p := src[x*3 : x*3+3]
				s0 += int32(p[0]) * kv
				s1 += int32(p[1]) * kv
				s2 += int32(p[2]) * kv
			}
			dst[xx*3], dst[xx*3+1], dst[xx*3+2] = clip8(s0), clip8(s1), clip8(s2)
		}
	}
	return out
}

func vertical(in *RGB, c coeffs) *RGB {
	w, h := in.Width, len(c.start)
	out := NewRGB(w, h)
	stride := w * 3
	const half = 1 << (precisionBits - 1)
	acc := make([]int32, stride)
	for yy := range h {
		k := c.k[yy*c.ksize : yy*c.ksize+c.count[yy]]
		for i := range acc {
			acc[i] = half
		}
		// Row-major accumulation visits the same terms as Pillow's per-pixel loop; integer
		// addition is associative, so the result is identical and the memory access is linear.
		for y, kv := range k {
			row := in.Pix[(c.start[yy]+y)*stride : (c.start[yy]+y+1)*stride]
			for i, p := range row {
				acc[i] += int32(p) * kv
			}
		}
		dst := out.Pix[yy*stride : (yy+1)*stride]
		for i, s := range acc {
			dst[i] = clip8(s)
		}
	}
	return out
}
