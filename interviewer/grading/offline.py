"""The offline grader: key-point coverage measured with the packaged MiniLM.

No LLM and no network. It is deterministic (same answer, same grade) and
fast enough to grade on a laptop CPU within tens of milliseconds once the
model is loaded. Every score it gives is labelled as coming from it.
"""

from __future__ import annotations

import re

import numpy as np

from ..embeddings import Embedder, shared_embedder
from . import features as F
from .guards import gibberish_share, is_keyword_list, split_injections
from .models import CriterionScore, Evidence, Grade, KeyPointResult, ReferenceAnswer
from .rubrics import level_for, rubric_for
from .text import sentences, truncate_words, words

GRADER_NAME = "offline"
COVERED_AT = 0.5  # a key point's strength at or above this counts as covered
KEYWORD_LIST_CAP = 2.5
OFF_TOPIC_CAP = 1.0


class OfflineGrader:
    """Grades an answer against a reference with embeddings and word overlap."""

    name = GRADER_NAME

    def __init__(self, embedder: Embedder | None = None, calibration: F.Calibration | None = None):
        self.embedder = embedder or shared_embedder()
        self.calibration = calibration if calibration is not None else F.Calibration.load()
        self._vocab: set[str] | None = None

    def warm_up(self) -> None:
        """Load the model, its vocabulary and the ONNX session before the first grade."""
        self._vocabulary()
        self.embedder.encode_units(["warm up"])

    def _vocabulary(self) -> set[str]:
        if self._vocab is None:
            model = self.embedder.load()
            vocab = getattr(model.tokenizer, "vocab", None) or model.tokenizer.get_vocab()
            # Whole words only: '##ing' pieces would let any string look like English.
            self._vocab = {w for w in vocab if w.isalpha()}
        return self._vocab

    def grade(self, ref: ReferenceAnswer, answer: str) -> Grade:
        """Grade one answer; an empty answer yields status 'empty' and no score."""
        rubric = rubric_for(ref.kind)
        if not ref.key_points:
            return Grade(status="no_reference", grader=GRADER_NAME, question_id=ref.question_id,
                         kind=rubric.kind, citations=ref.evidence,
                         feedback="No answer key covers this question yet, so it is not scored. "
                         "The related notes below may still help.")
        base = dict(grader=GRADER_NAME, question_id=ref.question_id, kind=rubric.kind,
                    citations=ref.evidence, model_answer=self._outline(ref),
                    reference=ref.key_title or None)
        if not answer or not answer.strip():
            return Grade(status="empty", feedback="No answer was given. Type an answer, or skip "
                         "the question.", **base)

        flags: list[str] = []
        text, injected = split_injections(answer)
        if injected:
            flags.append("Instructions to the grader inside the answer were ignored: "
                         + " / ".join(truncate_words(s, 12) for s in injected[:2]))
        if not text.strip():
            return self._floor(ref, rubric, flags + ["The answer contained no content to grade."],
                               base)
        if gibberish_share(text, self._vocabulary()) > 0.5:
            return self._floor(ref, rubric, flags + ["The answer is not readable text."], base)

        m = self._measure(ref, text)
        keyword_list = is_keyword_list(text)
        scores = self._criterion_scores(rubric, m, keyword_list, has_depth=bool(ref.depth_signals))
        score = sum(c.weight * c.score for c in scores)

        if keyword_list:
            flags.append("A list of terms is not an explanation: say how the ideas connect.")
            score = min(score, KEYWORD_LIST_CAP)
        if m.question_copy:
            flags.append("The answer mostly repeats the question.")
            score = min(score, OFF_TOPIC_CAP)
        elif m.off_topic:
            flags.append("The answer does not address this question.")
            score = min(score, OFF_TOPIC_CAP)

        results = [
            KeyPointResult(point=p, covered=s >= COVERED_AT, strength=round(float(s), 3),
                           matched=match if s >= COVERED_AT else None,
                           citation=self._key_points_citation(ref))
            for p, s, match in zip(ref.key_points, m.point_strength, m.point_match)
        ]
        covered = [r.point for r in results if r.covered]
        missing = [r.point for r in results if not r.covered]
        target, follow_up = self._follow_up(ref, results, m)
        return Grade(
            status="graded", score=round(float(np.clip(score, 0, 10)), 1), criteria=scores,
            key_points=results, covered=covered, missing=missing,
            feedback=self._feedback(ref, results, scores, flags),
            follow_up=follow_up, follow_up_target=target, flags=flags, **base,
        )

    def grade_stream(self, ref: ReferenceAnswer, answer: str):
        """The same interface as the LLM grader's: feedback text, then `.grade`."""
        from .llm import GradeStream

        def run():
            grade = self.grade(ref, answer)
            if grade.feedback:
                yield grade.feedback
            return grade

        return GradeStream(run())

    # -- measurement -------------------------------------------------------

    def pair_features(self, question: str, reference: str, answer: str) -> dict | None:
        """Features of an answer against one reference point (for calibration)."""
        text, _ = split_injections(answer)
        if not text.strip():
            return None
        ref = ReferenceAnswer(question=question, key_points=[reference.strip()])
        return self._measure(ref, text).pair_features[0]

    def _measure(self, ref: ReferenceAnswer, text: str) -> F.Measurements:
        units = sentences(text) or [text]
        unit_enc = self.embedder.encode_units(units)
        answer_vec = F.unit_mean(np.vstack([u.vector for u in unit_enc]))
        question_enc, *point_enc = self.embedder.encode_tokens_cached([ref.question,
                                                                       *ref.key_points])
        reference_text = " ".join(ref.key_points) + " " + ref.explanation
        fixed_vecs = self.embedder.encode_cached([reference_text, *ref.depth_signals])
        return F.measure(
            question=ref.question, key_points=ref.key_points, text=text, units=units,
            unit_enc=unit_enc, question_enc=question_enc, point_enc=point_enc,
            answer_vec=answer_vec, reference_vec=fixed_vecs[0], depth_vecs=fixed_vecs[1:],
            expected_words=F.expected_words(ref), calibration=self.calibration,
        )

    def _criterion_scores(self, rubric, m: F.Measurements, keyword_list: bool,
                          has_depth: bool = True) -> list[CriterionScore]:
        criteria = list(rubric.criteria)
        if not has_depth:
            # A bare reference (CLI --reference, eval data) says nothing about depth:
            # its weight goes to coverage instead of scoring every answer down.
            moved = sum(c.weight for c in criteria if c.measure == "depth")
            criteria = [c if c.measure != "coverage" else
                        type(c)(c.name, c.weight + moved, c.measure, c.levels)
                        for c in criteria if c.measure != "depth"]
        out = []
        for c in criteria:
            value, reason = {
                "coverage": (m.coverage, f"{m.covered_count} of {len(m.point_strength)} "
                             "key points found"),
                "depth": (m.depth, "trade-offs, mechanisms and examples beyond the basics"),
                "clarity": (0.1 if keyword_list else m.clarity,
                            "bare list of terms" if keyword_list else "sentences, length and focus"),
                "structure": (m.structure, "situation, actions, result, reflection"),
                "specificity": (m.specificity, "concrete details and numbers"),
            }[c.measure]
            s = round(float(np.clip(value, 0, 1)) * 10, 1)
            out.append(CriterionScore(name=c.name, score=s, weight=c.weight,
                                      level=level_for(s), reason=reason))
        return out

    def _floor(self, ref: ReferenceAnswer, rubric, flags: list[str], base: dict) -> Grade:
        """A zero grade for content-free answers, with every point missing."""
        scores = [CriterionScore(name=c.name, score=0, weight=c.weight, level="missing",
                                 reason="nothing to grade") for c in rubric.criteria]
        results = [KeyPointResult(point=p, covered=False, strength=0.0,
                                  citation=self._key_points_citation(ref)) for p in ref.key_points]
        target, follow_up = self._follow_up(ref, results, None)
        return Grade(status="graded", score=0.0, criteria=scores, key_points=results,
                     missing=list(ref.key_points), flags=flags,
                     feedback="Nothing in the answer could be graded against the key points.",
                     follow_up=follow_up, follow_up_target=target, **base)

    # -- explanation -------------------------------------------------------

    @staticmethod
    def _key_points_citation(ref: ReferenceAnswer) -> int | None:
        for ev in ref.evidence:
            if ev.is_answer_key and ev.part == "key points":
                return ev.n
        return ref.evidence[0].n if ref.evidence else None

    @staticmethod
    def _citation_of(ref: ReferenceAnswer, part: str) -> int | None:
        return next((ev.n for ev in ref.evidence if ev.is_answer_key and ev.part == part), None)

    def _feedback(self, ref: ReferenceAnswer, results: list[KeyPointResult],
                  scores: list[CriterionScore], flags: list[str]) -> str:
        cite = self._key_points_citation(ref)
        mark = f" [{cite}]" if cite else ""
        covered = sum(r.covered for r in results)
        parts = [f"You covered {covered} of {len(results)} key points{mark}."]
        missing = [r.point for r in results if not r.covered]
        if missing:
            parts.append("Most important gap: " + truncate_words(missing[0], 30))
        weakest = min(scores, key=lambda c: c.score) if scores else None
        if weakest and weakest.score < 5 and (not missing or weakest.name != scores[0].name):
            parts.append(f"Weakest criterion: {weakest.name} ({weakest.level}).")
        explain = self._citation_of(ref, "explanation")
        if explain:
            parts.append(f"The reference explanation is in [{explain}].")
        if ref.match == "retrieved key":
            parts.append("No answer key is linked to this exact question; it was graded against "
                         "the closest key the knowledge base retrieved.")
        return " ".join(parts)  # flags are shown beside the feedback, not inside it

    @staticmethod
    def _outline(ref: ReferenceAnswer) -> list[str]:
        return [truncate_words(p, 28) for p in ref.key_points[:6]]

    def _follow_up(self, ref: ReferenceAnswer, results: list[KeyPointResult],
                   m: F.Measurements | None) -> tuple[str | None, str | None]:
        return self.follow_up(ref, [r.point for r in results if not r.covered])

    def follow_up(self, ref: ReferenceAnswer, missing: list[str]) -> tuple[str | None, str | None]:
        """(target, question): probe the most important missing point, else go deeper."""
        subject = question_topic(ref.question)
        if missing:
            target = missing[0]
            return target, (f"One point you didn't cover: {hint(target, subject)} "
                            "Can you explain that, and why it matters here?")
        if ref.depth_signals:
            target = ref.depth_signals[0]
            return target, (f"Good coverage. Going deeper: {hint(target, subject)} "
                            "How would you reason about that in a real system?")
        return None, ("Good coverage. What trade-off or failure mode would make you choose "
                      "differently in production?")


_PRONOUN_RE = re.compile(r"^(it|this|that|they|these|its|their)\b\s*", re.I)
_QUESTION_LEAD_RE = re.compile(
    r"^(what (is|are)( the)?|explain( the)?|describe( the)?|define|compare|how (do|does|would) "
    r"(you|we|it)|why (is|are|do)|when (would|should) you|name)\s+", re.I)


def question_topic(question: str) -> str:
    """The subject of a question: 'What is chunk overlap and why…' -> 'chunk overlap'."""
    topic = _QUESTION_LEAD_RE.sub("", question.strip().rstrip("?"))
    topic = re.split(r"\s+(and why|and how|and when|and what|, and)\b", topic, maxsplit=1)[0]
    return truncate_words(topic, 8)


def hint(point: str, subject: str, max_words: int = 9) -> str:
    """The opening words of a key point, as an interviewer's prompt to continue."""
    text = point.strip()
    if _PRONOUN_RE.match(text):
        text = _PRONOUN_RE.sub(subject + " ", text, count=1)
    clause = re.split(r"[;:(]", text, maxsplit=1)[0]
    toks = clause.split()
    if len(toks) > max_words:
        clause = " ".join(toks[:max_words]).rstrip(",.") + "…"
    else:
        clause = clause.rstrip(",.") + "…"
    if clause[:2] != clause[:2].upper():
        clause = clause[0].lower() + clause[1:]
    return f"\u201c{clause}\u201d"


def reference_from_text(question: str, reference: str, kind: str = "concept") -> ReferenceAnswer:
    """A reference built from free text (CLI --reference, eval rows with a reference answer).

    A short reference is one key point; a long one is split into sentences,
    each a key point.
    """
    points = [reference.strip()]
    if len(words(reference)) > 60:
        points = [s for s in sentences(reference, max_words=60) if len(words(s)) >= 2] or points
    ev = Evidence(n=1, chunk_id="given-reference", source="(given reference)",
                  heading=truncate_words(question, 12), part="key points",
                  text=reference, is_answer_key=True)
    return ReferenceAnswer(question=question, kind=kind, key_points=points, explanation="",
                           evidence=[ev], match="given reference")


__all__ = ["OfflineGrader", "reference_from_text", "question_topic", "hint"]
