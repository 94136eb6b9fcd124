#!/usr/bin/env bash
# What CI can check of the Docker image without Docker or a GPU: the scripts parse, the kernels
# install (CPU and CUDA), the CUDA PJRT plugin the image installs is a real PJRT plugin, and the lab,
# finding it on a machine without a GPU, falls back to the pure-Go backend instead of dying.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
for s in docker/*.sh kernels/install.sh; do bash -n "$s"; done

data=$(mktemp -d)
JUPYTER_DATA_DIR=$data kernels/install.sh --cuda >/dev/null
python3 - "$data" <<'PY'
import json, shutil, sys
for k, backend in (("go-lab-cpu", "go:parallelism=-1"), ("go-lab-cuda", "xla:cuda,preallocate=false")):
    spec = json.load(open(f"{sys.argv[1]}/kernels/{k}/kernel.json"))
    assert spec["env"]["GOMLX_BACKEND"] == backend and spec["env"]["GOEXPERIMENT"] == "simd", spec
    # GoNB runs go and goimports, and gopls for completion and hover, from the kernel's PATH.
    for tool in ("go", "goimports", "gopls"):
        assert shutil.which(tool, path=spec["env"]["PATH"]), f"{tool} is not on {k}'s PATH"
print("docker/check: kernelspecs ok (go, goimports and gopls on their PATH)")
PY

site=$(docker/install-pjrt-cuda.sh --check)
GOEXPERIMENT=simd go build -o "$data/lab" ./lab/cmd/lab
# The banner (stdout) says which backend runs and why: after the CUDA plugin failed, pure Go.
out=$(env -u GOMLX_BACKEND PYTHONPATH="$site" "$data/lab" ex1 --demo --samples 1 2>/dev/null)
backend=$(grep -m1 '^backend ' <<<"$out" || true)
grep -q "xla:$site/jax_plugins/xla_cuda13/xla_cuda_plugin.so failed" <<<"$backend" || { echo "docker/check: the lab did not try the CUDA plugin: $backend" >&2; exit 1; }
grep -q "^backend go:parallelism=-1 " <<<"$backend" || { echo "docker/check: no fallback to pure Go: $backend" >&2; exit 1; }
echo "docker/check: the CUDA plugin is found, and without a GPU the lab falls back to pure Go"
rm -rf "$data" "$(dirname "$site")"
echo "docker/check: 3 passed, 0 failed"
