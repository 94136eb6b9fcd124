"""Goldens for lab/train: two HF-Trainer optimizer steps on a reference tiny DistilBERT.

What HF's Trainer does per step (transformers 4.40, optim "adamw_torch"): mean cross-entropy,
backward, clip_grad_norm_(1.0), torch.optim.AdamW with HF's decay grouping, then the linear
schedule's scheduler.step(). The model is in eval mode so dropout is off and the step is
deterministic. The schedule here is warm-up 0, total 4, so step 1 runs at lr 5e-5 and step 2 at
3.75e-5: the Go side computes the lr inside the graph from its step counter, and this covers it.

word_embeddings is stored as the rows the batch touches (plus row 0, the pad row, which gets
decay only) and their indices, to keep the files small; every other parameter is stored whole.

The argument picks the reference: "project" (goldens/reference, the default; what runs on every
clone) or "shared" (../shared/reference beside the repository, the held-out check). The goldens go to
lab/train/testdata/<that name>/.

    /usr/bin/python3 -m venv --system-site-packages /tmp/goldensvenv   # Debian's python3-torch 1.13
    /tmp/goldensvenv/bin/pip install transformers==4.40.2 safetensors 'numpy<2'
    /tmp/goldensvenv/bin/python goldens/train/adamw_step.py project
    /tmp/goldensvenv/bin/python goldens/train/adamw_step.py shared
"""
import json
import os
import sys

import numpy as np
import torch
import transformers
from safetensors.torch import save_file
from transformers import DistilBertForSequenceClassification, get_linear_schedule_with_warmup
from transformers.pytorch_utils import ALL_LAYERNORM_LAYERS
from transformers.trainer_pt_utils import get_parameter_names

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
which = sys.argv[1] if len(sys.argv) > 1 else "project"
roots = {"project": os.path.join(REPO, "goldens", "reference"), "shared": os.path.join(REPO, "..", "shared", "reference")}
if which not in roots:
    sys.exit(f"adamw_step.py: unknown reference {which!r}: want project or shared")
ref = os.path.join(roots[which], "distilbert-tiny-random")
out = os.path.join(REPO, "lab", "train", "testdata", which)
os.makedirs(out, exist_ok=True)
LR, WD, WARMUP, TOTAL = 5e-5, 0.01, 0, 4

torch.manual_seed(0)
model = DistilBertForSequenceClassification.from_pretrained(ref).eval()
ids = torch.from_numpy(np.load(os.path.join(ref, "inputs", "pad_input_ids.npy")))
mask = torch.from_numpy(np.load(os.path.join(ref, "inputs", "pad_attention_mask.npy")))
labels = torch.from_numpy(np.load(os.path.join(ref, "inputs", "pad_labels.npy")))

# Trainer.create_optimizer, verbatim in substance.
decay = get_parameter_names(model, ALL_LAYERNORM_LAYERS)
decay = [n for n in decay if "bias" not in n]
groups = [
    {"params": [p for n, p in model.named_parameters() if n in decay and p.requires_grad], "weight_decay": WD},
    {"params": [p for n, p in model.named_parameters() if n not in decay and p.requires_grad], "weight_decay": 0.0},
]
opt = torch.optim.AdamW(groups, lr=LR, betas=(0.9, 0.999), eps=1e-8)
sched = get_linear_schedule_with_warmup(opt, WARMUP, TOTAL)

rows = torch.unique(torch.cat([ids.flatten(), torch.tensor([0])])).sort().values
wname = "distilbert.embeddings.word_embeddings.weight"
meta = {"torch": torch.__version__, "transformers": transformers.__version__,
        "lr": LR, "weight_decay": WD, "warmup": WARMUP, "total": TOTAL,
        "no_decay": sorted(n for n, _ in model.named_parameters() if n not in decay), "steps": []}
for step in (1, 2):
    loss = torch.nn.functional.cross_entropy(model(input_ids=ids, attention_mask=mask).logits, labels)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    lr = opt.param_groups[0]["lr"]
    opt.step()
    sched.step()
    opt.zero_grad()
    tensors = {}
    for n, p in model.named_parameters():
        p = p.detach()
        tensors[n] = p[rows].contiguous() if n == wname else p.contiguous()
    tensors[wname + ".rows"] = rows.to(torch.int64).contiguous()
    save_file(tensors, os.path.join(out, f"adamw_step{step}.safetensors"))
    meta["steps"].append({"loss": loss.item(), "grad_norm": norm.item(), "lr": lr})

# The schedule's lr for t = 0..total, as the Trainer reads it before each scheduler.step().
probe = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR)
probe_sched = get_linear_schedule_with_warmup(probe, 3, 10)
values = []
for t in range(12):
    values.append(probe.param_groups[0]["lr"])
    probe.step()
    probe_sched.step()
meta["schedule"] = {"lr": LR, "warmup": 3, "total": 10, "values": values}
with open(os.path.join(out, "adamw_steps.json"), "w") as f:
    json.dump(meta, f, indent=1)
print(json.dumps(meta["steps"]))
