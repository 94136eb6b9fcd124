package features

import (
	"github.com/gomlx/compute"

	"github.com/go-translab/translab/lab/cache"
	"github.com/go-translab/translab/lab/clip"
	"github.com/go-translab/translab/lab/show"
	"github.com/go-translab/translab/lab/tokenize"
)

// clipFiles are the files a CLIP's outputs depend on, in any of its checkpoint layouts.
var clipFiles = []string{"config.json", "model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "tokenizer.json"}

// Images are CLIP's normalised image embeddings of pixel values [n, channels, size, size] (the
// image processor's output), [n, projection_dim] — get_image_features over a set, in batches.
// With Cache they are kept on disk under a name made of the model's files and the pixels
// themselves; a model with an adapter (being fine-tuned) is never cached.
func Images(b compute.Backend, m *clip.Model, pixels []float32, n int, o Options) (*Matrix, error) {
	o = o.withDefaults()
	compute := func() (*Matrix, error) {
		c := m.Config.Vision
		per := c.NumChannels * c.ImageSize * c.ImageSize
		d := m.Config.ProjectionDim
		out := &Matrix{Data: make([]float32, 0, n*d), Shape: []int{n, d}}
		bar := show.NewProgress(o.Progress, label(o, "image features"), int64(n), "images")
		defer bar.Done()
		for start := 0; start < n; start += o.BatchSize {
			k := min(o.BatchSize, n-start)
			emb, err := m.ImageEmbeddings(b, pixels[start*per:(start+k)*per], k)
			if err != nil {
				return nil, err
			}
			out.Data = append(out.Data, emb...)
			bar.Add(int64(k))
		}
		return out, nil
	}
	if !o.Cache || m.Adapter != nil {
		return compute()
	}
	key := cache.NewKey("clip-images").Files(m.Dir, clipFiles...).Values(m.Compute.String()).Floats(pixels)
	return cached(key, []int{n, m.Config.ProjectionDim}, o, "image features", n, "images", compute)
}

// Prompts are CLIP's normalised text embeddings of texts, [n, projection_dim] —
// get_text_features over a set, in batches, cached like Images.
func Prompts(b compute.Backend, m *clip.Model, tok *tokenize.Tokenizer, texts []string, o Options) (*Matrix, error) {
	o = o.withDefaults()
	compute := func() (*Matrix, error) {
		d := m.Config.ProjectionDim
		out := &Matrix{Data: make([]float32, 0, len(texts)*d), Shape: []int{len(texts), d}}
		bar := show.NewProgress(o.Progress, label(o, "text features"), int64(len(texts)), "prompts")
		defer bar.Done()
		for start := 0; start < len(texts); start += o.BatchSize {
			part := texts[start:min(start+o.BatchSize, len(texts))]
			emb, err := m.TextEmbeddings(b, tok, part)
			if err != nil {
				return nil, err
			}
			out.Data = append(out.Data, emb...)
			bar.Add(int64(len(part)))
		}
		return out, nil
	}
	if !o.Cache || m.Adapter != nil {
		return compute()
	}
	key := cache.NewKey("clip-texts").Files(m.Dir, clipFiles...).Values(m.Compute.String()).Texts(texts)
	return cached(key, []int{len(texts), m.Config.ProjectionDim}, o, "text features", len(texts), "prompts", compute)
}
