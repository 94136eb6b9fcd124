// Package tokenize turns text into model input ids from a HuggingFace
// tokenizer.json (or a BERT vocab.txt), with HF's truncation, padding and
// attention masks, matching HF's Rust tokenizers engine id for id.
//
// BERT-style pipelines (BertNormalizer, BertPreTokenizer, WordPiece) and
// byte-level BPE ones (CLIP, GPT-2: NFC, Replace, Lowercase, Split, ByteLevel,
// BPE) run on this package's own code, verified on every code point and on
// thousands of golden strings from the Rust engine. Other pipelines
// (Unigram, Metaspace, …) are delegated to go-huggingface's hftokenizer; see
// encoder.go and bpe.go.
package tokenize

import (
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/core/tensors"
)

// Padding chooses how EncodeBatch pads rows.
type Padding int

const (
	// PadAuto pads as tokenizer.json's "padding" says, else like PadLongest.
	PadAuto Padding = iota
	// PadLongest pads every row to the longest row of the batch.
	PadLongest
	// PadFixed pads every row to the effective maximum length.
	PadFixed
	// PadNone leaves rows at their own lengths.
	PadNone
)

// Options tune EncodeBatch. The zero value is HF's
// tokenizer(texts, truncation=True, padding=True): special tokens added,
// truncation to the model's maximum length, padding to the longest row.
type Options struct {
	// MaxLength caps each row, special tokens included; 0 means the
	// tokenizer's MaxLength.
	MaxLength int
	// NoTruncate keeps rows longer than MaxLength whole.
	NoTruncate bool
	// Pad is the padding strategy.
	Pad Padding
	// SkipSpecialTokens leaves out [CLS]/[SEP] (or <|startoftext|>, …).
	SkipSpecialTokens bool
	// PadID, when set, pads with this id instead of PadID(): OpenAI's CLIP
	// (and the reference inputs) pad with 0, while HF's CLIPTokenizerFast
	// pads with <|endoftext|>, e.g. Options{Pad: PadFixed, PadID: new(0)}.
	PadID *int
	// PadToMultipleOf rounds the padded length up to a multiple of this
	// (HF's pad_to_multiple_of); 0 keeps tokenizer.json's own setting. A
	// batch padded to a multiple of 8 compiles a handful of graph shapes
	// over a corpus instead of one per length.
	PadToMultipleOf int
}

// Batch is a padded batch: IDs[i] and Mask[i] have the same length, and
// Lengths[i] counts the tokens of row i that are not padding.
type Batch struct {
	IDs     [][]int
	Mask    [][]int
	Lengths []int
}

// Int32 flattens the batch row-major for an int32 tensor of shape
// [rows, cols], the layout GoMLX's tensors.FromFlatDataAndDimensions takes.
// Rows of unequal length (PadNone) are an error.
func (b *Batch) Int32() (ids, mask []int32, rows, cols int, err error) {
	rows = len(b.IDs)
	if rows > 0 {
		cols = len(b.IDs[0])
	}
	ids = make([]int32, 0, rows*cols)
	mask = make([]int32, 0, rows*cols)
	for i, row := range b.IDs {
		if len(row) != cols {
			return nil, nil, 0, 0, fmt.Errorf("tokenize: batch row %d has %d ids, row 0 has %d: pad the batch to flatten it", i, len(row), cols)
		}
		for j, id := range row {
			ids = append(ids, int32(id))
			mask = append(mask, int32(b.Mask[i][j]))
		}
	}
	return ids, mask, rows, cols, nil
}

// Tensors are the batch as the int32 tensors [rows, cols] a model takes:
// input_ids and attention_mask. Rows of unequal length (PadNone) are an
// error.
func (b *Batch) Tensors() (ids, mask *tensors.Tensor, err error) {
	idv, mv, rows, cols, err := b.Int32()
	if err != nil {
		return nil, nil, err
	}
	return tensors.FromFlatDataAndDimensions(idv, rows, cols), tensors.FromFlatDataAndDimensions(mv, rows, cols), nil
}

// Tokenizer encodes text into ids. It is safe for concurrent use.
type Tokenizer struct {
	source string // the file it was loaded from, for messages

	enc      encoder
	prefix   []int // special ids before a single sequence
	suffix   []int // special ids after it
	special  map[int]bool
	tokens   map[string]int
	idTokens map[int]string
	size     int

	maxLength     int
	truncateLeft  bool
	fileTruncates bool // tokenizer.json has its own "truncation"

	padID       int
	padLeft     bool
	padMultiple int
	filePad     Padding // strategy from tokenizer.json, PadAuto if none
	fileFixed   int     // length for the file's Fixed strategy

	decode func(tokens []string) string
}

// Encode mirrors the Rust engine's tokenizer.encode(text): special tokens
// added, tokenizer.json's own truncation applied when it sets one, no
// padding. Use EncodeBatch for model inputs capped at MaxLength.
func (t *Tokenizer) Encode(text string) []int {
	ids := t.enc.encode(text)
	if t.fileTruncates {
		ids = t.truncate(ids, t.maxLength-len(t.prefix)-len(t.suffix))
	}
	return t.addSpecial(ids)
}

// EncodeBatch encodes texts into one batch as HF's tokenizer(texts, ...) does.
func (t *Tokenizer) EncodeBatch(texts []string, o Options) (*Batch, error) {
	maxLen := o.MaxLength
	if maxLen <= 0 {
		maxLen = t.maxLength
	}
	nSpecial := 0
	if !o.SkipSpecialTokens {
		nSpecial = len(t.prefix) + len(t.suffix)
	}
	if !o.NoTruncate && maxLen < nSpecial {
		return nil, fmt.Errorf("tokenize: max length %d leaves no room for the %d special tokens", maxLen, nSpecial)
	}
	rows := make([][]int, len(texts))
	for i, text := range texts {
		ids := t.enc.encode(text)
		if !o.NoTruncate {
			ids = t.truncate(ids, maxLen-nSpecial)
		}
		if !o.SkipSpecialTokens {
			ids = t.addSpecial(ids)
		}
		rows[i] = ids
	}
	return t.Pad(rows, o)
}

// Pad pads rows that are already encoded (special tokens included) into a
// batch, as HF's tokenizer.pad does for a data collator: the padding
// strategy, length and id of o, the side tokenizer.json says. It never
// truncates; a row longer than a fixed length is an error.
func (t *Tokenizer) Pad(rows [][]int, o Options) (*Batch, error) {
	maxLen := o.MaxLength
	if maxLen <= 0 {
		maxLen = t.maxLength
	}
	b := &Batch{IDs: make([][]int, len(rows)), Mask: make([][]int, len(rows)), Lengths: make([]int, len(rows))}
	longest := 0
	for i, ids := range rows {
		b.IDs[i] = ids
		b.Lengths[i] = len(ids)
		longest = max(longest, len(ids))
	}

	pad := o.Pad
	fixed := maxLen
	if pad == PadAuto {
		pad = PadLongest
		if t.filePad != PadAuto {
			pad = t.filePad
			if pad == PadFixed && o.MaxLength <= 0 {
				fixed = t.fileFixed
			}
		}
	}
	target := -1
	switch pad {
	case PadLongest:
		target = longest
	case PadFixed:
		target = fixed
	}
	multiple := t.padMultiple
	if o.PadToMultipleOf > 0 {
		multiple = o.PadToMultipleOf
	}
	if target >= 0 && multiple > 1 && target%multiple != 0 {
		target += multiple - target%multiple
	}
	padID := t.padID
	if o.PadID != nil {
		padID = *o.PadID
	}
	for i, ids := range b.IDs {
		n := len(ids)
		if target >= 0 && n > target {
			return nil, fmt.Errorf("tokenize: text %d has %d tokens, more than the fixed padding length %d (truncation is off)", i, n, target)
		}
		width := n
		if target >= 0 {
			width = target
		}
		row := make([]int, width) // a new row: the caller's stays as it was
		mask := make([]int, width)
		off := 0
		if t.padLeft {
			off = width - n
		}
		for j := range row {
			row[j] = padID
		}
		copy(row[off:], ids)
		for j := off; j < off+n; j++ {
			mask[j] = 1
		}
		b.IDs[i], b.Mask[i] = row, mask
	}
	return b, nil
}

// truncate keeps keep content tokens, from the end HF's direction says.
func (t *Tokenizer) truncate(ids []int, keep int) []int {
	if keep < 0 {
		keep = 0
	}
	if len(ids) <= keep {
		return ids
	}
	if t.truncateLeft {
		return ids[len(ids)-keep:]
	}
	return ids[:keep]
}

func (t *Tokenizer) addSpecial(ids []int) []int {
	out := make([]int, 0, len(t.prefix)+len(ids)+len(t.suffix))
	out = append(out, t.prefix...)
	out = append(out, ids...)
	return append(out, t.suffix...)
}

// Decode turns ids back into text, leaving out special tokens (HF's
// decode(ids, skip_special_tokens=True)). Unknown ids are skipped.
func (t *Tokenizer) Decode(ids []int) string {
	tokens := make([]string, 0, len(ids))
	for _, id := range ids {
		if tok, ok := t.idTokens[id]; ok && !t.special[id] {
			tokens = append(tokens, tok)
		}
	}
	return t.decode(tokens)
}

// PadID is the id used for padding.
func (t *Tokenizer) PadID() int { return t.padID }

// VocabSize is one more than the largest id, i.e. the rows an embedding
// table needs.
func (t *Tokenizer) VocabSize() int { return t.size }

// Token returns the string of id, or "" if there is none.
func (t *Tokenizer) Token(id int) string { return t.idTokens[id] }

// ID returns the id of token, model vocabulary and added tokens alike.
func (t *Tokenizer) ID(token string) (int, bool) {
	id, ok := t.tokens[token]
	return id, ok
}

// MaxLength is the default cap on a row, special tokens included.
func (t *Tokenizer) MaxLength() int { return t.maxLength }

// SpecialIDs returns the ids put before and after every sequence.
func (t *Tokenizer) SpecialIDs() (prefix, suffix []int) {
	return slices.Clone(t.prefix), slices.Clone(t.suffix)
}
