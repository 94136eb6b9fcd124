package hub

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// ListFiles asks the hub which commit a revision is at and which files it
// holds. It needs the hub: offline it fails with ErrNotCached.
func (c *Client) ListFiles(ctx context.Context, r Repo) (commit string, files []string, err error) {
	if r, err = c.normalize(r); err != nil {
		return "", nil, err
	}
	if c.Offline {
		return "", nil, c.errorf(r, "", ErrNotCached, nil, "listing files needs the hub and HF_HUB_OFFLINE is set")
	}
	u := c.endpoint() + "/api/" + string(r.Type) + "s/" + r.ID + "/revision/" + url.PathEscape(r.Revision)
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	req, err := c.newRequest(ctx, http.MethodGet, u, true)
	if err != nil {
		return "", nil, c.errorf(r, "", ErrInvalid, err, "bad endpoint %q", c.endpoint())
	}
	hc := *c.httpClient()
	hc.CheckRedirect = stripTokenOffHost
	resp, err := hc.Do(req)
	if err != nil {
		return "", nil, c.networkError(r, "", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", nil, c.statusError(r, "", resp)
	}
	var info struct {
		SHA      string `json:"sha"`
		Siblings []struct {
			RFilename string `json:"rfilename"`
		} `json:"siblings"`
	}
	// The listing of even a huge dataset is a few MB; the cap only stops a
	// misbehaving endpoint from eating memory.
	if err := json.NewDecoder(io.LimitReader(resp.Body, 256<<20)).Decode(&info); err != nil {
		return "", nil, c.errorf(r, "", errServer, err, "cannot read the file listing from %s", u)
	}
	if !commitRe.MatchString(info.SHA) {
		return "", nil, c.errorf(r, "", errServer, nil, "the file listing has no valid commit (sha %q)", info.SHA)
	}
	for _, s := range info.Siblings {
		if err := c.checkPath(r, s.RFilename); err != nil {
			return "", nil, err
		}
		files = append(files, s.RFilename)
	}
	slices.Sort(files)
	return info.SHA, files, nil
}

// stripTokenOffHost keeps the token from following a redirect to another
// host; net/http would forward it to subdomains such as a CDN.
func stripTokenOffHost(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("too many redirects")
	}
	if !sameHost(req.URL.String(), via[0].URL.String()) {
		req.Header.Del("Authorization")
	}
	return nil
}

// Snapshot downloads every file of a revision, or only those matching one of
// the patterns, and returns the snapshots/<commit> directory that holds them.
// Patterns follow huggingface_hub's allow_patterns (Python fnmatch: "*"
// also matches "/", and "dir/" means everything below dir).
//
// When the hub cannot be reached, or HF_HUB_OFFLINE is set, the cached
// snapshot of the revision is returned if there is one; like
// huggingface_hub, it is then not checked for completeness.
func (c *Client) Snapshot(ctx context.Context, r Repo, patterns ...string) (string, error) {
	r, err := c.normalize(r)
	if err != nil {
		return "", err
	}
	match, err := compilePatterns(patterns)
	if err != nil {
		return "", c.errorf(r, "", ErrInvalid, err, "bad pattern")
	}
	if c.Offline {
		return c.cachedSnapshot(r, func(where string) error {
			return c.errorf(r, "", ErrNotCached, nil, "no snapshot in the cache (%s) and HF_HUB_OFFLINE is set", where)
		})
	}
	commit, files, err := c.ListFiles(ctx, r)
	if err != nil {
		if ctx.Err() != nil || !canFallBack(err) {
			return "", err
		}
		return c.cachedSnapshot(r, func(where string) error {
			var he *Error
			if errors.As(err, &he) {
				he.Msg += " (and no cached snapshot in " + where + ")"
			}
			return err
		})
	}
	c.writeRef(c.storage(r), r.Revision, commit)
	pinned := Repo{ID: r.ID, Type: r.Type, Revision: commit}
	for _, f := range files {
		if match != nil && !match.MatchString(f) {
			continue
		}
		if _, err := c.File(ctx, pinned, f); err != nil {
			return "", err
		}
	}
	dir := filepath.Join(c.storage(r), "snapshots", commit)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", c.errorf(r, "", ErrCache, err, "cannot create the snapshot folder")
	}
	return dir, nil
}

func (c *Client) cachedSnapshot(r Repo, missing func(where string) error) (string, error) {
	store := c.storage(r)
	commit := r.Revision
	if !commitRe.MatchString(commit) {
		b, err := os.ReadFile(filepath.Join(store, "refs", filepath.FromSlash(r.Revision)))
		if err != nil {
			return "", missing(store)
		}
		commit = strings.TrimSpace(string(b))
	}
	dir := filepath.Join(store, "snapshots", commit)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() || !commitRe.MatchString(commit) {
		return "", missing(dir)
	}
	return dir, nil
}

// compilePatterns turns fnmatch patterns into one regexp; nil means all.
func compilePatterns(patterns []string) (*regexp.Regexp, error) {
	if len(patterns) == 0 {
		return nil, nil
	}
	alts := make([]string, 0, len(patterns))
	for _, p := range patterns {
		if strings.HasSuffix(p, "/") {
			p += "*"
		}
		alts = append(alts, fnmatchRegexp(p))
	}
	return regexp.Compile(`^(?s:` + strings.Join(alts, "|") + `)$`)
}

// fnmatchRegexp is Python's fnmatch.translate, minus its rarely used corners.
func fnmatchRegexp(p string) string {
	var b strings.Builder
	b.WriteString("(?:")
	for i := 0; i < len(p); i++ {
		switch ch := p[i]; ch {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			j := i + 1
			if j < len(p) && p[j] == '!' {
				j++
			}
			if j < len(p) && p[j] == ']' {
				j++
			}
			for j < len(p) && p[j] != ']' {
				j++
			}
			if j >= len(p) {
				b.WriteString(`\[`) // unclosed: a literal bracket, as in Python
				continue
			}
			class := p[i+1 : j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			} else if strings.HasPrefix(class, "^") {
				class = `\` + class
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i = j
		default:
			b.WriteString(regexp.QuoteMeta(string(ch)))
		}
	}
	b.WriteString(")")
	return b.String()
}

// Optional marks a file for Resolve that a repo may lack, such as
// tokenizer_config.json; it is the same as prefixing the name with "?".
func Optional(name string) string { return "?" + name }

// Resolve turns "a local directory or a hub repo" into a directory, the way
// transformers' from_pretrained does. If pathOrID is an existing directory it
// is returned as is, after checking the required files are there. Otherwise
// pathOrID is read by ParseRepo, the files are fetched (all at the commit the
// first one resolved to, so they always match) and the snapshot directory is
// returned. Names starting with "?" (see Optional) may be missing without
// error. With no files at all, the whole repo is fetched, as by Snapshot.
//
//	dir, err := hub.Resolve(ctx, hub.NewClient(), "distilbert-base-uncased",
//		"config.json", "model.safetensors", hub.Optional("tokenizer_config.json"))
func Resolve(ctx context.Context, c *Client, pathOrID string, files ...string) (string, error) {
	if c == nil {
		c = NewClient()
	}
	if st, err := os.Stat(pathOrID); err == nil {
		if !st.IsDir() {
			return "", &Error{Repo: Repo{ID: pathOrID}, Kind: ErrInvalid, Msg: "is a file; want a directory or a hub repo id"}
		}
		for _, f := range files {
			if strings.HasPrefix(f, "?") {
				continue
			}
			if _, err := os.Stat(filepath.Join(pathOrID, filepath.FromSlash(f))); err != nil {
				return "", &Error{Repo: Repo{ID: pathOrID}, File: f, Kind: ErrNotFound, Msg: "missing from the local directory"}
			}
		}
		return pathOrID, nil
	}
	if looksLocal(pathOrID) {
		return "", &Error{Repo: Repo{ID: pathOrID}, Kind: ErrNotFound, Msg: "no such directory"}
	}
	r, err := c.normalize(ParseRepo(pathOrID))
	if err != nil {
		var he *Error
		if errors.As(err, &he) {
			he.Msg += ", and no such local directory"
		}
		return "", err
	}
	if len(files) == 0 {
		return c.Snapshot(ctx, r)
	}
	var commit string
	for _, f := range files {
		name, optional := strings.CutPrefix(f, "?")
		pinned := r
		if commit != "" {
			pinned.Revision = commit
		}
		_, got, err := c.file(ctx, pinned, name)
		if commit == "" {
			commit = got
		}
		// Only a 404 that came with a commit means "the repo is there but
		// lacks this file"; a missing repo or revision stays an error.
		if err != nil && !(optional && got != "" && errors.Is(err, ErrNotFound)) {
			return "", err
		}
	}
	if commit == "" {
		return "", c.errorf(r, "", ErrNotFound, nil, "none of %s found", strings.Join(files, ", "))
	}
	dir := filepath.Join(c.storage(r), "snapshots", commit)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", c.errorf(r, "", ErrCache, err, "cannot create the snapshot folder")
	}
	return dir, nil
}

func looksLocal(s string) bool {
	return filepath.IsAbs(s) || s == "." || s == ".." || strings.HasPrefix(s, "./") ||
		strings.HasPrefix(s, "../") || strings.HasPrefix(s, "~") || strings.ContainsRune(s, filepath.Separator) && filepath.Separator != '/'
}
