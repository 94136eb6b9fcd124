package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-translab/translab/lab/reference"
)

const commit = "0123456789abcdef0123456789abcdef01234567"

// fakeHub serves the files of one model repo the way the HF hub's resolve and api endpoints do.
func fakeHub(t *testing.T, repo string, files map[string]string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.URL.Path == "/api/models/"+repo+"/revision/main" {
			var siblings []map[string]string
			for name := range files {
				siblings = append(siblings, map[string]string{"rfilename": name})
			}
			json.NewEncoder(w).Encode(map[string]any{"sha": commit, "siblings": siblings})
			return
		}
		prefix := "/" + repo + "/resolve/"
		rest, ok := strings.CutPrefix(r.URL.Path, prefix)
		if !ok {
			http.Error(w, "Repository not found", http.StatusNotFound)
			return
		}
		_, name, _ := strings.Cut(rest, "/")
		path, ok := files[name]
		if !ok {
			w.Header().Set("X-Repo-Commit", commit)
			w.Header().Set("X-Error-Code", "EntryNotFound")
			http.Error(w, "Entry not found", http.StatusNotFound)
			return
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Error(err)
			return
		}
		sum := sha256.Sum256(data)
		w.Header().Set("X-Repo-Commit", commit)
		w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:])+`"`)
		http.ServeContent(w, r, name, time.Time{}, strings.NewReader(string(data)))
	}))
	t.Cleanup(srv.Close)
	return srv, &requests
}

func TestEmbedFromHubThenOffline(t *testing.T) {
	s := reference.Project(t)
	ref, tok := s.Path("distilbert-tiny-random"), wordPiece(s)
	srv, requests := fakeHub(t, "lab-test/tiny-distilbert", map[string]string{
		"config.json": filepath.Join(ref, "config.json"), "model.safetensors": filepath.Join(ref, "model.safetensors"),
		"tokenizer.json": tok,
	})
	cache := t.TempDir()
	t.Setenv("HF_ENDPOINT", srv.URL)
	t.Setenv("HF_HUB_CACHE", cache)
	t.Setenv("HF_HUB_OFFLINE", "")
	tmp := t.TempDir()
	in := filepath.Join(tmp, "in.txt")
	os.WriteFile(in, []byte("a gorgeous , witty , seductive movie .\n"), 0o644)

	out1 := filepath.Join(tmp, "online.npy")
	if _, stderr, code := runLab(t, "embed", "--model", "lab-test/tiny-distilbert", "--input", in, "--out", out1); code != 0 {
		t.Fatalf("embed from the hub: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(cache, "models--lab-test--tiny-distilbert", "snapshots", commit, "model.safetensors")); err != nil {
		t.Fatalf("the model did not land in the shared cache layout: %v", err)
	}

	// Offline: the filled cache is enough, and not one request is made.
	srv.Close()
	t.Setenv("HF_HUB_OFFLINE", "1")
	before := requests.Load()
	out2 := filepath.Join(tmp, "offline.npy")
	if _, stderr, code := runLab(t, "embed", "--model", "lab-test/tiny-distilbert", "--input", in, "--out", out2); code != 0 {
		t.Fatalf("embed offline from the cache: exit %d: %s", code, stderr)
	}
	if requests.Load() != before {
		t.Errorf("offline run made %d requests", requests.Load()-before)
	}
	a, _ := os.ReadFile(out1)
	b, _ := os.ReadFile(out2)
	if string(a) != string(b) {
		t.Error("offline features differ from online ones")
	}

	// Offline with a repo that was never fetched: a clear error, not a hang or a panic.
	_, stderr, code := runLab(t, "embed", "--model", "lab-test/never-fetched", "--input", in, "--out", filepath.Join(tmp, "x.npy"))
	if code == 0 || !strings.Contains(stderr, "lab-test/never-fetched") || !strings.Contains(stderr, "HF_HUB_OFFLINE") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func TestFetch(t *testing.T) {
	ref := project(t, "distilbert-tiny-random")
	srv, _ := fakeHub(t, "lab-test/tiny-distilbert", map[string]string{
		"config.json": filepath.Join(ref, "config.json"), "model.safetensors": filepath.Join(ref, "model.safetensors"),
	})
	cache := t.TempDir()
	t.Setenv("HF_ENDPOINT", srv.URL)
	t.Setenv("HF_HUB_CACHE", cache)
	t.Setenv("HF_HUB_OFFLINE", "")
	stdout, stderr, code := runLab(t, "fetch", "lab-test/tiny-distilbert")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	dir := filepath.Join(cache, "models--lab-test--tiny-distilbert", "snapshots", commit)
	if !strings.Contains(stdout, dir) {
		t.Errorf("stdout %q does not name the snapshot %s", stdout, dir)
	}
	for _, f := range []string{"config.json", "model.safetensors"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	_, stderr, code = runLab(t, "fetch", "lab-test/does-not-exist")
	if code == 0 || !strings.Contains(stderr, "lab-test/does-not-exist") {
		t.Errorf("fetching a missing repo: exit %d, %q", code, stderr)
	}
}
