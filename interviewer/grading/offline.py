"""Offline grading: the shared pipeline, and the embedding grader built on it.

No LLM and no network. An offline grade is deterministic (same answer, same
grade) and labelled as coming from its grader. The pipeline:

1. guards: empty, not English, unreadable, sentences addressed to the grader;
2. measurements with the packaged MiniLM (sentence and token embeddings):
   which answer sentence matches each key point, depth, focus, clarity;
3. a verdict per key point (covered, partly, missing, contradicted) from the
   point's strength, which each grader computes its own way;
4. the rubric for the question's kind turns coverage, depth and clarity into
   a 0-10 score, with caps for lists of terms, copies of the question and
   answers to another question.

`EmbeddingGrader` reads strength from embeddings alone; the default
`JudgeGrader` (``judged.py``) adds a cross-encoder that reads claims.
"""

from __future__ import annotations

import re
from collections.abc import Collection

import numpy as np

from ..embeddings import Embedder, shared_embedder
from . import features as F
from .base import Grader
from ..levels import depth_first, probe_order
from .guards import gibberish_share, is_keyword_list, language_problem, split_injections
from .models import CriterionScore, Evidence, Grade, KeyPointResult, ReferenceAnswer
from .rubrics import level_for, rubric_for
from .text import reference_points, sentences, truncate_words

# A model answer outline is the explanation's opening sentences, whole, up to
# about this many words: a paragraph an interviewer would accept, read in 30 s.
OUTLINE_WORDS = 90
# An answer shorter than this share of a full one (features.expected_words) that
# earns no point is told why: the judge finds only 42% of the points a short
# right answer states (evals.indomain, level short), and a one-line gist of a
# point that packs several facts reads as not stating it. Short right answers
# there run 12-50 words against about 90 expected; the strong ones all pass it.
SHORT_ANSWER_SHARE = 0.4

COVERED_AT = 0.5  # a key point's strength at or above this counts as covered
PARTLY_AT = 0.25  # ... and at or above this, as partly covered
KEYWORD_LIST_CAP = 2.5
OFF_TOPIC_CAP = 1.0


class OfflineBase(Grader):
    """The offline pipeline; subclasses say how strongly each key point is stated."""

    name = "offline"

    def __init__(self, embedder: Embedder | None = None, calibration: F.Calibration | None = None):
        self.embedder = embedder or shared_embedder()
        self.calibration = calibration if calibration is not None else self.default_calibration()

    @staticmethod
    def default_calibration() -> F.Calibration:
        """The calibration shipped for this grader."""
        return F.Calibration.load()

    @property
    def label(self) -> str:
        """What the sidebar shows."""
        return f"{self.name} grader" + (f" ({self.model_label})" if self.model_label else "")

    def warm_up(self) -> None:
        """Load the model, its vocabulary and the ONNX session before the first grade."""
        self.embedder.vocabulary()
        self.embedder.encode_units(["warm up"])

    # -- the pipeline ------------------------------------------------------------

    def grade(self, ref: ReferenceAnswer, answer: str) -> Grade:
        """Grade one answer; an empty answer yields status 'empty' and no score."""
        rubric = rubric_for(ref.kind, ref.level)
        if not ref.key_points:
            return Grade(status="no_reference", grader=self.name, model=self.model_label,
                         question_id=ref.question_id, kind=rubric.kind, citations=ref.evidence,
                         feedback="No answer key covers this question yet, so it is not scored. "
                         "The related notes below may still help.")
        base = dict(grader=self.name, model=self.model_label, question_id=ref.question_id,
                    kind=rubric.kind, level=rubric.level, citations=ref.evidence,
                    model_answer=self._outline(ref),
                    reference=ref.key_title or None)
        if not answer or not answer.strip():
            return Grade(status="empty", feedback="No answer was given. Type an answer, or skip "
                         "the question.", **base)
        language = language_problem(answer)
        if language:
            return Grade(status="unsupported_language", **base, feedback=(
                f"This answer looks like it is in {language}. The offline grader reads English "
                "only, so it is not scored (not a zero). Answer in English to get a grade, or "
                "use an LLM grader, which reads other languages."))

        flags: list[str] = []
        text, injected = split_injections(answer)
        if injected:
            flags.append("Instructions to the grader inside the answer were ignored: "
                         + " / ".join(truncate_words(s, 12) for s in injected[:2]))
        if not text.strip():
            return self._floor(ref, rubric, flags + ["The answer contained no content to grade."],
                               base)
        if gibberish_share(text, self.embedder.vocabulary()) > 0.5:
            return self._floor(ref, rubric, flags + [
                "Most of the answer's words are not English words the grader knows, so nothing "
                "could be matched to the key points. If you answered in another language: the "
                "offline grader reads English only."], base)

        m, judged = self._measure(ref, text)
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

        cite = self._key_points_citation(ref)
        results = [self._result(p, s, match, judged[i] if judged else None, cite)
                   for i, (p, s, match) in enumerate(zip(ref.key_points, m.point_strength,
                                                         m.point_match))]
        for r, role in zip(results, ref.point_roles):
            r.role = role
        contradicted = [{"point": r.point, "quote": r.matched,
                         **({"claim": r.held} if r.held else {})}
                        for r in results if r.verdict == "contradicted"]
        target, follow_up = self._follow_up(ref, results)
        return Grade(
            status="graded", score=round(float(np.clip(score, 0, 10)), 1), criteria=scores,
            key_points=results,
            covered=[r.point for r in results if r.verdict == "covered"],
            partly=[r.point for r in results if r.verdict == "partly"],
            missing=[r.point for r in results if r.verdict == "missing"],
            contradicted=contradicted,
            # An answer already flagged as off the question or a list of terms is
            # told that; "short, even when it is right" would contradict the flag.
            feedback=self._feedback(ref, results, scores, words=None if (
                keyword_list or m.question_copy or m.off_topic) else len(text.split())),
            follow_up=follow_up, follow_up_target=target, flags=flags, **base,
        )

    @property
    def model_label(self) -> str | None:
        """What to show after the grader's name (None: nothing)."""
        return None

    def _result(self, point: str, strength: float, match: str | None, judged: dict | None,
                cite: int | None) -> KeyPointResult:
        """A key point's verdict from its strength (and contradiction, when judged)."""
        contradiction = judged.get("contradiction") if judged else None
        quote = judged.get("quote") if judged else None
        verdict = self.verdict(strength, contradiction)
        shown = quote if verdict == "contradicted" and quote else (
            match if verdict in ("covered", "partly") else None)
        return KeyPointResult(point=point, covered=verdict == "covered",
                              strength=round(float(strength), 3), matched=shown,
                              citation=cite, verdict=verdict,
                              contradiction=None if contradiction is None
                              else round(float(contradiction), 3),
                              held=judged.get("claim") if verdict == "contradicted"
                              and judged else None)

    def verdict(self, strength: float, contradiction: float | None) -> str:
        """covered, partly, missing or contradicted."""
        if strength >= COVERED_AT:
            return "covered"
        return "partly" if strength >= PARTLY_AT else "missing"

    # -- measurement ---------------------------------------------------------------

    def pair_features(self, question: str, reference: str, answer: str) -> dict | None:
        """Embedding features of an answer against one reference point (for calibration)."""
        text, _ = split_injections(answer)
        if not text.strip():
            return None
        ref = ReferenceAnswer(question=question, key_points=[reference.strip()])
        return self._embed_measure(ref, text).pair_features[0]

    def _measure(self, ref: ReferenceAnswer, text: str) -> tuple[F.Measurements, list | None]:
        """Measurements and per-point judgements (None when the grader has no judge)."""
        return self._embed_measure(ref, text), None

    def _embed_measure(self, ref: ReferenceAnswer, text: str, **kwargs) -> F.Measurements:
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
            roles=ref.point_roles, **kwargs,
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
                "coverage": (rubric.coverage_value(m.coverage),
                             f"{m.covered_count} of {len(m.point_strength)} key points found"),
                "depth": (rubric.depth_value(m.depth),
                          f"trade-offs, mechanisms and examples beyond the basics "
                          f"({rubric.level} bar)"),
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
        results = [KeyPointResult(point=p, covered=False, strength=0.0, verdict="missing",
                                  citation=self._key_points_citation(ref)) for p in ref.key_points]
        target, follow_up = self._follow_up(ref, results)
        return Grade(status="graded", score=0.0, criteria=scores, key_points=results,
                     missing=list(ref.key_points), flags=flags,
                     feedback="Nothing in the answer could be graded against the key points.",
                     follow_up=follow_up, follow_up_target=target, **base)

    # -- explanation ---------------------------------------------------------------

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
                  scores: list[CriterionScore], words: int | None = None) -> str:
        cite = self._key_points_citation(ref)
        mark = f" [{cite}]" if cite else ""
        covered = sum(r.verdict == "covered" for r in results)
        partly = sum(r.verdict == "partly" for r in results)
        parts = [f"You covered {covered} of {len(results)} key points{mark}"
                 + (f", and {partly} more in part." if partly else ".")]
        expected = F.expected_words(ref)
        if words is not None and not covered and words < SHORT_ANSWER_SHARE * expected:
            parts.append(f"At {words} words the answer is short for this question (a full one "
                         f"runs about {expected}): a point counts only where the answer states "
                         "it, so a one-line summary of several points earns little, even when "
                         "it is right. Spell each point out.")
        wrong = [r for r in results if r.verdict == "contradicted"]
        for r in wrong[:2]:
            said = f'You said "{truncate_words(r.matched, 30)}"' if r.matched else \
                "The answer states the opposite of a key point"
            # The one claim of the point that the answer contradicts says it more
            # plainly than a point that packs several facts.
            parts.append(f"{said}, but the key holds: {truncate_words(r.held or r.point, 40)}"
                         f"{mark}")
        if len(wrong) > 2:
            parts.append(f"{len(wrong) - 2} more statements contradict the key.")
        # The missing points are listed under the feedback (the card's Missing
        # column, the report's "Missing:" line); naming the first here again said it twice.
        missing = [r.point for r in results if r.verdict == "missing"]
        weakest = min(scores, key=lambda c: c.score) if scores else None
        if weakest and weakest.score < 5 and (not missing or weakest.name != scores[0].name):
            parts.append(f"Weakest criterion: {weakest.name} ({weakest.level}).")
        explain = self._citation_of(ref, "explanation")
        if explain:
            parts.append(f"The reference explanation is in [{explain}].")
        if ref.match == "retrieved key":
            parts.append("No answer key is linked to this exact question; it was graded against "
                         "the closest key the knowledge base retrieved.")
        elif ref.match == "your key":
            parts.append(f"Graded against {ref.key_title}.")
        elif ref.match == "retrieved passages":
            parts.append("No answer key is written for this question: it was graded against "
                         "the retrieved passages cited below, not a written key.")
        return " ".join(parts)  # flags are shown beside the feedback, not inside it

    @staticmethod
    def _outline(ref: ReferenceAnswer) -> list[str]:
        # A model answer in whole sentences, from the key's explanation: the key
        # points are already listed as covered or missing, so repeating them
        # (cut at 28 words, as before) said each point three times.
        out, words = [], 0
        for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])", ref.explanation.strip()):
            n = len(sentence.split())
            if not n or (out and words + n > OUTLINE_WORDS):
                break
            out.append(sentence.strip())
            words += n
        return out

    def _follow_up(self, ref: ReferenceAnswer,
                   results: list[KeyPointResult]) -> tuple[str | None, str | None]:
        # A contradicted point is the most important gap to probe, then missing,
        # then partly covered points; a core point before any supporting one.
        order = {"contradicted": 0, "missing": 1, "partly": 2}
        role = dict(zip(ref.key_points, ref.point_roles))
        gaps = sorted((r for r in results if r.verdict in order),
                      key=lambda r: (role.get(r.point, "core") != "core", order[r.verdict]))
        return self.follow_up(ref, probe_order([r.point for r in gaps], ref.key_points,
                                               ref.level))

    def follow_up(self, ref: ReferenceAnswer, missing: list[str],
                  asked: Collection[str] = ()) -> tuple[str | None, str | None]:
        """(target, question): probe the most important gap without giving it away.

        The key's authored probe for the gap comes first (written as an
        interviewer would ask it, with its own key to grade the reply); a gap
        no probe covers gets a question made from the point's subject.
        """
        if ref.depth_signals and SENIOR_DEPTH_PROBE not in asked \
                and depth_first(ref.level, list(missing), ref.key_points, ref.point_roles):
            return ref.depth_signals[0], SENIOR_DEPTH_PROBE
        for point in missing:
            index = ref.key_points.index(point) if point in ref.key_points else -1
            probe = next((p for p in ref.probes if index in p.points and p.question not in asked),
                         None)
            if probe:
                return point, probe.question
        if missing:
            target = missing[0]
            return target, probe_question(target, question_topic(ref.question))
        if ref.depth_signals:
            return ref.depth_signals[0], (
                "Good coverage. Going deeper: what would change in a real production system, "
                "and what trade-off or failure mode would you watch for?")
        return None, ("Good coverage. What trade-off or failure mode would make you choose "
                      "differently in production?")


# Asked instead of a peripheral gap when a senior candidate has the core right
# (levels.depth_first): it names no key point, so it gives nothing away.
SENIOR_DEPTH_PROBE = ("You have the core of it. Going deeper: where does this approach break "
                      "down in a real system, and what would you do instead?")


class EmbeddingGrader(OfflineBase):
    """Key-point strength from the bi-encoder alone (token alignment, similarity, overlap)."""

    name = "embedding"

    @property
    def model_label(self) -> str | None:
        """Shown after the grader's name."""
        return "MiniLM embeddings"


_QUESTION_LEAD_RE = re.compile(
    r"^(what (is|are)( the)?|explain( the)?|describe( the)?|define|compare|how (do|does|would) "
    r"(you|we|it)|why (is|are|do)|when (would|should) you|name)\s+", re.I)
_SUBJECT_STOP_RE = re.compile(
    r"\b(is|are|was|were|can|could|should|must|will|would|may|might|has|have|does|do|lets?|"
    r"makes?|uses?|means|needs?|requires?|gives?|adds?|keeps?|takes?|turns?|reduces?|"
    r"improves?|increases?|decreases?|depends|allows?|helps?|works?|runs?|stores?|returns?)\b",
    re.I)


def question_topic(question: str) -> str:
    """The subject of a question: 'What is chunk overlap and why…' -> 'chunk overlap'."""
    topic = _QUESTION_LEAD_RE.sub("", question.strip().rstrip("?"))
    topic = re.split(r"\s+(and why|and how|and when|and what|, and)\b", topic, maxsplit=1)[0]
    return truncate_words(topic, 8)


def point_subject(point: str) -> str | None:
    """The few words a key point is about (before its first verb), or None."""
    head = re.split(r"[;:,(]", point.strip(), maxsplit=1)[0]
    m = _SUBJECT_STOP_RE.search(head)
    if not m:
        return None
    subject = head[:m.start()].strip()
    toks = subject.split()
    if not 1 <= len(toks) <= 6 or subject.lower() in ("it", "this", "they", "that", "these"):
        return None
    return subject[0].lower() + subject[1:] if not subject[:2].isupper() else subject


def probe_question(point: str, topic: str) -> str:
    """An interviewer's probe toward a key point that does not state the point."""
    subject = point_subject(point)
    if subject:
        return (f"Let's dig into one part: where does {subject} come in, and what would go "
                "wrong without it?")
    return (f"There's more to {topic} than what you described. What else would you cover, "
            "and why does it matter in practice?")


def reference_from_text(question: str, reference: str, kind: str = "concept") -> ReferenceAnswer:
    """A reference built from free text (CLI --reference, eval rows with a reference answer).

    A short reference is one key point; a long one is split into sentences,
    each a key point.
    """
    points = reference_points(reference)
    ev = Evidence(n=1, chunk_id="given-reference", source="(given reference)",
                  heading=truncate_words(question, 12), part="key points",
                  text=reference, is_answer_key=True)
    return ReferenceAnswer(question=question, kind=kind, key_points=points, explanation="",
                           evidence=[ev], match="given reference")


__all__ = ["OfflineBase", "EmbeddingGrader", "reference_from_text", "question_topic",
           "point_subject", "probe_question", "COVERED_AT", "PARTLY_AT"]
