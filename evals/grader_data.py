"""Training examples for the claim judge.

An example is an answer and some key points, each point labelled with how
strongly the answer states it (support, 0..1) and whether it states the
opposite (contradiction, 0/1; None when unknown). Four sources:

- development data (``../shared/data/grading/``): a student's answer against
  its reference, support = the human score; Beetle's "contradictory" label
  gives the contradiction target;
- the project's hand-written pairs (``evals/data/grader_train_authored.jsonl``):
  a paraphrase and a contradiction of key points, combined into answers;
- the project's answers in a candidate's own words, each labelled with the key
  points it states, partly states and contradicts: natural answers of 25-160
  words (``grader_train_natural.jsonl``) and short typed ones of 12-50 words,
  right and wrong (``grader_train_short.jsonl``);
- rule-made pairs from the answer keys: a key's own points stated, rule-made
  contradictions of them (negation, reversed comparisons, wrong numbers,
  swapped entities, inverted cause and effect), the question copied back, and
  a bare list of the key's terms.

Keys of the in-domain eval (``evals.splits``) are never used here.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

AUTHORED = Path(__file__).parent / "data" / "grader_train_authored.jsonl"
NATURAL = Path(__file__).parent / "data" / "grader_train_natural.jsonl"
SHORT = Path(__file__).parent / "data" / "grader_train_short.jsonl"
# A point a short answer only touches (a minor part of it, or too vague to
# check) is a weak positive: the judge should lean towards it, not count it.
PARTLY_SUPPORT = 0.5


@dataclass
class Example:
    """One training sequence: an answer and labelled key points."""

    answer: str
    points: list[str]
    support: list[float]
    contradiction: list[float | None]
    weight: float
    source: str
    contra_weight: float = 1.0  # extra weight of this example's contradiction labels


# -- rule-made contradictions ----------------------------------------------------

_PAIRS = [
    ("increases", "decreases"), ("increase", "decrease"), ("higher", "lower"),
    ("faster", "slower"), ("more", "fewer"), ("larger", "smaller"), ("longer", "shorter"),
    ("before", "after"), ("improves", "degrades"), ("reduces", "increases"),
    ("always", "never"), ("encoder", "decoder"), ("training", "inference"),
    ("input", "output"), ("offline", "online"), ("sparse", "dense"), ("minimizes", "maximizes"),
    ("first", "last"), ("cheaper", "more expensive"), ("static", "dynamic"),
    ("smaller", "larger"), ("less", "more"), ("above", "below"), ("early", "late"),
    ("upper", "lower"), ("add", "remove"), ("adds", "removes"), ("enables", "prevents"),
    ("prevents", "causes"), ("helps", "hurts"), ("better", "worse"), ("cheap", "expensive"),
    ("many", "few"), ("parallel", "sequential"), ("deterministic", "random"),
    ("supervised", "unsupervised"), ("lossless", "lossy"), ("frozen", "updated"),
    ("stateless", "stateful"), ("positive", "negative"), ("maximum", "minimum"),
    ("precision", "recall"), ("query", "document"), ("keys", "values"), ("local", "global"),
    ("same", "different"), ("without", "with"), ("only", "never"), ("linear", "quadratic"),
]
_SWAP = {}
for a, b in _PAIRS:
    _SWAP.setdefault(a, b)
    _SWAP.setdefault(b, a)
_SWAP_RE = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _SWAP), key=len, reverse=True))
                      + r")\b", re.I)
_AUX_RE = re.compile(r"\b(is|are|was|were|can|does|do|should|must|will|has|have)\b(?! not)")
_NOT_RE = re.compile(r"\b(is|are|was|were|does|do|can|should|must|will|has|have) not\b|"
                     r"\b(cannot|can't|doesn't|don't|isn't|aren't|never)\b")
_NUM_RE = re.compile(r"\b(\d+(?:\.\d+)?)(\s?%|x|\s?(?:ms|tokens|billion|million|k|B|M))?\b")
_CAUSE_RE = re.compile(r"^(.{12,}?),? (because|since|so that|which means|so) (.{12,})$", re.I)
_NEGATED = {"cannot": "can", "can't": "can", "doesn't": "does", "don't": "do", "isn't": "is",
            "aren't": "are", "never": "always"}


def _case(src: str, word: str) -> str:
    return word[0].upper() + word[1:] if src[:1].isupper() else word


def contradict(sentence: str, rng: random.Random) -> tuple[str, str] | None:
    """A rule-made false version of a key point, and the rule used (None if none fits)."""
    rules = ["swap", "negate", "number", "cause"]
    rng.shuffle(rules)
    for rule in rules:
        out = None
        if rule == "swap":
            hits = list(_SWAP_RE.finditer(sentence))
            if hits:
                m = rng.choice(hits)
                out = (sentence[:m.start()] + _case(m.group(0), _SWAP[m.group(0).lower()])
                       + sentence[m.end():])
        elif rule == "negate":
            m = _NOT_RE.search(sentence)
            if m:
                if m.group(2):
                    out = (sentence[:m.start()] + _case(m.group(0), _NEGATED[m.group(2).lower()])
                           + sentence[m.end():])
                else:
                    out = sentence[:m.start()] + m.group(1) + sentence[m.end():]
            else:
                m = _AUX_RE.search(sentence)
                if m:
                    out = sentence[:m.end()] + " not" + sentence[m.end():]
        elif rule == "number":
            hits = [m for m in _NUM_RE.finditer(sentence) if m.group(1) not in ("1", "2", "0")]
            if hits:
                m = rng.choice(hits)
                value = float(m.group(1))
                new = value * rng.choice([10, 0.1, 4]) if value > 3 else value + rng.choice([5, 9])
                text = f"{new:g}" if "." in m.group(1) or new != int(new) else str(int(new))
                out = sentence[:m.start(1)] + text + sentence[m.end(1):]
        elif rule == "cause":
            m = _CAUSE_RE.match(sentence.rstrip("."))
            if m:
                out = f"{m.group(3)[0].upper()}{m.group(3)[1:]}, {m.group(2)} " \
                      f"{m.group(1)[0].lower()}{m.group(1)[1:]}."
        if out and out != sentence:
            return out, rule
    return None


_PAREN_RE = re.compile(r"\s*\([^)]*\)")


def state(point: str, rng: random.Random) -> str:
    """A key point as a candidate might say it: parentheticals and tail clauses sometimes dropped."""
    text = point
    if rng.random() < 0.5:
        text = _PAREN_RE.sub("", text)
    if rng.random() < 0.3 and ", " in text:
        head = text.rsplit(", ", 1)[0]
        if len(head.split()) >= 8:
            text = head + "."
    return text


# -- builders ------------------------------------------------------------------------

def dev_examples(rows: list[dict], weights: dict[str, float]) -> list[Example]:
    """Development rows: answer vs its (closest) reference, support = human score."""
    out = []
    for r in rows:
        refs = r.get("reference_answers") or [r["reference_answer"]]
        contra = None
        if r.get("label_5way"):
            contra = 1.0 if r["label_5way"] == "contradictory" else 0.0
        # Beetle lists its best reference first; one reference per row keeps
        # the dataset's 3,941 rows from crowding out everything else.
        out.append(Example(answer=r["answer"], points=[refs[0]], support=[float(r["human_score"])],
                           contradiction=[contra], weight=weights.get(r["dataset"], 1.0),
                           source=r["dataset"]))
    return out


def _distractors(keys, key, rng: random.Random, n: int) -> list[str]:
    others = [k for k in rng.sample(keys, min(len(keys), n + 2)) if k is not key]
    return [rng.choice(k.key_points) for k in others[:n]]


def key_examples(keys, questions_by_id, rng: random.Random, share: float = 0.3,
                 max_points: int = 3) -> list[Example]:
    """Rule-made examples from a share of the answer keys (points stated, contradicted, absent)."""
    out = []
    for key in keys:
        q = questions_by_id.get(key.question_ids[0])
        points = key.key_points
        for _ in range(1 if rng.random() < share else 0):
            n = len(points)
            chosen = rng.sample(range(n), k=min(n, max_points))
            stated = set(rng.sample(chosen, k=rng.randint(1, max(1, len(chosen) - 1))))
            candidates = [i for i in chosen if i not in stated]
            contradicted = {}
            for i in candidates[:rng.choice([0, 1, 1, 2])]:
                made = contradict(points[i], rng)
                if made:
                    contradicted[i] = made[0]
            sentences = [state(points[i], rng) for i in stated] + list(contradicted.values())
            rng.shuffle(sentences)
            extra = _distractors(keys, key, rng, 1)
            pts = [points[i] for i in chosen] + extra
            sup = [1.0 if i in stated else 0.0 for i in chosen] + [0.0] * len(extra)
            con = [1.0 if i in contradicted else 0.0 for i in chosen] + [0.0] * len(extra)
            out.append(Example(" ".join(sentences), pts, sup, con, 1.0, "rules"))
        if q is not None and rng.random() < 0.15:
            chosen = rng.sample(points, k=min(len(points), 3))
            out.append(Example(q.text, chosen, [0.0] * len(chosen), [0.0] * len(chosen), 1.0,
                               "rules-question"))
        if rng.random() < 0.1:
            terms = _terms(points, rng)
            chosen = rng.sample(points, k=min(len(points), 3))
            out.append(Example(", ".join(terms), chosen, [0.0] * len(chosen),
                               [0.0] * len(chosen), 1.0, "rules-terms"))
    return out


_STOP = set("the a an of to in and or for with is are be by on as that this it its from at "
            "into than then so such can each not".split())


def _terms(points: list[str], rng: random.Random) -> list[str]:
    words = [w.strip(".,;:()").lower() for p in points for w in p.split()]
    words = list(dict.fromkeys(w for w in words if len(w) > 3 and w not in _STOP))
    rng.shuffle(words)
    return words[:rng.randint(5, 12)]


def load_authored(path: Path = AUTHORED) -> list[dict]:
    """The project's hand-written paraphrase/contradiction pairs (empty if absent)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def authored_examples(pairs: list[dict], keys_by_qid, keys, rng: random.Random,
                      per_key: int = 2, max_points: int = 3,
                      contra_weight: float = 1.0) -> list[Example]:
    """Hand-written paraphrases and contradictions: alone, and combined into answers.

    Alone: one sentence against its own point, another point of the same key
    and a point of another key, so the judge learns to tell "states it",
    "states its opposite" and "talks about something near it" apart.
    """
    by_q: dict[str, dict[int, dict]] = {}
    for p in pairs:
        by_q.setdefault(p["question_id"], {})[int(p["point_index"])] = p
    out = []
    for qid, items in sorted(by_q.items()):
        key = keys_by_qid.get(qid)
        if key is None:
            continue
        points = key.key_points
        idx = [i for i in range(len(points)) if i in items]
        for i in idx:
            wrong = rng.random() < 0.5
            sibling = [j for j in range(len(points)) if j != i]
            pts = [points[i]] + ([points[rng.choice(sibling)]] if sibling else [])
            text = items[i]["contradiction"] if wrong else items[i]["paraphrase"]
            sup = [0.0 if wrong else 1.0] + [0.0] * (len(pts) - 1)
            con = [1.0 if wrong else 0.0] + [0.0] * (len(pts) - 1)
            out.append(Example(text, pts, sup, con, 1.0, "authored-single", contra_weight))
        for _ in range(per_key):
            chosen = rng.sample(idx, k=min(len(idx), max_points))
            if not chosen:
                continue
            roll = rng.random()
            stated, contradicted = set(), set()
            for i in chosen:
                r = rng.random()
                if r < 0.45:
                    stated.add(i)
                elif r < 0.45 + (0.35 if roll < 0.5 else 0.15):
                    contradicted.add(i)
            sentences = [items[i]["paraphrase"] for i in stated] + \
                        [items[i]["contradiction"] for i in contradicted]
            if not sentences:
                stated.add(chosen[0])
                sentences = [items[chosen[0]]["paraphrase"]]
            rng.shuffle(sentences)
            extra = _distractors(keys, key, rng, 1)
            pts = [points[i] for i in chosen] + extra
            sup = [1.0 if i in stated else 0.0 for i in chosen] + [0.0] * len(extra)
            con = [1.0 if i in contradicted else 0.0 for i in chosen] + [0.0] * len(extra)
            out.append(Example(" ".join(sentences), pts, sup, con, 1.0, "authored",
                               contra_weight))
    return out


def load_natural(path: Path = NATURAL) -> list[dict]:
    """The project's natural, candidate-style answers with the key points they state."""
    return load_authored(path)


def natural_examples(rows: list[dict], keys_by_qid, keys, rng: random.Random,
                     weight: float = 1.0, source: str = "natural") -> list[Example]:
    """Whole answers written the way candidates talk, against every point of their key.

    The other sources state a point in words close to the key's; these answers
    were written from the question alone (the key was read only to label them),
    so the judge learns that a point put in a candidate's own words, order and
    register is still stated, and that an unstated point is not.
    """
    out = []
    for row in rows:
        key = keys_by_qid.get(row["question_id"])
        if key is None:
            continue
        stated = set(row.get("points_stated", []))
        partly = set(row.get("points_partly", [])) - stated
        wrong = set(row.get("points_contradicted", []))
        extra = _distractors(keys, key, rng, 1)
        pts = list(key.key_points) + extra
        n = len(key.key_points)
        sup = [1.0 if i in stated else PARTLY_SUPPORT if i in partly else 0.0
               for i in range(n)] + [0.0] * len(extra)
        con = [1.0 if i in wrong else 0.0 for i in range(n)] + [0.0] * len(extra)
        out.append(Example(row["answer"], pts, sup, con, weight, source))
    return out


def load_short(path: Path = SHORT) -> list[dict]:
    """The project's short chat answers (12-50 words), right and wrong, labelled by point."""
    return load_authored(path)


def short_examples(rows: list[dict], keys_by_qid, keys, rng: random.Random,
                   weight: float = 1.0) -> list[Example]:
    """Short typed answers against every point of their key.

    A candidate typing in a chat states a point's gist in a sentence, without
    its formula or figures ("LoRA keeps the base weights frozen and trains two
    small low-rank matrices"). Trained only on full statements, the judge read
    such an answer as stating nothing (strength 0 on all six LoRA points); these
    rows teach it that the gist is the point, while their short wrong answers
    keep a confident misconception at zero.
    """
    return natural_examples(rows, keys_by_qid, keys, rng, weight, source="short")


__all__ = ["Example", "natural_examples", "load_natural", "short_examples", "load_short", "contradict", "state", "dev_examples", "key_examples",
           "authored_examples", "load_authored"]
