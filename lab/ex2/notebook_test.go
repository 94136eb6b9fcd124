package ex2

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/go-translab/translab/lab/collate"
	"github.com/go-translab/translab/lab/datasets"
	"github.com/go-translab/translab/lab/train"
)

// notebookSources are the code cells of notebooks/02_fine_tuning.ipynb.
func notebookSources(t *testing.T) []string {
	raw, err := os.ReadFile(filepath.Join("..", "..", "notebooks", "02_fine_tuning.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	var nb struct {
		Cells []struct {
			CellType string          `json:"cell_type"`
			Source   json.RawMessage `json:"source"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(raw, &nb); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range nb.Cells {
		if c.CellType != "code" {
			continue
		}
		var s string
		if json.Unmarshal(c.Source, &s) != nil {
			var lines []string
			if err := json.Unmarshal(c.Source, &lines); err != nil {
				t.Fatal(err)
			}
			s = strings.Join(lines, "")
		}
		out = append(out, s)
	}
	return out
}

// TestNotebookRunsItsLiterals: notebook 02 overrides no knob behind the student's back — no cell
// changes the arguments when the demo runs — and the learning rate its arguments cell gives the
// demo is what trains: the training cell's calls with that literal, and with the literal edited,
// give different histories.
func TestNotebookRunsItsLiterals(t *testing.T) {
	cells := notebookSources(t)
	var demoLR float64
	lrLiteral := regexp.MustCompile(`LearningRate:\s*seedOrDemo\(([0-9.e+-]+),\s*([0-9.e+-]+)\)`)
	override := regexp.MustCompile(`if lab\.Demo \{[^}]*\b[A-Za-z.]*[Aa]rgs\.\w+\s*(,|=)`)
	for _, src := range cells {
		if override.MatchString(src) {
			t.Errorf("a cell changes what runs in the demo behind its literals:\n%s", src)
		}
		if m := lrLiteral.FindStringSubmatch(src); m != nil && strings.Contains(src, "func trainingArguments() train.Args {") {
			var err error
			if demoLR, err = strconv.ParseFloat(m[2], 64); err != nil {
				t.Fatal(err)
			}
		}
	}
	if demoLR == 0 {
		t.Fatal("no LearningRate: seedOrDemo(SEED, DEMO) in notebook 02's arguments cell")
	}
	s, ds, tok := demo(t)
	tokenized := func(split string) []datasets.Row {
		rows, err := ds.Rows(split)
		if err != nil {
			t.Fatal(err)
		}
		out, err := Tokenize(tok, rows, 0)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	history := func(lr float64) []float64 {
		classifier, err := NewForSequenceClassification(s.ModelDir, ds.Classes, 42)
		if err != nil {
			t.Fatal(err)
		}
		args := SeedArgs(t.TempDir(), true) // the notebook's other knobs on the demo
		args.LearningRate = lr
		args.NumTrainEpochs = 1 // an epoch on a sixth of the reviews shows whether the rate reaches the steps
		trainer, err := train.New(train.Config{
			Backend: s.Backend, Model: TrainModel(classifier), Args: args, Classes: ds.Classes,
			TrainDataset: tokenized("train")[:320], EvalDataset: tokenized("validation"),
			Collator: collate.WithPadding{Tokenizer: tok, PadToMultipleOf: 8}, Callbacks: []train.Callback{train.EarlyStopping{Patience: 2}},
		})
		if err != nil {
			t.Fatal(err)
		}
		h, err := trainer.Train(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var losses []float64
		for _, e := range h.Epochs {
			losses = append(losses, e.TrainLoss, e.EvalLoss, e.Metrics["balanced_accuracy"])
		}
		return losses
	}
	asWritten, edited := history(demoLR), history(demoLR/5)
	t.Logf("learning rate %g: %v; %g: %v", demoLR, asWritten, demoLR/5, edited)
	if slices.Equal(asWritten, edited) {
		t.Errorf("the history with learning rate %g equals the one with %g: the literal does not reach the Trainer", demoLR/5, demoLR)
	}
}
