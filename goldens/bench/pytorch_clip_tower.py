"""PyTorch baseline for `lab bench clip`: the CLIP ViT-B/16 image tower (random weights from
CLIPVisionConfig, no download), batch 8, float32, eval, no gradients; one untimed warm-up batch.

    /opt/pytorch-pypi/bin/python goldens/bench/pytorch_clip_tower.py --threads 2
"""
import argparse
import os
import time

import torch
from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

p = argparse.ArgumentParser()
p.add_argument("--batch", type=int, default=8)
p.add_argument("--batches", type=int, default=3)
p.add_argument("--threads", type=int, default=os.cpu_count())
a = p.parse_args()
torch.manual_seed(0)
torch.set_num_threads(a.threads)
cfg = CLIPVisionConfig(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                       image_size=224, patch_size=16, projection_dim=512)
model = CLIPVisionModelWithProjection(cfg).eval()
x = torch.randn(a.batch, 3, 224, 224)
with torch.no_grad():
    model(pixel_values=x)
    start = time.perf_counter()
    for _ in range(a.batches):
        model(pixel_values=x)
    secs = time.perf_counter() - start
print(f"clip image tower ViT-B/16 (12 layers, random)\tpytorch {torch.__version__} ({a.threads} threads)\tfloat32\t"
      f"{a.batch}\t{a.batch * a.batches / secs:.1f} images/s\t{secs / a.batches:.3f}")
