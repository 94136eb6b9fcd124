package backend

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/go-translab/translab/lab/atomicfile"
	"github.com/go-translab/translab/lab/show"
	"github.com/gomlx/go-xla/pjrt"
)

// Wheel is a pinned PyPI wheel that carries a PJRT plugin: the wheel's own sha256 (PyPI's digest),
// and the path and sha256 of the shared library inside it (from the wheel's RECORD), so that an
// installed copy can be recognised without downloading again.
type Wheel struct {
	Package, Version, By string
	URL, SHA256          string
	Size                 int64
	Member, MemberSHA256 string
}

func (w Wheel) String() string { return w.Package + " " + w.Version }

// CPUPluginWheels are XLA's CPU PJRT plugin as the OpenXLA project publishes it on PyPI
// (`xla-cpu-pjrt` 0.0.1, PJRT C API 0.81), one wheel per platform. Of the three PyPI wheels that
// go-xla v0.4.5 loads, it is the one built by XLA's own maintainers; it runs the lab 1.3–1.6× the
// fastest PyTorch on the lab's 2-core test machine, while the third-party `lammps-jax-pjrt-cpu`
// 0.11.2 and `fastatomstruct-xla-cpu` 2026.6.23 (a newer XLA) were 10–23 % faster at inference and
// no faster at training (docs/benchmarks.md): provenance decided. URLs and digests from
// https://pypi.org/pypi/xla-cpu-pjrt/json; files.pythonhosted.org URLs name the file's content
// hash, so they do not move.
var CPUPluginWheels = map[string]Wheel{
	"linux/amd64": {
		Package: "xla-cpu-pjrt", Version: "0.0.1", By: "the OpenXLA project",
		URL:    "https://files.pythonhosted.org/packages/5d/ca/5487881b30d07396c168749ead36f57dbc4538cafdc535943afc81b3e5a2/xla_cpu_pjrt-0.0.1-py3-none-manylinux_2_27_x86_64.whl",
		SHA256: "55837b6b7b47daa717f2d9a5a03563ea0ceaa338d06a81a1e2d3f060d960decc", Size: 63461052,
		Member:       "xla_plugins/xla_cpu_pjrt/xla_cpu_pjrt.so",
		MemberSHA256: "88c3f28c5900f48ad4a82cab9e79bba9537809743395e341485f8794268820dc",
	},
	"linux/arm64": {
		Package: "xla-cpu-pjrt", Version: "0.0.1", By: "the OpenXLA project",
		URL:    "https://files.pythonhosted.org/packages/c9/2d/2c6703356beded886d95f9e37adb49aeca7b21e7617f2ff59893f038f61e/xla_cpu_pjrt-0.0.1-py3-none-manylinux_2_27_aarch64.whl",
		SHA256: "8f613be6e891858f40d64f9799319502fff42689661944fc18a6ffd8210b30c9", Size: 49514947,
		Member:       "xla_plugins/xla_cpu_pjrt/xla_cpu_pjrt.so",
		MemberSHA256: "fcf411f3e8ff635c2b2cf87215aa7016f460e66d236c3db08309e7486583532d",
	},
}

// CPUPluginFile is the name go-xla looks for when asked for the "cpu" plugin.
const CPUPluginFile = "pjrt_c_api_cpu_plugin.so"

// CPUPluginWheel is the pinned wheel for this machine's platform.
func CPUPluginWheel() (Wheel, bool) {
	w, ok := CPUPluginWheels[runtime.GOOS+"/"+runtime.GOARCH]
	return w, ok
}

// PluginDir is where the lab installs a plugin: the first directory go-xla searches, i.e. the first
// entry of PJRT_PLUGIN_LIBRARY_PATH when set (go-xla then searches nothing else), else
// ~/.local/lib/go-xla.
func PluginDir() (string, error) {
	for _, d := range filepath.SplitList(os.Getenv("PJRT_PLUGIN_LIBRARY_PATH")) {
		if d != "" {
			return d, nil
		}
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no home directory to install the plugin in (%w); set PJRT_PLUGIN_LIBRARY_PATH", err)
	}
	return filepath.Join(home, ".local", "lib", "go-xla"), nil
}

// ErrUnreachable marks a download that could not reach PyPI; the lab then runs on pure Go.
var ErrUnreachable = errors.New("PyPI unreachable")

// Installed says what InstallPlugin did.
type Installed struct {
	Path       string
	Downloaded bool // false: the pinned plugin was already there
	Foreign    bool // another file was already at Path and was left as it is
}

// InstallPlugin puts w's plugin at dir/name, unless a file is already there: the pinned one is
// recognised by its sha256 and not downloaded again, and any other file is the user's and is kept.
// The wheel is checked against its pinned sha256 before anything is extracted, and the library
// against its own before it is renamed into place. Download progress goes to progress (nil: quiet).
func InstallPlugin(ctx context.Context, w Wheel, dir, name string, client *http.Client, progress io.Writer) (Installed, error) {
	target := filepath.Join(dir, name)
	if sum, err := fileSHA256(target); err == nil {
		return Installed{Path: target, Foreign: sum != w.MemberSHA256}, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return Installed{}, err
	}
	// The wheel goes to the temporary directory, so that a failed download leaves nothing in dir,
	// not even dir itself.
	wheel, err := os.CreateTemp("", "lab-plugin-*.whl")
	if err != nil {
		return Installed{}, err
	}
	defer func() { wheel.Close(); os.Remove(wheel.Name()) }()
	if err := download(ctx, client, w, wheel, progress); err != nil {
		return Installed{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Installed{}, err
	}
	st, err := wheel.Stat()
	if err != nil {
		return Installed{}, err
	}
	zr, err := zip.NewReader(wheel, st.Size())
	if err != nil {
		return Installed{}, fmt.Errorf("%s: %s is not a wheel: %w", w, w.URL, err)
	}
	var member *zip.File
	for _, f := range zr.File {
		if f.Name == w.Member {
			member = f
		}
	}
	if member == nil {
		return Installed{}, fmt.Errorf("%s: no %s in the wheel", w, w.Member)
	}
	err = atomicfile.Write(target, func(out io.Writer) error {
		r, err := member.Open()
		if err != nil {
			return err
		}
		defer r.Close()
		h := sha256.New()
		if _, err := io.Copy(io.MultiWriter(out, h), r); err != nil {
			return fmt.Errorf("%s: extracting %s: %w", w, w.Member, err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != w.MemberSHA256 {
			return fmt.Errorf("%s: %s has sha256 %s, pinned %s", w, w.Member, got, w.MemberSHA256)
		}
		return nil
	})
	if err != nil {
		return Installed{}, err
	}
	return Installed{Path: target, Downloaded: true}, nil
}

// download writes w's wheel to f, checking its sha256; a failure to reach the server wraps
// ErrUnreachable, a wrong digest does not (that is an error to fix, not a network to wait for).
func download(ctx context.Context, client *http.Client, w Wheel, f *os.File, progress io.Writer) error {
	if client == nil {
		client = pypiHTTP
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.URL, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: GET %s: %s", ErrUnreachable, w.URL, resp.Status)
	}
	prog := show.NewProgress(progress, w.String(), w.Size, "B")
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h, progressWriter{prog}), resp.Body)
	prog.Done()
	if err != nil {
		return fmt.Errorf("%w: downloading %s: %v", ErrUnreachable, w.URL, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != w.SHA256 {
		return fmt.Errorf("%s: the wheel downloaded from %s (%d bytes) has sha256 %s, pinned %s", w, w.URL, n, got, w.SHA256)
	}
	return nil
}

// pypiHTTP fails fast when PyPI cannot be reached, but lets a slow link take its time once the
// download has started.
var pypiHTTP = &http.Client{Transport: func() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 15 * time.Second}).DialContext
	t.ResponseHeaderTimeout = 30 * time.Second
	return t
}()}

type progressWriter struct{ p *show.Progress }

func (w progressWriter) Write(b []byte) (int, error) { w.p.Add(int64(len(b))); return len(b), nil }

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// FoundCPUPlugin is the path of the XLA CPU plugin go-xla finds in its search path, or "".
func FoundCPUPlugin() string {
	for name, path := range pjrt.AvailablePlugins() {
		if has([]string{name}, "cpu") {
			return path
		}
	}
	return ""
}
