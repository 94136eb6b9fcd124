"""Golden for LoRA on DistilBERT sequence classification as HF peft does it (task_type SEQ_CLS:
LoRA on q_lin and v_lin, the classification head trained whole and saved with the adapter as
modules_to_save). The reference tiny DistilBERT (../shared/reference/distilbert-tiny-random) is
wrapped; lora_B and the saved head are set to random values so that both matter; the adapter is
saved with save_pretrained and the logits of the reference's padded batch are written.

    /opt/pytorch-pypi/bin/pip install peft==0.13.2
    /opt/pytorch-pypi/bin/python goldens/peft/lora_distilbert_golden.py   # torch 2.15, transformers 4.46.3

Writes lab/peft/testdata/lora-distilbert/.
"""
import json
import os

import numpy as np
import peft
import torch
import transformers
from peft import LoraConfig, TaskType, get_peft_model
from transformers import DistilBertForSequenceClassification

ref = "../shared/reference/distilbert-tiny-random"
out = "lab/peft/testdata/lora-distilbert"
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
