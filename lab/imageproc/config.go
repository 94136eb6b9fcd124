// Package imageproc turns encoded images into CLIP pixel values exactly as HuggingFace's
// CLIPImageProcessor does with Pillow: decode (JPEG as libjpeg decodes it), convert to RGB the way
// PIL's convert("RGB") does, resize the shortest edge with PIL's antialiased resampling,
// centre-crop, rescale and normalise into CHW float32.
//
// Matching Pillow rather than "a good resize" matters because CLIP's zero-shot accuracy is
// reported on Pillow's pixels; a bilinear-vs-bicubic or a chroma-upsampling difference moves
// logits enough to flip borderline predictions.
package imageproc

import (
	"encoding/json"
	"fmt"
	"os"
)

// Resampling filters, numbered as PIL's Image.Resampling (the "resample" field of
// preprocessor_config.json). NEAREST (0) is not supported: PIL does not use the
// convolution resampler for it.
const (
	Lanczos  = 1
	Bilinear = 2
	Bicubic  = 3
	Box      = 4
	Hamming  = 5
)

// Config holds the preprocessing parameters of an HF image processor config
// (preprocessor_config.json).
//
// When ShortestEdge > 0 the image is resized so that its shorter side is ShortestEdge, keeping
// the aspect ratio; otherwise it is resized to exactly Height×Width.
type Config struct {
	DoConvertRGB bool
	DoResize     bool
	ShortestEdge int
	Height       int // used when ShortestEdge == 0
	Width        int // used when ShortestEdge == 0
	Resample     int // PIL filter number, Bicubic for CLIP

	DoCenterCrop bool
	CropHeight   int
	CropWidth    int

	DoRescale bool
	// RescaleFactor is float64 because HF multiplies in float64 before casting to float32;
	// a float32 factor would shift some values by one ulp.
	RescaleFactor float64

	DoNormalize bool
	Mean, Std   [3]float32
}

// DefaultCLIP returns the preprocessing of openai/clip-vit-base-patch16 (and every OpenAI CLIP
// checkpoint at 224 px).
func DefaultCLIP() *Config {
	return &Config{
		DoConvertRGB:  true,
		DoResize:      true,
		ShortestEdge:  224,
		Resample:      Bicubic,
		DoCenterCrop:  true,
		CropHeight:    224,
		CropWidth:     224,
		DoRescale:     true,
		RescaleFactor: 1.0 / 255,
		DoNormalize:   true,
		Mean:          [3]float32{0.48145466, 0.4578275, 0.40821073},
		Std:           [3]float32{0.26862954, 0.26130258, 0.27577711},
	}
}

// rawConfig mirrors the JSON; pointers tell "absent" (keep the default) from a zero value.
type rawConfig struct {
	DoConvertRGB  *bool           `json:"do_convert_rgb"`
	DoResize      *bool           `json:"do_resize"`
	Size          json.RawMessage `json:"size"`
	Resample      *int            `json:"resample"`
	DoCenterCrop  *bool           `json:"do_center_crop"`
	CropSize      json.RawMessage `json:"crop_size"`
	DoRescale     *bool           `json:"do_rescale"`
	RescaleFactor *float64        `json:"rescale_factor"`
	DoNormalize   *bool           `json:"do_normalize"`
	ImageMean     []float64       `json:"image_mean"`
	ImageStd      []float64       `json:"image_std"`
}

// sizeDict is HF's size dict; old configs give a bare int instead.
type sizeDict struct {
	ShortestEdge *int `json:"shortest_edge"`
	LongestEdge  *int `json:"longest_edge"`
	Height       *int `json:"height"`
	Width        *int `json:"width"`
}

// LoadConfig reads an HF preprocessor_config.json. Fields it does not set keep the values of
// DefaultCLIP, as CLIPImageProcessor's constructor defaults do.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("imageproc: %w", err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("imageproc: %s: %w", path, err)
	}
	return c, nil
}

// ParseConfig is LoadConfig on the file's bytes.
func ParseConfig(data []byte) (*Config, error) {
	var r rawConfig
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("preprocessor config: %w", err)
	}
	c := DefaultCLIP()
	setBool := func(dst *bool, src *bool) {
		if src != nil {
			*dst = *src
		}
	}
	setBool(&c.DoConvertRGB, r.DoConvertRGB)
	setBool(&c.DoResize, r.DoResize)
	setBool(&c.DoCenterCrop, r.DoCenterCrop)
	setBool(&c.DoRescale, r.DoRescale)
	setBool(&c.DoNormalize, r.DoNormalize)
	if r.Resample != nil {
		c.Resample = *r.Resample
	}
	if r.RescaleFactor != nil {
		c.RescaleFactor = *r.RescaleFactor
	}
	if len(r.Size) > 0 && string(r.Size) != "null" {
		// HF's get_size_dict(size, default_to_square=False): a bare int is the shortest edge.
		var n int
		if json.Unmarshal(r.Size, &n) == nil {
			c.ShortestEdge, c.Height, c.Width = n, 0, 0
		} else {
			var d sizeDict
			if err := json.Unmarshal(r.Size, &d); err != nil {
				return nil, fmt.Errorf("size: %w", err)
			}
			switch {
			case d.LongestEdge != nil:
				return nil, fmt.Errorf("size: longest_edge is not supported")
			case d.ShortestEdge != nil:
				c.ShortestEdge, c.Height, c.Width = *d.ShortestEdge, 0, 0
			case d.Height != nil && d.Width != nil:
				c.ShortestEdge, c.Height, c.Width = 0, *d.Height, *d.Width
			default:
				return nil, fmt.Errorf("size: want shortest_edge or height and width, got %s", r.Size)
			}
		}
	}
	if len(r.CropSize) > 0 && string(r.CropSize) != "null" {
		// get_size_dict(crop_size, default_to_square=True): a bare int is a square.
		var n int
		if json.Unmarshal(r.CropSize, &n) == nil {
			c.CropHeight, c.CropWidth = n, n
		} else {
			var d sizeDict
			if err := json.Unmarshal(r.CropSize, &d); err != nil || d.Height == nil || d.Width == nil {
				return nil, fmt.Errorf("crop_size: want height and width, got %s", r.CropSize)
			}
			c.CropHeight, c.CropWidth = *d.Height, *d.Width
		}
	}
	for _, f := range []struct {
		name string
		src  []float64
		dst  *[3]float32
	}{{"image_mean", r.ImageMean, &c.Mean}, {"image_std", r.ImageStd, &c.Std}} {
		switch len(f.src) {
		case 0:
		case 1: // HF broadcasts a single value over the channels
			*f.dst = [3]float32{float32(f.src[0]), float32(f.src[0]), float32(f.src[0])}
		case 3:
			*f.dst = [3]float32{float32(f.src[0]), float32(f.src[1]), float32(f.src[2])}
		default:
			return nil, fmt.Errorf("%s: want 3 values, got %d", f.name, len(f.src))
		}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Validate reports a configuration Preprocess cannot honour.
func (c *Config) Validate() error {
	if c.DoResize {
		if c.ShortestEdge <= 0 && (c.Height <= 0 || c.Width <= 0) {
			return fmt.Errorf("resize: want shortest_edge > 0 or height and width > 0")
		}
		if _, err := filterFor(c.Resample); err != nil {
			return err
		}
	}
	if c.DoCenterCrop && (c.CropHeight <= 0 || c.CropWidth <= 0) {
		return fmt.Errorf("crop_size: want height and width > 0, got %d×%d", c.CropHeight, c.CropWidth)
	}
	if c.DoNormalize {
		for i, s := range c.Std {
			if s == 0 {
				return fmt.Errorf("image_std[%d] is 0", i)
			}
		}
	}
	return nil
}
