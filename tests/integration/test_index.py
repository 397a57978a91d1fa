"""The real Chroma index built with the packaged model, under a temporary directory."""

from __future__ import annotations

import shutil

import pytest

from interviewer.config import load_settings
from interviewer.index import ChromaIndex
from interviewer.knowledge import KnowledgeBase


def test_index_holds_every_chunk_with_citable_metadata(kb):
    index = kb.index
    assert index.count() == len(kb.chunks()) >= 3 * 70
    got = index.collection.get(limit=5, include=["metadatas"])
    for meta in got["metadatas"]:
        assert {"source", "heading", "part", "section", "subsection", "question_ids", "key"} <= set(meta)
        assert meta["source"].startswith("knowledge/notes/")
    config = index.collection.configuration_json
    assert config["embedding_function"]["name"] == "interviewer-packaged-minilm"
    # The stored config names the package, not a path inside a virtual environment.
    assert "/" not in str(config["embedding_function"].get("config", {}))
    assert config["hnsw"]["space"] == "cosine"


def test_rebuilding_is_a_no_op(kb):
    report = kb.build_index()
    assert report.added == 0 and report.removed == 0 and report.unchanged == report.total


def test_editing_one_note_re_embeds_only_its_chunks(tmp_path, kb):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(kb.settings.knowledge_dir, knowledge)
    shutil.copytree(kb.settings.index_dir, tmp_path / "data" / "index")
    settings = load_settings(knowledge_dir=knowledge, data_dir=tmp_path / "data")
    note = next((knowledge / "notes").rglob("01-rag-fundamentals.md"))
    text = note.read_text()
    marker = "### Explanation\n"
    note.write_text(text.replace(marker, marker + "Edited for the test. ", 1))
    local = KnowledgeBase(settings, kb.embedder)
    assert not local.is_index_current()
    report = local.build_index()
    assert (report.added, report.removed) == (1, 1)
    assert local.is_index_current()


def test_a_malformed_notes_file_is_skipped_and_reported(tmp_path, kb):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(kb.settings.knowledge_dir, knowledge)
    (knowledge / "notes" / "broken.md").write_text("## Key\n- ids: q04-528ca2\n### Key points\n")
    local = KnowledgeBase(load_settings(knowledge_dir=knowledge, data_dir=tmp_path / "d"),
                          kb.embedder)
    assert len(local.notes.errors) == 1 and "broken.md:1" in str(local.notes.errors[0])
    assert len(local.notes.keys) == len(kb.notes.keys)


def test_reference_for_a_guide_question_starts_with_its_answer_key(kb):
    question = kb.by_id["q04-528ca2"]
    ref = kb.reference_for(question)
    key = kb.key_for(question.id)
    assert ref.key_points == key.key_points and ref.match == "answer key"
    parts = [e.part for e in ref.evidence if e.is_answer_key]
    assert parts[:2] == ["key points", "explanation"]
    related = [e for e in ref.evidence if not e.is_answer_key]
    assert 1 <= len(related) <= 3
    assert all(e.heading != key.title for e in related)
    assert [e.n for e in ref.evidence] == list(range(1, len(ref.evidence) + 1))
    assert all(e.source.startswith("knowledge/notes/") and e.text for e in ref.evidence)


# A description of a key's content, not a question, can rank below keys whose
# ways of asking share its terms (the MMR line ranks 7th since keys gained
# "Asked as" phrasings; questions asked in other words rank far better, see
# evals.retrieval), hence a deeper cut for it.
@pytest.mark.parametrize("text,expected,k", [
    ("how does the HNSW graph index find neighbours", "What is HNSW algorithm", 1),
    ("choosing lambda to balance relevance and diversity when re-ranking", "What is MMR", 8),
    ("how do you pick results that are relevant yet not redundant with each other?",
     "What is MMR", 3),
    ("why should neighbouring chunks share some text", "What is chunk overlap", 5),
])
def test_semantic_search_finds_the_right_key(kb, text, expected, k):
    hits = kb.search(text, k=k)
    assert any(h["metadata"]["heading"].startswith(expected) for h in hits), \
        [h["metadata"]["heading"] for h in hits]


def test_ways_of_asking_find_a_key_but_are_never_cited(kb):
    key = kb.key_for("q09-8c17ad")
    hits = kb.search(key.phrasings[1], k=3)
    assert hits[0]["metadata"]["heading"] == key.title
    assert hits[0]["metadata"]["part"] == "asked as" and hits[0]["text"] == key.phrasings[1]
    # Evidence is what a grade cites: the key's content and related content only.
    ref = kb.reference_for(kb.by_id["q09-8c17ad"])
    assert ref.evidence and all(e.part != "asked as" for e in ref.evidence)
    assert all(e.part != "asked as" for e in kb.reference_for_text(key.phrasings[0]).evidence)


def test_a_key_ranks_by_its_best_chunk_plus_a_share_of_its_second(kb):
    from interviewer.knowledge import SECOND_CHUNK_WEIGHT

    text = "picking results that are relevant but not redundant with each other"
    hits = kb.search(text, k=5)
    raw = kb.index.query(text, k=120)
    best: dict = {}
    for h in raw:
        best.setdefault(h["metadata"]["heading"], []).append(h["similarity"])
    scores = [s[0] + SECOND_CHUNK_WEIGHT * (s[1] if len(s) > 1 else 0.0)
              for s in (best[h["metadata"]["heading"]] for h in hits)]
    assert scores == sorted(scores, reverse=True)
    assert [h["similarity"] for h in hits] == [best[h["metadata"]["heading"]][0] for h in hits]


def test_the_same_question_in_two_sections_has_cross_linked_keys(kb):
    """One truth per fact: keys of questions asked twice (word for word, or MiniLM
    cosine of the questions >= 0.90) name each other, and a grade cites the sibling."""
    import numpy as np

    from interviewer.guide import normalize_text

    questions = kb.questions
    vectors = np.asarray(kb.embedder.encode([q.text for q in questions]))
    sims = vectors @ vectors.T
    firsts = {k.question_ids[0]: k for k in kb.notes.keys}
    unlinked = []
    for i, a in enumerate(questions):
        for j in range(i + 1, len(questions)):
            b = questions[j]
            ka, kb_ = kb.key_for(a.id), kb.key_for(b.id)
            same = normalize_text(a.text) == normalize_text(b.text)
            if ka is not kb_ and (same or sims[i, j] >= 0.90):
                if kb_.question_ids[0] not in ka.see_also or ka.question_ids[0] not in kb_.see_also:
                    unlinked.append((a.id, b.id))
    assert not unlinked
    for key in kb.notes.keys:
        assert all(s in firsts and key.question_ids[0] in firsts[s].see_also for s in key.see_also)
    ref = kb.reference_for(kb.by_id["q29-e66b71"])
    related = {e.source for e in ref.evidence if not e.is_answer_key}
    assert {firsts[s].path for s in kb.key_for("q29-e66b71").see_also} <= related


def test_free_text_questions_use_the_closest_key_only_when_it_is_close(kb):
    exact = kb.reference_for_text("What is MMR (Maximal Marginal Relevance)?")
    assert exact.match == "answer key" and exact.question_id == "q09-8c17ad"
    near = kb.reference_for_text("How does maximal marginal relevance trade relevance for "
                                 "diversity when picking results?")
    assert near.match == "retrieved key" and near.key_points
    unrelated = kb.reference_for_text("How long should sourdough bread proof before baking?")
    assert unrelated.key_points == []


def test_the_persisted_index_reopens_in_a_new_client(kb, tmp_path):
    shutil.copytree(kb.settings.index_dir, tmp_path / "copy")
    reopened = ChromaIndex(tmp_path / "copy", kb.embedder)
    assert reopened.count() == kb.index.count()
    assert reopened.query("hybrid search keyword and vector", k=1)[0]["similarity"] > 0.4
