"""A malformed guide line or notes entry is skipped and reported; the rest is used."""

from __future__ import annotations

import json
import subprocess
import time

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from interviewer.config import load_settings
from interviewer.knowledge import KnowledgeBase

from .test_index_integrity import REPO, cli, run, tiny_knowledge

BAD_GUIDE_LINE = "this line is not a heading or a question"
BAD_KEY = ("## A key with one point\n- ids: q04-528ca2\n### Key points\n- only one\n"
           "### Explanation\nToo short to grade against.\n\n")


@pytest.fixture()
def damaged(tmp_path):
    """A small knowledge folder with one bad guide line and one bad answer key."""
    root = tiny_knowledge(tmp_path / "kb")
    guide = (root / "guide.md").read_text(encoding="utf-8").splitlines()
    first_question = next(i for i, line in enumerate(guide) if line.startswith("- "))
    guide.insert(first_question + 1, BAD_GUIDE_LINE)
    (root / "guide.md").write_text("\n".join(guide) + "\n", encoding="utf-8")
    notes = root / "notes" / "rag.md"
    notes.write_text(notes.read_text(encoding="utf-8") + "\n" + BAD_KEY, encoding="utf-8")
    bad_key_line = notes.read_text(encoding="utf-8").splitlines().index(
        "## A key with one point") + 1
    return root, first_question + 2, bad_key_line


def test_the_cli_reports_file_and_line_and_keeps_the_rest(tmp_path, damaged):
    root, guide_line, key_line = damaged
    proc = run("coverage", "--json", knowledge=root, data=tmp_path / "data", timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert f"{root / 'guide.md'}:{guide_line}: unexpected line" in proc.stderr
    assert f"knowledge/notes/rag.md:{key_line}: answer key" in proc.stderr
    sections = json.loads(proc.stdout)
    assert sum(s["questions"] for s in sections.values()) == 1105
    assert sections["4"]["keys"] == 3  # the file's good keys still count


def test_run_starts_the_app_despite_a_malformed_guide_line(tmp_path, damaged):
    root, guide_line, _ = damaged
    port = 8765
    spec = cli("run", "--port", str(port), knowledge=root, data=tmp_path / "data")
    proc = subprocess.Popen(spec["args"], env=spec["env"], cwd=spec["cwd"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        deadline = time.monotonic() + 400
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            lines.append(line)
            if "open http://localhost" in line:
                break
        assert any(f"guide.md:{guide_line}" in line for line in lines), lines
        assert any(f"open http://localhost:{port}" in line for line in lines), lines
        time.sleep(1)
        assert proc.poll() is None  # still running: the app started
    finally:
        proc.kill()
        proc.wait(timeout=30)


def test_the_sidebar_lists_what_was_skipped(tmp_path, damaged, monkeypatch):
    root, guide_line, key_line = damaged
    settings = load_settings(knowledge_dir=root, data_dir=tmp_path / "data")
    # Built beforehand, so the app's warm-up finds it current and does not
    # keep building in this process after the test.
    KnowledgeBase(settings).build_index()
    monkeypatch.setenv("INTERVIEWER_KNOWLEDGE_DIR", str(root))
    monkeypatch.setenv("INTERVIEWER_DATA_DIR", str(tmp_path / "data"))
    st.cache_resource.clear()
    try:
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=240).run()
        assert not at.exception, at.exception
        shown = " ".join(w.value for w in at.sidebar.warning)
        assert f"guide.md:{guide_line}" in shown and f"rag.md:{key_line}" in shown
        assert "Start new interview" in [b.label for b in at.sidebar.button]
    finally:
        st.cache_resource.clear()
