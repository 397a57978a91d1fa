"""The default offline grader: embeddings plus a cross-encoder that reads claims.

For every key point the claim judge (``judge.py``) reads the answer and the
point together and gives two numbers: how strongly the answer states the
point, and how strongly it states the opposite. A small calibration, fitted
on the judge's judgements of human-scored development answers it never saw
(``model/calibration.json``, rebuilt by ``python -m evals.train_grader`` then
``python -m evals.calibrate --oof interviewer/grading/model --write``),
combines them with the embedding features into the point's strength. Then:

- a point is covered, partly covered or missing by its strength, and
  contradicted when the judge finds its opposite stated;
- a contradicted point costs credit (more than a missing one), and the
  feedback quotes the candidate's sentence that contradicts it;
- full marks need every key point covered, plus depth.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import features as F
from .judge import Judge, shared_judge, sigmoid
from .models import ReferenceAnswer
from .offline import COVERED_AT, PARTLY_AT, OfflineBase
from .text import sentences

CALIBRATION_PATH = Path(__file__).with_name("model") / "calibration.json"
# A contradicted point takes away half a point's credit: stating the opposite
# is worse than saying nothing (issue: "costs more than a missing one").
CONTRADICTION_COST = 0.5
CONTRADICTED_AT = 0.7  # default when a calibration names none
# Sentences most similar to a contradicted point, re-read one by one to quote
# the one that contradicts it.
QUOTE_CANDIDATES = 3
# The judge reads only the answer's on-topic sentences (the same test as depth
# and clarity use: MiniLM cosine to a key point or the question of at least
# F.FOCUS_MIN_SIM). The judge reads the answer whole, and generic filler around a
# weak answer ("it is important to keep learning about AI", cosine about 0.36)
# was measured lifting its score by 1.2 points on average (evals.robustness).
JUDGE_MIN_SIM = F.FOCUS_MIN_SIM


class JudgeGrader(OfflineBase):
    """Offline grader with the claim judge: the default."""

    name = "offline"
    judges_claims = True

    def __init__(self, embedder=None, calibration: F.Calibration | None = None,
                 judge: Judge | None = None):
        super().__init__(embedder, calibration)
        self.judge = judge or shared_judge()

    @staticmethod
    def default_calibration() -> F.Calibration:
        """The calibration fitted for the judge's outputs."""
        return F.Calibration.load(CALIBRATION_PATH)

    @property
    def model_label(self) -> str | None:
        """Shown after the grader's name."""
        return "claim judge"

    @property
    def contradicted_at(self) -> float:
        """Contradiction probability at which a point counts as contradicted."""
        return float(self.calibration.meta.get("contradicted_at", CONTRADICTED_AT))

    def warm_up(self) -> None:
        """Load both models before the first grade."""
        super().warm_up()
        self.judge.judge("warm up", ["warm up"])

    def verdict(self, strength: float, contradiction: float | None) -> str:
        """Contradicted wins when the judge is sure of it and the point is not stated."""
        if contradiction is not None and contradiction >= self.contradicted_at \
                and strength < COVERED_AT:
            return "contradicted"
        if strength >= COVERED_AT:
            return "covered"
        return "partly" if strength >= PARTLY_AT else "missing"

    def topical_text(self, ref: ReferenceAnswer, text: str) -> str:
        """The answer without the sentences that are about neither the question nor the key."""
        units = sentences(text, max_words=10**6)
        if len(units) < 2:
            return text
        vecs = self.embedder.encode(units)
        anchors = self.embedder.encode_cached([ref.question, *ref.key_points])
        keep = (vecs @ anchors.T).max(axis=1) >= JUDGE_MIN_SIM
        # An answer with nothing on topic is judged whole; the off-topic cap scores it.
        if not keep.any() or keep.all():
            return text
        return " ".join(u for u, ok in zip(units, keep) if ok)

    def _measure(self, ref: ReferenceAnswer, text: str):
        judgements = self.judge.judge(self.topical_text(ref, text), ref.key_points)
        extra = [judge_features(j) for j in judgements]
        contradiction = [j.contradiction for j in judgements]

        def credits(strengths: list[float]) -> list[float]:
            return [-CONTRADICTION_COST if self.verdict(s, c) == "contradicted" else s
                    for s, c in zip(strengths, contradiction)]

        m = self._embed_measure(ref, text, extra_features=extra, credits=credits,
                                unassigned_credit=1.0, full_coverage_share=lambda n: 1.0)
        judged = [{"contradiction": c} for c in contradiction]
        wrong = [i for i, (s, c) in enumerate(zip(m.point_strength, contradiction))
                 if self.verdict(s, c) == "contradicted"]
        if wrong:
            self._quote(ref, text, wrong, judged)
        return m, judged

    def _quote(self, ref: ReferenceAnswer, text: str, wrong: list[int], judged: list[dict]):
        """Find the answer sentence that states the opposite of each contradicted point."""
        units = sentences(text) or [text]
        if len(units) == 1:
            for i in wrong:
                judged[i]["quote"] = units[0]
            return
        vecs = np.vstack([u.vector for u in self.embedder.encode_units(units)])
        points = self.embedder.encode_cached([ref.key_points[i] for i in wrong])
        tok = self.judge.tokenizer
        unit_ids = tok.ids(units)
        point_ids = tok.ids([ref.key_points[i] for i in wrong])
        pairs, owners = [], []
        for n, i in enumerate(wrong):
            near = np.argsort(-(vecs @ points[n]))[:QUOTE_CANDIDATES]
            for u in near:
                pairs.append((unit_ids[int(u)], [point_ids[n]]))
                owners.append((i, int(u)))
        logits = self.judge.logits(pairs)
        best: dict[int, tuple[float, int]] = {}
        for (i, u), out in zip(owners, logits):
            c = float(out[0][1])
            if i not in best or c > best[i][0]:
                best[i] = (c, u)
        for i, (_, u) in best.items():
            judged[i]["quote"] = units[u]


def judge_features(j) -> dict[str, float]:
    """The judge's numbers as calibration features (logits, not probabilities)."""
    return {"js": j.support_logit, "jn": j.support_logit - j.reference_logit,
            "jc": j.contradiction_logit, "jcp": float(sigmoid(np.float64(j.contradiction_logit)))}


__all__ = ["JudgeGrader", "judge_features", "CALIBRATION_PATH", "CONTRADICTION_COST"]
