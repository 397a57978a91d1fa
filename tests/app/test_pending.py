"""An answer is stored when it is sent, and a stored, ungraded answer is graded later."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from interviewer.render import plain_markdown
from interviewer.store import Store

from .test_app import ANSWER, start


@pytest.fixture()
def app(repo, fresh_data_dir, monkeypatch):
    monkeypatch.setenv("INTERVIEWER_DATA_DIR", str(fresh_data_dir))
    st.cache_resource.clear()
    yield lambda: AppTest.from_file(str(repo / "app.py"), default_timeout=240)
    st.cache_resource.clear()


def test_an_answer_stored_before_a_crash_is_graded_after_a_restart(app, fresh_data_dir):
    start(app().run(), questions=1, follow_ups=0)
    store = Store(fresh_data_dir / "interviewer.db")
    interview = store.latest_open()
    # What the app had stored when it died mid-grading.
    store.save_pending(interview, ANSWER)
    st.cache_resource.clear()
    restarted = app().run()
    assert not restarted.exception, restarted.exception
    assert plain_markdown(ANSWER) in [m.value for m in restarted.markdown]
    assert [m for m in restarted.metric if m.label == "Score"]
    assert any("grading was interrupted" in i.value for i in restarted.info)
    assert store.turns(interview.id)[0]["answer"] == ANSWER
    assert store.pending_answers() == []


def test_a_sent_answer_is_stored_before_it_is_graded(app, fresh_data_dir, monkeypatch):
    at = start(app().run(), questions=1, follow_ups=0)
    store = Store(fresh_data_dir / "interviewer.db")
    seen = {}
    from interviewer.service import InterviewService

    real_begin = InterviewService.begin

    def begin(self, interview, answer):
        seen["stored"] = store.pending_answer(interview)
        return real_begin(self, interview, answer)

    monkeypatch.setattr(InterviewService, "begin", begin)
    at.chat_input(key="answer").set_value(ANSWER).run()
    assert not at.exception, at.exception
    assert seen["stored"] == ANSWER
    assert store.pending_answers() == []  # graded and stored, so no longer pending


def test_a_new_interview_cannot_hide_an_ungraded_answer(app, fresh_data_dir):
    start(app().run(), questions=1, follow_ups=0)
    store = Store(fresh_data_dir / "interviewer.db")
    store.save_pending(store.latest_open(), ANSWER)
    from interviewer.config import load_settings
    from interviewer.interview import InterviewConfig, InterviewError
    from interviewer.knowledge import KnowledgeBase
    from interviewer.service import InterviewService

    settings = load_settings(data_dir=fresh_data_dir)
    service = InterviewService(settings, KnowledgeBase(settings), store)
    with pytest.raises(InterviewError, match="not graded yet"):
        service.start(InterviewConfig(sections=[4], num_questions=1))


def test_an_answer_that_cannot_be_graded_stays_stored_until_discarded(
        app, fresh_data_dir, monkeypatch):
    from interviewer.embeddings import ModelUnavailableError
    from interviewer.service import InterviewService

    at = start(app().run(), questions=1, follow_ups=0)

    def broken(self, interview, answer):
        raise ModelUnavailableError("the model files are missing")

    monkeypatch.setattr(InterviewService, "begin", broken)
    at.chat_input(key="answer").set_value(ANSWER).run()
    assert any("could not be graded" in e.value and "It is saved" in e.value for e in at.error)
    store = Store(fresh_data_dir / "interviewer.db")
    assert [p["answer"] for p in store.pending_answers()] == [ANSWER]
    assert at.chat_input(key="answer").disabled  # one answer per turn, kept until resolved
    at.button(key="discard").click().run()
    assert store.pending_answers() == []
    assert not at.chat_input(key="answer").disabled
