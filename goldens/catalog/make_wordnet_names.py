"""Writes data/wordnet/imagenet_names.tsv: ImageNet-1k WordNet ids -> readable class names.

Run from the repository root (needs only pip and the standard library):

    python3 goldens/catalog/make_wordnet_names.py            # pip-downloads the two wheels below
    python3 goldens/catalog/make_wordnet_names.py --wheels DIR  # or reads them from DIR

Sources, both from PyPI and pinned so that a rerun is byte-identical:

- timm==1.0.15: timm/data/_info/imagenet_synsets.txt (the 1000 ILSVRC-2012 synsets, in class-index
  order) and imagenet_synset_to_lemma.txt (each synset's WordNet 3.0 lemmas). The readable name is
  the first lemma, as ImageNet's own words.txt (and Tiny ImageNet's) list them.
- open_clip_torch==2.32.0: open_clip/zero_shot_metadata.py, IMAGENET_CLASSNAMES, the hand-cleaned
  names of OpenAI's CLIP ImageNet notebook (e.g. "crane" split into "crane bird" and "construction
  crane"), in the same class-index order. Kept as a second column, not as the default, because the
  lab's seed results were measured with WordNet names.

Hugging Face datasets such as Tiny ImageNet name their classes by WordNet id, so the lab needs this
table offline to build prompts; it is small (about 33 KB) and embedded in the binary.
"""

import argparse
import ast
import io
import os
import subprocess
import sys
import tempfile
import zipfile

TIMM = "timm==1.0.15"
OPEN_CLIP = "open_clip_torch==2.32.0"
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "data", "wordnet", "imagenet_names.tsv")


def wheel(directory, requirement):
    name = requirement.split("==")[0].replace("-", "_")
    version = requirement.split("==")[1]
    prefix = f"{name}-{version}-"
    for f in sorted(os.listdir(directory)):
        if f.startswith(prefix) and f.endswith(".whl"):
            return os.path.join(directory, f)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", directory,
                    requirement], check=True)
    return wheel(directory, requirement)


def read(whl, member):
    with zipfile.ZipFile(whl) as z:
        return z.read(member).decode("utf-8")


def clip_classnames(source):
    # The module builds lambdas for its templates, so parse it instead of importing it: the tuple
    # literal is all we need, and nothing from the wheel runs.
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "IMAGENET_CLASSNAMES" for t in node.targets):
            return list(ast.literal_eval(node.value))
    raise SystemExit("IMAGENET_CLASSNAMES not found in open_clip/zero_shot_metadata.py")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wheels", help="directory holding (or to receive) the two wheels")
    args = ap.parse_args()
    directory = args.wheels or tempfile.mkdtemp(prefix="wordnet-wheels-")
    timm_whl, clip_whl = wheel(directory, TIMM), wheel(directory, OPEN_CLIP)

    synsets = read(timm_whl, "timm/data/_info/imagenet_synsets.txt").split()
    lemmas = {}
    for line in read(timm_whl, "timm/data/_info/imagenet_synset_to_lemma.txt").splitlines():
        wnid, _, words = line.partition("\t")
        lemmas[wnid] = words
    clip = clip_classnames(read(clip_whl, "open_clip/zero_shot_metadata.py"))
    if len(synsets) != 1000 or len(clip) != 1000 or len(set(synsets)) != 1000:
        raise SystemExit(f"expected 1000 synsets and 1000 CLIP names, got {len(synsets)} and {len(clip)}")

    buf = io.StringIO()
    buf.write("# ImageNet-1k WordNet ids and readable class names, one class a line, in class-index order.\n")
    buf.write(f"# Written by goldens/catalog/make_wordnet_names.py from PyPI {TIMM} "
              "(timm/data/_info/imagenet_synsets.txt, imagenet_synset_to_lemma.txt: WordNet 3.0 lemmas)\n")
    buf.write(f"# and {OPEN_CLIP} (open_clip/zero_shot_metadata.py IMAGENET_CLASSNAMES: "
              "OpenAI CLIP's cleaned names).\n")
    buf.write("# Columns: wnid, first WordNet lemma with '_' as ' ', CLIP name. Licenses: data/wordnet/README.md.\n")
    for wnid, clip_name in zip(synsets, clip):
        if wnid not in lemmas:
            raise SystemExit(f"{wnid}: no lemma in imagenet_synset_to_lemma.txt")
        name = lemmas[wnid].split(",")[0].strip().replace("_", " ")
        for field in (name, clip_name):
            if not field or "\t" in field or "\n" in field:
                raise SystemExit(f"{wnid}: unusable name {field!r}")
        buf.write(f"{wnid}\t{name}\t{clip_name}\n")
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        f.write(buf.getvalue())
    print(f"wrote {os.path.normpath(OUT)}: {len(synsets)} classes, {len(buf.getvalue().encode())} bytes")


if __name__ == "__main__":
    main()
