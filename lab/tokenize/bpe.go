package tokenize

import (
	"container/heap"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/gomlx/go-huggingface/tokenizers/hftokenizer"
)

// This file re-implements the byte-level BPE pipeline (CLIP, GPT-2, RoBERTa)
// that go-huggingface's hftokenizer otherwise runs, because its version
// differs from the Rust engine in ways that change ids:
//   - its regexes are Go's: \s, \p{L}, \p{N} come from Go's tables (Unicode
//     15), while the engine's Oniguruma knows ~5,000 more letters and ~80
//     more numbers; the classes here are measured on the engine
//     (rust_regex_tables.go, made by goldens/tokenizer/probe_clip.js);
//   - the ByteLevel pre-tokenizer's GPT-2 split has a look-ahead, \s+(?!\S),
//     which Go's regexp cannot express, so it is scanned by hand here;
//   - its decode keeps CLIP's "</w>" markers, which transformers'
//     CLIPTokenizerFast turns into spaces.
// Only hftokenizer's JSON types are used (Normalizer, PreTokenizer); files
// with stages this package lacks (Metaspace, BPE dropout, Unigram, …) still
// go to hftokenizer whole. Each rule follows tokenizers 0.23's
// models/bpe/{model,word}.rs, pre_tokenizers/{byte_level,split}.rs,
// normalizers/replace.rs and utils/pattern.rs.

// wordModel turns one pre-tokenized word into ids.
type wordModel interface {
	appendIDs(ids []int, word string) []int
}

// bpeJSON is the BPE part of tokenizer.json's "model".
type bpeJSON struct {
	Merges       json.RawMessage `json:"merges"`
	UnkToken     *string         `json:"unk_token"`
	Prefix       *string         `json:"continuing_subword_prefix"`
	Suffix       *string         `json:"end_of_word_suffix"`
	FuseUnk      bool            `json:"fuse_unk"`
	ByteFallback bool            `json:"byte_fallback"`
	IgnoreMerges bool            `json:"ignore_merges"`
	Dropout      *float64        `json:"dropout"`
}

type mergeKey struct{ a, b int }

type mergeVal struct{ rank, id int }

// bpe is the Rust BPE model without dropout.
type bpe struct {
	vocab        map[string]int
	merges       map[mergeKey]mergeVal
	prefix       string
	suffix       string
	unkID        int // -1: none
	fuseUnk      bool
	byteFallback bool
	ignoreMerges bool

	// The Rust engine caches up to 10,000 words and stops adding when full;
	// the cache only saves time, the ids are the same.
	cache     sync.Map // string → []int
	cacheSize atomic.Int32
}

const bpeCacheCap = 10000

// newBPE builds the model; ok is false when it uses something this package
// leaves to hftokenizer (dropout, which makes ids random).
func newBPE(raw json.RawMessage, vocab map[string]int) (m *bpe, ok bool, err error) {
	var j bpeJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, false, fmt.Errorf("BPE model: %v", err)
	}
	if j.Dropout != nil && *j.Dropout > 0 {
		return nil, false, nil
	}
	m = &bpe{vocab: vocab, merges: map[mergeKey]mergeVal{}, unkID: -1, fuseUnk: j.FuseUnk, byteFallback: j.ByteFallback, ignoreMerges: j.IgnoreMerges}
	if j.Prefix != nil {
		m.prefix = *j.Prefix
	}
	if j.Suffix != nil {
		m.suffix = *j.Suffix
	}
	if j.UnkToken != nil {
		id, ok := vocab[*j.UnkToken]
		if !ok {
			return nil, false, fmt.Errorf("model.unk_token %q is not in model.vocab", *j.UnkToken)
		}
		m.unkID = id
	}
	pairs, err := parseMerges(j.Merges)
	if err != nil {
		return nil, false, err
	}
	for rank, p := range pairs {
		a, okA := vocab[p[0]]
		b, okB := vocab[p[1]]
		if !okA || !okB {
			return nil, false, fmt.Errorf("model.merges[%d] %q %q uses a token that is not in model.vocab", rank, p[0], p[1])
		}
		if len(p[1]) < len(m.prefix) {
			return nil, false, fmt.Errorf("model.merges[%d]: %q is shorter than the continuing_subword_prefix %q", rank, p[1], m.prefix)
		}
		merged := p[0] + p[1][len(m.prefix):]
		id, ok := vocab[merged]
		if !ok {
			return nil, false, fmt.Errorf("model.merges[%d] makes %q, which is not in model.vocab", rank, merged)
		}
		// A repeated merge takes its last rank, as in the Rust HashMap.
		m.merges[mergeKey{a, b}] = mergeVal{rank, id}
	}
	return m, true, nil
}

// parseMerges reads both serializations: "a b" strings (split at the first
// space, like the Rust engine) and ["a", "b"] pairs.
func parseMerges(raw json.RawMessage) ([][2]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, errors.New("BPE model has no merges")
	}
	var strs []string
	if json.Unmarshal(raw, &strs) == nil {
		out := make([][2]string, len(strs))
		for i, s := range strs {
			a, b, ok := strings.Cut(s, " ")
			if !ok {
				return nil, fmt.Errorf("model.merges[%d] %q is not two tokens separated by a space", i, s)
			}
			out[i] = [2]string{a, b}
		}
		return out, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("model.merges is not a list: %v", err)
	}
	out := make([][2]string, len(items))
	for i, it := range items {
		var s string
		var pair []string
		switch {
		case json.Unmarshal(it, &s) == nil:
			return nil, fmt.Errorf("model.merges mixes \"a b\" strings and pairs at [%d] %q", i, s)
		case json.Unmarshal(it, &pair) == nil && len(pair) == 2:
			out[i] = [2]string{pair[0], pair[1]}
		default:
			return nil, fmt.Errorf("model.merges[%d] is neither \"a b\" nor [\"a\", \"b\"]: %s", i, it)
		}
	}
	return out, nil
}

func (m *bpe) appendIDs(ids []int, word string) []int {
	if word == "" {
		return ids
	}
	if cached, ok := m.cache.Load(word); ok {
		return append(ids, cached.([]int)...)
	}
	out := m.encodeWord(word)
	if m.cacheSize.Load() < bpeCacheCap {
		if _, loaded := m.cache.LoadOrStore(word, out); !loaded {
			m.cacheSize.Add(1)
		}
	}
	return append(ids, out...)
}

// symbol is one piece of a word being merged, linked to its neighbours.
type symbol struct {
	id         int
	prev, next int // indices, -1 at the ends
	gone       bool
}

func (m *bpe) encodeWord(word string) []int {
	if m.ignoreMerges {
		if id, ok := m.vocab[word]; ok {
			return []int{id}
		}
	}
	var syms []symbol
	add := func(id int) {
		syms = append(syms, symbol{id: id, prev: len(syms) - 1, next: -1})
	}
	unk, unkPending := -1, false
	flushUnk := func() {
		if unkPending {
			add(unk)
			unkPending = false
		}
	}
	var piece strings.Builder
	for i, r := range word {
		size := utf8.RuneLen(r)
		if r == utf8.RuneError {
			_, size = utf8.DecodeRuneInString(word[i:])
		}
		piece.Reset()
		if i > 0 {
			piece.WriteString(m.prefix)
		}
		piece.WriteString(word[i : i+size])
		if i+size == len(word) {
			piece.WriteString(m.suffix)
		}
		s := piece.String()
		if id, ok := m.vocab[s]; ok {
			flushUnk()
			add(id)
			continue
		}
		if m.byteFallback {
			// The Rust engine falls back on the bytes of the piece with its
			// prefix and suffix, and only when every byte has a token.
			fb := make([]int, 0, len(s))
			for j := 0; j < len(s); j++ {
				id, ok := m.vocab[fmt.Sprintf("<0x%02X>", s[j])]
				if !ok {
					fb = nil
					break
				}
				fb = append(fb, id)
			}
			if fb != nil {
				for _, id := range fb {
					add(id)
				}
				continue
			}
		}
		if m.unkID >= 0 {
			if !(unkPending && m.fuseUnk) {
				flushUnk()
			}
			unk, unkPending = m.unkID, true
		}
	}
	flushUnk()
	for i := range syms {
		if i+1 < len(syms) {
			syms[i].next = i + 1
		}
	}
	m.mergeAll(syms)
	out := make([]int, 0, len(syms))
	for _, s := range syms {
		if !s.gone {
			out = append(out, s.id)
		}
	}
	return out
}

// mergeAll applies merges lowest rank first, leftmost first among equal
// ranks, as word.rs's priority queue does.
func (m *bpe) mergeAll(syms []symbol) {
	q := &mergeQueue{}
	for i := 0; i+1 < len(syms); i++ {
		if v, ok := m.merges[mergeKey{syms[i].id, syms[i+1].id}]; ok {
			q.items = append(q.items, pendingMerge{pos: i, rank: v.rank, id: v.id})
		}
	}
	heap.Init(q)
	for q.Len() > 0 {
		top := heap.Pop(q).(pendingMerge)
		cur := &syms[top.pos]
		if cur.gone || cur.next < 0 {
			continue
		}
		// Skip entries whose pair changed since they were queued.
		nextPos := cur.next
		if v, ok := m.merges[mergeKey{cur.id, syms[nextPos].id}]; !ok || v.id != top.id {
			continue
		}
		right := syms[nextPos]
		cur.id = top.id
		cur.next = right.next
		syms[nextPos].gone = true
		if right.next >= 0 {
			syms[right.next].prev = top.pos
		}
		if cur.prev >= 0 {
			if v, ok := m.merges[mergeKey{syms[cur.prev].id, cur.id}]; ok {
				heap.Push(q, pendingMerge{pos: cur.prev, rank: v.rank, id: v.id})
			}
		}
		if cur.next >= 0 {
			if v, ok := m.merges[mergeKey{cur.id, syms[cur.next].id}]; ok {
				heap.Push(q, pendingMerge{pos: top.pos, rank: v.rank, id: v.id})
			}
		}
	}
}

type pendingMerge struct{ pos, rank, id int }

type mergeQueue struct{ items []pendingMerge }

func (q *mergeQueue) Len() int { return len(q.items) }
func (q *mergeQueue) Less(i, j int) bool {
	a, b := q.items[i], q.items[j]
	return a.rank < b.rank || (a.rank == b.rank && a.pos < b.pos)
}
func (q *mergeQueue) Swap(i, j int) { q.items[i], q.items[j] = q.items[j], q.items[i] }
func (q *mergeQueue) Push(x any)    { q.items = append(q.items, x.(pendingMerge)) }
func (q *mergeQueue) Pop() any {
	last := q.items[len(q.items)-1]
	q.items = q.items[:len(q.items)-1]
	return last
}

// byteChars is GPT-2's bytes_to_unicode: printable Latin-1 bytes map to
// themselves, the others to U+0100 upwards, so every byte is a visible char.
var byteChars, charBytes = func() ([256]rune, map[rune]byte) {
	var enc [256]rune
	dec := make(map[rune]byte, 256)
	n := rune(0)
	for b := 0; b < 256; b++ {
		if ('!' <= b && b <= '~') || (0xA1 <= b && b <= 0xAC) || (0xAE <= b && b <= 0xFF) {
			enc[b] = rune(b)
		} else {
			enc[b] = 256 + n
			n++
		}
		dec[enc[b]] = byte(b)
	}
	return enc, dec
}()

func byteLevelMap(s string) string {
	var b strings.Builder
	b.Grow(2 * len(s))
	for i := 0; i < len(s); i++ {
		b.WriteRune(byteChars[s[i]])
	}
	return b.String()
}

// byteLevelPreTokenizer is HF's ByteLevel pre-tokenizer.
type byteLevelPreTokenizer struct{ addPrefixSpace, useRegex bool }

func (p byteLevelPreTokenizer) appendWords(words []string, s string) []string {
	// Rust's NormalizedString::prepend leaves an empty string empty.
	if p.addPrefixSpace && s != "" && !strings.HasPrefix(s, " ") {
		s = " " + s
	}
	if !p.useRegex {
		if s != "" {
			words = append(words, byteLevelMap(s))
		}
		return words
	}
	for s != "" {
		n := gpt2Match(s)
		words = append(words, byteLevelMap(s[:n]))
		s = s[n:]
	}
	return words
}

type charClass int

const (
	classSpace charClass = iota
	classLetter
	classNumber
	classOther
)

func onigClass(r rune) charClass {
	switch {
	case r < utf8.RuneSelf:
		switch {
		case r == ' ' || ('\t' <= r && r <= '\r'):
			return classSpace
		case 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z':
			return classLetter
		case '0' <= r && r <= '9':
			return classNumber
		}
		return classOther
	case unicode.Is(onigSpace, r):
		return classSpace
	case unicode.Is(onigLetter, r):
		return classLetter
	case unicode.Is(onigNumber, r):
		return classNumber
	}
	return classOther
}

// gpt2Match returns the length of the match of the ByteLevel regex
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// at the start of the non-empty s. Its alternatives cover every char, so
// there is always a match of at least one char.
func gpt2Match(s string) int {
	if s[0] == '\'' {
		for _, c := range [...]string{"s", "t", "re", "ve", "m", "ll", "d"} {
			if strings.HasPrefix(s[1:], c) {
				return 1 + len(c)
			}
		}
	}
	start := 0
	if s[0] == ' ' && len(s) > 1 {
		if r, _ := utf8.DecodeRuneInString(s[1:]); onigClass(r) != classSpace {
			start = 1
		}
	}
	r, size := utf8.DecodeRuneInString(s[start:])
	if cls := onigClass(r); cls != classSpace {
		end := start + size
		for end < len(s) {
			r, size := utf8.DecodeRuneInString(s[end:])
			if onigClass(r) != cls {
				break
			}
			end += size
		}
		return end
	}
	// A whitespace run: all of it when it ends the text, else all but its
	// last char (which then prefixes the next word), but at least one char.
	end, last := 0, 0
	for end < len(s) {
		r, size := utf8.DecodeRuneInString(s[end:])
		if onigClass(r) != classSpace {
			break
		}
		last = end
		end += size
	}
	if end < len(s) && last > 0 {
		return last
	}
	return end
}

// splitBehavior is the Split pre-tokenizer's SplitDelimiterBehavior.
type splitBehavior int

const (
	splitRemoved splitBehavior = iota
	splitIsolated
	splitMergedWithPrevious
	splitMergedWithNext
	splitContiguous
)

var splitBehaviors = map[string]splitBehavior{
	"Removed": splitRemoved, "Isolated": splitIsolated, "MergedWithPrevious": splitMergedWithPrevious,
	"MergedWithNext": splitMergedWithNext, "Contiguous": splitContiguous,
}

// splitPreTokenizer is HF's Split pre-tokenizer.
type splitPreTokenizer struct {
	re       *regexp.Regexp
	behavior splitBehavior
	invert   bool
}

type span struct {
	start, end int
	match      bool
}

// findMatches is utils/pattern.rs's find_matches: matches and the stretches
// between them, in order, covering s.
func findMatches(re *regexp.Regexp, s string) []span {
	if s == "" {
		return []span{{0, 0, false}}
	}
	var out []span
	prev := 0
	for _, m := range re.FindAllStringIndex(s, -1) {
		if prev != m[0] {
			out = append(out, span{prev, m[0], false})
		}
		out = append(out, span{m[0], m[1], true})
		prev = m[1]
	}
	if prev != len(s) {
		out = append(out, span{prev, len(s), false})
	}
	return out
}

func (p splitPreTokenizer) appendWords(words []string, s string) []string {
	spans := findMatches(p.re, s)
	if p.invert {
		for i := range spans {
			spans[i].match = !spans[i].match
		}
	}
	var pieces []span // match here means "remove"
	switch p.behavior {
	case splitRemoved:
		pieces = spans
	case splitIsolated:
		for _, sp := range spans {
			pieces = append(pieces, span{sp.start, sp.end, false})
		}
	case splitMergedWithPrevious, splitContiguous:
		prevMatch := false
		for _, sp := range spans {
			join := sp.match && !prevMatch
			if p.behavior == splitContiguous {
				join = sp.match == prevMatch
			}
			if join && len(pieces) > 0 {
				pieces[len(pieces)-1].end = sp.end
			} else {
				pieces = append(pieces, span{sp.start, sp.end, false})
			}
			prevMatch = sp.match
		}
	case splitMergedWithNext:
		prevMatch := false
		for i := len(spans) - 1; i >= 0; i-- {
			sp := spans[i]
			if sp.match && !prevMatch && len(pieces) > 0 {
				pieces[len(pieces)-1].start = sp.start
			} else {
				pieces = append(pieces, span{sp.start, sp.end, false})
			}
			prevMatch = sp.match
		}
		for i, j := 0, len(pieces)-1; i < j; i, j = i+1, j-1 {
			pieces[i], pieces[j] = pieces[j], pieces[i]
		}
	}
	for _, sp := range pieces {
		if !sp.match && sp.end > sp.start {
			words = append(words, s[sp.start:sp.end])
		}
	}
	return words
}

// sequencePreTokenizer runs each pre-tokenizer on every piece of the last.
type sequencePreTokenizer []preTokenizer

func (seq sequencePreTokenizer) appendWords(words []string, s string) []string {
	cur := []string{s}
	for _, p := range seq {
		var next []string
		for _, w := range cur {
			next = p.appendWords(next, w)
		}
		cur = next
	}
	return append(words, cur...)
}

// replaceNormalizer is HF's Replace normalizer.
type replaceNormalizer struct {
	re      *regexp.Regexp
	content string
}

func (n replaceNormalizer) normalize(s string) string {
	return n.re.ReplaceAllLiteralString(s, n.content)
}

// compilePattern compiles a tokenizer.json pattern: a literal String or an
// Oniguruma Regex.
func compilePattern(p *hftokenizer.Pattern) (*regexp.Regexp, error) {
	if p == nil {
		return nil, errors.New("no pattern")
	}
	if p.Regex == "" {
		if p.String == "" {
			return nil, errors.New("empty pattern")
		}
		return regexp.Compile(regexp.QuoteMeta(p.String))
	}
	return compileOnig(p.Regex)
}

// compileOnig translates an Oniguruma pattern into Go's syntax, swapping the
// Unicode classes for the engine's own tables. Both engines pick the
// leftmost match and prefer alternatives and quantifiers alike, so only the
// classes differ. Escapes whose meaning differs (\d, \w, \b: Unicode there,
// ASCII in Go) and Go-incompatible syntax are reported as unsupported.
func compileOnig(pat string) (*regexp.Regexp, error) {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		switch {
		case c == '[' && !inClass:
			inClass = true
			b.WriteByte(c)
			// A ']' or '^]' right after '[' is literal in both syntaxes.
			if strings.HasPrefix(pat[i+1:], "^") {
				b.WriteByte('^')
				i++
			}
			if strings.HasPrefix(pat[i+1:], "]") {
				b.WriteString(`\]`)
				i++
			}
		case c == '[' && inClass:
			return nil, fmt.Errorf("regex %q: nested character classes are not supported", pat)
		case c == ']' && inClass:
			inClass = false
			b.WriteByte(c)
		case c == '&' && inClass && strings.HasPrefix(pat[i:], "&&"):
			return nil, fmt.Errorf("regex %q: class intersection is not supported", pat)
		case c == '\\' && i+1 < len(pat):
			i++
			e := pat[i]
			var table *unicode.RangeTable
			negate := false
			switch {
			case e == 's' || e == 'S':
				table, negate = onigSpace, e == 'S'
			case e == 'p' || e == 'P':
				name, n := unicodeClassName(pat[i+1:])
				switch name {
				case "L":
					table = onigLetter
				case "N":
					table = onigNumber
				default:
					return nil, fmt.Errorf("regex %q: \\%c%s is not supported", pat, e, pat[i+1:i+1+n])
				}
				negate = e == 'P'
				i += n
			case strings.IndexByte("ntrfvxAz", e) >= 0:
				b.WriteByte('\\')
				b.WriteByte(e)
				continue
			case e < utf8.RuneSelf && (unicode.IsLetter(rune(e)) || unicode.IsDigit(rune(e))):
				return nil, fmt.Errorf("regex %q: \\%c is not supported", pat, e)
			default:
				b.WriteByte('\\')
				b.WriteByte(e)
				continue
			}
			switch {
			case inClass && negate:
				return nil, fmt.Errorf("regex %q: a negated class inside [...] is not supported", pat)
			case inClass:
				writeRanges(&b, table)
			case negate:
				b.WriteString("[^")
				writeRanges(&b, table)
				b.WriteByte(']')
			default:
				b.WriteByte('[')
				writeRanges(&b, table)
				b.WriteByte(']')
			}
		default:
			b.WriteByte(c)
		}
	}
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("regex %q: %v", pat, err)
	}
	return re, nil
}

// unicodeClassName reads the name after \p: "{L}" or a single letter "L".
func unicodeClassName(s string) (name string, n int) {
	if strings.HasPrefix(s, "{") {
		if end := strings.IndexByte(s, '}'); end > 0 {
			return s[1:end], end + 1
		}
		return "", 0
	}
	if s != "" {
		return s[:1], 1
	}
	return "", 0
}

func writeRanges(b *strings.Builder, t *unicode.RangeTable) {
	for _, r := range t.R16 {
		fmt.Fprintf(b, `\x{%x}-\x{%x}`, r.Lo, r.Hi)
	}
	for _, r := range t.R32 {
		fmt.Fprintf(b, `\x{%x}-\x{%x}`, r.Lo, r.Hi)
	}
}

// decodeByteLevel is the ByteLevel decoder: chars back to bytes (a token
// holding a char outside the byte alphabet keeps its UTF-8 as is), then
// Rust's String::from_utf8_lossy.
func decodeByteLevel(tokens []string) string {
	var raw []byte
	for _, tok := range tokens {
		mark := len(raw)
		for _, r := range tok {
			c, ok := charBytes[r]
			if !ok {
				raw = append(raw[:mark], tok...)
				break
			}
			raw = append(raw, c)
		}
	}
	return utf8Lossy(raw)
}

// utf8Lossy replaces each maximal ill-formed subsequence by one U+FFFD, as
// Rust's from_utf8_lossy (and the Unicode standard's recommended practice)
// does; Go's strings.ToValidUTF8 would fold whole runs into one.
func utf8Lossy(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var out strings.Builder
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r != utf8.RuneError || size > 1 {
			out.Write(b[:size])
			b = b[size:]
			continue
		}
		out.WriteRune(utf8.RuneError)
		b = b[maximalSubpart(b):]
	}
	return out.String()
}

// maximalSubpart is the length of the longest prefix of b that starts a
// well-formed sequence (at least 1), b being ill-formed at its start.
func maximalSubpart(b []byte) int {
	lo, hi, n := byte(0x80), byte(0xBF), 0
	switch c := b[0]; {
	case 0xC2 <= c && c <= 0xDF:
		n = 1
	case c == 0xE0:
		lo, n = 0xA0, 2
	case c == 0xED:
		hi, n = 0x9F, 2
	case 0xE1 <= c && c <= 0xEF:
		n = 2
	case c == 0xF0:
		lo, n = 0x90, 3
	case c == 0xF4:
		hi, n = 0x8F, 3
	case 0xF1 <= c && c <= 0xF3:
		n = 3
	default:
		return 1
	}
	i := 1
	for ; i <= n && i < len(b); i++ {
		if b[i] < lo || b[i] > hi {
			break
		}
		lo, hi = 0x80, 0xBF
	}
	return i
}

// isPythonSpace is Python's str.isspace, which str.strip uses: Go's
// unicode.IsSpace plus the separators U+001C–U+001F.
func isPythonSpace(r rune) bool { return unicode.IsSpace(r) || (0x1C <= r && r <= 0x1F) }
