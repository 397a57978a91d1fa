"""The first five minutes, timed as a new user meets them, in headless Chromium.

    python -m evals.first_run [--json] [--index-limit-s 900]

Starts `interviewer run` on an empty data folder (no index, no database, no
ONNX copy of the model),
opens the page, starts an interview and answers the first question, then
keeps the page open until the sidebar says the notes index is built. Prints
seconds from the start command to: the server answering, the first question
on screen, its grade shown, and the index ready. The install itself is not
timed (it is pip's work, the same for every Python app).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from evals.load import CHROMIUM, CHROMIUM_ARGS, REPO, free_port

ANSWER = ("Retrieval finds the most relevant chunks with embeddings in a vector index, and the "
          "model answers from them, which grounds the answer and reduces hallucination.")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--json", action="store_true")
    p.add_argument("--index-limit-s", type=float, default=900,
                   help="longest wait for the background index build")
    args = p.parse_args(argv)
    from playwright.sync_api import expect, sync_playwright

    out: dict = {"cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="interviewer-first-run-") as tmp:
        port = free_port()
        # Nothing from an earlier run: no index, no database, and no ONNX copy of
        # the embedding model (a clean clone makes it on its first start too).
        env = dict(os.environ, INTERVIEWER_DATA_DIR=str(Path(tmp) / "data"),
                   INTERVIEWER_ONNX_DIR=str(Path(tmp) / "onnx"))
        log = open(Path(tmp) / "run.log", "w")
        start = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "interviewer.cli", "run", "--port",
                                 str(port)], cwd=REPO, env=env, stdout=log,
                                stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            while proc.poll() is None:
                try:
                    if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                        break
                except OSError:
                    time.sleep(0.2)
            out["server_answers_s"] = round(time.monotonic() - start, 1)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                             headless=True)
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(url)
                page.get_by_role("button", name="Start new interview").click(timeout=120_000)
                expect(page.get_by_text("Question 1 of")).to_be_visible(timeout=120_000)
                out["first_question_s"] = round(time.monotonic() - start, 1)
                box = page.get_by_test_id("stChatInputTextArea")
                box.fill(ANSWER)
                box.press("Enter")
                expect(page.get_by_test_id("stMetric").first).to_be_visible(timeout=300_000)
                out["first_grade_s"] = round(time.monotonic() - start, 1)
                out["graded_before_index"] = page.get_by_text(
                    "still being built", exact=False).count() > 0
                building = page.get_by_text(re.compile(r"^(Building|Checking) the notes index"))
                deadline = start + args.index_limit_s
                while building.count() and time.monotonic() < deadline:
                    time.sleep(1)
                out["index_ready_s"] = (round(time.monotonic() - start, 1)
                                        if not building.count() else None)
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print(json.dumps(out) if args.json else json.dumps(out, indent=2))
    return 0 if out.get("index_ready_s") is not None else 1


if __name__ == "__main__":
    sys.exit(main())
