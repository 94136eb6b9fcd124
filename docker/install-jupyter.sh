#!/usr/bin/env bash
# Installs JupyterLab and the lab's kernels (CPU, and CUDA with --cuda). Needs Go and python3.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python3 -m pip install --no-cache-dir "jupyterlab==4.*"
"$root/kernels/install.sh" "$@"
