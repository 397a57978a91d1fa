"""Grade the project's own answers to held-out guide questions at four levels.

    python -m evals.indomain --json [--grader offline|embedding] [--provider ...]

`evals/data/indomain_answers.jsonl` holds answers the project wrote for 108
guide questions (three per section, chosen by `evals.splits.eval_keys`; their
answer keys never train the claim judge): for each question a strong answer,
a partial one (about half the key points, all correct), a vague one (the
right buzzwords, no checkable claim) and a fluent-but-wrong one (confident,
the right vocabulary, contradicting at least two key points). Each answer
lists which key points it states and which it contradicts.

`evals/data/indomain_natural.jsonl` adds a fifth level, **natural**: for each
of the same 108 questions, a competent answer written the way a candidate
talks, from the question alone; only afterwards did its writer read the key
and label which points it states. These answers test what the strong ones
cannot: that a correct answer in a candidate's own words, order and register
is not marked down because it does not echo the key.

`evals/data/indomain_short.jsonl` adds two more, **short** and **short_wrong**:
for each question, one or two answers of 12-50 words as a candidate types them
in a chat (the gist of a point, without its formula or figures), and one as
short, fluent and confidently wrong, written and labelled the same way.

It reports the mean score per level, how often the levels come out in the
right order for a question, the ROC AUC of strong against fluent-but-wrong
(and against vague), and how the per-point verdicts agree with the writers'
annotations: precision of "covered" on strong and partial answers, and
recall of "contradicted" on the wrong ones.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from evals.common import Progress, read_jsonl, roc_auc
from evals.grading import add_provider_args, make_llm_or_offline, offline_grader

DATA = Path(__file__).parent / "data" / "indomain_answers.jsonl"
# Answers written from the question alone, the way a candidate talks, and only
# then labelled against the key (see the module docstring).
NATURAL = Path(__file__).parent / "data" / "indomain_natural.jsonl"
# Short typed answers (12-50 words), right (level short) and wrong (short_wrong),
# written the same way: from the question alone, labelled against the key after.
SHORT = Path(__file__).parent / "data" / "indomain_short.jsonl"
LEVELS = ("strong", "partial", "vague", "wrong", "natural", "short", "short_wrong")
# Levels written from the question alone and labelled afterwards: each gets its
# own block of point-level agreement with the writers' labels.
LABELLED = ("natural", "short")


def summarise(rows: list[dict], grades: list) -> dict:
    """Figures over graded rows (grades aligned with rows; None = not scored)."""
    by_level: dict[str, list[float]] = {lvl: [] for lvl in LEVELS}
    by_q: dict[str, dict[str, float]] = {}
    covered_hits = covered_total = 0
    stated_found = stated_total = 0
    contra_found = contra_total = 0
    false_contra = 0
    labelled = {lvl: {"found": 0, "stated": 0, "hits": 0, "covered": 0, "flagged": 0,
                      "share": [], "score": []} for lvl in LABELLED}
    for row, g in zip(rows, grades):
        if g is None or g.score is None:
            continue
        by_level[row["level"]].append(g.score)
        by_q.setdefault(row["question_id"], {})[row["level"]] = g.score
        verdicts = [kp.verdict for kp in g.key_points]
        if not verdicts:
            continue
        stated = set(row.get("points_stated", []))
        wrong = set(row.get("points_contradicted", []))
        if row["level"] in LABELLED:
            tally = labelled[row["level"]]
            for i, v in enumerate(verdicts):
                tally["covered"] += v == "covered"
                tally["hits"] += v == "covered" and i in stated
                if i in stated:
                    tally["stated"] += 1
                    tally["found"] += v in ("covered", "partly")
            tally["flagged"] += any(v == "contradicted" for v in verdicts)
            tally["share"].append(len(stated) / len(verdicts))
            tally["score"].append(g.score)
        if row["level"] in ("strong", "partial"):
            for i, v in enumerate(verdicts):
                if v == "covered":
                    covered_total += 1
                    covered_hits += i in stated
                if i in stated:
                    stated_total += 1
                    stated_found += v in ("covered", "partly")
            false_contra += any(v == "contradicted" for v in verdicts)
        if row["level"] == "wrong":
            for i in wrong:
                if i < len(verdicts):
                    contra_total += 1
                    contra_found += verdicts[i] == "contradicted"

    def stats(values: list[float]) -> dict:
        if not values:
            return {"n": 0}
        a = np.asarray(values)
        return {"n": len(a), "mean": round(float(a.mean()), 2),
                "median": round(float(np.median(a)), 2),
                "share_at_least_7": round(float((a >= 7).mean()), 3),
                "share_at_most_3": round(float((a <= 3).mean()), 3)}

    # Questions with all four written levels (the natural level is extra, not required).
    order_ok = [q for q in by_q.values() if {"strong", "partial", "vague", "wrong"} <= set(q)]
    out = {"levels": {lvl: stats(v) for lvl, v in by_level.items()}}
    if by_level["strong"] and by_level["wrong"]:
        out["auc_strong_vs_wrong"] = round(roc_auc(
            by_level["strong"] + by_level["wrong"],
            [1] * len(by_level["strong"]) + [0] * len(by_level["wrong"])), 4)
    if by_level["natural"] and by_level["wrong"]:
        out["auc_natural_vs_wrong"] = round(roc_auc(
            by_level["natural"] + by_level["wrong"],
            [1] * len(by_level["natural"]) + [0] * len(by_level["wrong"])), 4)
    if by_level["short"] and by_level["short_wrong"]:
        out["auc_short_vs_short_wrong"] = round(roc_auc(
            by_level["short"] + by_level["short_wrong"],
            [1] * len(by_level["short"]) + [0] * len(by_level["short_wrong"])), 4)
    for lvl, tally in labelled.items():
        if not tally["score"]:
            continue
        out[lvl] = {
            "stated_recall": round(tally["found"] / max(1, tally["stated"]), 3),
            "covered_precision": round(tally["hits"] / max(1, tally["covered"]), 3),
            "with_a_contradiction_flag": round(tally["flagged"] / len(tally["score"]), 3),
            "mean_share_of_points_stated": round(float(np.mean(tally["share"])), 3),
            "pearson_score_vs_share_stated": round(float(np.corrcoef(
                tally["score"], tally["share"])[0, 1]), 3)
            if len(tally["score"]) > 2 else None,
        }
    if by_level["strong"] and by_level["vague"]:
        out["auc_strong_vs_vague"] = round(roc_auc(
            by_level["strong"] + by_level["vague"],
            [1] * len(by_level["strong"]) + [0] * len(by_level["vague"])), 4)
    if order_ok:
        out["questions_strong_above_partial_above_vague"] = round(float(np.mean(
            [q["strong"] > q["partial"] > q["vague"] for q in order_ok])), 3)
        out["questions_strong_above_wrong"] = round(float(np.mean(
            [q["strong"] > q["wrong"] for q in order_ok])), 3)
        out["questions_partial_above_wrong"] = round(float(np.mean(
            [q["partial"] > q["wrong"] for q in order_ok])), 3)
    out["points"] = {
        "covered_precision_strong_partial": round(covered_hits / covered_total, 3)
        if covered_total else None,
        "stated_recall_strong_partial": round(stated_found / stated_total, 3)
        if stated_total else None,
        "contradicted_recall_wrong": round(contra_found / contra_total, 3)
        if contra_total else None,
        "strong_or_partial_with_a_contradiction_flag": round(
            false_contra / max(1, len(by_level["strong"]) + len(by_level["partial"])), 3),
    }
    return out


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--data", nargs="+", default=[str(DATA), str(NATURAL), str(SHORT)],
                   help="answers JSONL files (default: the three shipped sets)")
    p.add_argument("--limit", type=int, help="grade only the first N answers")
    p.add_argument("--level", choices=["junior", "mid", "senior"], default="mid",
                   help="the interviewer level whose bar to grade at (default mid)")
    p.add_argument("--calibration", default="shipped", help=argparse.SUPPRESS)
    add_provider_args(p)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)

    from interviewer.config import load_settings
    from interviewer.knowledge import KnowledgeBase

    rows = [r for path in args.data if Path(path).exists() for r in read_jsonl(path)]
    rows = rows[:args.limit] if args.limit else rows
    kb = KnowledgeBase(load_settings())
    if not kb.is_index_current():
        kb.build_index()
    grader = make_llm_or_offline(args, offline_grader(args, kb.embedder))
    missing = sorted({r["question_id"] for r in rows} - set(kb.by_id))
    if missing:
        raise SystemExit(f"questions not in the guide: {', '.join(missing[:5])}")
    progress = Progress(len(rows), "grading")
    grades, start = [], time.perf_counter()
    for i, row in enumerate(rows, 1):
        ref = kb.reference_for(kb.by_id[row["question_id"]])
        g = grader.grade(ref.model_copy(update={"level": args.level}), row["answer"])
        grades.append(g)
        progress.step(i)
    result = {"data": [Path(d).name for d in args.data], "grader": grader.name,
              "model": getattr(grader, "model_label", None), "provider": args.provider,
              "level": args.level,
              "answers": len(rows), "questions": len({r["question_id"] for r in rows}),
              **summarise(rows, grades),
              "seconds": round(time.perf_counter() - start, 1)}
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
