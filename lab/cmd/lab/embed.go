package main

import (
	"context"
	"fmt"
	"io"

	"github.com/go-translab/translab/lab/backend"
	"github.com/go-translab/translab/lab/bert"
	"github.com/go-translab/translab/lab/distilbert"
	"github.com/go-translab/translab/lab/features"
	"github.com/go-translab/translab/lab/hub"
	"github.com/go-translab/translab/lab/npy"
	"github.com/go-translab/translab/lab/session"
	"github.com/go-translab/translab/lab/tokenize"
	"github.com/go-translab/translab/lab/weights"
)

func runEmbed(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("embed", "--model DIR_OR_HUB_ID --input TEXTFILE --out OUT.npy [--encoding utf-8|latin-1] [--pool cls|mean|none] [--max-length N] [--batch N] [--dtype float32|bf16]", stderr)
	modelID := fs.String("model", "", "HF-format DistilBERT or BERT directory or hub id (e.g. distilbert-base-uncased, sentence-transformers/all-MiniLM-L6-v2)")
	input := fs.String("input", "", "text file, one sentence per line")
	out := fs.String("out", "", "output .npy file (float32)")
	pool := fs.String("pool", "cls", "cls: [N, dim] [CLS] vectors; mean: [N, dim] means over each sentence's tokens (sentence-transformers' pooling); none: [N, L, dim] last hidden states, zero at padding")
	maxLen := fs.Int("max-length", 0, "truncate to N tokens (0: the tokenizer's model_max_length)")
	batch := fs.Int("batch", 32, "sentences per forward pass")
	dtype := fs.String("dtype", "float32", "matmul precision: float32, or bf16 (bfloat16 mixed precision for GPUs; output stays float32)")
	encoding := encodingFlag(fs)
	if err := parse(fs, args, required("model", "input", "out"), atLeast("max-length", 0, "0: the tokenizer's model_max_length"), atLeast("batch", 1, ""),
		oneOf("pool", "cls", "mean", "none"), encodingRule(), inFile("input"), outFile("out")); err != nil {
		return err
	}
	compute, err := weights.ParseCompute(*dtype)
	if err != nil {
		return fmt.Errorf("--%w", err)
	}
	texts, err := readLines(*input, *encoding)
	if err != nil {
		return err
	}
	h := hub.NewClient()
	h.Progress = stderr
	dir, err := session.ModelDir(ctx, h, *modelID)
	if err != nil {
		return err
	}
	m, err := session.LoadEncoder(dir)
	if err != nil {
		return err
	}
	switch m := m.(type) { // the matmuls' dtype is each model's own field
	case *distilbert.Model:
		m.Compute = compute
	case *bert.Model:
		m.Compute = compute
	}
	if err := checkMaxLength(*maxLen, m.MaxPositions()); err != nil {
		return err
	}
	tok, err := tokenize.Load(dir)
	if err != nil {
		return err
	}
	b, _, err := backend.Default()
	if err != nil {
		return err
	}
	x, err := features.Text(b, m, tok, texts, features.Options{
		Pool: features.Pool(*pool), MaxLength: *maxLen, BatchSize: *batch, Progress: stderr,
	})
	if err != nil {
		return err
	}
	if err := npy.WriteFloat32(*out, x.Shape, x.Data); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "lab embed: wrote %s %v float32 (matmuls in %s)\n", *out, x.Shape, compute)
	return nil
}

// checkMaxLength refuses a --max-length past the model's position table, which has no vector for
// the positions beyond it.
func checkMaxLength(maxLen, positions int) error {
	if maxLen > positions {
		return &badFlag{fmt.Sprintf("--max-length %d: want ≤ %d, the model's max_position_embeddings", maxLen, positions)}
	}
	return nil
}
