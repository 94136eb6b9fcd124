package hub

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	commitA = "0123456789abcdef0123456789abcdef01234567"
	commitB = "89abcdef0123456789abcdef0123456789abcdef"
)

// weights is big enough for a cut mid-body and a resume to mean something.
var weights = strings.Repeat("0123456789abcdef", 4096)

// isolate points every environment variable the package reads at fresh
// temporary places, so no test sees the developer's real cache or token.
func isolate(t *testing.T, h *fakeHub) string {
	t.Helper()
	home := t.TempDir()
	for _, k := range []string{"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_HUB_OFFLINE", "XDG_CACHE_HOME"} {
		t.Setenv(k, "")
	}
	t.Setenv("HF_HOME", home)
	if h != nil {
		t.Setenv("HF_ENDPOINT", h.srv.URL+"/")
	}
	return filepath.Join(home, "hub")
}

func quietClient() *Client {
	c := NewClient()
	c.Progress = nil
	return c
}

func modelHub(t *testing.T) *fakeHub {
	h := newFakeHub(t, false)
	h.addRepo(Model, "org/model", commitA, map[string]string{
		"config.json":         `{"dim": 768}`,
		"sub/dir/weights.bin": weights,
	}, "sub/dir/weights.bin")
	return h
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFileLayoutMatchesHuggingfaceHub(t *testing.T) {
	h := modelHub(t)
	cache := isolate(t, h)
	var progress bytes.Buffer
	c := quietClient()
	c.Progress = &progress
	ctx := context.Background()
	r := ParseRepo("org/model")

	cfg, err := c.File(ctx, r, "config.json")
	if err != nil {
		t.Fatal(err)
	}
	w, err := c.File(ctx, r, "sub/dir/weights.bin")
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, w); got != weights {
		t.Fatalf("weights content differs (%d bytes)", len(got))
	}
	store := filepath.Join(cache, "models--org--model")
	snap := filepath.Join(store, "snapshots", commitA)
	if cfg != filepath.Join(snap, "config.json") || w != filepath.Join(snap, "sub", "dir", "weights.bin") {
		t.Fatalf("paths %s, %s not under %s", cfg, w, snap)
	}
	cfgEtag := gitSHA1([]byte(`{"dim": 768}`))
	wEtag := sha256Hex([]byte(weights))
	for p, want := range map[string]string{
		cfg: "../../blobs/" + cfgEtag,
		w:   "../../../../blobs/" + wEtag,
	} {
		got, err := os.Readlink(p)
		if err != nil {
			t.Fatalf("%s is not a symlink: %v", p, err)
		}
		if got != want {
			t.Errorf("symlink %s -> %s, want %s", p, got, want)
		}
	}
	if got := readFile(t, filepath.Join(store, "blobs", wEtag)); got != weights {
		t.Error("blob named by sha256 does not hold the weights")
	}
	if got := readFile(t, filepath.Join(store, "refs", "main")); got != commitA {
		t.Errorf("refs/main = %q, want %s", got, commitA)
	}
	left, _ := filepath.Glob(filepath.Join(store, "blobs", "*.incomplete"))
	if len(left) > 0 {
		t.Errorf("left temporary files: %v", left)
	}
	if _, err := os.Stat(filepath.Join(cache, ".locks", "models--org--model", wEtag+".lock")); runtime.GOOS != "windows" && err != nil {
		t.Errorf("no lock file where huggingface_hub keeps them: %v", err)
	}
	if !strings.Contains(progress.String(), "sub/dir/weights.bin: 100% 64.0 KiB/64.0 KiB") {
		t.Errorf("progress output: %q", progress.String())
	}
	// The LFS file must have been fetched from the redirect target.
	var cdnGets int
	for _, q := range h.requests() {
		if q.Method == "GET" && strings.HasPrefix(q.Path, "/cdn/") {
			cdnGets++
		}
	}
	if cdnGets != 1 {
		t.Errorf("CDN GETs = %d, want 1: %+v", cdnGets, h.requests())
	}

	// A second look at a branch costs one HEAD to see whether it moved, and
	// no download; at a commit it costs nothing.
	h.resetLog()
	if p, err := c.File(ctx, r, "sub/dir/weights.bin"); err != nil || p != w {
		t.Fatalf("cached call: %q, %v", p, err)
	}
	if n, heads := h.count(""), h.count("HEAD"); n != 1 || heads != 1 {
		t.Errorf("branch lookup made %d requests (%d HEAD), want exactly one HEAD", n, heads)
	}
	h.resetLog()
	pinned := Repo{ID: "org/model", Revision: commitA}
	for _, f := range []string{"config.json", "sub/dir/weights.bin"} {
		if _, err := c.File(ctx, pinned, f); err != nil {
			t.Fatal(err)
		}
	}
	if n := h.count(""); n != 0 {
		t.Errorf("commit lookup of cached files made %d requests, want 0: %+v", n, h.requests())
	}
}

func TestOffline(t *testing.T) {
	h := modelHub(t)
	isolate(t, h)
	ctx := context.Background()
	r := ParseRepo("org/model")

	t.Setenv("HF_HUB_OFFLINE", "1")
	c := quietClient()
	if !c.Offline {
		t.Fatal("HF_HUB_OFFLINE=1 not honoured")
	}
	_, err := c.File(ctx, r, "config.json")
	if !errors.Is(err, ErrNotCached) || !strings.Contains(err.Error(), "HF_HUB_OFFLINE is set") ||
		!strings.HasPrefix(err.Error(), "hub: org/model: config.json: not in the cache (") {
		t.Fatalf("empty cache offline: %v", err)
	}
	if _, err := c.Snapshot(ctx, r); !errors.Is(err, ErrNotCached) {
		t.Fatalf("Snapshot offline with empty cache: %v", err)
	}
	if n := h.count(""); n != 0 {
		t.Fatalf("offline made %d requests", n)
	}

	t.Setenv("HF_HUB_OFFLINE", "")
	online := quietClient()
	want, err := online.File(ctx, r, "config.json")
	if err != nil {
		t.Fatal(err)
	}
	h.resetLog()
	t.Setenv("HF_HUB_OFFLINE", "yes")
	c = quietClient()
	got, err := c.File(ctx, r, "config.json")
	if err != nil || got != want {
		t.Fatalf("offline with filled cache: %q, %v", got, err)
	}
	dir, err := c.Snapshot(ctx, r)
	if err != nil || dir != filepath.Dir(want) {
		t.Fatalf("offline snapshot: %q, %v", dir, err)
	}
	if _, err := c.File(ctx, r, "sub/dir/weights.bin"); !errors.Is(err, ErrNotCached) {
		t.Fatalf("uncached file offline: %v", err)
	}
	if n := h.count(""); n != 0 {
		t.Fatalf("offline made %d requests", n)
	}
}

func TestNetworkDownFallsBackToCache(t *testing.T) {
	h := modelHub(t)
	isolate(t, h)
	ctx := context.Background()
	r := ParseRepo("org/model")
	c := quietClient()
	want, err := c.File(ctx, r, "config.json")
	if err != nil {
		t.Fatal(err)
	}
	snap, err := c.Snapshot(ctx, r, "*.json")
	if err != nil {
		t.Fatal(err)
	}
	h.srv.Close() // connection refused from now on

	got, err := c.File(ctx, r, "config.json")
	if err != nil || got != want {
		t.Fatalf("fallback: %q, %v", got, err)
	}
	if dir, err := c.Snapshot(ctx, r); err != nil || dir != snap {
		t.Fatalf("snapshot fallback: %q, %v", dir, err)
	}
	_, err = c.File(ctx, r, "sub/dir/weights.bin")
	if !errors.Is(err, ErrNetwork) || !strings.Contains(err.Error(), "cannot reach 127.0.0.1:") ||
		!strings.Contains(err.Error(), "no cached copy") {
		t.Fatalf("uncached file with the hub down: %v", err)
	}
}

func TestUnauthorizedAndNotFoundMessages(t *testing.T) {
	h := modelHub(t)
	isolate(t, h)
	ctx := context.Background()
	c := quietClient()

	_, err := c.File(ctx, ParseRepo("org/model"), "foo.json")
	if !errors.Is(err, ErrNotFound) || err.Error() != "hub: org/model: foo.json: 404 not found at revision main" {
		t.Fatalf("404: %v", err)
	}
	// huggingface_hub remembers the miss so that offline code can tell
	// "absent" from "not downloaded".
	store := filepath.Join(c.CacheDir, "models--org--model")
	if _, err := os.Stat(filepath.Join(store, ".no_exist", commitA, "foo.json")); err != nil {
		t.Errorf("no .no_exist marker: %v", err)
	}
	h.resetLog()
	if _, err := c.File(ctx, Repo{ID: "org/model", Revision: commitA}, "foo.json"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("remembered 404: %v", err)
	}
	if n := h.count(""); n != 0 {
		t.Errorf("a remembered 404 at a commit made %d requests", n)
	}

	_, err = c.File(ctx, ParseRepo("org/model@v9"), "config.json")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "revision v9 does not exist") {
		t.Fatalf("bad revision: %v", err)
	}

	h.set(func(h *fakeHub) { h.token = "secret" })
	_, err = c.File(ctx, ParseRepo("org/model"), "config.json")
	want := "hub: org/model: config.json: 401 Unauthorized — the repo is gated or private; set HF_TOKEN (hub: Access to model org/model is restricted.)"
	if !errors.Is(err, ErrUnauthorized) || !strings.HasPrefix(err.Error(), want+" (and no cached copy in "+store) {
		t.Fatalf("401:\n got %v\nwant %s", err, want)
	}
	c.Token = "wrong"
	if _, err := c.File(ctx, ParseRepo("org/model"), "config.json"); !strings.Contains(err.Error(), "HF_TOKEN was refused") {
		t.Fatalf("401 with a token: %v", err)
	}
	_, _, err = c.ListFiles(ctx, ParseRepo("org/nope"))
	if !errors.Is(err, ErrNotFound) || !strings.HasPrefix(err.Error(), "hub: org/nope: 404 Not Found — the repo does not exist") {
		t.Fatalf("listing a missing repo: %v", err)
	}
}

func TestTokenSentToHubOnly(t *testing.T) {
	h := newFakeHub(t, true)
	h.addRepo(Model, "org/gated", commitA, map[string]string{"config.json": "{}", "w.bin": weights}, "w.bin")
	isolate(t, h)
	t.Setenv("HF_TOKEN", "secret")
	h.set(func(h *fakeHub) { h.token = "secret" })
	c := quietClient()
	if _, err := c.Snapshot(context.Background(), ParseRepo("org/gated")); err != nil {
		t.Fatal(err)
	}
	var cdn int
	for _, q := range h.requests() {
		onCDN := strings.HasPrefix(q.Path, "/cdn/")
		switch {
		case onCDN && q.Auth != "":
			t.Errorf("token leaked to the CDN host: %+v", q)
		case !onCDN && q.Auth != "Bearer secret":
			t.Errorf("hub request without the token: %+v", q)
		}
		if onCDN {
			cdn++
		}
	}
	if cdn != 1 {
		t.Errorf("CDN requests = %d, want 1", cdn)
	}
}

func TestTokenFromLoginFile(t *testing.T) {
	isolate(t, nil)
	if err := os.WriteFile(filepath.Join(os.Getenv("HF_HOME"), "token"), []byte("hf_file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := NewClient().Token; got != "hf_file" {
		t.Fatalf("token from $HF_HOME/token = %q", got)
	}
	t.Setenv("HF_TOKEN", "hf_env")
	if got := NewClient().Token; got != "hf_env" {
		t.Fatalf("HF_TOKEN must win over the file, got %q", got)
	}
}

func TestResumeAfterConnectionCut(t *testing.T) {
	h := modelHub(t)
	isolate(t, h)
	c := quietClient()
	h.set(func(h *fakeHub) { h.cutAt = 5000 })
	p, err := c.File(context.Background(), ParseRepo("org/model"), "sub/dir/weights.bin")
	if err != nil {
		t.Fatal(err)
	}
	if readFile(t, p) != weights {
		t.Fatal("resumed file differs")
	}
	var ranges []string
	for _, q := range h.requests() {
		if q.Method == "GET" {
			ranges = append(ranges, q.Range)
		}
	}
	if len(ranges) != 2 || ranges[0] != "" || ranges[1] != "bytes=5000-" {
		t.Fatalf("GET Range headers = %q, want [\"\" \"bytes=5000-\"]", ranges)
	}
}

func TestStalledDownloadIsDroppedAndResumed(t *testing.T) {
	h := modelHub(t)
	isolate(t, h)
	c := quietClient()
	c.Timeout = 100 * time.Millisecond
	h.set(func(h *fakeHub) { h.stallAt = 3000 })
	p, err := c.File(context.Background(), ParseRepo("org/model"), "sub/dir/weights.bin")
	if err != nil {
		t.Fatal(err)
	}
	if readFile(t, p) != weights {
		t.Fatal("wrong content after a stall")
	}
	gets := 0
	for _, q := range h.requests() {
		if q.Method == "GET" {
			gets++
			if gets == 2 && q.Range != "bytes=3000-" {
				t.Errorf("second GET Range = %q, want bytes=3000-", q.Range)
			}
		}
	}
	if gets != 2 {
		t.Errorf("%d GETs, want 2", gets)
	}
}

func TestHubTimeoutFallsBackToCache(t *testing.T) {
	h := modelHub(t)
	isolate(t, h)
	c := quietClient()
	c.Timeout = 100 * time.Millisecond
	want, err := c.File(context.Background(), ParseRepo("org/model"), "config.json")
	if err != nil {
		t.Fatal(err)
	}
	h.set(func(h *fakeHub) { h.hang = true })
	if got, err := c.File(context.Background(), ParseRepo("org/model"), "config.json"); err != nil || got != want {
		t.Fatalf("timeout fallback: %q, %v", got, err)
	}
}

func TestResumeLeftoverFromEarlierRun(t *testing.T) {
	for _, ignoreRange := range []bool{false, true} {
		h := modelHub(t)
		cache := isolate(t, h)
		h.set(func(h *fakeHub) { h.noRng = ignoreRange })
		blob := filepath.Join(cache, "models--org--model", "blobs", sha256Hex([]byte(weights)))
		if err := os.MkdirAll(filepath.Dir(blob), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(blob+".incomplete", []byte(weights[:1234]), 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := quietClient().File(context.Background(), ParseRepo("org/model"), "sub/dir/weights.bin")
		if err != nil {
			t.Fatal(err)
		}
		if readFile(t, p) != weights {
			t.Fatalf("ignoreRange=%v: wrong content", ignoreRange)
		}
		var gets []fakeReq
		for _, q := range h.requests() {
			if q.Method == "GET" {
				gets = append(gets, q)
			}
		}
		if len(gets) != 1 || gets[0].Range != "bytes=1234-" {
			t.Fatalf("ignoreRange=%v: GETs %+v, want one with Range bytes=1234-", ignoreRange, gets)
		}
	}
}

func TestCorruptDownloadLeavesNoEntry(t *testing.T) {
	h := modelHub(t)
	cache := isolate(t, h)
	h.set(func(h *fakeHub) { h.broken = true })
	_, err := quietClient().File(context.Background(), ParseRepo("org/model"), "sub/dir/weights.bin")
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "sha256 mismatch") ||
		!strings.HasPrefix(err.Error(), "hub: org/model: sub/dir/weights.bin: ") {
		t.Fatalf("corrupt payload: %v", err)
	}
	store := filepath.Join(cache, "models--org--model")
	blobs, _ := os.ReadDir(filepath.Join(store, "blobs"))
	if len(blobs) != 0 {
		t.Errorf("blobs left behind: %v", blobs)
	}
	if _, err := os.Lstat(filepath.Join(store, "snapshots", commitA, "sub", "dir", "weights.bin")); !os.IsNotExist(err) {
		t.Errorf("snapshot entry exists for a corrupt download: %v", err)
	}
}

func TestDatasetSnapshotWithPatterns(t *testing.T) {
	h := newFakeHub(t, false)
	h.addRepo(Dataset, "org/data", commitB, map[string]string{
		"README.md":                   "# data",
		"plain_text/train.parquet":    "TRAIN",
		"plain_text/test.parquet":     "TEST",
		"plain_text/extra/notes.json": "{}",
	}, "plain_text/train.parquet")
	h.repos["dataset/org/data"].refs["refs/convert/parquet"] = true
	cache := isolate(t, h)
	c := quietClient()
	r := ParseRepo("datasets/org/data@refs/convert/parquet")
	if r.Type != Dataset || r.ID != "org/data" || r.Revision != "refs/convert/parquet" {
		t.Fatalf("ParseRepo: %+v", r)
	}
	dir, err := c.Snapshot(context.Background(), r, "*.parquet")
	if err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(cache, "datasets--org--data")
	if dir != filepath.Join(store, "snapshots", commitB) {
		t.Fatalf("snapshot dir %s", dir)
	}
	if got := readFile(t, filepath.Join(dir, "plain_text", "train.parquet")); got != "TRAIN" {
		t.Errorf("train.parquet = %q", got)
	}
	for _, absent := range []string{"README.md", "plain_text/extra/notes.json"} {
		if _, err := os.Lstat(filepath.Join(dir, absent)); !os.IsNotExist(err) {
			t.Errorf("%s fetched though no pattern matches it", absent)
		}
	}
	if got := readFile(t, filepath.Join(store, "refs", "refs", "convert", "parquet")); got != commitB {
		t.Errorf("refs/refs/convert/parquet = %q", got)
	}
	paths := map[string]bool{}
	for _, q := range h.requests() {
		paths[q.Method+" "+q.Path] = true
	}
	for _, want := range []string{
		"GET /api/datasets/org/data/revision/refs%2Fconvert%2Fparquet",
		"HEAD /datasets/org/data/resolve/" + commitB + "/plain_text/test.parquet",
		"HEAD /datasets/org/data/resolve/" + commitB + "/plain_text/train.parquet",
	} {
		if !paths[want] {
			t.Errorf("missing request %q in %v", want, paths)
		}
	}
	// A dataset file by branch name uses the escaped revision in the URL.
	if _, err := c.File(context.Background(), r, "plain_text/extra/notes.json"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(pathsOf(h), " "), "/datasets/org/data/resolve/refs%2Fconvert%2Fparquet/plain_text/extra/notes.json") {
		t.Errorf("revision not escaped: %v", pathsOf(h))
	}
}

func pathsOf(h *fakeHub) []string {
	var out []string
	for _, q := range h.requests() {
		out = append(out, q.Path)
	}
	return out
}

func TestResolve(t *testing.T) {
	h := modelHub(t)
	cache := isolate(t, h)
	ctx := context.Background()
	c := quietClient()

	local := t.TempDir()
	if err := os.WriteFile(filepath.Join(local, "config.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if dir, err := Resolve(ctx, c, local, "config.json", Optional("tokenizer.json")); err != nil || dir != local {
		t.Fatalf("local dir: %q, %v", dir, err)
	}
	if _, err := Resolve(ctx, c, local, "model.safetensors"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("local dir lacking a file: %v", err)
	}
	if _, err := Resolve(ctx, c, "./no/such/dir", "config.json"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "no such directory") {
		t.Fatalf("missing local dir: %v", err)
	}
	if n := h.count(""); n != 0 {
		t.Fatalf("local resolution made %d requests", n)
	}

	files := []string{"config.json", "sub/dir/weights.bin", "?tokenizer_config.json"}
	dir, err := Resolve(ctx, c, "org/model", files...)
	if err != nil {
		t.Fatal(err)
	}
	if dir != filepath.Join(cache, "models--org--model", "snapshots", commitA) {
		t.Fatalf("dir %s", dir)
	}
	if readFile(t, filepath.Join(dir, "sub", "dir", "weights.bin")) != weights {
		t.Fatal("weights not in the resolved dir")
	}
	// Again: one HEAD to check main, then everything (even the known-absent
	// optional file) comes from the cache at that commit.
	h.resetLog()
	if again, err := Resolve(ctx, c, "org/model", files...); err != nil || again != dir {
		t.Fatalf("second resolve: %q, %v", again, err)
	}
	if n := h.count(""); n != 1 {
		t.Errorf("second resolve made %d requests, want 1: %+v", n, h.requests())
	}
	if _, err := Resolve(ctx, c, "org/model", "config.json", "missing.json"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("required missing file: %v", err)
	}
	if _, err := Resolve(ctx, c, "org/nope", "?config.json"); err == nil {
		t.Fatal("a missing repo must not pass as an absent optional file")
	}
}

func TestConcurrentDownloadsShareOneBlob(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no flock on windows")
	}
	h := modelHub(t)
	isolate(t, h)
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() {
			// Separate clients, like separate processes sharing the cache.
			_, errs[i] = quietClient().File(context.Background(), ParseRepo("org/model"), "sub/dir/weights.bin")
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := h.count("GET"); n != 1 {
		t.Fatalf("%d GETs for one blob, want 1", n)
	}
}

func TestRejectsUnsafeNames(t *testing.T) {
	h := modelHub(t)
	isolate(t, h)
	c := quietClient()
	ctx := context.Background()
	for _, tc := range []struct {
		repo, file string
	}{
		{"org/model", "../../../etc/passwd"},
		{"org/model", "/etc/passwd"},
		{"org/model", "a/./b"},
		{"org/model", ""},
		{"../org/model", "config.json"},
		{"org/model@../../x", "config.json"},
		{"org--x/model", "config.json"},
		{"a/b/c", "config.json"},
		{"spaces/org/app", "config.json"},
	} {
		_, err := c.File(ctx, ParseRepo(tc.repo), tc.file)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("File(%q, %q) = %v, want ErrInvalid", tc.repo, tc.file, err)
		}
	}
	if n := h.count(""); n != 0 {
		t.Errorf("invalid names made %d requests", n)
	}
}

func TestCacheDirFromEnvironment(t *testing.T) {
	isolate(t, nil)
	home, _ := os.UserHomeDir()
	t.Setenv("HF_HOME", "")
	if got, want := DefaultCacheDir(), filepath.Join(home, ".cache", "huggingface", "hub"); got != want {
		t.Errorf("default: %s, want %s", got, want)
	}
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	if got := DefaultCacheDir(); got != filepath.FromSlash("/xdg/huggingface/hub") {
		t.Errorf("XDG_CACHE_HOME: %s", got)
	}
	t.Setenv("HF_HOME", "/hf")
	if got := DefaultCacheDir(); got != filepath.FromSlash("/hf/hub") {
		t.Errorf("HF_HOME: %s", got)
	}
	t.Setenv("HF_HUB_CACHE", "/cache")
	if got := DefaultCacheDir(); got != "/cache" {
		t.Errorf("HF_HUB_CACHE: %s", got)
	}
	t.Setenv("HF_ENDPOINT", "")
	if got := NewClient().Endpoint; got != "https://huggingface.co" {
		t.Errorf("default endpoint %s", got)
	}
}

func TestParseRepo(t *testing.T) {
	for in, want := range map[string]Repo{
		"org/name":                         {ID: "org/name", Type: Model},
		"distilbert-base-uncased":          {ID: "distilbert-base-uncased", Type: Model},
		"models/org/name@v1":               {ID: "org/name", Type: Model, Revision: "v1"},
		"datasets/org/name":                {ID: "org/name", Type: Dataset},
		"datasets/org/name@refs/pr/1":      {ID: "org/name", Type: Dataset, Revision: "refs/pr/1"},
		"org/name@" + commitA:              {ID: "org/name", Type: Model, Revision: commitA},
		" datasets/stanfordnlp/imdb@main ": {ID: "stanfordnlp/imdb", Type: Dataset, Revision: "main"},
	} {
		if got := ParseRepo(in); got != want {
			t.Errorf("ParseRepo(%q) = %+v, want %+v", in, got, want)
		}
	}
	if s := ParseRepo("datasets/org/name@refs/pr/1").String(); s != "datasets/org/name@refs/pr/1" {
		t.Errorf("String() = %s", s)
	}
}

func TestFnmatchPatterns(t *testing.T) {
	re, err := compilePatterns([]string{"*.json", "onnx/", "tok?n.txt", "[!a]x.bin"})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{
		"config.json":     true,
		"sub/config.json": true, // fnmatch's * crosses "/"
		"onnx/model.onnx": true,
		"token.txt":       true,
		"bx.bin":          true,
		"ax.bin":          false,
		"model.bin":       false,
		"json":            false,
	} {
		if got := re.MatchString(name); got != want {
			t.Errorf("%s: match=%v, want %v", name, got, want)
		}
	}
}
