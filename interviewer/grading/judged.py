"""The default offline grader: embeddings plus a cross-encoder that reads claims.

For every key point the claim judge (``judge.py``) reads the answer whole,
and the sentences nearest the point alone with it. It gives two numbers: how
strongly the text states the point, and how strongly it states the opposite.
A point's support mixes the whole text with its best sentence.
A small calibration, fitted on the judge's judgements of human-scored
development answers it never saw
(``model/calibration.json``, rebuilt by ``python -m evals.train_grader`` then
``python -m evals.calibrate --oof interviewer/grading/model --write``),
combines them with the embedding features into the point's strength. A second
small model (``contradiction.py``, ``model/contradiction.json``) reads whether
the answer states the point's opposite. Then:

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
from .contradiction import ContradictionModel, add_answer_context
from .judge import Judge, shared_judge, sigmoid
from .models import ReferenceAnswer
from .offline import COVERED_AT, PARTLY_AT, OfflineBase
from .text import sentences

CALIBRATION_PATH = Path(__file__).with_name("model") / "calibration.json"
# A contradicted point takes away half a point's credit: stating the opposite
# is worse than saying nothing (issue: "costs more than a missing one").
CONTRADICTION_COST = 0.5
# The judge reads each key point against the answer's sentences nearest it in
# meaning, this many, so a long answer's cost grows with its length, not with
# sentences times points. Of these, the one it reads as most contradicting a
# point is quoted (nearness first, so a sentence about another point is never
# quoted against this one). On evals.indomain (at WHOLE_WEIGHT 0.5), 2 and 3 gave the same figures
# (wrong 1.35 vs 1.38, stated recall 0.884 vs 0.891); 2 cut warm p95 by a sixth.
SENTENCES_PER_POINT = 2
# The judge reads the whole answer, every sentence. It used to read only the
# sentences with MiniLM cosine >= F.FOCUS_MIN_SIM (0.45) to the question or a
# key point, because generic filler around a weak answer lifted the old judge's
# score by 1.2 points (evals.robustness). But a candidate's own wording
# often lands below 0.45 while stating a key point, so correct sentences were
# thrown away: on the 108 answers in candidates' own words (evals.indomain,
# level natural) the filter at 0.45 / 0.41 / 0.35 / 0.30 / none gave means of
# 6.11 / 6.45 / 6.69 / 6.81 / 7.09, with fluent wrong answers at 1.76 / 1.85 /
# 1.87 / 1.91 / 1.98. The judge trained with natural answers no longer credits
# filler: padding around a weak answer scores 0.47 (none above 3) read whole.
# Weight of the whole text in a point's support; the rest goes to its best sentence.
# The judge reads one sentence against a long key point that packs two facts as
# weakly supported even when the sentence states both (logit -2.9 vs 1.7 whole),
# so too little weight on the whole text marks good human-written answers down:
# at 0.5 the good RAG answer in tests/integration/test_grader.py scored 5.1, at
# 0.7 it scores 6.5. On evals.indomain (project-made answers, so not a held-out
# test), 0.5 / 0.7 / 0.75: wrong answers 1.35 / 1.89 / 2.09 mean (3.40 whole
# text alone), strong 8.91 / 9.15 / 9.19, stated recall 0.88 / 0.92 / 0.93.
# A cap at best sentence + 3 logits instead of a mix did worse on both (wrong 2.12,
# strong 9.00); reading the two nearest sentences joined as one text let wrong
# answers back up (2.37).
WHOLE_WEIGHT = 0.7


class JudgeGrader(OfflineBase):
    """Offline grader with the claim judge: the default."""

    name = "offline"
    judges_claims = True

    def __init__(self, embedder=None, calibration: F.Calibration | None = None,
                 judge: Judge | None = None, contradiction: ContradictionModel | None = None):
        super().__init__(embedder, calibration)
        self.judge = judge or shared_judge()
        self.contradiction_model = contradiction or ContradictionModel.load()

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
        return self.contradiction_model.threshold

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

    def answer_units(self, text: str) -> tuple[str, list[str], np.ndarray]:
        """The answer, its sentences and their vectors."""
        units = sentences(text, max_words=10**6) or [text]
        vecs = np.vstack([u.vector for u in self.embedder.encode_units(units)])
        return text, units, vecs

    def _anchor_vectors(self, ref: ReferenceAnswer) -> np.ndarray:
        """Vectors of the question and its key points (shared with the embedding
        features' cache, so a key is encoded once)."""
        encs = self.embedder.encode_tokens_cached([ref.question, *ref.key_points])
        return np.vstack([e.vector for e in encs])

    def _measure(self, ref: ReferenceAnswer, text: str):
        whole, units, vecs = self.answer_units(text)
        # Cosine of every sentence to every key point: picks the sentences the
        # judge reads against each point, and tells the contradiction model
        # whether the answer talks about the point at all.
        cos = vecs @ self._anchor_vectors(ref)[1:].T
        # The judge reads the on-topic text whole and, when there are several,
        # every sentence alone. A point's support mixes the whole text with its
        # best sentence: a key point is one claim, and one sentence should state
        # it, but read whole a fluent wrong answer's vocabulary lifts every point.
        # Point-level ROC AUC, stated vs contradicted on evals.indomain answers:
        # 0.85 whole, 0.92 best sentence, 0.92 the even mix. The mix keeps points
        # stated across two sentences (stated recall 0.92 at WHOLE_WEIGHT vs 0.80
        # best sentence alone) while wrong answers average 1.9/10 (3.4 whole).
        texts, subsets = [whole], [None]
        if len(units) > 1:
            # Each point is read against its few nearest sentences (by embedding),
            # not every sentence: a long answer's cost stays linear in its length.
            near = np.argsort(-cos, axis=0)[:SENTENCES_PER_POINT]
            texts += units
            subsets += [[k for k in range(len(ref.key_points)) if u in near[:, k]]
                        for u in range(len(units))]
        read = self.judge.judge_texts(texts, ref.key_points, subsets)
        judgements, per_unit = read[0], read[1:] or read[:1]
        extra = [judge_features(j, point_support(j.support_logit, max(
                     u[k].support_logit for u in per_unit if u[k] is not None)))
                 for k, j in enumerate(judgements)]
        readings, quotes = [], []
        for k, j in enumerate(judgements):
            margin = max(u[k].contradiction_logit - u[k].support_logit
                         for u in per_unit if u[k] is not None)
            nearest = per_unit[int(np.argmax(cos[:, k]))] if len(per_unit) > 1 else per_unit[0]
            readings.append({"whole_contradiction": j.contradiction_logit,
                             "whole_support": j.support_logit, "sentence_margin": margin,
                             "nearest_cosine": float(cos[:, k].max()),
                             "sentence_contradiction": max(
                                 u[k].contradiction_logit for u in per_unit if u[k] is not None),
                             "nearest_support": nearest[k].support_logit,
                             "nearest_contradiction": nearest[k].contradiction_logit})
            # The quote is the sentence nearest the point in meaning: the model's
            # strongest sign is a sentence about the point that does not state it.
            # On the in-domain wrong answers it flags, that sentence and the one
            # the judge reads as most contradicting agree 23 times in 36; where
            # they differ, the nearest states the wrong claim in 12 of 13 (read by
            # hand), the other often belongs to another point.
            quotes.append(units[int(np.argmax(cos[:, k]))])
        add_answer_context(readings)
        contradiction: list[float | None] = [None] * len(judgements)

        def credits(strengths: list[float]) -> list[float]:
            for k, s in enumerate(strengths):
                readings[k]["strength"] = float(s)
                contradiction[k] = self.contradiction_model.probability(readings[k])
            return [-CONTRADICTION_COST if self.verdict(s, c) == "contradicted" else s
                    for s, c in zip(strengths, contradiction)]

        m = self._embed_measure(ref, text, extra_features=extra, credits=credits,
                                unassigned_credit=1.0, full_coverage_share=lambda n: 1.0)
        judged = [{"contradiction": c, "readings": r} for c, r in zip(contradiction, readings)]
        wrong = [k for k, (s, c) in enumerate(zip(m.point_strength, contradiction))
                 if self.verdict(s, c) == "contradicted"]
        for k, claim in zip(wrong, self.contradicted_claims(ref, [quotes[k] for k in wrong],
                                                             wrong)):
            judged[k]["quote"] = quotes[k]
            if claim:
                judged[k]["claim"] = claim
        return m, judged

    def contradicted_claims(self, ref: ReferenceAnswer, quotes: list[str],
                            points: list[int]) -> list[str | None]:
        """For each contradicted point, its atomic claim (interviewer/claims.py) that the
        quoted sentence contradicts most: what the feedback says the key holds.

        A point often packs several facts, and "the key holds: <the whole point>"
        leaves the candidate to find which one they got wrong. The claim is read
        against the sentence the feedback quotes, not the whole answer, so the two
        halves of "You said ... the key holds ..." are about the same thing: read
        against the whole answer, the claim often belonged to another of its wrong
        sentences (on the in-domain fluent-but-wrong answers the two choices differ
        for 116 of 246 flagged points; of 30 of those read by hand, the quoted
        sentence's claim paired better 18 times, the whole answer's 4, 8 neither).
        Only contradicted points are read, so a grade without a contradiction costs
        nothing more. None where the key has no claims for its current points.
        """
        claims = ref.point_claims if len(ref.point_claims) == len(ref.key_points) else []
        if not claims or not points:
            return [None] * len(points)
        flat = [c for k in points for c in claims[k]]
        starts = np.cumsum([0] + [len(claims[k]) for k in points])
        subsets = [list(range(starts[i], starts[i + 1])) for i in range(len(points))]
        read = self.judge.judge_texts(quotes, flat, subsets, reference=False)
        out = []
        for i, k in enumerate(points):
            logits = [read[i][n].contradiction_logit for n in subsets[i]]
            # The claim read as most contradicted, not the widest margin over its
            # support: a claim the sentence never mentions has low support too.
            out.append(claims[k][int(np.argmax(logits))])
        return out

    def readings(self, ref: ReferenceAnswer, text: str) -> list[dict[str, float]]:
        """The contradiction model's inputs for each key point (for evals.contradiction)."""
        return [j["readings"] for j in self._measure(ref, text)[1]]


def point_support(whole: float, best_sentence: float) -> float:
    """A point's support logit from its whole-text and best-sentence readings."""
    return WHOLE_WEIGHT * whole + (1 - WHOLE_WEIGHT) * best_sentence


def judge_features(j, support_logit: float | None = None) -> dict[str, float]:
    """The judge's numbers as calibration features (logits, not probabilities).

    `support_logit` replaces the judgement's own support (the best sentence's).
    """
    js = j.support_logit if support_logit is None else support_logit
    return {"js": js, "jn": js - j.reference_logit,
            "jc": j.contradiction_logit, "jcp": float(sigmoid(np.float64(j.contradiction_logit)))}


__all__ = ["JudgeGrader", "judge_features", "CALIBRATION_PATH", "CONTRADICTION_COST"]
