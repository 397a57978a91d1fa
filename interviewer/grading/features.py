"""What the offline grader measures in an answer, and the calibration on top.

Measurements are plain numbers in [0, 1] so that a small, reviewable
calibration (``interviewer/grading/calibration.json``) can map them onto
human-like scores. The calibration is fitted by ``python -m evals.calibrate``
on development data; without the file the hand-set rubric weights stand.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .text import content_stems, function_word_ratio, words

CALIBRATION_PATH = Path(__file__).with_name("calibration.json")

# Similarity band of MiniLM cosine over which a key point goes from "absent" to
# "clearly present": below LOW unrelated sentences still score, above HIGH a
# paraphrase is near-certain.
SIM_LOW, SIM_HIGH = 0.28, 0.62
LEXICAL_WEIGHT = 0.3
# A sentence this close to a key point or the question counts as on-topic;
# generic filler about "AI" lands around 0.35 with MiniLM.
FOCUS_MIN_SIM = 0.45
FULL_COVERAGE = 0.75
UNASSIGNED_CREDIT = 0.4

_DEPTH_MARKERS = re.compile(
    r"\b(trade-?offs?|however|but|whereas|unless|instead|fails?|failure|risk|cost|latency|"
    r"because|therefore|for example|e\.g\.|such as|when not|limitation|downside|versus|vs\.?|"
    r"depends|edge case|in production|benchmark|measure)\b", re.I)
_SITUATION = re.compile(r"\b(when i|at my|in my (last|previous|current)|we had|our team|the "
                        r"project|a project|last year|a time)\b", re.I)
_ACTION = re.compile(r"\bI (built|led|designed|decided|implemented|wrote|proposed|changed|"
                     r"introduced|set up|ran|created|chose|organized|organised|worked|talked|"
                     r"measured|added|moved|owned|drove|convinced|started|fixed|debugged)\b")
_RESULT = re.compile(r"(\d+\s?%|\b(result|resulted|reduced|improved|increased|cut|saved|"
                     r"shipped|launched|delivered|dropped|grew|outcome)\b)", re.I)
_REFLECTION = re.compile(r"\b(learned|learnt|lesson|next time|in hindsight|would do differently|"
                         r"realized|realised|takeaway|since then)\b", re.I)


def unit_mean(vectors: np.ndarray) -> np.ndarray:
    """Normalized mean of unit vectors (the whole answer's direction)."""
    mean = vectors.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm else mean


def expected_words(ref) -> int:
    """Rough length of a complete answer: about 15 words per key point."""
    return max(20, 15 * len(ref.key_points))


def _band(sim: float) -> float:
    return float(np.clip((sim - SIM_LOW) / (SIM_HIGH - SIM_LOW), 0, 1))


def _assign_units(sims: np.ndarray, unit_words: list[int]) -> list[int]:
    """Credit each key point to one answer sentence, each sentence to few points.

    One on-topic sentence resembles every point of its topic a little; without
    this limit a one-liner would "cover" a whole key. Greedy by similarity.
    """
    n_units, n_points = sims.shape
    owner = [-1] * n_points
    load = [0] * n_units
    # About one idea per 12 words, at most three per sentence.
    capacity = [min(3, 1 + w // 12) for w in unit_words]
    for flat in np.argsort(-sims, axis=None):
        u, k = divmod(int(flat), n_points)
        if owner[k] < 0 and load[u] < capacity[u]:
            owner[k] = u
            load[u] += 1
    return owner


@dataclass
class Measurements:
    """Numbers measured on one answer against one reference."""

    point_strength: list[float]
    point_match: list[str | None]
    coverage: float
    depth: float
    clarity: float
    structure: float
    specificity: float
    relevance: float
    question_sim: float
    off_topic: bool
    question_copy: bool
    length_ratio: float
    lexical: float
    extras: dict = field(default_factory=dict)

    @property
    def covered_count(self) -> int:
        """Key points at or above the covered threshold."""
        return sum(1 for s in self.point_strength if s >= 0.5)

    def features(self) -> dict[str, float]:
        """The named features a calibration may combine."""
        return {
            "coverage": self.coverage, "depth": self.depth, "clarity": self.clarity,
            "relevance": self.relevance, "lexical": self.lexical,
            "max_point": max(self.point_strength, default=0.0),
            "length_ratio": min(self.length_ratio, 3.0) / 3.0,
            **self.extras,
        }


def measure(*, question: str, key_points: list[str], text: str, units: list[str],
            unit_vecs: np.ndarray, answer_vec: np.ndarray, question_vec: np.ndarray,
            reference_vec: np.ndarray, key_point_vecs: np.ndarray, depth_vecs: np.ndarray,
            expected_words: int) -> Measurements:
    """Measure coverage, depth, clarity and relevance of an answer."""
    answer_stems = set(content_stems(text))
    question_stems = set(content_stems(question))
    sims = unit_vecs @ key_point_vecs.T if len(key_points) else np.zeros((len(units), 0))
    best_unit = _assign_units(sims, [len(u.split()) for u in units])
    strengths, matches, lexicals = [], [], []
    for j, point in enumerate(key_points):
        best = best_unit[j]
        unassigned = best < 0
        best = int(np.argmax(sims[:, j])) if unassigned else best
        # Words the question already contains prove nothing about the answer.
        stems = set(content_stems(point)) - question_stems or set(content_stems(point))
        lexical = len(stems & answer_stems) / len(stems) if stems else 0.0
        blended = (1 - LEXICAL_WEIGHT) * _band(float(sims[best, j])) + LEXICAL_WEIGHT * lexical
        if unassigned:
            blended *= UNASSIGNED_CREDIT
        strengths.append(float(np.clip(blended, 0, 1)))
        matches.append(units[best])
        lexicals.append(lexical)
    weights = np.array([1.0 / (1.0 + 0.25 * i) for i in range(len(key_points))])
    raw_coverage = float(np.dot(weights, strengths) / weights.sum()) if key_points else 0.0
    # Interviewers do not expect every point of a long key: about three quarters
    # of its weight, well explained, is a complete answer.
    coverage = min(1.0, raw_coverage / FULL_COVERAGE)

    relevance = float(answer_vec @ reference_vec)
    question_sim = float(answer_vec @ question_vec)
    n_words = len(words(text))
    length_ratio = n_words / expected_words

    # Focus: the share of the answer's sentences that are about the question.
    # Padding adds length but not focus, so it buys neither depth nor clarity.
    topical = np.concatenate([sims, (unit_vecs @ question_vec)[:, None]], axis=1).max(axis=1)
    on_topic = topical >= FOCUS_MIN_SIM
    focus = float(on_topic.mean()) if len(units) else 0.0
    focused_ratio = sum(len(u.split()) for u, ok in zip(units, on_topic) if ok) / expected_words

    depth_sim = (float((unit_vecs[on_topic] @ depth_vecs.T).max())
                 if len(depth_vecs) and on_topic.any() else 0.0)
    markers = len(_DEPTH_MARKERS.findall(text))
    # Depth needs room: a one-liner cannot show trade-offs however on-topic it is.
    depth = (min(1.0, max(_band(depth_sim), markers / 4) / 0.7) * min(1.0, coverage * 2)
             * min(1.0, focused_ratio / 0.5))

    fw = function_word_ratio(text)
    fluency = float(np.clip((fw - 0.12) / 0.2, 0, 1))
    length_fit = min(1.0, length_ratio / 0.6)
    padding = 1.0 if length_ratio < 3 else max(0.4, 1.0 - (length_ratio - 3) * 0.1)
    clarity = fluency * length_fit * focus * padding * min(1.0, 0.3 + coverage)

    structure = sum(bool(p.search(text)) for p in (_SITUATION, _ACTION, _RESULT, _REFLECTION)) / 4
    numbers = len(re.findall(r"\b\d+(\.\d+)?\s?(%|x|ms|s|k|m|users|hours|days|weeks)?\b", text))
    specificity = min(1.0, 0.25 * numbers + 0.1 * markers) * min(1.0, length_ratio * 2)

    novel = answer_stems - question_stems
    question_copy = question_sim > 0.85 and len(novel) < 4
    off_topic = relevance < 0.25 and max(strengths, default=0.0) < 0.35 and question_sim < 0.45
    return Measurements(
        point_strength=strengths, point_match=matches, coverage=coverage, depth=depth,
        clarity=clarity, structure=structure, specificity=specificity, relevance=relevance,
        question_sim=question_sim, off_topic=off_topic, question_copy=question_copy,
        length_ratio=length_ratio, lexical=float(np.mean(lexicals)) if lexicals else 0.0,
        extras={"focus": focus},
    )


@dataclass
class Calibration:
    """An optional learned map from measurements to a 0-10 score.

    ``kind`` "identity" keeps the rubric's weighted score; "linear" blends the
    rubric score with named features through fitted weights and a logistic link.
    """

    kind: str = "identity"
    weights: dict[str, float] = field(default_factory=dict)
    bias: float = 0.0
    rubric_weight: float = 0.0
    meta: dict = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = CALIBRATION_PATH) -> "Calibration":
        """Read the shipped calibration, or the identity when there is none."""
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(kind=data.get("kind", "identity"), weights=data.get("weights", {}),
                   bias=data.get("bias", 0.0), rubric_weight=data.get("rubric_weight", 0.0),
                   meta=data.get("meta", {}))

    def apply(self, rubric_score: float, features: dict[str, float]) -> float:
        """Score 0-10 from the rubric score (0-10) and features."""
        if self.kind != "linear":
            return rubric_score
        z = self.bias + self.rubric_weight * rubric_score / 10 + sum(
            w * features.get(name, 0.0) for name, w in self.weights.items())
        return float(10.0 / (1.0 + np.exp(-z)))
