"""A job description tailors an interview: real index, real store, real grader."""

from __future__ import annotations

import pytest

from interviewer.jobdesc import tailor

from ..unit.test_jobdesc import JD

FORKLIFT = "- Operate forklifts safely and keep warehouse aisles clear of pallets\n"


def test_each_requirement_draws_its_best_questions_in_turn(kb):
    t = tailor(kb, JD + FORKLIFT, 6)
    assert len(t.choices) == 6 and len({c.question_id for c in t.choices}) == 6
    # Round robin: the first four choices serve the four matched requirements, in order.
    assert [c.requirement for c in t.choices[:4]] == t.requirements[:4]
    texts = {c.requirement: kb.by_id[c.question_id].text.lower() for c in t.choices[:4]}
    assert "rag" in texts[t.requirements[0]] or "retriev" in texts[t.requirements[0]]
    assert "evaluat" in texts[t.requirements[1]] or "metric" in texts[t.requirements[1]]
    assert all(c.similarity >= 0.40 for c in t.choices)
    assert t.unmatched == [FORKLIFT.strip("- \n")]


def test_an_interview_for_a_job_keeps_its_requirements_and_reports_them(settings, kb, grader,
                                                                        tmp_path):
    from interviewer.config import load_settings
    from interviewer.interview import InterviewConfig
    from interviewer.service import InterviewService
    from interviewer.store import Store

    s = load_settings(data_dir=tmp_path, knowledge_dir=settings.knowledge_dir)
    service = InterviewService(s, kb, Store(s.db_path), grader)
    interview = service.start_for_job(InterviewConfig(sections=[], num_questions=2,
                                                      follow_ups=0), JD + FORKLIFT, "ada")
    job = interview.config.job
    assert job["text"].startswith("Senior GenAI Engineer") and len(job["chosen_for"]) == 2
    first = interview.question_ids[0]
    assert job["chosen_for"][first] == job["requirements"][0]
    # Stored with the interview: a restart reads the same tailoring back.
    again = InterviewService(s, kb, Store(s.db_path), grader).resume("ada")
    assert again.config.job == job
    service.submit(again, "A RAG pipeline chunks and embeds documents into a vector index, "
                          "retrieves the nearest chunks for a query, and puts them in the "
                          "prompt so the model answers from them, with citations.")
    rows = service.summary(again)["requirements"]
    by_req = {r["requirement"]: r for r in rows}
    assert by_req[job["requirements"][0]]["status"] == "scored"
    assert by_req[job["requirements"][0]]["score"] is not None
    assert by_req[job["requirements"][1]]["status"] in ("not scored", "scored")
    assert by_req[FORKLIFT.strip("- \n")]["status"] == "no guide question matches it"


def test_a_description_no_question_matches_is_refused_not_guessed(settings, kb, grader,
                                                                  tmp_path):
    from interviewer.config import load_settings
    from interviewer.interview import InterviewConfig, InterviewError
    from interviewer.service import InterviewService
    from interviewer.store import Store

    s = load_settings(data_dir=tmp_path, knowledge_dir=settings.knowledge_dir)
    service = InterviewService(s, kb, Store(s.db_path), grader)
    with pytest.raises(InterviewError, match="no guide question matches"):
        service.start_for_job(InterviewConfig(sections=[], num_questions=2),
                              FORKLIFT * 2 + "- Drive delivery vans on weekend shifts\n"
                              "- Stack pallets and check shipments against manifests\n", "ada")
