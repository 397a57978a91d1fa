"""When a key point counts as contradicted: a small logistic model over the judge's readings.

The judge's contradiction head alone separates a fluent wrong answer's claims
from a right answer's poorly (point-level ROC AUC 0.75 on evals.indomain), and
at any threshold that spares right answers it flagged nothing. What gives a
contradiction away is a combination: a sentence that is about the point (high
cosine to it) yet does not state it (low strength and support), and that the
judge reads as more contradicting than supporting it. This model weighs those
readings. It is fitted by ``python -m evals.contradiction --write`` on the
project's own in-domain answers, cross-validated by question, with the
threshold chosen so that few right answers are ever flagged; it ships as
``model/contradiction.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MODEL_PATH = Path(__file__).with_name("model") / "contradiction.json"
# The readings, in the order the model's weights are stored.
FEATURES = ("whole_contradiction", "whole_support", "sentence_margin", "nearest_cosine",
            "strength")


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

    @property
    def fitted(self) -> bool:
        """Whether a fitted model is in use (without one nothing is called contradicted)."""
        return bool(self.weights)

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "ContradictionModel":
        """Read the shipped model; an absent file gives the unfitted model."""
        if not Path(path).exists():
            return cls()
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(weights=data["weights"], bias=data["bias"], threshold=data["threshold"],
                   min_whole_contradiction=data.get("min_whole_contradiction"),
                   meta=data.get("meta", {}))

    def save(self, path: Path = MODEL_PATH) -> None:
        """Write the model as small, reviewable JSON."""
        data = {"kind": "logistic", "weights": {k: round(v, 6) for k, v in self.weights.items()},
                "bias": round(self.bias, 6), "threshold": round(self.threshold, 4),
                "min_whole_contradiction": self.min_whole_contradiction, "meta": self.meta}
        Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")

    def probability(self, readings: dict[str, float]) -> float | None:
        """Probability that the point is contradicted, as the verdict uses it: 0 when the
        judge's own head does not lean to contradiction (None when no model is fitted)."""
        if not self.fitted:
            return None
        if self.min_whole_contradiction is not None and \
                readings["whole_contradiction"] < self.min_whole_contradiction:
            return 0.0
        z = self.bias + sum(w * readings[name] for name, w in self.weights.items())
        return float(1.0 / (1.0 + np.exp(-z)))


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


__all__ = ["ContradictionModel", "FEATURES", "MODEL_PATH", "fit_logistic"]
