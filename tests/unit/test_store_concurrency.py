"""The store under threads: many Streamlit sessions share one Store object."""

from __future__ import annotations

import threading
import time

from interviewer.interview import Interview, InterviewConfig
from interviewer.store import Store

from .test_interview import BANK, graded

# Long enough for the unlocked-cursor race to show on a loaded 2-core machine
# (the issue saw it 10 times in 15 s), short enough for the unit suite.
STRESS_SECONDS = 4.0


def test_concurrent_readers_and_writers_see_consistent_rows(store_location):
    store = Store(store_location)
    names = [f"user{i}" for i in range(6)]
    for name in names:
        store.save_new(Interview.start(InterviewConfig(sections=[1], num_questions=1), BANK),
                       profile=name)
    expected = sorted(names)
    problems: list[str] = []
    written: list[str] = []
    stop = time.monotonic() + STRESS_SECONDS

    def reader():
        while time.monotonic() < stop and len(problems) < 20:
            try:
                seen = store.profiles()
                if seen != expected:
                    problems.append(f"profiles() returned {seen!r}")
                for name in names[:2]:
                    for row in store.interviews(name):
                        if not isinstance(row["id"], str) or row["config"] is None:
                            problems.append(f"interviews() row {row!r}")
                    store.graded_events(name)
            except Exception as exc:  # a crash in any thread is a failure
                problems.append(f"reader: {type(exc).__name__}: {exc}")

    def writer(profile: str):
        while time.monotonic() < stop and len(problems) < 20:
            try:
                iv = Interview.start(InterviewConfig(sections=[1], num_questions=2,
                                                     follow_ups=0), BANK)
                store.save_new(iv, profile=profile)
                turn = iv.pending
                iv.record_answer(f"answer {iv.id}", graded(follow_up=None))
                store.save_turn(iv, turn)
                written.append(iv.id)
            except Exception as exc:
                problems.append(f"writer: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=reader) for _ in range(8)]
    threads += [threading.Thread(target=writer, args=(names[i],)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not problems, problems[:5]
    assert written, "the writers made no progress"
    # Every write made under contention is there, with its answer.
    for iid in written:
        assert store.turns(iid)[0]["answer"] == f"answer {iid}"


def test_a_store_opened_in_one_thread_works_in_another(store_location):
    store = Store(store_location)
    iv = Interview.start(InterviewConfig(sections=[1], num_questions=1), BANK)
    result = {}

    def other():
        store.save_new(iv, profile="ana")
        result["open"] = store.latest_open("ana")

    t = threading.Thread(target=other)
    t.start()
    t.join(timeout=30)
    assert result["open"].id == iv.id
    assert store.latest_open("ana").id == iv.id


def test_a_reader_never_sees_another_threads_unfinished_write(store_location, monkeypatch):
    """A write that fails half-way is rolled back; no other session may have seen it."""
    store = Store(store_location)
    iv = Interview.start(InterviewConfig(sections=[1], num_questions=2, follow_ups=0), BANK)
    store.save_new(iv)
    turn = iv.pending
    iv.record_answer("an answer that is never committed", graded(follow_up=None))
    inside, release = threading.Event(), threading.Event()
    real_to_dict = Interview.to_dict

    def slow_to_dict(self):
        # Called by save_turn inside its transaction, after the turn row is written.
        if threading.current_thread().name == "writer":
            inside.set()
            release.wait(10)
            raise RuntimeError("the write fails half-way")
        return real_to_dict(self)

    monkeypatch.setattr(Interview, "to_dict", slow_to_dict)
    failure = {}

    def write():
        try:
            store.save_turn(iv, turn)
        except RuntimeError as exc:
            failure["error"] = exc

    writer = threading.Thread(target=write, name="writer")
    writer.start()
    assert inside.wait(10)
    seen_during = store.turns(iv.id)
    release.set()
    writer.join(timeout=30)
    assert "error" in failure
    assert seen_during == [] and store.turns(iv.id) == []
