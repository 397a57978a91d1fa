"""The interview state machine, without any model."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from interviewer.interview import Interview, InterviewConfig, InterviewError


@dataclass
class Q:
    id: str
    section: int
    text: str


BANK = [Q(f"q{s:02d}-{i:06x}", s, f"Question {s}.{i}?") for s in (1, 2) for i in range(6)]


def graded(score=5.0, follow_up="Why?", target="point A"):
    return {"status": "graded", "score": score, "follow_up": follow_up,
            "follow_up_target": target, "grader": "offline", "missing": ["point A", "point B"]}


def test_start_picks_distinct_questions_from_chosen_sections():
    iv = Interview.start(InterviewConfig(sections=[2], num_questions=4, seed=3), BANK)
    assert len(iv.question_ids) == 4 == len(set(iv.question_ids))
    assert all(qid.startswith("q02") for qid in iv.question_ids)
    assert iv.pending.prompt == iv.questions[iv.question_ids[0]]
    assert iv.pending.kind == "main"


def test_start_prefers_unseen_questions():
    seen = {q.id for q in BANK if q.section == 1}
    iv = Interview.start(InterviewConfig(sections=[1, 2], num_questions=6, seed=1), BANK,
                         exclude=seen)
    assert not set(iv.question_ids) & seen


def test_full_flow_with_follow_ups_then_done():
    iv = Interview.start(InterviewConfig(sections=[1], num_questions=2, follow_ups=2, seed=0),
                         BANK)
    iv.record_answer("a1", graded())
    assert iv.pending.kind == "follow_up" and iv.pending.follow_up_index == 1
    assert iv.pending.prompt == "Why?" and iv.pending.target == "point A"
    iv.record_answer("f1", graded())
    assert iv.pending.follow_up_index == 2
    iv.record_answer("f2", graded())
    # Follow-up budget (2) spent: next main question.
    assert iv.pending.kind == "main" and iv.pending.question_index == 1
    iv.record_answer("a2", graded(follow_up=None))
    assert iv.phase == "done" and iv.pending is None
    assert [t.kind for t in iv.turns] == ["main", "follow_up", "follow_up", "main"]


def test_zero_follow_ups_goes_straight_to_next_question():
    iv = Interview.start(InterviewConfig(sections=[1], num_questions=2, follow_ups=0), BANK)
    iv.record_answer("a1", graded())
    assert iv.pending.kind == "main" and iv.pending.question_index == 1


def test_no_follow_up_for_an_ungraded_answer():
    iv = Interview.start(InterviewConfig(sections=[1], num_questions=2, follow_ups=1), BANK)
    iv.record_answer("a1", {"status": "no_reference", "score": None, "follow_up": None})
    assert iv.pending.kind == "main"


def test_skip_drops_remaining_follow_ups():
    iv = Interview.start(InterviewConfig(sections=[1], num_questions=2, follow_ups=3), BANK)
    iv.record_answer("a1", graded())
    iv.skip()
    assert iv.pending.kind == "main" and iv.pending.question_index == 1
    iv.skip()
    assert iv.phase == "done"
    with pytest.raises(InterviewError):
        iv.skip()


def test_empty_answer_is_refused():
    iv = Interview.start(InterviewConfig(sections=[1], num_questions=1), BANK)
    with pytest.raises(InterviewError):
        iv.record_answer("   ", graded())
    assert iv.pending.answer is None


def test_round_trip_through_json_preserves_state():
    iv = Interview.start(InterviewConfig(sections=[1, 2], num_questions=3, follow_ups=1, seed=5),
                         BANK)
    iv.record_answer("a1", graded(score=7.5))
    clone = Interview.from_dict(json.loads(json.dumps(iv.to_dict())))
    assert clone.to_dict() == iv.to_dict()
    clone.record_answer("f1", graded())
    assert clone.pending.question_index == 1


def test_summary_groups_by_topic_and_does_not_average_skips_as_zero():
    iv = Interview.start(InterviewConfig(sections=[1], num_questions=3, follow_ups=1, seed=2),
                         BANK)
    iv.record_answer("a1", graded(score=8.0))
    iv.record_answer("f1", graded(score=4.0))
    iv.record_answer("a2", graded(score=6.0, follow_up=None))
    iv.skip()
    topics = {qid: (1, "Basics" if i < 2 else "Other") for i, qid in enumerate(iv.question_ids)}
    s = iv.summary(topics)
    # The first question's final score weighs its follow-up at half: (8 + 0.5*4) / 1.5.
    assert s["questions"][0]["follow_up_scores"] == [4.0]
    assert s["questions"][0]["score"] == 8.0 and s["questions"][0]["final"] == 6.7
    assert s["questions"][1]["final"] == 6.0
    assert s["overall"] == round((6.7 + 6.0) / 2, 1)
    assert s["topics"] == {"Basics": round((6.7 + 6.0) / 2, 1), "Other": None}
    assert s["skipped"] == 1 and s["answered"] == 2
    assert s["questions"][2]["final"] is None


def test_final_score_keeps_the_hint_cap_and_counts_a_dont_know_follow_up_as_zero():
    iv = Interview.start(InterviewConfig(sections=[1], num_questions=2, follow_ups=1, seed=2),
                         BANK)
    iv.record_answer("a1", {**graded(score=7.0), "max_score": 7.0, "hints": 2})
    iv.record_answer("f1", graded(score=10.0))
    iv.record_answer("a2", graded(score=6.0))
    iv.record_dont_know("no idea")
    rows = iv.summary()["questions"]
    # (7 + 5) / 1.5 = 8.0, but two hints capped this question at 7.
    assert rows[0]["final"] == 7.0
    # "I don't know" on the follow-up counts 0: (6 + 0) / 1.5.
    assert rows[1]["follow_up_scores"] == [0.0] and rows[1]["final"] == 4.0


@pytest.mark.parametrize("kwargs", [dict(sections=[1], num_questions=0),
                                    dict(sections=[1], follow_ups=-1),
                                    dict(sections=[1], time_limit=5)])
def test_invalid_config(kwargs):
    with pytest.raises(InterviewError):
        InterviewConfig(**kwargs)


def test_no_questions_in_sections():
    with pytest.raises(InterviewError):
        Interview.start(InterviewConfig(sections=[99]), BANK)


def test_exchanges_stay_on_the_waiting_turn_and_round_trip():
    iv = Interview.start(InterviewConfig(sections=[1], num_questions=2, seed=1), BANK)
    iv.add_exchange("clarify", "what do you mean?", "In other words: …")
    iv.add_exchange("hint", "hint?", "Here's a nudge: …")
    assert iv.pending is iv.turns[0] and iv.pending.hints == ["Here's a nudge: …"]
    again = Interview.from_dict(json.loads(json.dumps(iv.to_dict())))
    assert again.pending.exchanges == iv.pending.exchanges


def test_old_stored_turns_without_exchanges_still_load():
    iv = Interview.start(InterviewConfig(sections=[1], num_questions=1, seed=1), BANK)
    data = iv.to_dict()
    for t in data["turns"]:
        del t["exchanges"], t["dont_know"]
    assert Interview.from_dict(data).pending.exchanges == []


def test_dont_know_closes_the_turn_with_a_probe_or_moves_on():
    iv = Interview.start(InterviewConfig(sections=[1], num_questions=2, follow_ups=1, seed=1),
                         BANK)
    iv.record_dont_know("no idea", probe="Narrower?", target="point A")
    assert iv.turns[0].dont_know and iv.pending.kind == "follow_up"
    assert iv.pending.prompt == "Narrower?"
    iv.record_dont_know("still no idea")
    assert iv.pending.kind == "main" and iv.pending.question_index == 1
    iv.record_dont_know("no", probe=None)
    assert iv.phase == "done"
    s = iv.summary()
    assert s["dont_know"] == 2 and s["overall"] == 0.0 and s["questions"][0]["follow_up_scores"] == [0.0]


def test_reopen_last_takes_back_an_answer_only_while_nothing_followed():
    iv = Interview.start(InterviewConfig(sections=[1], num_questions=2, follow_ups=1, seed=1),
                         BANK)
    iv.record_answer("Is it about X?", graded())
    turn, dropped = iv.reopen_last()
    assert turn is iv.pending and turn.answer is None and turn.grade is None and dropped == 1
    iv.record_answer("A real answer", graded())
    iv.add_exchange("repeat", "again?", "The question is …")  # on the follow-up
    with pytest.raises(InterviewError, match="moved on"):
        iv.reopen_last()


def test_style_is_checked_and_stored():
    with pytest.raises(InterviewError, match="style"):
        InterviewConfig(sections=[1], style="quiz")
    iv = Interview.start(InterviewConfig(sections=[1], num_questions=1, style="interview"), BANK)
    assert Interview.from_dict(json.loads(json.dumps(iv.to_dict()))).config.style == "interview"
    old = iv.to_dict()
    del old["config"]["style"]  # stored before modes existed
    assert Interview.from_dict(old).config.style == "coach"


def test_history_uses_the_same_final_scores_from_stored_turns():
    from interviewer.interview import stored_finals

    stored = [
        {"kind": "main", "score": 8.0, "skipped": 0, "grade": {"score": 8.0}},
        {"kind": "follow_up", "score": 4.0, "skipped": 0, "grade": {"score": 4.0}},
        {"kind": "main", "score": None, "skipped": 1, "grade": None},
        {"kind": "main", "score": 7.0, "skipped": 0, "grade": {"score": 7.0, "max_score": 7.0}},
        {"kind": "follow_up", "score": 10.0, "skipped": 0, "grade": {"score": 10.0}},
        {"kind": "follow_up", "score": None, "skipped": 1, "grade": None},
    ]
    assert stored_finals(stored) == [6.7, 7.0]


def test_timing_is_stamped_from_outside_measured_and_marked_late():
    iv = Interview.start(InterviewConfig(sections=[1], num_questions=2, follow_ups=0,
                                         time_limit=60), BANK)
    assert iv.pending.asked_at is None  # the machine reads no clock
    assert iv.timing(1070.0) == (None, False)
    iv.stamp(1000.0)
    iv.stamp(1030.0)  # a rerun does not restart the clock
    assert iv.pending.asked_at == 1000.0
    assert iv.timing(1045.26) == (45.3, False)
    assert iv.timing(1060.5) == (60.5, True)
    untimed = Interview.start(InterviewConfig(sections=[1], num_questions=1), BANK)
    untimed.stamp(0.0)
    assert untimed.timing(900.0) == (900.0, False)  # timed, never late


def test_timing_round_trips_and_a_taken_back_answer_loses_it():
    iv = Interview.start(InterviewConfig(sections=[1], num_questions=2, follow_ups=0,
                                         time_limit=60), BANK)
    iv.stamp(10.0)
    turn = iv.record_answer("an answer", graded(follow_up=None))
    turn.seconds, turn.late = 75.0, True
    back = Interview.from_dict(json.loads(json.dumps(iv.to_dict())))
    assert (back.turns[0].asked_at, back.turns[0].seconds, back.turns[0].late) == (10.0, 75.0, True)
    assert back.config.time_limit == 60
    reopened, _ = back.reopen_last()
    assert (reopened.seconds, reopened.late, reopened.asked_at) == (None, False, 10.0)
