"""Fixed, documented splits: which questions train the grader and which test it.

Everything here is deterministic (hashes of ids, no random state), so a split
never moves between runs or machines:

- In-domain eval keys: three answer keys per guide section, never used for
  training. Their questions carry the project's hand-written answers at four
  levels (``evals/data/indomain_answers.jsonl``).
- Authored training keys: keys whose points got hand-written paraphrases and
  contradictions (``evals/data/grader_train_authored.jsonl``); disjoint from the
  eval keys.
- Development data (``../shared/data/grading/``): five folds of whole question
  groups ("unseen questions") and, inside every question, a fixed fifth of the
  answers held out ("unseen answers").
"""

from __future__ import annotations

import hashlib

EVAL_KEYS_PER_SECTION = 3
AUTHORED_KEYS = 240
FOLDS = 5
UNSEEN_ANSWER_SHARE = 0.2
# Behavioral keys describe qualities of a story, not facts: a "fluent but
# wrong" answer has no meaning there, so they sit out of both authored sets.
EXCLUDED_KINDS = {"behavioral"}


def _h(text: str) -> int:
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest()[:12], 16)


def _key_kind(key, by_id) -> str:
    first = by_id.get(key.question_ids[0])
    return key.kind or (first.kind if first else "concept")


def eval_keys(keys, questions) -> list:
    """The answer keys held out for the in-domain eval (three per section)."""
    by_id = {q.id: q for q in questions}
    per_section: dict[int, list] = {}
    for key in keys:
        first = by_id.get(key.question_ids[0])
        if first is None or _key_kind(key, by_id) in EXCLUDED_KINDS:
            continue
        per_section.setdefault(first.section, []).append(key)
    chosen = []
    for section in sorted(per_section):
        ranked = sorted(per_section[section], key=lambda k: _h("indomain:" + k.question_ids[0]))
        chosen += ranked[:EVAL_KEYS_PER_SECTION]
    return chosen


def eval_question_ids(keys, questions) -> set[str]:
    """Every question id answered by an in-domain eval key."""
    return {qid for key in eval_keys(keys, questions) for qid in key.question_ids}


def authored_keys(keys, questions) -> list:
    """Keys whose points get hand-written paraphrases and contradictions for training."""
    by_id = {q.id: q for q in questions}
    held = eval_question_ids(keys, questions)
    pool = [k for k in keys if not set(k.question_ids) & held
            and _key_kind(k, by_id) not in EXCLUDED_KINDS and k.question_ids[0] in by_id]
    return sorted(pool, key=lambda k: _h("authored:" + k.question_ids[0]))[:AUTHORED_KEYS]


def question_fold(dataset: str, question_id: str) -> int:
    """The cross-validation fold (0..4) of a development question."""
    return _h(f"fold:{dataset}:{question_id}") % FOLDS


def is_unseen_answer(row_id: str) -> bool:
    """Whether a development row sits in the fixed 'unseen answers' hold-out."""
    return (_h("ua:" + row_id) % 1000) < UNSEEN_ANSWER_SHARE * 1000


__all__ = ["eval_keys", "eval_question_ids", "authored_keys", "question_fold",
           "is_unseen_answer", "FOLDS"]
