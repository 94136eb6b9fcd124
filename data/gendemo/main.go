// Command gendemo writes the lab's offline demo fixtures. Into data/demo: 2300 movie-review
// sentences in Rotten Tomatoes' parquet layout, a WordPiece tokenizer.json covering them, and a
// tiny DistilBERT (HF format) pretrained on more sentences of the same kind with the lab's own
// Trainer (pretrain.go). Into data/demo-clip: pictures of coloured shapes in an HF image dataset's
// layout, a byte-level BPE tokenizer, and a tiny CLIP pretrained contrastively on other captioned
// pictures (clippretrain.go). Run it from the repository root:
//
//	GOEXPERIMENT=simd GOMLX_BACKEND=go:parallelism=-1 go run ./data/gendemo
//
// (GENDEMO_ONLY=text or clip makes one of the two.) It takes about 5 minutes for each model on
// 2 shared CPU cores. The output is deterministic on a given backend — the same bytes on a rerun,
// which the committed files were checked against — so they can be regenerated and compared.
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/go-translab/translab/lab/distilbert"
	"github.com/go-translab/translab/lab/tokenize"
)

// The sentences are assembled from phrases written for the demo. Most say what they mean (a
// verdict, or an adjective); some negate an adjective ("is hardly witty") and some set one
// judgement against another ("is gorgeous but tedious", "despite its dull moments , ... is
// clever"), where the last one counts. A bag of words gets the first kind right and the others
// wrong or by chance, so frozen features are good but not enough, and fine-tuning a model that
// reads word order still has something to learn — as with real reviews.
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

var adjectives = [2][]string{ // by label: 0 negative, 1 positive
	{"dull", "tedious", "clumsy", "boring", "sloppy", "bland", "lazy", "silly", "stale", "annoying",
		"hollow", "forgettable", "shrill", "sluggish", "joyless", "pointless"},
	{"gorgeous", "witty", "funny", "moving", "smart", "tender", "charming", "gripping", "clever",
		"lovely", "thoughtful", "brilliant", "touching", "delightful", "wise", "exhilarating"},
}

var (
	intensifiers = []string{"", "", "really ", "truly ", "quite ", "very ", "often "}
	negators     = []string{"not", "never", "hardly", "far from", "anything but", "not at all", "rarely"}
	tails        = []string{" .", " .", " .", " .", " , really .", " , sadly .", " , honestly .", " , no doubt ."}
)

type review struct {
	Text  string `parquet:"text"`
	Label int64  `parquet:"label"`
}

// sentence draws one review: its label is what the sentence says in the end.
func sentence(rng *rand.Rand) review {
	label := rng.IntN(2)
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	opening := pick(openings)
	var s string
	switch k := rng.IntN(100); {
	case k < 45: // a verdict
		s = opening + " " + pick([][]string{negative, positive}[label])
	case k < 70: // an adjective, maybe two
		s = opening + " is " + pick(intensifiers) + pick(adjectives[label])
		if rng.IntN(3) == 0 {
			s += " and " + pick(adjectives[label])
		}
	case k < 85: // a negated adjective of the other side
		s = opening + " is " + pick(negators) + " " + pick(adjectives[1-label])
	default: // the other side first, then the judgement that counts
		if rng.IntN(2) == 0 {
			s = opening + " is " + pick(adjectives[1-label]) + " but " + pick(intensifiers) + pick(adjectives[label])
		} else {
			s = "despite its " + pick(adjectives[1-label]) + " moments , " + opening + " is " + pick(intensifiers) + pick(adjectives[label])
		}
	}
	return review{Text: s + pick(tails), Label: int64(label)}
}

// sentences draws n distinct reviews none of which is in skip.
func sentences(rng *rand.Rand, n int, skip map[string]bool) []review {
	seen := map[string]bool{}
	var out []review
	for len(out) < n {
		r := sentence(rng)
		if !seen[r.Text] && !skip[r.Text] {
			seen[r.Text] = true
			out = append(out, r)
		}
	}
	return out
}

// Split sizes: the test split is large enough that a point of accuracy is a couple of sentences;
// the training split, a quarter of Rotten Tomatoes', is what fine-tuning needs to learn negations.
const nTrain, nValidation, nTest = 2000, 100, 200

func main() {
	out := filepath.Join("data", "demo")
	if _, err := os.Stat(out); err != nil {
		log.Fatalf("run from the repository root: %v", err)
	}
	if os.Getenv("GENDEMO_ONLY") == "clip" {
		writeCLIPDemo(filepath.Join("data", "demo-clip"))
		return
	}
	start := time.Now()
	rng := rand.New(rand.NewPCG(2026, 11))
	all := sentences(rng, nTrain+nValidation+nTest, nil)
	splits := map[string][]review{"train": all[:nTrain], "validation": all[nTrain : nTrain+nValidation], "test": all[nTrain+nValidation:]}
	for name, rows := range splits {
		if err := parquet.WriteFile(filepath.Join(out, name+".parquet"), rows); err != nil {
			log.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(out, "README.md"), []byte(readme), 0o644))
	// The pretraining corpus is the training split and more sentences of the same kind, without
	// their labels, and without any sentence of the validation or test splits.
	held := map[string]bool{}
	for _, r := range all[nTrain:] {
		held[r.Text] = true
	}
	corpus := append(slices.Clone(all[:nTrain]), sentences(rand.New(rand.NewPCG(2026, 13)), 4000, held)...)

	vocab := buildVocab(append(slices.Clone(all), corpus...))
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
	tok, err := tokenize.Load(out)
	must(err)
	must(pretrainMLM(m, tok, vocab, corpus))
	must(m.Save(filepath.Join(out, "model.safetensors"), true))
	must(cfg.Save(filepath.Join(out, "config.json")))
	fmt.Printf("wrote %d sentences, a %d-token vocabulary and a %d-layer DistilBERT pretrained on %d sentences to %s (%s)\n",
		len(all), len(vocab), cfg.NLayers, len(corpus), out, time.Since(start).Round(time.Second))
	if os.Getenv("GENDEMO_ONLY") != "text" {
		writeCLIPDemo(filepath.Join("data", "demo-clip"))
	}
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
    num_examples: 2000
  - name: validation
    num_examples: 100
  - name: test
    num_examples: 200
---
# Demo reviews (made by the lab, not Rotten Tomatoes)

Short movie-review sentences assembled by data/gendemo from phrases written for the lab, in the
layout of cornell-movie-review-data/rotten_tomatoes. Most say what they mean; some negate an
adjective ("is hardly witty") or set one judgement against another ("is gorgeous but tedious"),
which a bag of words gets wrong. The tiny DistilBERT beside them was pretrained by data/gendemo on
6000 unlabelled sentences of the same kind (none from validation or test): its [CLS] features carry
the sentiment, and fine-tuning still helps. Its numbers say how the lab's steps behave, not what
DistilBERT does on real reviews.
`
