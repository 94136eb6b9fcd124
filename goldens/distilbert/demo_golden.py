"""Golden for the demo model: HF transformers loads data/demo (written by this project) and
computes the [CLS] vectors of a few sentences. The Go test compares its own against them, which
checks that what the lab exports is a valid HF checkpoint + tokenizer, read the same way.

    python3 -m venv --system-site-packages /tmp/goldensvenv   # Debian's python3-torch 1.13
    /tmp/goldensvenv/bin/pip install transformers==4.40.2 safetensors 'numpy<2'
    /tmp/goldensvenv/bin/python goldens/distilbert/demo_golden.py
"""
import json
import numpy as np
import torch
import transformers
from transformers import AutoTokenizer, DistilBertModel

d = "data/demo"
texts = [
    "the film is a gorgeous , witty delight .",
    "despite a strong cast , the sequel is embarrassingly bad , sadly .",
    "a zebra-striped unknownword!",
    "",
]
tok = AutoTokenizer.from_pretrained(d)
m = DistilBertModel.from_pretrained(d).eval()
enc = tok(texts, padding=True, return_tensors="pt")
with torch.no_grad():
    cls = m(**enc).last_hidden_state[:, 0].numpy().astype(np.float32)
out = "lab/distilbert/testdata/"
np.save(out + "demo_cls.npy", cls)
with open(out + "demo_cls.json", "w") as f:
    json.dump({"texts": texts, "ids": [tok(t)["input_ids"] for t in texts],
               "transformers": transformers.__version__, "torch": torch.__version__}, f, indent=1)
