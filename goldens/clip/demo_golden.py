"""Golden for the CLIP demo model: HF transformers loads data/demo-clip (written by this project:
config.json, model.safetensors, tokenizer.json) and computes text embeddings of the class prompts
and image embeddings of pixel values made by numpy (no image processor involved). The Go test
compares its own, checking the export and the byte-level BPE tokenizer end to end.

    python3 -m venv --system-site-packages /tmp/goldensvenv   # Debian's python3-torch 1.13
    /tmp/goldensvenv/bin/pip install transformers==4.40.2 safetensors 'numpy<2'
    /tmp/goldensvenv/bin/python goldens/clip/demo_golden.py
"""
import json
import numpy as np
import torch
import transformers
from transformers import CLIPModel, PreTrainedTokenizerFast

d = "data/demo-clip"
texts = ["a photo of a red circle.", "a photo of a green square.", "a photo of a blue triangle.",
         "a photo of a yellow ring.", "", "Ünïcode, CAPS & punctuation!!"]
tok = PreTrainedTokenizerFast(tokenizer_file=d + "/tokenizer.json", pad_token="<|endoftext|>")
m = CLIPModel.from_pretrained(d).eval()
enc = tok(texts, padding=True, return_tensors="pt")
rng = np.random.default_rng(0)
pixels = rng.standard_normal((3, 3, 64, 64)).astype(np.float32)
with torch.no_grad():
    t = m.get_text_features(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).numpy()
    i = m.get_image_features(pixel_values=torch.from_numpy(pixels)).numpy()
out = "lab/clip/testdata/"
np.save(out + "demo_text_embeds.npy", t.astype(np.float32))
np.save(out + "demo_image_embeds.npy", i.astype(np.float32))
np.save(out + "demo_pixels.npy", pixels)
with open(out + "demo_golden.json", "w") as f:
    json.dump({"texts": texts, "ids": [tok(x)["input_ids"] for x in texts],
               "transformers": transformers.__version__, "torch": torch.__version__}, f, indent=1)
