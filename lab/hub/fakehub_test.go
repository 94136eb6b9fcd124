package hub

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeHub imitates the parts of huggingface.co that huggingface_hub uses:
// HEAD/GET on resolve/ (LFS files answer 302 to a CDN with X-Linked-Etag),
// the revision API, and error headers. Every request is logged.
type fakeHub struct {
	srv *httptest.Server
	cdn *httptest.Server // where LFS redirects point; srv itself unless separate

	mu      sync.Mutex
	repos   map[string]*fakeRepo // "model/org/name", "dataset/org/name"
	log     []fakeReq
	token   string // when set, resolve requires "Bearer token"
	cutAt   int    // > 0: the next CDN GET dies after this many bytes
	noRng   bool   // CDN ignores Range and answers 200 with everything
	broken  bool   // CDN serves bytes that do not match the sha256
	stallAt int    // > 0: the next CDN GET goes silent after this many bytes
	hang    bool   // resolve requests get no answer until the client gives up
}

type fakeRepo struct {
	commit string
	refs   map[string]bool // revisions that resolve to commit
	files  map[string][]byte
	lfs    map[string]bool
}

type fakeReq struct {
	Method, Host, Path, Range, Auth string
}

func newFakeHub(t *testing.T, separateCDN bool) *fakeHub {
	h := &fakeHub{repos: map[string]*fakeRepo{}}
	h.srv = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.srv.Close)
	h.cdn = h.srv
	if separateCDN {
		h.cdn = httptest.NewServer(http.HandlerFunc(h.serve))
		t.Cleanup(h.cdn.Close)
	}
	return h
}

func (h *fakeHub) addRepo(typ RepoType, id, commit string, files map[string]string, lfs ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := &fakeRepo{commit: commit, refs: map[string]bool{"main": true, commit: true}, files: map[string][]byte{}, lfs: map[string]bool{}}
	for k, v := range files {
		r.files[k] = []byte(v)
	}
	for _, f := range lfs {
		r.lfs[f] = true
	}
	h.repos[string(typ)+"/"+id] = r
}

// set changes the hub's behaviour between requests without racing its handlers.
func (h *fakeHub) set(f func(h *fakeHub)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f(h)
}

func (h *fakeHub) requests() []fakeReq {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]fakeReq(nil), h.log...)
}

func (h *fakeHub) count(method string) int {
	n := 0
	for _, r := range h.requests() {
		if method == "" || r.Method == method {
			n++
		}
	}
	return n
}

func (h *fakeHub) resetLog() {
	h.mu.Lock()
	h.log = nil
	h.mu.Unlock()
}

func sha256Hex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
func gitSHA1(b []byte) string {
	s := sha1.Sum(append([]byte(fmt.Sprintf("blob %d\x00", len(b))), b...))
	return hex.EncodeToString(s[:])
}

func (h *fakeHub) serve(w http.ResponseWriter, req *http.Request) {
	h.mu.Lock()
	h.log = append(h.log, fakeReq{req.Method, req.Host, req.URL.EscapedPath(), req.Header.Get("Range"), req.Header.Get("Authorization")})
	h.mu.Unlock()

	p := req.URL.EscapedPath()
	switch {
	case strings.HasPrefix(p, "/cdn/"):
		h.serveCDN(w, req, strings.TrimPrefix(p, "/cdn/"))
	case strings.HasPrefix(p, "/api/"):
		h.serveAPI(w, p)
	default:
		h.serveResolve(w, req, p)
	}
}

func (h *fakeHub) find(typ, id, rev string) *fakeRepo {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.repos[typ+"/"+id]
	if r == nil || !r.refs[rev] {
		return nil
	}
	return r
}

func (h *fakeHub) serveAPI(w http.ResponseWriter, p string) {
	// /api/{models|datasets}/{org}/{name}/revision/{rev}
	rest := strings.TrimPrefix(p, "/api/")
	kind, rest, _ := strings.Cut(rest, "/")
	id, rev, ok := strings.Cut(rest, "/revision/")
	rev, _ = url.PathUnescape(rev)
	r := h.find(strings.TrimSuffix(kind, "s"), id, rev)
	if !ok || r == nil {
		w.Header().Set("X-Error-Code", "RepoNotFound")
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	type sib struct {
		R string `json:"rfilename"`
	}
	var sibs []sib
	for f := range r.files {
		sibs = append(sibs, sib{f})
	}
	sort.Slice(sibs, func(i, j int) bool { return sibs[i].R < sibs[j].R })
	json.NewEncoder(w).Encode(map[string]any{"id": id, "sha": r.commit, "siblings": sibs})
}

func (h *fakeHub) serveResolve(w http.ResponseWriter, req *http.Request, p string) {
	typ := "model"
	if rest, ok := strings.CutPrefix(p, "/datasets/"); ok {
		typ, p = "dataset", "/"+rest
	}
	id, rest, ok := strings.Cut(strings.TrimPrefix(p, "/"), "/resolve/")
	if !ok {
		http.NotFound(w, req)
		return
	}
	erev, epath, _ := strings.Cut(rest, "/")
	rev, _ := url.PathUnescape(erev)
	name, _ := url.PathUnescape(epath)
	h.mu.Lock()
	hang, token := h.hang, h.token
	h.mu.Unlock()
	if hang {
		<-req.Context().Done()
		return
	}
	if token != "" && req.Header.Get("Authorization") != "Bearer "+token {
		w.Header().Set("X-Error-Message", "Access to model "+id+" is restricted.")
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	r := h.find(typ, id, rev)
	if r == nil {
		w.Header().Set("X-Error-Code", "RevisionNotFound")
		http.Error(w, "no revision", http.StatusNotFound)
		return
	}
	w.Header().Set("X-Repo-Commit", r.commit)
	data, ok := r.files[name]
	if !ok {
		w.Header().Set("X-Error-Code", "EntryNotFound")
		http.Error(w, "entry not found", http.StatusNotFound)
		return
	}
	if r.lfs[name] {
		sum := sha256Hex(data)
		w.Header().Set("X-Linked-Etag", `"`+sum+`"`)
		w.Header().Set("X-Linked-Size", strconv.Itoa(len(data)))
		w.Header().Set("ETag", `"not-the-content-etag"`)
		w.Header().Set("Location", h.cdn.URL+"/cdn/"+sum)
		w.WriteHeader(http.StatusFound)
		return
	}
	w.Header().Set("ETag", `"`+gitSHA1(data)+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	if req.Method == http.MethodGet {
		w.Write(data)
	}
}

func (h *fakeHub) serveCDN(w http.ResponseWriter, req *http.Request, sum string) {
	h.mu.Lock()
	var data []byte
	for _, r := range h.repos {
		for f, b := range r.files {
			if r.lfs[f] && sha256Hex(b) == sum {
				data = b
			}
		}
	}
	cut, stall := h.cutAt, h.stallAt
	h.cutAt, h.stallAt = 0, 0
	noRng, broken := h.noRng, h.broken
	h.mu.Unlock()
	if data == nil {
		http.NotFound(w, req)
		return
	}
	if broken {
		data = append([]byte(nil), data...)
		data[len(data)/2] ^= 0xff
	}
	start := 0
	if rg := req.Header.Get("Range"); rg != "" && !noRng {
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(rg, "bytes="), "-"))
		if err != nil || n >= len(data) {
			w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
			return
		}
		start = n
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", n, len(data)-1, len(data)))
	}
	body := data[start:]
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if start > 0 {
		w.WriteHeader(http.StatusPartialContent)
	}
	if cut > 0 && cut < len(body) {
		w.Write(body[:cut])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // drops the connection mid-body
	}
	if stall > 0 && stall < len(body) {
		w.Write(body[:stall])
		w.(http.Flusher).Flush()
		<-req.Context().Done() // silent until the client drops the connection
		return
	}
	w.Write(body)
}
