#!/usr/bin/env bash
# The Dockerfile's steps, run without Docker or a registry: a Debian root made by debootstrap from the
# Debian archive stands in for the FROM image, and the Dockerfile's own ARG, ENV, WORKDIR, COPY and RUN
# lines are replayed in it with chroot, in order, as `docker build` would run them. Then the image is
# checked as a student's server would use it: as a user other than root (Zero to JupyterHub's uid
# 1000), the kernels are there, jupyterhub-singleuser and nbgrader are the pinned ones, and notebook
# 01 runs on the CPU kernel with nbconvert.
#
#   docker/rootfs-build.sh [ROOT]      # as root; ROOT defaults to /srv/translab-rootfs
#
# Stand-ins, each printed as it is used (the README says the same):
#   FROM nvidia/cuda:...-ubuntu24.04 → Debian 12 (bookworm) minbase from deb.debian.org: Docker Hub and
#     the Ubuntu archive are not reachable here; no CUDA libraries.
#   curl https://go.dev/dl/go$V.linux-amd64.tar.gz → the same release from the Go module proxy
#     (golang.org/toolchain@v0.0.1-go$V.linux-amd64, what Go's own toolchain switch downloads), when
#     go.dev cannot be reached.
#   the host's CA bundle is copied in before each step (a network that intercepts TLS needs its CA).
#   docker/install-pjrt-cuda.sh → its --check (JAX's CUDA PJRT plugin downloaded and checked to be a
#     PJRT plugin); the CUDA libraries it installs (gigabytes) are not.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
root=${1:-/srv/translab-rootfs}
[ "$(id -u)" = 0 ] || { echo "rootfs-build: run as root (debootstrap and chroot)" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "rootfs-build: debootstrap is needed (apt-get install debootstrap)" >&2; exit 1; }
say() { echo "rootfs-build: $*"; }

if [ ! -x "$root/usr/bin/apt-get" ]; then
  say "FROM: Debian bookworm (minbase) by debootstrap into $root, standing in for the Dockerfile's CUDA image"
  debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >/dev/null
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
mounted=()
for d in proc sys dev dev/pts; do
  mountpoint -q "$root/$d" || { mount --bind "/$d" "$root/$d"; mounted=("$root/$d" "${mounted[@]}"); }
done
cleanup() { for m in "${mounted[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" || true; done; }
trap cleanup EXIT

declare -A args=()
envs=() workdir=/
expand() { # the Dockerfile's ${NAME} from its ARGs
  local s=$1 k
  for k in "${!args[@]}"; do s=${s//\$\{$k\}/${args[$k]}}; s=${s//\$$k/${args[$k]}}; done
  printf '%s' "$s"
}
run_in_root() { # the command, with the ENV so far, in WORKDIR
  local envline=""
  # A network that intercepts TLS (as where this was written) has its own CA in the host's bundle:
  # the root gets the host's bundle before each step (the apt step's ca-certificates rewrites it).
  if [ -s /etc/ssl/certs/ca-certificates.crt ]; then
    mkdir -p "$root/etc/ssl/certs" && cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
    envline="export SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt PIP_CERT=/etc/ssl/certs/ca-certificates.crt; "
  fi
  for e in "${envs[@]}"; do envline+="export $e; "; done
  chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    /bin/bash -ec "$envline mkdir -p '$workdir' && cd '$workdir' && $1"
}

# The Dockerfile's instructions, continuation lines joined, comments dropped.
mapfile -t steps < <(sed -e '/^[[:space:]]*#/d' "$repo/Dockerfile" | sed -e ':a' -e '/\\$/N; s/\\\n//; ta' | grep -v '^[[:space:]]*$')
for step in "${steps[@]}"; do
  op=${step%% *} rest=${step#* }
  rest=$(sed -e 's/^[[:space:]]*//' <<<"$rest")
  case $op in
    FROM) say "FROM $rest: stood in for by the Debian root" ;;
    ARG) args[${rest%%=*}]=${rest#*=}; say "ARG $rest" ;;
    ENV)
      # NAME=value pairs; $PATH and the like are expanded in the root at each RUN.
      read -ra pairs <<<"$rest"
      for p in "${pairs[@]}"; do envs+=("$p"); done
      say "ENV $rest" ;;
    WORKDIR) workdir=$rest; say "WORKDIR $rest" ;;
    COPY)
      read -ra parts <<<"$rest"
      dest=${parts[-1]}; [ "${dest:0:1}" = / ] || dest=$workdir/$dest
      mkdir -p "$root$dest"
      for src in "${parts[@]:0:${#parts[@]}-1}"; do
        if [ "$src" = . ]; then
          # What the build context holds: the checkout's files that git tracks or would track.
          (cd "$repo" && git ls-files -co --exclude-standard -z | xargs -0 -I{} cp --parents -a {} "$root$dest/" 2>/dev/null || true)
        else
          cp -a "$repo/$src" "$root$dest/"
        fi
      done
      say "COPY $rest" ;;
    RUN)
      cmd=$(expand "$rest")
      if grep -q 'https://go.dev/dl/' <<<"$cmd" && ! curl -fsS -o /dev/null --max-time 10 https://go.dev/dl/ 2>/dev/null; then
        v=${args[GO_VERSION]}
        say "go.dev is not reachable: Go $v from the Go module proxy (golang.org/toolchain@v0.0.1-go$v.linux-amd64) instead"
        zip=$(mktemp)
        curl -fsSL -o "$zip" "https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-go$v.linux-amd64.zip"
        rm -rf "$root/usr/local/go" && mkdir -p "$root/usr/local/go"
        python3 - "$zip" "$root/usr/local/go" <<'PY'
import os, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
for i in z.infolist():
    # golang.org/toolchain@v0.0.1-go<V>.linux-amd64/<the Go tree>
    parts = i.filename.split("/", 2)
    name = parts[2] if len(parts) == 3 else ""
    if not name or name.endswith("/"):
        continue
    out = os.path.join(sys.argv[2], name)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "wb") as f:
        f.write(z.read(i))
    mode = (i.external_attr >> 16) & 0o777
    os.chmod(out, mode or 0o644)
PY
        rm -f "$zip"
        cmd=$(sed -e 's#&& *\\\?[[:space:]]*curl -fsSL https://go.dev/dl/[^|]*| *tar -C /usr/local -xz##' <<<"$cmd")
        cmd=$(sed -e 's#curl -fsSL https://go.dev/dl/[^|]*| *tar -C /usr/local -xz#true#' <<<"$cmd")
      fi
      if grep -q 'docker/install-pjrt-cuda.sh &&' <<<"$cmd"; then
        say "docker/install-pjrt-cuda.sh: its --check only (the plugin downloaded and checked; the CUDA libraries, gigabytes, not installed)"
        cmd=$(sed -e 's#docker/install-pjrt-cuda.sh &&#docker/install-pjrt-cuda.sh --check >/dev/null \&\&#' <<<"$cmd")
      fi
      say "RUN $cmd"
      t=$(date +%s)
      run_in_root "$cmd"
      say "  done in $(($(date +%s) - t)) s" ;;
    EXPOSE|CMD|ENTRYPOINT|LABEL) say "$op $rest: (metadata, nothing to run)" ;;
    *) echo "rootfs-build: Dockerfile instruction $op is not replayed here" >&2; exit 1 ;;
  esac
done

# The image as a student's server uses it: as uid 1000, not root.
say "checking the result as uid 1000 (Zero to JupyterHub's user)"
run_in_root "id -u student >/dev/null 2>&1 || useradd -m -u 1000 student"
cat > "$root/tmp/check-as-student.sh" <<'SH'
set -eu
export HOME=/home/student
jupyterhub-singleuser --version | grep -qx 6.1.1 || { echo "jupyterhub-singleuser is not 6.1.1" >&2; exit 1; }
python3 -c 'import nbgrader, jupyterlab; print("nbgrader", nbgrader.__version__, "jupyterlab", jupyterlab.__version__)'
jupyter kernelspec list | grep -E "go-lab-(cpu|cuda)"
rm -rf /tmp/s && mkdir -p /tmp/s && cp -r /lab/go.mod /lab/go.sum /lab/lab /lab/data /lab/notebooks /tmp/s/
sh /lab/deploy/k8s/first-login.sh   # her kernelspecs (GoNB logs in her home), as on Kubernetes
LAB_DEMO=1 GOPROXY=off TMPDIR=/tmp/s jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=1200 \
  --output-dir /tmp/s/out /tmp/s/notebooks/01_sentiment_baseline.ipynb
grep -q "Confusion matrix" /tmp/s/out/01_sentiment_baseline.ipynb
echo "notebook 01 ran as uid $(id -u)"
SH
run_in_root "runuser -u student -- bash /tmp/check-as-student.sh"
say "passed: the Dockerfile's steps ran in $root (stand-ins above)"
