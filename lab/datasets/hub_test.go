package datasets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-translab/translab/lab/hub"
)

const commit = "0123456789abcdef0123456789abcdef01234567"

// fakeHub serves one dataset repo at one revision the way the hub's api and
// resolve endpoints do; files maps repo paths to local fixtures. Requests
// for other files are counted in asked, to check Load fetches only what it
// needs.
func fakeHub(t *testing.T, repo, revision string, files map[string]string) (*httptest.Server, *atomic.Int64, *[]string) {
	t.Helper()
	var requests atomic.Int64
	var fetched []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		// The revision is one escaped segment ("refs%2Fconvert%2Fparquet"),
		// so split the raw path, not the decoded one.
		segs := strings.Split(r.URL.EscapedPath(), "/")
		unescape := func(s string) string { u, _ := url.PathUnescape(s); return u }
		if r.URL.Path == "/api/datasets/"+repo+"/revision/"+revision ||
			strings.HasPrefix(r.URL.EscapedPath(), "/api/datasets/"+repo+"/revision/") && unescape(segs[len(segs)-1]) == revision {
			var siblings []map[string]string
			for name := range files {
				siblings = append(siblings, map[string]string{"rfilename": name})
			}
			json.NewEncoder(w).Encode(map[string]any{"sha": commit, "siblings": siblings})
			return
		}
		prefix := "/datasets/" + repo + "/resolve/"
		rest, ok := strings.CutPrefix(r.URL.EscapedPath(), prefix)
		if !ok {
			http.Error(w, "Repository not found", http.StatusNotFound)
			return
		}
		rev, name, _ := strings.Cut(rest, "/")
		if rev = unescape(rev); rev != revision && rev != commit {
			http.Error(w, "Revision not found", http.StatusNotFound)
			return
		}
		name = unescape(name)
		local, ok := files[name]
		if !ok {
			w.Header().Set("X-Repo-Commit", commit)
			w.Header().Set("X-Error-Code", "EntryNotFound")
			http.Error(w, "Entry not found", http.StatusNotFound)
			return
		}
		data, err := os.ReadFile(local)
		if err != nil {
			t.Error(err)
			return
		}
		if r.Method == http.MethodGet {
			fetched = append(fetched, name)
		}
		sum := sha256.Sum256(data)
		w.Header().Set("X-Repo-Commit", commit)
		w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:])+`"`)
		http.ServeContent(w, r, name, time.Time{}, strings.NewReader(string(data)))
	}))
	t.Cleanup(srv.Close)
	return srv, &requests, &fetched
}

func TestLoadFromHubThenOffline(t *testing.T) {
	rotten := filepath.Join(testdata, "rotten")
	srv, requests, fetched := fakeHub(t, RottenTomatoes.ID, "main", map[string]string{
		"README.md":          filepath.Join(rotten, "README.md"),
		"train.parquet":      filepath.Join(rotten, "train.parquet"),
		"validation.parquet": filepath.Join(rotten, "validation.parquet"),
		"test.parquet":       filepath.Join(rotten, "test.parquet"),
		".gitattributes":     filepath.Join(rotten, "README.md"),
	})
	cache := t.TempDir()
	c := &hub.Client{Endpoint: srv.URL, CacheDir: cache}
	ctx := context.Background()

	d, err := Load(ctx, c, RottenTomatoes, "train", "validation")
	if err != nil {
		t.Fatal(err)
	}
	if d.Commit != commit || !slices.Equal(d.Available, []string{"test", "train", "validation"}) || len(d.Splits) != 2 {
		t.Fatalf("dataset %+v", d)
	}
	slices.Sort(*fetched)
	if want := []string{"README.md", "train.parquet", "validation.parquet"}; !slices.Equal(*fetched, want) {
		t.Errorf("downloaded %v, want only %v", *fetched, want)
	}
	train, err := d.Split("train")
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(cache, "datasets--cornell-movie-review-data--rotten_tomatoes", "snapshots", commit, "train.parquet")
	if train.Files[0] != want {
		t.Errorf("train file %s, want it in the shared cache at %s", train.Files[0], want)
	}
	rows, err := train.ReadAll()
	if err != nil || len(rows) != 34 || rows[0].Label != 1 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	if _, err := Load(ctx, c, RottenTomatoes, "unsupervised"); !errors.Is(err, ErrNoSplit) ||
		!strings.Contains(err.Error(), "there is: test, train, validation") {
		t.Errorf("missing split: %v", err)
	}

	// Offline, the cached snapshot serves the splits fetched before, with
	// no request at all; a split never fetched is reported as missing.
	srv.Close()
	before := requests.Load()
	off := &hub.Client{Endpoint: srv.URL, CacheDir: cache, Offline: true}
	d, err = Load(ctx, off, RottenTomatoes, "train")
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := d.Split("train"); s == nil || s.NumRows != 34 || !slices.Equal(d.LabelNames, []string{"neg", "pos"}) {
		t.Errorf("offline dataset %+v", d)
	}
	if _, err := Load(ctx, off, RottenTomatoes, "test"); !errors.Is(err, ErrNoSplit) || !strings.Contains(err.Error(), "HF_HUB_OFFLINE") {
		t.Errorf("offline, never fetched split: %v", err)
	}
	// The hub gone without HF_HUB_OFFLINE: the same fallback.
	if _, err := Load(ctx, &hub.Client{Endpoint: srv.URL, CacheDir: cache, Timeout: time.Second}, RottenTomatoes, "validation"); err != nil {
		t.Errorf("hub unreachable, cached split: %v", err)
	}
	if requests.Load() != before {
		t.Errorf("%d requests to a closed hub were answered", requests.Load()-before)
	}
}

func TestLoadParquetConversionBranch(t *testing.T) {
	// refs/convert/parquet lays out "{config}/{split}/0000.parquet" and has
	// no README; the label names then come from the files themselves.
	img := filepath.Join(testdata, "images", "data")
	srv, _, _ := fakeHub(t, "lab-test/imagenette", "refs/convert/parquet", map[string]string{
		"default/train/0000.parquet":      filepath.Join(img, "train-00000-of-00002.parquet"),
		"default/train/0001.parquet":      filepath.Join(img, "train-00001-of-00002.parquet"),
		"default/validation/0000.parquet": filepath.Join(img, "validation-00000-of-00001.parquet"),
	})
	c := &hub.Client{Endpoint: srv.URL, CacheDir: t.TempDir()}
	spec := Spec{ID: "lab-test/imagenette", Revision: "refs/convert/parquet", ImageColumn: "image", LabelColumn: "label"}
	d, err := Load(context.Background(), c, spec)
	if err != nil {
		t.Fatal(err)
	}
	train, _ := d.Split("train")
	if train == nil || train.NumRows != 12 || len(train.Files) != 2 {
		t.Fatalf("train %+v", train)
	}
	if !slices.Equal(d.LabelNames, []string{"tench", "English springer", "cassette player"}) {
		t.Errorf("label names %v", d.LabelNames)
	}
	n := 0
	for row, err := range train.Rows() {
		if err != nil {
			t.Fatal(err)
		}
		if row.Image == nil || len(row.Image.Bytes) == 0 {
			t.Fatalf("row %d has no image", row.Index)
		}
		n++
	}
	if n != 12 {
		t.Errorf("%d rows", n)
	}
}
