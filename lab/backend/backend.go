// Package backend picks the compute backend the lab runs on.
//
// GoMLX's own default would import the XLA auto-installer, which tries to download PJRT plugins at
// start-up and dies offline. The lab chooses instead, in this order, and says which and why in one
// line:
//
//  1. GOMLX_BACKEND, when the user set it;
//  2. a CUDA PJRT plugin: go-xla's search path (PJRT_PLUGIN_LIBRARY_PATH, /usr/local/lib/go-xla, …)
//     or the plugin inside a JAX install (jax_plugins/xla_cuda*/xla_cuda_plugin.so), by absolute path;
//  3. an installed XLA CPU plugin;
//  4. the pure-Go backend, configured so that it cannot hit gomlx v0.28.8's worker-pool deadlock.
package backend

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // registers "go"
	"github.com/gomlx/go-xla/compute/xla"  // registers "xla"; deliberately without its auto-installer
)

// GoConfig is the pure-Go backend's configuration when the user did not choose one.
//
// In compute v0.1.6 every graph node holds a worker-pool slot while it runs, and the big matmuls and
// Gelu/Erf inside a node wait for another free slot: once all slots are held by such waiting nodes,
// nothing ever frees them (0 % CPU forever). With parallelism=-1 the pool never reports itself full,
// so it cannot deadlock; it measured as fast as the default (../shared/DESIGN.md).
const GoConfig = "go:parallelism=-1"

// Choice is the backend configuration the lab runs on and the reason for it. New returns the one
// it actually made — after a fallback, the pure-Go backend and why — so that banners, method
// choices and benchmarks downstream read this value instead of deciding again.
type Choice struct {
	Config string // as GOMLX_BACKEND would take it, e.g. "go:parallelism=-1" or "xla:/abs/xla_cuda_plugin.so"
	Reason string
	// Description is the running backend in words, e.g. "pure Go, SIMD" or the plugin's own.
	Description string
}

// String is the one line the lab shows about its backend.
func (c Choice) String() string {
	if c.Description == "" {
		return fmt.Sprintf("%s — %s", c.Config, c.Reason)
	}
	return fmt.Sprintf("%s (%s) — %s", c.Config, c.Description, c.Reason)
}

// GPU says whether the backend runs on a CUDA device.
func (c Choice) GPU() bool { return strings.Contains(c.Config, "cuda") }

// CPU says whether the backend runs on the host's CPU (pure Go or XLA's CPU plugin).
func (c Choice) CPU() bool { return !c.GPU() }

// Choose decides which backend to use, without creating it.
func Choose() Choice {
	if cfg, ok := os.LookupEnv(compute.ConfigEnvVar); ok && cfg != "" {
		return Choice{Config: cfg, Reason: "set by GOMLX_BACKEND"}
	}
	plugins := xla.GetAvailablePlugins()
	if has(plugins, "cuda") {
		return Choice{Config: "xla:cuda", Reason: "found a CUDA PJRT plugin"}
	}
	if p := jaxCUDAPlugin(); p != "" {
		return Choice{Config: "xla:" + p, Reason: "found JAX's CUDA PJRT plugin"}
	}
	if has(plugins, "cpu") {
		return Choice{Config: "xla:cpu", Reason: "found an XLA CPU PJRT plugin"}
	}
	return Choice{Config: GoConfig, Reason: "no PJRT plugin found; set GOMLX_BACKEND to choose"}
}

func has(plugins []string, name string) bool {
	for _, p := range plugins {
		if p == name || strings.HasPrefix(p, name+"_v") {
			return true
		}
	}
	return false
}

// jaxCUDAPlugin looks for the CUDA plugin that `pip install jax[cuda]` leaves in site-packages.
// Without a Python interpreter to ask, it tries the places pip installs to.
func jaxCUDAPlugin() string {
	var roots []string
	for _, p := range filepath.SplitList(os.Getenv("PYTHONPATH")) {
		roots = append(roots, p)
	}
	if venv := os.Getenv("VIRTUAL_ENV"); venv != "" {
		roots = append(roots, filepath.Join(venv, "lib/python3*/site-packages"))
	}
	// The python3 on PATH, virtual environment or not (GPU images often keep JAX in one, e.g.
	// /opt/torch/.venv): its site-packages sit at <prefix>/lib/python3.X/site-packages.
	if py, err := exec.LookPath("python3"); err == nil {
		prefix := filepath.Dir(filepath.Dir(py))
		roots = append(roots, filepath.Join(prefix, "lib/python3*/site-packages"), filepath.Join(prefix, "lib/python3*/dist-packages"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		roots = append(roots, filepath.Join(home, ".local/lib/python3*/site-packages"))
	}
	roots = append(roots,
		"/usr/local/lib/python3*/dist-packages", "/usr/local/lib/python3*/site-packages",
		"/usr/lib/python3/dist-packages", "/opt/conda/lib/python3*/site-packages")
	for _, root := range roots {
		matches, _ := filepath.Glob(filepath.Join(root, "jax_plugins/xla_cuda*/xla_cuda_plugin.so"))
		sort.Sort(sort.Reverse(sort.StringSlice(matches))) // prefer the newest CUDA (xla_cuda13 over xla_cuda12)
		if len(matches) > 0 {
			if abs, err := filepath.Abs(matches[0]); err == nil {
				return abs
			}
		}
	}
	return ""
}

// New creates the chosen backend. When an XLA plugin the lab found by itself fails to start, it
// falls back to the pure-Go backend rather than dying, and the returned Choice says so.
func New() (compute.Backend, Choice, error) {
	c := Choose()
	b, err := create(c.Config)
	if err != nil && strings.HasPrefix(c.Config, "xla") && c.Reason != "set by GOMLX_BACKEND" {
		c = Choice{Config: GoConfig, Reason: fmt.Sprintf("%s failed (%v)", c.Config, firstLine(err))}
		b, err = create(c.Config)
	}
	if err != nil {
		return nil, c, fmt.Errorf("backend %q: %w", c.Config, err)
	}
	c.Description = describe(b, c.Config)
	return b, c, nil
}

var (
	defaultOnce    sync.Once
	defaultBackend compute.Backend
	defaultChoice  Choice
	defaultErr     error
)

// Default returns one backend shared by the whole process, and the Choice made for it. A build
// without GOEXPERIMENT=simd is a real warning and goes to stderr; the rest is for the caller to
// show (a banner).
func Default() (compute.Backend, Choice, error) {
	defaultOnce.Do(func() {
		defaultBackend, defaultChoice, defaultErr = New()
		if defaultErr == nil && strings.HasPrefix(defaultChoice.Config, "go") && !SIMD {
			fmt.Fprintln(os.Stderr, "lab: warning: built without GOEXPERIMENT=simd: the pure-Go backend is several times slower; rebuild with GOEXPERIMENT=simd")
		}
	})
	return defaultBackend, defaultChoice, defaultErr
}

// create builds a backend, keeping stdout clean: compute v0.1.6's Go backend prints its
// parallelism on stdout, which would corrupt output that the CLI writes there (JSON lines, tables).
func create(config string) (b compute.Backend, err error) {
	defer func() {
		if r := recover(); r != nil { // NewWithConfig panics on an unknown backend name
			err = fmt.Errorf("%v", r)
		}
	}()
	if strings.HasPrefix(config, "go") {
		restore := silenceStdout()
		defer restore()
	}
	return compute.NewWithConfig(config)
}

func silenceStdout() (restore func()) {
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return func() {}
	}
	saved := os.Stdout
	os.Stdout = devnull
	return func() { os.Stdout = saved; devnull.Close() }
}

func describe(b compute.Backend, config string) string {
	if strings.HasPrefix(config, "go") {
		if SIMD {
			return "pure Go, SIMD"
		}
		return "pure Go, without SIMD"
	}
	return b.Description()
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
