"""The contradiction model: what ships names its data, and the fit is a real fit."""

from __future__ import annotations

import hashlib
import json

import numpy as np

from interviewer.grading.contradiction import (FEATURES, MIN_POINTS_FOR_CONTEXT, MODEL_PATH,
                                               POINT_FEATURES, ContradictionModel,
                                               add_answer_context, fit_logistic)


def test_the_shipped_model_names_its_data_command_and_cross_validated_figures(repo):
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert tuple(data["weights"]) == FEATURES
    assert tuple(data["few_points"]["weights"]) == POINT_FEATURES
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
                "nearest_cosine": 0.7, "strength": 0.0, "sentence_contradiction": 1.5,
                "nearest_support": -2.0, "nearest_contradiction": 1.5,
                "answer_contradiction_mean": 0.5, "other_contradiction_max": 1.0,
                "other_margin_max": 3.0}
    states_it = dict(about_it, strength=0.9, whole_support=3.0, sentence_margin=-3.0,
                     nearest_support=3.0, nearest_contradiction=-3.0)
    elsewhere = dict(about_it, nearest_cosine=0.2)
    p = model.probability(about_it)
    assert p >= model.threshold
    assert model.probability(states_it) < p and model.probability(elsewhere) < p


def test_the_same_reading_weighs_less_in_an_answer_that_reads_right_elsewhere():
    model = ContradictionModel.load()
    point = {"whole_contradiction": 0.0, "whole_support": -1.0, "sentence_margin": 2.0,
             "nearest_cosine": 0.7, "strength": 0.0, "sentence_contradiction": 0.5,
             "nearest_support": -2.0, "nearest_contradiction": 0.5}
    wrong_elsewhere = dict(point, answer_contradiction_mean=0.5, other_contradiction_max=1.5,
                           other_margin_max=4.0)
    right_elsewhere = dict(point, answer_contradiction_mean=-2.5, other_contradiction_max=-1.0,
                           other_margin_max=-3.0)
    assert model.probability(right_elsewhere) < model.threshold <= model.probability(
        wrong_elsewhere)


def test_a_key_of_few_points_is_read_on_the_point_alone():
    model = ContradictionModel.load()
    few = model.few_points
    point = {"whole_contradiction": 0.5, "whole_support": -1.0, "sentence_margin": 2.0,
             "nearest_cosine": 0.7, "strength": 0.0, "sentence_contradiction": 0.5,
             "nearest_support": -2.0, "nearest_contradiction": 0.5,
             "points_in_key": MIN_POINTS_FOR_CONTEXT - 1}
    calm = dict(point, answer_contradiction_mean=-3.0, other_contradiction_max=-3.0,
                other_margin_max=-4.0)
    alarmed = dict(point, answer_contradiction_mean=2.0, other_contradiction_max=2.0,
                   other_margin_max=5.0)
    # The context readings do not count for a key this small ...
    assert model.probability(calm) == model.probability(alarmed)
    # ... and the few-points model's verdict is kept, on the shared threshold.
    for cosine in np.linspace(0.0, 1.0, 21):
        reading = dict(calm, nearest_cosine=float(cosine))
        own = 1 / (1 + np.exp(-few.logit(reading)))
        assert (model.probability(reading) >= model.threshold) == (own >= few.threshold)
    # With enough points the context counts.
    big = {**calm, "points_in_key": MIN_POINTS_FOR_CONTEXT}
    assert model.probability(big) != model.probability({**alarmed, "points_in_key": 3})


def test_answer_context_reads_the_other_points():
    readings = [{"whole_contradiction": c, "sentence_margin": m}
                for c, m in ((1.0, 2.0), (-3.0, -1.0), (-1.0, 5.0))]
    add_answer_context(readings)
    assert readings[0]["other_contradiction_max"] == -1.0
    assert readings[1]["other_contradiction_max"] == 1.0
    assert readings[0]["other_margin_max"] == 5.0 and readings[2]["other_margin_max"] == 2.0
    assert all(r["answer_contradiction_mean"] == -1.0 for r in readings)
    assert all(r["points_in_key"] == 3 for r in readings)
    alone = [{"whole_contradiction": 2.0, "sentence_margin": 1.0}]
    add_answer_context(alone)
    assert alone[0]["other_contradiction_max"] == 2.0 and alone[0]["other_margin_max"] == 1.0


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
