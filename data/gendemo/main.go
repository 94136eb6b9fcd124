// Command gendemo writes the lab's offline demo fixtures into data/demo: a few hundred movie-review
// sentences in Rotten Tomatoes' parquet layout, a WordPiece tokenizer.json covering them, and a tiny
// DistilBERT with random weights in HF format. Run it from the repository root:
//
//	GOEXPERIMENT=simd go run ./data/gendemo
//
// The output is deterministic, so the committed files can be regenerated and compared.
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/go-translab/translab/lab/distilbert"
)

// The sentences are assembled from phrases written for the demo: an opening, a verdict whose
// polarity is the label, and sometimes a concession of the opposite polarity that comes first, so
// that a bag of words is not quite enough — a real but learnable signal.
var openings = []string{
	"the film", "this movie", "the story", "the director's latest", "the sequel", "the script",
	"this comedy", "the thriller", "the documentary", "the cast", "the final act", "the whole thing",
	"this drama", "the animated feature", "the remake", "its second half",
}

var positive = []string{
	"is a gorgeous , witty delight", "is warm , funny and wise", "is a triumph of craft and heart",
	"delivers a moving , beautifully acted story", "is smart , tender and often hilarious",
	"sparkles with charm and invention", "is a rare gem that earns its tears",
	"keeps you grinning from start to finish", "is a thoughtful , rewarding experience",
	"is gripping and superbly made", "offers fresh , joyful entertainment",
	"is a touching portrait of family life", "is brilliantly written and directed",
	"has real wit and genuine emotion", "is a confident , exhilarating ride",
	"is one of the year's best surprises", "is lovely , lively and deeply felt",
	"works beautifully on every level", "is clever , playful and wonderfully strange",
	"is an absorbing and generous film", "glows with intelligence and affection",
	"is a funny , honest crowd pleaser", "is haunting in the best way",
	"is a satisfying , heartfelt adventure",
}

var negative = []string{
	"is a dull , lifeless mess", "is tedious and painfully slow", "is a forgettable waste of talent",
	"falls flat at every turn", "is clumsy , shrill and boring", "drags on without purpose",
	"is a tired collection of cliches", "never finds a reason to exist", "is sloppy and poorly acted",
	"is bland , predictable and hollow", "wastes a good premise on bad jokes",
	"is an incoherent , exhausting bore", "feels cheap and lazy", "is a numbing , pointless exercise",
	"stumbles through a silly plot", "is as stale as it is loud", "is a joyless , muddled affair",
	"has nothing new to say", "is embarrassingly bad", "is a sluggish , charmless disappointment",
	"collapses under its own weight", "is annoying and unfunny", "is flat , grim and empty",
	"is a misfire from start to finish",
}

var concessions = map[int][]string{ // label → a clause of the opposite polarity that comes first
	1: {"despite a slow start ,", "although the plot is thin ,", "even with some clumsy dialogue ,", "for all its flaws ,"},
	0: {"despite a strong cast ,", "although it looks gorgeous ,", "even with a clever premise ,", "for all its charm ,"},
}

var tails = []string{"", "", "", " .", " , really .", " , sadly .", " , honestly .", " , no doubt ."}

type review struct {
	Text  string `parquet:"text"`
	Label int64  `parquet:"label"`
}

func sentences(rng *rand.Rand) []review {
	seen := map[string]bool{}
	var out []review
	for len(out) < 420 {
		label := rng.IntN(2)
		verdicts := negative
		if label == 1 {
			verdicts = positive
		}
		s := openings[rng.IntN(len(openings))] + " " + verdicts[rng.IntN(len(verdicts))]
		if rng.IntN(4) == 0 {
			c := concessions[label]
			s = c[rng.IntN(len(c))] + " " + s
		}
		tail := tails[rng.IntN(len(tails))]
		if tail == "" {
			tail = " ."
		}
		s += tail
		if !seen[s] {
			seen[s] = true
			out = append(out, review{Text: s, Label: int64(label)})
		}
	}
	return out
}

func main() {
	out := filepath.Join("data", "demo")
	if _, err := os.Stat(out); err != nil {
		log.Fatalf("run from the repository root: %v", err)
	}
	rng := rand.New(rand.NewPCG(2026, 11))
	all := sentences(rng)
	splits := map[string][]review{"train": all[:300], "validation": all[300:360], "test": all[360:420]}
	for name, rows := range splits {
		if err := parquet.WriteFile(filepath.Join(out, name+".parquet"), rows); err != nil {
			log.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(out, "README.md"), []byte(readme), 0o644))

	vocab := buildVocab(all)
	must(writeJSON(filepath.Join(out, "tokenizer.json"), tokenizerJSON(vocab)))
	must(writeJSON(filepath.Join(out, "tokenizer_config.json"), map[string]any{
		"do_lower_case": true, "model_max_length": 64, "tokenizer_class": "DistilBertTokenizer",
		"pad_token": "[PAD]", "cls_token": "[CLS]", "sep_token": "[SEP]", "unk_token": "[UNK]", "mask_token": "[MASK]",
	}))

	cfg := distilbert.DefaultConfig()
	cfg.VocabSize, cfg.MaxPositionEmbeddings = len(vocab), 64
	cfg.Dim, cfg.NHeads, cfg.HiddenDim, cfg.NLayers = 64, 4, 128, 2
	cfg.ID2Label = map[string]string{"0": "neg", "1": "pos"}
	cfg.Label2ID = map[string]int{"neg": 0, "pos": 1}
	cfg.Architectures = []string{"DistilBertModel"}
	m := distilbert.NewRandom(cfg, false, 7)
	must(m.Save(filepath.Join(out, "model.safetensors"), true))
	must(cfg.Save(filepath.Join(out, "config.json")))
	fmt.Printf("wrote %d sentences, a %d-token vocabulary and a %d-layer DistilBERT to %s\n", len(all), len(vocab), cfg.NLayers, out)
	writeCLIPDemo(filepath.Join("data", "demo-clip"))
}

// buildVocab covers every demo word whole, plus single characters and their ## continuations so
// that any other text still tokenizes (into pieces) instead of becoming [UNK].
func buildVocab(rows []review) []string {
	vocab := []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}
	seen := map[string]bool{}
	add := func(t string) {
		if !seen[t] {
			seen[t] = true
			vocab = append(vocab, t)
		}
	}
	for _, c := range "!\"#$%&'()*+,-./0123456789:;<=>?@[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~" {
		add(string(c))
	}
	for _, c := range "abcdefghijklmnopqrstuvwxyz0123456789" {
		add("##" + string(c))
	}
	var words []string
	for _, r := range rows {
		for _, w := range strings.FieldsFunc(r.Text, func(c rune) bool { return !(c >= 'a' && c <= 'z') }) {
			if !seen[w] {
				words = append(words, w)
				seen[w] = true
			}
		}
	}
	sort.Strings(words)
	return append(vocab, words...)
}

func tokenizerJSON(vocab []string) map[string]any {
	ids := map[string]int{}
	for i, t := range vocab {
		ids[t] = i
	}
	special := func(id int, content string) map[string]any {
		return map[string]any{"id": id, "content": content, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
	}
	return map[string]any{
		"version": "1.0", "truncation": nil, "padding": nil,
		"added_tokens":  []any{special(0, "[PAD]"), special(1, "[UNK]"), special(2, "[CLS]"), special(3, "[SEP]"), special(4, "[MASK]")},
		"normalizer":    map[string]any{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": nil, "lowercase": true},
		"pre_tokenizer": map[string]any{"type": "BertPreTokenizer"},
		"post_processor": map[string]any{
			"type":   "TemplateProcessing",
			"single": []any{map[string]any{"SpecialToken": map[string]any{"id": "[CLS]", "type_id": 0}}, map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}}, map[string]any{"SpecialToken": map[string]any{"id": "[SEP]", "type_id": 0}}},
			"pair":   []any{map[string]any{"SpecialToken": map[string]any{"id": "[CLS]", "type_id": 0}}, map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}}, map[string]any{"SpecialToken": map[string]any{"id": "[SEP]", "type_id": 0}}, map[string]any{"Sequence": map[string]any{"id": "B", "type_id": 1}}, map[string]any{"SpecialToken": map[string]any{"id": "[SEP]", "type_id": 1}}},
			"special_tokens": map[string]any{
				"[CLS]": map[string]any{"id": "[CLS]", "ids": []int{2}, "tokens": []string{"[CLS]"}},
				"[SEP]": map[string]any{"id": "[SEP]", "ids": []int{3}, "tokens": []string{"[SEP]"}},
			},
		},
		"decoder": map[string]any{"type": "WordPiece", "prefix": "##", "cleanup": true},
		"model":   map[string]any{"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100, "vocab": ids},
	}
}

func writeJSON(path string, v any) error {
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(raw, '\n'), 0o644)
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

const readme = `---
dataset_info:
  features:
  - name: text
    dtype: string
  - name: label
    dtype:
      class_label:
        names:
          '0': neg
          '1': pos
  splits:
  - name: train
    num_examples: 300
  - name: validation
    num_examples: 60
  - name: test
    num_examples: 60
---
# Demo reviews (made by the lab, not Rotten Tomatoes)

Short movie-review sentences assembled by data/gendemo from phrases written for the lab, in the
layout of cornell-movie-review-data/rotten_tomatoes. The model beside them has random weights: the
lab's numbers on this demo mean nothing about real sentiment analysis.
`
