"""History, review schedule, profiles and reports over a real store and grader."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from interviewer.config import load_settings
from interviewer.interview import InterviewConfig
from interviewer.report import markdown_report, pdf_report
from interviewer.service import InterviewService
from interviewer.store import Store

GOOD = ("Retrieval finds the most relevant chunks with embeddings in a vector index, and the "
        "model answers from them, which grounds the answer and reduces hallucination.")


@pytest.fixture()
def service(kb, grader, tmp_path):
    settings = load_settings(data_dir=tmp_path, knowledge_dir=kb.settings.knowledge_dir)
    return InterviewService(settings, kb, Store(settings.db_path), grader)


def play(service, profile, n=2, mode="mixed", seed=1):
    iv = service.start(InterviewConfig(sections=[4], num_questions=n, follow_ups=0, seed=seed),
                       profile, mode)
    while iv.pending:
        service.submit(iv, GOOD)
    return iv


def play_from_keys(service, profile, shares, mode="mixed", seed=1):
    """An interview whose answers make a share of each key's points, reworded as a
    candidate might say them (a report with a spread of scores, as people send)."""
    import random

    from evals.robustness import reword

    rng = random.Random(seed)
    iv = service.start(InterviewConfig(sections=[4], num_questions=len(shares), follow_ups=0,
                                       seed=seed), profile, mode)
    for share in shares:
        points = service.kb.key_for(iv.pending.question_id).key_points
        service.submit(iv, " ".join(reword(p, rng)
                                    for p in points[:max(1, round(len(points) * share))]))
    return iv


def test_no_repeats_within_an_interview_and_new_mode_avoids_seen(service):
    first = play(service, "ana", n=5)
    assert len(set(first.question_ids)) == 5
    second = play(service, "ana", n=5, mode="new", seed=2)
    assert not set(first.question_ids) & set(second.question_ids)


def test_review_mode_brings_back_weak_answers_when_due(service):
    from datetime import datetime, timedelta, timezone

    iv = service.start(InterviewConfig(sections=[4], num_questions=2, follow_ups=0, seed=3), "ben")
    while iv.pending:
        service.submit(iv, "I am not sure.")  # weak: back to box 1, due in a day
    later = datetime.now(timezone.utc) + timedelta(days=2)
    from interviewer.schedule import plan

    pool = [q.id for q in service.kb.questions_in([4])]
    assert set(plan(pool, service.cards("ben"), "review", later)) == set(iv.question_ids)
    assert plan(pool, service.cards("ben"), "review") == []  # not due yet
    with pytest.raises(Exception, match="no question fits"):
        service.start(InterviewConfig(sections=[4], num_questions=2), "ben", "review")


def test_profiles_keep_histories_apart(service):
    play(service, "ana")
    assert service.store.interviews("ben") == []
    assert [m for m in service.mastery("ana") if m["answered"]]
    assert not [m for m in service.mastery("ben") if m["answered"]]


def test_reports_contain_scores_feedback_and_sources_and_the_pdf_opens(service):
    from pypdf import PdfReader

    iv = play(service, "ana")
    md = markdown_report(service.store, service.kb.by_id, "ana", None, service.mastery("ana"))
    scores = [t.grade["score"] for t in iv.turns]
    for s in scores:
        assert f"Score: {s:.1f} / 10" in md
    assert "Mastery by topic" in md and "Sources:" in md and "knowledge/notes/" in md
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf_report(md))).pages)
    assert f"Score: {scores[0]:.1f} / 10" in text and iv.turns[0].prompt[:30] in text


def test_cli_history_and_export(service, tmp_path, fresh_data_dir):
    env = dict(os.environ, INTERVIEWER_DATA_DIR=str(tmp_path))
    iv = play(service, "default")

    def cli(*args):
        proc = subprocess.run([sys.executable, "-m", "interviewer.cli", *args],
                              capture_output=True, text=True, env=env, timeout=240)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    hist = json.loads(cli("history", "--json"))
    assert hist["interviews"][0]["id"] == iv.id and hist["interviews"][0]["answered"] == 2
    assert "score" in cli("history", "--id", iv.id)
    plain = cli("history")
    assert iv.id in plain and "mastery by topic" in plain
    learnt = [m for m in hist["mastery"]]
    assert learnt and f"{learnt[0]['mastery']:.1f}" in plain.split("mastery by topic")[1]
    cli("export", "--format", "pdf", "--out", str(tmp_path / "r.pdf"))
    cli("export", "--interview", iv.id, "--out", str(tmp_path / "r.md"))
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    assert iv.turns[0].prompt in (tmp_path / "r.md").read_text()


def test_the_report_opens_with_the_overall_score_real_tables_and_charts(service, repo):
    import shutil

    from pypdf import PdfReader

    first = play_from_keys(service, "ana", [0.3, 0.6, 1.0], seed=4)
    play_from_keys(service, "ana", [0.5, 1.0], mode="new", seed=5)
    md = markdown_report(service.store, service.kb.by_id, "ana", None, service.mastery("ana"))
    scores = [t.grade["score"] for iv in service.store.interviews("ana")
              for t in service.store.load(iv["id"]).turns if t.kind == "main"]
    overall = sum(scores) / len(scores)
    assert f"**Overall score: {overall:.1f} / 10**" in md
    assert "### Scores by question" in md and "### Scores by topic" in md
    assert first.turns[0].prompt[:40] in md.split("### Scores by topic")[0]
    pdf = pdf_report(md)
    reader = PdfReader(io.BytesIO(pdf))
    page1 = reader.pages[0].extract_text()
    assert f"Overall score: {overall:.1f} / 10" in page1
    text = "".join(p.extract_text() for p in reader.pages)
    # Tables are drawn as tables and notes as notes: no Markdown syntax is left.
    assert "|---" not in text and "| topic |" not in text and "\n> " not in text
    assert "Scores by topic" in text and "Mastery by topic" in text
    # Answers that make more of the key score higher, in the report as in the grade.
    mine = [t.grade["score"] for t in service.store.load(first.id).turns]
    assert mine[2] > mine[0] and mine[2] >= 7, mine
    # Page 1, as a person would see it, kept for review (poppler's pdftoppm).
    artifacts = repo / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "report.pdf").write_bytes(pdf)
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "poppler-utils (pdftoppm) is not installed; `make test` installs it"
    subprocess.run([pdftoppm, "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
                    str(artifacts / "report.pdf"), str(artifacts / "report-page1")], check=True,
                   timeout=60)
    assert (artifacts / "report-page1.png").stat().st_size > 10_000
