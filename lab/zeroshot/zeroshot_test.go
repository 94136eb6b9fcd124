package zeroshot

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/go-translab/translab/lab/clip"
	"github.com/go-translab/translab/lab/datasets"
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

func TestCorruptImagesAreSkippedAndCounted(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	var warnings bytes.Buffer
	l, err := Setup(context.Background(), Options{Demo: true, BatchSize: 4, Progress: &warnings})
	if err != nil {
		t.Fatal(err)
	}
	dir := writeDataset(t, 5, [][]byte{[]byte("not an image"), {0x89, 'P', 'N', 'G'}})
	d := Dataset{Name: "mixed", Spec: datasets.Spec{ID: dir, ImageColumn: "image", LabelColumn: "label", LabelNames: []string{"dark", "light"}}}
	ev, err := l.Evaluate(context.Background(), d, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Skipped != 2 || len(ev.Labels) != 5 || len(ev.Ranked) != 5 {
		t.Fatalf("skipped %d, classified %d; want 2 and 5", ev.Skipped, len(ev.Labels))
	}
	if !strings.Contains(warnings.String(), "skipped 2 image(s) of mixed") {
		t.Errorf("no warning with the count: %q", warnings.String())
	}

	bad := Dataset{Name: "broken", Spec: datasets.Spec{ID: writeDataset(t, 0, [][]byte{[]byte("x"), []byte("y")}), ImageColumn: "image", LabelColumn: "label", LabelNames: []string{"a", "b"}}}
	if _, err := l.Evaluate(context.Background(), bad, nil, 0); err == nil || !strings.Contains(err.Error(), "none of the 2 images") {
		t.Fatalf("all images corrupt: %v", err)
	}

	unnamed := Dataset{Name: "unnamed", Spec: datasets.Spec{ID: writeDataset(t, 2, nil), ImageColumn: "image", LabelColumn: "label"}}
	if _, err := l.Evaluate(context.Background(), unnamed, nil, 0); err == nil || !strings.Contains(err.Error(), "no class names") {
		t.Fatalf("dataset without label names: %v", err)
	}
}

func TestClassEmbeddingsAreCached(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	l, err := Setup(context.Background(), Options{Demo: true, Progress: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	classes := []string{"red circle", "blue triangle"}
	first, err := l.Classifier(classes, clip.PhotoTemplate)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(cache, "translab", "clip-classes", "*.npy"))
	if len(files) != 1 {
		t.Fatalf("%d cache files, want 1", len(files))
	}
	again, err := l.Classifier(classes, clip.PhotoTemplate)
	if err != nil {
		t.Fatal(err)
	}
	for i := range first.ClassEmbeds {
		if first.ClassEmbeds[i] != again.ClassEmbeds[i] {
			t.Fatal("the cached class embeddings differ from the computed ones")
		}
	}
	if _, err := l.Classifier([]string{"green square"}, clip.PhotoTemplate); err != nil {
		t.Fatal(err)
	}
	if files, _ := filepath.Glob(filepath.Join(cache, "translab", "clip-classes", "*.npy")); len(files) != 2 {
		t.Fatalf("other classes must get their own cache file, got %d files", len(files))
	}
}
