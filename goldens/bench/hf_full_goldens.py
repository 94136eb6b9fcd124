"""Full-size goldens from real HF transformers: DistilBertForSequenceClassification (DistilBertConfig()
defaults, 2 labels) and CLIPModel (openai/clip-vit-base-patch16's configuration, written out below so
nothing is downloaded), seeded random weights, saved in HF format with fixed inputs and their outputs.
`LAB_FULL_GOLDENS=DIR go test -run FullSize ./lab/cmd/lab` (or .gpu/cmdlab.test) compares ours.

    python3 goldens/bench/hf_full_goldens.py OUT_DIR            # CUDA when present, TF32 off
    /opt/pytorch-pypi/bin/python goldens/bench/hf_full_goldens.py OUT_DIR --device cpu
"""
import argparse
import json
import os

import numpy as np
import torch
from transformers import CLIPConfig, CLIPModel, DistilBertConfig, DistilBertForSequenceClassification

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
a = p.parse_args()
# The goldens are the f32 reference: TF32 would round matmul inputs to 10 mantissa bits.
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
dev = torch.device(a.device)

CLIP_B16 = {  # openai/clip-vit-base-patch16 config.json, the fields that shape the model
    "projection_dim": 512, "logit_scale_init_value": 2.6592,
    "text_config": {"vocab_size": 49408, "hidden_size": 512, "intermediate_size": 2048, "num_hidden_layers": 12,
                    "num_attention_heads": 8, "max_position_embeddings": 77, "hidden_act": "quick_gelu",
                    "layer_norm_eps": 1e-5, "bos_token_id": 49406, "eos_token_id": 49407, "pad_token_id": 1,
                    "projection_dim": 512},
    "vision_config": {"hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12, "num_attention_heads": 12,
                      "image_size": 224, "patch_size": 16, "num_channels": 3, "hidden_act": "quick_gelu",
                      "layer_norm_eps": 1e-5, "projection_dim": 512},
}


def save(name, x):
    np.save(os.path.join(a.out, name), x.detach().float().cpu().numpy() if torch.is_tensor(x) else x)


os.makedirs(a.out, exist_ok=True)
torch.manual_seed(0)
cfg = DistilBertConfig(num_labels=2)
bert = DistilBertForSequenceClassification(cfg).eval().to(dev)
bert.save_pretrained(os.path.join(a.out, "distilbert"), safe_serialization=True)
g = np.random.default_rng(0)
ids = g.integers(1000, 30000, size=(3, 24)).astype(np.int64)
ids[:, 0], ids[:, -1] = 101, 102
mask = np.ones_like(ids)
ids[2, 15:], mask[2, 15:] = 0, 0  # one padded row: the mask must matter
ids[2, 14] = 102
with torch.no_grad():
    t_ids, t_mask = torch.from_numpy(ids).to(dev), torch.from_numpy(mask).to(dev)
    hidden = bert.distilbert(input_ids=t_ids, attention_mask=t_mask).last_hidden_state
    logits = bert(input_ids=t_ids, attention_mask=t_mask).logits
save("distilbert_input_ids.npy", ids)
save("distilbert_attention_mask.npy", mask)
save("distilbert_last_hidden_state.npy", hidden)
save("distilbert_logits.npy", logits)

torch.manual_seed(1)
clip = CLIPModel(CLIPConfig(**CLIP_B16)).eval().to(dev)
clip.save_pretrained(os.path.join(a.out, "clip"), safe_serialization=True)
pixels = g.standard_normal((2, 3, 224, 224)).astype(np.float32)
text = np.full((3, 10), 49407, dtype=np.int64)  # padded with end-of-text, as CLIP's tokenizer does
for i, words in enumerate([[320, 1125, 539, 320, 2368], [320, 1125, 539, 320, 1929, 269], [1237, 539]]):
    text[i, 0], text[i, 1:1 + len(words)] = 49406, words
with torch.no_grad():
    out = clip(input_ids=torch.from_numpy(text).to(dev), pixel_values=torch.from_numpy(pixels).to(dev))
save("clip_pixel_values.npy", pixels)
save("clip_input_ids.npy", text)
save("clip_image_embeds.npy", out.image_embeds)
save("clip_text_embeds.npy", out.text_embeds)
name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu"
json.dump({"device": name, "torch": torch.__version__, "transformers": __import__("transformers").__version__, "tf32": False},
          open(os.path.join(a.out, "provenance.json"), "w"), indent=1)
print(f"hf_full_goldens: wrote {a.out} on {name} (torch {torch.__version__})")
