"""Two app replicas on one PostgreSQL database and one Chroma server, driven in Chromium.

A candidate signs in on replica A and answers; A is killed while it grades.
The candidate's reload lands on replica B, which opens the same sign-in,
resumes the same interview, and grades the stored answer: nothing is lost.
"""

from __future__ import annotations

import re
import signal
import time
import uuid

import pytest

from .test_browser import ANSWER, answer, launch, start_app

pytestmark = pytest.mark.browser

PASSPHRASE = "correct horse battery"


@pytest.fixture()
def shared(postgres, server_index):
    """Environment for replicas sharing a fresh database and the seeded Chroma server."""
    url = postgres.create_database(f"replicas_{uuid.uuid4().hex[:10]}")
    return {"INTERVIEWER_DATABASE_URL": url, "INTERVIEWER_CHROMA_URL": server_index}


@pytest.fixture()
def fake_llm():
    from ..http.fake_llm import FakeLLM

    fake = FakeLLM().start()
    yield fake
    fake.stop()


def test_a_replica_killed_mid_grade_loses_nothing_and_the_reload_resumes_on_another(
        repo, tmp_path, shared, fake_llm):
    import psycopg
    from playwright.sync_api import expect, sync_playwright

    # Replica A grades with a provider that holds its reply, so it is surely
    # mid-grade when killed; B is an ordinary offline replica.
    fake_llm.add(kind="sleep", seconds=8)
    llm = {"INTERVIEWER_PROVIDER": "openai-compatible", "INTERVIEWER_MODEL": "tiny",
           "INTERVIEWER_BASE_URL": fake_llm.url + "/v1", "INTERVIEWER_MAX_RETRIES": "0"}
    a, a_url = start_app(repo, tmp_path / "a", tmp_path / "a.log", shared | llm)
    b, b_url = start_app(repo, tmp_path / "b", tmp_path / "b.log", shared)
    sent = "Answer sent to replica A: " + ANSWER
    try:
        with sync_playwright() as pw:
            browser, page = launch(pw)
            page.goto(a_url)
            # On a shared database every profile is an account: a new one needs a passphrase.
            page.get_by_label("Passphrase", exact=True).fill(PASSPHRASE)
            page.get_by_label("Passphrase again").fill(PASSPHRASE)
            page.get_by_role("button", name="Create profile").click()
            page.get_by_role("button", name="Start new interview").click(timeout=60_000)
            expect(page.get_by_text("Question 1 of 3")).to_be_visible(timeout=60_000)
            assert re.search(r"[?&]s=", page.url), "no sign-in token in the URL"
            answer(page, sent)
            deadline = time.time() + 120
            while not fake_llm.requests and time.time() < deadline:
                time.sleep(0.1)
            assert fake_llm.requests, "grading never reached the provider"
            a.send_signal(signal.SIGKILL)
            a.wait(timeout=20)

            with psycopg.connect(shared["INTERVIEWER_DATABASE_URL"]) as conn:
                assert conn.execute("SELECT answer FROM pending_answers").fetchall() == [(sent,)]

            # The proxy would send the reload to a live replica: the same URL, on B.
            page.goto(b_url + page.url[len(a_url):])
            expect(page.get_by_text(re.compile("Graded by the offline")).first).to_be_visible(
                timeout=180_000)
            expect(page.get_by_text("Answer sent to replica A:", exact=False)).to_be_visible()
            # B opened the profile from the sign-in, without asking for the passphrase.
            expect(page.get_by_role("button", name="Open profile")).to_have_count(0)
            # The interview goes on on B: its follow-up is asked and answered there.
            expect(page.get_by_text("Follow-up 1")).to_be_visible(timeout=60_000)
            answer(page, "Second answer, on replica B: " + ANSWER)
            expect(page.get_by_text(re.compile("Graded by the offline")).nth(1)).to_be_visible(
                timeout=120_000)
            browser.close()
    finally:
        for proc in (a, b):
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=20)
    with psycopg.connect(shared["INTERVIEWER_DATABASE_URL"]) as conn:
        rows = conn.execute("SELECT seq, answer, grader FROM turns ORDER BY seq").fetchall()
        assert [r[1] for r in rows[:2]] == [sent, "Second answer, on replica B: " + ANSWER]
        assert all(r[2] in ("offline", "embedding") for r in rows[:2])
        assert conn.execute("SELECT count(*) FROM pending_answers").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM interviews").fetchone()[0] == 1
