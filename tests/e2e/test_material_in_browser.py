"""Your own notes in a real Chromium: upload, see them listed, get them cited, remove them."""

from __future__ import annotations

import pytest

from ..integration.test_material import ATTENTION
from .test_browser import answer, launch, start_app
from .test_grade_in_browser import open_interview_on

pytestmark = pytest.mark.browser

QUESTION = "q01-50f733"  # What are attention mechanisms and why are they important?


def test_upload_notes_see_them_cited_in_feedback_and_remove_them(repo, kb, fresh_data_dir,
                                                                   tmp_path):
    from playwright.sync_api import expect, sync_playwright

    notes = tmp_path / "attn.md"
    notes.write_bytes(ATTENTION)
    scan = tmp_path / "empty.md"
    scan.write_bytes(b"   \n")
    open_interview_on(fresh_data_dir, kb, QUESTION)
    proc, url = start_app(repo, fresh_data_dir, tmp_path / "app.log")
    try:
        with sync_playwright() as pw:
            browser, page = launch(pw)
            page.goto(url + "/?view=material")
            expect(page.get_by_text("Your material").first).to_be_visible(timeout=60_000)
            notes_uploader = page.get_by_test_id("stFileUploader").filter(has_text="Notes files")
            notes_uploader.locator("input[type=file]").set_input_files([str(notes), str(scan)])
            page.get_by_role("button", name="Add to my notes").click()
            expect(page.get_by_text("attn.md: added, 2 passages indexed.")).to_be_visible(
                timeout=60_000)
            # A bad file is refused with its reason; the good one is still added.
            expect(page.get_by_text("empty.md: the file is empty")).to_be_visible()
            expect(page.get_by_test_id("stDataFrame")).to_be_visible()

            page.goto(url + "/?view=interview")
            expect(page.get_by_text("Question 1 of 1")).to_be_visible(timeout=60_000)
            answer(page, "Attention lets each token weigh the others by query-key similarity "
                         "and mix their values, so the model uses context at any distance; "
                         "multi-head attention runs several such heads in parallel.")
            expect(page.get_by_text("Graded by the offline grader").first).to_be_visible(
                timeout=180_000)
            # The sources are folded into the card's Details box.
            page.get_by_test_id("stExpander").filter(has_text="Details: criteria").first \
                .locator("summary").click()
            cited = page.get_by_text("attn.md › Attention", exact=False).first
            expect(cited).to_be_visible()
            assert "your notes" in cited.inner_text()
            page.screenshot(path=str(tmp_path / "material-cited.png"), full_page=True)

            page.goto(url + "/?view=material")
            page.get_by_test_id("stSelectbox").click(timeout=60_000)
            page.get_by_role("option", name="attn.md").click()
            page.get_by_role("button", name="Remove", exact=True).click()
            expect(page.get_by_text("Removed attn.md.")).to_be_visible(timeout=30_000)
            expect(page.get_by_text("No notes of your own yet.")).to_be_visible()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
