// Package data holds the lab's dataset catalog and the small fixtures the project makes, embedded
// in the binary so that the lab runs offline on a fresh machine.
package data

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/go-translab/translab/lab/cache"
)

// demoFS is written by data/gendemo: in demo/, a tiny DistilBERT pretrained on the demo's
// sentences, its tokenizer, and 2300 review sentences in Rotten Tomatoes' layout; in demo-clip/, a
// tiny CLIP pretrained on captioned pictures of the demo's shapes, a
// byte-level BPE tokenizer and pictures of coloured shapes in an HF image dataset's layout.
//
//go:embed demo demo-clip
var demoFS embed.FS

var demoMu sync.Mutex

// DemoDir returns a directory holding the demo fixtures — an HF model directory that is also an HF
// dataset directory (train/validation/test.parquet + README.md). They are extracted from the binary
// on first use into the user's cache, under a name derived from their content, so an updated
// binary never reads stale fixtures and two processes never see a half-written directory.
func DemoDir() (string, error) { return extract("demo") }

// CLIPDemoDir is DemoDir for Exercise 3: an HF CLIP model directory that is also an image dataset.
func CLIPDemoDir() (string, error) { return extract("demo-clip") }

func extract(name string) (string, error) {
	demoMu.Lock()
	defer demoMu.Unlock()
	return extractDemo(name) // a stat when the fixtures are there already; a cache can be wiped meanwhile
}

func extractDemo(name string) (string, error) {
	h := sha256.New()
	err := fs.WalkDir(demoFS, name, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := demoFS.ReadFile(p)
		fmt.Fprintf(h, "%s %d\n", p, len(raw))
		h.Write(raw)
		return err
	})
	if err != nil {
		return "", err
	}
	folder := name + "-" + hex.EncodeToString(h.Sum(nil))[:16]
	// A class's shared cache holds the fixtures at one path for every student, so that the features
	// the teacher cached for them (keyed by the model's folder) are found.
	if shared := cache.SharedDir(); shared != "" {
		if dir := filepath.Join(shared, folder); fileExists(filepath.Join(dir, "config.json")) {
			return dir, nil
		}
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "translab", folder)
	if fileExists(filepath.Join(dir, "config.json")) {
		return dir, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", fmt.Errorf("data: demo fixtures: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".demo-*")
	if err != nil {
		return "", fmt.Errorf("data: demo fixtures: %w", err)
	}
	defer os.RemoveAll(tmp) // gone after the rename; cleans up after a failure
	entries, err := demoFS.ReadDir(name)
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		raw, err := demoFS.ReadFile(name + "/" + e.Name())
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(tmp, e.Name()), raw, 0o644); err != nil {
			return "", fmt.Errorf("data: demo fixtures: %w", err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(filepath.Join(dir, "config.json")); statErr == nil {
			return dir, nil // another process extracted the same content first
		}
		return "", fmt.Errorf("data: demo fixtures: %w", err)
	}
	return dir, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
