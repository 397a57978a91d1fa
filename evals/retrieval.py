"""Does retrieval alone find a question's own answer key?

    python -m evals.retrieval --sections 1 2 3 --json

For every guide question of the given sections (all sections when omitted),
and for the paraphrases this eval holds of questions in those sections, it
queries the index with the text alone — no id lookup — and reports whether
the question's own answer key comes back at rank 1 and within the top 5, and
the mean reciprocal rank (over the top 10 entries; an entry is one key or
note). It also times each paraphrase search (warm: the model is loaded first).

Two paraphrase sets:
- ``retrieval_paraphrases.json``: 250 rewordings written by the project
  before keys had ``### Asked as`` phrasings; the search's tuning
  (``SECOND_CHUNK_WEIGHT``) was chosen on it.
- ``retrieval_paraphrases_blind.json``: 190 rewordings (5 per section) written
  afterwards by a helper who saw only the question texts, never the keys or
  their phrasings. Nothing was tuned on it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from evals.common import Progress
from interviewer.guide import normalize_text

PARAPHRASES = Path(__file__).with_name("data") / "retrieval_paraphrases.json"
BLIND = Path(__file__).with_name("data") / "retrieval_paraphrases_blind.json"
DEPTH = 10


def rank_of(kb, text: str, question_id: str) -> int | None:
    """1-based rank of the entry whose key answers question_id, or None.

    A question asked word for word in two sections has two keys with the
    same heading; either one answers it, so either counts.
    """
    wanted = normalize_text(kb.by_id[question_id].text)
    for rank, hit in enumerate(kb.search(text, k=DEPTH), start=1):
        meta = hit["metadata"]
        if question_id in meta.get("question_ids", "").split(",") or (
                meta.get("key") and normalize_text(meta["heading"]) == wanted):
            return rank
    return None


def summarize(ranks: list[int | None]) -> dict:
    """n, recall@1, recall@5 and MRR of a list of ranks."""
    n = len(ranks)
    if not n:
        return {"n": 0}
    return {
        "n": n,
        "recall_at_1": round(sum(r == 1 for r in ranks) / n, 4),
        "recall_at_5": round(sum(r is not None and r <= 5 for r in ranks) / n, 4),
        "mrr": round(sum(1 / r for r in ranks if r) / n, 4),
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sections", type=int, nargs="*", help="section numbers (default: all)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--misses", action="store_true", help="list questions not found at rank 1")
    args = p.parse_args(argv)

    from interviewer.config import load_settings
    from interviewer.knowledge import KnowledgeBase

    kb = KnowledgeBase(load_settings())
    if not kb.is_index_current():
        kb.build_index()
    wanted = set(args.sections or [])
    questions = [q for q in kb.questions if (not wanted or q.section in wanted)]
    keyed = [q for q in questions if kb.key_for(q.id)]
    keyed_ids = {q.id for q in keyed}
    sets = {name: [p for p in json.loads(path.read_text(encoding="utf-8")) if p["id"] in keyed_ids]
            for name, path in (("paraphrases", PARAPHRASES), ("paraphrases_blind", BLIND))
            if path.exists()}

    progress = Progress(len(keyed) + sum(map(len, sets.values())), "retrieval")
    guide_ranks, misses, done = [], [], 0
    for q in keyed:
        r = rank_of(kb, q.text, q.id)
        guide_ranks.append(r)
        if r != 1:
            misses.append({"id": q.id, "text": q.text, "rank": r, "kind": "guide"})
        done += 1
        progress.step(done)
    ranks: dict[str, list] = {}
    times: list[float] = []
    for name, items in sets.items():
        ranks[name] = []
        for item in items:
            t = time.perf_counter()
            r = rank_of(kb, item["paraphrase"], item["id"])
            times.append(time.perf_counter() - t)
            ranks[name].append(r)
            if r != 1:
                misses.append({"id": item["id"], "text": item["paraphrase"], "rank": r,
                               "kind": name})
            done += 1
            progress.step(done)

    result = {
        "sections": sorted(wanted) if wanted else "all",
        **summarize(guide_ranks),
        "questions_without_key": len(questions) - len(keyed),
        **{name: summarize(r) for name, r in ranks.items()},
        "combined": summarize(guide_ranks + [r for rs in ranks.values() for r in rs]),
    }
    if times:
        result["search_p50_ms"] = round(float(np.percentile(times, 50)) * 1000, 1)
        result["search_p95_ms"] = round(float(np.percentile(times, 95)) * 1000, 1)
    if args.misses:
        result["misses"] = misses
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
