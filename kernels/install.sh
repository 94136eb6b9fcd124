#!/usr/bin/env bash
# Installs the lab's Jupyter kernels: builds GoNB and goimports from this module's pinned versions and
# gopls (GoNB's completion and hover) at the version pinned below, into $GOBIN (default
# $(go env GOPATH)/bin), and registers "Go · lab (CPU)" — and "Go · lab (CUDA)" when asked with
# --cuda — under $JUPYTER_DATA_DIR/kernels (default ~/.local/share/jupyter/kernels).
#
#   kernels/install.sh            # CPU kernel
#   kernels/install.sh --cuda     # CPU and CUDA kernels
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

go=$(command -v go) || { echo "kernels/install.sh: go is not on PATH (Go 1.26+ is needed)" >&2; exit 1; }
gobin=${GOBIN:-$(go env GOPATH)/bin}
mkdir -p "$gobin"
# From inside the module, so that the versions pinned in go.mod are the ones built. Quick when they
# are built already (go install reuses the build cache); a minute or more on a fresh machine, so it
# says so, and .ci/heartbeat keeps saying it until the build ends.
echo "kernels/install.sh: go install GoNB and goimports into $gobin"
GOBIN=$gobin GOEXPERIMENT=simd "$root/.ci/heartbeat" "go install GoNB and goimports" \
  go install github.com/janpfeifer/gonb golang.org/x/tools/cmd/goimports
# gopls is its own module, not a dependency of the lab: installed at an exact version from outside this
# module (no go.work, no GOFLAGS such as -mod or -modfile). v0.23.0 is the newest gopls for Go 1.26
# (v0.24.0 needs Go 1.27). Without gopls GoNB logs "Program gopls is not installed" at every kernel
# start, and has no completion or hover. Kept when already there at that version: `go install @version`
# asks the proxy about deprecation each time, so a reinstall would fail offline.
gopls_version=v0.23.0
if [ "$(go version -m "$gobin/gopls" 2>/dev/null | awk '$1 == "mod" {print $3}')" != "$gopls_version" ]; then
  echo "kernels/install.sh: go install gopls@$gopls_version into $gobin (a few minutes the first time)"
  (cd / && GOBIN=$gobin GOFLAGS= GOWORK=off GOEXPERIMENT=simd "$root/.ci/heartbeat" "go install gopls" \
    go install "golang.org/x/tools/gopls@$gopls_version")
fi

data=${JUPYTER_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/jupyter}
# GoNB needs go, goimports and gopls on PATH; Jupyter starts kernels with a bare environment.
# LAB_MODULE names this repository: a notebook opened outside it (a student's copy in a home folder,
# an nbgrader submission) finds the lab module there.
path="$gobin:$(dirname "$go"):/usr/local/bin:/usr/bin:/bin"

# GoNB's log goes to gonb.log beside each kernel.json, and only its fatal errors to the terminal
# Jupyter runs in. Logging to stderr (GoNB's default) fills that terminal at every kernel start and
# stop: klog's info lines, "Could not parse Jupyter KernelId" (nbconvert's connection files), a
# goroutine dump when it kills gopls, "gopls failed with: signal: killed". Errors cannot be kept on
# the terminal either: GoNB v0.11.5 logs a test line "E... Error message" at every start (its
# setUpKlog receives a nil *os.File as a non-nil io.Writer); only GoNB can fix that one. The log file
# is appended to: look there when the kernel misbehaves.
install_kernel() { # name, display name, then the kernel's own environment as "NAME": "value" lines
  local dir="$data/kernels/$1"
  mkdir -p "$dir"
  local tmp log="$dir/gonb.log"
  tmp=$(mktemp "$dir/.kernel.json.XXXXXX")
  cat > "$tmp" <<JSON
{
  "argv": ["$gobin/gonb", "--kernel", "{connection_file}",
    "-logtostderr=false", "-stderrthreshold=FATAL", "-log_file=$log", "-extra_log=$log"],
  "display_name": "$2",
  "language": "go",
  "interrupt_mode": "message",
  "env": {
    "GOEXPERIMENT": "simd",
    "LAB_MODULE": "$root",
    $3
    "PATH": "$path"
  }
}
JSON
  chmod 644 "$tmp" # mktemp's 0600 would hide the kernel from every other user of a shared install
  mv "$tmp" "$dir/kernel.json"
  cp "$root/kernels/logo-64x64.png" "$dir/" 2>/dev/null || true
  echo "installed kernel \"$2\" in $dir (GoNB's log: $log)"
}

# The CPU kernel lets the lab choose its backend as the CLI does — XLA's CPU plugin when installed
# (make kernels installs it), else pure Go in its deadlock-free configuration — and hides the GPUs
# (CUDA_VISIBLE_DEVICES=""), so that on a GPU machine it still runs on the CPU.
install_kernel go-lab-cpu "Go · lab (CPU)" '"CUDA_VISIBLE_DEVICES": "",'
if [ "${1:-}" = "--cuda" ]; then
  install_kernel go-lab-cuda "Go · lab (CUDA)" '"GOMLX_BACKEND": "xla:cuda,preallocate=false",'
fi
