// Package backend picks the compute backend the lab runs on.
//
// GoMLX's own default would import the XLA auto-installer, which tries to download PJRT plugins at
// start-up and dies offline. The lab chooses instead, in this order, and says which and why in one
// line:
//
//  1. GOMLX_BACKEND, when the user set it;
//  2. a CUDA PJRT plugin: go-xla's search path (PJRT_PLUGIN_LIBRARY_PATH, /usr/local/lib/go-xla, …)
//     or the plugin inside a JAX install (jax_plugins/xla_cuda*/xla_cuda_plugin.so), by absolute path;
//     — unless CUDA_VISIBLE_DEVICES="" hides the GPUs (the CPU kernel sets it);
//  3. an installed XLA CPU plugin (InstallPlugin puts xla-cpu-pjrt's where go-xla finds it);
//  4. the pure-Go backend, configured so that it cannot hit gomlx v0.28.8's worker-pool deadlock.
package backend

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
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
	return choose(os.LookupEnv, xla.GetAvailablePlugins, jaxCUDAPlugin)
}

// choose is Choose over its inputs — the environment, the plugins go-xla finds, JAX's CUDA plugin —
// so that the order can be tested on any machine, whatever it has installed.
func choose(env func(string) (string, bool), plugins func() []string, jaxCUDA func() string) Choice {
	if cfg, ok := env(compute.ConfigEnvVar); ok && cfg != "" {
		return Choice{Config: cfg, Reason: "set by GOMLX_BACKEND"}
	}
	// CUDA_VISIBLE_DEVICES="" hides the GPUs from CUDA itself; the CPU kernel sets it, so that on a
	// GPU machine it still runs on the CPU.
	gpusHidden := false
	if v, ok := env("CUDA_VISIBLE_DEVICES"); ok && (strings.TrimSpace(v) == "" || strings.TrimSpace(v) == "-1") {
		gpusHidden = true
	}
	found := plugins()
	if !gpusHidden {
		if has(found, "cuda") {
			return Choice{Config: "xla:cuda", Reason: "found a CUDA PJRT plugin"}
		}
		if p := jaxCUDA(); p != "" {
			return Choice{Config: "xla:" + p, Reason: "found JAX's CUDA PJRT plugin"}
		}
	}
	if has(found, "cpu") {
		why := "no CUDA plugin; found XLA's CPU plugin"
		if gpusHidden {
			why = "CUDA_VISIBLE_DEVICES hides the GPUs; found XLA's CPU plugin"
		}
		return Choice{Config: "xla:cpu", Reason: why}
	}
	return Choice{Config: GoConfig, Reason: "no PJRT plugin found (`lab fetch-plugin` installs XLA's CPU plugin); set GOMLX_BACKEND to choose"}
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
// falls back to the next one down the order — a CUDA plugin to XLA's CPU plugin when there is one,
// then to pure Go — rather than dying, and the returned Choice says so.
func New() (compute.Backend, Choice, error) {
	return newFrom(Choose(), func() bool { return has(xla.GetAvailablePlugins(), "cpu") })
}

func newFrom(c Choice, cpuPlugin func() bool) (compute.Backend, Choice, error) {
	b, err := create(c.Config)
	if err != nil && strings.HasPrefix(c.Config, "xla") && c.Reason != "set by GOMLX_BACKEND" {
		failed := fmt.Sprintf("%s failed (%v)", c.Config, firstLine(err))
		if c.GPU() && cpuPlugin() {
			c = Choice{Config: "xla:cpu", Reason: failed + "; found XLA's CPU plugin"}
			if b, err = create(c.Config); err != nil {
				failed = fmt.Sprintf("%s; xla:cpu failed (%v)", failed, firstLine(err))
			}
		}
		if err != nil {
			c = Choice{Config: GoConfig, Reason: failed}
			b, err = create(c.Config)
		}
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
	if strings.HasPrefix(config, "xla") {
		os.Setenv("XLA_FLAGS", xlaFlags(os.Getenv("XLA_FLAGS")))
	}
	return compute.NewWithConfig(config)
}

// xlaFlags adds to the user's XLA_FLAGS what the lab's graphs need, each unless the user set it.
//
// --xla_allow_excess_precision=false: by default XLA may drop a float32→bfloat16→float32 round
// trip (SimplifyFPConversions), so `--dtype bf16` leaves some values unrounded where autocast
// rounds them and rounds others, a mix no autocast computes: on XLA's CPU plugin the
// mixed-precision gradients then drifted from HF's by up to 12 % (pre_classifier.weight, against
// ≤1.3 % on pure Go); without the excess precision they are within 1.3 % as on pure Go. Graphs in
// float32 alone hold no such conversion and compile the same.
//
// --xla_cpu_use_xnnpack=false --xla_cpu_experimental_xnn_fusion_type=: with XNNPACK, two processes
// fine-tuning the same seeded MiniLM-size encoder agreed for ten steps, then parted in the last
// bits (a loss at 1e-6, every exported weight) in one run of two or three, while runs within one
// process agreed. The compiled programs were identical (HLO, LLVM IR, object code); neither
// single-threaded Eigen, the older emitters or runtime, nor one CPU (taskset) made runs repeat;
// without XNNPACK every run gave the same bytes (TestEx2RepeatsAcrossProcesses, in make test), as
// fast as with it (docs/benchmarks.md). LAB_NONDETERMINISTIC=1 keeps XNNPACK.
//
// The plugin reads XLA_FLAGS when it first compiles, so this must be set before the backend is
// created.
func xlaFlags(user string) string {
	flags := []string{"--xla_allow_excess_precision=false"}
	if os.Getenv("LAB_NONDETERMINISTIC") == "" {
		flags = append(flags, "--xla_cpu_use_xnnpack=false", "--xla_cpu_experimental_xnn_fusion_type=")
	}
	out := user
	for _, f := range flags {
		name, _, _ := strings.Cut(strings.TrimPrefix(f, "--"), "=")
		if !strings.Contains(user, name) {
			out += " " + f
		}
	}
	return strings.TrimSpace(out)
}

// Deterministic says whether two runs with the same seed repeat bit for bit on this backend, as
// far as the lab has seen, so that a manifest can say whether a difference means anything: pure Go
// always; XLA's CPU plugin with XNNPACK off (as xlaFlags sets it unless LAB_NONDETERMINISTIC or the
// user's XLA_FLAGS says otherwise); CUDA has not been tried.
func (c Choice) Deterministic() bool {
	switch {
	case strings.HasPrefix(c.Config, "go"):
		return true
	case c.GPU():
		return false
	}
	return strings.Contains(os.Getenv("XLA_FLAGS"), "--xla_cpu_use_xnnpack=false")
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
	return xlaDescription(b.Description(), config, runtime.NumCPU())
}

var deviceCount = regexp.MustCompile(` \[(\d+) device\(s\)\]$`)

// xlaDescription is go-xla's description of a backend in the Choice's words. go-xla repeats the
// config ("xla:cpu - PJRT …"), which the Choice shows already, and ends with the plugin's device
// count: for CUDA the GPUs, but for the CPU plugin a number of host "devices" of its own (4 on a
// 2-core machine) of which the lab uses one, whose thread pool spans the CPUs the process may use —
// the number said instead.
func xlaDescription(desc, config string, cpus int) string {
	desc = strings.TrimPrefix(desc, config+" - ")
	if !(Choice{Config: config}).CPU() {
		return desc
	}
	return deviceCount.ReplaceAllString(desc, fmt.Sprintf(", %d CPUs", cpus))
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
