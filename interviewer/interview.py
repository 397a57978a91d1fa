"""The interview as a pure, serializable state machine, independent of any UI.

setup -> ask -> (answer -> graded) -> follow-up ... -> next question -> summary.
While a turn waits, the candidate may talk to the interviewer (a clarification,
the question again, a hint): each exchange is kept on the turn and nothing is
graded. "I don't know" closes the turn with no grade. Grading happens outside: the machine only records a grade and decides what is
asked next, so it can be tested and replayed without a model.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import asdict, dataclass, field
from statistics import mean
from typing import Literal

from .levels import DEFAULT_LEVEL, LEVELS

Phase = Literal["asking", "done"]
STYLES = ("coach", "interview")


class InterviewError(RuntimeError):
    """An action that does not fit the interview's current state."""


@dataclass
class InterviewConfig:
    """What the candidate chose in the sidebar."""

    sections: list[int]
    num_questions: int = 3
    follow_ups: int = 1
    seed: int | None = None
    # "coach": feedback after every answer; "interview": the verdict waits for the
    # debrief at the end, as in a real interview. Turns are stored the same way.
    style: str = "coach"
    # The interviewer's level (levels.LEVELS): which questions and probes come
    # first and how strict the rubric is. Interviews stored before it was asked
    # for have none and were graded at the mid-level bar.
    level: str = DEFAULT_LEVEL
    # Timed practice: seconds allowed per prompt (question or follow-up), None
    # for untimed. A late answer is still graded, and marked late.
    time_limit: int | None = None
    # An interview tailored to a job description (jobdesc.py): {"text", "requirements",
    # "chosen_for": {question id: requirement}}, stored with the interview.
    job: dict | None = None

    def __post_init__(self):
        if self.style not in STYLES:
            raise InterviewError(f"unknown interview style {self.style!r}")
        if self.level not in LEVELS:
            raise InterviewError(f"unknown interviewer level {self.level!r}; choose one of "
                                 f"{', '.join(LEVELS)}")
        if self.time_limit is not None and self.time_limit < 10:
            raise InterviewError("a time limit needs at least 10 seconds per question")
        if self.num_questions < 1:
            raise InterviewError("an interview needs at least one question")
        if self.follow_ups < 0:
            raise InterviewError("follow-ups cannot be negative")


@dataclass
class Turn:
    """One prompt to the candidate and, once answered, the answer and its grade."""

    question_id: str
    question_index: int
    prompt: str
    kind: Literal["main", "follow_up"] = "main"
    follow_up_index: int = 0
    target: str | None = None
    answer: str | None = None
    grade: dict | None = None
    skipped: bool = False
    # Requests to the interviewer while the turn waited, oldest first:
    # {"intent": "clarify" | "repeat" | "hint", "message": ..., "reply": ...}
    exchanges: list[dict] = field(default_factory=list)
    dont_know: bool = False  # closed by "I don't know": no grade, 0 for mastery
    # A spoken answer's speaking feedback (speaking.speaking_metrics), else None.
    speech: dict | None = None
    # Timing, stamped by the service (the machine reads no clock): when the
    # prompt was first shown (epoch seconds), how long the answer took, and
    # whether that ran over the interview's time limit.
    asked_at: float | None = None
    seconds: float | None = None
    late: bool = False

    @property
    def answered(self) -> bool:
        """Whether the turn is closed (answered, skipped or "I don't know")."""
        return self.answer is not None or self.skipped

    @property
    def hints(self) -> list[str]:
        """The hints given on this turn, in order."""
        return [e["reply"] for e in self.exchanges if e["intent"] == "hint"]


@dataclass
class Interview:
    """The whole interview; `to_dict`/`from_dict` round-trip it losslessly."""

    config: InterviewConfig
    question_ids: list[str]
    questions: dict[str, str]
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    turns: list[Turn] = field(default_factory=list)
    phase: Phase = "asking"

    # -- construction --------------------------------------------------------

    @classmethod
    def start(cls, config: InterviewConfig, bank: list, exclude: set[str] | None = None,
              order: list[str] | None = None) -> "Interview":
        """Pick questions from the chosen sections and ask the first one.

        `bank` holds objects with `id`, `section` and `text` (guide questions).
        With `order` (ids, from the review schedule) the first ones in it are
        taken; otherwise a random sample, preferring ids not in `exclude`.
        """
        pool = [q for q in bank if q.section in set(config.sections)]
        if not pool:
            raise InterviewError("no questions in the chosen sections")
        if order is not None:
            by_id = {q.id: q for q in pool}
            chosen = [by_id[i] for i in dict.fromkeys(order) if i in by_id][:config.num_questions]
            if not chosen:
                raise InterviewError("no question fits this mode in the chosen sections")
            interview = cls(config=config, question_ids=[q.id for q in chosen],
                            questions={q.id: q.text for q in chosen})
            interview._ask(0)
            return interview
        rng = random.Random(config.seed)
        fresh = [q for q in pool if not exclude or q.id not in exclude]
        chosen = rng.sample(fresh, min(config.num_questions, len(fresh)))
        if len(chosen) < config.num_questions:
            rest = [q for q in pool if q not in chosen]
            chosen += rng.sample(rest, min(config.num_questions - len(chosen), len(rest)))
        interview = cls(config=config, question_ids=[q.id for q in chosen],
                        questions={q.id: q.text for q in chosen})
        interview._ask(0)
        return interview

    def _ask(self, index: int) -> None:
        qid = self.question_ids[index]
        self.turns.append(Turn(question_id=qid, question_index=index, prompt=self.questions[qid]))

    # -- queries -------------------------------------------------------------

    @property
    def pending(self) -> Turn | None:
        """The turn waiting for an answer, if any."""
        if self.phase == "done" or not self.turns or self.turns[-1].answered:
            return None
        return self.turns[-1]

    @property
    def question_number(self) -> int:
        """1-based number of the current question."""
        return (self.turns[-1].question_index + 1) if self.turns else 0

    def main_turn(self, question_index: int) -> Turn:
        """The first (non follow-up) turn of a question."""
        return next(t for t in self.turns if t.question_index == question_index
                    and t.kind == "main")

    # -- transitions ---------------------------------------------------------

    def record_answer(self, answer: str, grade: dict) -> Turn:
        """Store the pending turn's answer and grade, then move on."""
        turn = self._require_pending()
        if not answer.strip():
            raise InterviewError("an empty answer is not recorded; answer or skip")
        turn.answer = answer
        turn.grade = grade
        follow_up = grade.get("follow_up")
        if follow_up and turn.follow_up_index < self.config.follow_ups \
                and grade.get("status") == "graded":
            self.turns.append(Turn(
                question_id=turn.question_id, question_index=turn.question_index,
                prompt=follow_up, kind="follow_up", follow_up_index=turn.follow_up_index + 1,
                target=grade.get("follow_up_target"),
            ))
        else:
            self._advance(turn.question_index)
        return turn

    def add_exchange(self, intent: str, message: str, reply: str) -> Turn:
        """Keep a request to the interviewer and its reply on the pending turn."""
        turn = self._require_pending()
        turn.exchanges.append({"intent": intent, "message": message, "reply": reply})
        return turn

    def record_dont_know(self, message: str, probe: str | None = None,
                         target: str | None = None) -> Turn:
        """Close the pending turn as not known; ask `probe` as a follow-up, or move on."""
        turn = self._require_pending()
        turn.answer = message
        turn.dont_know = True
        if probe and turn.kind == "main" and self.config.follow_ups > 0:
            self.turns.append(Turn(
                question_id=turn.question_id, question_index=turn.question_index,
                prompt=probe, kind="follow_up", follow_up_index=1, target=target))
        else:
            self._advance(turn.question_index)
        return turn

    def reopen_last(self) -> tuple[Turn, int]:
        """Take back the last answer (it was a question to the interviewer, not an answer).

        Only while nothing has happened since: the turns it opened (its
        follow-up or the next question) are dropped. Returns the reopened turn
        and the number of turns dropped.
        """
        answered = [i for i, t in enumerate(self.turns) if t.answer is not None]
        if not answered:
            raise InterviewError("there is no answer to take back")
        i = answered[-1]
        later = self.turns[i + 1:]
        if any(t.answered or t.exchanges for t in later):
            raise InterviewError("the interview has moved on since that answer")
        turn = self.turns[i]
        del self.turns[i + 1:]
        turn.answer, turn.grade, turn.dont_know, turn.speech = None, None, False, None
        turn.seconds, turn.late = None, False
        self.phase = "asking"
        return turn, len(later)

    def stamp(self, now: float) -> None:
        """Mark when the waiting prompt was first shown (a no-op once marked)."""
        turn = self.pending
        if turn is not None and turn.asked_at is None:
            turn.asked_at = now

    def timing(self, submitted: float | None) -> tuple[float | None, bool]:
        """(seconds taken, late) for an answer to the waiting prompt submitted then."""
        turn = self._require_pending()
        if submitted is None or turn.asked_at is None:
            return None, False
        seconds = round(max(0.0, submitted - turn.asked_at), 1)
        return seconds, bool(self.config.time_limit and seconds > self.config.time_limit)

    def skip(self) -> Turn:
        """Skip the pending turn (and the rest of its follow-ups)."""
        turn = self._require_pending()
        turn.skipped = True
        self._advance(turn.question_index)
        return turn

    def _advance(self, question_index: int) -> None:
        if question_index + 1 < len(self.question_ids):
            self._ask(question_index + 1)
        else:
            self.phase = "done"

    def _require_pending(self) -> Turn:
        turn = self.pending
        if turn is None:
            raise InterviewError("no question is waiting for an answer")
        return turn

    # -- summary -------------------------------------------------------------

    def summary(self, sections: dict[str, tuple[int, str]] | None = None) -> dict:
        """Scores per question and per topic.

        `sections` maps question id to (section number, subsection) for grouping.
        """
        rows = []
        for i, qid in enumerate(self.question_ids):
            turns = [t for t in self.turns if t.question_index == i]
            if not turns:
                continue
            main = turns[0]
            follow = [_score(t) for t in turns[1:] if _score(t) is not None]
            rows.append({
                "question_id": qid, "question": self.questions[qid],
                "score": _score(main), "final": final_score(main, follow),
                "skipped": main.skipped, "dont_know": main.dont_know,
                "hints": len(main.hints),
                "follow_up_scores": follow,
                "section": (sections or {}).get(qid, (None, None))[0],
                "subsection": (sections or {}).get(qid, (None, None))[1],
                "grader": main.grade.get("grader") if main.grade else None,
            })
        # Skipped questions are counted, not averaged in as zeros; "I don't know"
        # is the candidate's own verdict and counts as 0, as it does for mastery.
        # Topics and the overall use each question's final score (main answer
        # and follow-ups together, `final_score`).
        by_topic: dict[str, list[float]] = {}
        for r in rows:
            scores = by_topic.setdefault(r["subsection"] or "All questions", [])
            if r["final"] is not None:
                scores.append(r["final"])
        graded = [r["final"] for r in rows if r["final"] is not None]
        out = {
            "questions": rows,
            "topics": {t: (round(mean(v), 1) if v else None) for t, v in by_topic.items()},
            "overall": round(mean(graded), 1) if graded else None,
            "answered": len(graded),
            "skipped": sum(r["skipped"] for r in rows),
            "dont_know": sum(r["dont_know"] for r in rows),
        }
        if self.config.job:
            out["requirements"] = requirement_rows(self.config.job, rows)
        return out

    # -- serialization ---------------------------------------------------------

    def to_dict(self) -> dict:
        """JSON-safe dict of the whole state."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Interview":
        """Rebuild an interview from `to_dict` output."""
        return cls(
            config=InterviewConfig(**data["config"]), question_ids=list(data["question_ids"]),
            questions=dict(data["questions"]), id=data["id"],
            turns=[Turn(**t) for t in data["turns"]], phase=data["phase"],
        )


def requirement_rows(job: dict, rows: list[dict]) -> list[dict]:
    """A job description's requirements with how the candidate did on the questions
    chosen for each (None: none asked or none graded; unmatched ones say so)."""
    chosen = job.get("chosen_for", {})
    unmatched = set(job.get("unmatched", []))
    out = []
    for req in job.get("requirements", []):
        finals = [r["final"] for r in rows if chosen.get(r["question_id"]) == req
                  and r["final"] is not None]
        asked = sum(chosen.get(r["question_id"]) == req for r in rows)
        out.append({"requirement": req, "questions": asked,
                    "score": round(mean(finals), 1) if finals else None,
                    "status": ("scored" if finals else "not scored") if asked else
                    ("no guide question matches it" if req in unmatched else
                     "not asked in this interview")})
    return out


def mmss(seconds: float | None) -> str:
    """Seconds as minutes:seconds ("3:05"); an em dash for none."""
    if seconds is None:
        return "—"
    whole = int(round(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


# A follow-up answer counts half as much as the main answer: it is graded
# against one probe's narrower key, so it can win back part of a gap (or show
# the gap was real) but should not outweigh the answer to the question asked.
FOLLOW_UP_WEIGHT = 0.5


def final_score(main: Turn, follow_up_scores: list[float]) -> float | None:
    """A question's final score: the main answer's, averaged with its follow-ups'.

    final = (main + w * sum(follow-ups)) / (1 + w * n), w = FOLLOW_UP_WEIGHT,
    never above the main answer's hint cap. Skipped or ungraded main answers
    have none; skipped follow-ups don't count; "I don't know" counts as 0.
    """
    cap = main.grade.get("max_score") if main.grade else None
    return combine_scores(_score(main), follow_up_scores, cap)


def combine_scores(main: float | None, follow_ups: list[float],
                   cap: float | None = None) -> float | None:
    """The final-score rule of `final_score` on plain numbers."""
    if main is None:
        return None
    w = FOLLOW_UP_WEIGHT
    final = (main + w * sum(follow_ups)) / (1 + w * len(follow_ups))
    return round(min(final, cap) if cap is not None else final, 1)


def stored_finals(turns: list[dict]) -> list[float]:
    """Final scores of the graded questions in stored turns (History's view of an interview)."""
    groups: list[tuple[float | None, float | None, list[float]]] = []
    for t in turns:
        if t["kind"] == "main":
            cap = (t.get("grade") or {}).get("max_score")
            groups.append((None if t["skipped"] else t["score"], cap, []))
        elif groups and not t["skipped"] and t["score"] is not None:
            groups[-1][2].append(t["score"])
    finals = [combine_scores(main, follow, cap) for main, cap, follow in groups]
    return [f for f in finals if f is not None]


def _score(turn: Turn) -> float | None:
    """A turn's score for summaries and mastery: "I don't know" counts as 0."""
    if turn.dont_know:
        return 0.0
    return turn.grade.get("score") if turn.grade else None
