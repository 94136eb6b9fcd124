package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strings"
	"unicode/utf8"
)

// Encodings a text input may be in. Latin-1 is there for the Cornell sentence-polarity files behind
// Rotten Tomatoes, which HF's loader decodes as latin-1 too.
const (
	utf8Encoding   = "utf-8"
	latin1Encoding = "latin-1"
)

// encodingFlag adds --encoding to a verb that reads a text file.
func encodingFlag(fs *flag.FlagSet) *string {
	return fs.String("encoding", utf8Encoding, "encoding of the text file: utf-8 (invalid bytes are an error) or latin-1 (ISO-8859-1: every byte is a character)")
}

func encodingRule() rule { return oneOf("encoding", utf8Encoding, latin1Encoding) }

// readLines reads a text file as one input per line (a final newline does not add an empty one).
func readLines(path, encoding string) ([]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return decodeLines(path, raw, encoding)
}

// decodeLines splits a file's bytes into lines, decoding them. Invalid UTF-8 is an error naming the
// line and the byte, never bytes silently dropped or replaced: a sentence that lost a character
// would be classified, and reported, as a different sentence.
func decodeLines(name string, raw []byte, encoding string) ([]string, error) {
	switch encoding {
	case utf8Encoding:
		// A byte-order mark is how some editors say "UTF-8"; it is not part of the first sentence.
		raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
		if !utf8.Valid(raw) {
			return nil, invalidUTF8(name, raw)
		}
	case latin1Encoding:
		raw = latin1ToUTF8(raw)
	default:
		return nil, fmt.Errorf("%s: unknown encoding %q (want utf-8 or latin-1)", name, encoding)
	}
	s := strings.TrimSuffix(string(raw), "\n")
	if s == "" && len(raw) <= 1 {
		return nil, fmt.Errorf("%s: the file is empty", name)
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines, nil
}

// invalidUTF8 names the first invalid byte: its line (from 1) and its offset in the file (from 0),
// which `cmp`, `xxd -s` and editors' "go to byte" take.
func invalidUTF8(name string, raw []byte) error {
	line, off := 1, 0
	for off < len(raw) {
		r, size := utf8.DecodeRune(raw[off:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		if r == '\n' {
			line++
		}
		off += size
	}
	return fmt.Errorf("%s: line %d: invalid UTF-8 at byte offset %d (byte 0x%02x); if the file is latin-1 (ISO-8859-1), pass --encoding latin-1",
		name, line, off, raw[off])
}

func latin1ToUTF8(raw []byte) []byte {
	out := make([]byte, 0, len(raw)+len(raw)/8)
	for _, b := range raw {
		out = utf8.AppendRune(out, rune(b))
	}
	return out
}
