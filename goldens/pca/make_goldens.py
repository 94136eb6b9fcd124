"""scikit-learn goldens for lab/pca.

For a few seeded inputs (float32, as the lab's features are) fits sklearn.decomposition.PCA and
records what lab/pca must reproduce: mean_, components_, explained_variance_,
explained_variance_ratio_ and transform() of the fitted rows (and of held-out rows for one case).
sklearn is fed the float32 values widened to float64, so that both sides start from the same
numbers and sklearn computes in double precision as lab/pca does.

The cases cover both solvers sklearn's svd_solver="auto" picks for dense data of these sizes:
"full" (an SVD of the centred data) and, when there are at least ten times as many rows as
features, "covariance_eigh" (what it picks for 10,000 [CLS] features of 768 dimensions).

Needs scikit-learn >= 1.5 (its sign convention: svd_flip with u_based_decision=False), which
Debian's python3-sklearn is not, so use a virtual environment:
    python3 -m venv /tmp/pcavenv && /tmp/pcavenv/bin/pip install scikit-learn numpy
    /tmp/pcavenv/bin/python make_goldens.py ../../lab/pca/testdata
    GOEXPERIMENT=simd go test ../../lab/pca
Seeded: rerunning with the same numpy and scikit-learn rewrites identical files.
"""

import json
import os
import sys

import numpy as np
import sklearn
from sklearn.decomposition import PCA

OUT = sys.argv[1] if len(sys.argv) > 1 else "../../lab/pca/testdata"


def low_rank(rng, n, d, scales, noise, offset):
    """Rows near a random subspace with the given axis scales, plus noise and a feature offset."""
    basis = np.linalg.qr(rng.standard_normal((d, len(scales))))[0].T
    coords = rng.standard_normal((n, len(scales))) * np.array(scales)
    x = coords @ basis + noise * rng.standard_normal((n, d)) + offset * rng.standard_normal(d)
    return x.astype(np.float32)


def cases(rng):
    # A clear structure of four axes over noise, with a large common offset, as features have.
    x = low_rank(rng, 360, 40, [9, 5, 3, 2], 0.4, 20)
    yield "lowrank_300x40", x[:300], 5, x[300:]
    # Few rows, every component kept: the last ones are noise with small, close variances.
    x = (rng.standard_normal((50, 8)) * np.array([3, 2.5, 2, 1.5, 1.2, 1, 0.7, 0.5])).astype(np.float32)
    yield "small_50x8", x, 8, None
    # Fewer rows than features (a few-shot set of embeddings): at most n-1 real components.
    yield "wide_20x60", low_rank(rng, 20, 60, [4, 3, 2], 0.3, 1), 5, None
    # Ten times as many rows as features: sklearn switches to the covariance eigensolver. A few
    # features have a mean far larger than their spread, like BERT's outlier dimensions.
    x = low_rank(rng, 600, 48, [6, 4, 2.5, 1.5, 1], 0.5, 0.5)
    x[:, [3, 17, 30]] += np.array([400.0, -250.0, 120.0], dtype=np.float32)
    yield "tall_600x48", x, 2, None


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20240611)
    meta = {"sklearn": sklearn.__version__, "numpy": np.__version__, "cases": {}}
    for name, x, k, held_out in cases(rng):
        pca = PCA(n_components=k).fit(x.astype(np.float64))
        files = {
            "x": x,
            "mean": pca.mean_,
            "components": pca.components_,
            "explained_variance": pca.explained_variance_,
            "explained_variance_ratio": pca.explained_variance_ratio_,
            "transform": pca.transform(x.astype(np.float64)),
        }
        if held_out is not None:
            files["heldout_x"] = held_out
            files["heldout_transform"] = pca.transform(held_out.astype(np.float64))
        for part, a in files.items():
            np.save(os.path.join(OUT, f"{name}_{part}.npy"), np.ascontiguousarray(a))
        meta["cases"][name] = {"n": x.shape[0], "d": x.shape[1], "k": k,
                               "solver": pca._fit_svd_solver, "files": sorted(files)}
    with open(os.path.join(OUT, "goldens.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
