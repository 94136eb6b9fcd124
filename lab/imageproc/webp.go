package imageproc

import "image"

// Lossy WebP is VP8: studio-range BT.601 YUV with 4:2:0 chroma. x/image/webp returns the planes
// as an image.YCbCr, whose own conversion assumes full-range JPEG YCbCr and replicates chroma,
// which is off by ~12 levels on average from what Pillow (libwebp) produces. This redoes
// libwebp's default output path (src/dsp/upsampling.c's fancy upsampler, src/dsp/yuv.h's
// 14-bit fixed-point conversion) on the planes.

func webpClip8(v int32) uint8 {
	const fix2 = 6
	const mask2 = (256 << fix2) - 1
	if v&^mask2 == 0 {
		return uint8(v >> fix2)
	}
	if v < 0 {
		return 0
	}
	return 255
}

func multHi(v, coeff int32) int32 { return (v * coeff) >> 8 }

func webpYUVToRGB(y, u, v uint8, dst []uint8) {
	Y, U, V := int32(y), int32(u), int32(v)
	dst[0] = webpClip8(multHi(Y, 19077) + multHi(V, 26149) - 14234)
	dst[1] = webpClip8(multHi(Y, 19077) - multHi(U, 6419) - multHi(V, 13320) + 8708)
	dst[2] = webpClip8(multHi(Y, 19077) + multHi(U, 33050) - 17685)
}

// webpYCbCrToRGB converts VP8 planes as libwebp's EmitFancyRGB does. Each output row is either
// the upper or the lower row of a pair lying between two chroma rows; the first row, and the
// last row of an even-height image, pair a chroma row with itself.
func webpYCbCrToRGB(m *image.YCbCr) *RGB {
	b := m.Rect
	w, h := b.Dx(), b.Dy()
	cw, ch := (w+1)/2, (h+1)/2
	crow := func(plane []uint8, cy int) []uint8 {
		cy = min(cy, ch-1)
		off := m.COffset(b.Min.X, b.Min.Y+2*cy)
		return plane[off : off+cw]
	}
	out := NewRGB(w, h)
	u := make([]uint8, w)
	v := make([]uint8, w)
	for y := range h {
		// top and cur are the chroma rows above and below the pair this row belongs to.
		var top, cur int
		upper := y%2 == 1 || y == 0
		if y == 0 {
			top, cur = 0, 0
		} else if upper {
			top, cur = y/2, y/2+1
		} else {
			top, cur = y/2-1, y/2
		}
		fancyRow(u, crow(m.Cb, top), crow(m.Cb, cur), upper)
		fancyRow(v, crow(m.Cr, top), crow(m.Cr, cur), upper)
		yOff := m.YOffset(b.Min.X, b.Min.Y+y)
		dst := out.Pix[y*w*3 : (y+1)*w*3]
		for x, yv := range m.Y[yOff : yOff+w] {
			webpYUVToRGB(yv, u[x], v[x], dst[x*3:x*3+3])
		}
	}
	return out
}

// fancyRow is one row of libwebp's UPSAMPLE_FUNC for one chroma plane: t is the chroma row
// above the pair, c the one below; upper selects which of the pair's two rows to produce.
func fancyRow(out, t, c []uint8, upper bool) {
	n := len(out)
	near, far := t, c
	if !upper {
		near, far = c, t
	}
	out[0] = uint8((3*int32(near[0]) + int32(far[0]) + 2) >> 2)
	lastPair := (n - 1) >> 1
	for x := 1; x <= lastPair; x++ {
		tl, tt, l, uv := int32(t[x-1]), int32(t[x]), int32(c[x-1]), int32(c[x])
		avg := tl + tt + l + uv + 8
		d12 := (avg + 2*(tt+l)) >> 3
		d03 := (avg + 2*(tl+uv)) >> 3
		if upper {
			out[2*x-1] = uint8((d12 + tl) >> 1)
			out[2*x] = uint8((d03 + tt) >> 1)
		} else {
			out[2*x-1] = uint8((d03 + l) >> 1)
			out[2*x] = uint8((d12 + uv) >> 1)
		}
	}
	if n%2 == 0 {
		out[n-1] = uint8((3*int32(near[lastPair]) + int32(far[lastPair]) + 2) >> 2)
	}
}
