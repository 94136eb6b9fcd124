package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/go-translab/translab/lab/backend"
	"github.com/go-translab/translab/lab/ex2"
	"github.com/go-translab/translab/lab/hub"
	"github.com/go-translab/translab/lab/session"
	"github.com/go-translab/translab/lab/show"
)

func runClassify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("classify", "--model DIR_OR_HUB_ID [--adapter DIR] [--labels a,b] --input TEXTFILE [--encoding utf-8|latin-1]", stderr)
	modelID := fs.String("model", "", "a fine-tuned DistilBertForSequenceClassification or BertForSequenceClassification (e.g. ex2's OUTPUT_DIR/best), or with --adapter its base encoder")
	adapter := fs.String("adapter", "", "a PEFT LoRA adapter that saved its head (ex2 --lora's OUTPUT_DIR/adapter)")
	labels := fs.String("labels", "", "comma-separated label names, in id order (default: the model's id2label)")
	input := fs.String("input", "", "text file, one sentence per line")
	encoding := encodingFlag(fs)
	if err := parse(fs, args, required("model", "input"), encodingRule(), inFile("input")); err != nil {
		return err
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
	b, _, err := backend.Default()
	if err != nil {
		return err
	}
	c, err := ex2.LoadClassifier(b, dir, *adapter)
	if err != nil {
		return err
	}
	if *labels != "" {
		names := strings.Split(*labels, ",")
		if len(names) != len(c.Labels) {
			return fmt.Errorf("--labels: %d names for a model with %d labels", len(names), len(c.Labels))
		}
		c.Labels = names
	}
	c.Progress = stderr
	preds, err := c.Predict(texts)
	if err != nil {
		return err
	}
	show.Show(stdout, c.Table(texts, preds))
	return nil
}
