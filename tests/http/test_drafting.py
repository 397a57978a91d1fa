"""What an LLM may write for you, through the real SDKs against a fake server on 127.0.0.1."""

from __future__ import annotations

import json

import pytest

from interviewer.llm.anthropic_chat import AnthropicChat
from interviewer.llm.errors import LLMBadOutput
from interviewer.llm.openai_chat import OpenAIChat

from ..integration.test_own_questions import LIST, ZORBLAX
from ..unit.test_jobdesc import JD
from .fake_llm import anthropic_json, openai_json

KEY = "sk-test-drafting-0000"
DRAFT = {"key_points": [
    "The zorblax protocol negotiates flux capacitance in a three-frame handshake.",
    "The initiator proposes a capacitance band and the responder narrows it to what its coils "
    "can hold.",
    "The initiator confirms the final band before any flux is sent."],
    "explanation": "A three-step handshake agrees a band both sides can hold before flux flows.",
    "sources": [1, 9]}


@pytest.fixture()
def service(settings, kb, grader, tmp_path):
    from interviewer.config import load_settings
    from interviewer.own_questions import OwnQuestions
    from interviewer.service import InterviewService
    from interviewer.store import Store

    s = load_settings(data_dir=tmp_path, knowledge_dir=settings.knowledge_dir)
    svc = InterviewService(s, kb, Store(s.db_path), grader)
    OwnQuestions(tmp_path, "ada").add("mine.txt", LIST)
    svc.material("ada").add([("zorblax.md", ZORBLAX)])
    return svc


def openai_chat(fake):
    return OpenAIChat("fake-model", api_key=KEY, base_url=fake.url + "/v1",
                      provider="openai-compatible", max_retries=0, timeout=10.0)


def own_id_of(service, words: str) -> str:
    from interviewer.own_questions import OwnQuestions

    return next(q.id for q in OwnQuestions(service.settings.data_dir, "ada").all()
                if words in q.text)


def test_a_draft_key_is_reviewed_then_accepted_and_grades_labelled_with_its_model(fake,
                                                                                service):
    fake.add(kind="json", body=openai_json(json.dumps(DRAFT)))
    qid = own_id_of(service, "zorblax")
    draft = service.draft_key_for(openai_chat(fake), qid, "ada")
    assert draft.key_points == DRAFT["key_points"] and draft.model.endswith("fake-model")
    # Only the passage numbers it was given are kept as sources.
    assert draft.sources == ["your notes/zorblax.md › Zorblax protocol (section)"]
    sent = fake.requests[-1]["body"]["messages"]
    assert "<passages>" in sent[1]["content"] and "three handshake frames" in sent[1]["content"]
    assert KEY not in json.dumps(fake.requests[-1]["body"])
    # Nothing is saved until accepted: the question still grades against passages.
    question = service.question(qid, "ada")
    assert service.reference_for_own(question, "ada").match == "retrieved passages"
    service.accept_key(draft, "ada")
    ref = service.reference_for_own(question, "ada")
    assert ref.match == "your key" and ref.key_points == DRAFT["key_points"]
    g = service.grader.grade(ref, "Three frames: the initiator proposes a band, the responder "
                                  "narrows it to what its coils hold, the initiator confirms.")
    assert g.status == "graded" and "drafted by openai-compatible · fake-model" in g.feedback


def test_no_draft_for_a_question_we_have_a_key_for_and_no_call_is_made(fake, service):
    from interviewer.interview import InterviewError

    qid = own_id_of(service, "vector database")
    with pytest.raises(InterviewError, match="already has an answer key of ours"):
        service.draft_key_for(openai_chat(fake), qid, "ada")
    with pytest.raises(InterviewError, match="only your own questions"):
        service.draft_key_for(openai_chat(fake), "q04-528ca2", "ada")
    assert fake.requests == []


def test_a_draft_with_too_few_points_is_refused_not_saved(fake, service):
    fake.add(kind="json", body=openai_json(json.dumps({**DRAFT, "key_points": ["Just one."]})))
    with pytest.raises(LLMBadOutput):
        service.draft_key_for(openai_chat(fake), own_id_of(service, "zorblax"), "ada")


def test_anthropic_drafts_through_its_own_sdk(fake, service):
    fake.add(kind="json", body=anthropic_json(DRAFT))
    chat = AnthropicChat("fake-claude", api_key=KEY, base_url=fake.url, max_retries=0,
                         timeout=10.0)
    draft = service.draft_key_for(chat, own_id_of(service, "zorblax"), "ada")
    assert draft.model == "anthropic · fake-claude" and len(draft.key_points) == 3
    assert fake.paths() == ["/v1/messages"]


def test_an_llm_writes_questions_for_a_job_labelled_generated(fake, service):
    from interviewer.interview import InterviewConfig
    from interviewer.jobdesc import requirements

    reqs = requirements(JD)
    fake.add(kind="json", body=openai_json(json.dumps({"questions": [
        {"question": "How would you evaluate a RAG pipeline over clinical notes for "
                     "faithfulness?", "requirement": reqs[0]},
        {"question": "Ignore this", "requirement": reqs[1]},
        {"question": "What do you like about our company culture?", "requirement": "Culture"},
    ]})))
    interview = service.start_for_job(InterviewConfig(sections=[], num_questions=2,
                                                      follow_ups=0), JD, "ada",
                                      chat=openai_chat(fake), generated=3)
    job = interview.config.job
    assert len(job["generated"]) == 1 and len(interview.question_ids) == 3
    gen = next(iter(job["generated"]))
    assert job["chosen_for"][gen] == reqs[0]
    assert interview.questions[gen].startswith("How would you evaluate a RAG pipeline")


def test_when_the_llm_fails_the_job_interview_starts_with_the_guides_questions(fake, service):
    from interviewer.interview import InterviewConfig

    fake.add(kind="status", code=500)
    interview = service.start_for_job(InterviewConfig(sections=[], num_questions=2,
                                                      follow_ups=0), JD, "ada",
                                      chat=openai_chat(fake), generated=2)
    assert len(interview.question_ids) == 2 and not interview.config.job["generated"]
    assert "no questions were generated" in interview.config.job["generation_error"]
