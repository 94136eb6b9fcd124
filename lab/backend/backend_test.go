package backend

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestChooseHonoursGOMLX_BACKEND(t *testing.T) {
	t.Setenv("GOMLX_BACKEND", "go:ops_sequential")
	c := Choose()
	if c.Config != "go:ops_sequential" || !strings.Contains(c.Reason, "GOMLX_BACKEND") {
		t.Fatalf("got %+v", c)
	}
}

func TestChooseDefaultsToDeadlockFreeGo(t *testing.T) {
	t.Setenv("GOMLX_BACKEND", "")
	os.Unsetenv("GOMLX_BACKEND")
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", t.TempDir()) // no plugins there
	t.Setenv("PYTHONPATH", "")
	t.Setenv("VIRTUAL_ENV", "")
	t.Setenv("HOME", t.TempDir())
	if jaxCUDAPlugin() != "" || hasSystemPlugin() {
		t.Skip("this machine has a PJRT plugin installed; the pure-Go default cannot be observed here")
	}
	c := Choose()
	if c.Config != "go:parallelism=-1" {
		t.Fatalf("default backend %q, want go:parallelism=-1", c.Config)
	}
	b, made, err := New()
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

func hasSystemPlugin() bool {
	for _, dir := range []string{"/usr/local/lib/go-xla"} {
		if m, _ := filepath.Glob(filepath.Join(dir, "pjrt_c_api_*_plugin.so")); len(m) > 0 {
			return true
		}
	}
	return false
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
	os.WriteFile(filepath.Join(dir, "xla_cuda_plugin.so"), []byte("not a shared library"), 0o644)
	t.Setenv("GOMLX_BACKEND", "")
	os.Unsetenv("GOMLX_BACKEND")
	t.Setenv("PYTHONPATH", site)
	if c := Choose(); !c.GPU() {
		t.Fatalf("the broken plugin should have been chosen first, got %+v", c)
	}
	b, made, err := New()
	if err != nil {
		t.Fatalf("a broken plugin must fall back to pure Go, got %v", err)
	}
	defer b.Finalize()
	// The Choice returned is the one made: pure Go, saying why — not the CUDA plugin Choose found.
	if made.Config != GoConfig || made.GPU() || !strings.Contains(made.Reason, "failed") || !strings.Contains(made.Reason, "xla_cuda_plugin.so") {
		t.Errorf("after the fallback the choice is %+v; want %s, not a GPU, naming the failed plugin", made, GoConfig)
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
