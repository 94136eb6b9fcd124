package tokenize

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gomlx/go-huggingface/tokenizers/hftokenizer"
)

// encoder produces the content ids of one text, without special tokens.
type encoder interface {
	encode(text string) []int
}

// addedToken is an entry of tokenizer.json's added_tokens, matched in the
// text before the model sees it, as the Rust AddedVocabulary does.
type addedToken struct {
	content                    string
	id                         int
	singleWord, lstrip, rstrip bool
}

// pipeline is the Rust engine's encode path: split out added tokens that
// match the raw text, normalize the rest, split out added tokens that match
// the normalized text, pre-tokenize, then run the model on each word.
type pipeline struct {
	raw, normalized []addedToken // each sorted longest first
	norm            normalizer   // nil: none
	pre             preTokenizer // nil: the whole piece is one word
	model           wordModel
}

func (p *pipeline) encode(text string) []int {
	var ids []int
	var words []string
	splitAdded(text, p.raw, func(piece string, id int) {
		if id >= 0 {
			ids = append(ids, id)
			return
		}
		if p.norm != nil {
			piece = p.norm.normalize(piece)
		}
		splitAdded(piece, p.normalized, func(piece string, id int) {
			if id >= 0 {
				ids = append(ids, id)
				return
			}
			words = words[:0]
			if p.pre != nil {
				words = p.pre.appendWords(words, piece)
			} else if piece != "" {
				words = append(words, piece)
			}
			for _, w := range words {
				ids = p.model.appendIDs(ids, w)
			}
		})
	})
	return ids
}

// splitAdded calls emit for each stretch of s in order: id >= 0 for an added
// token, -1 for the text between. Matching is leftmost-longest, like the
// Rust engine's Aho-Corasick automaton.
func splitAdded(s string, tokens []addedToken, emit func(piece string, id int)) {
	if len(tokens) == 0 {
		emit(s, -1)
		return
	}
	done := 0 // end of the last emitted stretch
	for pos := 0; pos < len(s); {
		var match *addedToken
		for i := range tokens {
			if strings.HasPrefix(s[pos:], tokens[i].content) {
				match = &tokens[i]
				break
			}
		}
		if match == nil {
			_, size := utf8.DecodeRuneInString(s[pos:])
			pos += size
			continue
		}
		if match.singleWord && !isSingleWord(s, pos, pos+len(match.content)) {
			// The Rust matcher still consumes a discarded match.
			pos += len(match.content)
			continue
		}
		start, stop := pos, pos+len(match.content)
		if match.lstrip {
			start = max(done, len(strings.TrimRightFunc(s[:start], unicode.IsSpace)))
		}
		if match.rstrip {
			stop = len(s) - len(strings.TrimLeftFunc(s[stop:], unicode.IsSpace))
		}
		if done < start {
			emit(s[done:start], -1)
		}
		emit(s[start:stop], match.id)
		done, pos = stop, stop
	}
	if done < len(s) || len(s) == 0 {
		emit(s[done:], -1)
	}
}

// isSingleWord is the Rust check that no word character (regex \w) touches
// the match on either side.
func isSingleWord(s string, start, stop int) bool {
	before, _ := utf8.DecodeLastRuneInString(s[:start])
	after, _ := utf8.DecodeRuneInString(s[stop:])
	return (start == 0 || !isWordChar(before)) && (stop == len(s) || !isWordChar(after))
}

func isWordChar(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.Is(unicode.Nd, r) ||
		unicode.Is(unicode.Pc, r) || r == 0x200C || r == 0x200D
}

func sortLongestFirst(tokens []addedToken) {
	sort.SliceStable(tokens, func(i, j int) bool { return len(tokens[i].content) > len(tokens[j].content) })
}

// hfEncoder delegates pipelines this package does not re-implement
// (Unigram, Metaspace, BPE dropout, regexes Go cannot run as Oniguruma does)
// to go-huggingface's hftokenizer, which
// handles added tokens, normalizers, pre-tokenizers and models itself. Special
// tokens are left to Tokenizer so truncation can reserve room for them.
type hfEncoder struct{ hf *hftokenizer.Tokenizer }

func (e hfEncoder) encode(text string) []int {
	return e.hf.EncodeWithAnnotations(text).IDs
}
