"""The grade as a candidate sees it: a fluent but wrong answer, in a real Chromium."""

from __future__ import annotations

import re

import pytest

from ..integration.test_grader_claims import QUOTED, indomain_answer
from .test_browser import answer, launch, start_app

pytestmark = pytest.mark.browser

# What is the role of memory in chatbots? Its fluent-but-wrong in-domain answer says
# models keep their own memory of each user, against the key's "stateless".
QUESTION = QUOTED


def open_interview_on(data_dir, kb, question_id: str) -> None:
    """Store an open interview for the default profile that asks one chosen question."""
    from interviewer.interview import Interview, InterviewConfig
    from interviewer.store import Store

    section = kb.by_id[question_id].section
    interview = Interview.start(InterviewConfig(sections=[section], num_questions=1),
                                kb.questions, order=[question_id])
    store = Store(data_dir / "interviewer.db")
    store.save_new(interview, "default")
    store.close()


def test_a_fluent_but_wrong_answer_scores_low_in_the_browser(
        repo, kb, fresh_data_dir, tmp_path):
    """The right vocabulary, the wrong claims: a low score, the wrong claim quoted back
    beside what the key holds, and the points it missed."""
    from playwright.sync_api import expect, sync_playwright

    open_interview_on(fresh_data_dir, kb, QUESTION)
    proc, url = start_app(repo, fresh_data_dir, tmp_path / "app.log")
    try:
        with sync_playwright() as pw:
            browser, page = launch(pw)
            page.goto(url)
            expect(page.get_by_text("Question 1 of 1")).to_be_visible(timeout=60_000)
            answer(page, indomain_answer(repo, QUESTION, "wrong"))
            expect(page.get_by_text("Graded by the offline grader").first).to_be_visible(
                timeout=180_000)
            metric = page.get_by_test_id("stMetricValue").first.inner_text()
            score = float(re.match(r"\s*([\d.]+)\s*/\s*10", metric).group(1))
            assert score <= 3.5, metric
            expect(page.get_by_text(re.compile(r"^Missing")).first).to_be_visible()
            # Contradicted points are not "missing", and the card must not read as praise.
            expect(page.get_by_text("No core point missing.")).to_have_count(0)
            # The sentence that gives models their own memory, against the key's "stateless".
            quote = page.get_by_text(re.compile(r"You said.{0,3}Modern LLMs actually keep "
                                                r"their own memory")).first
            expect(quote).to_be_visible()
            # What the key holds is the one claim of the point that the answer contradicts.
            assert "the key holds: LLMs are stateless between calls." in quote.inner_text()
            artifacts = repo / "test-artifacts"
            artifacts.mkdir(exist_ok=True)
            page.screenshot(path=str(artifacts / "fluent-but-wrong.png"), full_page=True)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
