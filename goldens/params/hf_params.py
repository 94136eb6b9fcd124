"""Goldens for the parameter tables (weights.Table) of lab/distilbert and lab/clip: what HF derives
from module types for the two tiny models of a reference.

For every parameter of DistilBertForSequenceClassification and CLIPModel built from the reference
configs: its name, shape, the type of the module that owns it (Linear, LayerNorm, Embedding, Conv2d,
or another class for a bare nn.Parameter) and whether Trainer.get_decay_parameter_names decays it
(every parameter except those of LayerNorm modules and those whose name contains "bias").

The argument picks the reference: "project" (goldens/reference, the default) or "shared"
(../shared/reference beside the repository, the held-out check); the golden goes to
lab/train/testdata/<that name>/hf_params.json.

    /usr/bin/python3 -m venv --system-site-packages /tmp/hfvenv   # Debian's python3-torch 1.13
    /tmp/hfvenv/bin/pip install transformers==4.40.2
    /tmp/hfvenv/bin/python goldens/params/hf_params.py project
    /tmp/hfvenv/bin/python goldens/params/hf_params.py shared
"""
import json
import os
import sys

import torch
import transformers
from transformers import CLIPConfig, CLIPModel, DistilBertConfig, DistilBertForSequenceClassification, Trainer

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
which = sys.argv[1] if len(sys.argv) > 1 else "project"
roots = {"project": os.path.join(REPO, "goldens", "reference"), "shared": os.path.join(REPO, "..", "shared", "reference")}
if which not in roots:
    sys.exit(f"hf_params.py: unknown reference {which!r}: want project or shared")
ref = roots[which]
out = os.path.join(REPO, "lab", "train", "testdata", which, "hf_params.json")
os.makedirs(os.path.dirname(out), exist_ok=True)


def describe(model):
    decay = set(Trainer.get_decay_parameter_names(None, model))
    params = []
    for name, p in model.named_parameters():
        owner = model.get_submodule(name.rsplit(".", 1)[0]) if "." in name else model
        params.append({"name": name, "shape": list(p.shape), "module": type(owner).__name__, "decay": name in decay})
    return params


golden = {"torch": torch.__version__, "transformers": transformers.__version__, "models": {}}
# Models built from the configs alone (random weights, never read): only shapes and types count.
golden["models"]["distilbert-tiny-random"] = describe(
    DistilBertForSequenceClassification(DistilBertConfig.from_pretrained(os.path.join(ref, "distilbert-tiny-random"))))
golden["models"]["clip-tiny-random"] = describe(CLIPModel(CLIPConfig.from_pretrained(os.path.join(ref, "clip-tiny-random"))))
with open(out, "w") as f:  # one parameter a line
    f.write('{"torch": %s, "transformers": %s, "models": {' % (json.dumps(golden["torch"]), json.dumps(golden["transformers"])))
    for i, (model, params) in enumerate(golden["models"].items()):
        f.write("%s\n %s: [\n  " % ("," if i else "", json.dumps(model)))
        f.write(",\n  ".join(json.dumps(p) for p in params))
        f.write("\n ]")
    f.write("\n}}\n")
print({k: len(v) for k, v in golden["models"].items()})
