"""An LLM grade's wait is bounded by the turn budget, retries are announced, and the
user can take the offline grade at once (real SDKs against the fake server)."""

from __future__ import annotations

import json
import time

import pytest

from interviewer.config import load_settings
from interviewer.grading.llm import Progress
from interviewer.llm import make_grader

from .fake_llm import grade_payload, openai_json

CRITERIA = ["Accuracy and coverage", "Depth", "Clarity"]
ANSWER = ("RAG retrieves relevant passages from an index at query time and puts them in the "
          "prompt, so the model answers from that text and hallucinates less.")


@pytest.fixture(scope="module")
def grader(kb):
    """The offline grader the app builds (the claim judge, or embeddings without its model)."""
    from interviewer.grading.registry import make_offline

    return make_offline("offline", kb.embedder)


@pytest.fixture()
def ref(kb):
    return kb.reference_for(kb.by_id["q04-528ca2"])


def llm_grader(fake, grader, **over):
    """The grader the app builds from settings, for an OpenAI-compatible fake server."""
    settings = load_settings(provider="openai-compatible", model="fake-model",
                             base_url=fake.url + "/v1", **over)
    return make_grader(settings, grader)


def ok_json():
    return {"kind": "json", "body": openai_json(json.dumps(grade_payload(CRITERIA)))}


def test_default_turn_budget_is_at_most_45_seconds(monkeypatch):
    monkeypatch.delenv("INTERVIEWER_TURN_BUDGET_S", raising=False)
    assert load_settings().turn_budget_s <= 45
    monkeypatch.setenv("INTERVIEWER_TURN_BUDGET_S", "12.5")
    assert load_settings().turn_budget_s == 12.5
    monkeypatch.setenv("INTERVIEWER_TURN_BUDGET_S", "soon")
    with pytest.raises(ValueError, match="INTERVIEWER_TURN_BUDGET_S"):
        load_settings()


def test_a_hanging_provider_costs_one_turn_budget_not_timeout_times_attempts(fake, grader, ref):
    for _ in range(3):
        fake.add(kind="sleep", seconds=8, then=ok_json())
    llm = llm_grader(fake, grader, timeout_s=60, max_retries=2, turn_budget_s=4)
    grader.grade(ref, ANSWER)  # the offline cross-check is warm: time the LLM part
    start = time.monotonic()
    g = llm.grade(ref, ANSWER)
    elapsed = time.monotonic() - start
    assert elapsed < 4 + 2.5, elapsed
    assert g.grader != "llm" and g.fallback_reason
    assert "in time" in g.fallback_reason or "turn budget" in g.fallback_reason


def test_each_retry_is_announced_in_the_stream_then_the_grade_arrives(fake, grader, ref):
    fake.add(kind="status", code=503, headers={"retry-after-ms": "10"})
    fake.add(kind="status", code=500, headers={"retry-after-ms": "10"})
    llm = llm_grader(fake, grader, max_retries=2, turn_budget_s=30)
    stream = llm.grade_stream(ref, ANSWER)
    items = list(stream)
    progress = [i for i in items if isinstance(i, Progress)]
    assert [p.split("retrying ")[1] for p in progress] == ["2/3…", "3/3…"]
    assert "The grader is slow" in progress[0]
    assert stream.grade.grader == "llm" and len(fake.requests) == 3
    feedback = "".join(i for i in items if not isinstance(i, Progress))
    assert "did not cover the costs" in feedback


def test_a_retry_gets_only_what_is_left_of_the_budget(fake, grader, ref):
    fake.add(kind="status", code=500, headers={"retry-after-ms": "10"})
    fake.add(kind="sleep", seconds=10, then=ok_json())
    llm = llm_grader(fake, grader, timeout_s=60, max_retries=2, turn_budget_s=5)
    grader.grade(ref, ANSWER)
    start = time.monotonic()
    g = llm.grade(ref, ANSWER)
    assert time.monotonic() - start < 5 + 2.5
    assert g.grader != "llm" and len(fake.requests) == 2


def test_offline_now_gives_the_labelled_offline_grade_without_calling_the_provider(
        fake, grader, ref):
    llm = llm_grader(fake, grader)
    g = llm.offline_now().grade(ref, ANSWER)
    assert fake.requests == []
    assert g.grader != "llm" and g.score == grader.grade(ref, ANSWER).score
    assert "you chose the offline grade" in g.fallback_reason
