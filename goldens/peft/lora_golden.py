"""Golden for LoRA: HF peft wraps the reference tiny CLIP (../shared/reference/clip-tiny-random) with
LoRA on the vision tower's q_proj and v_proj, and computes CLIP's logits, a cross-entropy loss and
the gradient of every LoRA matrix. lora_B is set to small random values (peft starts it at zero,
which would hide the adapter path from the forward pass). The adapter is saved with
save_pretrained, so the Go test also checks that it reads PEFT's own files.

    /opt/pytorch-pypi/bin/pip install peft==0.13.2
    /opt/pytorch-pypi/bin/python goldens/peft/lora_golden.py   # torch 2.15, transformers 4.46.3

Writes lab/peft/testdata/lora/: adapter_config.json, adapter_model.safetensors, and .npy files.
"""
import json
import os

import numpy as np
import peft
import torch
import transformers
from peft import LoraConfig, get_peft_model
from transformers import CLIPModel

ref = "../shared/reference/clip-tiny-random"
out = "lab/peft/testdata/lora"
os.makedirs(out, exist_ok=True)

torch.manual_seed(0)
base = CLIPModel.from_pretrained(ref, attn_implementation="eager").eval()
cfg = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, bias="none",
                 target_modules=r".*vision_model.*\.(q_proj|v_proj)")
model = get_peft_model(base, cfg)
with torch.no_grad():
    g = torch.Generator().manual_seed(1)
    for name, p in model.named_parameters():
        if "lora_B" in name:
            p.copy_(torch.randn(p.shape, generator=g) * 0.05)
model.save_pretrained(out)
os.remove(out + "/README.md")  # peft's model-card stub

ids = torch.from_numpy(np.load(ref + "/inputs/input_ids.npy")).long()
pixels = torch.from_numpy(np.load(ref + "/inputs/pixel_values.npy")).float()
res = model(input_ids=ids, pixel_values=pixels)
def save(name, t):
    np.save(out + "/" + name + ".npy", np.ascontiguousarray(t.detach().numpy(), dtype=np.float32))


labels = torch.arange(pixels.shape[0]) % ids.shape[0]
loss = torch.nn.functional.cross_entropy(res.logits_per_image, labels)
loss.backward()

save("image_embeds", res.image_embeds)
save("logits_per_image", res.logits_per_image)
save("loss", loss.reshape(()))
grads = []
for name, p in model.named_parameters():
    if p.requires_grad:
        # base_model.model.vision_model.encoder.layers.0.self_attn.q_proj.lora_A.default.weight
        short = name.removeprefix("base_model.model.").replace(".default", "")
        save("grad__" + short, p.grad)
        grads.append(short)
with open(out + "/golden.json", "w") as f:
    json.dump({"labels": labels.tolist(), "grads": grads, "peft": peft.__version__,
               "transformers": transformers.__version__, "torch": torch.__version__}, f, indent=1)
print("loss", loss.item(), "grads", len(grads))
