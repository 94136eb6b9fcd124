#!/bin/sh
# A student's server starting on Kubernetes (values.yaml's postStart hook), as her, in her volume:
# the notebooks and the module they build on into ~/translab once (never over her edits), her own
# copies of the lab's kernelspecs with GoNB's log in her home (the image's are not hers to write),
# and her TMPDIR. deploy/hub/jupyterhub_config.py does the same on one server.
set -eu
src=${TRANSLAB_SRC:-/lab}
if [ ! -e "$HOME/translab" ]; then
  mkdir -p "$HOME/translab.new"
  cp -r "$src/go.mod" "$src/go.sum" "$src/lab" "$src/data" "$src/notebooks" "$HOME/translab.new/"
  mv "$HOME/translab.new" "$HOME/translab"
fi
system=${TRANSLAB_KERNELS:-/opt/venv/share/jupyter/kernels}
for spec in "$system"/go-lab-*; do
  [ -f "$spec/kernel.json" ] || continue
  mine="$HOME/.local/share/jupyter/kernels/$(basename "$spec")"
  mkdir -p "$mine"
  sed "s|$spec/gonb.log|$mine/gonb.log|g" "$spec/kernel.json" > "$mine/.kernel.json.tmp"
  mv "$mine/.kernel.json.tmp" "$mine/kernel.json"
done
mkdir -p "${TMPDIR:-$HOME/.cache/tmp}"
