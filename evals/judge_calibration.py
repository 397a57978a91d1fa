"""Out-of-fold judgements: every development row judged by a model that never saw it.

Used by ``python -m evals.train_grader --cv``. Jobs:

- ``f0`` .. ``f4``: train without one question fold (development questions and
  answer keys of that fold), judge the fold's rows ("unseen questions") and the
  fold's hand-written pairs;
- ``ua``: train without the fixed "unseen answers" hold-out, judge it;
- ``ship``: the shipped model. It trains without fold 0's questions (and their
  answer keys) and without the "unseen answers" hold-out, and judges both, so
  the shipped calibration and the reported figures come from answers the
  shipped judge never saw. One training run: it fits the 2-core CPU budget,
  where five folds would not.

Each job writes ``oof-<job>.jsonl`` (so jobs can run in parallel processes and
be merged); ``evals.calibrate --oof`` turns the merged judgements into the
cross-validated figures and the shipped calibration.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np

from evals.common import roc_auc
from evals.splits import FOLDS, question_fold

JOBS = [f"f{i}" for i in range(FOLDS)] + ["ua"]


def key_fold(key) -> int:
    """The fold of an answer key (by its first question id)."""
    return question_fold("keys", key.question_ids[0])


def split_for(job: str, dev_rows, keys, authored):
    """(training rows, keys, authored pairs) and (held-out rows, held-out pairs) of a job."""
    if job == "ship":
        (tr_rows, tr_keys, tr_auth), (te_rows, te_auth) = split_for("f0", dev_rows, keys, authored)
        held_out = [r for r in tr_rows if r["ua"]]
        tr_rows = [r for r in tr_rows if not r["ua"]]
        return (tr_rows, tr_keys, tr_auth), (te_rows + held_out, te_auth)
    if job == "ua":
        train_rows = [r for r in dev_rows if not r["ua"]]
        test_rows = [r for r in dev_rows if r["ua"]]
        return (train_rows, keys, authored), (test_rows, [])
    f = int(job[1:])
    train_rows = [r for r in dev_rows if r["fold"] != f]
    test_rows = [r for r in dev_rows if r["fold"] == f]
    held_q = {qid for k in keys if key_fold(k) == f for qid in k.question_ids}
    train_keys = [k for k in keys if key_fold(k) != f]
    return ((train_rows, train_keys, [p for p in authored if p["question_id"] not in held_q]),
            (test_rows, [p for p in authored if p["question_id"] in held_q]))


def authored_judgements(judge, pairs, keys_by_qid) -> list[dict]:
    """Judge hand-written pairs: paraphrase, contradiction, and another point's paraphrase."""
    out = []
    by_q: dict[str, list[dict]] = {}
    for p in pairs:
        by_q.setdefault(p["question_id"], []).append(p)
    for qid, items in sorted(by_q.items()):
        key = keys_by_qid.get(qid)
        if key is None:
            continue
        items = sorted(items, key=lambda p: p["point_index"])
        for n, p in enumerate(items):
            point = key.key_points[p["point_index"]]
            other = items[(n + 1) % len(items)]
            cases = [("paraphrase", p["paraphrase"]), ("contradiction", p["contradiction"])]
            if other is not p:
                cases.append(("other", other["paraphrase"]))
            for kind, text in cases:
                j = judge.judge(text, [point])[0]
                out.append({"question_id": qid, "point_index": p["point_index"], "kind": kind,
                            "how": p.get("how"), "s": j.support_logit, "r": j.reference_logit,
                            "c": j.contradiction_logit})
    return out


def run_job(job: str, dev_rows, keys, questions, authored, args, device: str,
            out: Path, keep_model: bool = False) -> Path:
    """Train one job's model, judge its held-out rows, write oof-<job>.jsonl.

    With keep_model the int8 ONNX model stays in `out` (the shipped judge)."""
    from evals.train_grader import export, judge_rows, log, train
    from interviewer.grading.judge import Judge

    (tr_rows, tr_keys, tr_auth), (te_rows, te_auth) = split_for(job, dev_rows, keys, authored)
    log(f"[{job}] training on {len(tr_rows)} rows, {len(tr_keys)} keys, {len(tr_auth)} pairs; "
        f"judging {len(te_rows)} rows, {len(te_auth)} pairs")
    net = train(tr_rows, tr_keys, questions, tr_auth, args, device, job)
    with tempfile.TemporaryDirectory() as tmp:
        judge = Judge(export(net, out if keep_model else Path(tmp)), threads=args.threads or None)
        log(f"[{job}] judging {len(te_rows)} held-out rows")
        rows = judge_rows(judge, te_rows)
        keys_by_qid = {qid: k for k in keys for qid in k.question_ids}
        pairs = authored_judgements(judge, te_auth, keys_by_qid)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"oof-{job}.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for r, j in zip(te_rows, rows):
            # The ship job's held-out rows are of two kinds; calibrate reads the kind from "job".
            kind = ("ua" if r["ua"] and r["fold"] != 0 else "f0") if job == "ship" else job
            fh.write(json.dumps({"type": "row", "job": kind, "id": r["id"], **j}) + "\n")
        for p in pairs:
            fh.write(json.dumps({"type": "pair", "job": job, **p}) + "\n")
    return path


def quick_metrics(records: list[dict], dev_rows: list[dict]) -> dict:
    """Point-level figures of raw judgements (before any calibration)."""
    by_id = {r["id"]: r for r in dev_rows}
    out = {}
    for job_kind in ("uq", "ua"):
        rows = [x for x in records if x["type"] == "row"
                and (x["job"] == "ua") == (job_kind == "ua")]
        for ds in ("mohler", "beetle"):
            sel = [x for x in rows if by_id[x["id"]]["dataset"] == ds]
            if not sel:
                continue
            gold = np.array([by_id[x["id"]]["human_score"] for x in sel])
            s = np.array([x["s"] for x in sel])
            n = s - np.array([x["r"] for x in sel])
            m = {"n": len(sel), "pearson_support": round(float(np.corrcoef(s, gold)[0, 1]), 4),
                 "pearson_normalised": round(float(np.corrcoef(n, gold)[0, 1]), 4)}
            if ds == "beetle":
                lab = [by_id[x["id"]]["label_2way"] == "correct" for x in sel]
                m["auc_support"] = round(roc_auc(s, lab), 4)
                m["auc_normalised"] = round(roc_auc(n, lab), 4)
                con = [by_id[x["id"]]["label_5way"] == "contradictory" for x in sel]
                m["auc_contradiction_detect"] = round(roc_auc([x["c"] for x in sel], con), 4)
            out[f"{job_kind}_{ds}"] = m
    pairs = [x for x in records if x["type"] == "pair"]
    if pairs:
        para = [x for x in pairs if x["kind"] == "paraphrase"]
        con = [x for x in pairs if x["kind"] == "contradiction"]
        oth = [x for x in pairs if x["kind"] == "other"]
        out["authored_pairs"] = {
            "n_points": len(para),
            "support_auc_paraphrase_vs_other_point": round(roc_auc(
                [x["s"] for x in para + oth], [1] * len(para) + [0] * len(oth)), 4),
            "support_auc_paraphrase_vs_contradiction": round(roc_auc(
                [x["s"] for x in para + con], [1] * len(para) + [0] * len(con)), 4),
            "contradiction_auc_contradiction_vs_paraphrase": round(roc_auc(
                [x["c"] for x in con + para], [1] * len(con) + [0] * len(para)), 4),
            "contradiction_auc_contradiction_vs_other_point": round(roc_auc(
                [x["c"] for x in con + oth], [1] * len(con) + [0] * len(oth)), 4),
        }
    return out


# The contradiction threshold is the lowest on this grid at which at most these
# shares of held-out correct Beetle answers and of the project's hand-written
# correct paraphrases would be flagged as contradicting their reference: telling
# a candidate "you said the opposite" when they did not is the worst thing the
# grader can do. The two bounds write down the rule behind the hand-picked 0.7
# of the 2-epoch judge (0.3% and 4.8% there), which they reproduce.
CONTRADICTION_GRID = [round(0.5 + 0.05 * i, 2) for i in range(10)]
MAX_CORRECT_FLAGGED = 0.005
MAX_PARAPHRASES_FLAGGED = 0.05


def contradiction_threshold(records: list[dict], dev_rows: list[dict]) -> dict:
    """The contradiction probability at which a point counts as contradicted, chosen on
    held-out judgements, with how often it fires on correct and contradicting text."""
    from interviewer.grading.judge import sigmoid

    def prob(logits: list[float]) -> np.ndarray:
        return sigmoid(np.asarray(logits, dtype=float))

    def share(probs: np.ndarray, t: float) -> float | None:
        return round(float(np.mean(probs >= t)), 4) if len(probs) else None

    by_id = {r["id"]: r for r in dev_rows}
    held = [x for x in records if x["type"] == "row" and x["job"] in ("f0", "ua")
            and x["id"] in by_id and by_id[x["id"]]["dataset"] == "beetle"]
    correct = prob([x["c"] for x in held if by_id[x["id"]].get("label_2way") == "correct"])
    pairs = [x for x in records if x["type"] == "pair"]
    para = prob([x["c"] for x in pairs if x["kind"] == "paraphrase"])
    contra = prob([x["c"] for x in pairs if x["kind"] == "contradiction"])

    table = [{"at": t, "beetle_correct_flagged": share(correct, t),
              "paraphrases_flagged": share(para, t), "contradictions_flagged": share(contra, t)}
             for t in CONTRADICTION_GRID]

    def within(r: dict) -> bool:
        return all(share is None or share <= bound for share, bound in (
            (r["beetle_correct_flagged"], MAX_CORRECT_FLAGGED),
            (r["paraphrases_flagged"], MAX_PARAPHRASES_FLAGGED)))

    chosen = next((r for r in table if within(r)), table[-1])
    return {**chosen, "rule": f"lowest threshold flagging at most {MAX_CORRECT_FLAGGED:.1%} "
            f"of held-out correct Beetle answers and {MAX_PARAPHRASES_FLAGGED:.0%} of "
            "hand-written paraphrases", "n_beetle_correct": len(correct),
            "n_paraphrases": len(para), "grid": table}


def read_oof(folder: Path) -> list[dict]:
    """Every record of every oof-*.jsonl in a folder."""
    records = []
    for path in sorted(Path(folder).glob("oof-*.jsonl")):
        records += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return records


def cross_validate(dev_rows, keys, questions, authored, args, device, out: Path,
                   calibration_out: Path | None, jobs: list[str] | None = None) -> dict:
    """Run the given jobs (all by default) and summarise every oof file in `out`."""
    for job in jobs or JOBS:
        run_job(job, dev_rows, keys, questions, authored, args, device, out)
    records = read_oof(out)
    return quick_metrics(records, dev_rows)


__all__ = ["JOBS", "run_job", "cross_validate", "quick_metrics", "read_oof", "split_for",
           "key_fold"]
