"""Answer out loud in a real headless Chromium: its fake microphone plays a WAV made
with espeak-ng into `st.audio_input`; the transcript appears for editing, and the
spoken answer is graded with its speaking feedback."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, app_env, server  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

SPOKEN = ("Retrieval augmented generation searches a vector index for passages related to the "
          "question and adds them to the prompt, so the model answers from current documents "
          "and can cite them.")


def test_a_spoken_answer_is_transcribed_edited_and_graded(server, repo, tmp_path):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    assert shutil.which("espeak-ng"), "espeak-ng is missing: sudo apt-get install espeak-ng"
    wav = tmp_path / "answer.wav"
    # A second of silence first: the fake microphone starts playing when the
    # page opens the stream, before the recorder is listening.
    subprocess.run(["espeak-ng", "-s", "150", "-g", "4", "-w", str(wav), ". " + SPOKEN],
                   check=True)
    artifacts = repo / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_ARGS + ["--use-fake-ui-for-media-stream",
                                  "--use-fake-device-for-media-stream",
                                  f"--use-file-for-fake-audio-capture={wav}%noloop"])
        context = browser.new_context(viewport={"width": 1280, "height": 1800},
                                      permissions=["microphone"])
        page = context.new_page()
        page.goto(server)
        page.get_by_text("Read questions aloud").click(timeout=60_000)
        page.get_by_role("button", name="Start new interview").click(timeout=60_000)
        expect(page.get_by_text("Question 1 of 3")).to_be_visible(timeout=60_000)
        # The browser's own voice reads the question, or the page says there is none.
        frame = page.frame_locator("iframe[title='st.iframe']").first
        expect(frame.locator("#m")).to_have_text(
            re.compile("Reading the question aloud|no speech voice"), timeout=30_000)
        typed = page.get_by_test_id("stChatInputTextArea")
        typed.fill("a typed draft that must survive")
        recorder = page.get_by_test_id("stAudioInput")
        recorder.get_by_role("button", name="Record").click(timeout=30_000)
        page.wait_for_timeout(12_000)
        recorder.get_by_role("button", name="Stop recording").click()
        transcript = page.get_by_label("Transcript: check it and correct it before you send it")
        expect(transcript).to_be_visible(timeout=120_000)
        text = transcript.input_value().lower()
        assert "retrieval" in text and "prompt" in text, text
        expect(page.get_by_text("words/min", exact=False).first).to_be_visible()
        # Transcribing changed nothing typed.
        assert typed.input_value() == "a typed draft that must survive"
        page.get_by_role("button", name="Send spoken answer").click()
        expect(page.get_by_text("Graded by the offline grader").first).to_be_visible(
            timeout=180_000)
        expect(page.get_by_text("Spoken answer, transcribed offline", exact=False).first
               ).to_be_visible()
        page.screenshot(path=str(artifacts / "spoken-answer.png"), full_page=True)
        browser.close()


def blocked_microphone_message(server, launch_args):  # noqa: F811
    """Start an interview in a Chromium launched with these flags, press Record,
    and return the page's microphone warning, the typed draft and whether a
    transcript box appeared."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=CHROMIUM_ARGS + launch_args)
        # No microphone permission is granted: headless Chromium then refuses
        # the prompt, as a user's "Block" would.
        page = browser.new_context(viewport={"width": 1280, "height": 1800}).new_page()
        page.goto(server)
        page.get_by_role("button", name="Start new interview").click(timeout=60_000)
        page.get_by_text("Question 1 of 3").wait_for(timeout=60_000)
        typed = page.get_by_test_id("stChatInputTextArea")
        typed.fill("a typed draft that must survive")
        recorder = page.get_by_test_id("stAudioInput")
        recorder.get_by_role("button", name="Record").click(timeout=30_000)
        warning = page.locator(".mic").filter(has_text="microphone")
        warning.first.wait_for(state="visible", timeout=30_000)
        artifacts = Path(__file__).resolve().parents[2] / "test-artifacts"
        artifacts.mkdir(exist_ok=True)
        page.screenshot(path=str(artifacts / f"microphone-{len(launch_args)}.png"))
        result = (warning.first.inner_text(), warning.count(), typed.input_value(),
                  page.get_by_label("Transcript: check it and correct it before you send it")
                  .count())
        browser.close()
    return result


def test_a_blocked_microphone_is_explained_and_loses_nothing(server):  # noqa: F811
    text, warnings, typed, transcripts = blocked_microphone_message(
        server, ["--use-fake-device-for-media-stream"])
    assert "blocking the microphone" in text and "address bar" in text, text
    assert warnings == 1
    assert typed == "a typed draft that must survive"
    assert transcripts == 0


def test_a_browser_without_a_microphone_is_told_so(server):  # noqa: F811
    text, warnings, typed, _ = blocked_microphone_message(server, [])
    assert "No microphone was found" in text, text
    assert warnings == 1
    assert typed == "a typed draft that must survive"
