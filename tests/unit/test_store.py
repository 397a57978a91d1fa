"""The store on a real SQLite file and on a real PostgreSQL database (the same tests)."""

from __future__ import annotations

import json
import sqlite3

from interviewer.interview import Interview, InterviewConfig
from interviewer.store import SCHEMA_VERSION, Store

from .test_interview import BANK, graded


def new_interview(**kw):
    return Interview.start(InterviewConfig(sections=[1], num_questions=2, follow_ups=1, seed=1,
                                           **kw), BANK)


def test_turns_and_state_survive_reopening(store_location):
    db = store_location
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


def test_finished_interview_is_not_resumed(store_location):
    store = Store(store_location)
    iv = Interview.start(InterviewConfig(sections=[1], num_questions=1, follow_ups=0), BANK)
    store.save_new(iv)
    turn = iv.pending
    iv.record_answer("x", graded(follow_up=None))
    store.save_turn(iv, turn)
    assert iv.phase == "done"
    assert store.latest_open() is None
    assert store.interviews()[0]["status"] == "done"


def test_abandoned_interview_is_not_resumed_and_profiles_are_separate(store_location):
    store = Store(store_location)
    a, b = new_interview(), new_interview()
    store.save_new(a, profile="ana")
    store.save_new(b, profile="ben")
    store.abandon(a.id)
    assert store.latest_open("ana") is None
    assert store.latest_open("ben").id == b.id


def test_answered_questions_are_remembered(store_location):
    store = Store(store_location)
    iv = new_interview()
    store.save_new(iv)
    turn = iv.pending
    iv.record_answer("x", graded())
    store.save_turn(iv, turn)
    assert store.answered_question_ids() == {turn.question_id}


def test_schema_version_is_recorded(store_location):
    Store(store_location).close()
    if not str(store_location).startswith("postgresql://"):
        conn = sqlite3.connect(store_location)
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    # Opening it again applies nothing twice (a second migration would fail on
    # CREATE TABLE) and reads the version back from the database itself.
    assert Store(store_location).migrate() == SCHEMA_VERSION


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
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 6
    assert store.latest_open().id == iv.id
    assert store.turns(iv.id)[0]["answer"] == "old answer"
    assert store.graded_events()[0]["score"] == 5.5


def old_database(db, version: int, iv) -> None:
    """A database as an older release left it: its schema and one graded turn."""
    from interviewer.store import _MIGRATIONS

    conn = sqlite3.connect(db)
    conn.executescript("".join(_MIGRATIONS[v] for v in range(1, version + 1))
                       + f"PRAGMA user_version = {version};")
    conn.execute("INSERT INTO interviews VALUES (?, 'ana', 'open', '2026-01-01T00:00:00', "
                 "'2026-01-01T00:00:00', ?, ?)",
                 (iv.id, json.dumps(iv.to_dict()["config"]), json.dumps(iv.to_dict())))
    conn.commit()
    conn.close()


def test_a_version_2_database_gains_pending_answers_and_passphrases(tmp_path):
    db = tmp_path / "v2.db"
    iv = new_interview()
    old_database(db, 2, iv)
    store = Store(db)
    assert store.migrate() == SCHEMA_VERSION
    assert store.latest_open("ana").id == iv.id
    store.save_pending(iv, "kept while grading")
    assert store.pending_answer(iv) == "kept while grading"
    store.set_secret("ana", "scrypt$x")
    assert store.secret("ana") == "scrypt$x" and store.secret("ben") is None


def test_a_submitted_answer_is_pending_until_its_graded_turn_is_saved(store_location):
    db = store_location
    store = Store(db)
    iv = new_interview()
    store.save_new(iv, profile="ana")
    store.save_pending(iv, "my answer")
    store.close()

    # A restart (a new Store on the same file) still has it, and knows whose it is.
    store = Store(db)
    resumed = store.latest_open("ana")
    assert store.pending_answer(resumed) == "my answer"
    assert [p["answer"] for p in store.pending_answers("ana")] == ["my answer"]
    assert store.pending_answers("ben") == []

    turn = resumed.pending
    resumed.record_answer("my answer", graded(score=4.0))
    store.save_turn(resumed, turn)
    assert store.pending_answers("ana") == []
    assert store.turns(iv.id)[0]["answer"] == "my answer"
    # The next turn (the follow-up) has no pending answer of its own.
    assert store.pending_answer(store.load(iv.id)) is None


def test_a_discarded_pending_answer_is_gone(store_location):
    store = Store(store_location)
    iv = new_interview()
    store.save_new(iv)
    store.save_pending(iv, "draft")
    store.discard_pending(iv.id, 0)
    assert store.pending_answer(iv) is None


def test_profile_exists_counts_interviews_and_passphrases(store_location):
    store = Store(store_location)
    assert not store.profile_exists("ana")
    store.save_new(new_interview(), profile="ana")
    store.set_secret("ben", "scrypt$x")
    assert store.profile_exists("ana") and store.profile_exists("ben")
    assert not store.profile_exists("cy")
