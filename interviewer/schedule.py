"""Spaced review (Leitner boxes) and mastery by topic, computed from past grades.

The schedule is derived from the stored history every time rather than kept
as separate state, so it can never drift from what was actually answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from statistics import mean

# Days until a question in each box is due again. A good answer moves a
# question up a box (seen less often); a weak one sends it back to box 1.
INTERVAL_DAYS = {1: 1, 2: 3, 3: 7, 4: 16, 5: 35}
GOOD, WEAK = 7.0, 4.0
MODES = ("mixed", "review", "new")


@dataclass
class Card:
    """Where one question stands for one profile."""

    question_id: str
    box: int
    last_score: float | None
    last_seen: datetime
    due: datetime
    answers: int


def _parse(ts: str) -> datetime:
    dt = datetime.fromisoformat(ts)
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def cards(events: list[dict]) -> dict[str, Card]:
    """Replay graded main answers (question_id, score, created_at) in time order."""
    out: dict[str, Card] = {}
    for e in sorted(events, key=lambda e: e["created_at"]):
        when = _parse(e["created_at"])
        score = e.get("score")
        card = out.get(e["question_id"])
        box = card.box if card else 1  # a new question starts in box 1
        if e.get("skipped") or score is None:
            box = 1  # a skipped question is a weak one
        elif score >= GOOD:
            box = min(box + 1, max(INTERVAL_DAYS))
        elif score < WEAK:
            box = 1
        else:
            box = max(box, 1)
        out[e["question_id"]] = Card(
            question_id=e["question_id"], box=box, last_score=score, last_seen=when,
            due=when + timedelta(days=INTERVAL_DAYS[box]),
            answers=(card.answers if card else 0) + 1,
        )
    return out


def plan(question_ids: list[str], history: dict[str, Card], mode: str = "mixed",
         now: datetime | None = None, prefer=None) -> list[str]:
    """Question ids in the order to ask them.

    review: due questions only, most overdue first. new: never-seen only.
    mixed: due first, then never-seen, then the rest by due date. `prefer`
    (ids -> ids, e.g. the interviewer level's) reorders the never-seen ones;
    due reviews keep the schedule's order, which is the point of a schedule.
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose one of {MODES}")
    now = now or datetime.now(timezone.utc)
    due = sorted((q for q in question_ids if q in history and history[q].due <= now),
                 key=lambda q: history[q].due)
    unseen = [q for q in question_ids if q not in history]
    if prefer is not None:
        unseen = prefer(unseen)
    later = sorted((q for q in question_ids if q in history and history[q].due > now),
                   key=lambda q: history[q].due)
    if mode == "review":
        return due
    if mode == "new":
        return unseen
    return due + unseen + later


def mastery(questions: list, history: dict[str, Card]) -> list[dict]:
    """Per section and subsection: questions, answered, mean latest score, due count.

    `questions` are guide questions (id, section, section_title, subsection).
    """
    groups: dict[tuple, dict] = {}
    now = datetime.now(timezone.utc)
    for q in questions:
        key = (q.section, q.section_title, q.subsection)
        g = groups.setdefault(key, {"section": q.section, "section_title": q.section_title,
                                    "subsection": q.subsection, "questions": 0, "scores": [],
                                    "due": 0})
        g["questions"] += 1
        card = history.get(q.id)
        if card and card.last_score is not None:
            g["scores"].append(card.last_score)
        if card and card.due <= now:
            g["due"] += 1
    rows = []
    for g in groups.values():
        scores = g.pop("scores")
        rows.append({**g, "answered": len(scores),
                     "mastery": round(mean(scores), 1) if scores else None})
    return rows
