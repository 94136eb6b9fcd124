package collate

import (
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/go-translab/translab/data"
	"github.com/go-translab/translab/lab/datasets"
	"github.com/go-translab/translab/lab/tokenize"
)

func demoTokenizer(t *testing.T) *tokenize.Tokenizer {
	dir, err := data.DemoDir()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenize.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// WithPadding pads each batch to its own longest row, rounded up to the multiple, with the
// tokenizer's pad id and a mask of zeros there — HF's DataCollatorWithPadding.
func TestWithPadding(t *testing.T) {
	tok := demoTokenizer(t)
	rows := []datasets.Row{
		{Fields: map[string]any{InputIDs: []int{101, 7, 8, 9, 102}}, Label: 1},
		{Fields: map[string]any{InputIDs: []int{101, 7, 102}}, Label: 0},
	}
	in, err := WithPadding{Tokenizer: tok, PadToMultipleOf: 8}.Collate(rows)
	if err != nil {
		t.Fatal(err)
	}
	ids, mask := tensors.MustCopyFlatData[int32](in[0]), tensors.MustCopyFlatData[int32](in[1])
	if d := in[0].Shape().Dimensions; len(d) != 2 || d[0] != 2 || d[1] != 8 {
		t.Fatalf("input_ids of shape %v, want [2 8]", d)
	}
	for j := range 8 {
		if (mask[8+j] == 1) != (j < 3) || (j >= 3 && ids[8+j] != int32(tok.PadID())) {
			t.Errorf("row 1, position %d: id %d mask %d", j, ids[8+j], mask[8+j])
		}
	}
	in, _ = WithPadding{Tokenizer: tok}.Collate(rows)
	if d := in[0].Shape().Dimensions; d[1] != 5 {
		t.Errorf("without a multiple the batch pads to its longest row (5), got %d", d[1])
	}
	if y := tensors.MustCopyFlatData[int32](Labels(rows)); y[0] != 1 || y[1] != 0 {
		t.Errorf("labels %v", y)
	}
	if _, err := (WithPadding{Tokenizer: tok}).Collate([]datasets.Row{{Index: 4, Text: "raw"}}); err == nil || !strings.Contains(err.Error(), "row 4 has no input_ids") {
		t.Errorf("an untokenised row: %v", err)
	}
}

func TestStack(t *testing.T) {
	rows := []datasets.Row{{Fields: map[string]any{"x": []float32{1, 2, 3, 4}}}, {Fields: map[string]any{"x": []float32{5, 6, 7, 8}}}}
	in, err := Stack{Field: "x", Dims: []int{2, 2}}.Collate(rows)
	if err != nil {
		t.Fatal(err)
	}
	if d := in[0].Shape().Dimensions; len(d) != 3 || d[0] != 2 || d[1] != 2 || d[2] != 2 || tensors.MustCopyFlatData[float32](in[0])[7] != 8 {
		t.Errorf("stacked %v", in[0])
	}
	if _, err := (Stack{Field: "x", Dims: []int{3}}).Collate(rows); err == nil || !strings.Contains(err.Error(), `field "x" holds 4`) {
		t.Errorf("a field of the wrong size: %v", err)
	}
}
