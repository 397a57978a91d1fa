"""Reports (Markdown, PDF, the CLI's export) of answers that broke the PDF export."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from interviewer.config import load_settings
from interviewer.interview import InterviewConfig
from interviewer.report import markdown_report, pdf_report
from interviewer.service import InterviewService
from interviewer.store import Store

from ..bad_inputs import BAD_ANSWERS, EMPTY_ANSWER


@pytest.fixture(scope="module")
def grader(kb):
    """The offline grader the app builds (the claim judge, or embeddings without its model)."""
    from interviewer.grading.registry import make_offline

    return make_offline("offline", kb.embedder)


@pytest.fixture(scope="module")
def played(kb, grader, tmp_path_factory):
    """A stored interview whose answers are every bad input (the empty one is refused)."""
    data = tmp_path_factory.mktemp("bad-data")
    settings = load_settings(data_dir=data, knowledge_dir=kb.settings.knowledge_dir)
    service = InterviewService(settings, kb, Store(settings.db_path), grader)
    iv = service.start(InterviewConfig(sections=[4], num_questions=len(BAD_ANSWERS),
                                       follow_ups=0, seed=5), "probe")
    assert service.submit(iv, EMPTY_ANSWER).status == "empty"
    for answer in BAD_ANSWERS.values():
        service.submit(iv, answer)
    assert iv.phase == "done"
    return service, iv, data


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def test_every_bad_answer_exports_to_markdown_and_pdf(played):
    service, iv, _ = played
    md = markdown_report(service.store, service.kb.by_id, "probe", [iv.id])
    for answer in BAD_ANSWERS.values():
        assert answer.strip()[:200] in md
    text = pdf_text(pdf_report(md))
    # Markup-like text is shown as typed, not parsed or dropped.
    for name in ("crossed", "unclosed", "entities", "image", "link"):
        assert BAD_ANSWERS[name] in text.replace("\n", " "), name
    # What Vera cannot draw is a visible box per character, not nothing.
    assert "before■null■bell■escape after" in text
    assert "Retrieval ■ then generation ■ grounded ■" in text
    assert "■" * 5 in text  # the Arabic answer
    sentence = "Retrieval augmented generation grounds the model in retrieved chunks."
    flat = " ".join(text.split())  # lines wrap anywhere in the PDF
    assert flat.count(sentence) == BAD_ANSWERS["long"].count(sentence)  # the long answer whole


def test_whole_history_pdf_with_bad_answers(played):
    service, _, _ = played
    md = markdown_report(service.store, service.kb.by_id, "probe", None,
                         service.mastery("probe"))
    assert pdf_report(md).startswith(b"%PDF")


def test_cli_exports_bad_answers_as_pdf(played, tmp_path):
    _, iv, data = played
    env = dict(os.environ, INTERVIEWER_DATA_DIR=str(data))
    for extra in ([], ["--interview", iv.id]):
        out = tmp_path / f"report{len(extra)}.pdf"
        proc = subprocess.run([sys.executable, "-m", "interviewer.cli", "export", "--profile",
                               "probe", "--format", "pdf", "--out", str(out), *extra],
                              capture_output=True, text=True, env=env, timeout=300)
        assert proc.returncode == 0, proc.stderr
        assert "_a **b_ c**" in pdf_text(out.read_bytes())
