"""scikit-learn goldens for lab/metrics.

For a set of seeded y_true/y_pred cases (binary, multi-class, zero-division, labels absent from
y_true or from both inputs, target names of different lengths incl. non-ASCII, many classes)
records accuracy, balanced accuracy, precision/recall/F1 under every averaging mode, the
confusion matrix, the per-class scores and the exact classification_report text.

Run with Debian's Python so Debian's scikit-learn is used:
    /usr/bin/python3 make_metrics_goldens.py ../../lab/metrics/testdata
"""

import json
import os
import sys
import warnings

import numpy as np
import sklearn
from sklearn import metrics

OUT = sys.argv[1] if len(sys.argv) > 1 else "../../lab/metrics/testdata"


def noisy(rng, y, classes, p_wrong):
    y = np.array(y)
    wrong = rng.random(len(y)) < p_wrong
    y_pred = y.copy()
    y_pred[wrong] = rng.choice(classes, size=wrong.sum())
    return y_pred


def cases(rng):
    yt = rng.integers(0, 2, 1066)
    yield dict(name="binary_rotten_tomatoes", y_true=yt, y_pred=noisy(rng, yt, [0, 1], 0.3),
               target_names=["negative", "positive"], digits=[2, 4])
    yt = rng.integers(0, 2, 200)
    yield dict(name="binary_numeric_names", y_true=yt, y_pred=noisy(rng, yt, [0, 1], 0.5), digits=[2, 3])
    yt = np.array([-1, 1, 1, -1, 1, 1, 1, -1])
    yield dict(name="binary_pm1_all_wrong", y_true=yt, y_pred=-yt, digits=[2])
    yt = rng.choice([0, 1, 2], 300, p=[0.5, 0.3, 0.2])
    yield dict(name="multiclass_long_names", y_true=yt, y_pred=noisy(rng, yt, [0, 1, 2], 0.4),
               target_names=["a", "medium", "a-rather-long-class-name"], digits=[2, 4])
    yt = rng.choice([0, 1, 2], 120)
    yp = noisy(rng, yt, [0, 1], 0.3)
    yp[yp == 2] = 0  # class 2 is never predicted: precision 0/0
    yield dict(name="zero_division_never_predicted", y_true=yt, y_pred=yp,
               target_names=["naïve", "café", "x"], digits=[2, 4])
    yt = rng.choice([0, 1], 90)
    yp = noisy(rng, yt, [0, 1, 3], 0.4)  # label 3 only appears in y_pred: recall 0/0
    yield dict(name="pred_only_label", y_true=yt, y_pred=yp, digits=[2, 4])
    yt = rng.choice([1, 2, 3], 150)
    yield dict(name="labels_superset", y_true=yt, y_pred=noisy(rng, yt, [1, 2, 3], 0.3),
               labels=[0, 1, 2, 3], target_names=["zero", "one", "two", "three"], digits=[2, 4])
    yt = rng.choice([1, 2, 3], 150)
    yield dict(name="labels_subset_reordered", y_true=yt, y_pred=noisy(rng, yt, [1, 2, 3], 0.3),
               labels=[3, 1], digits=[2])
    yt = rng.choice(np.arange(12), 1000)
    yield dict(name="twelve_classes", y_true=yt, y_pred=noisy(rng, yt, np.arange(12), 0.45), digits=[2, 4])
    yt = rng.choice(np.arange(300), 3000)
    yield dict(name="many_classes_pairwise", y_true=yt, y_pred=noisy(rng, yt, np.arange(300), 0.6), digits=[4])
    yield dict(name="perfect", y_true=np.array([5, 7, 7, 5, 9]), y_pred=np.array([5, 7, 7, 5, 9]), digits=[2])
    yt = rng.choice([0, 1], 10)
    yield dict(name="wide_digits", y_true=yt, y_pred=noisy(rng, yt, [0, 1], 0.5), digits=[15])


def f(x):
    return float(x)


def record(c):
    yt, yp = np.asarray(c["y_true"]), np.asarray(c["y_pred"])
    labels, names = c.get("labels"), c.get("target_names")
    present = metrics._classification.unique_labels(yt, yp).tolist()
    out = dict(name=c["name"], y_true=yt.tolist(), y_pred=yp.tolist(), labels=labels, target_names=names)
    out["accuracy"] = f(metrics.accuracy_score(yt, yp))
    out["balanced_accuracy"] = f(metrics.balanced_accuracy_score(yt, yp))
    cm = metrics.confusion_matrix(yt, yp)
    out["confusion_matrix"] = cm.tolist()
    out["confusion_labels"] = present
    avgs = {}
    for avg in ["macro", "weighted", "micro"]:
        p, r, f1, _ = metrics.precision_recall_fscore_support(yt, yp, average=avg, labels=labels)
        avgs[avg] = [f(p), f(r), f(f1)]
        assert f(metrics.precision_score(yt, yp, average=avg, labels=labels)) == f(p)
        assert f(metrics.recall_score(yt, yp, average=avg, labels=labels)) == f(r)
        assert f(metrics.f1_score(yt, yp, average=avg, labels=labels)) == f(f1)
    if len(present) <= 2:
        for pos in present:
            p, r, f1, _ = metrics.precision_recall_fscore_support(yt, yp, average="binary", pos_label=pos)
            avgs[f"binary:{pos}"] = [f(p), f(r), f(f1)]
    out["averages"] = avgs
    p, r, f1, s = metrics.precision_recall_fscore_support(yt, yp, average=None, labels=labels)
    out["per_class"] = dict(labels=labels if labels is not None else present,
                            precision=p.tolist(), recall=r.tolist(), f1=f1.tolist(), support=[int(v) for v in s])
    out["reports"] = {str(d): metrics.classification_report(yt, yp, labels=labels, target_names=names, digits=d)
                      for d in c["digits"]}
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zero-division warnings are expected
        recs = [record(c) for c in cases(rng)]
    meta = {"sklearn_version": sklearn.__version__, "numpy_version": np.__version__,
            "python": sys.version.split()[0], "script": "goldens/sklearn/make_metrics_goldens.py"}
    with open(os.path.join(OUT, "sklearn_metrics_goldens.json"), "w") as fh:
        json.dump({"meta": meta, "cases": recs}, fh, separators=(",", ":"), ensure_ascii=False)
    print(recs[0]["reports"]["2"])
    print(recs[4]["reports"]["2"])
    print(recs[6]["reports"]["2"])


if __name__ == "__main__":
    main()
