package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/go-translab/translab/lab/backend"
	"github.com/go-translab/translab/lab/clip"
	"github.com/go-translab/translab/lab/hub"
	"github.com/go-translab/translab/lab/imageproc"
	"github.com/go-translab/translab/lab/npy"
	"github.com/go-translab/translab/lab/session"
	"github.com/go-translab/translab/lab/show"
	"github.com/go-translab/translab/lab/tokenize"
	"github.com/go-translab/translab/lab/weights"
)

func runCLIPEmbed(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("clip-embed", "--model DIR_OR_HUB_ID (--texts FILE [--encoding utf-8|latin-1] | --images DIR) --out OUT.npy [--batch 32] [--dtype float32|bf16]", stderr)
	modelID := fs.String("model", "openai/clip-vit-base-patch16", "CLIP: hub id or HF directory")
	texts := fs.String("texts", "", "text file, one caption or prompt per line")
	images := fs.String("images", "", "directory of images (JPEG, PNG, GIF, BMP, WebP), embedded in file-name order")
	out := fs.String("out", "", "output .npy: [N, projection_dim] float32, L2-normalised")
	batch := fs.Int("batch", 32, "images per forward pass")
	dtype := fs.String("dtype", "float32", "matmul precision: float32, or bf16 (bfloat16 mixed precision for GPUs; output stays float32)")
	encoding := encodingFlag(fs)
	if err := parse(fs, args, required("out"), atLeast("batch", 1, ""), encodingRule(), inFile("texts"), outFile("out")); err != nil {
		return err
	}
	compute, err := weights.ParseCompute(*dtype)
	if err != nil {
		return fmt.Errorf("--%w", err)
	}
	if (*texts == "") == (*images == "") {
		return &badFlag{"give exactly one of --texts and --images"}
	}
	// The inputs are read before the model: a bad file or an empty folder costs no load.
	var lines, files []string
	if *texts != "" {
		if lines, err = readLines(*texts, *encoding); err != nil {
			return err
		}
	} else if files, err = imageFiles(*images); err != nil {
		return fmt.Errorf("--images: %w", err)
	}
	c := hub.NewClient()
	c.Progress = stderr
	dir, err := session.CLIPDir(ctx, c, *modelID)
	if err != nil {
		return err
	}
	m, err := clip.LoadDir(dir)
	if err != nil {
		return err
	}
	m.Compute = compute
	b, _, err := backend.Default()
	if err != nil {
		return err
	}
	var emb []float32
	var n int
	if *texts != "" {
		tok, err := tokenize.Load(dir)
		if err != nil {
			return err
		}
		if emb, err = m.TextEmbeddings(b, tok, lines); err != nil {
			return err
		}
		n = len(lines)
	} else {
		proc := imageproc.DefaultCLIP()
		if p := filepath.Join(dir, "preprocessor_config.json"); fileExists(p) {
			if proc, err = imageproc.LoadConfig(p); err != nil {
				return err
			}
		}
		bar := show.NewProgress(stderr, "clip-embed", int64(len(files)), "images")
		for start := 0; start < len(files); start += *batch {
			chunk := files[start:min(start+*batch, len(files))]
			raw := make([][]byte, len(chunk))
			for i, f := range chunk {
				if raw[i], err = os.ReadFile(f); err != nil {
					return err
				}
			}
			pixels, _, _, err := proc.Batch(raw, runtime.GOMAXPROCS(0))
			if err != nil {
				return fmt.Errorf("%s: %w", chunk[0], err)
			}
			e, err := m.ImageEmbeddings(b, pixels, len(chunk))
			if err != nil {
				return err
			}
			emb = append(emb, e...)
			bar.Add(int64(len(chunk)))
		}
		bar.Done()
		n = len(files)
	}
	shape := []int{n, m.Config.ProjectionDim}
	if err := npy.WriteFloat32(*out, shape, emb); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "lab clip-embed: wrote %s %v float32 (L2-normalised, matmuls in %s)\n", *out, shape, compute)
	return nil
}

var imageExts = map[string]bool{".jpg": true, ".jpeg": true, ".png": true, ".gif": true, ".bmp": true, ".webp": true}

// imageFiles lists a directory's images in name order, so row i of the output is the i-th file.
func imageFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && imageExts[strings.ToLower(filepath.Ext(e.Name()))] {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no images (.jpg, .png, .gif, .bmp, .webp)", dir)
	}
	sort.Strings(files)
	return files, nil
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
