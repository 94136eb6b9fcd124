package session

import (
	"regexp"
	"strings"
	"testing"
)

func TestParseGitRemote(t *testing.T) {
	for config, want := range map[string]string{
		"[remote \"origin\"]\n\turl = https://huggingface.co/datasets/timm/eurosat-rgb\n":        "timm/eurosat-rgb",
		"[remote \"origin\"]\n\turl = https://huggingface.co/datasets/timm/eurosat-rgb.git\n":    "timm/eurosat-rgb",
		"[remote \"origin\"]\n\turl = git@hf.co:datasets/timm/eurosat-rgb\n":                     "",
		"[remote \"origin\"]\n\turl = https://hf-mirror.com/datasets/a/b/\n":                     "a/b",
		"[remote \"origin\"]\n\turl = https://huggingface.co/timm/eurosat-rgb\n":                 "", // a model repo
		"[remote \"upstream\"]\n\turl = https://huggingface.co/datasets/x/y\n":                   "",
		"[core]\n\tbare = false\n[remote \"origin\"]\n\tfetch = x\n\turl=https://h/datasets/p/q": "p/q",
	} {
		if got := parseGitRemote([]byte(config)); got != want {
			t.Errorf("%q: got %q, want %q", config, got, want)
		}
	}
}

var (
	repoID = regexp.MustCompile(`^[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+$`)
	hex40  = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// FuzzOrigin: a clone's git files, whatever they hold, give a well-formed dataset id and commit
// or nothing — never a panic, never a path to somewhere else.
func FuzzOrigin(f *testing.F) {
	f.Add([]byte("[remote \"origin\"]\n\turl = https://huggingface.co/datasets/timm/eurosat-rgb\n"), []byte("0123456789abcdef0123456789abcdef01234567 refs/heads/main\n"), "refs/heads/main")
	f.Add([]byte("[remote \"origin\"\nurl=/datasets/../../etc"), []byte("# pack-refs\n^0123"), "refs/heads/../../x")
	f.Fuzz(func(t *testing.T, config, packed []byte, ref string) {
		if id := parseGitRemote(config); id != "" && (!repoID.MatchString(id) || !validID(id) || strings.Contains(id, "..")) {
			t.Fatalf("id %q from %q", id, config)
		}
		if c := packedRef(packed, ref); c != "" && !hex40.MatchString(c) {
			t.Fatalf("commit %q", c)
		}
	})
}
