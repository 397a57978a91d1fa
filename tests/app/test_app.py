"""The Streamlit app driven by AppTest: a full interview, edge cases, resume."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from interviewer.render import plain_markdown


def cites_the_key(at) -> bool:
    """The folded Details box is there and cites the answer key as one source, [1–3]."""
    return any(e.label.startswith("Details: criteria") for e in at.expander) and any(
        m.value.startswith(("**[1–", "**[1] ")) and "(answer key)" in m.value
        for m in at.markdown)

ANSWER = ("Retrieval finds the most relevant chunks with embeddings in a vector index, and the "
          "model answers from them, which grounds the answer and reduces hallucination; the "
          "trade-off is extra latency and dependence on retrieval quality.")


@pytest.fixture()
def app(repo, fresh_data_dir, monkeypatch):
    monkeypatch.setenv("INTERVIEWER_DATA_DIR", str(fresh_data_dir))
    st.cache_resource.clear()  # a new data dir means a new service
    yield lambda: AppTest.from_file(str(repo / "app.py"), default_timeout=240)
    st.cache_resource.clear()


def start(at: AppTest, questions: int, follow_ups: int) -> AppTest:
    at.sidebar.slider(key="num_questions").set_value(questions)
    at.sidebar.slider(key="follow_ups").set_value(follow_ups)
    at.sidebar.button[0].click()
    return at.run()


def captions(at):
    return [c.value for c in at.caption]


def test_three_question_interview_with_follow_ups_ends_in_a_summary(app):
    at = app().run()
    assert not at.exception
    assert "Active: offline grader" in " ".join(m.value for m in at.sidebar.markdown)
    at = start(at, questions=3, follow_ups=1)
    assert "Question 1 of 3" in captions(at)
    answers = 0
    while not any(s.value == "Interview summary" for s in at.subheader):
        at.chat_input(key="answer").set_value(ANSWER).run()
        assert not at.exception, at.exception
        answers += 1
        assert answers <= 6
    assert answers == 6  # 3 questions x (answer + 1 follow-up)
    assert captions(at).count("Follow-up 1") == 3
    scores = [m.value for m in at.metric if m.label == "Score"]
    assert len(scores) == 6 and all(s.endswith("/ 10") for s in scores)
    assert any("offline grader" in c for c in captions(at))
    assert any(m.label == "Overall" for m in at.metric)
    assert cites_the_key(at)


def test_empty_answer_prompts_instead_of_scoring(app):
    at = start(app().run(), questions=1, follow_ups=0)
    at.chat_input(key="answer").set_value("   ").run()
    assert any("empty" in w.value for w in at.warning)
    assert not [m for m in at.metric if m.label == "Score"]
    assert "Question 1 of 1" in captions(at)


def test_long_answer_is_cut_with_a_visible_notice(app):
    at = start(app().run(), questions=1, follow_ups=0)
    at.chat_input(key="answer").set_value(ANSWER + " more detail" * 1000).run()
    notices = [m.value for m in at.markdown if ":material/warning:" in m.value]
    assert any("only the first" in n and "were graded" in n for n in notices), notices
    assert [m for m in at.metric if m.label == "Score"]


def test_skip_moves_on_and_is_shown(app):
    at = start(app().run(), questions=2, follow_ups=0)
    at.button(key="skip").click().run()
    assert "Skipped" in captions(at) and "Question 2 of 2" in captions(at)


def test_reload_and_restart_resume_the_open_interview(app):
    at = start(app().run(), questions=2, follow_ups=1)
    at.chat_input(key="answer").set_value(ANSWER).run()
    prompts = [m.value for m in at.markdown]
    # A reload is a new session: the open interview comes back from SQLite.
    again = app().run()
    assert "Follow-up 1" in captions(again)
    assert plain_markdown(ANSWER) in [m.value for m in again.markdown]  # shown as typed
    assert [m.label for m in again.metric if m.label == "Score"] == ["Score"]
    # A restart drops every cached object; the database still has it all.
    st.cache_resource.clear()
    restarted = app().run()
    assert [m.value for m in restarted.markdown][:len(prompts)] == prompts[:len(prompts)]


@pytest.fixture()
def fake_llm():
    from ..http.fake_llm import FakeLLM

    server = FakeLLM().start()
    yield server
    server.stop()


def test_one_turn_through_an_openai_compatible_server(app, fake_llm, monkeypatch):
    monkeypatch.setenv("INTERVIEWER_PROVIDER", "openai-compatible")
    monkeypatch.setenv("INTERVIEWER_BASE_URL", fake_llm.url + "/v1")
    monkeypatch.setenv("INTERVIEWER_MODEL", "tiny")
    at = app().run()
    assert "Active: LLM grader (openai-compatible · tiny)" in " ".join(
        m.value for m in at.sidebar.markdown)
    at = start(at, questions=1, follow_ups=1)
    at.chat_input(key="answer").set_value(ANSWER).run()
    assert not at.exception, at.exception
    assert any(c.startswith("Graded by the LLM grader (openai-compatible · tiny)")
               for c in captions(at))
    assert any("did not cover the costs" in m.value for m in at.markdown)
    assert "Follow-up 1" in captions(at)
    assert any("What does this cost you in production" in m.value for m in at.markdown)
    usage = [c.value for c in at.sidebar.caption if c.value.startswith("This interview:")]
    assert usage and "1 LLM calls" in usage[0] and "$0.0000" in usage[0]
    assert fake_llm.requests and fake_llm.requests[0]["body"]["stream"] is True


def test_a_failing_provider_falls_back_and_says_so(app, fake_llm, monkeypatch):
    monkeypatch.setenv("INTERVIEWER_PROVIDER", "openai-compatible")
    monkeypatch.setenv("INTERVIEWER_BASE_URL", fake_llm.url + "/v1")
    monkeypatch.setenv("INTERVIEWER_MAX_RETRIES", "0")
    at = start(app().run(), questions=1, follow_ups=0)
    fake_llm.add(kind="status", code=500)
    at.chat_input(key="answer").set_value(ANSWER).run()
    assert not at.exception
    assert any("LLM grader (openai-compatible · llama3.1) failed" in m.value
               for m in at.markdown)  # a flag line on the card
    assert any("fallback" in c for c in captions(at))
    assert plain_markdown(ANSWER) in [m.value for m in at.markdown]  # the answer is kept


def test_history_page_shows_interviews_mastery_and_reports(app):
    at = start(app().run(), questions=2, follow_ups=0)
    for _ in range(2):
        at.chat_input(key="answer").set_value(ANSWER).run()
    assert any(s.value == "Interview summary" for s in at.subheader)
    at.segmented_control(key="view").set_value("History").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Practice history"
    headers = [s.value for s in at.subheader]
    assert {"Interviews", "Mastery by topic", "Reports", "Transcript"} <= set(headers)
    assert len(at.table[0].value) == 1  # one interview
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["This interview (.md)", "This interview (.pdf)", "All history (.md)",
                      "All history (.pdf)"]


def test_profiles_keep_their_own_interviews(app):
    at = start(app().run(), questions=1, follow_ups=0)
    assert "Question 1 of 1" in captions(at)
    at.sidebar.text_input(key="profile").set_value("someone-else").run()
    assert "Question 1 of 1" not in captions(at)  # the other profile has no open interview
    at.sidebar.text_input(key="profile").set_value("default").run()
    assert "Question 1 of 1" in captions(at)


def test_requests_to_the_interviewer_are_answered_not_graded(app):
    at = start(app().run(), questions=2, follow_ups=0)
    for message in ("Could you clarify what you mean?", "Sorry, can you repeat the question?",
                    "Can I get a hint?"):
        at.chat_input(key="answer").set_value(message).run()
        assert not at.exception, at.exception
    assert not [m for m in at.metric if m.label == "Score"]  # nothing was graded
    shown = captions(at)
    assert "Clarification (not graded)" in shown and "The question again" in shown
    assert "Hint" in shown and "Question 1 of 2" in shown and "Question 2 of 2" not in shown
    at.chat_input(key="answer").set_value(ANSWER).run()
    scores = [m.value for m in at.metric if m.label == "Score"]
    # The hint lowered this question's maximum, and the card says by how much.
    assert scores and scores[0].endswith("(max 8.5)"), scores
    assert any("You took 1 hint" in m.value and "8.5" in m.value for m in at.markdown)
    at.chat_input(key="answer").set_value("I don't know").run()
    assert len([m for m in at.metric if m.label == "Score"]) == 1  # no card for "don't know"
    assert "Not graded: counts as 0" in captions(at)
    assert any(s.value == "Interview summary" for s in at.subheader)


def test_an_answer_that_reads_like_a_request_can_be_taken_back(app):
    at = start(app().run(), questions=1, follow_ups=0)
    # Read as an answer (it says more than a request needs), but it may be one.
    at.chat_input(key="answer").set_value(
        "Could you clarify whether you mean dense retrieval with embeddings or sparse "
        "keyword retrieval like BM25 with inverted indexes here?").run()
    assert [m for m in at.metric if m.label == "Score"]
    at.button(key="take_back").click().run()
    assert not at.exception, at.exception
    assert not [m for m in at.metric if m.label == "Score"]
    assert "Clarification (not graded)" in captions(at) and "Question 1 of 1" in captions(at)


def test_interview_mode_holds_every_score_until_the_debrief(app):
    at = app().run()
    at.sidebar.radio(key="style").set_value("interview")
    at = start(at, questions=2, follow_ups=1)
    at.chat_input(key="answer").set_value("Could you clarify what you mean?").run()
    assert "Clarification (not graded)" in captions(at)
    at.chat_input(key="answer").set_value("Could you give me a hint?").run()
    at.chat_input(key="answer").set_value(ANSWER).run()  # main answer, after a hint
    assert not at.exception, at.exception
    assert not [m for m in at.metric if m.label == "Score"]  # no verdict yet
    assert "Noted. Scores come in the debrief at the end." in captions(at)
    assert "Follow-up 1" in captions(at)
    at.chat_input(key="answer").set_value("I don't know").run()
    assert "Question 2 of 2" in captions(at)
    at.chat_input(key="answer").set_value(ANSWER).run()
    at.chat_input(key="answer").set_value(ANSWER).run()  # its follow-up
    assert any(s.value == "Debrief" for s in at.subheader)
    scores = [m.value for m in at.metric if m.label == "Score"]
    assert len(scores) == 3  # every graded answer's card, now; none for "I don't know"
    assert scores[0].endswith("(max 8.5)")  # the hint's cost, shown in the debrief
    assert cites_the_key(at)  # citations
    assert any("What to study next" in m.value for m in at.markdown)
    assert any("knowledge/notes/" in m.value for m in at.markdown)


def test_openai_transcription_is_offered_only_with_the_openai_provider(app, fake_llm,
                                                                      monkeypatch):
    at = start(app().run(), questions=1, follow_ups=0)
    assert not [r for r in at.radio if r.label == "Transcribe with"]
    st.cache_resource.clear()
    monkeypatch.setenv("INTERVIEWER_PROVIDER", "openai")
    monkeypatch.setenv("INTERVIEWER_BASE_URL", fake_llm.url + "/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-real")
    at = start(app().run(), questions=1, follow_ups=0)
    choice = [r for r in at.radio if r.label == "Transcribe with"]
    assert choice and choice[0].value == "offline"  # the offline model stays the default
    assert choice[0].options == ["this computer (Whisper tiny.en)", "OpenAI (whisper-1)"]


def test_history_replays_a_spoken_answer_and_shows_speaking_over_time(app, fresh_data_dir, kb,
                                                                      grader):
    from interviewer.config import load_settings
    from interviewer.interview import InterviewConfig
    from interviewer.service import InterviewService
    from interviewer.speaking import speaking_metrics
    from interviewer.store import Store
    from interviewer.voice import shared_transcriber
    from tests.integration.test_voice import RAG, speak

    settings = load_settings(data_dir=fresh_data_dir, knowledge_dir=kb.settings.knowledge_dir)
    service = InterviewService(settings, kb, Store(settings.db_path), grader)
    interview = service.start(InterviewConfig(sections=[4], num_questions=1, follow_ups=0),
                              "default")
    audio = speak(RAG)
    t = shared_transcriber().transcribe(audio)
    service.accept(interview, t.text, speech=speaking_metrics(t), audio=(audio, "audio/wav"))
    pending = service.begin(interview, t.text)
    for _ in pending.stream:
        pass
    service.finish(interview, pending)
    at = app().run()
    at.segmented_control(key="view").set_value("History").run()
    assert not at.exception, at.exception
    assert "Speaking over time" in [s.value for s in at.subheader]
    assert any("1 spoken answer" in c.value for c in at.caption)
    assert any("Spoken answer, transcribed offline" in c.value for c in at.caption)
    assert at.get("audio"), "the kept recording is offered for replay"


def test_the_interviewer_level_is_chosen_at_the_start_shown_on_grades_and_in_history(app):
    at = app().run()
    assert at.sidebar.radio(key="level").value == "mid"
    at.sidebar.radio(key="level").set_value("senior")
    at = start(at, questions=1, follow_ups=0)
    at.chat_input(key="answer").set_value(ANSWER).run()
    assert not at.exception, at.exception
    assert any("held to the senior interviewer's bar" in c for c in captions(at))
    at.segmented_control(key="view").set_value("History").run()
    assert not at.exception, at.exception
    assert at.table[0].value["level"].tolist() == ["senior"]


def test_timed_practice_counts_down_stores_the_time_and_history_shows_it(app):
    at = app().run()
    at.sidebar.selectbox(key="time_limit").set_value(60)
    at = start(at, questions=1, follow_ups=0)
    assert not at.exception, at.exception
    at.chat_input(key="answer").set_value(ANSWER).run()
    assert not at.exception, at.exception
    timing = [c for c in captions(at) if "Answered in" in c]
    assert len(timing) == 1 and timing[0].endswith("of 1:00"), timing
    at.segmented_control(key="view").set_value("History").run()
    table = at.table[0].value
    assert table["time limit"].tolist() == ["1:00"] and table["late"].tolist() == [0]
    assert table["time per answer"].tolist()[0].startswith("0:")


def test_an_interview_for_a_job_description_shows_why_each_question_and_the_requirements(app):
    from ..unit.test_jobdesc import JD

    at = app().run()
    at.sidebar.radio(key="mode").set_value("job").run()
    assert at.sidebar.button[0].disabled  # no description yet
    at.sidebar.text_area(key="job_text").input(JD).run()
    at.sidebar.slider(key="num_questions").set_value(2)
    at.sidebar.slider(key="follow_ups").set_value(0)
    at.sidebar.button[0].click()
    at = at.run()
    assert not at.exception, at.exception
    assert "Question 1 of 2" in captions(at)
    # Shown as typed (plain_markdown escapes the hyphen in the source text).
    assert any(c.startswith("Chosen for the job's requirement: Build retrieval")
               and "generation pipelines over clinical documents" in c
               for c in captions(at)), captions(at)
    for _ in range(2):
        at.chat_input(key="answer").set_value(ANSWER).run()
    assert any(s.value == "Interview summary" for s in at.subheader)
    assert any("The job's requirements" in m.value for m in at.markdown)
    table = [t for t in at.table if "requirement" in t.value.columns]
    assert table and len(table[0].value) == 4


def test_a_job_description_in_another_language_is_refused_with_a_reason(app):
    at = app().run()
    at.sidebar.radio(key="mode").set_value("job").run()
    at.sidebar.text_area(key="job_text").input(
        "Wir suchen einen Entwickler mit Erfahrung in Python und maschinellem Lernen, der "
        "Modelle trainiert und bereitstellt und mit unseren Teams zusammenarbeitet.").run()
    at.sidebar.button[0].click()
    at = at.run()
    assert any("could not be used" in w.value and "German" in w.value for w in at.warning)
    assert "Question 1 of 1" not in captions(at)


def test_an_interview_from_your_own_questions(app, fresh_data_dir):
    from interviewer.own_questions import OwnQuestions

    at = app().run()
    at.sidebar.radio(key="mode").set_value("own").run()
    at.sidebar.button[0].click()
    at = at.run()
    assert any("no questions of your own yet" in w.value for w in at.warning)
    OwnQuestions(fresh_data_dir, "default").add(
        "mine.txt", b"- How would you explain what a vector database is to a new colleague?\n")
    at.sidebar.slider(key="num_questions").set_value(1)
    at.sidebar.slider(key="follow_ups").set_value(0)
    at.sidebar.button[0].click()
    at = at.run()
    assert not at.exception, at.exception
    assert "Question 1 of 1" in captions(at)
    assert any("explain what a vector database is" in m.value for m in at.markdown)
    at.chat_input(key="answer").set_value(ANSWER).run()
    # Our key for vector databases is found for it, so the answer is scored.
    assert [m for m in at.metric if m.label == "Score"]


def test_an_llm_drafts_a_key_for_your_question_and_it_is_saved_only_when_accepted(
        app, fresh_data_dir, monkeypatch):
    import json as _json

    from interviewer.own_questions import OwnQuestions

    from ..http.fake_llm import FakeLLM, openai_json
    from ..http.test_drafting import DRAFT
    from ..integration.test_own_questions import LIST, ZORBLAX

    fake = FakeLLM().start()
    try:
        monkeypatch.setenv("INTERVIEWER_PROVIDER", "openai-compatible")
        monkeypatch.setenv("INTERVIEWER_MODEL", "tiny")
        monkeypatch.setenv("INTERVIEWER_BASE_URL", fake.url + "/v1")
        own = OwnQuestions(fresh_data_dir, "default")
        own.add("mine.txt", LIST)
        from interviewer.config import load_settings
        from interviewer.material import Material

        Material(load_settings().data_dir, "default").add([("zorblax.md", ZORBLAX)])
        fake.add(kind="json", body=openai_json(_json.dumps(DRAFT)))
        at = app().run()
        at.segmented_control(key="view").set_value("Your material").run()
        zorblax = next(q for q in own.all() if "zorblax" in q.text)
        at.selectbox(key="draft_choice").set_value(zorblax).run()
        at.button(key="draft_go").click().run()
        assert not at.exception, at.exception
        assert any("Draft by openai-compatible · tiny" in m.value for m in at.markdown)
        assert own.keys() == {}  # shown for review, not saved
        at.button(key="draft_accept").click().run()
        assert own.keys()[zorblax.id]["model"] == "openai-compatible · tiny"
        assert any("your key, drafted by openai-compatible · tiny" in m.value
                   for m in at.markdown)
    finally:
        fake.stop()


def test_starting_a_new_interview_asks_before_abandoning_one_with_answers(app):
    at = start(app().run(), questions=2, follow_ups=0)
    at.chat_input(key="answer").set_value(ANSWER).run()
    assert "Question 2 of 2" in captions(at)
    at.sidebar.button[0].click().run()
    assert any("still open" in w.value for w in at.sidebar.warning)
    assert "Question 2 of 2" in captions(at)  # nothing changed yet
    at.button(key="cancel_start").click().run()
    assert not any("still open" in w.value for w in at.sidebar.warning)
    assert "Question 2 of 2" in captions(at)
    at.sidebar.button[0].click().run()
    at.button(key="confirm_start").click().run()
    assert not at.exception, at.exception
    assert "Question 1 of 2" in captions(at) and "Question 2 of 2" not in captions(at)


def test_a_finished_interviews_summary_is_still_there_after_a_reload(app):
    at = start(app().run(), questions=1, follow_ups=0)
    at.chat_input(key="answer").set_value(ANSWER).run()
    assert any(s.value == "Interview summary" for s in at.subheader)
    again = app().run()  # a reload is a new session
    assert any(s.value == "Interview summary" for s in again.subheader)
    assert [m for m in again.metric if m.label == "Overall"]
