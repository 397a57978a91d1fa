"""The contradiction model: what ships names its data, and the fit is a real fit."""

from __future__ import annotations

import hashlib
import json

import numpy as np

from interviewer.grading.contradiction import (FEATURES, MODEL_PATH, ContradictionModel,
                                               fit_logistic)


def test_the_shipped_model_names_its_data_command_and_cross_validated_figures(repo):
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert tuple(data["weights"]) == FEATURES
    meta = data["meta"]
    assert meta["command"] == "python -m evals.contradiction --write"
    for item in meta["data"]:
        path = repo / "evals" / "data" / item["file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == item["sha256"], item["file"]
    cv = meta["cross_validated"]
    # The threshold was chosen to spare right answers; the file says how well it did.
    from evals.contradiction import MIN_WHOLE_CONTRADICTION

    assert cv["threshold"] == data["threshold"]
    assert data["min_whole_contradiction"] == MIN_WHOLE_CONTRADICTION
    assert cv["right_answers_flagged"] <= 0.02
    assert 0 < cv["wrong_answers_with_a_right_flag"] <= 1


def test_a_point_the_answer_talks_about_without_stating_it_reads_as_contradicted():
    model = ContradictionModel.load()
    about_it = {"whole_contradiction": 1.0, "whole_support": -1.0, "sentence_margin": 4.0,
                "nearest_cosine": 0.7, "strength": 0.0}
    states_it = dict(about_it, strength=0.9, whole_support=3.0, sentence_margin=-3.0)
    elsewhere = dict(about_it, nearest_cosine=0.2)
    p = model.probability(about_it)
    assert p >= model.threshold
    assert model.probability(states_it) < p and model.probability(elsewhere) < p


def test_without_a_model_nothing_is_called_contradicted(tmp_path):
    model = ContradictionModel.load(tmp_path / "absent.json")
    assert not model.fitted and model.probability({f: 1.0 for f in FEATURES}) is None


def test_fit_logistic_recovers_the_direction_that_separates():
    rng = np.random.RandomState(0)
    x = rng.normal(size=(400, 3))
    y = (x[:, 0] - 2 * x[:, 2] + 0.3 * rng.normal(size=400) > 0).astype(float)
    w, b = fit_logistic(x, y, l2=0.1)
    assert w[0] > 0 and w[2] < 0 and abs(w[1]) < abs(w[0]) / 3
    accuracy = ((x @ w + b > 0) == (y > 0)).mean()
    assert accuracy > 0.9
