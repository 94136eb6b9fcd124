package imageproc

import "image"

// Go's image/jpeg hands back the raw Y, Cb and Cr planes (chroma at its subsampled size), but
// its own conversion to RGB replicates chroma samples and rounds differently from libjpeg, which
// is what Pillow uses: on sharp colour edges of a 4:2:0 JPEG the two disagree by up to ~90 levels.
// So the upsampling and colour conversion are redone here the way libjpeg(-turbo) does them with
// its default settings (fancy upsampling, integer YCbCr→RGB tables; jdsample.c and jdcolor.c).
// Only the IDCT remains Go's, which differs from libjpeg's islow IDCT by a level or so.

// libjpeg's YCbCr→RGB tables: 16 fractional bits, nearest-integer rounding for R and B, and the
// rounding half folded into the Cb→G table.
var cbB, crR [256]int32
var cbG, crG [256]int32

func init() {
	const scaleBits = 16
	fix := func(x float64) int32 { return int32(x*(1<<scaleBits) + 0.5) }
	for i := range 256 {
		x := int32(i - 128)
		crR[i] = (fix(1.40200)*x + 1<<(scaleBits-1)) >> scaleBits
		cbB[i] = (fix(1.77200)*x + 1<<(scaleBits-1)) >> scaleBits
		crG[i] = -fix(0.71414) * x
		cbG[i] = -fix(0.34414)*x + 1<<(scaleBits-1)
	}
}

func clamp255(v int32) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// chromaFactors is the horizontal and vertical subsampling of a ratio.
func chromaFactors(r image.YCbCrSubsampleRatio) (h, v int) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return 2, 1
	case image.YCbCrSubsampleRatio420:
		return 2, 2
	case image.YCbCrSubsampleRatio440:
		return 1, 2
	case image.YCbCrSubsampleRatio411:
		return 4, 1
	case image.YCbCrSubsampleRatio410:
		return 4, 2
	}
	return 1, 1
}

// jpegYCbCrToRGB converts decoded JPEG planes to RGB exactly as libjpeg does after its IDCT.
func jpegYCbCrToRGB(m *image.YCbCr) *RGB {
	b := m.Rect
	w, h := b.Dx(), b.Dy()
	hf, vf := chromaFactors(m.SubsampleRatio)
	// libjpeg's downsampled_width/height: the chroma samples that belong to the image proper.
	cw, ch := (w+hf-1)/hf, (h+vf-1)/vf
	chromaRow := func(plane []uint8, cy int) []uint8 {
		cy = min(max(cy, 0), ch-1) // libjpeg replicates the edge rows as context
		off := m.COffset(b.Min.X, b.Min.Y+cy*vf)
		return plane[off : off+cw]
	}
	// Fancy (triangular) upsampling is skipped by libjpeg for h2 when the chroma row has two or
	// fewer samples; 4× horizontal factors always use plain replication.
	fancyH := hf == 2 && cw > 2

	out := NewRGB(w, h)
	cb := make([]uint8, cw*hf)
	cr := make([]uint8, cw*hf)
	colsumCb := make([]int32, cw)
	colsumCr := make([]int32, cw)
	for y := range h {
		cy := y / vf
		switch {
		case vf == 2 && fancyH:
			// h2v2: vertical 3:1 blend with the nearer neighbour row, then horizontal 3:1.
			far := cy + 1
			if y%2 == 0 {
				far = cy - 1
			}
			verticalSums(colsumCb, chromaRow(m.Cb, cy), chromaRow(m.Cb, far))
			verticalSums(colsumCr, chromaRow(m.Cr, cy), chromaRow(m.Cr, far))
			h2v2Row(cb, colsumCb)
			h2v2Row(cr, colsumCr)
		case vf == 2 && hf == 1:
			// h1v2 (4:4:0) is fancy whatever the width, with its own biases.
			far, bias := cy+1, int32(2)
			if y%2 == 0 {
				far, bias = cy-1, 1
			}
			h1v2Row(cb, chromaRow(m.Cb, cy), chromaRow(m.Cb, far), bias)
			h1v2Row(cr, chromaRow(m.Cr, cy), chromaRow(m.Cr, far), bias)
		case vf == 1 && fancyH:
			h2v1Row(cb, chromaRow(m.Cb, cy))
			h2v1Row(cr, chromaRow(m.Cr, cy))
		default:
			replicateRow(cb, chromaRow(m.Cb, cy), hf)
			replicateRow(cr, chromaRow(m.Cr, cy), hf)
		}
		yOff := m.YOffset(b.Min.X, b.Min.Y+y)
		ys := m.Y[yOff : yOff+w]
		dst := out.Pix[y*w*3 : (y+1)*w*3]
		for x, yv := range ys {
			Y := int32(yv)
			cbv, crv := cb[x], cr[x]
			dst[x*3] = clamp255(Y + crR[crv])
			dst[x*3+1] = clamp255(Y + (cbG[cbv]+crG[crv])>>16)
			dst[x*3+2] = clamp255(Y + cbB[cbv])
		}
	}
	return out
}

func verticalSums(dst []int32, near, far []uint8) {
	for i := range dst {
		dst[i] = int32(near[i])*3 + int32(far[i])
	}
}

// h2v2Row is jdsample.c's h2v2_fancy_upsample for one output row given the vertical sums; the
// alternating +8/+7 biases keep the rounding unbiased overall.
func h2v2Row(out []uint8, cs []int32) {
	n := len(cs)
	out[0] = uint8((cs[0]*4 + 8) >> 4)
	out[1] = uint8((cs[0]*3 + cs[1] + 7) >> 4)
	for i := 1; i < n-1; i++ {
		out[2*i] = uint8((cs[i]*3 + cs[i-1] + 8) >> 4)
		out[2*i+1] = uint8((cs[i]*3 + cs[i+1] + 7) >> 4)
	}
	out[2*n-2] = uint8((cs[n-1]*3 + cs[n-2] + 8) >> 4)
	out[2*n-1] = uint8((cs[n-1]*4 + 7) >> 4)
}

// h2v1Row is jdsample.c's h2v1_fancy_upsample.
func h2v1Row(out []uint8, in []uint8) {
	n := len(in)
	out[0] = in[0]
	out[1] = uint8((int32(in[0])*3 + int32(in[1]) + 2) >> 2)
	for i := 1; i < n-1; i++ {
		v := int32(in[i]) * 3
		out[2*i] = uint8((v + int32(in[i-1]) + 1) >> 2)
		out[2*i+1] = uint8((v + int32(in[i+1]) + 2) >> 2)
	}
	out[2*n-2] = uint8((int32(in[n-1])*3 + int32(in[n-2]) + 1) >> 2)
	out[2*n-1] = in[n-1]
}

// h1v2Row is jdsample.c's h1v2_fancy_upsample for one output row.
func h1v2Row(out []uint8, near, far []uint8, bias int32) {
	for i := range near {
		out[i] = uint8((int32(near[i])*3 + int32(far[i]) + bias) >> 2)
	}
}

func replicateRow(out []uint8, in []uint8, hf int) {
	for i, v := range in {
		for j := range hf {
			out[i*hf+j] = v
		}
	}
}
