"""Core and supporting key points: weights, what counts as complete, which gap is probed."""

from __future__ import annotations

import pytest

from interviewer.grading.features import SUPPORTING_WEIGHT, role_share, role_weights
from interviewer.levels import depth_first


def test_a_supporting_point_weighs_half_a_core_one():
    assert role_weights(["core", "supporting"]).tolist() == [1.0, SUPPORTING_WEIGHT]


def test_full_coverage_needs_every_point_and_a_missing_detail_costs_half():
    roles = ["core", "core", "core", "supporting", "supporting"]
    assert role_share(roles) == pytest.approx(1.0)  # full marks mean complete
    weights = role_weights(roles)
    missing_core = 1 - weights[0] / weights.sum()
    missing_detail = 1 - weights[3] / weights.sum()
    assert missing_detail > missing_core
    assert (1 - missing_detail) == pytest.approx((1 - missing_core) * SUPPORTING_WEIGHT)


def test_marked_core_points_decide_when_a_senior_probe_goes_deeper():
    points = ["a", "b", "c", "d"]
    roles = ["supporting", "core", "supporting", "supporting"]
    assert depth_first("senior", ["a", "c", "d"], points, roles)
    assert not depth_first("senior", ["b"], points, roles)
