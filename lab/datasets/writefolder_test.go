package datasets

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The first images of each class of a parquet split, laid out as a folder, read back as the same
// images under the same classes (names as folder names: spaces become `_`).
func TestWriteImageFolder(t *testing.T) {
	d, err := OpenDir(Spec{ImageColumn: "image", LabelColumn: "label"}, filepath.Join(testdata, "images"))
	if err != nil {
		t.Fatal(err)
	}
	train, _ := d.Split("train")
	src, err := train.ReadAll() // labels 0 1 2 0 1 2 …: tench, English springer, cassette player
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "photos")
	n, err := WriteImageFolder(dir, train, 2)
	if err != nil || n != 6 {
		t.Fatalf("wrote %d, %v; want 6", n, err)
	}
	back, err := OpenDir(Spec{}, dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.Available, []string{"train"}) || !slices.Equal(back.LabelNames, []string{"English_springer", "cassette_player", "tench"}) {
		t.Fatalf("read back: splits %v, classes %v", back.Available, back.LabelNames)
	}
	sp, _ := back.Split("train")
	rows, err := sp.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// Folder by folder, each class's first two rows of the split in their order.
	want := []struct {
		file string
		row  int
	}{{"English_springer/000.png", 1}, {"English_springer/001.png", 4}, {"cassette_player/000.png", 2}, {"cassette_player/001.png", 5}, {"tench/000.png", 0}, {"tench/001.png", 3}}
	if len(rows) != len(want) {
		t.Fatalf("%d rows read back, want %d", len(rows), len(want))
	}
	for i, w := range want {
		rel, _ := filepath.Rel(dir, rows[i].Image.Path)
		if filepath.ToSlash(rel) != w.file || rows[i].Label != i/2 || !bytes.Equal(rows[i].Image.Bytes, src[w.row].Image.Bytes) {
			t.Errorf("row %d: %s, label %d; want %s holding row %d's bytes, label %d", i, rel, rows[i].Label, w.file, w.row, i/2)
		}
	}

	// A rerun finds its own folder and writes nothing; nothing is left beside it.
	if n, err := WriteImageFolder(dir, train, 2); err != nil || n != 6 {
		t.Errorf("rerun: %d, %v", n, err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(dir)); len(entries) != 1 {
		t.Errorf("beside the folder: %v", entries)
	}
	// 0 takes every image; an empty folder is filled.
	all := t.TempDir()
	if n, err := WriteImageFolder(all, train, 0); err != nil || n != 12 {
		t.Errorf("all images: %d, %v", n, err)
	}
}

// A folder holding anything else is refused and left as it was.
func TestWriteImageFolderKeepsOtherFiles(t *testing.T) {
	d, err := OpenDir(Spec{ImageColumn: "image", LabelColumn: "label"}, filepath.Join(testdata, "images"))
	if err != nil {
		t.Fatal(err)
	}
	train, _ := d.Split("train")
	dir := t.TempDir()
	if _, err := WriteImageFolder(dir, train, 1); err != nil {
		t.Fatal(err)
	}
	// More images per class than the folder holds: not the same folder.
	if _, err := WriteImageFolder(dir, train, 2); err == nil || !strings.Contains(err.Error(), dir+" already holds other files (3 of the 6 images, not all)") {
		t.Errorf("fewer images there: %v", err)
	}
	mine := filepath.Join(dir, "tench", "000.png")
	os.WriteFile(mine, []byte("my own picture"), 0o644)
	if _, err := WriteImageFolder(dir, train, 1); err == nil || !strings.Contains(err.Error(), "(tench/000.png)") {
		t.Errorf("a changed image: %v", err)
	}
	if raw, _ := os.ReadFile(mine); string(raw) != "my own picture" {
		t.Errorf("the user's file now holds %q", raw)
	}
	notes := t.TempDir()
	os.WriteFile(filepath.Join(notes, "notes.txt"), []byte("mine"), 0o644)
	if _, err := WriteImageFolder(notes, train, 1); err == nil || !strings.Contains(err.Error(), "(notes.txt)") {
		t.Errorf("another file: %v", err)
	}
	if entries, _ := os.ReadDir(notes); len(entries) != 1 {
		t.Errorf("the folder now holds %v", entries)
	}
	file := filepath.Join(t.TempDir(), "photos")
	os.WriteFile(file, nil, 0o644)
	if _, err := WriteImageFolder(file, train, 1); err == nil || !strings.Contains(err.Error(), file+" is a file") {
		t.Errorf("a file: %v", err)
	}
}

func TestWriteImageFolderErrors(t *testing.T) {
	src := t.TempDir()
	png := writePNG(t, filepath.Join(src, "a.png"), 1)
	row := func(label int, p string) Row { return Row{Label: label, Image: &Image{Path: p}} }
	for name, c := range map[string]struct {
		sp   *Split
		want string
	}{
		"one class": {&Split{Name: "train", LabelNames: []string{"a", "b"}, inMemory: true, local: []Row{row(0, filepath.Join(src, "a.png"))}},
			`split "train" has images of 1 class(es)`},
		"shared folder": {&Split{Name: "train", LabelNames: []string{"sea lake", "sea_lake"}},
			`classes "sea lake" and "sea_lake" would share the folder "sea_lake"`},
		"not an image": {&Split{Name: "test", LabelNames: []string{"a", "b"}, inMemory: true, local: []Row{{Index: 3, Label: 1, Image: &Image{Bytes: []byte("text")}}}},
			`split "test": row 3: not a PNG, JPEG, GIF, BMP or WebP image`},
		"label outside": {&Split{Name: "train", LabelNames: []string{"a", "b"}, inMemory: true, local: []Row{{Index: 5, Label: 2, Image: &Image{Bytes: png}}}},
			"row 5: label 2 is not one of the 2 classes"},
	} {
		dir := filepath.Join(t.TempDir(), "out")
		if _, err := WriteImageFolder(dir, c.sp, 0); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("%s: the folder was made", name)
		}
	}
}

// Once every class has its images, the rest of the split is not read: a file missing further on
// does not matter.
func TestWriteImageFolderStopsEarly(t *testing.T) {
	src := t.TempDir()
	var rows []Row
	for i, label := range []int{0, 1, 0, 1, 1} {
		p := filepath.Join(src, fmt.Sprintf("%d.png", i))
		if i < 4 {
			writePNG(t, p, uint8(i))
		}
		rows = append(rows, Row{Index: i, Label: label, Image: &Image{Path: p}})
	}
	sp := &Split{Name: "train", LabelNames: []string{"a b", "c"}, inMemory: true, local: rows}
	dir := filepath.Join(t.TempDir(), "out")
	if n, err := WriteImageFolder(dir, sp, 2); err != nil || n != 4 {
		t.Fatalf("%d, %v", n, err)
	}
	if _, err := WriteImageFolder(filepath.Join(t.TempDir(), "all"), sp, 0); err == nil || !strings.Contains(err.Error(), "4.png") {
		t.Errorf("every image: %v, want the missing 4.png", err)
	}
	for _, f := range []string{"a_b/000.png", "a_b/001.png", "c/000.png", "c/001.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}
