package imageproc

import (
	"image"
	"image/color"
)

// RGB is an 8-bit RGB image, row-major and interleaved (Pix[(y*Width+x)*3+c]), the layout of
// PIL's "RGB" mode as numpy sees it. It implements image.Image so it can be encoded for
// inspection.
type RGB struct {
	Width, Height int
	Pix           []uint8
}

// NewRGB allocates a black w×h image.
func NewRGB(w, h int) *RGB {
	return &RGB{Width: w, Height: h, Pix: make([]uint8, w*h*3)}
}

func (m *RGB) clone() *RGB {
	return &RGB{Width: m.Width, Height: m.Height, Pix: append([]uint8(nil), m.Pix...)}
}

// ColorModel implements image.Image.
func (m *RGB) ColorModel() color.Model { return color.RGBAModel }

// Bounds implements image.Image.
func (m *RGB) Bounds() image.Rectangle { return image.Rect(0, 0, m.Width, m.Height) }

// At implements image.Image.
func (m *RGB) At(x, y int) color.Color {
	if x < 0 || y < 0 || x >= m.Width || y >= m.Height {
		return color.RGBA{}
	}
	p := m.Pix[(y*m.Width+x)*3:]
	return color.RGBA{p[0], p[1], p[2], 255}
}
