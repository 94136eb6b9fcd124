# The lab on an NVIDIA GPU: Go, JupyterLab, GoNB with the lab's kernels ("Go · lab (CPU)" and
# "Go · lab (CUDA)"), JAX's CUDA PJRT plugin, XLA's CPU PJRT plugin, and the notebooks. The steps live in scripts that CI
# runs too (docker/check.sh); this file only orders them.
#
#   docker build -t translab .
#   docker run --gpus all -p 8888:8888 -v $HOME/.cache/huggingface:/root/.cache/huggingface translab
FROM nvidia/cuda:13.0.1-cudnn-runtime-ubuntu24.04

ARG GO_VERSION=1.26.8
# libc6-dev: gcc without its recommends has no C headers, and the lab builds with cgo (found by
# docker/rootfs-build.sh: "grp.h: No such file or directory" in runtime/cgo).
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        ca-certificates curl git make gcc libc6-dev python3 python3-pip python3-venv binutils && \
    rm -rf /var/lib/apt/lists/* && \
    curl -fsSL https://go.dev/dl/go${GO_VERSION}.linux-amd64.tar.gz | tar -C /usr/local -xz
# The module cache outside /root, so that a server run as another user (Zero to JupyterHub's
# uid 1000, deploy/k8s/) reads the modules; the same for the kernels' tools and kernelspecs below.
ENV PATH=/usr/local/go/bin:/root/go/bin:/opt/venv/bin:$PATH \
    GOEXPERIMENT=simd \
    GOMODCACHE=/opt/go/mod
RUN python3 -m venv /opt/venv

WORKDIR /lab
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# XLA's CPU plugin goes to go-xla's system directory, where the lab (and the CPU kernel) find it for
# any user; on a GPU the CUDA plugin comes first.
RUN docker/install-pjrt-cuda.sh && \
    make plugin PLUGIN_DIR=/usr/local/lib/go-xla && \
    GOBIN=/usr/local/bin JUPYTER_DATA_DIR=/opt/venv/share/jupyter docker/install-jupyter.sh --cuda && \
    chmod -R a+rX /opt/go /lab

EXPOSE 8888
CMD ["jupyter", "lab", "--ip=0.0.0.0", "--port=8888", "--allow-root", "--no-browser", "notebooks/"]
