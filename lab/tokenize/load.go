package tokenize

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/go-huggingface/tokenizers/api"
	"github.com/gomlx/go-huggingface/tokenizers/hftokenizer"
	"golang.org/x/text/unicode/norm"
)

// defaultMaxLength is BERT's position count, used when neither
// tokenizer.json nor tokenizer_config.json gives a length.
const defaultMaxLength = 512

// Load reads a tokenizer.json file, a directory holding tokenizer.json (and
// optionally tokenizer_config.json), a BERT vocab .txt file, or a directory
// holding vocab.txt but no tokenizer.json.
func Load(path string) (*Tokenizer, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("tokenize: %w", err)
	}
	dir, file := path, ""
	if info.IsDir() {
		for _, name := range []string{"tokenizer.json", "vocab.txt"} {
			if _, err := os.Stat(filepath.Join(path, name)); err == nil {
				file = filepath.Join(path, name)
				break
			}
		}
		if file == "" {
			return nil, fmt.Errorf("tokenize: %s: no tokenizer.json or vocab.txt in the directory", path)
		}
	} else {
		dir, file = filepath.Dir(path), path
	}
	cfg, err := readConfig(filepath.Join(dir, "tokenizer_config.json"))
	if err != nil {
		return nil, err
	}
	content, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("tokenize: %w", err)
	}
	if strings.HasSuffix(file, ".txt") {
		return fromVocabTxt(file, content, cfg)
	}
	return fromJSON(file, content, cfg)
}

// Parse builds a tokenizer from tokenizer.json content; name labels errors.
func Parse(name string, content []byte) (*Tokenizer, error) {
	return fromJSON(name, content, nil)
}

// config is what this package uses of tokenizer_config.json.
type config struct {
	maxLength                  int
	lowercase, stripAccents    *bool
	padToken                   string
	padLeft, truncateLeft, set bool
}

func readConfig(path string) (*config, error) {
	content, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tokenize: %w", err)
	}
	var raw struct {
		ModelMaxLength float64         `json:"model_max_length"`
		DoLowerCase    *bool           `json:"do_lower_case"`
		StripAccents   *bool           `json:"strip_accents"`
		PadToken       json.RawMessage `json:"pad_token"`
		PaddingSide    string          `json:"padding_side"`
		TruncationSide string          `json:"truncation_side"`
	}
	if err := json.Unmarshal(content, &raw); err != nil {
		return nil, fmt.Errorf("tokenize: %s: not a valid tokenizer config: %v", path, err)
	}
	c := &config{lowercase: raw.DoLowerCase, stripAccents: raw.StripAccents,
		padLeft: raw.PaddingSide == "left", truncateLeft: raw.TruncationSide == "left"}
	// transformers writes int(1e30) when a model has no length limit.
	if raw.ModelMaxLength > 0 && raw.ModelMaxLength < 1<<24 {
		c.maxLength = int(raw.ModelMaxLength)
	}
	if len(raw.PadToken) > 0 && string(raw.PadToken) != "null" {
		// A special token is either a string or a serialized AddedToken.
		var s string
		var obj struct {
			Content string `json:"content"`
		}
		if json.Unmarshal(raw.PadToken, &s) == nil {
			c.padToken = s
		} else if json.Unmarshal(raw.PadToken, &obj) == nil {
			c.padToken = obj.Content
		} else {
			return nil, fmt.Errorf("tokenize: %s: pad_token is neither a string nor a token object", path)
		}
	}
	return c, nil
}

// fileJSON is tokenizer.json. Sections reuse go-huggingface's hftokenizer
// types; the model is parsed here because hftokenizer silently turns a
// malformed vocab into an empty one and needs "type", which older files lack,
// and the pre-tokenizer because hftokenizer's type drops ByteLevel's
// use_regex.
type fileJSON struct {
	Truncation    *truncationJSON            `json:"truncation"`
	Padding       *paddingJSON               `json:"padding"`
	AddedTokens   []hftokenizer.AddedToken   `json:"added_tokens"`
	Normalizer    *hftokenizer.Normalizer    `json:"normalizer"`
	PreTokenizer  *preTokenizerJSON          `json:"pre_tokenizer"`
	PostProcessor *hftokenizer.PostProcessor `json:"post_processor"`
	Decoder       *hftokenizer.Decoder       `json:"decoder"`
	Model         json.RawMessage            `json:"model"`
}

type preTokenizerJSON struct {
	Type           string               `json:"type"`
	AddPrefixSpace bool                 `json:"add_prefix_space"`
	UseRegex       *bool                `json:"use_regex"`
	Pattern        *hftokenizer.Pattern `json:"pattern"`
	Behavior       string               `json:"behavior"`
	Invert         bool                 `json:"invert"`
	PreTokenizers  []preTokenizerJSON   `json:"pretokenizers"`
}

type truncationJSON struct {
	MaxLength int    `json:"max_length"`
	Direction string `json:"direction"`
}

type paddingJSON struct {
	Strategy      json.RawMessage `json:"strategy"`
	Direction     string          `json:"direction"`
	PadToMultiple *int            `json:"pad_to_multiple_of"`
	PadID         int             `json:"pad_id"`
}

type modelJSON struct {
	kind          string
	vocab         map[string]int
	unkToken      string
	prefix        string
	suffix        string // BPE's end_of_word_suffix
	maxInputChars int
}

func parseModel(raw json.RawMessage) (*modelJSON, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, errors.New(`no "model" section`)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, fmt.Errorf(`"model" is not an object: %v`, err)
	}
	m := &modelJSON{prefix: "##", maxInputChars: 100}
	if t, ok := fields["type"]; ok {
		if err := json.Unmarshal(t, &m.kind); err != nil {
			return nil, fmt.Errorf(`model.type is not a string: %s`, t)
		}
		switch m.kind {
		case "BPE", "WordPiece", "WordLevel", "Unigram":
		default:
			return nil, fmt.Errorf(`model.type %q is not one of BPE, WordPiece, WordLevel, Unigram`, m.kind)
		}
	} else {
		// Older files have no "type"; the Rust engine tries BPE, WordPiece,
		// WordLevel, Unigram in turn. BPE needs merges, Unigram's vocab is a
		// list, and WordPiece accepts whatever WordLevel would.
		_, hasMerges := fields["merges"]
		switch v := bytes.TrimSpace(fields["vocab"]); {
		case hasMerges:
			m.kind = "BPE"
		case len(v) > 0 && v[0] == '[':
			m.kind = "Unigram"
		default:
			m.kind = "WordPiece"
		}
	}
	vocab, ok := fields["vocab"]
	if !ok {
		return nil, errors.New("model has no vocab")
	}
	if m.kind == "Unigram" {
		var pairs [][2]any
		if err := json.Unmarshal(vocab, &pairs); err != nil {
			return nil, fmt.Errorf("model.vocab is not a list of [token, score] pairs: %v", err)
		}
		m.vocab = make(map[string]int, len(pairs))
		for i, p := range pairs {
			tok, ok := p[0].(string)
			if _, isNum := p[1].(float64); !ok || !isNum {
				return nil, fmt.Errorf("model.vocab[%d] is not a [token, score] pair", i)
			}
			m.vocab[tok] = i
		}
	} else {
		var entries map[string]json.RawMessage
		if err := json.Unmarshal(vocab, &entries); err != nil {
			return nil, fmt.Errorf("model.vocab is not an object of token → id: %v", err)
		}
		m.vocab = make(map[string]int, len(entries))
		for tok, raw := range entries {
			var id int64
			if err := json.Unmarshal(raw, &id); err != nil || id < 0 || id > math.MaxInt32 {
				return nil, fmt.Errorf("model.vocab[%q] = %s is not a valid id", tok, raw)
			}
			m.vocab[tok] = int(id)
		}
	}
	for key, dst := range map[string]*string{"unk_token": &m.unkToken, "continuing_subword_prefix": &m.prefix, "end_of_word_suffix": &m.suffix} {
		if v, ok := fields[key]; ok && string(v) != "null" {
			if err := json.Unmarshal(v, dst); err != nil {
				return nil, fmt.Errorf("model.%s is not a string: %s", key, v)
			}
		}
	}
	if v, ok := fields["max_input_chars_per_word"]; ok {
		if err := json.Unmarshal(v, &m.maxInputChars); err != nil || m.maxInputChars < 0 {
			return nil, fmt.Errorf("model.max_input_chars_per_word is not a count: %s", v)
		}
	}
	return m, nil
}

func fromJSON(name string, content []byte, cfg *config) (t *Tokenizer, err error) {
	fail := func(format string, args ...any) (*Tokenizer, error) {
		return nil, fmt.Errorf("tokenize: %s: %s", name, fmt.Sprintf(format, args...))
	}
	var f fileJSON
	if err := json.Unmarshal(content, &f); err != nil {
		return fail("not a valid tokenizer.json: %v", err)
	}
	model, err := parseModel(f.Model)
	if err != nil {
		return fail("%v", err)
	}
	t = &Tokenizer{source: name, tokens: map[string]int{}, idTokens: map[int]string{}, special: map[int]bool{}}
	for tok, id := range model.vocab {
		t.tokens[tok], t.idTokens[id] = id, tok
	}
	var raw, normalized []addedToken
	for _, at := range f.AddedTokens {
		if at.ID < 0 || at.Content == "" {
			return fail("added token %q has id %d", at.Content, at.ID)
		}
		t.tokens[at.Content], t.idTokens[at.ID] = at.ID, at.Content
		if at.Special {
			t.special[at.ID] = true
		}
		a := addedToken{content: at.Content, id: at.ID, singleWord: at.SingleWord, lstrip: at.Lstrip, rstrip: at.Rstrip}
		if at.Normalized {
			normalized = append(normalized, a)
		} else {
			raw = append(raw, a)
		}
	}
	for id := range t.idTokens {
		t.size = max(t.size, id+1)
	}

	if t.prefix, t.suffix, err = specialTokens(f.PostProcessor); err != nil {
		return fail("%v", err)
	}
	for _, id := range append(append([]int(nil), t.prefix...), t.suffix...) {
		if _, ok := t.idTokens[id]; !ok {
			return fail("post_processor uses id %d, which is not in the vocabulary", id)
		}
		t.special[id] = true
	}

	if cfg != nil && f.Normalizer != nil && f.Normalizer.Type == "BertNormalizer" {
		// transformers' BertTokenizerFast rebuilds the normalizer when
		// tokenizer_config.json disagrees with it; do the same.
		if cfg.lowercase != nil {
			f.Normalizer.Lowercase = *cfg.lowercase
		}
		if cfg.stripAccents != nil {
			f.Normalizer.StripAccents = cfg.stripAccents
		}
	}

	own, err := ownPipeline(model, &f, raw, normalized)
	if err != nil {
		return fail("%v", err)
	}
	if own != nil {
		t.enc = own
	} else {
		hf, err := newHF(content, model.kind)
		if err != nil {
			return fail("%v", err)
		}
		t.enc = hfEncoder{hf}
	}
	t.decode = t.decoder(&f, model, content)

	t.maxLength = defaultMaxLength
	if cfg != nil && cfg.maxLength > 0 {
		t.maxLength = cfg.maxLength
	}
	if cfg != nil {
		t.padLeft, t.truncateLeft = cfg.padLeft, cfg.truncateLeft
	}
	if tr := f.Truncation; tr != nil {
		if tr.MaxLength <= 0 {
			return fail("truncation.max_length %d is not positive", tr.MaxLength)
		}
		t.maxLength, t.fileTruncates = tr.MaxLength, true
		t.truncateLeft = tr.Direction == "Left"
	}
	if err := t.setPadding(f.Padding, cfg); err != nil {
		return fail("%v", err)
	}
	return t, nil
}

// setPadding takes the pad id from tokenizer.json's padding, else from the
// config's pad_token, else from a conventional pad token, else 0.
func (t *Tokenizer) setPadding(p *paddingJSON, cfg *config) error {
	if p != nil {
		t.padID, t.padLeft = p.PadID, p.Direction == "Left"
		if p.PadToMultiple != nil {
			t.padMultiple = *p.PadToMultiple
		}
		var name string
		var fixed struct {
			Fixed *int `json:"Fixed"`
		}
		switch {
		case json.Unmarshal(p.Strategy, &name) == nil && name == "BatchLongest":
			t.filePad = PadLongest
		case json.Unmarshal(p.Strategy, &fixed) == nil && fixed.Fixed != nil && *fixed.Fixed > 0:
			t.filePad, t.fileFixed = PadFixed, *fixed.Fixed
		default:
			return fmt.Errorf("padding.strategy %s is neither \"BatchLongest\" nor {\"Fixed\": n}", p.Strategy)
		}
		return nil
	}
	if cfg != nil && cfg.padToken != "" {
		id, ok := t.tokens[cfg.padToken]
		if !ok {
			return fmt.Errorf("pad_token %q of tokenizer_config.json is not in the vocabulary", cfg.padToken)
		}
		t.padID = id
		return nil
	}
	for _, tok := range []string{"[PAD]", "<pad>"} {
		if id, ok := t.tokens[tok]; ok {
			t.padID = id
			return nil
		}
	}
	return nil
}

// specialTokens reads the ids a post-processor puts around a single sequence.
func specialTokens(pp *hftokenizer.PostProcessor) (prefix, suffix []int, err error) {
	if pp == nil {
		return nil, nil, nil
	}
	switch pp.Type {
	case "TemplateProcessing":
		seen := false
		for _, item := range pp.Single {
			switch {
			case item.Sequence != nil:
				if seen {
					return nil, nil, errors.New("post_processor.single has more than one sequence")
				}
				seen = true
			case item.SpecialToken != nil:
				st, ok := pp.SpecialTokens[item.SpecialToken.ID]
				if !ok || len(st.IDs) == 0 {
					return nil, nil, fmt.Errorf("post_processor.single uses %q, which special_tokens does not define", item.SpecialToken.ID)
				}
				if seen {
					suffix = append(suffix, st.IDs...)
				} else {
					prefix = append(prefix, st.IDs...)
				}
			default:
				return nil, nil, errors.New("post_processor.single has an item that is neither SpecialToken nor Sequence")
			}
		}
		if !seen {
			return nil, nil, errors.New("post_processor.single has no sequence")
		}
		return prefix, suffix, nil
	case "BertProcessing", "RobertaProcessing":
		cls, err := tokenTuple(pp.Cls, "cls")
		if err != nil {
			return nil, nil, err
		}
		sep, err := tokenTuple(pp.Sep, "sep")
		if err != nil {
			return nil, nil, err
		}
		return []int{cls}, []int{sep}, nil
	case "ByteLevel":
		return nil, nil, nil
	default:
		return nil, nil, fmt.Errorf("post_processor type %q is not supported", pp.Type)
	}
}

func tokenTuple(raw json.RawMessage, field string) (int, error) {
	var tuple struct {
		tok string
		id  int
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil || len(parts) != 2 ||
		json.Unmarshal(parts[0], &tuple.tok) != nil || json.Unmarshal(parts[1], &tuple.id) != nil {
		return 0, fmt.Errorf("post_processor.%s is missing or not a [token, id] pair", field)
	}
	return tuple.id, nil
}

// ownPipeline builds this package's encoder when every stage is one it
// implements, and returns nil to leave the file to hftokenizer otherwise.
func ownPipeline(model *modelJSON, f *fileJSON, raw, normalized []addedToken) (*pipeline, error) {
	if model.kind != "WordPiece" && model.kind != "BPE" {
		return nil, nil
	}
	p := &pipeline{raw: raw}
	var ok bool
	var err error
	if f.Normalizer != nil {
		if p.norm, ok, err = ownNormalizer(f.Normalizer); !ok || err != nil {
			return nil, err
		}
	}
	if f.PreTokenizer != nil {
		if p.pre, ok, err = ownPreTokenizer(f.PreTokenizer); !ok || err != nil {
			return nil, err
		}
	}
	if model.kind == "BPE" {
		m, ok, err := newBPE(f.Model, model.vocab)
		if !ok || err != nil {
			return nil, err
		}
		p.model = m
	} else {
		unk, ok := model.vocab[model.unkToken]
		if !ok {
			return nil, fmt.Errorf("model.unk_token %q is not in model.vocab", model.unkToken)
		}
		p.model = &wordPiece{vocab: model.vocab, unkID: unk, prefix: model.prefix, maxInputChars: model.maxInputChars}
	}
	// The Rust engine matches normalized added tokens in normalized text by
	// their normalized content.
	for _, a := range normalized {
		if p.norm != nil {
			a.content = p.norm.normalize(a.content)
		}
		if a.content != "" {
			p.normalized = append(p.normalized, a)
		}
	}
	sortLongestFirst(p.raw)
	sortLongestFirst(p.normalized)
	return p, nil
}

// ownPreTokenizer returns ok false for a pre-tokenizer left to hftokenizer,
// and an error for one the Rust engine would refuse too.
func ownPreTokenizer(pt *preTokenizerJSON) (preTokenizer, bool, error) {
	switch pt.Type {
	case "BertPreTokenizer":
		return bertPreTokenizer{}, true, nil
	case "WhitespaceSplit":
		return whitespaceSplitPreTokenizer{}, true, nil
	case "ByteLevel":
		return byteLevelPreTokenizer{addPrefixSpace: pt.AddPrefixSpace, useRegex: pt.UseRegex == nil || *pt.UseRegex}, true, nil
	case "Split":
		behavior, ok := splitBehaviors[pt.Behavior]
		if !ok {
			return nil, false, fmt.Errorf("pre_tokenizer Split behavior %q is not one of Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous", pt.Behavior)
		}
		re, err := compilePattern(pt.Pattern)
		if err != nil {
			// Patterns Go cannot run exactly (look-arounds, \d, …) are left
			// to hftokenizer rather than refused.
			return nil, false, nil
		}
		return splitPreTokenizer{re: re, behavior: behavior, invert: pt.Invert}, true, nil
	case "Sequence":
		var seq sequencePreTokenizer
		for i := range pt.PreTokenizers {
			c, ok, err := ownPreTokenizer(&pt.PreTokenizers[i])
			if !ok || err != nil {
				return nil, ok, err
			}
			seq = append(seq, c)
		}
		return seq, true, nil
	}
	return nil, false, nil
}

func ownNormalizer(n *hftokenizer.Normalizer) (normalizer, bool, error) {
	if n.Type == "Replace" {
		re, err := compilePattern(n.Pattern)
		if err != nil {
			return nil, false, nil
		}
		return replaceNormalizer{re: re, content: n.Content}, true, nil
	}
	if n.Type == "Sequence" {
		var seq sequenceNormalizer
		for i := range n.Normalizers {
			c, ok, err := ownNormalizer(&n.Normalizers[i])
			if !ok || err != nil {
				return nil, ok, err
			}
			seq = append(seq, c)
		}
		return seq, true, nil
	}
	c, ok := simpleNormalizer(n)
	return c, ok, nil
}

func simpleNormalizer(n *hftokenizer.Normalizer) (normalizer, bool) {
	switch n.Type {
	case "BertNormalizer":
		strip := n.Lowercase
		if n.StripAccents != nil {
			strip = *n.StripAccents
		}
		return bertNormalizer{cleanText: n.CleanText, handleChineseChars: n.HandleChineseChars, stripAccents: strip, lowercase: n.Lowercase}, true
	case "Lowercase":
		return lowercaseNormalizer{}, true
	case "NFC":
		return unicodeNormalizer{norm.NFC}, true
	case "NFD":
		return unicodeNormalizer{norm.NFD}, true
	case "NFKC":
		return unicodeNormalizer{norm.NFKC}, true
	case "NFKD":
		return unicodeNormalizer{norm.NFKD}, true
	case "StripAccents":
		return stripAccentsNormalizer{}, true
	}
	return nil, false
}

// newHF builds go-huggingface's tokenizer, giving it the model type that
// older files leave implicit.
func newHF(content []byte, kind string) (*hftokenizer.Tokenizer, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(content, &doc); err != nil {
		return nil, err
	}
	var model map[string]json.RawMessage
	if err := json.Unmarshal(doc["model"], &model); err != nil {
		return nil, err
	}
	model["type"], _ = json.Marshal(kind)
	doc["model"], _ = json.Marshal(model)
	content, _ = json.Marshal(doc)
	hf, err := hftokenizer.NewFromContent(nil, content)
	if err != nil {
		return nil, err
	}
	if err := hf.With(api.EncodeOptions{AddSpecialTokens: false}); err != nil {
		return nil, err
	}
	return hf, nil
}

// decoder picks Rust's WordPiece decoder (re-done here because hftokenizer's
// lacks the "cleanup" step), the ByteLevel and BPE decoders (see bpe.go), or
// hftokenizer's decoding for other models.
func (t *Tokenizer) decoder(f *fileJSON, model *modelJSON, content []byte) func([]string) string {
	if d := f.Decoder; d != nil && d.Type == "ByteLevel" {
		suffix := model.suffix
		return func(tokens []string) string {
			s := decodeByteLevel(tokens)
			if suffix != "" {
				// transformers' CLIPTokenizerFast wraps the engine's decode
				// this way: the file's ByteLevel decoder leaves "</w>" in.
				s = strings.TrimFunc(strings.ReplaceAll(s, suffix, " "), isPythonSpace)
			}
			return s
		}
	}
	if d := f.Decoder; d != nil && d.Type == "BPEDecoder" {
		suffix := d.Suffix
		if suffix == "" {
			suffix = "</w>" // the Rust default; an empty one would split every char
		}
		return func(tokens []string) string {
			var b strings.Builder
			for i, tok := range tokens {
				if i == len(tokens)-1 {
					b.WriteString(strings.ReplaceAll(tok, suffix, ""))
				} else {
					b.WriteString(strings.ReplaceAll(tok, suffix, " "))
				}
			}
			return b.String()
		}
	}
	if d := f.Decoder; (d != nil && d.Type == "WordPiece") || (d == nil && model.kind == "WordPiece") {
		prefix, cleanup := "##", true
		if d != nil {
			var opts struct {
				Prefix  *string `json:"prefix"`
				Cleanup *bool   `json:"cleanup"`
			}
			var doc struct {
				Decoder json.RawMessage `json:"decoder"`
			}
			if json.Unmarshal(content, &doc) == nil && json.Unmarshal(doc.Decoder, &opts) == nil {
				if opts.Prefix != nil {
					prefix = *opts.Prefix
				}
				if opts.Cleanup != nil {
					cleanup = *opts.Cleanup
				}
			}
		}
		return func(tokens []string) string { return decodeWordPiece(tokens, prefix, cleanup) }
	}
	hf, err := newHF(content, model.kind)
	if err != nil {
		return func(tokens []string) string { return strings.Join(tokens, " ") }
	}
	return func(tokens []string) string {
		ids := make([]int, 0, len(tokens))
		for _, tok := range tokens {
			ids = append(ids, t.tokens[tok])
		}
		return hf.Decode(ids)
	}
}

func decodeWordPiece(tokens []string, prefix string, cleanup bool) string {
	var b strings.Builder
	for i, tok := range tokens {
		if i > 0 {
			if rest, ok := strings.CutPrefix(tok, prefix); ok {
				tok = rest
			} else {
				tok = " " + tok
			}
		}
		if cleanup {
			tok = applyCleanup(tok)
		}
		b.WriteString(tok)
	}
	return b.String()
}

// applyCleanup runs Rust's chain of str::replace calls in order; a
// strings.Replacer would pick matches differently where patterns overlap.
func applyCleanup(s string) string {
	for _, p := range [][2]string{{" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
		{" n't", "n't"}, {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}} {
		s = strings.ReplaceAll(s, p[0], p[1])
	}
	return s
}

// fromVocabTxt builds BERT's tokenizer from a one-token-per-line vocab, as
// transformers' BertTokenizer does: lowercasing unless the config says
// do_lower_case false, [CLS] … [SEP] around every sequence.
func fromVocabTxt(name string, content []byte, cfg *config) (*Tokenizer, error) {
	vocab := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(content))
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		// transformers strips only the newline; a token may hold spaces.
		tok := strings.TrimRight(sc.Text(), "\r")
		if _, dup := vocab[tok]; !dup {
			vocab[tok] = len(vocab)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("tokenize: %s: %v", name, err)
	}
	lower := true
	if cfg != nil && cfg.lowercase != nil {
		lower = *cfg.lowercase
	}
	doc := map[string]any{
		"normalizer":    map[string]any{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": nil, "lowercase": lower},
		"pre_tokenizer": map[string]any{"type": "BertPreTokenizer"},
		"model":         map[string]any{"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100, "vocab": vocab},
	}
	var added []map[string]any
	for _, tok := range []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"} {
		if id, ok := vocab[tok]; ok {
			added = append(added, map[string]any{"id": id, "content": tok, "special": true})
		}
	}
	doc["added_tokens"] = added
	cls, okCLS := vocab["[CLS]"]
	sep, okSEP := vocab["[SEP]"]
	if !okCLS || !okSEP {
		return nil, fmt.Errorf("tokenize: %s: a BERT vocab needs [CLS] and [SEP]", name)
	}
	doc["post_processor"] = map[string]any{"type": "BertProcessing", "cls": []any{"[CLS]", cls}, "sep": []any{"[SEP]", sep}}
	content, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("tokenize: %s: %v", name, err)
	}
	return fromJSON(name, content, cfg)
}
