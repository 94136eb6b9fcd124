package tokenize

import (
	"bufio"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/go-translab/translab/lab/reference"
)

// TestUnicodeProbe compares the BERT normalizer and pre-tokenizer with the
// Rust engine on every code point. The probe file is tens of MB, so it is
// made on demand rather than committed:
//
//	node goldens/tokenizer/probe_unicode.js \
//	    ../shared/reference/tokenizers/bert-base-uncased-tokenizer.json \
//	    lab/tokenize/rust_unicode_tables.go /tmp/bert_probe.tsv
//	TRANSLAB_UNICODE_PROBE=/tmp/bert_probe.tsv go test ./lab/tokenize -run UnicodeProbe
func TestUnicodeProbe(t *testing.T) {
	path := os.Getenv("TRANSLAB_UNICODE_PROBE")
	if path == "" {
		t.Skip("opt-in probe, not a parity test: set TRANSLAB_UNICODE_PROBE to the output of goldens/tokenizer/probe_unicode.js (tens of MB, made on demand)")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := bertNormalizer{cleanText: true, handleChineseChars: true, stripAccents: true, lowercase: true}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	bad := 0
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		cp, _ := strconv.ParseInt(fields[0], 16, 32)
		in := "a" + string(rune(cp)) + "b"
		got := n.normalize(in)
		var gotWords []string
		for _, w := range (bertPreTokenizer{}).appendWords(nil, got) {
			gotWords = append(gotWords, hex.EncodeToString([]byte(w)))
		}
		want, _ := hex.DecodeString(fields[1])
		wantNFD, _ := hex.DecodeString(fields[3])
		if got := rustNFD(string(rune(cp))); got != string(wantNFD) {
			t.Errorf("U+%04X: NFD Go %q, Rust %q", cp, got, wantNFD)
		}
		wantLower, _ := hex.DecodeString(fields[4])
		if got := rustLowercase(string(rune(cp))); got != string(wantLower) {
			t.Errorf("U+%04X: lowercase Go %q, Rust %q", cp, got, wantLower)
		}
		if got != string(want) || strings.Join(gotWords, " ") != fields[2] {
			if _, known := knownDifferences[rune(cp)]; known {
				continue
			}
			bad++
			if bad <= 400 {
				var ww []string
				for _, h := range strings.Fields(fields[2]) {
					b, _ := hex.DecodeString(h)
					ww = append(ww, string(b))
				}
				t.Errorf("U+%04X: Go %q %q, Rust %q %q", cp, got, (bertPreTokenizer{}).appendWords(nil, got), want, ww)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d code points differ", bad)
}

// TestCLIPUnicodeProbe compares the CLIP tokenizer with the Rust engine on
// every code point: NFC alone, and the ids of "a"+c+"b" and "1"+c+"!"
// through the whole pipeline (the regex classes, Replace, lowercasing,
// byte-level BPE). The probe file is ~100 MB, so it is made on demand:
//
//	node goldens/tokenizer/probe_clip.js \
//	    ../shared/reference/tokenizers/clip-tokenizer.json \
//	    lab/tokenize/rust_regex_tables.go /tmp/clip_probe.tsv
//	TRANSLAB_CLIP_PROBE=/tmp/clip_probe.tsv go test ./lab/tokenize -run CLIPUnicodeProbe
func TestCLIPUnicodeProbe(t *testing.T) {
	path := os.Getenv("TRANSLAB_CLIP_PROBE")
	if path == "" {
		t.Skip("opt-in probe, not a parity test: set TRANSLAB_CLIP_PROBE to the output of goldens/tokenizer/probe_clip.js (~100 MB, made on demand)")
	}
	tok := loadCLIPFrom(t, reference.Shared(t)) // the tokenizer the probe's ids were made with
	nfc := unicodeNormalizer{norm.NFC}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	bad, n := 0, 0
	fail := func(cp int64, format string, args ...any) {
		if _, known := knownDifferences[rune(cp)]; known {
			return
		}
		bad++
		if bad <= 100 {
			t.Errorf("U+%04X: "+format, append([]any{cp}, args...)...)
		}
	}
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) != 6 {
			t.Fatalf("probe line %q has %d fields, want 6", sc.Text(), len(fields))
		}
		n++
		cp, _ := strconv.ParseInt(fields[0], 16, 32)
		c := string(rune(cp))
		if want, _ := hex.DecodeString(fields[1]); nfc.normalize(c) != string(want) {
			fail(cp, "NFC Go %q, Rust %q", nfc.normalize(c), want)
		}
		if fields[2] != "" {
			d, _ := hex.DecodeString(fields[2])
			if want, _ := hex.DecodeString(fields[3]); nfc.normalize(string(d)) != string(want) {
				fail(cp, "NFC of %q: Go %q, Rust %q", d, nfc.normalize(string(d)), want)
			}
		}
		for i, text := range []string{"a" + c + "b", "1" + c + "!"} {
			var got []string
			for _, id := range tok.Encode(text) {
				got = append(got, strconv.Itoa(id))
			}
			if strings.Join(got, ",") != fields[4+i] {
				fail(cp, "%q: Go %v, Rust %s", text, got, fields[4+i])
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d code points, %d differences", n, bad)
}
