package session

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeDatasetHub serves one dataset repo as the hub's api and resolve endpoints do.
func fakeDatasetHub(t *testing.T, id, commit string, files map[string]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/datasets/"+id+"/revision/main" {
			var siblings []map[string]string
			for name := range files {
				siblings = append(siblings, map[string]string{"rfilename": name})
			}
			json.NewEncoder(w).Encode(map[string]any{"sha": commit, "siblings": siblings})
			return
		}
		rest, ok := strings.CutPrefix(r.URL.Path, "/datasets/"+id+"/resolve/")
		_, name, _ := strings.Cut(rest, "/")
		src, known := files[name]
		if !ok || !known {
			w.Header().Set("X-Repo-Commit", commit)
			http.Error(w, "Entry not found", http.StatusNotFound)
			return
		}
		raw, err := os.ReadFile(src)
		if err != nil {
			t.Error(err)
			return
		}
		sum := sha256.Sum256(raw)
		w.Header().Set("X-Repo-Commit", commit)
		w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:])+`"`)
		http.ServeContent(w, r, name, time.Time{}, strings.NewReader(string(raw)))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// A dataset repo outside the catalog, by hub id: its splits found by the hub's layout rules
// (data/{split}-00000-of-00001.parquet), its classes from its README, its commit recorded; then
// offline from the cache.
func TestHubDatasetOutsideTheCatalog(t *testing.T) {
	const commit = "fedcba9876543210fedcba9876543210fedcba98"
	src := filepath.Join("..", "datasets", "testdata", "rotten")
	srv := fakeDatasetHub(t, "someone/reviews", commit, map[string]string{
		"README.md":                              filepath.Join(src, "README.md"),
		"data/train-00000-of-00001.parquet":      filepath.Join(src, "train.parquet"),
		"data/validation-00000-of-00001.parquet": filepath.Join(src, "validation.parquet"),
		"data/test-00000-of-00001.parquet":       filepath.Join(src, "test.parquet"),
	})
	t.Setenv("HF_ENDPOINT", srv.URL)
	t.Setenv("HF_HUB_CACHE", t.TempDir())
	t.Setenv("HF_HUB_OFFLINE", "")
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	model := demoModel(t, false)
	for _, offline := range []bool{false, true} {
		if offline {
			srv.Close()
			t.Setenv("HF_HUB_OFFLINE", "1")
		}
		o := Sentiment(false)
		o.Model, o.Dataset, o.Progress = model, "someone/reviews", io.Discard
		s, err := Setup(context.Background(), o)
		if err != nil {
			t.Fatalf("offline %v: %v", offline, err)
		}
		d, err := s.Dataset(context.Background(), "rotten_tomatoes")
		if err != nil {
			t.Fatal(err)
		}
		if d.Title != "someone/reviews" || d.Revision != commit || !slices.Equal(d.Classes, []string{"neg", "pos"}) || !slices.Equal(d.Available, []string{"test", "train", "validation"}) {
			t.Errorf("offline %v: title %q, revision %q, classes %v, splits %v", offline, d.Title, d.Revision, d.Classes, d.Available)
		}
		if rows, err := d.Rows("test"); err != nil || len(rows) != 8 {
			t.Errorf("offline %v: test split: %d rows, %v", offline, len(rows), err)
		}
	}
	// A name that is neither the catalog's nor a hub id nor a folder says what it wants.
	o := Sentiment(false)
	o.Model, o.Dataset, o.Progress = model, "reviews", io.Discard
	if _, err := Setup(context.Background(), o); err == nil || !strings.Contains(err.Error(), "rotten_tomatoes") {
		t.Errorf("an unknown name: %v", err)
	}
}
