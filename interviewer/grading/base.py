"""The one door every grader goes through: `grade()` in, a `Grade` out.

A grader is a class with a `grade(reference, answer)` method and its
capabilities as class attributes, so the app, the CLI and the evals treat the
embedding grader, the claim judge and an LLM the same way.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Generator, Iterator

from .models import Grade, ReferenceAnswer


class GradeStream:
    """Feedback text as it streams; `.grade` holds the finished Grade afterwards."""

    def __init__(self, run: Generator[str, None, Grade]):
        self._run = run
        self.grade: Grade | None = None

    def __iter__(self) -> Iterator[str]:
        self.grade = yield from self._run
        return


class Grader:
    """Base class: subclasses implement `grade`; the rest has sensible defaults."""

    name = "grader"  # stored with every grade it produces
    offline = True  # needs no network and no key
    deterministic = True  # the same answer always gets the same grade
    streams = False  # feedback arrives in pieces while the model writes
    judges_claims = False  # reads claims (negation, roles), not only vocabulary

    @property
    def label(self) -> str:
        """What the sidebar shows."""
        return f"{self.name} grader"

    def grade(self, ref: ReferenceAnswer, answer: str) -> Grade:
        """Grade one answer against a reference."""
        raise NotImplementedError

    def grade_stream(self, ref: ReferenceAnswer, answer: str) -> GradeStream:
        """Feedback text, then `.grade`; non-streaming graders yield it whole."""
        def run():
            grade = self.grade(ref, answer)
            if grade.feedback:
                yield grade.feedback
            return grade

        return GradeStream(run())

    def follow_up(self, ref: ReferenceAnswer, missing: list[str],
                  asked: Collection[str] = ()) -> tuple[str | None, str | None]:
        """(target, question) for the next follow-up, not one already `asked`; none by default."""
        return None, None

    def warm_up(self) -> None:
        """Load models before the first grade (no-op by default)."""


__all__ = ["Grader", "GradeStream"]
