#!/usr/bin/env bash
# Installs JupyterLab and the lab's kernels (CPU, and CUDA with --cuda). Needs Go and python3.
# The Python side is the class server's pinned set (deploy/hub/requirements.txt): JupyterLab, and
# JupyterHub's single-user server and nbgrader, so that the image also serves Zero to JupyterHub.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python3 -m pip install --no-cache-dir -r "$root/deploy/hub/requirements.txt"
"$root/kernels/install.sh" "$@"
