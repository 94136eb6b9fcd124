package backend

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

func TestChooseHonoursGOMLX_BACKEND(t *testing.T) {
	t.Setenv("GOMLX_BACKEND", "go:ops_sequential")
	c := Choose()
	if c.Config != "go:ops_sequential" || !strings.Contains(c.Reason, "GOMLX_BACKEND") {
		t.Fatalf("got %+v", c)
	}
}

// fakeEnv is an environment holding only vars, for choose.
func fakeEnv(vars ...string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		for i := 0; i+1 < len(vars); i += 2 {
			if vars[i] == k {
				return vars[i+1], true
			}
		}
		return "", false
	}
}

func TestChooseOrder(t *testing.T) {
	const jax = "/site/jax_plugins/xla_cuda13/xla_cuda_plugin.so"
	for _, tc := range []struct {
		name    string
		env     []string
		plugins []string
		jax     string
		want    string
		reason  string
	}{
		{"GOMLX_BACKEND wins", []string{"GOMLX_BACKEND", "go"}, []string{"cuda", "cpu"}, jax, "go", "GOMLX_BACKEND"},
		{"CUDA before CPU", nil, []string{"cpu", "cuda"}, jax, "xla:cuda", "CUDA"},
		{"JAX's CUDA before CPU", nil, []string{"cpu"}, jax, "xla:" + jax, "JAX"},
		{"CPU plugin before pure Go", nil, []string{"cpu"}, "", "xla:cpu", "no CUDA plugin; found XLA's CPU plugin"},
		{"a versioned CPU plugin", nil, []string{"cpu_v0.98.0"}, "", "xla:cpu", "CPU plugin"},
		{"hidden GPUs: CPU plugin", []string{"CUDA_VISIBLE_DEVICES", ""}, []string{"cuda", "cpu"}, jax, "xla:cpu", "CUDA_VISIBLE_DEVICES"},
		{"hidden GPUs (-1), no CPU plugin: pure Go", []string{"CUDA_VISIBLE_DEVICES", "-1"}, []string{"cuda"}, jax, GoConfig, "no PJRT plugin"},
		{"a visible GPU list keeps CUDA", []string{"CUDA_VISIBLE_DEVICES", "0"}, []string{"cuda", "cpu"}, "", "xla:cuda", "CUDA"},
		{"nothing: deadlock-free pure Go", nil, nil, "", GoConfig, "fetch-plugin"},
		{"an empty GOMLX_BACKEND is unset", []string{"GOMLX_BACKEND", ""}, nil, "", GoConfig, "no PJRT plugin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := choose(fakeEnv(tc.env...), func() []string { return tc.plugins }, func() string { return tc.jax })
			if c.Config != tc.want || !strings.Contains(c.Reason, tc.reason) {
				t.Errorf("choice %+v, want %s because of %q", c, tc.want, tc.reason)
			}
		})
	}
}

func TestPureGoFallbackIsDeadlockFree(t *testing.T) {
	if GoConfig != "go:parallelism=-1" {
		t.Fatalf("pure Go runs as %q; only go:parallelism=-1 is known not to deadlock (../shared/DESIGN.md)", GoConfig)
	}
	b, made, err := newFrom(choose(fakeEnv(), func() []string { return nil }, func() string { return "" }), func() bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	defer b.Finalize()
	line := made.String()
	if !strings.HasPrefix(line, "go:parallelism=-1 (pure Go, ") || !strings.Contains(line, "no PJRT plugin") {
		t.Errorf("choice %q", line)
	}
	if strings.Contains(line, "without SIMD") != !SIMD {
		t.Errorf("the choice must say when the build lacks GOEXPERIMENT=simd: %q", line)
	}
	if made.GPU() || !made.CPU() {
		t.Errorf("pure Go reported as GPU: %+v", made)
	}
}

// TestInstalledCPUPluginIsChosen runs where `lab fetch-plugin` installed the plugin (make test sets
// LAB_XLA_CPU_PLUGIN to its path): the lab must choose it by itself and run on it, not fall back.
func TestInstalledCPUPluginIsChosen(t *testing.T) {
	path := os.Getenv("LAB_XLA_CPU_PLUGIN")
	if path == "" {
		t.Skip("LAB_XLA_CPU_PLUGIN unset: no installed XLA CPU plugin to check (make test sets it after lab fetch-plugin)")
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("LAB_XLA_CPU_PLUGIN: %v", err)
	}
	t.Setenv("GOMLX_BACKEND", "")
	os.Unsetenv("GOMLX_BACKEND")
	t.Setenv("CUDA_VISIBLE_DEVICES", "")
	b, made, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Finalize()
	if made.Config != "xla:cpu" || !strings.Contains(made.Reason, "XLA's CPU plugin") || !strings.Contains(made.Description, path) {
		t.Fatalf("with %s installed the lab chose %q; want xla:cpu running that file", path, made)
	}
	if !made.CPU() {
		t.Errorf("the CPU plugin reported as a GPU: %+v", made)
	}
	x := tensors.FromFlatDataAndDimensions([]float32{1, 2, 3, 4}, 2, 2)
	got, err := graph.ExecOnce(b, func(x *graph.Node) *graph.Node { return graph.MatMul(x, x) }, x)
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{7, 10, 15, 22}; !slices.Equal(tensors.MustCopyFlatData[float32](got), want) {
		t.Errorf("x·x on the plugin = %v, want %v", tensors.MustCopyFlatData[float32](got), want)
	}
}

func TestFindsJAXCUDAPlugin(t *testing.T) {
	site := t.TempDir()
	for _, v := range []string{"xla_cuda12", "xla_cuda13"} {
		dir := filepath.Join(site, "jax_plugins", v)
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "xla_cuda_plugin.so"), nil, 0o644)
	}
	t.Setenv("PYTHONPATH", site)
	got := jaxCUDAPlugin()
	want := filepath.Join(site, "jax_plugins", "xla_cuda13", "xla_cuda_plugin.so")
	if got != want {
		t.Fatalf("found %q, want the newest CUDA's plugin %q", got, want)
	}
}

func TestBadBackendIsAnErrorNotAPanic(t *testing.T) {
	t.Setenv("GOMLX_BACKEND", "nosuchbackend")
	if _, _, err := New(); err == nil || !strings.Contains(err.Error(), "nosuchbackend") {
		t.Fatalf("got %v", err)
	}
}

func TestBrokenPluginFallsBackToGo(t *testing.T) {
	site := t.TempDir()
	dir := filepath.Join(site, "jax_plugins", "xla_cuda13")
	os.MkdirAll(dir, 0o755)
	broken := filepath.Join(dir, "xla_cuda_plugin.so")
	os.WriteFile(broken, []byte("not a shared library"), 0o644)
	t.Setenv("GOMLX_BACKEND", "")
	os.Unsetenv("GOMLX_BACKEND")
	t.Setenv("CUDA_VISIBLE_DEVICES", "")
	os.Unsetenv("CUDA_VISIBLE_DEVICES")
	t.Setenv("PYTHONPATH", site)
	c := choose(os.LookupEnv, func() []string { return nil }, jaxCUDAPlugin)
	if c.Config != "xla:"+broken {
		t.Fatalf("the broken plugin should have been chosen first, got %+v", c)
	}
	b, made, err := newFrom(c, func() bool { return false })
	if err != nil {
		t.Fatalf("a broken plugin must fall back to pure Go, got %v", err)
	}
	defer b.Finalize()
	// The Choice returned is the one made: pure Go, saying why — not the CUDA plugin Choose found.
	if made.Config != GoConfig || made.GPU() || !strings.Contains(made.Reason, "failed") || !strings.Contains(made.Reason, "xla_cuda_plugin.so") {
		t.Errorf("after the fallback the choice is %+v; want %s, not a GPU, naming the failed plugin", made, GoConfig)
	}
}

// TestBrokenCUDAPluginFallsBackToTheCPUPlugin: CUDA → XLA CPU → pure Go holds after a failure too.
// Where no CPU plugin loads, the second step fails as well and the lab must still end on pure Go,
// saying both.
func TestBrokenCUDAPluginFallsBackToTheCPUPlugin(t *testing.T) {
	broken := filepath.Join(t.TempDir(), "xla_cuda_plugin.so")
	os.WriteFile(broken, []byte("not a shared library"), 0o644)
	c := Choice{Config: "xla:" + broken, Reason: "found JAX's CUDA PJRT plugin"}
	b, made, err := newFrom(c, func() bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	defer b.Finalize()
	if !strings.Contains(made.Reason, broken+" failed") || made.GPU() {
		t.Fatalf("choice %+v; want a CPU backend naming the failed CUDA plugin", made)
	}
	if FoundCPUPlugin() != "" {
		if made.Config != "xla:cpu" || !strings.Contains(made.Reason, "found XLA's CPU plugin") {
			t.Errorf("with XLA's CPU plugin installed, a failed CUDA plugin fell back to %+v", made)
		}
	} else if made.Config != GoConfig || !strings.Contains(made.Reason, "xla:cpu failed") {
		t.Errorf("without a CPU plugin the fallback must end on pure Go and say xla:cpu failed: %+v", made)
	}
}

func TestFindsJAXPluginBesideThePython3OnPath(t *testing.T) {
	venv := t.TempDir()
	os.MkdirAll(filepath.Join(venv, "bin"), 0o755)
	os.WriteFile(filepath.Join(venv, "bin", "python3"), []byte("#!/bin/sh\n"), 0o755)
	plugin := filepath.Join(venv, "lib", "python3.12", "site-packages", "jax_plugins", "xla_cuda13", "xla_cuda_plugin.so")
	os.MkdirAll(filepath.Dir(plugin), 0o755)
	os.WriteFile(plugin, nil, 0o644)
	t.Setenv("PATH", filepath.Join(venv, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("PYTHONPATH", "")
	t.Setenv("VIRTUAL_ENV", "")
	if got := jaxCUDAPlugin(); got != plugin {
		t.Fatalf("found %q, want %q", got, plugin)
	}
}

func TestXLAFlagsKeepTheUsersOwn(t *testing.T) {
	const det = " --xla_cpu_use_xnnpack=false --xla_cpu_experimental_xnn_fusion_type="
	for user, want := range map[string]string{
		"":                     "--xla_allow_excess_precision=false" + det,
		"--xla_dump_to=/tmp/d": "--xla_dump_to=/tmp/d --xla_allow_excess_precision=false" + det,
		"--xla_allow_excess_precision=true --xla_dump_to=/tmp/d": "--xla_allow_excess_precision=true --xla_dump_to=/tmp/d" + det,
		"--xla_cpu_use_xnnpack=true":                             "--xla_cpu_use_xnnpack=true --xla_allow_excess_precision=false --xla_cpu_experimental_xnn_fusion_type=",
	} {
		if got := xlaFlags(user); got != want {
			t.Errorf("xlaFlags(%q) = %q, want %q", user, got, want)
		}
	}
	// Speed over repeatability, when asked for: XNNPACK stays.
	t.Setenv("LAB_NONDETERMINISTIC", "1")
	if got := xlaFlags(""); got != "--xla_allow_excess_precision=false" {
		t.Errorf("with LAB_NONDETERMINISTIC: %q", got)
	}
}

func TestDeterministic(t *testing.T) {
	t.Setenv("XLA_FLAGS", xlaFlags(""))
	for config, want := range map[string]bool{"go": true, "go:parallelism=-1": true, "xla:cpu": true, "xla:cuda": false} {
		if got := (Choice{Config: config}).Deterministic(); got != want {
			t.Errorf("%s: Deterministic() = %v, want %v", config, got, want)
		}
	}
	t.Setenv("XLA_FLAGS", "--xla_cpu_use_xnnpack=true")
	if (Choice{Config: "xla:cpu"}).Deterministic() {
		t.Error("xla:cpu with XNNPACK said it repeats")
	}
}

// The CPU plugin's device count is not the machine's CPUs: the description says the CPUs instead;
// a CUDA plugin's count is its GPUs and stays.
func TestXLADescriptionSaysTheCPUs(t *testing.T) {
	cpu := xlaDescription("xla:cpu - PJRT plugin (cpu) v0.90 [4 device(s)]", "xla:cpu", 2)
	if cpu != "PJRT plugin (cpu) v0.90, 2 CPUs" {
		t.Errorf("CPU plugin: %q", cpu)
	}
	byPath := xlaDescription("xla:/opt/p/pjrt_c_api_cpu_plugin.so - PJRT plugin (/opt/p/pjrt_c_api_cpu_plugin.so) v0.90 [4 device(s)]", "xla:/opt/p/pjrt_c_api_cpu_plugin.so", 16)
	if byPath != "PJRT plugin (/opt/p/pjrt_c_api_cpu_plugin.so) v0.90, 16 CPUs" {
		t.Errorf("CPU plugin by path: %q", byPath)
	}
	if gpu := xlaDescription("xla:cuda - PJRT plugin (cuda) v0.90 [2 device(s)]", "xla:cuda", 2); gpu != "PJRT plugin (cuda) v0.90 [2 device(s)]" {
		t.Errorf("CUDA plugin: %q", gpu)
	}
}
