"""Writes the parquet fixtures of lab/datasets the way HF `datasets` writes them.

Run from the repository root with pyarrow 26.0.1:

    python3 -m pip install pyarrow==26.0.1
    python3 goldens/datasets/make_fixtures.py

Everything is deterministic (no clock, no randomness), so a rerun rewrites
byte-identical files unless pyarrow changes its writer. The Go tests read the
outputs in lab/datasets/testdata/; keep them small (< 200 KB in all).
"""

import json
import os
import struct
import zlib

import pyarrow as pa
import pyarrow.parquet as pq

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "lab", "datasets", "testdata")


def hf_metadata(features):
    # `datasets` stores its Features in the arrow schema metadata under
    # b"huggingface"; the Go reader uses it for label names when a repo has no
    # README.
    return {b"huggingface": json.dumps({"info": {"features": features}}).encode()}


def write(path, table, **kw):
    path = os.path.join(OUT, path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    # `datasets` writes snappy-compressed, dictionary-encoded files with
    # v1 data pages; keep pyarrow's defaults, which are the same.
    pq.write_table(table, path, **kw)


def readme(path, features_yaml, splits):
    lines = ["---", "language:", "- en", "task_categories:", "- text-classification",
             "dataset_info:", "  features:"]
    lines += ["  " + l for l in features_yaml.strip("\n").split("\n")]
    lines.append("  splits:")
    for name, n in splits:
        lines += [f"  - name: {name}", f"    num_bytes: {n * 100}", f"    num_examples: {n}"]
    lines += ["---", "", "# A fixture of lab/datasets", "",
              "Not real data: sentences written for the tests.", ""]
    p = os.path.join(OUT, path)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write("\n".join(lines))


POS = [
    "a gorgeous , witty , seductive movie .",
    "the performances are uniformly superb .",
    "a warm , funny and deeply moving film .",
    "one of the most original comedies in years .",
    "the director keeps the suspense taut to the last frame .",
    "an intelligent script and a cast that clearly enjoys it .",
    "beautifully shot and quietly devastating .",
    "it is a joy to watch from beginning to end .",
    "smart , sharp and never condescending .",
    "the kind of film that stays with you for days .",
    "a triumph of craft and feeling .",
    "funny in a way that never feels forced .",
    "a rare thriller that respects its audience .",
    "the score alone is worth the price of admission .",
    "tender , honest and surprisingly tough .",
    "a delightful surprise from start to finish .",
    "élan and wit in equal measure — a treat .",
    "the best ensemble cast of the year .",
    "confident , stylish and full of life .",
    "moving without ever being sentimental .",
    "an absorbing character study .",
    "a film of real grace .",
    "it earns every one of its laughs .",
    "visually stunning and emotionally rich .",
    "a small gem .",
]
NEG = [
    "the plot is a mess and the jokes fall flat .",
    "a tedious , overlong exercise in style over substance .",
    "nothing here rings true .",
    "the dialogue is wooden and the pacing glacial .",
    "a sequel nobody asked for .",
    "it mistakes noise for excitement .",
    "the actors look as bored as the audience .",
    "too long , too loud and too dumb .",
    "a lazy script padded with clichés .",
    "the twist is obvious from the first scene .",
    "dull , dreary and instantly forgettable .",
    "even the special effects look cheap .",
    "an embarrassment for everyone involved .",
    "the characters are cardboard cutouts .",
    "it never finds a reason to exist .",
    "a comedy without a single laugh .",
    "clumsy , shrill and sentimental .",
    "the story goes nowhere , slowly .",
    "a waste of a fine cast .",
    "predictable from start to finish .",
    "it feels like a two-hour trailer .",
    "the editing is chaotic and the story thin .",
    "a sad , soggy misfire .",
    "you will check your watch often .",
    "pretentious and hollow .",
]

TEXT_FEATURES = {"text": {"dtype": "string", "_type": "Value"},
                 "label": {"names": ["neg", "pos"], "_type": "ClassLabel"}}
TEXT_YAML = """
- name: text
  dtype: string
- name: label
  dtype:
    class_label:
      names:
        '0': neg
        '1': pos
"""


def text_table(rows, features=TEXT_FEATURES):
    schema = pa.schema([("text", pa.string()), ("label", pa.int64())], metadata=hf_metadata(features))
    return pa.table({"text": [r[0] for r in rows], "label": [r[1] for r in rows]}, schema=schema)


def rotten():
    # Interleave so every split has both classes, like the real one (sorted by
    # label there, in fact; order does not matter for the tests).
    rows = []
    for i in range(len(POS)):
        rows.append((POS[i], 1))
        rows.append((NEG[i], 0))
    train, validation, test = rows[:34], rows[34:42], rows[42:]
    write("rotten/train.parquet", text_table(train))
    write("rotten/validation.parquet", text_table(validation))
    write("rotten/test.parquet", text_table(test))
    readme("rotten/README.md", TEXT_YAML, [("train", len(train)), ("validation", len(validation)), ("test", len(test))])


def multi_row_group():
    # 300 rows in row groups of 64 and tiny data pages, so every column chunk
    # spans several pages and the reader must stream across both boundaries.
    # label is int32 (a ClassLabel stored narrow), score a float32, id an
    # int64 carried as an extra field.
    n = 300
    schema = pa.schema([("id", pa.int64()), ("text", pa.string()), ("label", pa.int32()), ("score", pa.float32())])
    t = pa.table({
        "id": list(range(n)),
        "text": [f"sentence number {i} " + ("good" if i % 3 else "bad") for i in range(n)],
        "label": [i % 3 for i in range(n)],
        "score": [i / 4 for i in range(n)],
    }, schema=schema)
    write("multi_row_group.parquet", t, row_group_size=64, data_page_size=256, write_batch_size=16,
          use_dictionary=["label"])


def png(w, h, rgb):
    """A valid RGB PNG of one colour, without Pillow."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(rgb) * w for _ in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


IMAGE_NAMES = ["tench", "English springer", "cassette player"]
IMAGE_FEATURES = {"image": {"_type": "Image"},
                  "label": {"names": IMAGE_NAMES, "_type": "ClassLabel"}}
IMAGE_YAML = """
- name: image
  dtype: image
- name: label
  dtype:
    class_label:
      names:
        '0': tench
        '1': English springer
        '2': cassette player
"""


def image_table(start, n):
    image_type = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    schema = pa.schema([("image", image_type), ("label", pa.int64())], metadata=hf_metadata(IMAGE_FEATURES))
    images, labels = [], []
    for i in range(start, start + n):
        label = i % 3
        colour = [(200, 30, 30), (30, 200, 30), (30, 30, 200)][label]
        # `datasets` keeps the original file name when it had one and null
        # when the image came from bytes; have both.
        images.append({"bytes": png(2 + i % 3, 2, colour), "path": f"img_{i:03d}.png" if i % 2 == 0 else None})
        labels.append(label)
    return pa.table({"image": images, "label": labels}, schema=schema)


def images():
    # A train split in 2 shards and a validation split in 1, named as
    # push_to_hub names them.
    write("images/data/train-00000-of-00002.parquet", image_table(0, 7), row_group_size=4)
    write("images/data/train-00001-of-00002.parquet", image_table(7, 5))
    write("images/data/validation-00000-of-00001.parquet", image_table(100, 3))
    readme("images/README.md", IMAGE_YAML, [("train", 12), ("validation", 3)])


def faulty():
    # Files that are valid parquet but wrong for the lab's text spec.
    write("bad/null_text.parquet", pa.table({"text": ["fine .", "also fine .", None, "last ."], "label": [1, 0, 1, 0]},
                                            schema=pa.schema([("text", pa.string()), ("label", pa.int64())])))
    write("bad/text_is_int.parquet", pa.table({"text": [1, 2], "label": [0, 1]}))
    write("bad/no_label.parquet", pa.table({"text": ["a .", "b ."]}))
    write("bad/empty.parquet", text_table([]))
    write("bad/label_out_of_range.parquet", text_table([("good .", 1), ("bad .", 0), ("what ?", 5)]))
    write("bad/label_is_list.parquet", pa.table({"text": ["a ."], "label": [[0, 1]]}))


if __name__ == "__main__":
    rotten()
    multi_row_group()
    images()
    faulty()
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    print(f"wrote {OUT} ({total} bytes)")
