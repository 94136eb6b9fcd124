#!/usr/bin/env bash
# Sets up a class server for the lab, as root, once (and again after `git pull`: every step that is
# done already is skipped or redone quickly). Then deploy/hub/start.sh runs the hub.
#
#   deploy/hub/setup.sh            # CPU; the CUDA kernel too when nvidia-smi sees a GPU
#   TRANSLAB_DEMO=1 deploy/hub/setup.sh   # no HF hub: the notebooks run on the embedded demo
#
# What it makes (the paths are the defaults; the environment variables move them):
#   $TRANSLAB_PREFIX (/opt/translab)   venv/ (JupyterHub, JupyterLab, nbgrader), proxy/ (configurable-
#                                      http-proxy), bin/ (lab, gonb, goimports, gopls), pjrt/ (XLA's CPU
#                                      plugin), src/ (the lab's module and notebooks: each student's
#                                      ~/translab is copied from it at first login)
#   $TRANSLAB_SHARED (/srv/translab)   the shared caches, filled here once and read-only for students:
#                                      go/mod (Go modules), go/build (Go's build cache, hard-linked into
#                                      each student's own), cache/huggingface/hub (HF_HUB_CACHE),
#                                      cache/translab (LAB_SHARED_CACHE: demo fixtures, features, embeddings)
#   $TRANSLAB_EXCHANGE (/srv/nbgrader/exchange)   nbgrader's exchange, world-writable with the sticky bit
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
prefix=${TRANSLAB_PREFIX:-/opt/translab}
shared=${TRANSLAB_SHARED:-/srv/translab}
exchange=${TRANSLAB_EXCHANGE:-/srv/nbgrader/exchange}
course=${TRANSLAB_COURSE:-translab}
# The notebooks run once here, as the teacher, to fill the shared caches (02 trains: leave it to the
# students, or add it when the server has the time).
warm=${TRANSLAB_WARM:-01 03}
python=${TRANSLAB_PYTHON:-/usr/bin/python3}
chp_version=5.3.0
say() { echo "hub/setup: $*"; }

[ "$(id -u)" = 0 ] || { echo "hub/setup: run as root (it installs for every user and makes the shared folders)" >&2; exit 1; }
go=$(command -v go) || { echo "hub/setup: go is not on PATH (Go 1.26+ is needed)" >&2; exit 1; }
command -v npm >/dev/null || { echo "hub/setup: npm is not on PATH (configurable-http-proxy comes from npm: apt-get install npm)" >&2; exit 1; }
cuda=
if [ "${1:-}" = "--cuda" ] || { [ "${1:-}" != "--cpu" ] && nvidia-smi -L >/dev/null 2>&1; }; then cuda=--cuda; fi
umask 022
mkdir -p "$prefix" "$shared/go/mod" "$shared/go/build" "$shared/cache"

# Students run everything below as themselves: nothing may live under /root (mode 700), so the venv
# is made from the system's python3, not a per-user one (pyenv and the like).
if [ ! -x "$prefix/venv/bin/python" ]; then
  say "python venv in $prefix/venv"
  "$python" -m venv "$prefix/venv"
fi
if ! cmp -s "$root/deploy/hub/requirements.txt" "$prefix/venv/.translab-requirements.txt"; then
  say "pip install -r deploy/hub/requirements.txt (JupyterHub, JupyterLab, nbgrader; pinned)"
  "$prefix/venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/deploy/hub/requirements.txt"
  cp "$root/deploy/hub/requirements.txt" "$prefix/venv/.translab-requirements.txt"
fi
if [ ! -x "$prefix/proxy/node_modules/.bin/configurable-http-proxy" ]; then
  say "npm install configurable-http-proxy@$chp_version"
  npm install --silent --no-audit --no-fund --prefix "$prefix/proxy" "configurable-http-proxy@$chp_version"
fi

# Go: the modules into the shared module cache (students build offline from it, GOPROXY=off), the
# kernels' tools and the lab's CLI into $prefix/bin, and the kernelspecs into the venv, whence the
# hub copies each student's own (with GoNB's log in her home).
# The tools build with root's own Go caches (quick when built before); the module cache students
# read is filled from root's (file://, no network for what is there) and the Go proxy for the rest.
export GOEXPERIMENT=simd GOTOOLCHAIN=local
GOBIN=$prefix/bin JUPYTER_DATA_DIR=$prefix/venv/share/jupyter "$root/kernels/install.sh" $cuda
(cd "$root" && go build -o "$prefix/bin/lab" ./lab/cmd/lab)
mine=$(go env GOMODCACHE)
(cd "$root" && GOMODCACHE=$shared/go/mod GOPROXY="file://$mine/cache/download,$(go env GOPROXY)" GOSUMDB=off \
  "$root/.ci/heartbeat" "go mod download" go mod download)
export GOMODCACHE=$shared/go/mod GOCACHE=$shared/go/build
PJRT_PLUGIN_LIBRARY_PATH=$prefix/pjrt "$prefix/bin/lab" fetch-plugin --dir "$prefix/pjrt" ||
  say "no XLA CPU plugin (PyPI unreachable?): the kernels run on the pure-Go backend"
if [ -n "$cuda" ] && [ -x "$root/docker/install-pjrt-cuda.sh" ]; then
  PATH=$prefix/venv/bin:$PATH "$root/docker/install-pjrt-cuda.sh" ||
    say "JAX's CUDA PJRT plugin did not install: the CUDA kernel will fall back to the CPU"
fi

# The template of each student's ~/translab: the module (the notebooks' first cell needs it one
# folder above them) and the notebooks, replaced as a whole so that a removed file goes too.
say "the lab's module and notebooks into $prefix/src"
tmp=$(mktemp -d "$prefix/.src.XXXXXX")
(cd "$root" && cp -r go.mod go.sum lab data notebooks README.md "$tmp/")
chmod -R a+rX "$tmp"
rm -rf "$prefix/src.old"; [ -d "$prefix/src" ] && mv "$prefix/src" "$prefix/src.old"
mv "$tmp" "$prefix/src" && rm -rf "$prefix/src.old"

# JupyterLab's defaults for the class: no "get notified about Jupyter news?" question to forty
# students, and every cell of a notebook rendered (JupyterLab 4 renders only the cells in view by
# default, so the browser's search and the browser test would miss the others; the notebooks are short).
mkdir -p "$prefix/venv/share/jupyter/lab/settings"
cat > "$prefix/venv/share/jupyter/lab/settings/overrides.json" <<'JSON'
{
  "@jupyterlab/apputils-extension:notification": {"checkForUpdates": false, "fetchNews": "false"},
  "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"}
}
JSON

# nbgrader: the exchange where students fetch and submit, and the course every server belongs to.
mkdir -p "$exchange" && chmod 1777 "$exchange"
mkdir -p "$prefix/venv/etc/jupyter"
cat > "$prefix/venv/etc/jupyter/nbgrader_config.py" <<PY
# Written by deploy/hub/setup.sh: every student's nbgrader uses the class's exchange and course.
c = get_config()  # noqa
c.Exchange.root = "$exchange"
c.CourseDirectory.course_id = "$course"
PY

# The shared caches, filled as the teacher: the models and datasets from the HF hub (not in the
# demo), then the notebooks executed once, which caches their features and embeddings and fills Go's
# build cache with the lab's dependencies, compiled as GoNB compiles them.
export XDG_CACHE_HOME=$shared/cache HF_HUB_CACHE=$shared/cache/huggingface/hub
if [ "${TRANSLAB_DEMO:-}" != 1 ]; then
  say "lab fetch: the models and datasets of the notebooks into $HF_HUB_CACHE"
  "$prefix/bin/lab" fetch distilbert-base-uncased openai/clip-vit-base-patch16 \
    datasets/cornell-movie-review-data/rotten_tomatoes datasets/Sijuade/ImageNette \
    datasets/slegroux/tiny-imagenet-200-clean datasets/timm/eurosat-rgb
  export HF_HUB_OFFLINE=1
else
  export LAB_DEMO=1
fi
run=$(mktemp -d)
cp -r "$prefix/src/." "$run/"
for n in $warm; do
  nb=$(ls "$run"/notebooks/"$n"_*.ipynb)
  say "running $(basename "$nb") once to fill the shared caches"
  TMPDIR=$run PJRT_PLUGIN_LIBRARY_PATH=$prefix/pjrt JUPYTER_DATA_DIR=$prefix/venv/share/jupyter \
    PATH=$prefix/bin:$prefix/venv/bin:$PATH "$root/.ci/heartbeat" "execute $(basename "$nb")" \
    "$prefix/venv/bin/jupyter" nbconvert --to notebook --execute --ExecutePreprocessor.timeout=1800 \
    --output-dir "$run/out" "$nb" >/dev/null
done
rm -rf "$run"
chmod -R a+rX "$shared"
say "done: deploy/hub/start.sh runs the hub"
