"""Grade every row of a human-scored file and compare with the human scores.

    python -m evals.grading --data ../shared/data/grading/mohler_dev.jsonl --json

Rows need `question`, `answer` and `human_score` (0..1); `reference_answer`
(or the list `reference_answers`) may be null, and then the row is graded the
way the app grades: against the answer key the project's knowledge base
retrieves for the question. Nothing is fitted here: the grader runs with the
calibration shipped in the repository (or none, with --calibration none).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from evals.common import Progress, read_jsonl, regression_metrics, roc_auc


def make_grader(args):
    """The grader under test and a function (row) -> score 0..10."""
    from interviewer.grading.features import Calibration
    from interviewer.grading.offline import OfflineGrader, reference_from_text
    from interviewer.guide import classify

    if args.provider != "offline":
        raise SystemExit(f"provider {args.provider!r}: the LLM grader is not available yet")
    calibration = Calibration() if args.calibration == "none" else (
        Calibration.load() if args.calibration == "shipped" else Calibration.load(args.calibration))
    grader = OfflineGrader(calibration=calibration)
    kb = None

    def score(row: dict) -> float | None:
        nonlocal kb
        refs = row.get("reference_answers") or (
            [row["reference_answer"]] if row.get("reference_answer") else [])
        kind = classify(row["question"])
        if refs:
            grades = [grader.grade(reference_from_text(row["question"], r, kind), row["answer"])
                      for r in refs]
        else:
            if kb is None:
                from interviewer.config import load_settings
                from interviewer.knowledge import KnowledgeBase

                kb = KnowledgeBase(load_settings(), grader.embedder)
                if not kb.is_index_current():
                    kb.build_index()
            grades = [grader.grade(kb.reference_for_text(row["question"], kind), row["answer"])]
        scores = [g.score for g in grades if g.score is not None]
        if scores:
            return max(scores)
        # An empty answer gets no grade from the grader; against a human score it is a 0.
        return 0.0 if all(g.status == "empty" for g in grades) else None

    return grader, score


def evaluate(rows: list[dict], score_fn, label: str = "grading") -> dict:
    """Grade rows and compute agreement with the human scores."""
    progress = Progress(len(rows), label)
    preds, gold, labels, label_preds, skipped = [], [], [], [], 0
    start = time.perf_counter()
    for i, row in enumerate(rows, start=1):
        s = score_fn(row)
        progress.step(i)
        if s is None:
            skipped += 1
            continue
        preds.append(s / 10.0)
        gold.append(float(row["human_score"]))
        if row.get("label_2way"):
            labels.append(1 if row["label_2way"] == "correct" else 0)
            label_preds.append(s)
    out = {"n": len(preds), "skipped_no_reference": skipped}
    if preds:
        out.update(regression_metrics(preds, gold))
    if labels:
        out["roc_auc"] = round(roc_auc(label_preds, labels), 4)
    out["seconds"] = round(time.perf_counter() - start, 1)
    return out


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--data", required=True, help="JSONL file in the format of shared/data/grading")
    p.add_argument("--provider", default="offline",
                   choices=["offline", "openai", "anthropic", "openai-compatible"])
    p.add_argument("--limit", type=int, help="grade only the first N rows")
    p.add_argument("--calibration", default="shipped",
                   help="'shipped' (default), 'none', or a calibration JSON path")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args(argv)
    rows = read_jsonl(args.data, args.limit)
    if not rows:
        raise SystemExit(f"{args.data}: no rows")
    grader, score_fn = make_grader(args)
    result = {"data": args.data, "provider": args.provider, "calibration": args.calibration,
              **evaluate(rows, score_fn)}
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
