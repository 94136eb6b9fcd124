"""PyTorch baseline for `lab bench embed`: [CLS] extraction with a DistilBERT-base-size model.

Same workload as the Go benchmark: random weights from DistilBertConfig() (no download), batch 32,
sequence 64, eval mode, no gradients, float32; one untimed warm-up batch, then --batches timed ones.

    /usr/bin/python3 -m venv --system-site-packages /opt/pyref   # Debian's python3-torch 1.13
    /opt/pyref/bin/pip install "transformers==4.40.2"
    /opt/pyref/bin/python goldens/bench/pytorch_embed.py --threads 2
"""
import argparse
import os
import platform
import time

import torch
from transformers import DistilBertConfig, DistilBertModel

p = argparse.ArgumentParser()
p.add_argument("--batch", type=int, default=32)
p.add_argument("--seq", type=int, default=64)
p.add_argument("--batches", type=int, default=5)
p.add_argument("--threads", type=int, default=os.cpu_count())
a = p.parse_args()

torch.manual_seed(0)
torch.set_num_threads(a.threads)
model = DistilBertModel(DistilBertConfig()).eval()
ids = torch.randint(1000, 30000, (a.batch, a.seq))
mask = torch.ones_like(ids)
with torch.no_grad():
    model(input_ids=ids, attention_mask=mask).last_hidden_state[:, 0]
    start = time.perf_counter()
    for _ in range(a.batches):
        model(input_ids=ids, attention_mask=mask).last_hidden_state[:, 0]
    secs = time.perf_counter() - start
print("workload\tbackend\tdtype\tbatch\tseq\tsentences/s\ts/batch")
print(f"embed [CLS] distilbert-base (6 layers, random)\tpytorch {torch.__version__} ({a.threads} threads)\tfloat32\t"
      f"{a.batch}\t{a.seq}\t{a.batch * a.batches / secs:.1f}\t{secs / a.batches:.2f}")
print(f"({os.cpu_count()} CPUs, {platform.machine()}, MKL-DNN {torch.backends.mkldnn.is_available()})")
