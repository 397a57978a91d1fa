"""The interviewer level: question levels, ordering, probes and the rubric's bar."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from interviewer.grading.rubrics import RUBRICS, rubric_for
from interviewer.interview import Interview, InterviewConfig, InterviewError
from interviewer.levels import (LEVELS, depth_first, distance, nearest_first, probe_order,
                                question_level)
from interviewer.schedule import Card, plan


@pytest.mark.parametrize("text, kind, section, level", [
    ("What is tokenization?", "concept", "FOUNDATIONAL MACHINE LEARNING", "junior"),
    ("What does BPE stand for?", "concept", "NATURAL LANGUAGE PROCESSING", "junior"),
    ("What is a token?", "quick-fire", "QUICK FIRE TECHNICAL QUESTIONS", "junior"),
    ("Explain the Transformer architecture in detail", "concept", "LARGE LANGUAGE MODELS",
     "mid"),
    ("How would you reduce hallucinations in production?", "concept", "RAG", "senior"),
    ("Design a RAG system for 10M documents", "system-design", "SYSTEM DESIGN", "senior"),
    ("Your chatbot's latency doubled overnight. What do you do?", "scenario",
     "SCENARIO-BASED QUESTIONS", "senior"),
    ("What is query rewriting?", "concept", "ADVANCED RAG TECHNIQUES", "mid"),
])
def test_question_level_reads_kind_wording_and_section(text, kind, section, level):
    assert question_level(text, kind, section) == level


def test_every_guide_question_gets_a_level_and_each_level_is_well_populated(kb):
    levels = [question_level(q.text, q.kind, q.section_title) for q in kb.questions]
    for level in LEVELS:
        # A level with a handful of questions would make the choice meaningless.
        assert levels.count(level) > len(levels) // 8, (level, levels.count(level))


def test_nearest_first_puts_the_chosen_level_first_and_keeps_order_within_a_level():
    ids = ["s1", "j1", "m1", "s2", "j2", "m2"]
    levels = {i: {"s": "senior", "j": "junior", "m": "mid"}[i[0]] for i in ids}
    assert nearest_first(ids, levels, "junior") == ["j1", "j2", "m1", "m2", "s1", "s2"]
    assert nearest_first(ids, levels, "senior") == ["s1", "s2", "m1", "m2", "j1", "j2"]
    # Mid: one step off either way; the easier side first.
    assert nearest_first(ids, levels, "mid") == ["m1", "m2", "j1", "j2", "s1", "s2"]
    assert distance("junior", "senior") == 2


def test_the_level_reorders_new_questions_but_never_jumps_a_due_review():
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    due = Card(question_id="s-due", box=0, last_score=3.0, last_seen=now - timedelta(days=3),
               due=now - timedelta(days=2), answers=1)
    ids = ["s-new", "j-new", "s-due"]
    levels = {"s-new": "senior", "j-new": "junior", "s-due": "senior"}
    order = plan(ids, {"s-due": due}, "mixed", now=now,
                 prefer=lambda q: nearest_first(q, levels, "junior"))
    assert order == ["s-due", "j-new", "s-new"]


def test_junior_probes_the_most_central_missing_point_first():
    points = ["core", "second", "detail"]
    gaps = ["detail", "core"]  # e.g. detail contradicted, core only partly said
    assert probe_order(gaps, points, "junior") == ["core", "detail"]
    assert probe_order(gaps, points, "mid") == gaps


def test_a_senior_probe_goes_deeper_only_once_the_core_is_there():
    points = ["a", "b", "c", "d"]
    assert depth_first("senior", ["c", "d"], points)
    assert not depth_first("senior", ["a", "d"], points)
    assert not depth_first("mid", ["c", "d"], points)


def test_the_rubric_bar_is_stricter_at_each_level_and_never_inverts():
    for kind in RUBRICS:
        weights = {lv: [c.weight for c in rubric_for(kind, lv).criteria] for lv in LEVELS}
        assert weights["junior"] == weights["mid"] == weights["senior"]
        for level in LEVELS:
            rubric = rubric_for(kind, level)
            assert rubric.level == level and rubric.bar.text in rubric.describe()
    junior, mid, senior = (rubric_for("concept", lv) for lv in LEVELS)
    for value in (0.1, 0.5, 0.9):
        # The same measurement is worth more to a junior interviewer, less to a senior.
        assert junior.depth_value(value) > mid.depth_value(value) == value > \
            senior.depth_value(value)
        assert junior.coverage_value(value) > mid.coverage_value(value) > \
            senior.coverage_value(value)
    # Nothing and everything are the same at every level.
    assert {r.depth_value(v) for r in (junior, mid, senior) for v in (0.0,)} == {0.0}
    assert {r.coverage_value(1.0) for r in (junior, mid, senior)} == {1.0}
    assert rubric_for("concept", "bogus").level == "mid"


def test_the_level_is_validated_stored_and_old_interviews_read_as_mid():
    with pytest.raises(InterviewError, match="interviewer level"):
        InterviewConfig(sections=[1], level="principal")
    config = InterviewConfig(sections=[1], level="senior")
    bank = [type("Q", (), {"id": "q1", "section": 1, "text": "What is X?"})()]
    interview = Interview.start(config, bank)
    data = interview.to_dict()
    assert Interview.from_dict(data).config.level == "senior"
    del data["config"]["level"]
    assert Interview.from_dict(data).config.level == "mid"
