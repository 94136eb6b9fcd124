package backend

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
)

// fakeWheel serves a wheel holding lib at member, and counts the requests.
func fakeWheel(t *testing.T, member string, lib []byte) (Wheel, *atomic.Int32) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range map[string][]byte{member: lib, "pkg/__init__.py": []byte("# marker\n")} {
		f, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(content)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	wheel := buf.Bytes()
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Write(wheel)
	}))
	t.Cleanup(srv.Close)
	return Wheel{Package: "fake-pjrt", Version: "1.0", URL: srv.URL + "/fake.whl", SHA256: sha(wheel), Size: int64(len(wheel)),
		Member: member, MemberSHA256: sha(lib)}, &requests
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func TestInstallPluginOnceThenRecognisesIt(t *testing.T) {
	lib := []byte("\x7fELF pretend plugin")
	w, requests := fakeWheel(t, "plugins/fake.so", lib)
	dir := filepath.Join(t.TempDir(), "go-xla") // created by the install
	got, err := InstallPlugin(context.Background(), w, dir, CPUPluginFile, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, CPUPluginFile)
	if got != (Installed{Path: target, Downloaded: true}) {
		t.Errorf("first install: %+v", got)
	}
	if b, _ := os.ReadFile(target); !bytes.Equal(b, lib) {
		t.Errorf("installed %q, want the wheel's member %q", b, lib)
	}
	again, err := InstallPlugin(context.Background(), w, dir, CPUPluginFile, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again != (Installed{Path: target}) || requests.Load() != 1 {
		t.Errorf("second run: %+v after %d requests; want the installed plugin recognised and no new download", again, requests.Load())
	}
	assertOnly(t, dir, CPUPluginFile)
}

func TestInstallPluginKeepsTheUsersFile(t *testing.T) {
	w, requests := fakeWheel(t, "plugins/fake.so", []byte("pinned"))
	dir := t.TempDir()
	mine := filepath.Join(dir, CPUPluginFile)
	os.WriteFile(mine, []byte("the user's own plugin"), 0o644)
	got, err := InstallPlugin(context.Background(), w, dir, CPUPluginFile, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Foreign || got.Downloaded || requests.Load() != 0 {
		t.Errorf("got %+v after %d requests; want the user's file kept, nothing downloaded", got, requests.Load())
	}
	if b, _ := os.ReadFile(mine); string(b) != "the user's own plugin" {
		t.Errorf("the user's plugin was overwritten: %q", b)
	}
}

func TestInstallPluginRefusesAWrongWheel(t *testing.T) {
	w, _ := fakeWheel(t, "plugins/fake.so", []byte("lib"))
	w.SHA256 = strings.Repeat("0", 64)
	dir := t.TempDir()
	_, err := InstallPlugin(context.Background(), w, dir, CPUPluginFile, nil, nil)
	if err == nil || errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "pinned "+w.SHA256) {
		t.Fatalf("got %v; want a sha256 mismatch naming the pin, not a network error", err)
	}
	assertOnly(t, dir)
}

func TestInstallPluginRefusesAWrongLibrary(t *testing.T) {
	w, _ := fakeWheel(t, "plugins/fake.so", []byte("lib"))
	w.MemberSHA256 = sha([]byte("another lib"))
	dir := t.TempDir()
	_, err := InstallPlugin(context.Background(), w, dir, CPUPluginFile, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "plugins/fake.so has sha256") {
		t.Fatalf("got %v; want the library's sha256 mismatch", err)
	}
	assertOnly(t, dir)
}

func TestInstallPluginNamesAMissingMember(t *testing.T) {
	w, _ := fakeWheel(t, "plugins/fake.so", []byte("lib"))
	w.Member = "plugins/other.so"
	dir := t.TempDir()
	if _, err := InstallPlugin(context.Background(), w, dir, CPUPluginFile, nil, nil); err == nil || !strings.Contains(err.Error(), "no plugins/other.so in the wheel") {
		t.Fatalf("got %v", err)
	}
	assertOnly(t, dir)
}

func TestInstallPluginOffline(t *testing.T) {
	w, _ := fakeWheel(t, "plugins/fake.so", []byte("lib"))
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close() // nothing listens there any more
	w.URL = srv.URL + "/fake.whl"
	dir := filepath.Join(t.TempDir(), "go-xla")
	_, err := InstallPlugin(context.Background(), w, dir, CPUPluginFile, nil, nil)
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("got %v; want ErrUnreachable", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an install that could not download created %s (%v)", dir, err)
	}
}

// assertOnly fails unless dir holds exactly names: no temporary wheel or half-extracted library.
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("%s holds %v, want %v", dir, got, names)
	}
}

func TestPinnedWheelsAreWellFormed(t *testing.T) {
	hexDigest := regexp.MustCompile(`^[0-9a-f]{64}$`)
	for platform, w := range CPUPluginWheels {
		arch := map[string]string{"linux/amd64": "x86_64", "linux/arm64": "aarch64"}[platform]
		file := strings.ReplaceAll(w.Package, "-", "_") + "-" + w.Version + "-py3-none-manylinux_2_27_" + arch + ".whl"
		if arch == "" || !strings.HasPrefix(w.URL, "https://files.pythonhosted.org/packages/") || !strings.HasSuffix(w.URL, "/"+file) {
			t.Errorf("%s: URL %s is not PyPI's %s", platform, w.URL, file)
		}
		if !hexDigest.MatchString(w.SHA256) || !hexDigest.MatchString(w.MemberSHA256) || w.SHA256 == w.MemberSHA256 || w.Size <= 0 {
			t.Errorf("%s: digests %q / %q, size %d", platform, w.SHA256, w.MemberSHA256, w.Size)
		}
	}
}

func TestPluginDirIsGoXLAs(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", "")
	if d, err := PluginDir(); err != nil || d != filepath.Join(home, ".local/lib/go-xla") {
		t.Errorf("PluginDir() = %q, %v; want go-xla's user directory", d, err)
	}
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", "/opt/a:/opt/b")
	if d, _ := PluginDir(); d != "/opt/a" {
		t.Errorf("PluginDir() = %q; want the first entry of PJRT_PLUGIN_LIBRARY_PATH, where go-xla searches first", d)
	}
}
