"""The first run: questions and grades before the notes index is built."""

from __future__ import annotations

import threading
import time

import pytest

from interviewer.config import load_settings
from interviewer.interview import InterviewConfig
from interviewer.knowledge import IndexBuildingError, KnowledgeBase
from interviewer.service import InterviewService
from interviewer.store import Store

GOOD = ("Retrieval finds the most relevant chunks with embeddings in a vector index, and the "
        "model answers from them, which grounds the answer and reduces hallucination.")


@pytest.fixture()
def building(kb, tmp_path):
    """A knowledge base whose index the app's warm-up is still building (a fresh folder)."""
    settings = load_settings(data_dir=tmp_path, knowledge_dir=kb.settings.knowledge_dir)
    fresh = KnowledgeBase(settings, kb.embedder)
    fresh.index_state.status = "building"
    fresh.index_state.total = 7735
    return fresh


def test_a_guide_question_gets_its_key_without_touching_the_index(building, kb):
    q = next(q for q in building.questions if building.key_for(q.id))
    ref = building.reference_for(q)
    full = kb.reference_for(q)
    assert ref.related_pending and not full.related_pending
    assert ref.key_points == full.key_points
    # The key's own chunks are cited, word for word as the built index holds them.
    own = [e for e in full.evidence if e.is_answer_key]
    assert [(e.chunk_id, e.text) for e in ref.evidence] == [(e.chunk_id, e.text) for e in own]
    assert building._index is None  # nothing opened the index, so nothing waited for it


def test_an_answer_is_graded_while_the_index_builds_and_says_what_waits(building, grader,
                                                                      tmp_path):
    service = InterviewService(building.settings, building, Store(tmp_path / "i.db"), grader)
    iv = service.start(InterviewConfig(sections=[4], num_questions=1, follow_ups=0, seed=3),
                       "ana")
    outcome = service.submit(iv, GOOD)
    grade = iv.turns[0].grade
    assert outcome.status == "graded" and grade["score"] is not None
    assert grade["related_pending"] and grade["citations"]
    assert all(c["is_answer_key"] for c in grade["citations"])


def test_a_search_waits_briefly_for_the_build_then_says_where_it_stands(building):
    building.search_wait_s = 0.3
    started = time.monotonic()
    with pytest.raises(IndexBuildingError, match="0 of 7,735 chunks"):
        building.search("How does HNSW work?")
    assert time.monotonic() - started >= 0.3


def test_a_search_during_the_background_check_waits_for_it_and_answers(kb):
    # Matching a job description right after the app starts must not send the user away.
    checking = KnowledgeBase(kb.settings, kb.embedder)
    checking.index_state.status = "checking"
    done = threading.Timer(0.5, lambda: setattr(checking.index_state, "status", "ready"))
    started = time.monotonic()
    done.start()
    hits = checking.search("How does HNSW work?", k=3)
    assert time.monotonic() - started >= 0.5
    assert len(hits) == 3 and all(h["similarity"] > 0.3 for h in hits)


def test_a_failed_build_is_not_waited_for(kb, tmp_path):
    failed = KnowledgeBase(kb.settings, kb.embedder)
    failed.index_state.status, failed.index_state.error = "failed", "OSError: disk full"
    started = time.monotonic()
    with pytest.raises(IndexBuildingError, match="disk full.*interviewer index"):
        failed.search("How does HNSW work?")
    assert time.monotonic() - started < 1


def test_ensure_index_reports_ready_or_failed(kb, tmp_path):
    assert kb.ensure_index().status == "ready" and kb.index_state.usable
    broken_dir = tmp_path / "not-a-folder"
    broken_dir.write_text("a file where the index folder should be")
    settings = load_settings(data_dir=tmp_path, knowledge_dir=kb.settings.knowledge_dir,
                             index_dir=broken_dir)
    state = KnowledgeBase(settings, kb.embedder).ensure_index()
    assert state.status == "failed" and state.error and not state.usable
    assert "interviewer index" in state.describe()
