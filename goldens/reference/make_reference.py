"""The project's own parity reference: goldens/reference/, laid out like ../shared/reference (see
README.md beside this script) but made here, from data the project owns, so that every parity test
runs on a fresh clone. ../shared/reference stays a held-out check when it is present.

1. tokenizers/: a WordPiece-uncased tokenizer in BERT's layout ([PAD] 0, [UNK] 100, [CLS] 101,
   [SEP] 102, [MASK] 103; BertNormalizer lowercase, BertPreTokenizer) and a CLIP-style byte-level BPE
   (the published openai CLIP normalizer / pre-tokenizer / post-processor / decoder, "</w>" word
   ends, vocab ordered as CLIP orders it: 256 bytes, 256 bytes + "</w>", one entry per merge,
   <|startoftext|>, <|endoftext|> last), both learned (BPE merges, deterministic ties) from the project's own test
   strings (goldens/tokenizer/strings.jsonl and clip_strings.jsonl, written by gen_*strings.js).
2. distilbert-tiny-random/: DistilBertForSequenceClassification with odd sizes and the WordPiece
   vocabulary, every parameter random; nopad_/pad_ inputs, outputs, loss and 14 gradients, per-layer
   hidden states — the same files and names as ../shared/reference/distilbert-tiny-random.
3. clip-tiny-random/: CLIPModel with odd sizes (vision 60 px / patch 12, text ctx 77) and the BPE
   vocabulary (eos_token_id = <|endoftext|>, the largest id); input_ids from the project BPE for
   seven captions (an empty one and one cut at 77, padding 0 as OpenAI's CLIP pads), pixel_values,
   every output of ../shared/reference/clip-tiny-random, hidden states, and
   grad__NAME.npy: gradients of loss.npy = mean cross-entropy of logits_per_image against
   inputs/image_labels.npy, for a handful of parameters of both towers.
4. clip-images/: synthetic PNGs drawn here and Pillow's answer: CLIP normalisation of img0..3
   (64×64, so pixel_values.npy is [4,3,64,64]) and, for resize0..2, PIL bicubic resize of the short
   side to 56 + centre crop (*_resized_crop56.png, pixel_values_resize.npy).

Everything is seeded: running it again writes the same numbers.

    /usr/bin/python3 -m venv --system-site-packages /tmp/goldensvenv   # Debian's python3-torch 1.13
    /tmp/goldensvenv/bin/pip install transformers==4.40.2 tokenizers==0.19.1 safetensors  # Debian numpy 1.24, Pillow 9.4
    /tmp/goldensvenv/bin/python goldens/reference/make_reference.py
    cd goldens/tokenizer && npm ci && node make_goldens.js ../reference/tokenizers/wordpiece-uncased-tokenizer.json \
        strings.jsonl ../../lab/tokenize/testdata/project_wordpiece_goldens.jsonl
    node make_clip_goldens.js ../reference/tokenizers/clip-tokenizer.json \
        ../../lab/tokenize/testdata/project_clip_goldens.jsonl strings.jsonl clip_strings.jsonl
"""
import json
import os

import numpy as np
import PIL
import torch
import transformers
from PIL import Image
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
from transformers import CLIPConfig, CLIPModel, DistilBertConfig, DistilBertForSequenceClassification

HERE = os.path.dirname(os.path.abspath(__file__))
TOK = os.path.join(HERE, "tokenizers")


def save(path, a):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    a = np.ascontiguousarray(a)
    if a.dtype == np.float64:
        a = a.astype(np.float32)
    np.save(path, a)


def corpus():
    texts = []
    for name in ["strings.jsonl", "clip_strings.jsonl"]:
        with open(os.path.join(HERE, "..", "tokenizer", name), encoding="utf-8") as f:
            texts += [json.loads(line) for line in f if line.strip()]
    return texts


def learn_merges(words, n, end=None, prefix=None):
    """BPE merges learned from word counts: the most frequent adjacent pair first, ties broken by
    the pair itself, so the vocabulary is the same on every run (HF's trainers break ties by hash
    order). end marks a word's last symbol (CLIP's "</w>"); prefix marks every symbol but the first
    (WordPiece's "##")."""
    segs = {}
    for w, c in words.items():
        s = list(w)
        if prefix:
            s = [s[0]] + [prefix + ch for ch in s[1:]]
        if end:
            s[-1] += end
        segs[tuple(s)] = segs.get(tuple(s), 0) + c
    merges = []
    for _ in range(n):
        pairs = {}
        for s, c in segs.items():
            for a, b in zip(s, s[1:]):
                pairs[(a, b)] = pairs.get((a, b), 0) + c
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        joined = best[0] + (best[1][len(prefix):] if prefix else best[1])
        out = {}
        for s, c in segs.items():
            t, i = [], 0
            while i < len(s):
                if i + 1 < len(s) and (s[i], s[i + 1]) == best:
                    t.append(joined)
                    i += 2
                else:
                    t.append(s[i])
                    i += 1
            out[tuple(t)] = out.get(tuple(t), 0) + c
        segs = out
    return merges


def count_words(texts, normalizer, pre_tokenizer):
    words = {}
    for t in texts:
        for w, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(t)):
            words[w] = words.get(w, 0) + 1
    return words


def wordpiece(texts):
    norm = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True)
    pre = pre_tokenizers.BertPreTokenizer()
    words = count_words(texts, norm, pre)
    merges = learn_merges(words, 700, prefix="##")
    freq = {}
    for w, c in words.items():
        for ch in w:
            freq[ch] = freq.get(ch, 0) + c
    # The 400 commonest characters (ties by code point); the rarer ones become [UNK], as in BERT.
    chars = sorted(sorted(freq, key=lambda ch: (-freq[ch], ch))[:400])
    # BERT's layout: the pad at 0, unused slots, [UNK] [CLS] [SEP] [MASK] at 100…103, the alphabet
    # alone and after "##", then the pieces in the order they were learned.
    vocab = ["[PAD]"] + ["[unused%d]" % i for i in range(99)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab += chars + ["##" + ch for ch in chars]
    for a, b in merges:
        tok = a + b[2:]
        if tok not in vocab:
            vocab.append(tok)
    ids = {tok: i for i, tok in enumerate(vocab)}
    w = Tokenizer(models.WordPiece(ids, unk_token="[UNK]", max_input_chars_per_word=100))
    w.normalizer = norm
    w.pre_tokenizer = pre
    w.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", 101), ("[SEP]", 102)])
    w.decoder = decoders.WordPiece(prefix="##")
    w.add_special_tokens(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    os.makedirs(TOK, exist_ok=True)
    w.save(os.path.join(TOK, "wordpiece-uncased-tokenizer.json"))
    with open(os.path.join(TOK, "wordpiece-uncased-vocab.txt"), "w", encoding="utf-8") as f:
        f.write("".join(v + "\n" for v in vocab))
    return w, len(vocab)


CLIP_SPLIT = r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""


def clip_bpe(texts):
    norm = normalizers.Sequence([normalizers.NFC(), normalizers.Replace(pattern=_regex(r"\s+"), content=" "), normalizers.Lowercase()])
    pre = pre_tokenizers.Sequence([
        pre_tokenizers.Split(pattern=_regex(CLIP_SPLIT), behavior="removed", invert=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False)])
    merges = learn_merges(count_words(texts, norm, pre), 897, end="</w>")
    # CLIP's order (simple_tokenizer.py): the bytes, the bytes ending a word, one entry per merge.
    alphabet = _bytes_to_unicode()
    vocab = alphabet + [c + "</w>" for c in alphabet] + ["".join(m) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    assert len(set(vocab)) == len(vocab)
    t = Tokenizer(models.BPE(vocab={v: i for i, v in enumerate(vocab)}, merges=merges, unk_token="<|endoftext|>",
                             continuing_subword_prefix="", end_of_word_suffix="</w>", fuse_unk=False))
    t.normalizer, t.pre_tokenizer = norm, pre
    t.post_processor = processors.RobertaProcessing(sep=("<|endoftext|>", len(vocab) - 1), cls=("<|startoftext|>", len(vocab) - 2),
                                                    trim_offsets=False, add_prefix_space=False)
    t.decoder = decoders.ByteLevel()
    t.add_special_tokens(["<|startoftext|>", "<|endoftext|>"])
    path = os.path.join(TOK, "clip-tokenizer.json")
    j = json.loads(t.to_str())
    j["added_tokens"][0]["normalized"] = True  # as the published CLIP tokenizers have it
    with open(path, "w", encoding="utf-8") as f:
        json.dump(j, f, ensure_ascii=False, indent=1)
    return Tokenizer.from_file(path), len(vocab)


def _regex(p):
    from tokenizers import Regex
    return Regex(p)


def _bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


def randomize(model, seed, std):
    """Every parameter random (LayerNorms and biases too), so a skipped bias or a LayerNorm read as
    its default shows."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if n.endswith("logit_scale"):
                p.fill_(3.0)  # not config.logit_scale_init_value (2.6592)
            elif "norm" in n.lower() and n.endswith("weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            elif n.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(std * torch.randn(p.shape, generator=g))


DISTILBERT_GRADS = [
    "classifier.bias", "classifier.weight",
    "distilbert.embeddings.LayerNorm.weight", "distilbert.embeddings.position_embeddings.weight",
    "distilbert.embeddings.word_embeddings.weight",
    "distilbert.transformer.layer.0.attention.out_lin.weight", "distilbert.transformer.layer.0.attention.q_lin.bias",
    "distilbert.transformer.layer.0.attention.q_lin.weight", "distilbert.transformer.layer.0.attention.v_lin.bias",
    "distilbert.transformer.layer.0.ffn.lin1.weight", "distilbert.transformer.layer.1.ffn.lin2.weight",
    "distilbert.transformer.layer.1.output_layer_norm.weight", "pre_classifier.bias", "pre_classifier.weight",
]


def distilbert(vocab_size):
    d = os.path.join(HERE, "distilbert-tiny-random")
    cfg = DistilBertConfig(vocab_size=vocab_size, dim=60, n_heads=5, hidden_dim=148, n_layers=2, max_position_embeddings=72,
                           num_labels=3, pad_token_id=0, activation="gelu")
    torch.manual_seed(17)
    m = DistilBertForSequenceClassification(cfg)
    randomize(m, 17, 0.08)
    m.eval()
    m.save_pretrained(d)
    g = torch.Generator().manual_seed(18)

    def batch(lengths, width):
        ids = torch.zeros(len(lengths), width, dtype=torch.long)
        mask = torch.zeros(len(lengths), width, dtype=torch.long)
        for i, n in enumerate(lengths):
            ids[i, :n] = torch.randint(104, vocab_size, (n,), generator=g)
            ids[i, 0], ids[i, n - 1] = 101, 102
            mask[i, :n] = 1
        return ids, mask

    for name, lengths, width in [("nopad", [12, 12], 12), ("pad", [16, 11, 7, 3], 16)]:
        ids, mask = batch(lengths, width)
        save(f"{d}/inputs/{name}_input_ids.npy", ids.numpy())
        save(f"{d}/inputs/{name}_attention_mask.npy", mask.numpy())
        if name == "pad":
            labels = torch.tensor([2, 0, 1, 2])
            save(f"{d}/inputs/pad_labels.npy", labels.numpy())
            m.zero_grad()
            out = m(input_ids=ids, attention_mask=mask, labels=labels, output_hidden_states=True)
            out.loss.backward()
            save(f"{d}/expected/pad_loss.npy", out.loss.detach().numpy())
            params = dict(m.named_parameters())
            for n in DISTILBERT_GRADS:
                grad = params[n].grad
                save(f"{d}/expected/pad_grad__{n}.npy", grad.numpy())
                save(f"{d}/expected/pad_grad_norm__{n}.npy", grad.norm().numpy())
            for i, h in enumerate(out.hidden_states):
                save(f"{d}/debug/pad_hidden_states_{i}.npy", h.detach().numpy())
        else:
            with torch.no_grad():
                out = m(input_ids=ids, attention_mask=mask, output_hidden_states=True)
        h = out.hidden_states[-1].detach()
        save(f"{d}/expected/{name}_last_hidden_state.npy", h.numpy())
        save(f"{d}/expected/{name}_cls_embedding.npy", h[:, 0].numpy())
        save(f"{d}/expected/{name}_logits.npy", out.logits.detach().numpy())


CAPTIONS = [
    "a photo of a red circle.",
    "A green square, drawn by the lab!",
    "",
    "two blue triangles and one yellow ring",
    "it's a café's menu — naïve résumé",
    "a cat and a dog on a mat in the photo, " * 12,  # cut at 77 with EOT kept last
    "Zürich 1999: 12 photos",
]

CLIP_GRADS = [
    "logit_scale", "text_projection.weight", "visual_projection.weight",
    "text_model.embeddings.token_embedding.weight", "text_model.embeddings.position_embedding.weight",
    "text_model.encoder.layers.0.self_attn.q_proj.weight", "text_model.encoder.layers.1.mlp.fc1.bias",
    "text_model.final_layer_norm.weight",
    "vision_model.embeddings.class_embedding", "vision_model.embeddings.patch_embedding.weight",
    "vision_model.pre_layrnorm.bias", "vision_model.encoder.layers.0.self_attn.out_proj.weight",
    "vision_model.encoder.layers.1.layer_norm2.weight", "vision_model.post_layernorm.bias",
]


def clip(tok, vocab_size):
    d = os.path.join(HERE, "clip-tiny-random")
    cfg = CLIPConfig(
        text_config=dict(vocab_size=vocab_size, hidden_size=72, intermediate_size=164, num_hidden_layers=2, num_attention_heads=3,
                         max_position_embeddings=77, hidden_act="quick_gelu", layer_norm_eps=1e-5,
                         bos_token_id=vocab_size - 2, eos_token_id=vocab_size - 1, pad_token_id=0),
        vision_config=dict(hidden_size=80, intermediate_size=172, num_hidden_layers=2, num_attention_heads=5, image_size=60,
                           patch_size=12, num_channels=3, hidden_act="quick_gelu", layer_norm_eps=1e-5),
        projection_dim=44)
    torch.manual_seed(23)
    m = CLIPModel(cfg)
    randomize(m, 23, 0.1)
    m.eval()
    m.save_pretrained(d)
    sot, eot = vocab_size - 2, vocab_size - 1
    ids = torch.zeros(len(CAPTIONS), 77, dtype=torch.long)  # OpenAI's CLIP pads with 0
    for i, c in enumerate(CAPTIONS):
        row = tok.encode(c).ids
        if len(row) > 77:
            assert tok.id_to_token(row[75]).endswith("</w>"), c  # the cut falls between words
            row = row[:76] + [eot]
        assert row[0] == sot and row[-1] == eot
        ids[i, :len(row)] = torch.tensor(row)
    g = torch.Generator().manual_seed(24)
    pixels = torch.randn(4, 3, 60, 60, generator=g)
    labels = torch.tensor([3, 0, 6, 1])
    save(f"{d}/inputs/input_ids.npy", ids.numpy())
    save(f"{d}/inputs/pixel_values.npy", pixels.numpy())
    save(f"{d}/inputs/image_labels.npy", labels.numpy())
    m.zero_grad()
    out = m(input_ids=ids, pixel_values=pixels, output_hidden_states=True)
    loss = torch.nn.functional.cross_entropy(out.logits_per_image, labels)
    loss.backward()
    params = dict(m.named_parameters())
    save(f"{d}/expected/loss.npy", loss.detach().numpy())
    for n in CLIP_GRADS:
        save(f"{d}/expected/grad__{n}.npy", params[n].grad.numpy())
    t, v = out.text_model_output, out.vision_model_output
    for name, x in [("image_embeds_unnorm", m.visual_projection(v.pooler_output)), ("text_embeds_unnorm", m.text_projection(t.pooler_output)),
                    ("image_embeds", out.image_embeds), ("text_embeds", out.text_embeds),
                    ("logits_per_image", out.logits_per_image), ("logits_per_text", out.logits_per_text),
                    ("vision_last_hidden_state", v.last_hidden_state), ("vision_pooler_output", v.pooler_output),
                    ("text_last_hidden_state", t.last_hidden_state), ("text_pooler_output", t.pooler_output)]:
        save(f"{d}/expected/{name}.npy", x.detach().numpy())
    for i, h in enumerate(t.hidden_states):
        save(f"{d}/debug/debug_text_hidden_states_{i}.npy", h.detach().numpy())
    for i, h in enumerate(v.hidden_states):
        save(f"{d}/debug/debug_vision_hidden_states_{i}.npy", h.detach().numpy())


MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)


def normalize(img):
    x = np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0
    return ((x - MEAN) / STD).transpose(2, 0, 1)


def draw(kind, w, h, rng):
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    if kind == "gradient":
        a = np.stack([x / max(w - 1, 1), y / max(h - 1, 1), (x + y) / max(w + h - 2, 1)], -1)
    elif kind == "noise":
        a = rng.random((h, w, 3))
    elif kind == "checker":
        c = ((x // 7 + y // 5) % 2)[..., None]
        a = c * np.array([0.9, 0.1, 0.3]) + (1 - c) * np.array([0.05, 0.8, 0.95])
    else:  # rings
        r = np.hypot(x - w / 2.3, y - h / 1.8)
        a = np.stack([0.5 + 0.5 * np.sin(r / 2.1), 0.5 + 0.5 * np.cos(r / 3.7), (r / r.max())], -1)
    return Image.fromarray(np.clip(a * 255 + 0.5, 0, 255).astype(np.uint8), "RGB")


def images():
    d = os.path.join(HERE, "clip-images")
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(29)
    pix = []
    for i, kind in enumerate(["gradient", "noise", "checker", "rings"]):
        img = draw(kind, 64, 64, rng)
        img.save(f"{d}/img{i}_{kind}.png")
        pix.append(normalize(Image.open(f"{d}/img{i}_{kind}.png")))
    save(f"{d}/pixel_values.npy", np.stack(pix))
    edge = 56
    pix = []
    for i, (w, h, kind) in enumerate([(150, 113, "rings"), (71, 95, "checker"), (203, 152, "noise")]):
        name = f"{d}/resize{i}_{w}x{h}"
        draw(kind, w, h, rng).save(name + ".png")
        img = Image.open(name + ".png").convert("RGB")
        # HF CLIPImageProcessor: shortest edge to `edge` (the other side int(edge * long / short)),
        # PIL bicubic, then centre crop as its center_crop rounds.
        s = edge / min(img.size)
        size = (edge, int(edge * img.height / img.width)) if img.width <= img.height else (int(edge * img.width / img.height), edge)
        r = img.resize(size, Image.BICUBIC)
        top, left = (r.height - edge) // 2, (r.width - edge) // 2
        crop = r.crop((left, top, left + edge, top + edge))
        crop.save(f"{name}_resized_crop{edge}.png")
        pix.append(normalize(crop))
    save(f"{d}/pixel_values_resize.npy", np.stack(pix))
    try:
        from transformers import CLIPImageProcessor
        p = CLIPImageProcessor(size={"shortest_edge": edge}, crop_size={"height": edge, "width": edge})
        for i, name in enumerate(sorted(n for n in os.listdir(d) if n.startswith("resize") and "_resized_" not in n)):
            hf = p(Image.open(os.path.join(d, name)), return_tensors="np")["pixel_values"][0]
            assert np.abs(hf - pix[i]).max() < 1e-5, name
    except ImportError:
        pass


def main():
    texts = corpus()
    _, wp_size = wordpiece(texts)
    bpe, bpe_size = clip_bpe(texts)
    distilbert(wp_size)
    clip(bpe, bpe_size)
    images()
    with open(os.path.join(HERE, "versions.json"), "w") as f:
        json.dump({"torch": torch.__version__, "transformers": transformers.__version__, "pillow": PIL.__version__,
                   "tokenizers": __import__("tokenizers").__version__, "numpy": np.__version__,
                   "wordpiece_vocab": wp_size, "clip_vocab": bpe_size}, f, indent=1)
        f.write("\n")


main()
