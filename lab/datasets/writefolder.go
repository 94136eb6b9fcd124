package datasets

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
)

// WriteImageFolder lays up to perClass images of each class of a split (0: all of them) out as an
// image folder of one split, DIR/CLASS/NNN.png (.jpg, … as the bytes are): the layout OpenDir reads
// back, with the same class names as words (a space in a name becomes `_`, which prompts read as a
// space again). It is how a notebook shows the bring-your-own-folder route on data it has.
//
// The images are those that come first in the split, numbered per class from 000. The folder is
// staged beside dir and renamed into place, so a half-written one is never seen; dir must not
// exist, be empty, or hold exactly what this call would write (a rerun, which writes nothing).
// It returns the number of images in the folder.
func WriteImageFolder(dir string, sp *Split, perClass int) (int, error) {
	folders, err := classFolders(sp)
	if err != nil {
		return 0, err
	}
	files := map[string][]byte{} // slash path under dir → bytes
	count := map[int]int{}
	full := 0 // classes with perClass images already
	for row, err := range sp.Rows() {
		if err != nil {
			return 0, err
		}
		if row.Image == nil {
			return 0, fmt.Errorf("datasets: split %q: row %d has no image", sp.Name, row.Index)
		}
		folder := strconv.Itoa(row.Label)
		if folders != nil {
			if row.Label < 0 || row.Label >= len(folders) {
				return 0, fmt.Errorf("datasets: split %q: row %d: label %d is not one of the %d classes", sp.Name, row.Index, row.Label, len(folders))
			}
			folder = folders[row.Label]
		}
		if perClass > 0 && count[row.Label] == perClass {
			continue
		}
		ext, err := imageExt(row.Image.Bytes)
		if err != nil {
			return 0, fmt.Errorf("datasets: split %q: row %d: %w", sp.Name, row.Index, err)
		}
		files[fmt.Sprintf("%s/%03d%s", folder, count[row.Label], ext)] = row.Image.Bytes
		if count[row.Label]++; count[row.Label] == perClass {
			if full++; folders != nil && full == len(folders) {
				break // every class has its images: the rest of the split need not be read
			}
		}
	}
	if len(count) < 2 {
		return 0, fmt.Errorf("datasets: split %q has images of %d class(es); an image folder wants two or more", sp.Name, len(count))
	}
	if done, err := holds(dir, files); done || err != nil {
		return len(files), err
	}
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return 0, fmt.Errorf("datasets: image folder %s: %w", dir, unwrapPathError(err))
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-*")
	if err != nil {
		return 0, fmt.Errorf("datasets: image folder %s: %w", dir, unwrapPathError(err))
	}
	defer os.RemoveAll(tmp) // gone after the rename; cleans up after a failure
	for name, raw := range files {
		p := filepath.Join(tmp, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return 0, fmt.Errorf("datasets: image folder %s: %w", dir, unwrapPathError(err))
		}
		if err := os.WriteFile(p, raw, 0o644); err != nil {
			return 0, fmt.Errorf("datasets: image folder %s: %w", dir, unwrapPathError(err))
		}
	}
	os.Remove(dir) // an empty folder (holds checked it), which rename will not replace
	if err := os.Rename(tmp, dir); err != nil {
		return 0, fmt.Errorf("datasets: image folder %s: %w", dir, unwrapPathError(err))
	}
	return len(files), nil
}

// classFolders are the folder names of a split's classes, nil when it names none (folders are
// then the label numbers).
func classFolders(sp *Split) ([]string, error) {
	if len(sp.LabelNames) == 0 {
		return nil, nil
	}
	folders := make([]string, len(sp.LabelNames))
	seen := map[string]string{}
	for i, name := range sp.LabelNames {
		f := strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.' {
				return r
			}
			return '_'
		}, name)
		f = strings.TrimLeft(f, ".") // a leading dot would hide the folder from OpenDir
		if f == "" {
			f = strconv.Itoa(i)
		}
		if other, ok := seen[f]; ok {
			return nil, fmt.Errorf("datasets: split %q: classes %q and %q would share the folder %q", sp.Name, other, name, f)
		}
		seen[f], folders[i] = name, f
	}
	return folders, nil
}

// imageExt is the extension for an encoded image, by its first bytes.
func imageExt(raw []byte) (string, error) {
	switch http.DetectContentType(raw) {
	case "image/png":
		return ".png", nil
	case "image/jpeg":
		return ".jpg", nil
	case "image/gif":
		return ".gif", nil
	case "image/bmp":
		return ".bmp", nil
	case "image/webp":
		return ".webp", nil
	}
	return "", errors.New("not a PNG, JPEG, GIF, BMP or WebP image")
}

// holds says whether dir holds exactly files already (true), or is absent or empty (false); a
// folder holding anything else is an error, as writing there would mix or overwrite files.
func holds(dir string, files map[string][]byte) (bool, error) {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("datasets: image folder %s: %w", dir, unwrapPathError(err))
	case !st.IsDir():
		return false, fmt.Errorf("datasets: image folder %s is a file; want a new or empty folder", dir)
	}
	var there []string
	odd := "" // the first file there that this call would not write as it is
	err = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		there = append(there, rel)
		if odd != "" {
			return nil
		}
		want, ok := files[rel]
		if !ok {
			odd = rel
			return nil
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !bytes.Equal(raw, want) {
			odd = rel
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("datasets: image folder %s: %w", dir, unwrapPathError(err))
	}
	if len(there) == 0 {
		return false, nil
	}
	if odd == "" && len(there) != len(files) {
		odd = fmt.Sprintf("%d of the %d images, not all", len(there), len(files))
	}
	if odd != "" {
		return false, fmt.Errorf("datasets: image folder %s already holds other files (%s); want a new or empty folder (nothing was written)", dir, odd)
	}
	return true, nil
}
