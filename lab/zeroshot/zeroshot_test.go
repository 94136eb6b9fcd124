package zeroshot

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/go-translab/translab/lab/clip"
	"github.com/go-translab/translab/lab/datasets"
	"github.com/go-translab/translab/lab/features"
	"github.com/go-translab/translab/lab/imageproc"
	"github.com/go-translab/translab/lab/session"
	"github.com/go-translab/translab/lab/tokenize"
)

type picture struct {
	Image struct {
		Bytes []byte `parquet:"bytes"`
		Path  string `parquet:"path"`
	} `parquet:"image"`
	Label int64 `parquet:"label"`
}

// writeDataset makes an image dataset folder with good PNGs and the given corrupt payloads.
func writeDataset(t *testing.T, good int, corrupt [][]byte) string {
	dir := t.TempDir()
	var rows []picture
	for i := 0; i < good; i++ {
		var buf bytes.Buffer
		png.Encode(&buf, image.NewGray(image.Rect(0, 0, 20+i, 30)))
		var p picture
		p.Image.Bytes, p.Label = buf.Bytes(), int64(i%2)
		rows = append(rows, p)
	}
	for _, c := range corrupt {
		var p picture
		p.Image.Bytes = c
		rows = append(rows, p)
	}
	if err := parquet.WriteFile(filepath.Join(dir, "test.parquet"), rows); err != nil {
		t.Fatal(err)
	}
	return dir
}

// demo is the CLIP demo's session with its model, tokenizer and image processor.
func demo(t *testing.T) (*session.Session, *clip.Model, *tokenize.Tokenizer, *imageproc.Config) {
	t.Helper()
	s, err := session.Setup(context.Background(), session.CLIP(true))
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.CLIP()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	proc, err := s.ImageProcessor()
	if err != nil {
		t.Fatal(err)
	}
	return s, m, tok, proc
}

func localDataset(t *testing.T, dir, title string, classes []string) *session.Dataset {
	ds, err := datasets.OpenDir(datasets.Spec{ID: dir, ImageColumn: "image", LabelColumn: "label", LabelNames: classes}, dir)
	if err != nil {
		t.Fatal(err)
	}
	return &session.Dataset{Dataset: ds, Name: title, Title: title, Classes: classes}
}

func TestCorruptImagesAreSkippedAndCounted(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	s, m, tok, proc := demo(t)
	classes := []string{"dark", "light"}
	zs, err := NewClassifier(s.Backend, m, tok, classes, PhotoTemplate, features.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var warnings bytes.Buffer
	mixed := localDataset(t, writeDataset(t, 5, [][]byte{[]byte("not an image"), {0x89, 'P', 'N', 'G'}}), "mixed", classes)
	ev, err := Evaluate(context.Background(), zs, proc, mixed, Options{BatchSize: 4, Progress: &warnings})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Skipped != 2 || len(ev.Labels) != 5 || len(ev.Ranked) != 5 || ev.Embeddings.Rows() != 5 {
		t.Fatalf("skipped %d, classified %d (%d embeddings); want 2 and 5", ev.Skipped, len(ev.Labels), ev.Embeddings.Rows())
	}
	if !strings.Contains(warnings.String(), "skipped 2 image(s) of mixed") || !strings.Contains(warnings.String(), "row 5") {
		t.Errorf("no warning with the count and the first bad row: %q", warnings.String())
	}

	bad := localDataset(t, writeDataset(t, 0, [][]byte{[]byte("x"), []byte("y")}), "broken", classes)
	if _, err := Evaluate(context.Background(), zs, proc, bad, Options{}); err == nil || !strings.Contains(err.Error(), "none of the 2 images") {
		t.Fatalf("all images corrupt: %v", err)
	}
}

func TestClassEmbeddingsAreCached(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	s, m, tok, _ := demo(t)
	classes := []string{"red circle", "blue triangle"}
	first, err := NewClassifier(s.Backend, m, tok, classes, PhotoTemplate, features.Options{Cache: true})
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(cache, "translab", "clip-texts", "*.npy"))
	if len(files) != 1 || first.ClassEmbeds.Cached {
		t.Fatalf("%d cache files (cached %v), want 1 written now", len(files), first.ClassEmbeds.Cached)
	}
	again, err := NewClassifier(s.Backend, m, tok, classes, PhotoTemplate, features.Options{Cache: true})
	if err != nil {
		t.Fatal(err)
	}
	if !again.ClassEmbeds.Cached || !slices.Equal(first.ClassEmbeds.Data, again.ClassEmbeds.Data) {
		t.Fatal("the second classifier did not read the same embeddings back from the cache")
	}
	if _, err := NewClassifier(s.Backend, m, tok, []string{"green square"}, PhotoTemplate, features.Options{Cache: true}); err != nil {
		t.Fatal(err)
	}
	if files, _ := filepath.Glob(filepath.Join(cache, "translab", "clip-texts", "*.npy")); len(files) != 2 {
		t.Fatalf("other classes must get their own cache file, got %d files", len(files))
	}
}
