"""Spaced review and mastery, from replayed history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from interviewer.schedule import INTERVAL_DAYS, cards, mastery, plan

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)


def ev(qid, score, day, skipped=False):
    return {"question_id": qid, "score": score, "skipped": skipped,
            "created_at": (T0 + timedelta(days=day)).isoformat()}


def test_good_answers_climb_boxes_and_weak_ones_drop_to_box_one():
    c = cards([ev("a", 8, 0), ev("a", 9, 2), ev("b", 8, 0), ev("b", 2, 3), ev("c", 5, 0)])
    assert c["a"].box == 3 and c["a"].due == T0 + timedelta(days=2 + INTERVAL_DAYS[3])
    assert c["b"].box == 1 and c["b"].due == T0 + timedelta(days=3 + INTERVAL_DAYS[1])
    assert c["c"].box == 1 and c["c"].answers == 1
    assert cards([ev("d", None, 0, skipped=True)])["d"].box == 1


def test_boxes_cap_at_the_last_interval():
    c = cards([ev("a", 10, d) for d in range(10)])
    assert c["a"].box == max(INTERVAL_DAYS)


def test_plan_modes():
    history = cards([ev("weak", 2, 0), ev("good", 9, 0)])
    now = T0 + timedelta(days=2)  # weak is due after 1 day; good after 3
    ids = ["good", "new1", "weak", "new2"]
    assert plan(ids, history, "review", now) == ["weak"]
    assert plan(ids, history, "new", now) == ["new1", "new2"]
    assert plan(ids, history, "mixed", now) == ["weak", "new1", "new2", "good"]
    with pytest.raises(ValueError):
        plan(ids, history, "random", now)


@dataclass
class Q:
    id: str
    section: int
    section_title: str
    subsection: str


def test_mastery_is_the_mean_latest_score_per_topic():
    qs = [Q("a", 1, "S1", "x"), Q("b", 1, "S1", "x"), Q("c", 2, "S2", "y")]
    rows = {(r["section"], r["subsection"]): r
            for r in mastery(qs, cards([ev("a", 2, 0), ev("a", 8, 1), ev("b", 6, 0)]))}
    assert rows[(1, "x")]["mastery"] == 7.0 and rows[(1, "x")]["answered"] == 2
    assert rows[(2, "y")]["mastery"] is None and rows[(2, "y")]["questions"] == 1
