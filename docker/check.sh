#!/usr/bin/env bash
# What CI can check of the Docker image without Docker or a GPU: the scripts parse, the kernels
# install (CPU and CUDA), the CUDA PJRT plugin the image installs is a real PJRT plugin, and the lab,
# finding it on a machine without a GPU, falls back to XLA's CPU plugin or the pure-Go backend
# instead of dying.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
for s in docker/*.sh kernels/install.sh; do bash -n "$s"; done

data=$(mktemp -d)
JUPYTER_DATA_DIR=$data kernels/install.sh --cuda
python3 - "$data" <<'PY'
import json, shutil, sys
kernels = sys.argv[1] + "/kernels"
cpu = json.load(open(f"{kernels}/go-lab-cpu/kernel.json"))["env"]
# The CPU kernel leaves the choice to the lab (XLA's CPU plugin, else pure Go) with the GPUs hidden.
assert "GOMLX_BACKEND" not in cpu and cpu["CUDA_VISIBLE_DEVICES"] == "" and cpu["GOEXPERIMENT"] == "simd", cpu
cuda = json.load(open(f"{kernels}/go-lab-cuda/kernel.json"))["env"]
assert cuda["GOMLX_BACKEND"] == "xla:cuda,preallocate=false" and cuda["GOEXPERIMENT"] == "simd", cuda
for k in ("go-lab-cpu", "go-lab-cuda"):
    # GoNB logs to a file beside kernel.json, and only its fatal errors to Jupyter's terminal.
    argv, log = json.load(open(f"{kernels}/{k}/kernel.json"))["argv"], f"{kernels}/{k}/gonb.log"
    for flag in ("-logtostderr=false", "-stderrthreshold=FATAL", f"-log_file={log}", f"-extra_log={log}"):
        assert flag in argv, f"{k}: {flag} is not in {argv}"
for k, env in (("go-lab-cpu", cpu), ("go-lab-cuda", cuda)):
    # GoNB runs go and goimports, and gopls for completion and hover, from the kernel's PATH.
    for tool in ("go", "goimports", "gopls"):
        assert shutil.which(tool, path=env["PATH"]), f"{tool} is not on {k}'s PATH"
print("docker/check: kernelspecs ok (GoNB logs to a file; go, goimports and gopls on their PATH)")
PY

# Without a GPU the CUDA plugin fails to start, and the lab goes down its order instead of dying: to
# XLA's CPU plugin when one is installed (make test-xla-cpu put one in .cache/pjrt), else to pure Go.
# Each case gets its own plugin directory, the only one go-xla then searches.
echo "docker/check: downloading JAX's CUDA PJRT plugin (pip download jax-cuda13-pjrt) to check it"
site=$(.ci/heartbeat "pip download jax-cuda13-pjrt" docker/install-pjrt-cuda.sh --check)
GOEXPERIMENT=simd go build -o "$data/lab" ./lab/cmd/lab
passed=1
fallback() { # plugin directory, the backend expected after the CUDA plugin fails
  local out
  out=$(env -u GOMLX_BACKEND -u CUDA_VISIBLE_DEVICES PJRT_PLUGIN_LIBRARY_PATH="$1" PYTHONPATH="$site" "$data/lab" ex1 --demo --samples 1 2>/dev/null | grep '^backend ' || true)
  grep -q "xla:$site/jax_plugins/xla_cuda13/xla_cuda_plugin.so failed" <<<"$out" || { echo "docker/check: the lab did not try the CUDA plugin: $out" >&2; exit 1; }
  grep -q "^backend $2 " <<<"$out" || { echo "docker/check: no fallback to $2: $out" >&2; exit 1; }
  echo "docker/check: the CUDA plugin is found, and without a GPU the lab falls back to $2"
  passed=$((passed + 1))
}
mkdir "$data/no-plugins"
fallback "$data/no-plugins" "go:parallelism=-1"
if [ -f "$root/.cache/pjrt/pjrt_c_api_cpu_plugin.so" ]; then
  fallback "$root/.cache/pjrt" "xla:cpu"
else
  echo "docker/check: no XLA CPU plugin in .cache/pjrt (make test-xla-cpu installs it): the fallback to it is not checked"
fi
rm -rf "$data" "$(dirname "$site")"
echo "docker/check: $passed passed, 0 failed"
