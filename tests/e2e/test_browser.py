"""A real headless Chromium (Debian's package) driving `streamlit run app.py`."""

from __future__ import annotations

import os
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
def server(repo, fresh_data_dir, tmp_path):
    port = free_port()
    env = dict(os.environ, INTERVIEWER_DATA_DIR=str(fresh_data_dir))
    log = open(tmp_path / "streamlit.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(repo / "app.py"), "--server.headless",
         "true", "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false"],
        cwd=repo, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
        if proc.poll() is not None:
            break
    else:
        proc.kill()
        pytest.fail("streamlit did not become healthy:\n" + (tmp_path / "streamlit.log").read_text())
    if proc.poll() is not None:
        pytest.fail("streamlit exited:\n" + (tmp_path / "streamlit.log").read_text())
    yield url
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


def test_answer_one_question_and_see_feedback_and_a_source(server, repo):
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed; run the README's test command, which "
                    "installs it")
    from playwright.sync_api import expect, sync_playwright

    artifacts = repo / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 1800})
        page.goto(server)
        page.get_by_role("button", name="Start new interview").click(timeout=60_000)
        expect(page.get_by_text("Question 1 of 3")).to_be_visible(timeout=60_000)
        box = page.get_by_test_id("stChatInputTextArea")
        box.fill("Embeddings map text to vectors; we retrieve the nearest chunks from a vector "
                 "index and add them to the prompt so the model grounds its answer, trading some "
                 "latency for fewer hallucinations.")
        box.press("Enter")
        expect(page.get_by_text("Graded by the offline grader").first).to_be_visible(
            timeout=180_000)
        expect(page.get_by_text("/ 10").first).to_be_visible()
        expect(page.get_by_text("Follow-up 1")).to_be_visible()
        source = page.get_by_test_id("stExpander").filter(has_text="[1] ").first
        source.locator("summary").click()
        expect(source.get_by_text("knowledge/notes/")).to_be_visible(timeout=10_000)
        expect(source.get_by_text("Key points:", exact=False)).to_be_visible()
        page.screenshot(path=str(artifacts / "feedback.png"), full_page=True)
        browser.close()
