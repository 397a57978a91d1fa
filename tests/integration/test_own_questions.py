"""Your own questions: uploaded, asked, and graded against a key, your passages, or not at all."""

from __future__ import annotations

import pytest

from interviewer.material import MaterialError
from interviewer.own_questions import OwnQuestions, parse_questions

LIST = (b"1. What is a vector database and when would you use one?\n"
        b"- How does the zorblax protocol negotiate flux capacitance?\n"
        b"- Describe the quarterly llama-grooming ritual of the Snark Guild?\n"
        b"# a comment line\nshort\n")
GUIDE = (b"# My guide\n\n## 1. Retrieval\n\n### Basics\n\n"
         b"- What is a vector database and when would you use one?\n"
         b"- How does hybrid search combine BM25 with embeddings?\n")
ZORBLAX = (b"# Zorblax protocol\n\nThe zorblax protocol negotiates flux capacitance with three "
           b"handshake frames. The initiator proposes a capacitance band, the responder narrows "
           b"it to what its coils can hold, and the initiator confirms the final band before any "
           b"flux is sent.\n")


def test_a_list_and_a_guide_in_our_shape_both_become_questions():
    listed = parse_questions("mine.txt", LIST)
    assert [q.text for q in listed] == [
        "What is a vector database and when would you use one?",
        "How does the zorblax protocol negotiate flux capacitance?",
        "Describe the quarterly llama-grooming ritual of the Snark Guild?"]
    assert all(q.id.startswith("u-") and q.section == 0 for q in listed)
    guide = parse_questions("guide.md", GUIDE)
    assert [q.subsection for q in guide] == ["Basics", "Basics"]
    assert guide[0].id == listed[0].id  # the same words, the same id


@pytest.mark.parametrize("name,data,reason", [
    ("empty.txt", b"\n\n", "empty"),
    ("none.md", b"# Title\n\nok\nyes\n", "no questions found"),
    ("slides.pdf", b"%PDF-1.4", "Markdown"),
    ("blob.txt", b"\x00\x01" * 50, "binary"),
])
def test_a_file_with_no_usable_questions_says_why(name, data, reason):
    with pytest.raises(MaterialError, match=reason):
        parse_questions(name, data)


def test_uploaded_questions_are_graded_against_a_key_passages_or_not_at_all(settings, kb,
                                                                            grader, tmp_path):
    from interviewer.config import load_settings
    from interviewer.interview import InterviewConfig
    from interviewer.service import InterviewService
    from interviewer.store import Store

    s = load_settings(data_dir=tmp_path, knowledge_dir=settings.knowledge_dir)
    service = InterviewService(s, kb, Store(s.db_path), grader)
    own = OwnQuestions(tmp_path, "ada")
    assert own.add("mine.txt", LIST) == (3, 0)
    assert own.add("mine.txt", LIST) == (0, 3)  # nothing added twice
    service.material("ada").add([("zorblax.md", ZORBLAX)])
    assert OwnQuestions(tmp_path, "bob").all() == []

    by_text = {q.text: q for q in own.all()}
    key_ref = service.reference_for_own(
        by_text["What is a vector database and when would you use one?"], "ada")
    assert key_ref.key_points and key_ref.match in ("answer key", "retrieved key")
    passages = service.reference_for_own(
        by_text["How does the zorblax protocol negotiate flux capacitance?"], "ada")
    assert passages.match == "retrieved passages" and passages.key_points
    assert passages.evidence[0].source == "your notes/zorblax.md"
    nothing = service.reference_for_own(
        by_text["Describe the quarterly llama-grooming ritual of the Snark Guild?"], "ada")
    assert nothing.key_points == []

    interview = service.start_own(InterviewConfig(sections=[], num_questions=3, follow_ups=0,
                                                  seed=1), "ada")
    assert set(interview.question_ids) == set(q.id for q in own.all())
    grades = {}
    text_of = {q.id: q.text for q in own.all()}
    for _ in range(3):
        qid = interview.pending.question_id
        text = text_of[qid]
        answer = ("The zorblax protocol uses three handshake frames: the initiator proposes a "
                  "capacitance band, the responder narrows it to what its coils hold, and the "
                  "initiator confirms it before flux is sent." if "zorblax" in text else
                  "A vector database stores embeddings and finds the nearest ones quickly with "
                  "an approximate index such as HNSW, for semantic search and RAG.")
        service.submit(interview, answer)
        grades[text] = next(t.grade for t in interview.turns
                            if t.question_id == qid and t.kind == "main")
    zorb = grades["How does the zorblax protocol negotiate flux capacitance?"]
    assert zorb["status"] == "graded" and zorb["score"] >= 5.0, zorb["score"]
    assert "retrieved passages" in zorb["feedback"] and "not a written key" in zorb["feedback"]
    snark = grades["Describe the quarterly llama-grooming ritual of the Snark Guild?"]
    assert snark["status"] == "no_reference" and snark["score"] is None
