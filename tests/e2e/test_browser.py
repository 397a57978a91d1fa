"""A real headless Chromium (Debian's package) driving `streamlit run app.py`."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def app_env():
    """Extra environment for the app process (a test may add a provider)."""
    return {}


def start_app(repo, data_dir, log_path, extra_env=None):
    """`streamlit run app.py` on a free port; returns (process, url) once healthy."""
    port = free_port()
    env = dict(os.environ, INTERVIEWER_DATA_DIR=str(data_dir), **(extra_env or {}))
    log = open(log_path, "a")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(repo / "app.py"), "--server.headless",
         "true", "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false"],
        cwd=repo, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    pytest.fail("streamlit did not become healthy:\n" + open(log_path).read())


@pytest.fixture()
def server(repo, fresh_data_dir, tmp_path, app_env):
    proc, url = start_app(repo, fresh_data_dir, tmp_path / "streamlit.log", app_env)
    yield url
    proc.terminate()
    proc.wait(timeout=20)


ANSWER = ("Embeddings map text to vectors; we retrieve the nearest chunks from a vector index "
          "and add them to the prompt so the model grounds its answer, trading some latency for "
          "fewer hallucinations.")


def launch(pw):
    """Debian's Chromium, headless."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed; run the README's test command, which "
                    "installs it")
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    return browser, browser.new_page(viewport={"width": 1280, "height": 1800})


def settle(page) -> None:
    """Wait until the script run in progress ends: a message sent while Streamlit is still
    rendering the page that a button press started can be dropped when the chat box is
    drawn again (seen once in a clean-clone run, with a slow LLM grader)."""
    from playwright.sync_api import expect

    for icon in ("stStatusWidgetRunningIcon", "stStatusWidgetRunningManIcon"):
        expect(page.get_by_test_id(icon)).to_have_count(0, timeout=60_000)


def answer(page, text: str = ANSWER) -> None:
    """Type an answer in the chat box and send it, once the page has settled."""
    settle(page)
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(text)
    box.press("Enter")


def partial_answer(kb, data_dir: Path) -> str:
    """An on-topic answer to the open question: its key's first half, reworded as a
    candidate might say it (so the card shows points found and points missed)."""
    import random

    from evals.robustness import reword
    from interviewer.store import Store

    store = Store(data_dir / "interviewer.db")
    interview = store.load(store.interviews("default")[0]["id"])
    points = kb.key_for(interview.pending.question_id).key_points
    rng = random.Random(7)
    return " ".join(reword(p, rng) for p in points[:max(2, len(points) // 2)])


def open_and_answer(pw, url: str):
    """Start an interview in Chromium and answer the first question."""
    from playwright.sync_api import expect

    browser, page = launch(pw)
    page.goto(url)
    page.get_by_role("button", name="Start new interview").click(timeout=60_000)
    expect(page.get_by_text("Question 1 of 3")).to_be_visible(timeout=60_000)
    answer(page)
    return browser, page


def test_answer_one_question_and_see_feedback_and_a_source(server, repo):
    from playwright.sync_api import expect, sync_playwright

    artifacts = repo / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser, page = open_and_answer(pw, server)
        expect(page.get_by_text("Graded by the offline grader").first).to_be_visible(
            timeout=180_000)
        expect(page.get_by_text("/ 10").first).to_be_visible()
        expect(page.get_by_text("Follow-up 1")).to_be_visible()
        # A candidate's page, not a developer's: no Deploy button in the toolbar.
        expect(page.get_by_role("button", name="Deploy")).to_have_count(0)
        # The criteria and sources are folded away until asked for.
        details = page.get_by_test_id("stExpander").filter(has_text="Details: criteria").first
        expect(details.get_by_text("Sources", exact=True)).to_be_hidden()
        details.locator("summary").click()
        # One source per key: its chunks under one heading, [1–3], the note's path shown once.
        expect(details.get_by_text(re.compile(r"^\[1–\d\] .*\(answer key\)"))).to_be_visible(
            timeout=10_000)
        expect(details.get_by_text("knowledge/notes/").first).to_be_visible()
        expect(details.get_by_text("Key points:", exact=False).first).to_be_visible()
        page.screenshot(path=str(artifacts / "feedback.png"), full_page=True)
        browser.close()


def test_the_feedback_card_fits_one_screen_at_1280_by_800(server, repo, kb, fresh_data_dir):
    """Score, verdict, covered and missing points and the follow-up in one 1280x800 view,
    for an answer that makes about half the key's points."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                     headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(server)
        page.get_by_role("button", name="Start new interview").click(timeout=60_000)
        expect(page.get_by_text("Question 1 of 3")).to_be_visible(timeout=60_000)
        answer(page, partial_answer(kb, fresh_data_dir))
        score = page.get_by_test_id("stMetric").first
        expect(score).to_be_visible(timeout=180_000)
        # Points found and points missed are both on the card, in two columns.
        expect(page.get_by_text("Covered", exact=True).first).to_be_visible()
        expect(page.get_by_text("Missing", exact=True).first).to_be_visible()
        follow = page.get_by_test_id("stChatMessage").filter(has_text="Follow-up 1")
        expect(follow).to_be_visible(timeout=60_000)
        settle(page)
        score.evaluate("e => e.scrollIntoView({block: 'start'})")
        top = score.bounding_box()["y"]
        box = follow.bounding_box()
        # The answer box is pinned to the bottom of the window: from the top of the
        # score to the end of the follow-up must fit in the height above it. (Measured
        # as a span: Streamlit may scroll the page again after the score was put on top.)
        floor = page.get_by_test_id("stChatInput").bounding_box()["y"]
        page.screenshot(path=str(repo / "test-artifacts" / "feedback-card-1280x800.png"))
        assert box["y"] + box["height"] - top <= floor + 1, (top, box, floor)
        browser.close()


def test_a_hint_and_i_dont_know_in_the_browser(server, repo):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser, page = launch(pw)
        page.goto(server)
        page.get_by_role("button", name="Start new interview").click(timeout=60_000)
        expect(page.get_by_text("Question 1 of 3")).to_be_visible(timeout=60_000)
        answer(page, "Can I get a hint?")
        expect(page.get_by_text("Here's a nudge").first).to_be_visible(timeout=120_000)
        expect(page.get_by_text("/ 10")).to_have_count(0)  # a request is not graded
        answer(page)
        expect(page.get_by_text("(max 8.5)").first).to_be_visible(timeout=180_000)
        expect(page.get_by_text("You took 1 hint").first).to_be_visible()
        answer(page, "I don't know")
        expect(page.get_by_text("Not graded: counts as 0").first).to_be_visible(timeout=60_000)
        expect(page.get_by_text("Question 2 of 3")).to_be_visible(timeout=60_000)  # moved on
        page.screenshot(path=str(repo / "test-artifacts" / "hint-and-dont-know.png"),
                        full_page=True)
        browser.close()


def test_interview_mode_ends_in_a_debrief_in_the_browser(server, repo):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser, page = launch(pw)
        page.goto(server)
        page.get_by_text("Interview: the verdict at the end").click(timeout=60_000)
        page.get_by_role("button", name="Start new interview").click(timeout=60_000)
        expect(page.get_by_text("Question 1 of 3")).to_be_visible(timeout=60_000)
        # Talking to the interviewer first: none of it is graded.
        answer(page, "Could you clarify what you mean?")
        expect(page.get_by_text("Clarification (not graded)")).to_be_visible(timeout=120_000)
        answer(page, "Can I get a hint?")
        expect(page.get_by_text("Here's a nudge").first).to_be_visible(timeout=120_000)
        for n in range(1, 4):
            answer(page)
            expect(page.get_by_text("Follow-up 1").nth(n - 1)).to_be_visible(timeout=180_000)
            # No verdict before the debrief.
            expect(page.get_by_text(re.compile(r"^Graded by"))).to_have_count(0)
            answer(page, "I don't know")
            if n < 3:
                expect(page.get_by_text(f"Question {n + 1} of 3")).to_be_visible(timeout=60_000)
            else:
                expect(page.get_by_role("heading", name="Debrief")).to_be_visible(
                    timeout=60_000)
        # Scores only in the debrief: one card per graded answer, with its sources.
        cards = page.get_by_text(re.compile(r"^Graded by the offline grader"))
        expect(cards).to_have_count(3)
        # The first question's hint lowered its maximum, and the debrief says so.
        expect(page.get_by_text("(max 8.5)").first).to_be_visible()
        expect(page.get_by_text("You took 1 hint").first).to_be_visible()
        expect(page.get_by_text("What to study next")).to_be_visible()
        page.get_by_role("heading", name="Debrief").scroll_into_view_if_needed()
        page.screenshot(path=str(repo / "test-artifacts" / "debrief.png"), full_page=True)
        browser.close()


@pytest.fixture()
def fake_llm():
    from ..http.fake_llm import FakeLLM

    fake = FakeLLM().start()
    yield fake
    fake.stop()


@pytest.fixture()
def llm_env(fake_llm, app_env):
    app_env.update(INTERVIEWER_PROVIDER="openai-compatible", INTERVIEWER_MODEL="tiny",
                   INTERVIEWER_BASE_URL=fake_llm.url + "/v1")
    return app_env


def test_one_turn_graded_by_an_openai_compatible_server(llm_env, fake_llm, server, repo):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser, page = open_and_answer(pw, server)
        expect(page.get_by_text("Graded by the LLM grader (openai-compatible · tiny)").first
               ).to_be_visible(timeout=180_000)
        expect(page.get_by_text("did not cover the costs").first).to_be_visible()
        expect(page.get_by_text("What does this cost you in production").first).to_be_visible()
        page.screenshot(path=str(repo / "test-artifacts" / "feedback-llm.png"), full_page=True)
        browser.close()
    assert fake_llm.requests[0]["body"]["stream"] is True
    assert ANSWER in fake_llm.requests[0]["body"]["messages"][1]["content"]


def test_an_interview_mode_interview_graded_by_an_llm_ends_in_its_debrief(llm_env, fake_llm,
                                                                          server, repo):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser, page = launch(pw)
        page.goto(server)
        page.get_by_text("Interview: the verdict at the end").click(timeout=60_000)
        slider = page.get_by_test_id("stSlider").filter(has_text="Questions").get_by_role(
            "slider")
        slider.focus()
        slider.press("Home")  # one question
        page.get_by_role("button", name="Start new interview").click(timeout=60_000)
        expect(page.get_by_text("Question 1 of 1")).to_be_visible(timeout=60_000)
        answer(page)
        # The LLM's follow-up, built from the answer; still no verdict.
        expect(page.get_by_text("What does this cost you in production").first).to_be_visible(
            timeout=180_000)
        expect(page.get_by_text(re.compile(r"^Graded by"))).to_have_count(0)
        answer(page, "I don't know")
        expect(page.get_by_role("heading", name="Debrief")).to_be_visible(timeout=60_000)
        expect(page.get_by_text("Graded by the LLM grader (openai-compatible · tiny)").first
               ).to_be_visible()
        page.screenshot(path=str(repo / "test-artifacts" / "debrief-llm.png"), full_page=True)
        browser.close()


def test_history_page_in_the_browser(server, repo):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser, page = open_and_answer(pw, server)
        expect(page.get_by_text("Graded by the offline grader").first).to_be_visible(
            timeout=180_000)
        page.goto(server + "/?view=history")
        expect(page.get_by_role("heading", name="Practice history")).to_be_visible(
            timeout=60_000)
        expect(page.get_by_text("Mastery by topic")).to_be_visible()
        with page.expect_download() as download:
            page.get_by_role("button", name="This interview (.pdf)").click()
        assert download.value.suggested_filename.endswith(".pdf")
        assert open(download.value.path(), "rb").read(5) == b"%PDF-"
        page.screenshot(path=str(repo / "test-artifacts" / "history.png"), full_page=True)
        # The downloaded PDF's first page as the person receiving it sees it.
        pdf = repo / "test-artifacts" / "downloaded-report.pdf"
        shutil.copy(download.value.path(), pdf)
        browser.close()
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
                        str(pdf), str(pdf.with_suffix(""))], check=True, timeout=60)
        from pypdf import PdfReader

        assert "Overall score:" in PdfReader(str(pdf)).pages[0].extract_text()
        assert pdf.with_suffix(".png").stat().st_size > 10_000


def test_killing_the_app_mid_interview_loses_no_submitted_answer(repo, fresh_data_dir, tmp_path):
    """SIGKILL the app after two answers; the database has both, and a restart resumes."""
    import signal
    import sqlite3

    from playwright.sync_api import expect, sync_playwright

    proc, url = start_app(repo, fresh_data_dir, tmp_path / "app.log")
    try:
        with sync_playwright() as pw:
            browser, page = launch(pw)
            page.goto(url)
            page.get_by_role("button", name="Start new interview").click(timeout=60_000)
            expect(page.get_by_text("Question 1 of 3")).to_be_visible(timeout=60_000)
            answer(page, "First answer: " + ANSWER)
            expect(page.get_by_text("Follow-up 1")).to_be_visible(timeout=180_000)
            answer(page, "Second answer, to the follow-up: it trades latency for grounding.")
            expect(page.get_by_text("Question 2 of 3")).to_be_visible(timeout=60_000)
            browser.close()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=20)
    rows = sqlite3.connect(fresh_data_dir / "interviewer.db").execute(
        "SELECT answer, score, grader, grade FROM turns ORDER BY seq").fetchall()
    assert [r[0][:13] for r in rows] == ["First answer:", "Second answer"]
    assert all(r[1] is not None and r[2] == "offline" and r[3] for r in rows)

    proc, url = start_app(repo, fresh_data_dir, tmp_path / "app.log")
    try:
        with sync_playwright() as pw:
            browser, page = launch(pw)
            page.goto(url)
            expect(page.get_by_text("Question 2 of 3")).to_be_visible(timeout=60_000)
            expect(page.get_by_text("First answer:", exact=False)).to_be_visible()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_killing_the_app_while_grading_keeps_the_answer_and_grades_it_after_restart(
        repo, fresh_data_dir, tmp_path, fake_llm):
    """SIGKILL the app while an answer is being graded; after a restart it is shown and graded."""
    import signal
    import sqlite3

    from playwright.sync_api import expect, sync_playwright

    # The provider holds its reply, so the app is surely mid-grading when killed.
    fake_llm.add(kind="sleep", seconds=8)
    llm = {"INTERVIEWER_PROVIDER": "openai-compatible", "INTERVIEWER_MODEL": "tiny",
           "INTERVIEWER_BASE_URL": fake_llm.url + "/v1", "INTERVIEWER_MAX_RETRIES": "0"}
    sent = "Answer sent while grading: " + ANSWER
    proc, url = start_app(repo, fresh_data_dir, tmp_path / "app.log", llm)
    try:
        with sync_playwright() as pw:
            browser, page = launch(pw)
            page.goto(url)
            page.get_by_role("button", name="Start new interview").click(timeout=60_000)
            expect(page.get_by_text("Question 1 of 3")).to_be_visible(timeout=60_000)
            answer(page, sent)
            deadline = time.time() + 180
            while not fake_llm.requests and time.time() < deadline:
                time.sleep(0.1)
            assert fake_llm.requests, "grading never reached the provider"
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=20)
            browser.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=20)
    db = fresh_data_dir / "interviewer.db"
    assert sqlite3.connect(db).execute("SELECT answer FROM pending_answers").fetchall() == [
        (sent,)]
    assert sqlite3.connect(db).execute("SELECT count(*) FROM turns").fetchone()[0] == 0

    proc, url = start_app(repo, fresh_data_dir, tmp_path / "app.log")  # offline grader now
    try:
        with sync_playwright() as pw:
            browser, page = launch(pw)
            page.goto(url)
            # "offline", or "offline embedding" where the claim judge is not built.
            expect(page.get_by_text(re.compile("Graded by the offline")).first).to_be_visible(
                timeout=180_000)
            expect(page.get_by_text("Answer sent while grading:", exact=False)).to_be_visible()
            expect(page.get_by_text("grading was interrupted", exact=False)).to_be_visible()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT answer, score, grader FROM turns").fetchall()
    assert len(rows) == 1 and rows[0][0] == sent
    assert rows[0][1] is not None and rows[0][2] in ("offline", "embedding")
    assert conn.execute("SELECT count(*) FROM pending_answers").fetchone()[0] == 0


def test_timed_practice_counts_down_in_the_browser(server, repo):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser, page = launch(pw)
        page.goto(server)
        page.get_by_test_id("stSelectbox").filter(has_text="Time per question").click(
            timeout=60_000)
        page.get_by_role("option", name="1 min").click()
        page.get_by_role("button", name="Start new interview").click(timeout=60_000)
        expect(page.get_by_text("Question 1 of 3")).to_be_visible(timeout=60_000)
        clock = page.locator(".clock")
        expect(clock).to_contain_text("Time left: 0:", timeout=30_000)
        expect(clock).to_contain_text("of 1:00")
        first = int(clock.get_attribute("data-left"))
        page.wait_for_timeout(2_500)
        later = int(clock.get_attribute("data-left"))
        assert 0 < later < first <= 60, (first, later)
        page.screenshot(path=str(repo / "test-artifacts" / "countdown.png"))
        answer(page)
        expect(page.get_by_text("Answered in 0:").first).to_be_visible(timeout=180_000)
        browser.close()
