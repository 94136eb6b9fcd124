#!/usr/bin/env python3
"""Goldens for lab/imageproc: what Pillow decodes and what HF's CLIPImageProcessor produces.

Draws synthetic images (saturated colour edges, gradients, noise, text-like strokes), encodes
them as JPEG in the layouts datasets contain (4:2:0, 4:2:2, 4:4:4, progressive, greyscale,
CMYK, tiny sizes), as lossy/lossless WebP, and as PNG/GIF/BMP in the modes convert("RGB") has
to handle, then
writes into lab/imageproc/testdata/:

  <name>.<ext>            the encoded file
  <name>.rgb.png          Image.open(f).convert("RGB"), i.e. HF's convert_rgb
  <name>.crop224.png      for a few: uint8 after resize(shortest edge 224, BICUBIC) + centre crop
  pixel_values_small.npy  [N, 3, 40, 32] float32: the full HF pipeline with shortest_edge=48 and
                          crop 40x32 (small, non-square, so orientation mistakes show)
  manifest.json           names in the order of pixel_values_small.npy, and each file's kind

The HF steps are re-implemented with Pillow + numpy (so transformers is not needed); when
transformers is importable they are checked against CLIPImageProcessor too.

Run:  python3 -m pip install Pillow==13.0.0 numpy && python3 goldens/imageproc/make_jpeg_goldens.py
"""
import io
import json
import os
import sys

import numpy as np
from PIL import Image, ImageDraw

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(REPO, "lab", "imageproc", "testdata")

MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)


def synthetic(w, h, seed):
    """Colour edges, a gradient, noise and strokes: the content that exposes chroma errors."""
    rng = np.random.default_rng(seed)
    if w < 16 or h < 16:  # too small to draw on: saturated noise is the harsher test anyway
        return Image.fromarray(rng.choice([0, 255], size=(h, w, 3)).astype(np.uint8), "RGB")
    yy, xx = np.mgrid[0:h, 0:w]
    a = np.zeros((h, w, 3), dtype=np.float64)
    a[..., 0] = 255 * xx / max(w - 1, 1)
    a[..., 1] = 255 * yy / max(h - 1, 1)
    a[..., 2] = 128 + 100 * np.sin(xx / 5.0) * np.cos(yy / 7.0)
    noise = rng.integers(0, 256, size=(h, w, 3))
    a[h // 2 :, : w // 3] = noise[h // 2 :, : w // 3]
    im = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "RGB")
    d = ImageDraw.Draw(im)
    # saturated blocks butting against each other: worst case for chroma upsampling
    d.rectangle([w // 3, 0, w // 2, h // 2], fill=(255, 0, 0))
    d.rectangle([w // 2 + 1, 0, 2 * w // 3, h // 2], fill=(0, 0, 255))
    d.rectangle([2 * w // 3 + 1, 0, w - 1, h // 3], fill=(0, 255, 0))
    d.ellipse([w // 2, h // 2, w - 2, h - 2], outline=(255, 255, 0), width=3)
    for i in range(6):
        x0 = int(rng.integers(0, w))
        y0 = int(rng.integers(0, h))
        d.line([x0, y0, x0 + 20, y0 + 9], fill=(255, 0, 255), width=1 + i % 3)
    d.text((3, 3), "CLIP ok", fill=(0, 0, 0))
    d.text((w // 3 + 2, h // 4), "Hi", fill=(255, 255, 255))
    return im


def hf_pixel_values(rgb, shortest, crop_h, crop_w):
    """CLIPImageProcessor.preprocess: resize shortest edge (BICUBIC), centre crop, rescale, normalise."""
    w, h = rgb.size
    short, long = (w, h) if w <= h else (h, w)
    new_long = int(shortest * long / short)
    ow, oh = (shortest, new_long) if w <= h else (new_long, shortest)
    a = np.array(rgb.resize((ow, oh), Image.BICUBIC))
    a = center_crop(a, crop_h, crop_w)
    crop = a.copy()
    x = (a.astype(np.float64) * (1 / 255)).astype(np.float32)
    x = (x - MEAN) / STD
    return x.transpose(2, 0, 1).copy(), crop


def center_crop(a, ch, cw):
    h, w = a.shape[:2]
    top, left = (h - ch) // 2, (w - cw) // 2
    if top >= 0 and left >= 0 and top + ch <= h and left + cw <= w:
        return a[top : top + ch, left : left + cw]
    nh, nw = max(ch, h), max(cw, w)
    canvas = np.zeros((nh, nw, 3), dtype=a.dtype)
    tp, lp = -(-(nh - h) // 2), -(-(nw - w) // 2)
    canvas[tp : tp + h, lp : lp + w] = a
    top, left = top + tp, left + lp
    return canvas[max(0, top) : min(nh, top + ch), max(0, left) : min(nw, left + cw)]


def encode(im, fmt, **kw):
    b = io.BytesIO()
    im.save(b, fmt, **kw)
    return b.getvalue()


def cases():
    base = synthetic(101, 77, 1)
    big = synthetic(320, 240, 2)
    tall = synthetic(75, 130, 3)
    odd = synthetic(63, 45, 4)
    yield "edges_420_q90", "jpg", encode(base, "JPEG", quality=90, subsampling=2)
    yield "edges_422_q80", "jpg", encode(base, "JPEG", quality=80, subsampling=1)
    yield "edges_444_q95", "jpg", encode(base, "JPEG", quality=95, subsampling=0)
    yield "edges_420_progressive", "jpg", encode(base, "JPEG", quality=85, subsampling=2, progressive=True)
    yield "tall_420_q75", "jpg", encode(tall, "JPEG", quality=75, subsampling=2)
    yield "odd_420_q50", "jpg", encode(odd, "JPEG", quality=50, subsampling=2)
    yield "odd_422_progressive", "jpg", encode(odd, "JPEG", quality=70, subsampling=1, progressive=True)
    yield "photo_420_320x240", "jpg", encode(big, "JPEG", quality=85, subsampling=2)
    yield "grey_q90", "jpg", encode(base.convert("L"), "JPEG", quality=90)
    yield "cmyk_q90", "jpg", encode(base.convert("CMYK"), "JPEG", quality=90)
    # chroma rows of <= 2 samples: libjpeg falls back to replication
    yield "tiny_420_4x5", "jpg", encode(synthetic(4, 5, 5), "JPEG", quality=90, subsampling=2)
    yield "tiny_422_3x3", "jpg", encode(synthetic(3, 3, 6), "JPEG", quality=90, subsampling=1)
    yield "one_pixel", "jpg", encode(synthetic(1, 1, 7), "JPEG", quality=90, subsampling=2)
    yield "rgb", "png", encode(base, "PNG")
    rgba = base.convert("RGBA")
    alpha = Image.linear_gradient("L").resize(base.size)
    rgba.putalpha(alpha)
    yield "rgba", "png", encode(rgba, "PNG")
    la = base.convert("L").convert("LA")
    la.putalpha(alpha)
    yield "la", "png", encode(la, "PNG")
    yield "grey", "png", encode(base.convert("L"), "PNG")
    yield "palette", "png", encode(base.quantize(64), "PNG")
    pt = base.quantize(16)
    yield "palette_trns", "png", encode(pt, "PNG", transparency=3)
    g16 = Image.fromarray((np.arange(101 * 77, dtype=np.uint16).reshape(77, 101) * 7) % 700)
    yield "grey16", "png", encode(g16, "PNG")
    yield "palette", "gif", encode(base.quantize(32), "GIF")
    yield "rgb", "bmp", encode(base, "BMP")
    yield "lossless", "webp", encode(base, "WEBP", lossless=True)
    yield "lossy_q90", "webp", encode(base, "WEBP", quality=90)
    yield "lossy_even_100x76", "webp", encode(synthetic(100, 76, 8), "WEBP", quality=75)
    yield "lossy_alpha", "webp", encode(rgba, "WEBP", quality=80)


def main():
    os.makedirs(OUT, exist_ok=True)
    manifest, pvs = [], []
    with_224 = {"edges_420_q90", "photo_420_320x240", "tall_420_q75", "grey_q90"}
    for name, ext, data in cases():
        fname = f"{name}.{ext}"
        with open(os.path.join(OUT, fname), "wb") as f:
            f.write(data)
        im = Image.open(io.BytesIO(data))
        mode = im.mode
        rgb = im.convert("RGB")
        rgb.save(os.path.join(OUT, fname + ".rgb.png"), optimize=True)
        pv, _ = hf_pixel_values(rgb, 48, 40, 32)
        pvs.append(pv)
        entry = {"file": fname, "pil_mode": mode, "size": list(im.size)}
        if name in with_224:
            _, crop = hf_pixel_values(rgb, 224, 224, 224)
            Image.fromarray(crop).save(os.path.join(OUT, fname + ".crop224.png"), optimize=True)
            entry["crop224"] = fname + ".crop224.png"
        manifest.append(entry)
    pvs = np.stack(pvs).astype(np.float32)
    np.save(os.path.join(OUT, "pixel_values_small.npy"), pvs)
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump({"pillow": Image.__version__, "shortest_edge": 48, "crop": [40, 32], "images": manifest}, f, indent=1)
    check_with_transformers(manifest, pvs)
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"wrote {len(manifest)} images to {OUT} ({total} bytes), Pillow {Image.__version__}")


def check_with_transformers(manifest, pvs):
    try:
        from transformers import CLIPImageProcessor
    except ImportError:
        print("transformers not importable: skipped the cross-check with CLIPImageProcessor")
        return
    proc = CLIPImageProcessor(size={"shortest_edge": 48}, crop_size={"height": 40, "width": 32})
    for i, e in enumerate(manifest):
        im = Image.open(os.path.join(OUT, e["file"]))
        if min(im.size) <= 3:
            continue  # HF guesses channels-first for a (3, W, 3) array: its bug, not ours to copy
        got = proc(images=im, return_tensors="np")["pixel_values"][0]
        if not np.array_equal(got, pvs[i]):
            sys.exit(f"{e['file']}: numpy pipeline differs from CLIPImageProcessor by {np.abs(got - pvs[i]).max()}")
    print("numpy pipeline == transformers CLIPImageProcessor on all images")


if __name__ == "__main__":
    main()
