"""Fit the offline graders' key-point calibration on human-scored data.

Two calibrations ship, one per offline grader:

    # the claim judge's (default grader): from the judgements the shipped
    # judge made of development answers it never saw (train_grader writes them)
    python -m evals.train_grader --data D1 D2
    python -m evals.calibrate --data D1 D2 --oof interviewer/grading/model --write --json

    # the embedding grader's
    python -m evals.calibrate --data D1 D2 --write --json

A calibration is a small ridge regression from a key point's pair features to
the human score, plus the band that maps its prediction onto 0..1 strength.

With ``--oof``, each development row's judge features come from a judge that
never saw the row's question (or, for the "unseen answers" hold-out, the row).
The figures are cross-validated by question group on the fixed folds of
``evals.splits`` (or, when the judgements cover one fold, as the shipped
model's do, on five groups of that fold's questions): each held-out row is graded end to end by the real grader,
with a calibration fitted on the other folds and the judgements recorded for
it. Several choices are measured side by side (which features, how much
Mohler weighs, whether the project's hand-written pairs join the fit); the
first variant is the one that ships.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from evals.common import Progress, read_jsonl, regression_metrics, roc_auc, row_kind

RIDGE = 1.0
FOLDS = 5
EMBEDDING_FEATURES = ["bsr", "bsp", "cos", "lex"]
ALL_FEATURES = ["bsr", "bsp", "cos", "lex", "logw"]
FEATURES = EMBEDDING_FEATURES
# With --oof, the contradiction threshold is chosen on the judge's held-out
# judgements (evals.judge_calibration.contradiction_threshold) and written into
# the calibration; a point also has to be not covered to count as contradicted.
# (name, features, mohler weight, hand-written pairs in the fit, full strength at): the
# first ships, chosen as the best on the development figures (Mohler r, then Beetle AUC).
# "Full strength at" is the quantile of the correct answers' predictions at which a
# point reaches full strength (None: the band's top, their mean). At the mean, 56% of
# Mohler answers sat at full strength, so a good answer and a perfect one scored alike.
BASE = ["js", "jc", "bsr", "bsp", "cos", "lex"]
JUDGE_VARIANTS = [
    ("judge + embeddings, Mohler x4, full strength at q75 of correct answers", BASE, 4.0,
     False, 0.75),
    ("judge + embeddings, Mohler x4", BASE, 4.0, False, None),
    ("judge + embeddings, Mohler x4, full strength at q90 of correct answers", BASE, 4.0,
     False, 0.90),
    ("judge + embeddings, Mohler x16, hand-written pairs in the fit", BASE, 16.0, True, None),
    ("judge + embeddings, Mohler x16", BASE, 16.0, False, None),
    ("judge + embeddings + normalised, Mohler x16",
     ["js", "jn", "jc", "bsr", "bsp", "cos", "lex"], 16.0, False, None),
    ("judge only", ["js", "jc"], 16.0, False, None),
    ("embeddings only (no judge)", ["bsr", "bsp", "cos", "lex"], 16.0, False, None),
]


def refs_of(row: dict) -> list[str]:
    """The row's reference answers."""
    return row.get("reference_answers") or [row["reference_answer"]]


def fit_ridge(X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Closed-form (weighted) ridge regression; the intercept is not penalised."""
    w = np.ones(len(y)) if w is None else np.asarray(w, float)
    sw = w / w.sum()
    mean_x, mean_y = sw @ X, float(sw @ y)
    Xc = X - mean_x
    A = Xc.T @ (Xc * w[:, None]) + RIDGE * np.eye(X.shape[1])
    coef = np.linalg.solve(A, Xc.T @ (w * (y - mean_y)))
    return coef, float(mean_y - mean_x @ coef)


def make_calibration(X, y, coef, bias, features, floor: bool = False,
                     full_at: float | None = None):
    """A Calibration whose strength band spans wrong-to-right predictions.

    With `floor`, the band starts at 0: a predicted human score is only
    stretched at the top (a point stated as well as typical correct answers
    state it is full strength), which keeps the ranking of weak answers.
    With `full_at`, a point reaches full strength only at that quantile of the
    correct answers' predictions (the band's top is their mean); the strength
    where a point counts as covered stays where the band puts it.
    """
    from interviewer.grading.features import Calibration

    pred = X @ coef + bias
    lo = float(np.mean(pred[y <= 0.2])) if (y <= 0.2).any() else float(pred.min())
    lo = 0.0 if floor else lo
    # A point stated as well as a typical fully correct answer states it is full strength.
    right = pred[y >= 0.9]
    hi = float(np.mean(right)) if len(right) else float(pred.max())
    meta = {"band": [round(lo, 4), round(hi, 4)]}
    if full_at is not None and len(right):
        meta["full_at"] = round(max(float(np.quantile(right, full_at)), hi), 4)
    return Calibration(weights=dict(zip(features, map(float, coef))), bias=bias, meta=meta)


def load_rows(paths: list[str]) -> tuple[list[dict], list[str]]:
    """Rows of every file, with the file's name per row."""
    rows, names = [], []
    for path in paths:
        part = read_jsonl(path)
        rows += part
        names += [Path(path).stem] * len(part)
    return rows, names


def report_by_dataset(rows, names, pred, y) -> dict:
    """Agreement figures per data file (Pearson etc.; ROC AUC where a 2-way label exists)."""
    out = {}
    for name in dict.fromkeys(names):
        idx = np.array([i for i, n in enumerate(names) if n == name])
        if not len(idx):
            continue
        m = {"n": int(len(idx)), **regression_metrics(pred[idx], y[idx])}
        labels = [rows[i].get("label_2way") for i in idx]
        if all(labels):
            m["roc_auc"] = round(roc_auc(pred[idx], [lab == "correct" for lab in labels]), 4)
        out[name] = m
    return out


# -- the embedding grader --------------------------------------------------------------

def featurize(rows: list[dict], grader, features: list[str]) -> np.ndarray:
    """One feature row per data row: the best-aligned reference's embedding features."""
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

    out = np.zeros(len(rows))
    for i, row in enumerate(rows):
        kind = row_kind(row)
        scores = [grader.grade(reference_from_text(row["question"], r, kind), row["answer"]).score
                  for r in refs_of(row)]
        scores = [s for s in scores if s is not None]
        out[i] = (max(scores) if scores else 0.0) / 10
    return out


def embedding_main(args) -> dict:
    """Cross-validate and (with --write) save the embedding grader's calibration."""
    from interviewer.grading.features import CALIBRATION_PATH, Calibration
    from interviewer.grading.offline import EmbeddingGrader

    rows, names = load_rows(args.data)
    groups = [f"{n}:{r['question_id']}" for n, r in zip(names, rows)]
    y = np.array([float(r["human_score"]) for r in rows])
    base = EmbeddingGrader(calibration=Calibration())
    X = featurize(rows, base, args.features)
    cv_pred = np.zeros(len(rows))
    progress = Progress(len(rows), "cross-validation")
    done = 0
    for test in group_folds(groups, FOLDS):
        train = np.setdiff1d(np.arange(len(rows)), test)
        coef, bias = fit_ridge(X[train], y[train])
        grader = EmbeddingGrader(base.embedder, calibration=make_calibration(
            X[train], y[train], coef, bias, args.features))
        cv_pred[test] = grade_rows([rows[i] for i in test], grader)
        done += len(test)
        progress.step(done)
    report = {"grader": "embedding", "features": args.features, "folds": FOLDS,
              "cv_by_question_groups": report_by_dataset(rows, names, cv_pred, y)}
    coef, bias = fit_ridge(X, y)
    calibration = make_calibration(X, y, coef, bias, args.features)
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
    return report


# -- the claim judge's calibration -------------------------------------------------------

class CachingEmbedder:
    """The real embedder, remembering each answer's sentence encodings (eval runs only)."""

    def __init__(self):
        from interviewer.embeddings import shared_embedder

        self._inner = shared_embedder()
        self._units: dict[tuple[str, ...], list] = {}

    def encode_units(self, units: list[str]):
        """Sentence encodings, computed once per distinct answer."""
        key = tuple(units)
        if key not in self._units:
            self._units[key] = self._inner.encode_units(units)
        return self._units[key]

    def __getattr__(self, name):
        return getattr(self._inner, name)


class ReplayJudge:
    """A judge that answers with recorded out-of-fold judgements (nothing is run)."""

    def __init__(self, recorded: dict):
        self.recorded = recorded
        self.live = None
        self.live_calls = 0

    def judge(self, text: str, points: list[str]):
        """The recorded judgements of these points against this text."""
        from interviewer.grading.judge import Judgement, shared_judge, sigmoid

        rows = self.recorded.get((text or "-", tuple(points)))
        if rows is None:
            # The grader leaves off-topic sentences out of what the judge reads, so
            # about 3% of development answers reach it shortened, a text nothing
            # recorded. Every replayed row is one the shipped judge never trained on,
            # so asking it now is as out-of-fold as the recording.
            self.live = self.live or shared_judge()
            self.live_calls += 1
            return self.live.judge(text, points)
        return [Judgement(support=float(sigmoid(np.float64(r["s"]))),
                          contradiction=float(sigmoid(np.float64(r["c"]))),
                          support_logit=r["s"], contradiction_logit=r["c"], reference_logit=r["r"])
                for r in rows]

    def judge_texts(self, texts: list[str], points: list[str], subsets=None, reference=True):
        """Recorded judgements for each whole text; sentences read against some of
        the points were never recorded and are asked live (as out-of-fold, above)."""
        from interviewer.grading.judge import shared_judge

        out = []
        for text, sub in zip(texts, subsets or [None] * len(texts)):
            if sub is None:
                out.append(self.judge(text, points))
                continue
            self.live = self.live or shared_judge()
            self.live_calls += 1
            out.append(self.live.judge_texts([text], points, [sub])[0])
        return out

    @property
    def tokenizer(self):
        """The real tokenizer (quotes tokenise sentences)."""
        from interviewer.grading.judge import Tokenizer

        if not hasattr(self, "_tok"):
            self._tok = Tokenizer()
        return self._tok


def oof_tables(rows: list[dict], records: list[dict]):
    """Per split ('uq', 'ua'): row id -> per-reference judgements, and the replay table."""
    from evals.train_grader import row_points

    by_id = {r["id"]: r for r in rows}
    judged: dict[str, dict] = {"uq": {}, "ua": {}}
    replay: dict[str, dict] = {"uq": {}, "ua": {}}
    for rec in records:
        if rec["type"] != "row" or rec["id"] not in by_id:
            continue
        split = "ua" if rec["job"] == "ua" else "uq"
        judged[split][rec["id"]] = rec["refs"]
        for (text, points), per_point in zip(row_points(by_id[rec["id"]]), rec["refs"]):
            replay[split][(text or "-", tuple(points))] = per_point
    return judged, replay


def judge_feature_rows(rows, judged, embed_feats) -> tuple[list[dict], list[int]]:
    """Per row: the features of its best reference (by judge support), and that reference."""
    from interviewer.grading.judge import sigmoid

    feats, chosen = [], []
    for i, row in enumerate(rows):
        per_ref = judged.get(row["id"])
        if per_ref is None:
            feats.append(None)
            chosen.append(-1)
            continue
        k = int(np.argmax([ref[0]["s"] for ref in per_ref]))
        j = per_ref[k][0]
        f = dict(embed_feats[i][k])
        f.update({"js": j["s"], "jn": j["s"] - j["r"], "jc": j["c"],
                  "jcp": float(sigmoid(np.float64(j["c"])))})
        feats.append(f)
        chosen.append(k)
    return feats, chosen


def authored_feature_rows(records: list[dict], embed_grader) -> tuple[list[dict], list[float]]:
    """Hand-written pairs as calibration rows: paraphrase 1, contradiction and other point 0."""
    from evals.grader_data import load_authored
    from evals.train_grader import knowledge
    from interviewer.grading.judge import sigmoid

    questions, keys = knowledge()
    by_q = {qid: k for k in keys for qid in k.question_ids}
    qtext = {q.id: q.text for q in questions}
    authored = {(p["question_id"], int(p["point_index"])): p for p in load_authored()}
    feats, ys = [], []
    for rec in records:
        if rec["type"] != "pair":
            continue
        key = by_q.get(rec["question_id"])
        src = authored.get((rec["question_id"], rec["point_index"]))
        if key is None or src is None:
            continue
        if rec["kind"] == "other":
            continue  # its text is another point's paraphrase; not stored with it
        text = src["paraphrase"] if rec["kind"] == "paraphrase" else src["contradiction"]
        f = embed_grader.pair_features(qtext.get(rec["question_id"], ""),
                                       key.key_points[rec["point_index"]], text)
        if f is None:
            continue
        f.update({"js": rec["s"], "jn": rec["s"] - rec["r"], "jc": rec["c"],
                  "jcp": float(sigmoid(np.float64(rec["c"])))})
        feats.append(f)
        ys.append(1.0 if rec["kind"] == "paraphrase" else 0.0)
    return feats, ys


def judge_main(args) -> dict:
    """Cross-validated figures and the shipped calibration of the claim judge grader."""
    from evals.judge_calibration import contradiction_threshold, read_oof
    from evals.splits import is_unseen_answer, question_fold
    from interviewer.grading.features import Calibration
    from interviewer.grading.judged import CALIBRATION_PATH, JudgeGrader
    from interviewer.grading.offline import EmbeddingGrader

    rows, names = load_rows(args.data)
    for r in rows:
        r["fold"] = question_fold(r["dataset"], r["question_id"])
        r["ua"] = is_unseen_answer(r["id"])
    y = np.array([float(r["human_score"]) for r in rows])
    records = read_oof(Path(args.oof))
    judged, replay = oof_tables(rows, records)
    threshold = contradiction_threshold(records, rows)
    print(json.dumps({k: v for k, v in threshold.items() if k != "grid"}), file=sys.stderr)
    # Every variant re-grades the same answers: encode each answer's sentences once.
    embed = EmbeddingGrader(CachingEmbedder(), calibration=Calibration())
    progress = Progress(len(rows), "embedding features")
    embed_feats = []
    for i, row in enumerate(rows):
        embed_feats.append([embed.pair_features(row["question"], ref, row["answer"])
                            or dict.fromkeys(EMBEDDING_FEATURES, 0.0) for ref in refs_of(row)])
        progress.step(i + 1)
    uq_feats, _ = judge_feature_rows(rows, judged["uq"], embed_feats)
    ua_feats, _ = judge_feature_rows(rows, judged["ua"], embed_feats)
    pair_feats, pair_y = authored_feature_rows(records, embed) if args.pairs else ([], [])
    have = np.array([uq_feats[i] is not None for i in range(len(rows))])
    folds = np.array([r["fold"] for r in rows])
    if len(set(folds[have])) == 1:
        # Judgements of the shipped model cover one question fold only: split
        # its questions again, so each is still graded by a calibration fitted
        # on other questions.
        folds = np.array([question_fold(r["dataset"], "sub:" + str(r["question_id"]))
                          for r in rows])

    def fit(idx, features, mohler_weight, with_pairs, full_at):
        X = np.array([[uq_feats[i][f] for f in features] for i in idx])
        yy = y[idx]
        w = np.array([mohler_weight if rows[i]["dataset"] == "mohler" else 1.0 for i in idx])
        if with_pairs and pair_feats:
            X = np.vstack([X, [[p[f] for f in features] for p in pair_feats]])
            yy = np.concatenate([yy, pair_y])
            w = np.concatenate([w, np.ones(len(pair_y))])
        coef, bias = fit_ridge(X, yy, w)
        # The band starts where typical wrong answers land: a key point stated no
        # better than a wrong answer states it earns nothing, so credit cannot pile
        # up from points an answer never makes (issue #13: "3 of 7 gives 8.7").
        return make_calibration(X, yy, coef, bias, features, full_at=full_at)

    def grade_with(cal, idx, split):
        cal.meta["contradicted_at"] = threshold["at"]
        grader = JudgeGrader(embed.embedder, calibration=cal, judge=ReplayJudge(replay[split]))
        return grade_rows([rows[i] for i in idx], grader)

    variants = JUDGE_VARIANTS if not args.only_first else JUDGE_VARIANTS[:1]
    report: dict = {"grader": "offline (claim judge)", "folds": FOLDS, "variants": [],
                    "contradiction_threshold": threshold}
    for name, features, mohler_weight, with_pairs, full_at in variants:
        pred = np.full(len(rows), np.nan)
        for f in range(FOLDS):
            train = np.where(have & (folds != f))[0]
            test = np.where(have & (folds == f))[0]
            # A fold is graded only by a calibration fitted on other folds' rows.
            if len(test) and len(train):
                cal = fit(train, features, mohler_weight, with_pairs, full_at)
                pred[test] = grade_with(cal, test, "uq")
        ok = ~np.isnan(pred)
        entry = {"name": name, "features": features, "mohler_weight": mohler_weight,
                 "hand_written_pairs": with_pairs, "full_strength_at": full_at,
                 "unseen_questions": report_by_dataset([rows[i] for i in np.where(ok)[0]],
                                                       [names[i] for i in np.where(ok)[0]],
                                                       pred[ok], y[ok])}
        ua_idx = np.array([i for i in range(len(rows)) if ua_feats[i] is not None])
        train = np.where(have & np.array([not r["ua"] for r in rows]))[0]
        if len(ua_idx) and len(train):
            ua_pred = grade_with(fit(train, features, mohler_weight, with_pairs, full_at), ua_idx, "ua")
            entry["unseen_answers"] = report_by_dataset([rows[i] for i in ua_idx],
                                                        [names[i] for i in ua_idx], ua_pred,
                                                        y[ua_idx])
        report["variants"].append(entry)
        print(json.dumps(entry), file=sys.stderr)

    name, features, mohler_weight, with_pairs, full_at = variants[0]
    calibration = fit(np.where(have)[0], features, mohler_weight, with_pairs, full_at)
    calibration.meta.update({
        "contradicted_at": threshold["at"],
        "contradiction_threshold": {k: v for k, v in threshold.items() if k != "grid"},
        "variant": name, "fitted_on": [Path(d).name for d in args.data]
        + (["grader_train_authored.jsonl (out-of-fold judgements)"] if with_pairs else []),
        "rows": int(have.sum()), "target": "human_score (0..1)",
        "model": f"weighted ridge (alpha={RIDGE}) on judge and embedding features; Mohler "
                 f"weight {mohler_weight}",
        "judge_features": "out-of-fold (each row judged by a model that never saw its question)",
        "cross_validated": report["variants"][0],
        "command": "python -m evals.calibrate --data " + " ".join(
            f"../shared/data/grading/{Path(d).name}" for d in args.data)
        + f" --oof {args.oof} --write",
    })
    report["shipped"] = {"weights": calibration.weights, "bias": calibration.bias,
                         "band": calibration.meta["band"],
                         "full_at": calibration.meta.get("full_at")}
    if args.write:
        calibration.save(CALIBRATION_PATH)
        report["written"] = str(CALIBRATION_PATH)
    return report


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--data", nargs="+", required=True, help="JSONL files (development data)")
    p.add_argument("--oof", help="folder of out-of-fold judgements (train_grader --cv): fit the "
                   "claim judge grader's calibration instead of the embedding grader's")
    p.add_argument("--no-pairs", dest="pairs", action="store_false",
                   help="with --oof: leave the hand-written pairs out of every fit")
    p.add_argument("--only-first", action="store_true",
                   help="with --oof: measure only the variant that ships")
    p.add_argument("--write", action="store_true", help="save the fit as the shipped calibration")
    p.add_argument("--features", nargs="+", default=FEATURES, choices=ALL_FEATURES,
                   help=f"embedding grader's pair features (default: {' '.join(FEATURES)})")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    report = judge_main(args) if args.oof else embedding_main(args)
    print(json.dumps(report) if args.json else json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
