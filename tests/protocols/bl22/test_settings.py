"""Tests of tests/claims/bl22/protocols/settings.py."""

from __future__ import annotations

from tests.claims.bl22.protocols import settings


def test_thresholds_are_ordered_between_roundoff_and_predicted_values():
    # Rank thresholds sit above float64 round-off and below the smallest predicted nonzero
    # singular value ratio of the audited optima (1e-3).
    assert 1e-12 < settings.RANK_RTOL < settings.BN_RANK_RTOL < 1e-3
    assert settings.CLUSTER_TOL < settings.GAP_RTOL < settings.RANK_RTOL
