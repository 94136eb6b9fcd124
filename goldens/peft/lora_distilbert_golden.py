"""Golden for LoRA on DistilBERT sequence classification as HF peft does it (task_type SEQ_CLS:
LoRA on q_lin and v_lin, the classification head trained whole and saved with the adapter as
modules_to_save). A reference tiny DistilBERT (<reference>/distilbert-tiny-random) is
wrapped; lora_B and the saved head are set to random values so that both matter; the adapter is
saved with save_pretrained and the logits of the reference's padded batch are written.

The argument picks the reference: "project" (goldens/reference, the default; what runs on every
clone) or "shared" (../shared/reference beside the repository, the held-out check).
The shared goldens were made with torch 2.15 and transformers 4.46.3; the project's with Debian's
torch 1.13 and transformers 4.40.2:

    /usr/bin/python3 -m venv --system-site-packages /tmp/goldensvenv   # Debian's python3-torch 1.13
    /tmp/goldensvenv/bin/pip install transformers==4.40.2 safetensors 'numpy<2' accelerate==0.34.2
    /tmp/goldensvenv/bin/pip install --no-deps peft==0.13.2   # its accelerate>=1 would pull torch 2
    /tmp/goldensvenv/bin/python goldens/peft/lora_distilbert_golden.py project

Writes lab/peft/testdata/<reference>/lora-distilbert/.
"""
import json
import os
import sys

import numpy as np
import peft
import torch
import transformers
from peft import LoraConfig, TaskType, get_peft_model
from transformers import DistilBertForSequenceClassification

os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))  # paths relative to the repository, as PEFT records them
which = sys.argv[1] if len(sys.argv) > 1 else "project"
roots = {"project": os.path.join("goldens", "reference"), "shared": os.path.join("..", "shared", "reference")}
if which not in roots:
    sys.exit(f"{os.path.basename(__file__)}: unknown reference {which!r}: want project or shared")
ref = os.path.join(roots[which], "distilbert-tiny-random")
out = os.path.join("lab", "peft", "testdata", which, "lora-distilbert")
os.makedirs(out, exist_ok=True)

torch.manual_seed(0)
base = DistilBertForSequenceClassification.from_pretrained(ref).eval()
cfg = LoraConfig(task_type=TaskType.SEQ_CLS, r=4, lora_alpha=8, lora_dropout=0.1, target_modules=["q_lin", "v_lin"])
model = get_peft_model(base, cfg).eval()
with torch.no_grad():
    g = torch.Generator().manual_seed(2)
    for name, p in model.named_parameters():
        if "lora_B" in name or "modules_to_save" in name:
            p.add_(torch.randn(p.shape, generator=g) * 0.05)
model.save_pretrained(out)
os.remove(out + "/README.md")  # peft's model-card stub

ids = torch.from_numpy(np.load(ref + "/inputs/pad_input_ids.npy")).long()
mask = torch.from_numpy(np.load(ref + "/inputs/pad_attention_mask.npy")).long()
with torch.no_grad():
    logits = model(input_ids=ids, attention_mask=mask).logits
np.save(out + "/logits.npy", np.ascontiguousarray(logits.numpy(), dtype=np.float32))
with open(out + "/golden.json", "w") as f:
    json.dump({"peft": peft.__version__, "transformers": transformers.__version__, "torch": torch.__version__}, f, indent=1)
print("logits", logits.shape)
