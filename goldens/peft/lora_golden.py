"""Goldens for LoRA and BitFit on CLIP's towers: HF peft wraps a reference tiny CLIP
(<reference>/clip-tiny-random) with LoRA on the vision tower's q_proj and v_proj (lora/), or on
the text tower's (lora-text/, the pattern the lab's text-tower LoRA writes), and computes CLIP's
logits, a cross-entropy loss and the gradient of every LoRA matrix. lora_B is set to small random
values (peft starts it at zero, which would hide the adapter path from the forward pass). The
adapters are saved with save_pretrained, so the Go test also checks that it reads PEFT's own files.
bitfit-text/ is BitFit on the text tower with transformers alone (peft has no BitFit): every bias
of text_model trainable, the rest frozen, and the same loss's gradient of each. With the captions
as the classes, logits_per_image is the classifier the lab's text-tower strategies train.

The argument picks the reference: "project" (goldens/reference, the default; what runs on every
clone) or "shared" (../shared/reference beside the repository, the held-out check).
The shared goldens were made with torch 2.15 and transformers 4.46.3; the project's with Debian's
torch 1.13 and transformers 4.40.2:

    /usr/bin/python3 -m venv --system-site-packages /tmp/goldensvenv   # Debian's python3-torch 1.13
    /tmp/goldensvenv/bin/pip install transformers==4.40.2 safetensors 'numpy<2' accelerate==0.34.2
    /tmp/goldensvenv/bin/pip install --no-deps peft==0.13.2   # its accelerate>=1 would pull torch 2
    /tmp/goldensvenv/bin/python goldens/peft/lora_golden.py project
    /tmp/goldensvenv/bin/python goldens/peft/lora_golden.py shared lora-text bitfit-text

The shared reference's text-tower goldens (lora-text, bitfit-text) were made with the project's
versions (torch 1.13, transformers 4.40.2, peft 0.13.2), its vision one with the newer ones.

Writes lab/peft/testdata/<reference>/{lora,lora-text}/: adapter_config.json,
adapter_model.safetensors, and .npy files; and lab/peft/testdata/<reference>/bitfit-text/.
"""
import json
import os
import sys

import numpy as np
import peft
import torch
import transformers
from peft import LoraConfig, get_peft_model
from transformers import CLIPModel

os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))  # paths relative to the repository, as PEFT records them
which = sys.argv[1] if len(sys.argv) > 1 else "project"
roots = {"project": os.path.join("goldens", "reference"), "shared": os.path.join("..", "shared", "reference")}
if which not in roots:
    sys.exit(f"{os.path.basename(__file__)}: unknown reference {which!r}: want project or shared")
ref = os.path.join(roots[which], "clip-tiny-random")
ids = torch.from_numpy(np.load(ref + "/inputs/input_ids.npy")).long()
pixels = torch.from_numpy(np.load(ref + "/inputs/pixel_values.npy")).float()
labels = torch.arange(pixels.shape[0]) % ids.shape[0]


def golden(name, target_modules=None, bitfit=None):
    """One golden: LoRA on target_modules (saved as an adapter), or BitFit on the biases under
    the prefix bitfit; the logits, loss and every trainable parameter's gradient."""
    out = os.path.join("lab", "peft", "testdata", which, name)
    os.makedirs(out, exist_ok=True)
    base = CLIPModel.from_pretrained(ref, attn_implementation="eager").eval()
    if target_modules is not None:
        cfg = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, bias="none", target_modules=target_modules)
        model = get_peft_model(base, cfg)
        with torch.no_grad():
            g = torch.Generator().manual_seed(1)
            for pname, p in model.named_parameters():
                if "lora_B" in pname:
                    p.copy_(torch.randn(p.shape, generator=g) * 0.05)
        model.save_pretrained(out)
        os.remove(out + "/README.md")  # peft's model-card stub
    else:
        model = base
        for pname, p in model.named_parameters():
            p.requires_grad_(pname.startswith(bitfit) and pname.endswith(".bias"))

    res = model(input_ids=ids, pixel_values=pixels)

    def save(fname, t):
        np.save(out + "/" + fname + ".npy", np.ascontiguousarray(t.detach().numpy(), dtype=np.float32))

    loss = torch.nn.functional.cross_entropy(res.logits_per_image, labels)
    loss.backward()

    save("image_embeds", res.image_embeds)
    save("logits_per_image", res.logits_per_image)
    save("loss", loss.reshape(()))
    grads = []
    for pname, p in model.named_parameters():
        if p.requires_grad:
            # base_model.model.vision_model.encoder.layers.0.self_attn.q_proj.lora_A.default.weight
            short = pname.removeprefix("base_model.model.").replace(".default", "")
            save("grad__" + short, p.grad)
            grads.append(short)
    with open(out + "/golden.json", "w") as f:
        json.dump({"labels": labels.tolist(), "grads": grads, "peft": peft.__version__,
                   "transformers": transformers.__version__, "torch": torch.__version__}, f, indent=1)
    print(name, "loss", loss.item(), "grads", len(grads))


# Further arguments pick some of the goldens (e.g. the text-tower ones alone, for a reference whose
# vision golden was made with other versions); none makes them all.
todo = sys.argv[2:] or ["lora", "lora-text", "bitfit-text"]
torch.manual_seed(0)
if "lora" in todo:
    golden("lora", target_modules=r".*vision_model.*\.(q_proj|v_proj)")
if "lora-text" in todo:
    golden("lora-text", target_modules=r"text_model\..*\.(q_proj|v_proj)")
if "bitfit-text" in todo:
    golden("bitfit-text", bitfit="text_model.")
