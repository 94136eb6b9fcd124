// Package cache keeps results derived from a model and its inputs on disk — [CLS] features, image
// and class embeddings — under names made of everything they depend on. A notebook reruns each
// cell as a fresh program, so without it every rerun would repeat minutes of model work.
package cache

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"os"
	"path/filepath"

	"github.com/go-translab/translab/lab/npy"
)

// Key names a cached result: its kind (a folder) and a hash of what it depends on.
type Key struct {
	kind string
	h    hash.Hash
}

// NewKey starts a key for results of a kind, e.g. "features" or "clip-images".
func NewKey(kind string) *Key { return &Key{kind: kind, h: sha256.New()} }

// Files adds the files a result was derived from by name, size and modification time: in the hub
// cache the names hold commit hashes, and a re-downloaded or edited file gets a new time. Missing
// files are skipped, so one key covers the checkpoint layouts a model may come in.
func (k *Key) Files(dir string, names ...string) *Key {
	for _, n := range names {
		p := filepath.Join(dir, n)
		if st, err := os.Stat(p); err == nil {
			fmt.Fprintf(k.h, "file %s %d %d\n", p, st.Size(), st.ModTime().UnixNano())
		}
	}
	return k
}

// Values adds settings (a pool, a max length, a dtype) by their %q/%v form.
func (k *Key) Values(vs ...any) *Key {
	for _, v := range vs {
		fmt.Fprintf(k.h, "value %T %#v\n", v, v)
	}
	return k
}

// Texts adds input texts, each with its length so that no two lists hash alike.
func (k *Key) Texts(texts []string) *Key {
	fmt.Fprintf(k.h, "texts %d\n", len(texts))
	for _, t := range texts {
		fmt.Fprintf(k.h, "%d:%s\n", len(t), t)
	}
	return k
}

// Floats adds input numbers (pixel values) by their bits.
func (k *Key) Floats(f []float32) *Key {
	fmt.Fprintf(k.h, "floats %d\n", len(f))
	binary.Write(k.h, binary.LittleEndian, f)
	return k
}

// SharedEnv names a read-only folder laid out as the user's own translab cache (~/.cache/translab),
// which a teacher filled once for a class: on a shared server forty students then read one copy of
// the demo fixtures and the features instead of computing forty. It is looked in first and never
// written; what it lacks goes to the user's own cache.
const SharedEnv = "LAB_SHARED_CACHE"

// SharedDir is the folder SharedEnv names, or "" when unset.
func SharedDir() string { return os.Getenv(SharedEnv) }

// Path is the key's file under the user's cache directory, or "" when there is none.
func (k *Key) Path() string {
	base, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(base, "translab", k.file())
}

// SharedPath is the key's file in the shared cache, or "" when there is none.
func (k *Key) SharedPath() string {
	if d := SharedDir(); d != "" {
		return filepath.Join(d, k.file())
	}
	return ""
}

func (k *Key) file() string {
	return filepath.Join(k.kind, hex.EncodeToString(k.h.Sum(nil))[:24]+".npy")
}

// Float32 returns the float32 array of the given shape cached under k — in the shared cache, else
// the user's — or computes, stores in the user's cache and returns it; cached says which. A cache
// that cannot be written is not an error (the result is still returned), and warn, when set, hears why.
func Float32(k *Key, shape []int, compute func() ([]float32, error), warn func(error)) (data []float32, cached bool, err error) {
	path := k.Path()
	for _, p := range []string{k.SharedPath(), path} {
		if p == "" {
			continue
		}
		if a, err := npy.Read(p); err == nil && sameShape(a.Shape, shape) && a.F32 != nil {
			return a.F32, true, nil
		}
	}
	if data, err = compute(); err != nil {
		return nil, false, err
	}
	if path != "" {
		err := os.MkdirAll(filepath.Dir(path), 0o755)
		if err == nil {
			err = npy.WriteFloat32(path, shape, data)
		}
		if err != nil && warn != nil {
			warn(fmt.Errorf("could not cache %s: %w", k.kind, err))
		}
	}
	return data, false, nil
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
