#!/usr/bin/env bash
# Runs on the lent GPU machine as ONE command (see docs/benchmarks.md), from the repository root with
# .gpu/ carried: parity tests on CUDA with TF32 off, `lab bench` against PyTorch eager on the same
# card, full-size HF goldens against ours. Every step is time-boxed so the whole fits in ~9 minutes,
# and a failing step does not stop the next. GPU_RUN_DRY=1 runs the same steps on this CPU with toy
# sizes, to check the script before spending device time.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
OUT=${OUT:-$(mktemp -d)}; mkdir -p "$OUT"
log=$OUT/run.log
bench=$OUT/bench.jsonl
exec > >(tee -a "$log") 2>&1
step() { local secs=$1; shift; echo "=== $* (≤${secs}s) $(date -u +%T)"; timeout "$secs" "$@"; echo "=== exit $?"; }

work=$(mktemp -d)
tar -C "$work" -xJf .gpu/bin.tar.xz
bin=$work/bin
# The test binaries look for ../shared/reference beside the go.mod above their working directory.
mkdir -p ../shared && cp -rn .gpu/reference ../shared/ 2>/dev/null || true

py=${PYTHON:-python3}
if [ -n "${GPU_RUN_DRY:-}" ]; then
  limit=(--limit 8 --layers 1); pylimit=(--limit 8 --layers 1); export GOMLX_BACKEND=${GOMLX_BACKEND:-go:parallelism=-1}
  py=${PYTHON:-/opt/pytorch-pypi/bin/python}
else
  nvidia-smi || true
  limit=(); pylimit=()
  plugin=$("$py" -c 'import glob,site,sys; m=sorted(glob.glob(p) for p in [s+"/jax_plugins/xla_cuda*/xla_cuda_plugin.so" for s in site.getsitepackages()]); print(sorted(sum(m,[]))[-1])' 2>/dev/null)
  echo "CUDA plugin: ${plugin:-not found}"
  # tf32=false: XLA on Hopper would otherwise run f32 dots in TF32, and parity means f32.
  [ -n "$plugin" ] && export GOMLX_BACKEND="xla:$plugin,tf32=false"
fi
echo "GOMLX_BACKEND=${GOMLX_BACKEND:-}"

# 1. Parity on the device (tiny references), the lab choosing its own backend, then with TF32 off.
(cd lab/distilbert && step 90 env -u GOMLX_BACKEND "$bin/distilbert.test" -test.count=1 -test.run 'Parity|Reference|Golden' -test.v) | tail -40 > "$OUT/parity-auto.log"
(cd lab/distilbert && step 90 "$bin/distilbert.test" -test.count=1 -test.v) > "$OUT/parity-distilbert.log" 2>&1
(cd lab/clip && step 90 "$bin/clip.test" -test.count=1 -test.v) > "$OUT/parity-clip.log" 2>&1
# LoRA and prompt learning against peft's goldens (the CLIP ones skip: clip-tiny-random is not carried).
(cd lab/peft && step 60 "$bin/peft.test" -test.count=1 -test.run 'Parity|StartsAt' -test.v) > "$OUT/parity-peft.log" 2>&1
tail -n 3 "$OUT"/parity-*.log

# 2. lab bench on the device.
for w in corpus finetune clip zeroshot; do
  args=("${limit[@]}"); [ "$w" = clip ] && args=(--batch "${CLIP_BATCH:-512}" --batches 3 "${limit[@]/--limit*/}")
  [ -n "${GPU_RUN_DRY:-}" ] && [ "$w" = clip ] && args=(--batch 2 --batches 1 --layers 1)
  step 150 "$bin/lab" bench "$w" "${args[@]}" --json "$bench"
  if "$bin/lab" bench --help 2>&1 | grep -q -- '--dtype' && [ "$w" = clip ]; then
    step 120 "$bin/lab" bench clip "${args[@]}" --dtype bfloat16 --json "$bench"
  fi
done

# 3. PyTorch eager, same card.
step 200 "$py" goldens/bench/pytorch_suite.py "${pylimit[@]}" --json "$bench"

# 4. Full-size goldens from HF on the device, then ours against them.
gold=$work/goldens
step 120 "$py" goldens/bench/hf_full_goldens.py "$gold" && cp "$gold/provenance.json" "$OUT/goldens-provenance.json"
(cd lab/cmd/lab && LAB_FULL_GOLDENS=$gold step 150 "$bin/cmdlab.test" -test.count=1 -test.run FullSize -test.v) > "$OUT/fullsize.log" 2>&1
cat "$OUT/fullsize.log"
rm -rf "$work"
echo "gpu-run: done; results in $OUT"
