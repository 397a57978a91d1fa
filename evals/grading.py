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

from evals.common import Progress, read_jsonl, regression_metrics, roc_auc, row_kind


def make_grader(args):
    """The grader under test and a function (row) -> score 0..10."""
    from interviewer.grading.offline import reference_from_text

    grader = make_llm_or_offline(args, offline_grader(args))
    kb = None
    fallbacks = [0]

    def score(row: dict) -> float | None:
        nonlocal kb
        refs = row.get("reference_answers") or (
            [row["reference_answer"]] if row.get("reference_answer") else [])
        kind = row_kind(row)
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
        fallbacks[0] += sum(1 for g in grades if g.fallback_reason)
        scores = [g.score for g in grades if g.score is not None]
        if scores:
            return max(scores)
        # An empty answer gets no grade from the grader; against a human score it is a 0.
        return 0.0 if all(g.status == "empty" for g in grades) else None

    score.fallbacks = fallbacks
    return grader, score


def offline_grader(args, embedder=None):
    """The offline grader --grader names, with the calibration --calibration names."""
    from interviewer.grading.features import Calibration
    from interviewer.grading.registry import make_offline

    grader = make_offline(getattr(args, "grader", "offline"), embedder)
    calibration = getattr(args, "calibration", "shipped")
    if calibration == "none":
        grader.calibration = Calibration()
    elif calibration != "shipped":
        grader.calibration = Calibration.load(calibration)
    return grader


def make_llm_or_offline(args, offline):
    """The grader for --provider: the offline one, or an LLM grader over it."""
    if args.provider == "offline":
        return offline
    from interviewer.config import load_settings
    from interviewer.llm import LLMError, make_grader

    try:
        return make_grader(load_settings(provider=args.provider, model=args.model,
                                         base_url=args.base_url), offline)
    except LLMError as exc:
        raise SystemExit(f"cannot use {args.provider}: {exc.reason}") from None


def add_provider_args(p: argparse.ArgumentParser) -> None:
    """--grader, --provider, --model and --base-url, shared by the evals."""
    p.add_argument("--grader", default="offline", choices=["offline", "embedding"],
                   help="offline grader: 'offline' (embeddings + claim judge, the default) or "
                   "'embedding' (embeddings only); an LLM grader falls back to it")
    p.add_argument("--provider", default="offline",
                   choices=["offline", "openai", "anthropic", "openai-compatible"],
                   help="keys come from OPENAI_API_KEY / ANTHROPIC_API_KEY / INTERVIEWER_API_KEY")
    p.add_argument("--model", help="model name for an LLM provider")
    p.add_argument("--base-url", help="server URL for an OpenAI-compatible provider")


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
    add_provider_args(p)
    p.add_argument("--limit", type=int, help="grade only the first N rows")
    p.add_argument("--calibration", default="shipped",
                   help="'shipped' (default), 'none', or a calibration JSON path")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args(argv)
    rows = read_jsonl(args.data, args.limit)
    if not rows:
        raise SystemExit(f"{args.data}: no rows")
    grader, score_fn = make_grader(args)
    result = {"data": args.data, "grader": grader.name, "provider": args.provider,
              "calibration": args.calibration,
              **evaluate(rows, score_fn)}
    if args.provider != "offline":
        # Rows the LLM failed on were graded offline: say how many, never hide it.
        result["llm_fallbacks"] = score_fn.fallbacks[0]
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
