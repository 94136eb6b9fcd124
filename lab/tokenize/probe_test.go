package tokenize

import (
	"bufio"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"
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
		t.Skip("set TRANSLAB_UNICODE_PROBE to the output of goldens/tokenizer/probe_unicode.js")
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
