package tokenize

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// This file re-implements HF's BertNormalizer, BertPreTokenizer and the
// WordPiece model instead of using go-huggingface's hftokenizer versions,
// because those differ from the Rust engine in ways that change ids:
//   - clean_text drops only Cc there; Rust drops every "other" code point
//     (Cc, Cf, Co, Cn, Cs: zero-width joiners, BOM, soft hyphen, private use).
//   - whitespace there is Zs plus \t\n\r; Rust uses char::is_whitespace
//     (the White_Space property: U+2028, U+2029, U+1680 …).
//   - its CJK ranges include U+2B820–U+2B91F, which Rust's do not.
//   - max_input_chars_per_word is compared with the byte length there and
//     with the number of chars in Rust, so a 40-letter Cyrillic word became
//     [UNK] there.
//   - lowercasing there is Go's simple mapping; Rust's char::to_lowercase is
//     the full one ('İ' → "i̇").
//   - Go's Unicode tables are newer than the Rust crate's categories and
//     older than Rust std's case tables (see unicode_compat.go).
// Each rule below follows tokenizers/src/normalizers/bert.rs,
// pre_tokenizers/bert.rs and models/wordpiece/mod.rs of HF tokenizers 0.23.

// normalizer turns raw text into the text the pre-tokenizer sees.
type normalizer interface {
	normalize(s string) string
}

type bertNormalizer struct {
	cleanText, handleChineseChars, stripAccents, lowercase bool
}

func (n bertNormalizer) normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		if n.cleanText {
			// Invalid UTF-8 decodes to U+FFFD here, which clean_text removes:
			// Rust never sees invalid UTF-8, so dropping it is the closest match.
			if r == 0 || r == utf8.RuneError || isRustControl(r) {
				continue
			}
			if isRustWhitespace(r) {
				r = ' '
			}
		}
		if n.handleChineseChars && isChineseChar(r) {
			b.WriteByte(' ')
			b.WriteRune(r)
			b.WriteByte(' ')
			continue
		}
		b.WriteRune(r)
	}
	out := b.String()
	if n.stripAccents {
		out = stripNonspacingMarks(out)
	}
	if n.lowercase {
		out = rustLowercase(out)
	}
	return out
}

// stripNonspacingMarks is Rust's `nfd().filter(!is_mark_nonspacing)`: only
// Mn goes, so spacing marks (Mc, e.g. Devanagari vowel signs) stay.
func stripNonspacingMarks(s string) string { return stripMarks(s, rustNonspacingMark) }

// stripMarks is NFD followed by dropping the marks in table.
func stripMarks(s string, table *unicode.RangeTable) string {
	d := rustNFD(s)
	var b strings.Builder
	b.Grow(len(d))
	for _, r := range d {
		if !unicode.Is(table, r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// rustLowercase is Rust's char::to_lowercase applied char by char, from a
// table measured on the engine: Go's unicode.ToLower is one Unicode version
// behind Rust's std and gives the simple mapping 'i' for 'İ', where Rust
// gives "i̇". Final sigma is context-dependent only in str::to_lowercase, so
// 'Σ' → 'σ' everywhere.
func rustLowercase(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case 'A' <= r && r <= 'Z':
			b.WriteByte(byte(r) + 'a' - 'A')
		case r < utf8.RuneSelf:
			b.WriteByte(byte(r))
		default:
			if l, ok := rustLowercaseMap[r]; ok {
				b.WriteString(l)
			} else {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

type lowercaseNormalizer struct{}

func (lowercaseNormalizer) normalize(s string) string { return rustLowercase(s) }

// rustNFDKeeps lists the code points Rust's NFD (unicode-normalization-
// alignments, older tables) leaves alone although Go's decomposes them;
// TestUnicodeProbe finds them. All are starters (ccc 0), so NFD of the
// pieces between them equals NFD of the whole.
var rustNFDKeeps = map[rune]bool{
	0x11938: true, // DIVES AKURU VOWEL SIGN O, decomposable since Unicode 13
}

// rustNFCNoCompose lists the second halves of compositions that Go's NFC
// makes and Rust's, one Unicode version older, does not; TestCLIPUnicodeProbe
// finds them. Each is a starter (ccc 0), so normalizing the text on either
// side of it apart changes nothing but that composition.
var rustNFCNoCompose = map[rune]bool{
	0x11930: true, // DIVES AKURU VOWEL SIGN AA: U+11935 U+11930 → U+11938 since Unicode 13
}

func rustNFD(s string) string { return keepingRustStable(norm.NFD, s) }

// keepingRustStable applies form to s except to the rustNFDKeeps runes and
// across a rustNFCNoCompose rune and what precedes it.
func keepingRustStable(form norm.Form, s string) string {
	start := 0
	var b strings.Builder
	for i, r := range s {
		switch {
		case rustNFDKeeps[r]:
			b.WriteString(form.String(s[start:i]))
			b.WriteRune(r)
			start = i + utf8.RuneLen(r)
		case rustNFCNoCompose[r] && (form == norm.NFC || form == norm.NFKC) && i > start:
			b.WriteString(form.String(s[start:i]))
			start = i
		}
	}
	if start == 0 {
		return form.String(s)
	}
	b.WriteString(form.String(s[start:]))
	return b.String()
}

type unicodeNormalizer struct{ form norm.Form }

func (u unicodeNormalizer) normalize(s string) string { return keepingRustStable(u.form, s) }

type stripAccentsNormalizer struct{}

// The StripAccents normalizer, unlike BertNormalizer, removes every
// combining mark (Mn, Mc, Me).
func (stripAccentsNormalizer) normalize(s string) string { return stripMarks(s, rustCombiningMark) }

type sequenceNormalizer []normalizer

func (seq sequenceNormalizer) normalize(s string) string {
	for _, n := range seq {
		s = n.normalize(s)
	}
	return s
}

// preTokenizer splits normalized text into words for the model.
type preTokenizer interface {
	appendWords(words []string, s string) []string
}

// bertPreTokenizer splits on whitespace (dropped) and isolates each
// punctuation char.
type bertPreTokenizer struct{}

func (bertPreTokenizer) appendWords(words []string, s string) []string {
	start := -1
	for i, r := range s {
		switch {
		case isRustWhitespace(r):
			if start >= 0 {
				words = append(words, s[start:i])
				start = -1
			}
		case isBertPunctuation(r):
			if start >= 0 {
				words = append(words, s[start:i])
				start = -1
			}
			words = append(words, s[i:i+utf8.RuneLen(r)])
		default:
			if start < 0 {
				start = i
			}
		}
	}
	if start >= 0 {
		words = append(words, s[start:])
	}
	return words
}

// whitespaceSplitPreTokenizer is HF's WhitespaceSplit.
type whitespaceSplitPreTokenizer struct{}

func (whitespaceSplitPreTokenizer) appendWords(words []string, s string) []string {
	return append(words, strings.FieldsFunc(s, isRustWhitespace)...)
}

// wordPiece is the greedy longest-match-first WordPiece model.
type wordPiece struct {
	vocab         map[string]int
	unkID         int
	prefix        string
	maxInputChars int
}

func (w *wordPiece) appendIDs(ids []int, word string) []int {
	if utf8.RuneCountInString(word) > w.maxInputChars {
		return append(ids, w.unkID)
	}
	mark := len(ids)
	var sub strings.Builder
	for start := 0; start < len(word); {
		end := len(word)
		found := false
		for start < end {
			piece := word[start:end]
			if start > 0 {
				sub.Reset()
				sub.WriteString(w.prefix)
				sub.WriteString(piece)
				piece = sub.String()
			}
			if id, ok := w.vocab[piece]; ok {
				ids = append(ids, id)
				found = true
				break
			}
			_, size := utf8.DecodeLastRuneInString(word[start:end])
			end -= size
		}
		if !found {
			// One unknown piece turns the whole word into a single [UNK].
			return append(ids[:mark], w.unkID)
		}
		start = end
	}
	return ids
}

// isChineseChar uses Rust's ranges verbatim; note the gap U+2B820–U+2B91F.
func isChineseChar(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) ||
		(r >= 0x3400 && r <= 0x4DBF) ||
		(r >= 0x20000 && r <= 0x2A6DF) ||
		(r >= 0x2A700 && r <= 0x2B73F) ||
		(r >= 0x2B740 && r <= 0x2B81F) ||
		(r >= 0x2B920 && r <= 0x2CEAF) ||
		(r >= 0xF900 && r <= 0xFAFF) ||
		(r >= 0x2F800 && r <= 0x2FA1F)
}

// isRustWhitespace is Rust's char::is_whitespace, i.e. the White_Space
// property, which is what Go's unicode.IsSpace implements too.
func isRustWhitespace(r rune) bool { return unicode.IsSpace(r) }

// isRustControl is bert.rs's is_control: any "other" category except \t\n\r.
func isRustControl(r rune) bool {
	if r == '\t' || r == '\n' || r == '\r' {
		return false
	}
	return isRustOther(r)
}

func isBertPunctuation(r rune) bool {
	// char::is_ascii_punctuation also counts the ASCII symbols $+<=>^`|~.
	if r < utf8.RuneSelf {
		return r > ' ' && r < 0x7f && !('0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z')
	}
	return isRustPunctuation(r)
}
