package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/go-translab/translab/lab/reference"
)

func TestDecodeLines(t *testing.T) {
	for name, c := range map[string]struct {
		raw, enc string
		want     []string
		err      string
	}{
		"plain":            {"a\nb\n", utf8Encoding, []string{"a", "b"}, ""},
		"CRLF and BOM":     {"\xef\xbb\xbfa\r\nb", utf8Encoding, []string{"a", "b"}, ""},
		"empty line kept":  {"a\n\nb\n", utf8Encoding, []string{"a", "", "b"}, ""},
		"UTF-8 kept":       {"élan — 名\n", utf8Encoding, []string{"élan — 名"}, ""},
		"xff xfe":          {"ok\n\xff\xfe\n", utf8Encoding, nil, "f.txt: line 2: invalid UTF-8 at byte offset 3 (byte 0xff)"},
		"c3 28":            {"a\nb\nx\xc3\x28y\n", utf8Encoding, nil, "f.txt: line 3: invalid UTF-8 at byte offset 5 (byte 0xc3)"},
		"truncated rune":   {"caf\xc3", utf8Encoding, nil, "line 1: invalid UTF-8 at byte offset 3"},
		"latin-1":          {"caf\xe9 \xe0 la cr\xe8me\n", latin1Encoding, []string{"café à la crème"}, ""},
		"latin-1 xff xfe":  {"\xff\xfe\n", latin1Encoding, []string{"ÿþ"}, ""},
		"empty":            {"", utf8Encoding, nil, "the file is empty"},
		"only a newline":   {"\n", utf8Encoding, nil, "the file is empty"},
		"unknown encoding": {"a", "utf-16", nil, `unknown encoding "utf-16"`},
	} {
		got, err := decodeLines("f.txt", []byte(c.raw), c.enc)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %v, want an error with %q", name, err, c.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s: %q %v, want %q", name, got, err, c.want)
		}
	}
}

// The verbs that read text refuse invalid UTF-8, naming the file, line and byte, before any model
// loads, and read latin-1 when told to.
func TestTextVerbsRefuseInvalidUTF8(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("fine\n\xff\xfe gone\n"), 0o644)
	want := bad + ": line 2: invalid UTF-8 at byte offset 5"
	for _, args := range [][]string{
		{"tokenize", "--tokenizer", "no/such-tokenizer", "--input", bad},
		{"embed", "--model", "no/such-model", "--input", bad, "--out", filepath.Join(dir, "o.npy")},
		{"clip-embed", "--model", "no/such-model", "--texts", bad, "--out", filepath.Join(dir, "o.npy")},
		{"classify", "--model", "no/such-model", "--input", bad},
	} {
		_, stderr, code := runLab(t, args...)
		if code == 0 || !strings.Contains(stderr, want) || !strings.Contains(stderr, "--encoding latin-1") {
			t.Errorf("%s: exit %d, %q, want %q", args[0], code, stderr, want)
		}
	}
	if _, stderr, code := runLab(t, "tokenize", "--tokenizer", "x", "--input", bad, "--encoding", "utf16"); code != 2 || !strings.Contains(stderr, "--encoding") {
		t.Errorf("bad --encoding: exit %d, %q", code, stderr)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestTokenizeLatin1(t *testing.T) {
	tok := wordPiece(reference.Project(t))
	dir := t.TempDir()
	latin1 := filepath.Join(dir, "l1.txt")
	utf := filepath.Join(dir, "u8.txt")
	os.WriteFile(latin1, []byte("caf\xe9 cr\xe8me\n"), 0o644)
	os.WriteFile(utf, []byte("café crème\n"), 0o644)
	a, _, code1 := runLab(t, "tokenize", "--tokenizer", tok, "--input", latin1, "--encoding", "latin-1")
	b, _, code2 := runLab(t, "tokenize", "--tokenizer", tok, "--input", utf)
	if code1 != 0 || code2 != 0 || a != b || a == "" {
		t.Errorf("latin-1 %q (exit %d) differs from UTF-8 %q (exit %d)", a, code1, b, code2)
	}
}

var offsetRE = regexp.MustCompile(`line (\d+): invalid UTF-8 at byte offset (\d+)`)

// FuzzDecodeLines: the reader never panics; valid UTF-8 comes back line for line and byte for byte
// (less a BOM, CRs before newlines and a final newline); an error points at a byte that really
// starts no valid character, on the line it names; latin-1 takes every byte as one character.
func FuzzDecodeLines(f *testing.F) {
	for _, s := range []string{"a\nb\n", "\xef\xbb\xbfa\r\nb", "ok\n\xff\xfe\n", "x\xc3\x28y", "caf\xe9", "", "\n", "\r\n\r\n", "名\n\xe5\x90"} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, raw []byte, latin1 bool) {
		enc := utf8Encoding
		if latin1 {
			enc = latin1Encoding
		}
		lines, err := decodeLines("f", raw, enc)
		if err != nil {
			if strings.Contains(err.Error(), "the file is empty") {
				return
			}
			if latin1 {
				t.Fatalf("latin-1 refused %q: %v", raw, err)
			}
			m := offsetRE.FindStringSubmatch(err.Error())
			if m == nil {
				t.Fatalf("error without line and offset: %v", err)
			}
			line, _ := strconv.Atoi(m[1])
			off, _ := strconv.Atoi(m[2])
			body := bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
			if off >= len(body) || !utf8.Valid(body[:off]) || utf8.FullRune(body[off:]) && utf8.Valid(body[off:off+runeLen(body[off:])]) {
				t.Fatalf("offset %d of %q is not the first invalid byte", off, body)
			}
			if want := bytes.Count(body[:off], []byte("\n")) + 1; line != want {
				t.Fatalf("line %d, want %d", line, want)
			}
			return
		}
		for _, l := range lines {
			if !utf8.ValidString(l) || strings.Contains(l, "\n") {
				t.Fatalf("line %q", l)
			}
		}
		if latin1 {
			if n := utf8.RuneCountInString(strings.Join(lines, "")); n > len(raw) {
				t.Fatalf("%d characters from %d bytes", n, len(raw))
			}
			return
		}
		body := string(bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf")))
		body = strings.TrimSuffix(body, "\n")
		var want []string
		for _, l := range strings.Split(body, "\n") {
			want = append(want, strings.TrimSuffix(l, "\r"))
		}
		if !slices.Equal(lines, want) {
			t.Fatalf("%q read as %q", raw, lines)
		}
	})
}

func runeLen(b []byte) int {
	_, n := utf8.DecodeRune(b)
	return n
}
