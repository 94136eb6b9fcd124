"""Writes the torch.save fixtures of lab/weights/testdata/torch/.

Run from the repository root, once with each torch so both zip
serialisations are covered (torch 2.x adds .storage_alignment and
.format_version records and 64-byte aligns storages; 1.13 does not):

    /opt/pytorch-pypi/bin/python goldens/weights/make_torch_fixtures.py   # torch 2.15 + transformers 4.46.3
    /usr/bin/python3 goldens/weights/make_torch_fixtures.py               # Debian torch 1.13, no transformers

Values come from formulas, not a RNG, so both torches write the same
tensors; the expected values go to state.json as float32 bit patterns so the
Go test compares bit for bit (NaN payloads, -0 and subnormals included).
The tiny HF models need transformers and are written only by the first run.
Reruns are byte-identical except legacy.bin. Keep the outputs small
(< 300 KB in all; about 150 KB now).
"""

import json
import os
import pickle
import struct
import zipfile
from collections import OrderedDict

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lab", "weights", "testdata", "torch")
MAJOR = int(torch.__version__.split(".")[0])
TAG = "torch2" if MAJOR >= 2 else "torch1"


def f32_bits(v):
    return struct.unpack("<I", struct.pack("<f", v))[0]


def state_dict():
    sd = OrderedDict()
    w = torch.arange(12, dtype=torch.float32).reshape(3, 4) * 0.25 - 1.0
    sd["layer.weight"] = w
    # A transposed view shares w's storage with strides (1, 4): the reader
    # must gather, not copy the storage bytes in order.
    sd["layer.weight_t"] = w.t()
    # Tied weights: a second name for the very same tensor (one storage
    # record in the archive), as tied embeddings/decoders are saved.
    sd["decoder.weight"] = w
    # A view with a storage offset and a step: rows 1..2 of column 1.
    sd["layer.col1"] = w[1:, 1]
    sd["half"] = torch.tensor([1.0, -2.5, 65504.0, 6e-8, float("inf"), -0.0, float("nan"), 0.333], dtype=torch.float16)
    sd["bf16"] = torch.tensor([[1.0, -3.140625], [1e30, 1e-30]], dtype=torch.bfloat16)
    sd["position_ids"] = torch.arange(6, dtype=torch.int64).reshape(1, 6)
    # HF registers position_ids as arange(n).expand((1, -1)): stride 0 on
    # the leading axis.
    sd["expanded_ids"] = torch.arange(4, dtype=torch.int64).expand((2, -1))
    sd["scale"] = torch.tensor(2.6592, dtype=torch.float32)
    sd["empty"] = torch.zeros(0, 3)
    sd["ids32"] = torch.tensor([-7, 1 << 30], dtype=torch.int32)
    sd["mask"] = torch.tensor([True, False, True])
    sd["param"] = torch.nn.Parameter(torch.tensor([0.5, 1.5]))
    # Module.state_dict() attaches this attribute; pickle then emits a BUILD
    # on the OrderedDict, which the reader must accept and ignore.
    sd._metadata = OrderedDict([("", {"version": 1}), ("layer", {"version": 2})])
    return sd


def expected(sd):
    out = {}
    for name, t in sd.items():
        t = t.detach()
        dt = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64",
              torch.int32: "I32", torch.bool: "BOOL"}[t.dtype]
        flat = t.contiguous().reshape(-1)
        if t.is_floating_point():
            vals = [f32_bits(v) for v in flat.float().tolist()]
        else:
            vals = [int(v) for v in flat.tolist()]
        out[name] = {"dtype": dt, "shape": list(t.shape), "values": vals}
    return out


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=True)
        f.write("\n")


class Exploit:
    # Unpickling this calls os.system (pickled as posix.system on Unix): the
    # classic pickle attack. The Go reader must refuse the GLOBAL before
    # anything could run.
    def __reduce__(self):
        return (os.system, ("touch /tmp/translab-pwned",))


def malicious(path):
    payload = pickle.dumps(OrderedDict([("w", Exploit())]), protocol=2)
    # Same layout as torch.save so only the pickle content is at fault.
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, data in (("archive/data.pkl", payload), ("archive/version", b"3\n")):
            # A fixed timestamp keeps reruns byte-identical.
            z.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data)


def legacy(path):
    # Pre-1.6 torch.save: a bare pickle stream, no zip. Its storage keys are
    # memory addresses, so this one file differs on every run.
    torch.save({"w": torch.ones(2)}, path, _use_new_zipfile_serialization=False)


def tiny_models():
    from transformers import CLIPConfig, CLIPModel, DistilBertConfig, DistilBertModel

    torch.manual_seed(0)
    cfg = CLIPConfig(
        text_config=dict(vocab_size=32, hidden_size=8, intermediate_size=16, num_hidden_layers=1,
                         num_attention_heads=2, max_position_embeddings=8, projection_dim=4),
        vision_config=dict(hidden_size=8, intermediate_size=16, num_hidden_layers=1, num_attention_heads=2,
                           image_size=8, patch_size=4, projection_dim=4),
        projection_dim=4,
    )
    clip = CLIPModel(cfg).eval()
    for sub, safe in (("clip_bin", False), ("clip_safetensors", True)):
        clip.save_pretrained(os.path.join(OUT, sub), safe_serialization=safe)

    torch.manual_seed(1)
    dcfg = DistilBertConfig(vocab_size=32, dim=8, hidden_dim=16, n_layers=2, n_heads=2, max_position_embeddings=8)
    bert = DistilBertModel(dcfg).eval()
    bert.save_pretrained(os.path.join(OUT, "distilbert_safetensors"), safe_serialization=True)
    # A small shard limit makes save_pretrained split the checkpoint into
    # pytorch_model-0000x-of-0000y.bin plus pytorch_model.bin.index.json.
    bert.save_pretrained(os.path.join(OUT, "distilbert_sharded_bin"), safe_serialization=False, max_shard_size="2KB")
    for d in ("clip_bin", "clip_safetensors", "distilbert_safetensors", "distilbert_sharded_bin"):
        # Only the weights matter to the Go tests; the config is kept for
        # humans, generation_config is noise.
        p = os.path.join(OUT, d, "generation_config.json")
        if os.path.exists(p):
            os.remove(p)


def main():
    os.makedirs(OUT, exist_ok=True)
    sd = state_dict()
    torch.save(sd, os.path.join(OUT, f"state_{TAG}.bin"))
    write_json(os.path.join(OUT, "state.json"), expected(sd))
    if MAJOR >= 2:
        malicious(os.path.join(OUT, "malicious.bin"))
        legacy(os.path.join(OUT, "legacy.bin"))
        tiny_models()
    # safetensors creates its files 0600; fixtures are ordinary files.
    for root, _, files in os.walk(OUT):
        for f in files:
            os.chmod(os.path.join(root, f), 0o644)


if __name__ == "__main__":
    main()
