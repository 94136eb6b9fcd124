"""Fixtures and scikit-learn goldens for lab/svm.

Writes two seeded synthetic problems (binary: two overlapping Gaussian classes, about 80 %
linearly separable; 3-class: three overlapping Gaussians for one-vs-rest) as .npy files, then
fits LinearSVC with the primal solver (dual=False, the TRON solver sklearn>=1.5's
dual="auto" picks when n_samples > n_features) and the dual solver (dual=True) and records
coef_, intercept_, n_iter_, decision_function and predictions on the test split.

Run with Debian's Python so Debian's scikit-learn is used:
    /usr/bin/python3 make_svm_goldens.py ../../lab/svm/testdata
"""

import json
import os
import sys

import numpy as np
import sklearn
from sklearn.svm import LinearSVC

OUT = sys.argv[1] if len(sys.argv) > 1 else "../../lab/svm/testdata"
D = 64


def features(rng, n, means, labels):
    # Per-feature scales and a common offset make the problem anisotropic and give the
    # intercept something to do, like real [CLS] features.
    scales = np.linspace(0.5, 2.0, D)
    offset = rng.normal(0.3, 0.5, D)
    y = labels
    X = rng.normal(size=(n, D)) * scales + offset + means[y]
    return X.astype(np.float32), y.astype(np.int64)


def binary(rng):
    n = 2400
    direction = rng.normal(size=D)
    direction /= np.linalg.norm(direction)
    # Class means 2·0.65·1.25 apart along a unit direction, against per-feature noise of about
    # 1.25: roughly 80 % of points fall on their class's side of the best hyperplane.
    means = np.stack([-0.65 * direction * 1.25, 0.65 * direction * 1.25])
    labels = (rng.random(n) < 0.45).astype(np.int64)  # unbalanced: 45 % positives
    return features(rng, n, means, labels) + (1800,)


def multiclass(rng):
    n = 1500
    means = rng.normal(size=(3, D)) * 0.25
    labels = rng.choice(3, size=n, p=[0.4, 0.35, 0.25])
    X, y = features(rng, n, means, labels)
    y = np.array([2, 5, 7])[y]  # non-contiguous labels exercise classes_ mapping
    return X, y, 1100


def fit(name, X, y, split, dual, seed_state):
    Xtr, ytr, Xte, yte = X[:split], y[:split], X[split:], y[split:]
    if dual:
        clf = LinearSVC(dual=True, max_iter=100000, random_state=seed_state)
    else:
        clf = LinearSVC(dual=False)
    clf.fit(Xtr, ytr)
    dec = clf.decision_function(Xte)
    pred = clf.predict(Xte)
    return {
        "dataset": name,
        "solver": "dual" if dual else "primal",
        "params": clf.get_params(),
        "liblinear_seed": int(np.random.RandomState(seed_state).randint(np.iinfo("i").max)) if dual else None,
        "classes": clf.classes_.tolist(),
        "coef": clf.coef_.tolist(),
        "intercept": clf.intercept_.tolist(),
        "n_iter": int(clf.n_iter_),
        "decision": dec.tolist(),
        "pred": pred.tolist(),
        "train_accuracy": float(clf.score(Xtr, ytr)),
        "test_accuracy": float(clf.score(Xte, yte)),
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20240611)
    cases = []
    for name, (X, y, split) in [("binary", binary(rng)), ("multiclass", multiclass(rng))]:
        np.save(os.path.join(OUT, f"{name}_X_train.npy"), X[:split])
        np.save(os.path.join(OUT, f"{name}_y_train.npy"), y[:split])
        np.save(os.path.join(OUT, f"{name}_X_test.npy"), X[split:])
        np.save(os.path.join(OUT, f"{name}_y_test.npy"), y[split:])
        for dual in (False, True):
            cases.append(fit(name, X, y, split, dual, seed_state=0))
    meta = {
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "python": sys.version.split()[0],
        "script": "goldens/sklearn/make_svm_goldens.py",
    }
    with open(os.path.join(OUT, "sklearn_svm_goldens.json"), "w") as f:
        json.dump({"meta": meta, "cases": cases}, f, separators=(",", ":"))
    for c in cases:
        print(c["dataset"], c["solver"], "n_iter", c["n_iter"], "train", c["train_accuracy"], "test", c["test_accuracy"])


if __name__ == "__main__":
    main()
