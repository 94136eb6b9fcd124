package session

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

var (
	// …/datasets--org--name/snapshots/<commit>: a snapshot in a hub cache (ours or Python's).
	snapshotPath = regexp.MustCompile(`(?:^|/)datasets--([^/]+?)--([^/]+)/snapshots/([0-9a-f]{40})$`)
	// https://huggingface.co/datasets/org/name(.git), also through a mirror (HF_ENDPOINT).
	datasetURL = regexp.MustCompile(`/datasets/([A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+?)(?:\.git)?/?$`)
	commitHex  = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// origin names the hub dataset a local folder is a copy of, and the commit, when the folder says
// so itself: a snapshot folder of a hub cache, or a git clone whose remote is the dataset's repo.
// Otherwise both are "": a folder's name alone is no proof of what it holds.
func origin(dir string) (id, revision string) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", ""
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	if m := snapshotPath.FindStringSubmatch(filepath.ToSlash(abs)); m != nil {
		return m[1] + "/" + m[2], m[3]
	}
	gitDir := filepath.Join(abs, ".git")
	if st, err := os.Stat(gitDir); err != nil || !st.IsDir() {
		return "", ""
	}
	return gitRemote(filepath.Join(gitDir, "config")), gitHead(gitDir)
}

// gitRemote reads the url of remote "origin" from a git config file.
func gitRemote(config string) string {
	raw, err := os.ReadFile(config)
	if err != nil {
		return ""
	}
	return parseGitRemote(raw)
}

// parseGitRemote finds the dataset id in the url of remote "origin" of a git config.
func parseGitRemote(raw []byte) string {
	inOrigin := false
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			inOrigin = line == `[remote "origin"]`
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !inOrigin || !ok || strings.TrimSpace(key) != "url" {
			continue
		}
		if m := datasetURL.FindStringSubmatch(strings.TrimSpace(value)); m != nil && validID(m[1]) {
			return m[1]
		}
	}
	return ""
}

// gitHead is the commit a clone has checked out: HEAD itself when detached, else the branch it
// names, loose or packed.
func gitHead(gitDir string) string {
	raw, err := os.ReadFile(filepath.Join(gitDir, "HEAD"))
	if err != nil {
		return ""
	}
	head := strings.TrimSpace(string(raw))
	if commitHex.MatchString(head) {
		return head
	}
	ref, ok := strings.CutPrefix(head, "ref: ")
	if !ok || strings.Contains(ref, "..") {
		return ""
	}
	if raw, err := os.ReadFile(filepath.Join(gitDir, filepath.FromSlash(ref))); err == nil {
		if c := strings.TrimSpace(string(raw)); commitHex.MatchString(c) {
			return c
		}
	}
	packed, err := os.ReadFile(filepath.Join(gitDir, "packed-refs"))
	if err != nil {
		return ""
	}
	return packedRef(packed, ref)
}

// packedRef finds a ref's commit in a packed-refs file.
func packedRef(packed []byte, ref string) string {
	for _, line := range strings.Split(string(packed), "\n") {
		if c, name, ok := strings.Cut(strings.TrimSpace(line), " "); ok && name == ref && commitHex.MatchString(c) {
			return c
		}
	}
	return ""
}

// validID applies the hub's rules for an id beyond its characters: no "..", no "--", and no part
// starting with "." or "-".
func validID(id string) bool {
	if strings.Contains(id, "..") || strings.Contains(id, "--") {
		return false
	}
	for _, part := range strings.Split(id, "/") {
		if part == "" || part[0] == '.' || part[0] == '-' {
			return false
		}
	}
	return true
}
