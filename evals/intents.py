"""How well the interviewer tells requests ("clarify?", "a hint?", "I don't know") from answers.

    python -m evals.intents --json

Reads every message of each set with the offline reader (patterns, then the
packaged MiniLM) and reports accuracy, per-request precision and recall, and
the two errors that matter: an answer taken for a request (the answer goes
ungraded) and a request taken for an answer (it gets a meaningless grade; the
UI offers to take it back when the reader marked it `maybe`). It also reads
the explanation of every answer key, and every in-domain answer (strong,
partial, vague, fluent-but-wrong), as a message: each must be an answer.

Sets: evals/data/intents_dev.json, written with the thresholds in view;
evals/data/intents_blind.json, written by someone who never saw the reader (its
errors were then read, and the patterns widened); evals/data/intents_blind2.json,
written the same way after that, and used for nothing else.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

DATA = Path(__file__).with_name("data")
SETS = {"dev": DATA / "intents_dev.json", "blind": DATA / "intents_blind.json",
        "blind2": DATA / "intents_blind2.json"}


def score_set(reader, items: list[dict]) -> dict:
    """Accuracy and per-intent figures of a reader on labelled messages."""
    from interviewer.intents import REQUESTS

    got = [reader.read(i["message"], i.get("question", "")) for i in items]
    pairs = [(i["intent"], r.intent) for i, r in zip(items, got)]
    out = {"n": len(items), "accuracy": round(sum(a == b for a, b in pairs) / len(pairs), 3)}
    per = {}
    for intent in (*REQUESTS, "answer"):
        tp = sum(a == b == intent for a, b in pairs)
        said = sum(b == intent for _, b in pairs)
        true = sum(a == intent for a, _ in pairs)
        per[intent] = {"n": true, "precision": round(tp / said, 3) if said else None,
                       "recall": round(tp / true, 3) if true else None}
    out["per_intent"] = per
    answers = [(i, r) for i, r in zip(items, got) if i["intent"] == "answer"]
    requests = [(i, r) for i, r in zip(items, got) if i["intent"] != "answer"]
    out["answers_taken_for_requests"] = sum(r.is_request for _, r in answers)
    missed = [(i, r) for i, r in requests if not r.is_request]
    out["requests_graded_as_answers"] = len(missed)
    out["of_those_offered_undo"] = sum(r.maybe is not None for _, r in missed)
    out["confusions"] = Counter(f"{a}->{b}" for a, b in pairs if a != b).most_common(8)
    out["errors"] = [{"message": i["message"], "label": i["intent"], "read": r.intent,
                      "via": r.via, "maybe": r.maybe}
                     for i, r in zip(items, got) if r.intent != i["intent"]][:15]
    return out


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)

    from interviewer.config import load_settings
    from interviewer.intents import IntentReader
    from interviewer.knowledge import KnowledgeBase

    kb = KnowledgeBase(load_settings())
    reader = IntentReader(kb.embedder.encode_cached)
    out: dict = {}
    for name, path in SETS.items():
        if path.exists():
            out[name] = score_set(reader, json.loads(path.read_text(encoding="utf-8"))["items"])
    keys = {id(k): k for k in (kb.key_for(q.id) for q in kb.questions) if k}.values()
    taken = [k.title for k in keys
             if reader.read(k.explanation, k.title).is_request]
    out["key_explanations"] = {"n": len(keys), "taken_for_requests": len(taken),
                               "examples": taken[:5]}
    # The in-domain answers (strong, partial, vague, fluent-but-wrong) are all
    # answers, hedged ones included.
    rows = [json.loads(line) for line in (DATA / "indomain_answers.jsonl").read_text(
        encoding="utf-8").splitlines() if line.strip()]
    lost = [r for r in rows
            if reader.read(r["answer"], kb.by_id[r["question_id"]].text).is_request]
    out["indomain_answers"] = {"n": len(rows), "taken_for_requests": len(lost),
                               "examples": [r["answer"][:80] for r in lost[:5]]}
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        for name in SETS:
            if name in out:
                s = out[name]
                print(f"{name}: accuracy {s['accuracy']:.3f} over {s['n']}; answers taken for "
                      f"requests {s['answers_taken_for_requests']}; requests graded as answers "
                      f"{s['requests_graded_as_answers']} ({s['of_those_offered_undo']} offered undo)")
        print(f"answer-key explanations read as requests: {len(taken)} of {len(keys)}")
        print(f"in-domain answers read as requests: {len(lost)} of {len(rows)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
