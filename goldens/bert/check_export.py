"""Checks a BERT export of the lab with the real transformers: the directory must load strictly as
BertForSequenceClassification — no missing, unexpected or mismatched keys — and, when the lab's
validation predictions are beside it (lab_validation_predictions.json: texts, predictions), predict
the same labels.

Make an export of the tiny random BERT on the demo reviews, then check it:

    LAB_BERT_EXPORT=/tmp/bert-export GOEXPERIMENT=simd go test -run 'TestFineTuneBERT$' ./lab/ex2/
    /tmp/bertvenv/bin/python goldens/bert/check_export.py /tmp/bert-export

or any `lab ex2 --model <a BertModel dir>` run's OUTPUT_DIR/best (strict load only). The venv is
goldens/bert/bert_golden.py's (Debian's python3-torch 1.13, transformers 4.40.2).
"""
import json
import os
import sys

import torch
import transformers
from transformers import AutoModelForSequenceClassification, AutoTokenizer, BertForSequenceClassification

d = sys.argv[1]
model, info = BertForSequenceClassification.from_pretrained(d, output_loading_info=True)
problems = {k: v for k, v in info.items() if v}
if problems:
    sys.exit(f"{d}: not a strict load: {problems}")
auto = AutoModelForSequenceClassification.from_pretrained(d)
if type(auto) is not BertForSequenceClassification:
    sys.exit(f"{d}: AutoModelForSequenceClassification builds {type(auto).__name__}")
print(f"{d}: BertForSequenceClassification loads strictly (transformers {transformers.__version__}, torch {torch.__version__}); "
      f"labels {model.config.id2label}")

path = os.path.join(d, "lab_validation_predictions.json")
if not os.path.exists(path):
    sys.exit(0)
with open(path) as f:
    lab = json.load(f)
tok = AutoTokenizer.from_pretrained(d)
model.eval()
preds, logits = [], []
with torch.no_grad():
    for i in range(0, len(lab["texts"]), 32):
        enc = tok(lab["texts"][i:i + 32], padding=True, truncation=True, return_tensors="pt")
        out = model(**enc).logits
        logits.append(out)
        preds += out.argmax(-1).tolist()
differ = [i for i, (a, b) in enumerate(zip(preds, lab["predictions"])) if a != b]
margin = torch.cat(logits).diff(dim=-1).abs().min().item() if model.config.num_labels == 2 else float("nan")
print(f"validation: {len(preds)} sentences, {len(differ)} predicted otherwise than the lab; "
      f"accuracy {sum(p == y for p, y in zip(preds, lab['labels'])) / len(preds):.4f}; smallest logit margin {margin:.3g}")
if differ or len(preds) != len(lab["predictions"]):
    sys.exit(f"differ at {differ}")
