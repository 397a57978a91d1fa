"""The eval commands, run as users run them, on small inputs of the project's own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evals.common import pearson, roc_auc, spearman


def run_eval(module, *args, data_dir=None):
    env = dict(os.environ)
    if data_dir:
        env["INTERVIEWER_DATA_DIR"] = str(data_dir)
    proc = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True,
                          env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), proc.stderr


def test_metrics_against_known_values():
    assert pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [10, 20, 30, 25]) == pytest.approx(0.8)
    assert spearman([1, 1, 2], [1, 2, 3]) == pytest.approx(0.866, abs=1e-3)  # ties averaged
    assert spearman([3, 1, 2], [30, 10, 20]) == pytest.approx(1.0)
    assert roc_auc([0.9, 0.8, 0.3, 0.1], [1, 1, 0, 0]) == 1.0
    assert roc_auc([0.1, 0.8, 0.3, 0.9], [1, 1, 0, 0]) == 0.25  # 1 of 4 pairs ordered right
    assert roc_auc([0.5, 0.5], [1, 0]) == 0.5


def test_grading_eval_on_a_fixture(repo, fresh_data_dir):
    data = repo / "tests" / "fixtures" / "grading_small.jsonl"
    out, err = run_eval("evals.grading", "--data", str(data), "--json", data_dir=fresh_data_dir)
    assert out["n"] == 10 and out["provider"] == "offline"
    assert {"pearson", "spearman", "rmse", "mae", "roc_auc"} <= set(out)
    assert out["pearson"] > 0.5 and out["roc_auc"] > 0.8  # clear cases, real grader
    assert "grading: 10/10" in err  # progress on stderr
    limited, _ = run_eval("evals.grading", "--data", str(data), "--limit", "4", "--json",
                          data_dir=fresh_data_dir)
    assert limited["n"] == 4


def test_robustness_eval_on_a_small_sample(fresh_data_dir):
    out, _ = run_eval("evals.robustness", "--sample", "6", "--json", data_dir=fresh_data_dir)
    assert set(out["attacks"]) == {"injection", "keyword_list", "question_copy", "padding",
                                   "other_question", "gibberish", "empty"}
    assert all(a["n"] == 6 for a in out["attacks"].values())
    assert out["injection_max_delta"] <= 0
    assert all(a["mean_score"] <= 3 for a in out["attacks"].values())
    assert out["paraphrase_mean"] >= 7


def test_retrieval_eval_for_one_section(fresh_data_dir):
    out, _ = run_eval("evals.retrieval", "--sections", "9", "--json", data_dir=fresh_data_dir)
    assert out["n"] == 20 and out["recall_at_5"] >= out["recall_at_1"] >= 0.9
    assert 0 < out["mrr"] <= 1 and out["paraphrases"]["n"] > 0
    blind = out["paraphrases_blind"]
    assert blind["n"] == 5 and blind["recall_at_5"] >= blind["recall_at_1"]
    assert 0 < out["search_p50_ms"] <= out["search_p95_ms"]


def test_grading_eval_runs_against_an_llm_provider(repo, fresh_data_dir):
    from ..http.fake_llm import FakeLLM

    fake = FakeLLM().start()
    try:
        data = repo / "tests" / "fixtures" / "grading_small.jsonl"
        out, _ = run_eval("evals.grading", "--data", str(data), "--limit", "3", "--provider",
                          "openai-compatible", "--base-url", fake.url + "/v1", "--model", "tiny",
                          "--json", data_dir=fresh_data_dir)
    finally:
        fake.stop()
    assert out["provider"] == "openai-compatible" and out["n"] == 3
    assert out["llm_fallbacks"] == 0 and len(fake.requests) == 3


def test_intents_eval_reports_every_set(fresh_data_dir):
    out, _ = run_eval("evals.intents", "--json", data_dir=fresh_data_dir)
    for name in ("dev", "blind", "blind2"):
        assert out[name]["n"] >= 100 and 0 <= out[name]["accuracy"] <= 1
        assert set(out[name]["per_intent"]) == {"clarify", "repeat", "hint", "dont_know", "skip",
                                                "answer"}
    assert out["key_explanations"]["n"] == 1105 and out["indomain_answers"]["n"] == 432


def test_quotes_eval_checks_each_quote_against_the_readers_labels(tmp_path, fresh_data_dir):
    rows = [json.loads(line) for line in
            (Path(__file__).parents[2] / "evals" / "data" / "quote_labels.jsonl").open()]
    memory = next(r for r in rows if r["question_id"] == "q29-0c064d" and r["point"] == 0)
    chunks = next(r for r in rows if r["question_id"] == "q04-212674" and r["point"] == 4)
    # The readers' own label for the first; for the second, a label that names another
    # sentence of that answer than the one the grader quotes.
    chunks = {**chunks, "best": "Fixed-size chunking never cuts through sentences as long as "
              "you add overlap, so it's perfectly safe for tables too.", "also": []}
    labels = tmp_path / "labels.jsonl"
    labels.write_text("".join(json.dumps(r) + "\n" for r in (memory, chunks)))
    out, _ = run_eval("evals.quotes", "--labels", str(labels), "--compare", "--json",
                      data_dir=fresh_data_dir)
    assert out["answers"] == 2 and out["labelled_flags"] == 2
    assert out["quote_contradicts"] == 0.5 and out["quote_is_first_choice"] == 0.5
    assert out["no_sentence_contradicts"] == 0.0
    # Both answers have other flagged points, which these two labels do not cover.
    assert out["flags"] > 2 and out["flags_without_label"] == out["flags"] - 2
    assert out["rules"] and all(0 <= r["quote_contradicts"] <= 1 for r in out["rules"].values())
