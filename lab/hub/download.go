package hub

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/go-translab/translab/lab/atomicfile"
	"github.com/go-translab/translab/lab/show"
)

// maxAttempts bounds the automatic resumes of one download; a retry only
// happens after an attempt that received bytes, so a dead server fails fast.
const maxAttempts = 5

// File returns the local path of one file of a repo revision, downloading it
// into the cache if needed. The path is inside snapshots/<commit>/ and, like
// huggingface_hub's, is a symlink into blobs/.
//
// With a 40-hex commit as revision and the file cached, no request is made.
// Otherwise the hub is asked for the file's current etag and commit (one
// HEAD); if the hub cannot be reached, answers 5xx or refuses the token, the
// cached copy for that revision is used when there is one.
func (c *Client) File(ctx context.Context, r Repo, name string) (string, error) {
	p, _, err := c.file(ctx, r, name)
	return p, err
}

// file also returns the commit the file was resolved at (when known, even on
// a 404) so that Resolve can pin the remaining files to the same commit.
func (c *Client) file(ctx context.Context, r Repo, name string) (local, commit string, err error) {
	if r, err = c.normalize(r); err != nil {
		return "", "", err
	}
	if err := c.checkPath(r, name); err != nil {
		return "", "", err
	}
	store := c.storage(r)

	// A commit never changes, so what the cache knows about it is final.
	if commitRe.MatchString(r.Revision) {
		if p, ok := cachedPointer(store, r.Revision, name); ok {
			return p, r.Revision, nil
		}
		if noExist(store, r.Revision, name) {
			return "", r.Revision, c.errorf(r, name, ErrNotFound, nil, "not found at revision %s (remembered in the cache)", r.Revision)
		}
	}
	if c.Offline {
		return c.fromCache(r, name, func(where string) error {
			return c.errorf(r, name, ErrNotCached, nil, "not in the cache (%s) and HF_HUB_OFFLINE is set", where)
		})
	}

	m, err := c.head(ctx, r, name)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			if m.commit != "" {
				markNoExist(store, m.commit, name)
				c.writeRef(store, r.Revision, m.commit)
			}
			return "", m.commit, err
		}
		if ctx.Err() != nil || !canFallBack(err) {
			return "", "", err
		}
		return c.fromCache(r, name, func(where string) error {
			var he *Error
			if errors.As(err, &he) {
				he.Msg += " (and no cached copy in " + where + ")"
			}
			return err
		})
	}
	c.writeRef(store, r.Revision, m.commit)
	if p, ok := cachedPointer(store, m.commit, name); ok {
		return p, m.commit, nil
	}
	blob, err := c.download(ctx, r, name, store, m)
	if err != nil {
		return "", "", err
	}
	p, err := linkPointer(store, m.commit, name, blob)
	if err != nil {
		return "", "", c.errorf(r, name, ErrCache, err, "cannot create the snapshot entry")
	}
	return p, m.commit, nil
}

// canFallBack mirrors huggingface_hub: when the hub is unreachable, broken,
// or rejects the token, a file cached earlier is still the right answer; a
// 404 or a corrupt download is not something the cache can paper over.
func canFallBack(err error) bool {
	return errors.Is(err, ErrNetwork) || errors.Is(err, ErrUnauthorized) || errors.Is(err, errServer)
}

// fromCache resolves a file through refs/<revision> to its snapshot, the
// way huggingface_hub's try_to_load_from_cache does.
func (c *Client) fromCache(r Repo, name string, missing func(where string) error) (string, string, error) {
	store := c.storage(r)
	commit := r.Revision
	if !commitRe.MatchString(commit) {
		b, err := os.ReadFile(filepath.Join(store, "refs", filepath.FromSlash(r.Revision)))
		if err != nil {
			return "", "", missing(store)
		}
		commit = strings.TrimSpace(string(b))
		if !commitRe.MatchString(commit) {
			return "", "", missing(store)
		}
	}
	if p, ok := cachedPointer(store, commit, name); ok {
		return p, commit, nil
	}
	if noExist(store, commit, name) {
		return "", commit, c.errorf(r, name, ErrNotFound, nil, "not found at revision %s (remembered in the cache)", r.Revision)
	}
	return "", "", missing(filepath.Join(store, "snapshots", commit))
}

func cachedPointer(store, commit, name string) (string, bool) {
	p := filepath.Join(store, "snapshots", commit, filepath.FromSlash(name))
	st, err := os.Stat(p) // follows the symlink: a dangling one is not a hit
	return p, err == nil && st.Mode().IsRegular()
}

func noExist(store, commit, name string) bool {
	_, err := os.Stat(filepath.Join(store, ".no_exist", commit, filepath.FromSlash(name)))
	return err == nil
}

// markNoExist is best effort: it only saves a request next time.
func markNoExist(store, commit, name string) {
	p := filepath.Join(store, ".no_exist", commit, filepath.FromSlash(name))
	if os.MkdirAll(filepath.Dir(p), 0o755) == nil {
		if f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			f.Close()
		}
	}
}

// writeRef records which commit a branch or tag resolved to, so offline runs
// find the snapshot. It is best effort: a failure costs only offline use.
func (c *Client) writeRef(store, revision, commit string) {
	if revision == commit {
		return
	}
	p := filepath.Join(store, "refs", filepath.FromSlash(revision))
	if b, err := os.ReadFile(p); err == nil && strings.TrimSpace(string(b)) == commit {
		return
	}
	_ = writeAtomic(p, []byte(commit))
}

func writeAtomic(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(p, data)
}

func randSuffix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// linkPointer makes snapshots/<commit>/<name> point at the blob with a
// relative symlink, so the cache can be moved or mounted elsewhere as a
// whole. Where symlinks are not allowed (Windows without developer mode) it
// copies, as huggingface_hub does.
func linkPointer(store, commit, name, blob string) (string, error) {
	p := filepath.Join(store, "snapshots", commit, filepath.FromSlash(name))
	if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
		return p, nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", err
	}
	rel, err := filepath.Rel(filepath.Dir(p), blob)
	if err != nil {
		return "", err
	}
	tmp := p + ".tmp-" + randSuffix()
	if err := os.Symlink(rel, tmp); err != nil {
		if err := copyFile(blob, tmp); err != nil {
			os.Remove(tmp)
			return "", err
		}
	}
	// Rename replaces only a dangling pointer: a live one returned above.
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		return "", err
	}
	return p, nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// meta is what a HEAD on resolve/ tells about a file.
type meta struct {
	commit   string
	etag     string
	size     int64  // -1 when the hub did not say
	location string // where to GET the bytes (the CDN for LFS files)
	resolve  string // the resolve URL, whose host may receive the token
}

func (c *Client) resolveURL(r Repo, name string) string {
	return c.urlPrefix(r) + "/resolve/" + url.PathEscape(r.Revision) + "/" + escapePath(name)
}

func (c *Client) newRequest(ctx context.Context, method, u string, withToken bool) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "translab-hub/1 ("+runtime.Version()+")")
	// identity keeps Content-Length, ETag sizes and Range offsets about the
	// stored bytes rather than a gzip stream.
	req.Header.Set("Accept-Encoding", "identity")
	if withToken && c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	return req, nil
}

// head asks for a file's metadata. Like huggingface_hub it follows relative
// redirects (renamed repos) but stops at an absolute one (the CDN): the
// metadata is on that redirect response, and the download goes there later.
func (c *Client) head(ctx context.Context, r Repo, name string) (meta, error) {
	m := meta{size: -1, resolve: c.resolveURL(r, name)}
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	hc := *c.httpClient()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	u := m.resolve
	var resp *http.Response
	for hops := 0; ; hops++ {
		req, err := c.newRequest(ctx, http.MethodHead, u, true)
		if err != nil {
			return m, c.errorf(r, name, ErrInvalid, err, "bad endpoint %q", c.endpoint())
		}
		resp, err = hc.Do(req)
		if err != nil {
			return m, c.networkError(r, name, err)
		}
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if resp.StatusCode < 300 || resp.StatusCode > 399 || loc == "" {
			break
		}
		lu, err := url.Parse(loc)
		if err != nil {
			return m, c.errorf(r, name, errServer, err, "bad redirect %q", loc)
		}
		next := resp.Request.URL.ResolveReference(lu)
		if lu.Host != "" || hops >= 10 {
			m.location = next.String()
			break
		}
		u = next.String()
	}
	m.commit = resp.Header.Get("X-Repo-Commit")
	if m.commit != "" && !commitRe.MatchString(m.commit) {
		m.commit = ""
	}
	if resp.StatusCode >= 400 {
		return m, c.statusError(r, name, resp)
	}
	if m.location == "" {
		m.location = resp.Request.URL.String()
	}
	if m.commit == "" {
		return m, c.errorf(r, name, errServer, nil, "%s did not answer with a commit (X-Repo-Commit): is HF_ENDPOINT a Hugging Face hub?", c.endpoint())
	}
	etag := resp.Header.Get("X-Linked-Etag")
	if etag == "" {
		etag = resp.Header.Get("ETag")
	}
	m.etag = strings.Trim(strings.TrimPrefix(etag, "W/"), `"`)
	if !safeEtag.MatchString(m.etag) || m.etag == "." || m.etag == ".." {
		return m, c.errorf(r, name, errServer, nil, "the hub answered without a usable ETag (%q)", etag)
	}
	size := resp.Header.Get("X-Linked-Size")
	if size == "" {
		size = resp.Header.Get("Content-Length")
	}
	if n, err := strconv.ParseInt(size, 10, 64); err == nil && n >= 0 {
		m.size = n
	}
	return m, nil
}

func (c *Client) networkError(r Repo, name string, err error) error {
	host := c.endpoint()
	if u, perr := url.Parse(host); perr == nil && u.Host != "" {
		host = u.Host
	}
	return c.errorf(r, name, ErrNetwork, err, "cannot reach %s", host)
}

// statusError turns an HTTP failure into a message that says what to do.
func (c *Client) statusError(r Repo, name string, resp *http.Response) error {
	code := resp.Header.Get("X-Error-Code")
	status := fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	var kind error
	var msg string
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		kind = ErrUnauthorized
		if c.Token == "" {
			msg = status + " — the repo is gated or private; set HF_TOKEN"
		} else {
			msg = status + " — HF_TOKEN was refused: the repo is gated (accept its terms on the hub page) or private, or the token is invalid"
		}
		if code == "RepoNotFound" {
			msg += " (or the repo does not exist)"
		}
	case resp.StatusCode == http.StatusNotFound:
		kind = ErrNotFound
		switch code {
		case "RepoNotFound":
			msg = status + " — the repo does not exist"
		case "RevisionNotFound":
			msg = fmt.Sprintf("%s — revision %s does not exist", status, r.Revision)
		default:
			msg = fmt.Sprintf("404 not found at revision %s", r.Revision)
		}
	case resp.StatusCode == http.StatusTooManyRequests:
		kind, msg = ErrNetwork, status+" — rate limited by the hub; retry later (a token raises the limit)"
	case resp.StatusCode >= 500:
		kind, msg = ErrNetwork, status+" — the hub is having trouble; retry later"
	default:
		kind, msg = errServer, status
	}
	if hm := resp.Header.Get("X-Error-Message"); hm != "" {
		msg += " (hub: " + hm + ")"
	}
	return c.errorf(r, name, kind, nil, "%s", msg)
}

// download fetches a blob into blobs/<etag> under a lock shared with
// huggingface_hub's, writing to <etag>.incomplete so a crash or a cut
// connection leaves something to resume and never a truncated blob.
func (c *Client) download(ctx context.Context, r Repo, name, store string, m meta) (string, error) {
	blobs := filepath.Join(store, "blobs")
	blob := filepath.Join(blobs, m.etag)
	if st, err := os.Stat(blob); err == nil && st.Mode().IsRegular() {
		return blob, nil
	}
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		return "", c.errorf(r, name, ErrCache, err, "cannot create the cache folder")
	}
	unlock, err := lockFile(ctx, filepath.Join(c.cacheDir(), ".locks", repoFolder(r), m.etag+".lock"))
	if err != nil {
		if ctx.Err() != nil {
			return "", c.errorf(r, name, ErrNetwork, ctx.Err(), "gave up waiting for another download of this file")
		}
		return "", c.errorf(r, name, ErrCache, err, "cannot lock the cache")
	}
	defer unlock()
	if st, err := os.Stat(blob); err == nil && st.Mode().IsRegular() {
		return blob, nil // another process finished it while we waited
	}

	tmp := blob + ".incomplete"
	prog := show.NewProgress(c.Progress, name, m.size, "B")
	defer prog.Done()
	for fresh := false; ; fresh = true {
		resumed, err := c.fetchBlob(ctx, r, name, m, tmp, prog)
		if err != nil {
			return "", err
		}
		verr := verify(tmp, m)
		if verr == nil {
			break
		}
		os.Remove(tmp)
		if resumed && !fresh {
			// The kept part may come from an earlier, broken attempt: one
			// clean download settles whether the hub's bytes are bad.
			continue
		}
		return "", c.errorf(r, name, ErrCorrupt, nil, "%v; the download was discarded, run again to retry", verr)
	}
	if err := os.Rename(tmp, blob); err != nil {
		return "", c.errorf(r, name, ErrCache, err, "cannot move the download into the cache")
	}
	return blob, nil
}

// fetchBlob gets the whole file into tmp, resuming what a previous attempt
// or run left there.
func (c *Client) fetchBlob(ctx context.Context, r Repo, name string, m meta, tmp string, prog *show.Progress) (resumed bool, err error) {
	for attempt := 1; ; attempt++ {
		var have int64
		if st, err := os.Stat(tmp); err == nil {
			have = st.Size()
		}
		if m.size >= 0 && have > m.size {
			os.Remove(tmp) // not a prefix of this file: start over
			have = 0
		}
		resumed = resumed || have > 0
		if m.size >= 0 && have == m.size && have > 0 {
			return resumed, nil // finished before a crash, never renamed
		}
		got, err := c.get(ctx, r, name, m, tmp, have, prog)
		if err == nil {
			return resumed, nil
		}
		if ctx.Err() == nil && attempt < maxAttempts && (got > 0 || errors.Is(err, errRestart)) {
			continue
		}
		if errors.Is(err, errRestart) {
			return resumed, c.errorf(r, name, errServer, nil, "the server keeps refusing the resume request")
		}
		var he *Error
		if errors.As(err, &he) {
			if st, serr := os.Stat(tmp); serr == nil && st.Size() > 0 {
				he.Msg += fmt.Sprintf(" (kept %d bytes; run again to resume)", st.Size())
			}
		}
		return resumed, err
	}
}

var errRestart = errors.New("restart the download from the beginning")

// get makes one GET from offset on and appends to tmp; it reports how many
// bytes it added so the caller only retries attempts that made progress.
func (c *Client) get(ctx context.Context, r Repo, name string, m meta, tmp string, offset int64, prog *show.Progress) (int64, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// A stalled connection must fail rather than hang: the timer is pushed
	// back on every chunk received.
	errStalled := fmt.Errorf("no data received for %s", c.timeout())
	stall := time.AfterFunc(c.timeout(), func() { cancel(errStalled) })
	defer stall.Stop()

	req, err := c.newRequest(ctx, http.MethodGet, m.location, sameHost(m.location, m.resolve))
	if err != nil {
		return 0, c.errorf(r, name, errServer, err, "bad download URL %q", m.location)
	}
	if offset > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", offset))
	}
	hc := *c.httpClient()
	hc.CheckRedirect = stripTokenOffHost
	resp, err := hc.Do(req)
	if err != nil {
		if context.Cause(ctx) == errStalled {
			err = errStalled
		}
		return 0, c.networkError(r, name, err)
	}
	defer resp.Body.Close()

	flags := os.O_CREATE | os.O_WRONLY | os.O_APPEND
	switch {
	case resp.StatusCode == http.StatusPartialContent && offset > 0:
		if start, ok := rangeStart(resp.Header.Get("Content-Range")); !ok || start != offset {
			os.Remove(tmp)
			return 0, errRestart
		}
	case resp.StatusCode == http.StatusOK:
		flags |= os.O_TRUNC // a server that ignores Range sends it all again
		offset = 0
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		os.Remove(tmp)
		return 0, errRestart
	default:
		return 0, c.statusError(r, name, resp)
	}
	f, err := os.OpenFile(tmp, flags, 0o644)
	if err != nil {
		return 0, c.errorf(r, name, ErrCache, err, "cannot write to the cache")
	}
	prog.Set(offset)
	n, err := io.Copy(f, &watchedReader{r: resp.Body, stall: stall, d: c.timeout(), prog: prog})
	if cerr := f.Close(); err == nil && cerr != nil {
		return n, c.errorf(r, name, ErrCache, cerr, "cannot write to the cache")
	}
	if err != nil {
		if context.Cause(ctx) == errStalled {
			err = errStalled
		}
		return n, c.networkError(r, name, fmt.Errorf("connection lost after %d bytes: %w", offset+n, err))
	}
	return n, nil
}

type watchedReader struct {
	r     io.Reader
	stall *time.Timer
	d     time.Duration
	prog  *show.Progress
}

func (w *watchedReader) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if n > 0 {
		w.stall.Reset(w.d)
		w.prog.Add(int64(n))
	}
	return n, err
}

func rangeStart(cr string) (int64, bool) {
	rest, ok := strings.CutPrefix(cr, "bytes ")
	if !ok {
		return 0, false
	}
	start, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(start, 10, 64)
	return n, err == nil
}

func sameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Scheme == ub.Scheme && strings.EqualFold(ua.Host, ub.Host)
}

// verify checks the finished file against what the hub promised: its size,
// and for LFS files (whose etag is the sha256) its content.
func verify(tmp string, m meta) error {
	f, err := os.Open(tmp)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return err
	}
	if m.size >= 0 && n != m.size {
		return fmt.Errorf("size mismatch: got %d bytes, the hub said %d", n, m.size)
	}
	if sha256Re.MatchString(m.etag) {
		if got := hex.EncodeToString(h.Sum(nil)); got != m.etag {
			return fmt.Errorf("sha256 mismatch: got %s, want %s", got, m.etag)
		}
	}
	return nil
}
