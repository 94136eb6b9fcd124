"""PyTorch eager baselines for `lab bench embed|train|corpus|finetune|clip|zeroshot`, same
workloads, same device (cuda when present), random weights from configs (no download). f32 with
TF32 off; the tower also under bf16 autocast. Rows as `lab bench` prints them, with the peak
resident memory of the workload (the process's VmHWM, reset before each workload); --json appends
JSON lines.

    python3 goldens/bench/pytorch_suite.py --json out.jsonl [--limit N] [--layers N]
    # on a CPU, one workload per process, as `lab bench` runs them:
    python3 goldens/bench/pytorch_suite.py --only embed --threads 2
    python3 goldens/bench/pytorch_suite.py --only train --threads 2
    python3 goldens/bench/pytorch_suite.py --only clip --tower-batch 8 --dtypes float32 --threads 2
"""
import argparse
import io
import json
import os
import random
import resource
import time

import numpy as np
import torch
from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection, DistilBertConfig, DistilBertForSequenceClassification, DistilBertModel

p = argparse.ArgumentParser()
p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
p.add_argument("--limit", type=int, default=0, help="items per workload (0: 10662 / 8530 / 512)")
p.add_argument("--layers", type=int, default=0)
p.add_argument("--tower-batch", type=int, default=512)
p.add_argument("--dtypes", default="float32,bfloat16", help="clip: the tower's dtypes (bfloat16 is autocast)")
p.add_argument("--batch", type=int, default=32, help="embed, train: sentences per batch")
p.add_argument("--seq", type=int, default=64, help="embed, train: tokens per sentence")
p.add_argument("--batches", type=int, default=5, help="embed, train: timed batches or steps after one warm-up")
p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: torch's default, one per core)")
p.add_argument("--compile", action="store_true", help="embed, train, clip: torch.compile the model's forward (inference with "
               "Inductor's freezing, which packs the weights for oneDNN); the warm-up then compiles")
p.add_argument("--json", default="")
p.add_argument("--only", default="corpus,finetune,clip,zeroshot", help="workloads, from embed,train,corpus,finetune,clip,zeroshot")
a = p.parse_args()
if a.threads:
    torch.set_num_threads(a.threads)
if a.compile:
    import torch._inductor.config
    torch._inductor.config.freezing = True  # takes effect in no_grad inference only


def compiled(fn):
    return torch.compile(fn) if a.compile else fn
torch.backends.cuda.matmul.allow_tf32 = False  # f32 means f32: the Go side runs with tf32=false
torch.backends.cudnn.allow_tf32 = False
dev = torch.device(a.device)
backend = f"pytorch {torch.__version__} {'torch.compile' if a.compile else 'eager'} ({torch.cuda.get_device_name(dev) if dev.type == 'cuda' else f'cpu, {torch.get_num_threads()} threads'})"


def reset_peak():
    """Starts a workload's peak memory afresh: writing 5 to clear_refs resets VmHWM (Linux)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def peak_rss():
    """The process's resident high-water mark in bytes, as `lab bench` reads its own."""
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def sync():
    if dev.type == "cuda":
        torch.cuda.synchronize()


def size(full):
    return min(a.limit, full) if a.limit > 0 else full


def report(workload, name, dtype, batch, batches, items, unit, secs, **extra):
    rss = peak_rss()
    print(f"{name}\t{backend}\t{dtype}\t{batch}\t{items / secs:.1f} {unit}/s\t{secs / batches:.3f}\t{rss / 2**30:.2f} GiB", flush=True)
    if a.json:
        with open(a.json, "a") as f:
            f.write(json.dumps(dict(impl="pytorch", workload=workload, name=name, backend=backend, dtype=dtype, batch=batch,
                                    batches=batches, items=items, unit=unit, secs=secs, throughput=items / secs,
                                    s_per_batch=secs / batches, peak_rss_bytes=rss, threads=torch.get_num_threads(),
                                    **extra)) + "\n")


def corpus_ids(n, seed):  # [CLS] … [SEP], 8–60 tokens, like `lab bench`'s corpusIDs (not the same draws)
    r = random.Random(seed)
    return [[101] + [r.randrange(1000, 30522) for _ in range(r.randint(8, 60) - 2)] + [102] for _ in range(n)]


def pad(rows):
    cols = (max(map(len, rows)) + 7) // 8 * 8
    ids = torch.zeros(len(rows), cols, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for i, r in enumerate(rows):
        ids[i, :len(r)], mask[i, :len(r)] = torch.tensor(r), 1
    return ids.to(dev), mask.to(dev)


def bert_cfg(**kw):
    cfg = DistilBertConfig(**kw)
    if a.layers:
        cfg.n_layers = a.layers
    return cfg


print("workload\tbackend\tdtype\tbatch\tthroughput\ts/batch\tpeak RSS")
torch.manual_seed(0)
only = a.only.split(",")


def fixed_batch(vocab=30522):
    """a.batch sentences of exactly a.seq random ids, no padding: `lab bench embed` and `train`."""
    g = torch.Generator().manual_seed(5)
    ids = torch.randint(1000, vocab, (a.batch, a.seq), generator=g)
    return ids.to(dev), torch.ones_like(ids).to(dev), torch.randint(0, 2, (a.batch,), generator=g).to(dev)


if "embed" in only:  # `lab bench embed`: [CLS] of DistilBERT-base, eval, no gradients
    reset_peak()
    model = DistilBertModel(bert_cfg()).eval().to(dev)
    ids, mask, _ = fixed_batch()
    cls = compiled(lambda ids, mask: model(input_ids=ids, attention_mask=mask).last_hidden_state[:, 0])
    with torch.no_grad():
        cls(ids, mask).cpu()
        sync()
        start = time.perf_counter()
        for _ in range(a.batches):
            cls(ids, mask).cpu()
        sync()
        secs = time.perf_counter() - start
    report("embed", f"embed [CLS] distilbert-base ({model.config.n_layers} layers, random, seq {a.seq})",
           "float32", a.batch, a.batches, a.batch * a.batches, "sentences", secs)
    del model

if "train" in only:  # `lab bench train`: one HF Trainer step of DistilBertForSequenceClassification
    reset_peak()
    model = DistilBertForSequenceClassification(bert_cfg(num_labels=2)).train().to(dev)
    # HF's decay groups (Trainer.get_decay_parameter_names) at Exercise 2's weight decay 0.01.
    decay = [p for n, p in model.named_parameters() if not n.endswith("bias") and "layernorm" not in n.lower().replace("_", "")]
    rest = [p for n, p in model.named_parameters() if n.endswith("bias") or "layernorm" in n.lower().replace("_", "")]
    groups = [dict(params=decay, weight_decay=0.01), dict(params=rest, weight_decay=0.0)]
    try:  # the fastest AdamW torch has for the device (HF's default optim, adamw_torch_fused, where it exists)
        opt, adamw = torch.optim.AdamW(groups, lr=5e-5, fused=True), "fused"
    except (RuntimeError, TypeError):
        opt, adamw = torch.optim.AdamW(groups, lr=5e-5), "default"
    ids, mask, labels = fixed_batch()
    forward = compiled(lambda: model(input_ids=ids, attention_mask=mask, labels=labels).loss)

    def step():
        loss = forward()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss

    step().item()  # warm-up: allocator, optimizer state
    sync()
    start = time.perf_counter()
    for _ in range(a.batches):
        loss = step()
    loss.item()
    sync()
    secs = time.perf_counter() - start
    report("train", f"train step distilbert-base seq-classif ({model.config.n_layers} layers, random, seq {a.seq}, AdamW {adamw})",
           "float32", a.batch, a.batches, a.batch * a.batches, "sentences", secs)
    del model, opt

if "corpus" in only:
    reset_peak()
    n = size(10662)
    model = DistilBertModel(bert_cfg()).eval().to(dev)
    sents = sorted(corpus_ids(n, 1), key=len)
    batches = [pad(sents[i:i + 32]) for i in range(0, n, 32)]
    with torch.no_grad():
        model(*batches[-1]).last_hidden_state[:, 0].cpu()  # warm-up: cuBLAS handles, allocator
        sync()
        start = time.perf_counter()
        for ids, mask in batches:
            model(input_ids=ids, attention_mask=mask).last_hidden_state[:, 0].cpu()
        sync()
        secs = time.perf_counter() - start
    report("corpus", f"corpus [CLS] distilbert-base ({model.config.n_layers} layers, random, {n} sentences of 8–60 tokens)",
           "float32", 32, len(batches), n, "sentences", secs)
    del model

if "finetune" in only:
    reset_peak()
    n = size(8530)
    model = DistilBertForSequenceClassification(bert_cfg(num_labels=2)).train().to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=5e-5, weight_decay=0.0)
    steps = (n + 31) // 32
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1 - s / steps)
    sents = corpus_ids(n, 3)
    labels = torch.randint(0, 2, (n,))
    order = torch.randperm(n).tolist()
    sync()
    start = time.perf_counter()
    for b in range(steps):  # like HF's Trainer: shuffled, padded per batch, clipped, AdamW, linear decay
        idx = order[b * 32:(b + 1) * 32]
        ids, mask = pad([sents[i] for i in idx])
        loss = model(input_ids=ids, attention_mask=mask, labels=labels[idx].to(dev)).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step(), sched.step(), opt.zero_grad(set_to_none=True)
    loss.item()
    sync()
    secs = time.perf_counter() - start
    report("finetune", f"finetune 1 epoch distilbert-base ({model.config.n_layers} layers, random, {n} sentences of 8–60 tokens)",
           "float32", 32, steps, n, "sentences", secs)
    del model, opt

vcfg = CLIPVisionConfig(hidden_size=768, intermediate_size=3072, num_hidden_layers=a.layers or 12, num_attention_heads=12,
                        image_size=224, patch_size=16, projection_dim=512, hidden_act="quick_gelu")
if "clip" in only or "zeroshot" in only:
    reset_peak()
    tower = CLIPVisionModelWithProjection(vcfg).eval().to(dev)
if "clip" in only:
    bs = a.tower_batch if a.limit == 0 else min(a.tower_batch, a.limit)
    x = torch.randn(bs, 3, 224, 224, device=dev)
    embeds = compiled(lambda x: tower(pixel_values=x).image_embeds)
    for dtype in a.dtypes.split(","):
        ctx = torch.autocast(dev.type, dtype=torch.bfloat16) if dtype == "bfloat16" else torch.autocast(dev.type, enabled=False)
        with torch.no_grad(), ctx:
            embeds(x).float().cpu()
            sync()
            start = time.perf_counter()
            for _ in range(3):
                embeds(x).float().cpu()
            sync()
            secs = time.perf_counter() - start
        report("clip", f"clip image tower ViT-B/16 ({vcfg.num_hidden_layers} layers, random)", dtype, bs, 3, 3 * bs, "images", secs)

try:
    from PIL import Image  # only the zero-shot loop decodes JPEGs
except ImportError:
    Image = None
    print("pytorch_suite: no Pillow here, so no zeroshot row", flush=True)
if "zeroshot" in only and Image is not None:
    n, bs = size(512), 64
    jpegs = []
    for i in range(n):  # the same synthetic 500×375 photos as `lab bench zeroshot`
        y, x = np.mgrid[0:375, 0:500]
        img = np.stack([x * 255 // 500, y * 255 // 375, (x * y + i * 977) % 256], -1).astype(np.uint8)
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, "JPEG", quality=85)
        jpegs.append(buf.getvalue())
    mean = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(3, 1, 1)
    std = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(3, 1, 1)
    classes = torch.nn.functional.normalize(torch.randn(10, 512, device=dev), dim=-1)

    def preprocess(data):  # CLIPImageProcessor's steps: shortest side 224 bicubic, centre crop, normalise
        im = Image.open(io.BytesIO(data)).convert("RGB")
        w, h = im.size
        s = 224 / min(w, h)
        im = im.resize((round(w * s), round(h * s)), Image.BICUBIC)
        l, t = (im.width - 224) // 2, (im.height - 224) // 2
        t_ = torch.from_numpy(np.asarray(im.crop((l, t, l + 224, t + 224)), dtype=np.float32) / 255).permute(2, 0, 1)
        return (t_ - mean) / std

    def step(part):
        px = torch.stack([preprocess(d) for d in part]).to(dev)
        emb = torch.nn.functional.normalize(tower(pixel_values=px).image_embeds, dim=-1)
        return (100 * emb @ classes.T).argmax(-1).cpu()

    with torch.no_grad():
        step(jpegs[:bs])
        sync()
        start = time.perf_counter()
        for i in range(0, n, bs):
            step(jpegs[i:i + bs])
        sync()
        secs = time.perf_counter() - start
    report("zeroshot", f"zeroshot decode+preprocess+ViT-B/16 ({vcfg.num_hidden_layers} layers, random, {n} JPEGs 500×375)",
           "float32", bs, (n + bs - 1) // bs, n, "images", secs)
