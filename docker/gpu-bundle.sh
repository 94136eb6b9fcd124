#!/usr/bin/env bash
# Builds here what docker/gpu-run.sh runs on a lent GPU machine, which has no Go toolchain: the lab
# and the parity test binaries (stripped, xz-compressed: the run tool carries 64 MiB at most) and
# the small reference data. clip-tiny-random (45 MB of random weights, incompressible) stays out;
# the full-size CLIP goldens made there cover CLIP's parity on the device instead.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export GOEXPERIMENT=simd CGO_ENABLED=1
out=.gpu
rm -rf "$out" && mkdir -p "$out/bin" "$out/reference/tokenizers"
go build -ldflags='-s -w' -o "$out/bin/lab" ./lab/cmd/lab
for p in distilbert clip peft; do go test -c -ldflags='-s -w' -o "$out/bin/$p.test" "./lab/$p"; done
go test -c -ldflags='-s -w' -o "$out/bin/cmdlab.test" ./lab/cmd/lab
tar -C "$out" -cJf "$out/bin.tar.xz" bin && rm -rf "$out/bin"
ref=${REFERENCE:-../shared/reference}
cp -r "$ref/distilbert-tiny-random" "$out/reference/"
cp "$ref/tokenizers/clip-tokenizer.json" "$out/reference/tokenizers/" 2>/dev/null || true
chmod -R u+w "$out"
du -sh "$out"
