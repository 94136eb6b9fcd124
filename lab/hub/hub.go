// Package hub downloads files of Hugging Face model and dataset repos into
// the same cache layout that Python's huggingface_hub uses, so a Go program
// and a Python notebook on the same machine share one cache and never
// download a model twice.
//
// The layout, under the cache directory:
//
//	models--org--name/
//	    blobs/<etag>                      file contents, named by etag (sha256 for LFS files)
//	    refs/<revision>                   commit hash a branch or tag pointed to
//	    snapshots/<commit>/<path>         relative symlink to ../../blobs/<etag>
//	    .no_exist/<commit>/<path>         empty marker: the file is absent at that commit
//	.locks/models--org--name/<etag>.lock  serialises downloads of one blob across processes
//
// The environment is read as huggingface_hub reads it: HF_HUB_CACHE, HF_HOME,
// XDG_CACHE_HOME, HF_TOKEN (or the token file written by `huggingface-cli
// login`), HF_ENDPOINT and HF_HUB_OFFLINE.
package hub

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// RepoType says which kind of repo an ID names; the hub keeps models and
// datasets in separate namespaces.
type RepoType string

const (
	Model   RepoType = "model"
	Dataset RepoType = "dataset"
)

// Repo names a revision of a repo on the hub.
type Repo struct {
	ID       string   // "org/name", or a legacy un-namespaced "name"
	Type     RepoType // "" means Model
	Revision string   // branch, tag or 40-hex commit; "" means "main"
}

// ParseRepo reads the forms people type on a command line: "org/name",
// "datasets/org/name", "models/org/name", each optionally followed by
// "@revision" (which may itself contain slashes, e.g.
// "datasets/org/name@refs/convert/parquet"). It does not validate; the
// Client methods do, and report bad IDs as errors.
func ParseRepo(s string) Repo {
	var r Repo
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '@'); i >= 0 {
		s, r.Revision = s[:i], s[i+1:]
	}
	switch {
	case strings.HasPrefix(s, "datasets/"):
		r.Type, s = Dataset, strings.TrimPrefix(s, "datasets/")
	case strings.HasPrefix(s, "models/"):
		r.Type, s = Model, strings.TrimPrefix(s, "models/")
	default:
		r.Type = Model
	}
	r.ID = s
	return r
}

// String gives back the form ParseRepo reads.
func (r Repo) String() string {
	s := r.ID
	if r.Type == Dataset {
		s = "datasets/" + s
	}
	if r.Revision != "" && r.Revision != "main" {
		s += "@" + r.Revision
	}
	return s
}

// Client talks to the hub and keeps the cache. The zero value works: empty
// fields take built-in defaults (the public hub, DefaultCacheDir, no token,
// no progress output). NewClient fills them from the environment instead.
type Client struct {
	Endpoint string // e.g. "https://huggingface.co"
	Token    string // sent as "Authorization: Bearer"; never to another host
	CacheDir string // the hub cache, shared with Python
	Offline  bool   // make no request at all; serve only from the cache
	// Progress receives a progress bar per download; nil keeps quiet.
	Progress io.Writer
	// HTTP does the requests; nil uses a client with sane timeouts.
	HTTP *http.Client
	// Timeout bounds metadata requests and how long a download may stall
	// without receiving a byte; 0 means 10 s, huggingface_hub's default.
	Timeout time.Duration
}

const defaultEndpoint = "https://huggingface.co"

// NewClient configures a Client from the environment the way huggingface_hub
// does, with progress bars on stderr.
func NewClient() *Client {
	c := &Client{
		Endpoint: strings.TrimRight(os.Getenv("HF_ENDPOINT"), "/"),
		Token:    envToken(),
		CacheDir: DefaultCacheDir(),
		Offline:  isTrue(os.Getenv("HF_HUB_OFFLINE")),
		Progress: os.Stderr,
	}
	if c.Endpoint == "" {
		c.Endpoint = defaultEndpoint
	}
	return c
}

// DefaultCacheDir is where huggingface_hub keeps its cache:
// HF_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub,
// else ~/.cache/huggingface/hub.
func DefaultCacheDir() string {
	if d := os.Getenv("HF_HUB_CACHE"); d != "" {
		return expandHome(d)
	}
	if d := os.Getenv("HUGGINGFACE_HUB_CACHE"); d != "" { // older name, still honoured by Python
		return expandHome(d)
	}
	return filepath.Join(hfHome(), "hub")
}

func hfHome() string {
	if d := os.Getenv("HF_HOME"); d != "" {
		return expandHome(d)
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(expandHome(d), "huggingface")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = "." // no home (some containers): a relative cache beats failing
	}
	return filepath.Join(home, ".cache", "huggingface")
}

func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[1:])
		}
	}
	return p
}

// envToken follows huggingface_hub: the environment first, then the file
// `huggingface-cli login` writes, so a user logged in from Python is logged
// in here too.
func envToken() string {
	for _, k := range []string{"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"} {
		if t := strings.TrimSpace(os.Getenv(k)); t != "" {
			return t
		}
	}
	p := os.Getenv("HF_TOKEN_PATH")
	if p == "" {
		p = filepath.Join(hfHome(), "token")
	}
	b, err := os.ReadFile(expandHome(p))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func isTrue(v string) bool {
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "1", "ON", "YES", "TRUE":
		return true
	}
	return false
}

// Sentinels to test errors against with errors.Is.
var (
	ErrNotFound     = errors.New("not found")           // 404: file, revision or repo
	ErrUnauthorized = errors.New("unauthorized")        // 401/403: gated, private, or bad token
	ErrNotCached    = errors.New("not in the cache")    // offline or unreachable, and no cached copy
	ErrCorrupt      = errors.New("corrupt download")    // size or sha256 does not match the hub's
	ErrInvalid      = errors.New("invalid name")        // a repo ID, revision or path we refuse to use
	ErrNetwork      = errors.New("hub is unreachable")  // connection, DNS, timeout, 5xx
	ErrCache        = errors.New("cache error")         // the cache directory cannot be written
	errServer       = errors.New("unexpected response") // anything else the hub answered
)

// Error is what every failure of this package looks like: it names the repo
// and file, says what went wrong, and wraps a sentinel plus the cause.
type Error struct {
	Repo  Repo
	File  string // "" for repo-level operations
	Kind  error  // one of the Err* sentinels
	Msg   string
	Cause error // underlying error, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("hub: ")
	b.WriteString(e.Repo.String())
	if e.File != "" {
		b.WriteString(": ")
		b.WriteString(e.File)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Cause != nil {
		b.WriteString(": ")
		b.WriteString(e.Cause.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Cause}
}

func (c *Client) errorf(r Repo, file string, kind, cause error, format string, args ...any) error {
	return &Error{Repo: r, File: file, Kind: kind, Msg: fmt.Sprintf(format, args...), Cause: cause}
}

var (
	// huggingface_hub's validate_repo_id, which also forbids "--" and ".."
	// since they would make cache folder names ambiguous.
	repoIDRe  = regexp.MustCompile(`^([A-Za-z0-9_.\-]+/)?[A-Za-z0-9_.\-]+$`)
	commitRe  = regexp.MustCompile(`^[0-9a-f]{40}$`)
	sha256Re  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	safeEtag  = regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,200}$`)
	badRevSeg = map[string]bool{"": true, ".": true, "..": true}
)

// normalize fills defaults and rejects names that could escape the cache
// folder or that the hub itself would refuse.
func (c *Client) normalize(r Repo) (Repo, error) {
	if r.Type == "" {
		r.Type = Model
	}
	if r.Revision == "" {
		r.Revision = "main"
	}
	if r.Type != Model && r.Type != Dataset {
		return r, c.errorf(r, "", ErrInvalid, nil, "repo type %q is not supported (use %q or %q)", r.Type, Model, Dataset)
	}
	if !repoIDRe.MatchString(r.ID) || strings.Contains(r.ID, "--") || strings.Contains(r.ID, "..") ||
		strings.HasPrefix(r.ID, "-") || strings.HasPrefix(r.ID, ".") || len(r.ID) > 96 {
		return r, c.errorf(r, "", ErrInvalid, nil, "%q is not a valid repo id (want \"org/name\")", r.ID)
	}
	for _, seg := range strings.Split(r.Revision, "/") {
		if badRevSeg[seg] || strings.ContainsAny(seg, "\\\x00") {
			return r, c.errorf(r, "", ErrInvalid, nil, "%q is not a valid revision", r.Revision)
		}
	}
	return r, nil
}

// checkPath refuses repo paths that would land outside the snapshot folder.
func (c *Client) checkPath(r Repo, p string) error {
	if p == "" || path.IsAbs(p) || path.Clean(p) != p || p == "." || p == ".." ||
		strings.HasPrefix(p, "../") || strings.ContainsAny(p, "\\\x00") {
		return c.errorf(r, p, ErrInvalid, nil, "%q is not a valid file path in a repo", p)
	}
	return nil
}

func (c *Client) endpoint() string {
	if c.Endpoint == "" {
		return defaultEndpoint
	}
	return strings.TrimRight(c.Endpoint, "/")
}

func (c *Client) cacheDir() string {
	if c.CacheDir == "" {
		return DefaultCacheDir()
	}
	return c.CacheDir
}

func (c *Client) timeout() time.Duration {
	if c.Timeout <= 0 {
		return 10 * time.Second
	}
	return c.Timeout
}

var defaultHTTP = &http.Client{Transport: func() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = 30 * time.Second
	return t
}()}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return defaultHTTP
}

// repoFolder is huggingface_hub's repo_folder_name.
func repoFolder(r Repo) string {
	return string(r.Type) + "s--" + strings.ReplaceAll(r.ID, "/", "--")
}

func (c *Client) storage(r Repo) string {
	return filepath.Join(c.cacheDir(), repoFolder(r))
}

// urlPrefix is where a repo lives on the hub: datasets have their own
// namespace, models are at the root.
func (c *Client) urlPrefix(r Repo) string {
	if r.Type == Dataset {
		return c.endpoint() + "/datasets/" + r.ID
	}
	return c.endpoint() + "/" + r.ID
}

// escapePath escapes each segment but keeps the slashes, like Python's quote().
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
