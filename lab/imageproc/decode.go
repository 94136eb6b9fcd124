package imageproc

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // registered for image.Decode
	"image/jpeg"
	_ "image/png"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/webp"
)

// DefaultMaxPixels is PIL's Image.MAX_IMAGE_PIXELS. Pillow only warns between this and twice
// as much, but a dataset row that large is either a mistake or an attack, so Decode refuses it.
const DefaultMaxPixels = 1024 * 1024 * 1024 / 4 / 3

// Decode decodes a JPEG, PNG, GIF (first frame), BMP or WebP image and converts it to RGB as
// PIL's Image.open(...).convert("RGB") does, byte for byte: JPEG and lossy WebP with their C
// libraries' IDCT/chroma upsampling/colour conversion, alpha dropped without compositing,
// palettes looked up, CMYK with PIL's formula. Images above DefaultMaxPixels are refused from
// their header, before any pixel is decoded.
func Decode(data []byte) (*RGB, error) {
	return DecodeLimit(data, DefaultMaxPixels)
}

// DecodeLimit is Decode with a different pixel-count limit.
func DecodeLimit(data []byte, maxPixels int) (img *RGB, err error) {
	if len(data) == 0 {
		return nil, errors.New("imageproc: empty input")
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, image.ErrFormat) {
			return nil, fmt.Errorf("imageproc: not a recognised image (JPEG, PNG, GIF, BMP or WebP); starts with % x", data[:min(len(data), 8)])
		}
		return nil, fmt.Errorf("imageproc: reading %s header: %w", orUnknown(format), err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("imageproc: %s has empty size %d×%d", format, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > int64(maxPixels) {
		return nil, fmt.Errorf("imageproc: %s of %d×%d = %d pixels exceeds the limit of %d (possible decompression bomb)",
			format, cfg.Width, cfg.Height, int64(cfg.Width)*int64(cfg.Height), maxPixels)
	}
	// The decoders are meant not to panic on hostile input; this keeps a dataset loop alive if
	// one ever does.
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("imageproc: %s decoder panicked: %v", format, r)
		}
	}()
	var m image.Image
	if format == "jpeg" {
		m, err = jpeg.Decode(bytes.NewReader(data))
	} else {
		m, _, err = image.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return nil, fmt.Errorf("imageproc: decoding %s: %w", format, err)
	}
	return toRGB(m, format), nil
}

func orUnknown(format string) string {
	if format == "" {
		return "image"
	}
	return format
}

// toRGB converts like PIL's convert("RGB") for the modes PIL would have opened the file in.
func toRGB(m image.Image, format string) *RGB {
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	switch {
	case format == "jpeg":
		if yc, ok := m.(*image.YCbCr); ok {
			return jpegYCbCrToRGB(yc)
		}
	case format == "webp":
		switch yc := m.(type) {
		case *image.YCbCr:
			return webpYCbCrToRGB(yc)
		case *image.NYCbCrA: // alpha is dropped, as convert("RGB") does
			return webpYCbCrToRGB(&yc.YCbCr)
		}
	}
	out := NewRGB(w, h)
	put := func(x, y int, r, g, bl uint8) {
		i := (y*w + x) * 3
		out.Pix[i], out.Pix[i+1], out.Pix[i+2] = r, g, bl
	}
	switch src := m.(type) {
	case *image.Gray:
		for y := range h {
			row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):][:w]
			for x, v := range row {
				put(x, y, v, v, v)
			}
		}
	case *image.Gray16:
		// PIL opens 16-bit grey as "I;16", whose conversion to RGB saturates at 255 rather than
		// scaling; odd, but that is what the model was evaluated on.
		for y := range h {
			for x := range w {
				v := src.Gray16At(b.Min.X+x, b.Min.Y+y).Y
				c := uint8(min(v, 255))
				put(x, y, c, c, c)
			}
		}
	case *image.NRGBA:
		for y := range h {
			row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):][:w*4]
			for x := range w {
				put(x, y, row[x*4], row[x*4+1], row[x*4+2])
			}
		}
	case *image.RGBA:
		for y := range h {
			row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):][:w*4]
			for x := range w {
				p := row[x*4 : x*4+4]
				if p[3] == 255 {
					put(x, y, p[0], p[1], p[2])
				} else {
					c := color.NRGBAModel.Convert(color.RGBA{p[0], p[1], p[2], p[3]}).(color.NRGBA)
					put(x, y, c.R, c.G, c.B)
				}
			}
		}
	case *image.NRGBA64:
		// PIL unpacks 16-bit PNG channels by keeping the high byte.
		for y := range h {
			for x := range w {
				c := src.NRGBA64At(b.Min.X+x, b.Min.Y+y)
				put(x, y, uint8(c.R>>8), uint8(c.G>>8), uint8(c.B>>8))
			}
		}
	case *image.Paletted:
		var pal [256][3]uint8
		for i, c := range src.Palette {
			n := straight(c)
			pal[i] = [3]uint8{n.R, n.G, n.B}
		}
		for y := range h {
			row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):][:w]
			for x, idx := range row {
				p := pal[idx]
				put(x, y, p[0], p[1], p[2])
			}
		}
	case *image.CMYK:
		// PIL's cmyk2rgb; Go's and PIL's CMYK share the non-inverted convention.
		for y := range h {
			row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):][:w*4]
			for x := range w {
				p := row[x*4 : x*4+4]
				nk := 255 - int(p[3])
				put(x, y, cmykChannel(p[0], nk), cmykChannel(p[1], nk), cmykChannel(p[2], nk))
			}
		}
	default:
		for y := range h {
			for x := range w {
				c := straight(m.At(b.Min.X+x, b.Min.Y+y))
				put(x, y, c.R, c.G, c.B)
			}
		}
	}
	return out
}

// straight returns a colour's non-premultiplied 8-bit value, which is what PIL stores.
func straight(c color.Color) color.NRGBA {
	switch c := c.(type) {
	case color.NRGBA:
		return c
	case color.RGBA:
		if c.A == 255 {
			return color.NRGBA{c.R, c.G, c.B, 255}
		}
	case color.NRGBA64:
		return color.NRGBA{uint8(c.R >> 8), uint8(c.G >> 8), uint8(c.B >> 8), uint8(c.A >> 8)}
	}
	return color.NRGBAModel.Convert(c).(color.NRGBA)
}

func cmykChannel(v uint8, nk int) uint8 {
	t := int(v)*nk + 128
	return uint8(min(max(nk-((t>>8)+t)>>8, 0), 255))
}
