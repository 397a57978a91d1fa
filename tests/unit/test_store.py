"""SQLite persistence with a real database file."""

from __future__ import annotations

import sqlite3

from interviewer.interview import Interview, InterviewConfig
from interviewer.store import SCHEMA_VERSION, Store

from .test_interview import BANK, graded


def new_interview(**kw):
    return Interview.start(InterviewConfig(sections=[1], num_questions=2, follow_ups=1, seed=1,
                                           **kw), BANK)


def test_turns_and_state_survive_reopening(tmp_path):
    db = tmp_path / "i.db"
    store = Store(db)
    iv = new_interview()
    store.save_new(iv)
    turn = iv.pending
    iv.record_answer("my answer", graded(score=6.5))
    store.save_turn(iv, turn)
    store.close()

    reopened = Store(db)
    resumed = reopened.latest_open()
    assert resumed is not None and resumed.to_dict() == iv.to_dict()
    rows = reopened.turns(iv.id)
    assert rows[0]["answer"] == "my answer" and rows[0]["score"] == 6.5
    assert rows[0]["grader"] == "offline" and rows[0]["grade"]["status"] == "graded"


def test_finished_interview_is_not_resumed(tmp_path):
    store = Store(tmp_path / "i.db")
    iv = Interview.start(InterviewConfig(sections=[1], num_questions=1, follow_ups=0), BANK)
    store.save_new(iv)
    turn = iv.pending
    iv.record_answer("x", graded(follow_up=None))
    store.save_turn(iv, turn)
    assert iv.phase == "done"
    assert store.latest_open() is None
    assert store.interviews()[0]["status"] == "done"


def test_abandoned_interview_is_not_resumed_and_profiles_are_separate(tmp_path):
    store = Store(tmp_path / "i.db")
    a, b = new_interview(), new_interview()
    store.save_new(a, profile="ana")
    store.save_new(b, profile="ben")
    store.abandon(a.id)
    assert store.latest_open("ana") is None
    assert store.latest_open("ben").id == b.id


def test_answered_questions_are_remembered(tmp_path):
    store = Store(tmp_path / "i.db")
    iv = new_interview()
    store.save_new(iv)
    turn = iv.pending
    iv.record_answer("x", graded())
    store.save_turn(iv, turn)
    assert store.answered_question_ids() == {turn.question_id}


def test_schema_version_is_recorded(tmp_path):
    Store(tmp_path / "i.db").close()
    conn = sqlite3.connect(tmp_path / "i.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert Store(tmp_path / "i.db").migrate() == SCHEMA_VERSION


def test_a_version_1_database_is_migrated_and_keeps_its_data(tmp_path):
    from interviewer.store import _MIGRATIONS

    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    conn.executescript(_MIGRATIONS[1] + "PRAGMA user_version = 1;")
    iv = new_interview()
    import json
    conn.execute("INSERT INTO interviews VALUES (?, 'default', 'open', '2026-01-01T00:00:00', "
                 "'2026-01-01T00:00:00', ?, ?)",
                 (iv.id, json.dumps(iv.to_dict()["config"]), json.dumps(iv.to_dict())))
    conn.execute("INSERT INTO turns (interview_id, seq, question_id, kind, prompt, answer, "
                 "skipped, score, grader, grade, created_at) VALUES (?, 0, ?, 'main', 'Q?', "
                 "'old answer', 0, 5.5, 'offline', '{\"score\": 5.5}', '2026-01-01T00:00:01')",
                 (iv.id, iv.question_ids[0]))
    conn.commit()
    conn.close()
    store = Store(db)
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    assert store.latest_open().id == iv.id
    assert store.turns(iv.id)[0]["answer"] == "old answer"
    assert store.graded_events()[0]["score"] == 5.5
