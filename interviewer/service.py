"""The interviewer's core: what the app and the CLI call, with no UI code.

It glues the knowledge base, the grader, the state machine and the store:
an answer is truncated if needed, graded, written to SQLite, and only then
returned for display.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .config import Settings
from .grading.models import Grade
from .grading.offline import OfflineGrader
from .guide import Question
from .interview import Interview, InterviewConfig, InterviewError, Turn
from .knowledge import KnowledgeBase
from .store import Store

EMPTY_ANSWER_MESSAGE = "Your answer is empty. Type an answer, or press Skip to move on."


@dataclass
class AnswerOutcome:
    """What happened to a submitted answer."""

    status: Literal["empty", "graded", "no_reference"]
    message: str | None = None
    turn: Turn | None = None
    grade: Grade | None = None
    truncated_from: int | None = None


def truncate_answer(answer: str, limit: int) -> tuple[str, int | None]:
    """Cut an answer to `limit` characters at a word boundary; report the original size."""
    if len(answer) <= limit:
        return answer, None
    cut = answer[:limit]
    space = cut.rfind(" ")
    if space > limit * 0.8:
        cut = cut[:space]
    return cut, len(answer)


class InterviewService:
    """Runs interviews over a knowledge base, a grader and a store."""

    def __init__(self, settings: Settings, kb: KnowledgeBase, store: Store,
                 grader: OfflineGrader | None = None):
        self.settings = settings
        self.kb = kb
        self.store = store
        self.grader = grader or OfflineGrader(kb.embedder)

    # -- lifecycle ---------------------------------------------------------------

    def start(self, config: InterviewConfig, profile: str = "default") -> Interview:
        """Start and store a new interview, closing any open one of this profile."""
        previous = self.store.latest_open(profile)
        if previous:
            self.store.abandon(previous.id)
        seen = self.store.answered_question_ids(profile)
        interview = Interview.start(config, self.kb.questions, exclude=seen)
        self.store.save_new(interview, profile)
        return interview

    def resume(self, profile: str = "default") -> Interview | None:
        """The open interview of a profile, exactly as last stored."""
        return self.store.latest_open(profile)

    def question(self, question_id: str) -> Question:
        """A guide question by id."""
        return self.kb.by_id[question_id]

    # -- answering ---------------------------------------------------------------

    def submit(self, interview: Interview, answer: str) -> AnswerOutcome:
        """Grade the pending turn's answer, store it, then advance the interview."""
        turn = interview.pending
        if turn is None:
            raise InterviewError("no question is waiting for an answer")
        if not answer or not answer.strip():
            return AnswerOutcome(status="empty", message=EMPTY_ANSWER_MESSAGE)
        graded_text, original_len = truncate_answer(answer, self.settings.max_answer_chars)
        grade = self.grade_turn(interview, turn, graded_text)
        if original_len:
            grade.answer_truncated = True
            grade.flags.insert(0, f"Your answer was {original_len:,} characters; only the first "
                               f"{len(graded_text):,} were graded (limit "
                               f"{self.settings.max_answer_chars:,}).")
        interview.record_answer(answer, grade.model_dump(mode="json"))
        self.store.save_turn(interview, turn)
        return AnswerOutcome(status=grade.status, turn=turn, grade=grade,
                             truncated_from=original_len)

    def skip(self, interview: Interview) -> Turn:
        """Skip the pending turn and store that."""
        turn = interview.skip()
        self.store.save_turn(interview, turn)
        return turn

    def grade_turn(self, interview: Interview, turn: Turn, answer: str) -> Grade:
        """Grade an answer to a main question or to one of its follow-ups."""
        question = self.question(turn.question_id)
        base = self.kb.reference_for(question)
        if turn.kind == "main":
            return self.grader.grade(base, answer)
        ref = self.kb.follow_up_reference(base, turn.prompt, turn.target)
        grade = self.grader.grade(ref, answer)
        if grade.status == "graded":
            # The next follow-up probes a gap of the main answer not probed yet.
            main = interview.main_turn(turn.question_index)
            probed = {t.target for t in interview.turns if t.question_index == turn.question_index}
            missing = [p for p in (main.grade or {}).get("missing", []) if p not in probed]
            grade.follow_up_target, grade.follow_up = self.grader.follow_up(base, missing)
        return grade

    def grade_question(self, question: Question, answer: str) -> Grade:
        """Grade a one-off answer to a guide question (CLI, evals)."""
        graded_text, original_len = truncate_answer(answer, self.settings.max_answer_chars)
        grade = self.grader.grade(self.kb.reference_for(question), graded_text)
        if original_len:
            grade.answer_truncated = True
        return grade

    # -- summary -----------------------------------------------------------------

    def summary(self, interview: Interview) -> dict:
        """Scores per question and per topic (section › subsection)."""
        topics = {}
        for qid in interview.question_ids:
            q = self.kb.by_id.get(qid)
            if q:
                topics[qid] = (q.section, f"{q.section}. {q.section_title} › {q.subsection}")
        return interview.summary(topics)
