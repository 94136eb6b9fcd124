package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"

	"github.com/go-translab/translab/lab/hub"
	"github.com/go-translab/translab/lab/tokenize"
)

func runTokenize(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("tokenize", "--tokenizer PATH_OR_HUB_ID --input TEXTFILE [--encoding utf-8|latin-1] [--max-length N]", stderr)
	tokPath := fs.String("tokenizer", "", "tokenizer.json, a directory holding it, or a hub model id")
	input := fs.String("input", "", "text file, one input per line")
	maxLen := fs.Int("max-length", 0, "truncate to N tokens, special tokens included (0: the tokenizer's model_max_length)")
	encoding := encodingFlag(fs)
	if err := parse(fs, args, required("tokenizer", "input"), atLeast("max-length", 0, "0: the tokenizer's model_max_length"), encodingRule(), inFile("input")); err != nil {
		return err
	}
	lines, err := readLines(*input, *encoding)
	if err != nil {
		return err
	}
	tok, err := loadTokenizer(ctx, *tokPath)
	if err != nil {
		return err
	}
	enc, err := tok.EncodeBatch(lines, tokenize.Options{MaxLength: *maxLen, Pad: tokenize.PadNone})
	if err != nil {
		return err
	}
	w := bufio.NewWriter(stdout)
	for _, ids := range enc.IDs {
		if ids == nil {
			ids = []int{}
		}
		line, _ := json.Marshal(struct {
			IDs []int `json:"ids"`
		}{ids})
		w.Write(append(line, '\n'))
	}
	return w.Flush()
}

// loadTokenizer takes a tokenizer.json path, a directory, or a hub id.
func loadTokenizer(ctx context.Context, pathOrID string) (*tokenize.Tokenizer, error) {
	if st, err := os.Stat(pathOrID); err == nil && !st.IsDir() {
		return tokenize.Load(pathOrID)
	}
	dir, err := hub.Resolve(ctx, hub.NewClient(), pathOrID,
		hub.Optional("tokenizer.json"), hub.Optional("tokenizer_config.json"), hub.Optional("vocab.txt"),
		hub.Optional("special_tokens_map.json"))
	if err != nil {
		return nil, err
	}
	return tokenize.Load(filepath.Clean(dir))
}
