"""`python -m evals.load` from the command line: its own app, browsers and JSON report."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_load_eval_with_two_sessions_reports_every_figure(repo, kb):
    proc = subprocess.run([sys.executable, "-m", "evals.load", "--sessions", "2", "--answers",
                           "1", "--time-limit-s", "600"], cwd=repo, capture_output=True,
                          text=True, timeout=700)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["sessions"] == 2 and report["errors"] == []
    assert report["answers_submitted"] == report["answers_stored"] == 2
    assert report["cross_talk"] == 0
    latency = report["submit_to_feedback_s"]
    assert latency["n"] == 2 and 0 < latency["p50"] <= latency["p95"] <= latency["max"]
    assert len(report["app_peak_rss_mb"]) == 1 and report["app_peak_rss_mb"][0] > 50


def test_load_eval_on_two_replicas_kills_one_and_loses_nothing(repo, kb):
    proc = subprocess.run([sys.executable, "-m", "evals.load", "--replicas", "2", "--sessions",
                           "2", "--answers", "2", "--time-limit-s", "600"], cwd=repo,
                          capture_output=True, text=True, timeout=700)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["replicas"] == 2 and report["store"] == "PostgreSQL + Chroma server"
    assert report["errors"] == [] and report["cross_talk"] == 0
    assert report["answers_submitted"] == report["answers_stored"] == 4
    failover = report["failover"]
    # One of the two sessions was on the killed replica, which died right after that
    # session's first answer was graded: it moved and finished on the other, with
    # every answer there.
    assert failover["sessions_on_it"] == 1
    assert failover["moved_and_complete"] == failover["sessions_moved"] == \
        failover["sessions_interrupted"] == 1
    assert len(report["app_peak_rss_mb"]) == 2 and min(report["app_peak_rss_mb"]) > 50
