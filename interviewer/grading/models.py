"""The data a grade is made of: evidence, rubric criteria and the grade itself."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Evidence(BaseModel):
    """One citable chunk of the notes given to a grader, numbered [n]."""

    n: int = Field(ge=1)
    chunk_id: str
    source: str
    heading: str
    part: str
    text: str
    similarity: float = 0.0
    is_answer_key: bool = False

    @property
    def label(self) -> str:
        """Human-readable citation: file and heading."""
        return f"{self.source} › {self.heading} ({self.part})"


class FollowUpProbe(BaseModel):
    """An authored follow-up: the key points it tests (0-based), the question, its key."""

    points: list[int]
    question: str
    key: str


class ReferenceAnswer(BaseModel):
    """What an answer is graded against: key points, explanation, depth, evidence."""

    question: str
    kind: str = "concept"
    key_points: list[str]
    explanation: str = ""
    depth_signals: list[str] = Field(default_factory=list)
    mistakes: list[str] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    question_id: str | None = None
    key_title: str | None = None
    match: Literal["answer key", "retrieved key", "given reference",
                   "retrieved passages", "your key"] = "answer key"
    probes: list[FollowUpProbe] = Field(default_factory=list)
    # The interviewer's level (levels.LEVELS): how strict the rubric is, which probe first.
    level: str = "mid"
    # Each key point's role, "core" or "supporting" (empty: unmarked, weighted by order).
    point_roles: list[str] = Field(default_factory=list)
    # Each key point's atomic claims (interviewer/claims.py; empty: none recorded).
    point_claims: list[list[str]] = Field(default_factory=list)
    # Related notes were left out because the index was still being built.
    related_pending: bool = False


class CriterionScore(BaseModel):
    """One rubric criterion's score with the level it reached."""

    name: str
    score: float = Field(ge=0, le=10)
    weight: float = Field(ge=0, le=1)
    level: str
    reason: str = ""


Verdict = Literal["covered", "partly", "missing", "contradicted"]


class KeyPointResult(BaseModel):
    """How the answer treats one key point, and the sentence that shows it."""

    point: str
    covered: bool
    strength: float = Field(ge=0, le=1)
    matched: str | None = None
    citation: int | None = None
    verdict: Verdict | None = None  # None on grades stored before verdicts existed
    contradiction: float | None = Field(default=None, ge=0, le=1)
    role: str | None = None  # "core" or "supporting" when the key marks it
    # For a contradicted point with claims: the claim the answer most contradicts.
    held: str | None = None


class Grade(BaseModel):
    """A graded answer: the same shape whichever grader produced it."""

    # unsupported_language: not English; the grader reads English only and does
    # not pretend to score it.
    status: Literal["graded", "empty", "no_reference", "unsupported_language"] = "graded"
    score: float | None = Field(default=None, ge=0, le=10)
    criteria: list[CriterionScore] = Field(default_factory=list)
    key_points: list[KeyPointResult] = Field(default_factory=list)
    covered: list[str] = Field(default_factory=list)
    partly: list[str] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)
    # key points the answer states the opposite of, with the sentence that does
    contradicted: list[dict] = Field(default_factory=list)
    feedback: str = ""
    model_answer: list[str] = Field(default_factory=list)
    follow_up: str | None = None
    follow_up_target: str | None = None
    citations: list[Evidence] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)
    grader: str = "offline"
    model: str | None = None
    prompt_version: str | None = None
    question_id: str | None = None
    kind: str = "concept"
    level: str = "mid"  # the interviewer level whose bar graded it
    reference: str | None = None
    answer_truncated: bool = False
    # The most this answer could score: below 10 after hints (see talk.HINT_COST).
    max_score: float | None = Field(default=None, ge=0, le=10)
    hints: int = 0
    usage: dict | None = None  # input/output tokens, whether estimated, cost in USD
    cross_check_score: float | None = None  # the offline grader's score, for LLM grades
    fallback_reason: str | None = None  # why an LLM grade fell back to the offline one
    # Graded while the notes index was being built: the key is cited, related notes are not.
    related_pending: bool = False

    @property
    def grader_label(self) -> str:
        """What to show next to the score: which grader, which model."""
        return f"{self.grader} grader" + (f" · {self.model}" if self.model else "")
