"""Checks that LoRA adapters the lab saved load in Python with PeftModel.from_pretrained, and
writes the logits peft computes with them, which the Go test compares with the lab's.

The adapters are lab/peft/testdata/project/lab-lora-{text,both}/ (LoRA on the text tower's q_proj
and v_proj under the pattern the lab's text-tower strategy writes, and on both towers'), written by
the lab's own Save:

    LAB_WRITE_PEFT_ADAPTERS=1 GOEXPERIMENT=simd go test -run TestLabAdapterInPEFT ./lab/peft/
    /tmp/goldensvenv/bin/python goldens/peft/lab_adapter_check.py

(the venv of goldens/peft/lora_golden.py: Debian's torch 1.13, transformers 4.40.2, peft 0.13.2).
Each adapter must load with every tensor of its file in place (a key PEFT does not expect would be
dropped with a warning only, so the values are compared here), and it must change the logits.
Writes logits_per_image.npy and golden.json beside each adapter.
"""
import json
import os
import sys

import numpy as np
import peft
import torch
import transformers
from peft import PeftModel
from safetensors.torch import load_file
from transformers import CLIPModel

os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
ref = os.path.join("goldens", "reference", "clip-tiny-random")
ids = torch.from_numpy(np.load(ref + "/inputs/input_ids.npy")).long()
pixels = torch.from_numpy(np.load(ref + "/inputs/pixel_values.npy")).float()
base = CLIPModel.from_pretrained(ref, attn_implementation="eager").eval()
with torch.no_grad():
    plain = base(input_ids=ids, pixel_values=pixels).logits_per_image.clone()

for name in ["lab-lora-text", "lab-lora-both"]:
    d = os.path.join("lab", "peft", "testdata", "project", name)
    model = PeftModel.from_pretrained(CLIPModel.from_pretrained(ref, attn_implementation="eager"), d).eval()
    params = dict(model.named_parameters())
    saved = load_file(os.path.join(d, "adapter_model.safetensors"))
    for key, value in saved.items():
        # base_model.model.text_model….q_proj.lora_A.weight → ….lora_A.default.weight in the model
        inside = key.replace(".lora_A.weight", ".lora_A.default.weight").replace(".lora_B.weight", ".lora_B.default.weight")
        if inside not in params or not torch.equal(params[inside].detach(), value):
            sys.exit(f"{d}: {key} did not load into PeftModel as saved")
    lora = [n for n in params if "lora_" in n]
    if len(lora) != len(saved):
        sys.exit(f"{d}: PeftModel has {len(lora)} LoRA tensors, the file {len(saved)}")
    with torch.no_grad():
        logits = model(input_ids=ids, pixel_values=pixels).logits_per_image
    change = (logits - plain).abs().max().item()
    if change < 1e-3:
        sys.exit(f"{d}: the adapter changes the logits by only {change}")
    np.save(os.path.join(d, "logits_per_image.npy"), np.ascontiguousarray(logits.numpy(), dtype=np.float32))
    with open(os.path.join(d, "golden.json"), "w") as f:
        json.dump({"tensors": len(saved), "peft": peft.__version__, "transformers": transformers.__version__,
                   "torch": torch.__version__}, f, indent=1)
    print(f"{d}: PeftModel.from_pretrained loaded {len(saved)} tensors; logits moved by up to {change:.3g}")
