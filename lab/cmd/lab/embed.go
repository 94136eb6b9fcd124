package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/go-translab/translab/lab/atomicfile"
	"github.com/go-translab/translab/lab/backend"
	"github.com/go-translab/translab/lab/bert"
	"github.com/go-translab/translab/lab/datasets"
	"github.com/go-translab/translab/lab/distilbert"
	"github.com/go-translab/translab/lab/features"
	"github.com/go-translab/translab/lab/hub"
	"github.com/go-translab/translab/lab/npy"
	"github.com/go-translab/translab/lab/session"
	"github.com/go-translab/translab/lab/tokenize"
	"github.com/go-translab/translab/lab/weights"
)

func runEmbed(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("embed", "--model DIR_OR_HUB_ID --input TEXTFILE|FILE.csv --out OUT.npy [--text-column text] [--label-column NAME --out-labels y.npy] [--encoding utf-8|latin-1] [--pool cls|mean|none] [--max-length N] [--batch N] [--dtype float32|bf16]", stderr)
	modelID := fs.String("model", "", "HF-format DistilBERT or BERT directory or hub id (e.g. distilbert-base-uncased, sentence-transformers/all-MiniLM-L6-v2)")
	input := fs.String("input", "", "text file, one sentence per line; or a .csv, .tsv or .jsonl file with a header naming its columns")
	textColumn := fs.String("text-column", "", "in a .csv/.tsv/.jsonl --input, the `COLUMN` holding the sentences (default \"text\")")
	labelColumn := fs.String("label-column", "", "in a .csv/.tsv/.jsonl --input, the `COLUMN` holding the labels, written to --out-labels (strings are numbered in sorted order over the file and the split files beside it)")
	outLabels := fs.String("out-labels", "", "write the labels of --label-column to this [N] int64 .npy (lab svm's --train-y / --test-y)")
	out := fs.String("out", "", "output .npy file (float32)")
	pool := fs.String("pool", "cls", "cls: [N, dim] [CLS] vectors; mean: [N, dim] means over each sentence's tokens (sentence-transformers' pooling); none: [N, L, dim] last hidden states, zero at padding")
	maxLen := fs.Int("max-length", 0, "truncate to N tokens (0: the tokenizer's model_max_length)")
	batch := fs.Int("batch", 32, "sentences per forward pass")
	dtype := fs.String("dtype", "float32", "matmul precision: float32, or bf16 (bfloat16 mixed precision for GPUs; output stays float32)")
	encoding := encodingFlag(fs)
	if err := parse(fs, args, required("model", "input", "out"), atLeast("max-length", 0, "0: the tokenizer's model_max_length"), atLeast("batch", 1, ""),
		oneOf("pool", "cls", "mean", "none"), encodingRule(), inFile("input"), outFile("out"), outFile("out-labels")); err != nil {
		return err
	}
	if (*labelColumn == "") != (*outLabels == "") {
		return &badFlag{"--label-column and --out-labels go together: the column to read and the .npy to write"}
	}
	table := datasets.IsTextFile(*input)
	if !table && (*textColumn != "" || *labelColumn != "") {
		return &badFlag{fmt.Sprintf("--text-column, --label-column: %s is read one sentence per line; columns are for a .csv, .tsv or .jsonl --input", *input)}
	}
	if *outLabels != "" && samePath(*out, *outLabels) {
		return &badFlag{fmt.Sprintf("--out and --out-labels name the same file %s", *out)}
	}
	compute, err := weights.ParseCompute(*dtype)
	if err != nil {
		return fmt.Errorf("--%w", err)
	}
	var texts []string
	var labels []int64
	if table {
		if texts, labels, err = readTable(*input, *textColumn, *labelColumn, stderr); err != nil {
			return err
		}
	} else if texts, err = readLines(*input, *encoding); err != nil {
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
	if *outLabels == "" {
		if err := npy.WriteFloat32(*out, x.Shape, x.Data); err != nil {
			return err
		}
	} else if err := writeFeaturesAndLabels(*out, x.Shape, x.Data, *outLabels, labels); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "lab embed: wrote %s %v float32 (matmuls in %s)\n", *out, x.Shape, compute)
	return nil
}

// readTable reads the sentences (and labels) of one CSV, TSV or JSON-lines file.
func readTable(path, textColumn, labelColumn string, stderr io.Writer) ([]string, []int64, error) {
	if textColumn == "" {
		textColumn = "text"
	}
	d, err := datasets.OpenFile(datasets.Spec{TextColumn: textColumn, LabelColumn: labelColumn}, path)
	if err != nil {
		return nil, nil, err
	}
	rows, err := d.Splits[d.Available[0]].ReadAll()
	if err != nil {
		return nil, nil, err
	}
	if d.LabelsFromStrings {
		var parts []string
		for i, n := range d.LabelNames {
			parts = append(parts, fmt.Sprintf("%d %s", i, n))
		}
		fmt.Fprintf(stderr, "lab embed: the labels of column %q are strings, numbered in sorted order: %s\n", labelColumn, strings.Join(parts, ", "))
	}
	labels := make([]int64, len(rows))
	for i, r := range rows {
		labels[i] = int64(r.Label)
	}
	return datasets.Texts(rows), labels, nil
}

// writeFeaturesAndLabels writes both files or neither: features without their labels (or the
// labels of other features) would pair wrongly in lab svm.
func writeFeaturesAndLabels(out string, shape []int, x []float32, outLabels string, labels []int64) error {
	px, err := atomicfile.Prepare(out, func(w io.Writer) error { return npy.EncodeFloat32(w, shape, x) })
	if err != nil {
		return err
	}
	defer px.Discard()
	py, err := atomicfile.Prepare(outLabels, func(w io.Writer) error { return npy.EncodeInt64(w, []int{len(labels)}, labels) })
	if err != nil {
		return err
	}
	defer py.Discard()
	if err := px.Commit(); err != nil {
		return err
	}
	return py.Commit()
}

// checkMaxLength refuses a --max-length past the model's position table, which has no vector for
// the positions beyond it.
func checkMaxLength(maxLen, positions int) error {
	if maxLen > positions {
		return &badFlag{fmt.Sprintf("--max-length %d: want ≤ %d, the model's max_position_embeddings", maxLen, positions)}
	}
	return nil
}
