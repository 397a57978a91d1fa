"""Fit the offline grader's key-point calibration on human-scored data.

    python -m evals.calibrate --data ../shared/data/grading/mohler_dev.jsonl \\
        ../shared/data/grading/beetle_train.jsonl --write --json

For every row it measures how well the answer states the reference (token
alignment with question demoting, sentence similarity, word overlap, length)
and fits a ridge regression to the human score. It reports figures
cross-validated by question groups (5 folds; a question's answers never sit
on both sides), grading each held-out row end to end with the grader built
from the other folds' fit. With --write it saves the fit on all rows to
interviewer/grading/calibration.json, the small artifact the grader ships.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from evals.common import Progress, read_jsonl, regression_metrics, roc_auc

ALL_FEATURES = ["bsr", "bsp", "cos", "lex", "logw"]
FEATURES = ["bsr", "bsp", "cos", "lex"]
RIDGE = 1.0
FOLDS = 5


def refs_of(row: dict) -> list[str]:
    """The row's reference answers."""
    return row.get("reference_answers") or [row["reference_answer"]]


def featurize(rows: list[dict], grader, features: list[str]) -> np.ndarray:
    """One feature row per data row: the best-aligned reference's features."""
    out = np.zeros((len(rows), len(features)))
    progress = Progress(len(rows), "features")
    for i, row in enumerate(rows):
        best = None
        for ref in refs_of(row):
            f = grader.pair_features(row["question"], ref, row["answer"])
            if f and (best is None or f["bsr"] > best["bsr"]):
                best = f
        if best:
            out[i] = [best[k] for k in features]
        progress.step(i + 1)
    return out


def fit_ridge(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Closed-form ridge regression (intercept not penalised)."""
    mean_x, mean_y = X.mean(axis=0), y.mean()
    Xc = X - mean_x
    w = np.linalg.solve(Xc.T @ Xc + RIDGE * np.eye(X.shape[1]), Xc.T @ (y - mean_y))
    return w, float(mean_y - mean_x @ w)


def make_calibration(X, y, w, b, features):
    """A Calibration whose strength band spans wrong-to-right predictions."""
    from interviewer.grading.features import Calibration

    pred = X @ w + b
    lo = float(np.mean(pred[y <= 0.2])) if (y <= 0.2).any() else float(pred.min())
    # A point stated as well as a typical fully correct answer states it is full strength.
    hi = float(np.mean(pred[y >= 0.9])) if (y >= 0.9).any() else float(pred.max())
    return Calibration(weights=dict(zip(features, map(float, w))), bias=b,
                       meta={"band": [round(lo, 4), round(hi, 4)]})


def group_folds(groups: list[str], k: int) -> list[np.ndarray]:
    """Deterministic folds of whole question groups, balanced by size."""
    sizes: dict[str, int] = {}
    for g in groups:
        sizes[g] = sizes.get(g, 0) + 1
    load, assign = [0] * k, {}
    for g in sorted(sizes, key=lambda g: (-sizes[g], g)):
        f = int(np.argmin(load))
        assign[g] = f
        load[f] += sizes[g]
    fold_of = np.array([assign[g] for g in groups])
    return [np.where(fold_of == f)[0] for f in range(k)]


def grade_rows(rows, grader) -> np.ndarray:
    """End-to-end scores (0..1) of rows with a given grader."""
    from interviewer.grading.offline import reference_from_text
    from interviewer.guide import classify

    out = np.zeros(len(rows))
    for i, row in enumerate(rows):
        kind = classify(row["question"])
        scores = [grader.grade(reference_from_text(row["question"], r, kind), row["answer"]).score
                  for r in refs_of(row)]
        scores = [s for s in scores if s is not None]
        out[i] = (max(scores) if scores else 0.0) / 10
    return out


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--data", nargs="+", required=True, help="JSONL files (development data)")
    p.add_argument("--write", action="store_true", help="save the fit to calibration.json")
    p.add_argument("--features", nargs="+", default=FEATURES, choices=ALL_FEATURES,
                   help=f"pair features to combine (default: {' '.join(FEATURES)})")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)

    from interviewer.grading.features import CALIBRATION_PATH, Calibration
    from interviewer.grading.offline import OfflineGrader

    rows, names = [], []
    for path in args.data:
        part = read_jsonl(path)
        rows += part
        names += [Path(path).stem] * len(part)
    groups = [f"{n}:{r['question_id']}" for n, r in zip(names, rows)]
    y = np.array([float(r["human_score"]) for r in rows])
    base = OfflineGrader(calibration=Calibration())
    X = featurize(rows, base, args.features)

    # Cross-validation by question groups, graded end to end.
    cv_pred, cv_pair = np.zeros(len(rows)), np.zeros(len(rows))
    progress = Progress(len(rows), "cross-validation")
    done = 0
    for test in group_folds(groups, FOLDS):
        train = np.setdiff1d(np.arange(len(rows)), test)
        w, b = fit_ridge(X[train], y[train])
        cv_pair[test] = X[test] @ w + b
        grader = OfflineGrader(base.embedder, calibration=make_calibration(X[train], y[train], w, b,
                                                                          args.features))
        cv_pred[test] = grade_rows([rows[i] for i in test], grader)
        done += len(test)
        progress.step(done)

    report = {"features": args.features, "folds": FOLDS, "cv_by_question_groups": {}}
    for name in dict.fromkeys(names):
        idx = np.array([i for i, n in enumerate(names) if n == name])
        m = {"n": int(len(idx)), **regression_metrics(cv_pred[idx], y[idx]),
             "pair_model_pearson": round(float(np.corrcoef(cv_pair[idx], y[idx])[0, 1]), 4)}
        labels = [rows[i].get("label_2way") for i in idx]
        if all(labels):
            m["roc_auc"] = round(roc_auc(cv_pred[idx], [l == "correct" for l in labels]), 4)
        report["cv_by_question_groups"][name] = m

    w, b = fit_ridge(X, y)
    calibration = make_calibration(X, y, w, b, args.features)
    calibration.meta.update({
        "fitted_on": [Path(d).name for d in args.data], "rows": len(rows),
        "target": "human_score (0..1)", "model": f"ridge (alpha={RIDGE}) on pair features",
        "cv_by_question_groups": report["cv_by_question_groups"],
        "command": "python -m evals.calibrate --data " + " ".join(
            f"../shared/data/grading/{Path(d).name}" for d in args.data) + " --write",
    })
    report["weights"], report["bias"] = calibration.weights, calibration.bias
    if args.write:
        calibration.save(CALIBRATION_PATH)
        report["written"] = str(CALIBRATION_PATH)
    print(json.dumps(report) if args.json else json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
