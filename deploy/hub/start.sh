#!/usr/bin/env bash
# Runs the class's hub in the foreground (as root: it starts each student's server as her), after
# deploy/hub/setup.sh. The settings are jupyterhub_config.py's TRANSLAB_* variables, e.g.
#
#   TRANSLAB_BIND_URL=http://:8000 TRANSLAB_GROUP=students TRANSLAB_ADMINS=teacher deploy/hub/start.sh
#
# Put it behind HTTPS (a reverse proxy, or JupyterHub's ssl_cert/ssl_key) before students log in
# with their passwords from outside the server.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
prefix=${TRANSLAB_PREFIX:-/opt/translab}
[ -x "$prefix/venv/bin/jupyterhub" ] || { echo "hub/start: no JupyterHub in $prefix/venv: run deploy/hub/setup.sh first" >&2; exit 1; }
state=${TRANSLAB_STATE:-/var/lib/translab-hub}
mkdir -p "$state" && chmod 700 "$state"
cd "$state"
export TRANSLAB_PREFIX=$prefix
exec "$prefix/venv/bin/jupyterhub" -f "$here/jupyterhub_config.py" "$@"
