"""Does the sentence the feedback quotes really contradict the key point?

    python -m evals.quotes --json             # the shipped grader's quotes
    python -m evals.quotes --compare --json   # ... and other ways of choosing the quote

When the offline grader calls a key point contradicted, the feedback quotes one
sentence of the answer ("You said "…", but the key holds: …"). A candidate can
check the grade only if that sentence is the one that gets the point wrong.

The labels (`evals/data/quote_labels.jsonl`) come from four readers who were given
the fluent-but-wrong answers of `evals.indomain` (levels wrong and short_wrong)
split into sentences, and one key point at a time, never the grader's output or
scores. For each (answer, point) they named the one sentence they would quote to
show the candidate what they got wrong, any other sentences that also contradict
the point, or none. The pairs labelled are the 255 points the grader flagged on
2026-12-08 (9ca19f6); a flag the grader raises that has no label is counted, not
judged.

Figures, over flags that carry a label:
- ``quote_contradicts``: the quote is a sentence the readers named;
- ``quote_is_first_choice``: it is the one they would quote;
- ``no_sentence_contradicts``: the readers found no sentence contradicting the point
  (the flag itself is doubtful; ``evals.contradiction`` measures flags against the
  answer writers' own labels).

With ``--compare`` every flagged point is also read by the judge against every
sentence, and other ways of choosing the quote are scored on the same flags.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from evals.common import Progress, read_jsonl
from evals.indomain import DATA, SHORT

LABELS = Path(__file__).with_name("data") / "quote_labels.jsonl"


def contradicting(label: dict) -> set[str]:
    """Every sentence the readers said contradicts the point."""
    return ({label["best"]} if label["best"] else set()) | set(label["also"])


def _rules(cos: np.ndarray, support: np.ndarray, contra: np.ndarray) -> dict[str, int]:
    """Sentence index each way of choosing the quote picks, for one point."""
    engaged = np.maximum(support, contra)
    return {
        "nearest sentence in meaning, MiniLM cosine (ships)": int(np.argmax(cos)),
        "most contradicting sentence (judge)": int(np.argmax(contra)),
        "sentence the judge reads as most about the point (max of support, contradiction)":
            int(np.argmax(engaged)),
        "most contradicting of the two nearest sentences": int(
            np.argsort(-cos)[:2][np.argmax(contra[np.argsort(-cos)[:2]])]),
        "cosine + 0.05 x judge's max logit": int(np.argmax(cos + 0.05 * engaged)),
    }


def answers(labels: list[dict]) -> list[dict]:
    """The labelled answers, from the in-domain data files."""
    wanted = {(r["question_id"], r["level"]) for r in labels}
    rows = read_jsonl(DATA) + read_jsonl(SHORT)
    return [r for r in rows if (r["question_id"], r["level"]) in wanted]


def run(compare: bool = False, labels_path: Path = LABELS) -> dict:
    """Grade every labelled answer and score its quotes against the labels."""
    from evals.contradiction import knowledge_base
    from interviewer.grading.judged import JudgeGrader

    labels = read_jsonl(labels_path)
    by_answer: dict[tuple[str, str], dict[int, dict]] = defaultdict(dict)
    for lab in labels:
        by_answer[(lab["question_id"], lab["level"])][lab["point"]] = lab
    kb = knowledge_base()
    grader = JudgeGrader(kb.embedder)
    rows = answers(labels)
    counts = defaultdict(int)
    rule_hits: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    stale = 0
    progress = Progress(len(rows), "answers")
    for i, row in enumerate(rows):
        ref = kb.reference_for(kb.by_id[row["question_id"]])
        result = grader.grade(ref, row["answer"])
        own = by_answer[(row["question_id"], row["level"])]
        flagged = []
        for item in result.contradicted:
            k = ref.key_points.index(item["point"])
            lab = own.get(k)
            counts["flags"] += 1
            if lab is None or lab["point_text"] != item["point"]:
                # A point edited since labelling is judged by nobody.
                stale += lab is not None
                counts["flags_without_label"] += 1
                continue
            counts["labelled_flags"] += 1
            if lab["best"] is None:
                counts["no_sentence_contradicts"] += 1
                continue
            counts["with_a_contradicting_sentence"] += 1
            counts["quote_contradicts"] += item["quote"] in contradicting(lab)
            counts["quote_is_first_choice"] += item["quote"] == lab["best"]
            flagged.append((k, lab))
        if compare and flagged:
            _, units, vecs = grader.answer_units(row["answer"])
            cos = vecs @ grader._anchor_vectors(ref)[1:].T
            points = [k for k, _ in flagged]
            read = grader.judge.judge_texts(units, ref.key_points, [points] * len(units),
                                            reference=False)
            for k, lab in flagged:
                support = np.array([r[k].support_logit for r in read])
                contra = np.array([r[k].contradiction_logit for r in read])
                for name, u in _rules(cos[:, k], support, contra).items():
                    rule_hits[name][0] += units[u] in contradicting(lab)
                    rule_hits[name][1] += units[u] == lab["best"]
        progress.step(i + 1)
    n = counts["labelled_flags"]
    m = counts["with_a_contradicting_sentence"]
    report = {
        "data": [LABELS.name], "answers": len(rows), "grader": grader.name,
        "flags": counts["flags"], "labelled_flags": n,
        "flags_without_label": counts["flags_without_label"], "stale_labels": stale,
        "no_sentence_contradicts": round(counts["no_sentence_contradicts"] / n, 3) if n else None,
        "quote_contradicts": round(counts["quote_contradicts"] / m, 3) if m else None,
        "quote_is_first_choice": round(counts["quote_is_first_choice"] / m, 3) if m else None,
        "quote_contradicts_of_all_labelled_flags":
            round(counts["quote_contradicts"] / n, 3) if n else None,
    }
    if compare:
        report["rules"] = {name: {"quote_contradicts": round(a / m, 3),
                                  "quote_is_first_choice": round(b / m, 3)}
                           for name, (a, b) in rule_hits.items()}
    return report


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--compare", action="store_true",
                   help="also score other ways of choosing the quote on the same flags")
    p.add_argument("--labels", type=Path, default=LABELS)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    report = run(args.compare, args.labels)
    print(json.dumps(report) if args.json else json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
