"""The `interviewer` console command, run as a user would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def run(*args, data_dir=None, check=True):
    env = dict(os.environ)
    if data_dir:
        env["INTERVIEWER_DATA_DIR"] = str(data_dir)
    proc = subprocess.run([sys.executable, "-m", "interviewer.cli", *args], capture_output=True,
                          text=True, env=env, timeout=240)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_help_names_every_command_in_its_summary():
    import re

    out = run("--help").stdout
    commands = re.search(r"\{([a-z,]+)\}", out).group(1).split(",")
    summary = out.split("positional arguments")[0].split("\n\n", 1)[1]
    assert len(commands) >= 9 and all(c in summary for c in commands), (commands, summary)


def test_questions_count():
    assert run("questions", "--count").stdout.strip() == "1105"


def test_questions_section_json():
    rows = json.loads(run("questions", "--section", "4", "--json").stdout)
    assert len(rows) == 50 and {r["section"] for r in rows} == {4}
    assert {"id", "section", "subsection", "kind", "text"} <= set(rows[0])


def test_questions_from_a_malformed_guide_reports_the_line_and_keeps_the_rest(tmp_path):
    bad = tmp_path / "guide.md"
    bad.write_text("## 1. A\n### S\n- fine\nwhat is this line\n- also fine\n")
    proc = run("questions", "--guide", str(bad), "--count")
    assert proc.stdout.strip() == "2"
    assert f"{bad}:4" in proc.stderr and "Traceback" not in proc.stderr


def test_questions_from_a_guide_without_questions_fails_with_the_reason(tmp_path):
    bad = tmp_path / "guide.md"
    bad.write_text("# Only a title\nwhat is this line\n")
    proc = run("questions", "--guide", str(bad), "--count", check=False)
    assert proc.returncode == 2
    assert "no questions found" in proc.stderr and "Traceback" not in proc.stderr


def test_index_is_idempotent_and_reports_counts(fresh_data_dir):
    proc = run("index", "--json", data_dir=fresh_data_dir)
    report = json.loads(proc.stdout)
    assert report["added"] == 0 and report["unchanged"] == report["total"] > 0
    assert "answer keys" in proc.stderr


def test_grade_by_question_id(tmp_path, fresh_data_dir):
    answer = tmp_path / "answer.txt"
    answer.write_text("Cosine similarity is the dot product of two vectors divided by the product "
                      "of their norms, so it measures the angle and ignores vector length.")
    proc = run("grade", "--question-id", "q04-3f26e3", "--answer-file", str(answer), "--json",
               data_dir=fresh_data_dir)
    g = json.loads(proc.stdout)
    # No progress bar (weights, batches) on either stream unless asked: issue #19.
    assert not any(bar in proc.stderr for bar in ("it/s", "%|", "Batches", "Loading weights"))
    assert g["grader"] == "offline" and g["status"] == "graded"
    assert 0 < g["score"] < 10 and g["covered"] and g["missing"]
    assert g["citations"][0]["source"].startswith("knowledge/notes/")
    assert g["follow_up"]


def test_grade_with_free_reference(tmp_path):
    args = ["grade", "--question", "What is a stack?", "--reference",
            "A last-in first-out structure where you push and pop at the top.", "--json"]
    good = json.loads(run(*args, "--answer", "A LIFO structure: push and pop happen at the top.",
                          data_dir=tmp_path).stdout)
    bad = json.loads(run(*args, "--answer", "A kind of sorting algorithm.", data_dir=tmp_path).stdout)
    assert good["score"] > bad["score"] and good["grader"] == "offline"


@pytest.mark.parametrize("args,fragment", [
    (["grade", "--question-id", "q99-000000", "--answer", "x"], "no question with id"),
    (["grade", "--question", "Q?"], "--answer"),
])
def test_grade_errors_are_one_line(args, fragment, fresh_data_dir):
    proc = run(*args, data_dir=fresh_data_dir, check=False)
    assert proc.returncode == 2 and fragment in proc.stderr and "Traceback" not in proc.stderr


def test_notes_add_list_remove_for_a_profile(tmp_path):
    notes = tmp_path / "attn.md"
    notes.write_text("# Attention\n\nSelf-attention weighs every token by query-key "
                     "similarity.\n", encoding="utf-8")
    (tmp_path / "blank.txt").write_text("  \n", encoding="utf-8")
    data = tmp_path / "data"
    added = json.loads(run("notes", "add", str(notes), str(tmp_path / "blank.txt"), "--json",
                           "--profile", "ada", data_dir=data).stdout)
    assert [(r["name"], r["status"]) for r in added] == [("attn.md", "added"),
                                                         ("blank.txt", "refused")]
    assert "empty" in added[1]["message"]
    again = run("notes", "add", str(notes), "--profile", "ada", data_dir=data).stdout
    assert "unchanged" in again
    listed = json.loads(run("notes", "list", "--json", "--profile", "ada", data_dir=data).stdout)
    assert [f["name"] for f in listed] == ["attn.md"] and listed[0]["chunks"] == 1
    assert "no notes" in run("notes", "list", "--profile", "bob", data_dir=data).stdout
    gone = run("notes", "remove", "nothere.md", "--profile", "ada", data_dir=data, check=False)
    assert gone.returncode == 2 and "no file 'nothere.md'" in gone.stderr
    run("notes", "remove", "attn.md", "--profile", "ada", data_dir=data)
    assert json.loads(run("notes", "list", "--json", "--profile", "ada",
                          data_dir=data).stdout) == []


def test_interview_for_a_job_description_prints_each_question_with_its_requirement(
        tmp_path, fresh_data_dir):
    from ..unit.test_jobdesc import JD

    jd = tmp_path / "jd.md"
    jd.write_text(JD, encoding="utf-8")
    out = json.loads(run("interview", "--jd", str(jd), "-n", "3", "--json",
                         data_dir=fresh_data_dir).stdout)
    assert len(out["questions"]) == 3 and len(out["requirements"]) == 4
    assert [q["requirement"] for q in out["questions"]] == out["requirements"][:3]
    bad = tmp_path / "de.txt"
    bad.write_text("Wir suchen einen Entwickler mit Erfahrung in Python und maschinellem "
                   "Lernen, der Modelle trainiert und bereitstellt.", encoding="utf-8")
    refused = run("interview", "--jd", str(bad), data_dir=fresh_data_dir, check=False)
    assert refused.returncode == 2 and "German" in refused.stderr


def test_guide_add_and_list_your_own_questions(tmp_path):
    mine = tmp_path / "mine.txt"
    mine.write_text("- What is a vector database and when would you use one?\n"
                    "- How does hybrid search combine BM25 with embeddings?\n", encoding="utf-8")
    data = tmp_path / "data"
    assert "2 questions added, 0 already there" in run("guide", "add", str(mine),
                                                       data_dir=data).stdout
    listed = json.loads(run("guide", "list", "--json", data_dir=data).stdout)
    assert [q["text"] for q in listed][0].startswith("What is a vector database")
    assert all(q["id"].startswith("u-") for q in listed)
    empty = tmp_path / "empty.md"
    empty.write_text("# Notes\n\nok then\n", encoding="utf-8")
    refused = run("guide", "add", str(empty), data_dir=data, check=False)
    assert refused.returncode == 2 and "no questions found" in refused.stderr
