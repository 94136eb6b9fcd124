package show

import (
	"encoding/base64"
	"fmt"
	"html"
	"net/http"
	"strings"
)

// Picture is an encoded image (PNG, JPEG, …) with a caption.
type Picture struct {
	Data    []byte
	Caption string
	Good    bool // draws the caption in green rather than red (e.g. a correct prediction)
}

// ImageGrid shows pictures with their captions: thumbnails inline in a notebook, the captions in a
// terminal (which cannot show the pictures).
type ImageGrid struct {
	Title    string
	Pictures []Picture
	Width    int // thumbnail width in pixels; 0 is 112
}

// Text lists the captions, one per line.
func (g *ImageGrid) Text() string {
	var b strings.Builder
	if g.Title != "" {
		b.WriteString(g.Title + "\n")
	}
	for i, p := range g.Pictures {
		mark := "✗"
		if p.Good {
			mark = "✓"
		}
		fmt.Fprintf(&b, "%3d %s %s\n", i, mark, p.Caption)
	}
	return b.String()
}

// HTML lays the thumbnails out in a wrapping row, each with its caption under it.
func (g *ImageGrid) HTML() string {
	w := g.Width
	if w <= 0 {
		w = 112
	}
	var b strings.Builder
	if g.Title != "" {
		b.WriteString("<p><b>" + html.EscapeString(g.Title) + "</b></p>")
	}
	b.WriteString(`<div style="display:flex;flex-wrap:wrap;gap:8px">`)
	for _, p := range g.Pictures {
		colour := "#b00"
		if p.Good {
			colour = "#070"
		}
		mime := http.DetectContentType(p.Data)
		if !strings.HasPrefix(mime, "image/") {
			mime = "image/png"
		}
		fmt.Fprintf(&b, `<figure style="margin:0;width:%dpx"><img src="data:%s;base64,%s" alt="%s" style="width:%dpx;image-rendering:auto"/>`+
			`<figcaption style="font-size:11px;color:%s">%s</figcaption></figure>`,
			w, mime, base64.StdEncoding.EncodeToString(p.Data), html.EscapeString(p.Caption), w, colour, html.EscapeString(p.Caption))
	}
	b.WriteString("</div>")
	return b.String()
}
