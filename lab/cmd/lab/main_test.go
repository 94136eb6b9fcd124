package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/go-translab/translab/lab/distilbert"
	"github.com/go-translab/translab/lab/npy"
	"github.com/go-translab/translab/lab/reference"
	"github.com/go-translab/translab/lab/tokenize"
)

// project is goldens/reference/<parts…>, the project's own reference data, there on every clone.
func project(t *testing.T, parts ...string) string { return reference.Project(t).Path(parts...) }

// wordPiece is a reference set's uncased WordPiece tokenizer.json.
func wordPiece(s reference.Set) string { return s.Path("tokenizers", s.WordPiece) }

func runLab(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return o.String(), e.String(), code
}

func TestHelpOnEveryVerb(t *testing.T) {
	for name := range verbs {
		_, stderr, code := runLab(t, name, "--help")
		if name == "bench" {
			_, stderr, code = runLab(t, name, "embed", "--help")
		}
		if code != 0 || !strings.Contains(stderr, "usage: lab "+name) {
			t.Errorf("lab %s --help: exit %d, output %q", name, code, stderr)
		}
	}
	if _, _, code := runLab(t, "nonsense"); code != 2 {
		t.Errorf("unknown verb: exit %d, want 2", code)
	}
	if _, stderr, code := runLab(t, "embed", "--input", "x.txt"); code != 2 || !strings.Contains(stderr, "missing --model, --out") {
		t.Errorf("missing flags: exit %d, %q", code, stderr)
	}
}

func TestTokenizeSeedSentence(t *testing.T) {
	// The ids HF's tokenizers gives for each set's WordPiece tokenizer (the project's splits "like"
	// and "hello, world" into word pieces, so ## continuations are covered).
	wants := map[string][]string{
		"project": {
			`{"ids":[101,932,1135,115,153,550,1289,1060,115,1156,948,1510,1178,115,1000,932,1142,998,142,1193,1215,916,1023,1130,117,102]}`,
			`{"ids":[101,102]}`,
			`{"ids":[101,149,1122,556,115,164,906,553,545,104,102]}`,
		},
		"shared": {
			`{"ids":[101,1996,2466,1010,2066,2166,1010,10220,2000,2022,3722,1010,1998,1996,2765,2003,1037,17075,14704,1997,9596,6699,1012,102]}`,
			`{"ids":[101,102]}`,
			`{"ids":[101,7592,1010,2088,999,102]}`,
		},
	}
	reference.Each(t, func(t *testing.T, s reference.Set) {
		in := filepath.Join(t.TempDir(), "in.txt")
		os.WriteFile(in, []byte("the story , like life , refuses to be simple , and the result is a compelling slice of awkward emotions .\n\nHello, World!\n"), 0o644)
		stdout, stderr, code := runLab(t, "tokenize", "--tokenizer", wordPiece(s), "--input", in)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		want := wants[s.Name]
		if len(lines) != len(want) {
			t.Fatalf("got %d lines, want %d: %q", len(lines), len(want), stdout)
		}
		for i := range want {
			if lines[i] != want[i] {
				t.Errorf("line %d: %s, want %s", i, lines[i], want[i])
			}
		}
	})
}

// modelDir assembles an HF directory from the project's tiny DistilBERT and its WordPiece tokenizer.
func modelDir(t *testing.T) string {
	s := reference.Project(t)
	ref, tok := s.Path("distilbert-tiny-random"), wordPiece(s)
	dir := t.TempDir()
	for name, src := range map[string]string{
		"config.json": filepath.Join(ref, "config.json"), "model.safetensors": filepath.Join(ref, "model.safetensors"),
		"tokenizer.json": tok,
	} {
		if err := os.Symlink(src, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestEmbed(t *testing.T) {
	dir := modelDir(t)
	cfg, err := distilbert.LoadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	dim, positions := cfg.Dim, cfg.MaxPositionEmbeddings
	tmp := t.TempDir()
	in := filepath.Join(tmp, "in.txt")
	sentences := []string{
		"a gorgeous , witty , seductive movie .",
		"the film is strictly routine .",
		"",
		strings.Repeat("an epic that never ends ", 40), // truncated at the model's positions
		"ok",
	}
	os.WriteFile(in, []byte(strings.Join(sentences, "\n")+"\n"), 0o644)

	cls := func(batch string) *npy.Array {
		out := filepath.Join(tmp, "cls"+batch+".npy")
		if _, stderr, code := runLab(t, "embed", "--model", dir, "--input", in, "--out", out, "--batch", batch, "--max-length", strconv.Itoa(positions)); code != 0 {
			t.Fatalf("embed: exit %d: %s", code, stderr)
		}
		a, err := npy.Read(out)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	one, all := cls("1"), cls("32")
	if len(one.Shape) != 2 || one.Shape[0] != len(sentences) || one.Shape[1] != dim {
		t.Fatalf("cls shape %v, want [%d %d]", one.Shape, len(sentences), dim)
	}
	// A sentence's features must not depend on what it was batched and padded with.
	for i := range one.F32 {
		if d := math.Abs(float64(one.F32[i] - all.F32[i])); d > 1e-5 {
			t.Fatalf("value %d differs between batch 1 and batch 32 by %g", i, d)
		}
	}

	out := filepath.Join(tmp, "none.npy")
	if _, stderr, code := runLab(t, "embed", "--model", dir, "--input", in, "--out", out, "--pool", "none", "--max-length", strconv.Itoa(positions)); code != 0 {
		t.Fatalf("embed --pool none: exit %d: %s", code, stderr)
	}
	h, err := npy.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Shape) != 3 || h.Shape[0] != len(sentences) || h.Shape[1] != positions || h.Shape[2] != dim {
		t.Fatalf("none shape %v, want [%d %d %d]", h.Shape, len(sentences), positions, dim)
	}
	for i := range sentences { // position 0 of the hidden states is the [CLS] vector
		for j := 0; j < dim; j++ {
			if d := math.Abs(float64(h.F32[i*positions*dim+j] - one.F32[i*dim+j])); d > 1e-5 {
				t.Fatalf("sentence %d: hidden state 0 differs from its [CLS] vector by %g", i, d)
			}
		}
	}
	// Everything after "ok"'s tokens ([CLS] o ##k [SEP] in the project's vocabulary) is padding,
	// written as zeros.
	tok, err := tokenize.Load(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	n := len(tok.Encode("ok"))
	for _, v := range h.F32[4*positions*dim+n*dim : 5*positions*dim] {
		if v != 0 {
			t.Fatal("padding positions are not zero")
		}
	}
}

func TestEmbedBadInput(t *testing.T) {
	dir := modelDir(t)
	tmp := t.TempDir()
	in := filepath.Join(tmp, "in.txt")
	os.WriteFile(in, []byte("hello\n"), 0o644)
	cases := map[string]struct {
		args []string
		want string
	}{
		"no such model dir": {[]string{"--model", filepath.Join(tmp, "nope"), "--input", in, "--out", filepath.Join(tmp, "o.npy")}, "nope"},
		"no such input":     {[]string{"--model", dir, "--input", filepath.Join(tmp, "missing.txt"), "--out", filepath.Join(tmp, "o.npy")}, "missing.txt"},
		"bad pool":          {[]string{"--model", dir, "--input", in, "--out", filepath.Join(tmp, "o.npy"), "--pool", "max"}, "--pool"},
		"unwritable out":    {[]string{"--model", dir, "--input", in, "--out", filepath.Join(tmp, "no", "dir", "o.npy")}, "o.npy"},
	}
	for name, c := range cases {
		_, stderr, code := runLab(t, append([]string{"embed"}, c.args...)...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, stderr %q, want an error mentioning %q", name, code, stderr, c.want)
		}
	}
}

func TestFetchNeedsARepo(t *testing.T) {
	_, stderr, code := runLab(t, "fetch")
	if code != 2 || !strings.Contains(stderr, "name at least one repo") {
		t.Errorf("exit %d, %q", code, stderr)
	}
}

func TestTokenizeCLIP(t *testing.T) {
	// <|startoftext|> a photo of a cat . <|endoftext|>, as HF's tokenizers gives them for each set.
	wants := map[string]string{
		"project": `{"ids":[1409,320,552,527,320,616,269,1410]}`,
		"shared":  `{"ids":[49406,320,1125,539,320,2368,269,49407]}`,
	}
	reference.Each(t, func(t *testing.T, s reference.Set) {
		in := filepath.Join(t.TempDir(), "in.txt")
		os.WriteFile(in, []byte("a photo of a cat.\n"), 0o644)
		stdout, stderr, code := runLab(t, "tokenize", "--tokenizer", s.Path("tokenizers", "clip-tokenizer.json"), "--input", in)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if want := wants[s.Name]; strings.TrimSpace(stdout) != want {
			t.Errorf("got %s, want %s", stdout, want)
		}
	})
}
