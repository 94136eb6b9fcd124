#!/usr/bin/env bash
# Installs JAX's CUDA PJRT plugin, which GoMLX's XLA backend runs on NVIDIA GPUs, with the CUDA
# libraries it needs, into the python3 on PATH. The lab finds it there by itself (lab/backend).
#
#   docker/install-pjrt-cuda.sh           # install (the Dockerfile runs this)
#   docker/install-pjrt-cuda.sh --check   # download the plugin only, check it is a PJRT plugin, and
#                                         # print the site directory it unpacked to (CI runs this)
set -euo pipefail
version=${JAX_VERSION:-0.11.2}   # the JAX of the lab's GPU machines (jax-cuda13-pjrt 0.11.2)

if [ "${1:-}" = "--check" ]; then
  dir=$(mktemp -d)
  python3 -m pip download --no-deps -q "jax-cuda13-pjrt==$version" -d "$dir"
  python3 - "$dir" <<'PY'
import glob, sys, zipfile
d = sys.argv[1]
zipfile.ZipFile(glob.glob(d + "/*.whl")[0]).extractall(d + "/site")
PY
  so=$(find "$dir/site" -name xla_cuda_plugin.so | head -1)
  [ -n "$so" ] || { echo "install-pjrt-cuda: no xla_cuda_plugin.so in jax-cuda13-pjrt $version" >&2; exit 1; }
  nm -D "$so" | grep ' T GetPjrtApi' >/dev/null || { echo "install-pjrt-cuda: $so exports no GetPjrtApi" >&2; exit 1; }
  echo "$dir/site"
  exit 0
fi
python3 -m pip install --no-cache-dir "jax[cuda13]==$version"
