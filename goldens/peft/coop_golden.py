"""Golden for prompt learning (CoOp, Zhou et al. 2022): a reference tiny CLIP
(<reference>/clip-tiny-random) classifies its reference images against five classes whose
prompts "a photo of a {class}." have the tokens of their context words ("a photo of a": four tokens
in CLIP's vocabulary, more in the project's) replaced by learned vectors, shared by all classes. HF's CLIPTextModel has no inputs_embeds, so a forward hook on the token embedding puts
the vectors in place, as CoOp's own code does with its prompt learner. The vectors start at the
words' embeddings plus small noise. Written: the prompt ids, the vectors, the class features, the
logits, the cross-entropy loss and its gradient with respect to the vectors.

The argument picks the reference: "project" (goldens/reference, the default; what runs on every
clone) or "shared" (../shared/reference beside the repository, the held-out check).
The shared goldens were made with torch 2.15 and transformers 4.46.3; the project's with Debian's
torch 1.13 and transformers 4.40.2:

    /usr/bin/python3 -m venv --system-site-packages /tmp/goldensvenv   # Debian's python3-torch 1.13
    /tmp/goldensvenv/bin/pip install transformers==4.40.2 safetensors 'numpy<2' accelerate==0.34.2
    /tmp/goldensvenv/bin/pip install --no-deps peft==0.13.2   # its accelerate>=1 would pull torch 2
    /tmp/goldensvenv/bin/python goldens/peft/coop_golden.py project

Writes lab/peft/testdata/<reference>/coop/.
"""
import json
import os
import sys

import numpy as np
import torch
import transformers
from transformers import CLIPModel, PreTrainedTokenizerFast

os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))  # paths relative to the repository, as PEFT records them
which = sys.argv[1] if len(sys.argv) > 1 else "project"
roots = {"project": os.path.join("goldens", "reference"), "shared": os.path.join("..", "shared", "reference")}
if which not in roots:
    sys.exit(f"{os.path.basename(__file__)}: unknown reference {which!r}: want project or shared")
ref = os.path.join(roots[which], "clip-tiny-random")
out = os.path.join("lab", "peft", "testdata", which, "coop")
os.makedirs(out, exist_ok=True)

tok = PreTrainedTokenizerFast(tokenizer_file=os.path.join(roots[which], "tokenizers", "clip-tokenizer.json"))
classes = ["forest", "river", "annual crop land", "highway or road", "lake or sea"]
prompts = [f"a photo of a {c}." for c in classes]
enc = tok(prompts)["input_ids"]
longest = max(map(len, enc))
model = CLIPModel.from_pretrained(ref, attn_implementation="eager").eval()
eos = model.config.text_config.eos_token_id
ids = torch.tensor([e + [eos] * (longest - len(e)) for e in enc])  # openai's CLIP pads with <|endoftext|>

for p in model.parameters():
    p.requires_grad_(False)
emb = model.text_model.embeddings.token_embedding
n_ctx = len(tok("a photo of a", add_special_tokens=False)["input_ids"])
g = torch.Generator().manual_seed(3)
ctx = torch.nn.Parameter(emb.weight[ids[0, 1:1 + n_ctx]].clone() + 0.01 * torch.randn(n_ctx, emb.weight.shape[1], generator=g))


def put_context(module, inputs, output):
    return torch.cat([output[:, :1], ctx.unsqueeze(0).expand(output.shape[0], -1, -1), output[:, 1 + n_ctx:]], dim=1)


emb.register_forward_hook(put_context)
pixels = torch.from_numpy(np.load(ref + "/inputs/pixel_values.npy")).float()
text = model.get_text_features(input_ids=ids)
text = text / text.norm(dim=-1, keepdim=True)
with torch.no_grad():
    img = model.get_image_features(pixel_values=pixels)
    img = img / img.norm(dim=-1, keepdim=True)
logits = model.logit_scale.exp() * img @ text.t()
labels = torch.arange(pixels.shape[0]) % len(classes)
loss = torch.nn.functional.cross_entropy(logits, labels)
loss.backward()


def save(name, t):
    np.save(out + "/" + name + ".npy", np.ascontiguousarray(t.detach().numpy()))


save("input_ids", ids)
save("ctx", ctx)
save("image_embeds", img)
save("class_embeds", text)
save("logits", logits)
save("loss", loss.reshape(()))
save("grad_ctx", ctx.grad)
with open(out + "/golden.json", "w") as f:
    json.dump({"classes": classes, "prompts": prompts, "labels": labels.tolist(), "n_ctx": n_ctx,
               "transformers": transformers.__version__, "torch": torch.__version__}, f, indent=1)
print("loss", loss.item(), "ids", ids.shape, ids[0].tolist()[:10])
