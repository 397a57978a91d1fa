"""When a key point counts as contradicted: a small logistic model over the judge's readings.

The judge's contradiction head alone separates a fluent wrong answer's claims
from a right answer's poorly (point-level ROC AUC 0.75 on evals.indomain), and
at any threshold that spares right answers it flagged nothing. What gives a
contradiction away is a combination: a sentence that is about the point (high
cosine to it) yet does not state it (low strength and support), and that the
judge reads as more contradicting than supporting it, in an answer whose other
points the judge also reads as contradicted. This model weighs those readings.
It is fitted by ``python -m evals.contradiction --write`` on the project's own
in-domain answers, cross-validated by question, with the threshold chosen so
that few right answers are ever flagged; it ships as ``model/contradiction.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MODEL_PATH = Path(__file__).with_name("model") / "contradiction.json"
# The readings, in the order the model's weights are stored. The first five read
# the point alone; the next three, the sentences nearest it (the most
# contradicting one's logit, and the nearest one's support and contradiction);
# the last three, the rest of the answer (``add_answer_context``).
FEATURES = ("whole_contradiction", "whole_support", "sentence_margin", "nearest_cosine",
            "strength", "sentence_contradiction", "nearest_support", "nearest_contradiction",
            "answer_contradiction_mean", "other_contradiction_max", "other_margin_max")
# The readings of the point alone: what a key with too few points is judged on.
POINT_FEATURES = FEATURES[:5]
# The answer's other points say something only when there are some: the fit's
# keys have 3-7 points, while a reference given as free text (the CLI's
# --reference, every development row) is often one point, where the context
# readings are the point's own and the model flagged far more. Measured on the
# development data (evals.calibrate --only-first): unseen-questions Mohler r
# 0.549 with the five readings alone, 0.523 with the context model on one-point
# references.
MIN_POINTS_FOR_CONTEXT = 3


def add_answer_context(readings: list[dict[str, float]]) -> None:
    """Add to each point's readings what the judge reads on the answer's other points.

    A right answer that looks, on one point, as if it said the opposite rarely
    looks so on the others, while a fluent wrong answer usually gets several
    claims wrong: on the in-domain answers (evals.contradiction, 4-fold CV by
    question, the same 1% rule for right answers) these three readings raised the
    wrong answers with a wrong claim quoted from 19% to 60%, and flagged fewer
    short right answers (3.7% to 1.2%) that the model was not fitted on.
    """
    whole = np.array([r["whole_contradiction"] for r in readings], dtype=float)
    margin = np.array([r["sentence_margin"] for r in readings], dtype=float)
    for k, r in enumerate(readings):
        others = np.arange(len(readings)) != k
        r["points_in_key"] = len(readings)
        # A key with one point has no other points: its own reading stands in.
        r["answer_contradiction_mean"] = float(whole.mean())
        r["other_contradiction_max"] = float(whole[others].max() if others.any() else whole[k])
        r["other_margin_max"] = float(margin[others].max() if others.any() else margin[k])


@dataclass
class ContradictionModel:
    """Logistic model: readings of one key point -> probability it is contradicted."""

    weights: dict[str, float] = field(default_factory=dict)
    bias: float = 0.0
    threshold: float = 1.0  # probability at which a point counts as contradicted
    # When set, the judge's own contradiction head must lean to "contradicted" on
    # the whole answer (logit at least this) before a point may be flagged. The
    # previous judge needed 0 to spare the right answers in
    # tests/integration/test_grader_claims.py; the judge trained on short answers
    # leans less to "contradicted", a floor only cut its recall, and the stricter
    # threshold spares those answers instead (evals/contradiction.py has the figures).
    min_whole_contradiction: float | None = None  # None: no floor
    meta: dict = field(default_factory=dict)
    # The model on POINT_FEATURES for keys of fewer than MIN_POINTS_FOR_CONTEXT
    # points (its own weights, bias and threshold; None: this model for all keys).
    few_points: "ContradictionModel | None" = None

    @property
    def fitted(self) -> bool:
        """Whether a fitted model is in use (without one nothing is called contradicted)."""
        return bool(self.weights)

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "ContradictionModel":
        """Read the shipped model; an absent file gives the unfitted model."""
        if not Path(path).exists():
            return cls()
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    @classmethod
    def from_dict(cls, data: dict) -> "ContradictionModel":
        """The model stored in `data` (as `to_dict` writes it)."""
        few = data.get("few_points")
        return cls(weights=data["weights"], bias=data["bias"], threshold=data["threshold"],
                   min_whole_contradiction=data.get("min_whole_contradiction"),
                   meta=data.get("meta", {}), few_points=cls.from_dict(few) if few else None)

    def to_dict(self) -> dict:
        """The model as plain data, rounded for review."""
        data = {"kind": "logistic", "weights": {k: round(v, 6) for k, v in self.weights.items()},
                "bias": round(self.bias, 6), "threshold": round(self.threshold, 4),
                "min_whole_contradiction": self.min_whole_contradiction, "meta": self.meta}
        if self.few_points is not None:
            data["few_points"] = self.few_points.to_dict()
        return data

    def save(self, path: Path = MODEL_PATH) -> None:
        """Write the model as small, reviewable JSON."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")

    def probability(self, readings: dict[str, float]) -> float | None:
        """Probability that the point is contradicted, as the verdict uses it: 0 when the
        judge's own head does not lean to contradiction (None when no model is fitted)."""
        if not self.fitted:
            return None
        if self.min_whole_contradiction is not None and \
                readings["whole_contradiction"] < self.min_whole_contradiction:
            return 0.0
        few = self.few_points
        if few is not None and readings.get("points_in_key", MIN_POINTS_FOR_CONTEXT) \
                < MIN_POINTS_FOR_CONTEXT:
            # Shifted so that the few-points model's own threshold lands on this
            # one's: callers compare every point with one threshold.
            z = few.logit(readings) - _logit(few.threshold) + _logit(self.threshold)
        else:
            z = self.logit(readings)
        return float(1.0 / (1.0 + np.exp(-z)))

    def logit(self, readings: dict[str, float]) -> float:
        """The model's log-odds for these readings (no floor, no few-points model)."""
        return self.bias + sum(w * readings[name] for name, w in self.weights.items())


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return float(np.log(p / (1 - p)))


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0,
                 iterations: int = 50) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression by Newton's method (weights, bias).

    Deterministic, and small enough that numpy does it: five features, a few
    thousand points.
    """
    n, d = x.shape
    a = np.hstack([x, np.ones((n, 1))])
    w = np.zeros(d + 1)
    reg = np.full(d + 1, l2)
    reg[-1] = 0.0  # the bias is not shrunk
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(a @ w)))
        grad = a.T @ (p - y) + reg * w
        hess = (a * (p * (1 - p))[:, None]).T @ a + np.diag(reg) + 1e-9 * np.eye(d + 1)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return w[:-1], float(w[-1])


__all__ = ["ContradictionModel", "FEATURES", "MIN_POINTS_FOR_CONTEXT", "MODEL_PATH",
           "POINT_FEATURES", "add_answer_context", "fit_logistic"]
