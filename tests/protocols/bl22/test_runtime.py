"""Tests of tests/claims/bl22/protocols/runtime.py and settings.py."""

from __future__ import annotations

import pytest
import torch

from tests.claims.bl22.protocols import runtime, settings


def test_single_thread_runs_on_one_thread_and_restores():
    before = torch.get_num_threads()
    with runtime.single_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_single_thread_restores_after_an_exception():
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError), runtime.single_thread():
        raise RuntimeError("inside")
    assert torch.get_num_threads() == before


def test_generator_is_seeded():
    a = torch.randn(3, generator=runtime.generator(7), dtype=torch.float64)
    b = torch.randn(3, generator=runtime.generator(7), dtype=torch.float64)
    assert torch.equal(a, b)


def test_thresholds_are_ordered_between_roundoff_and_predicted_values():
    # Rank thresholds sit above float64 round-off and below the smallest predicted nonzero
    # singular value ratio of the audited optima (1e-3).
    assert 1e-12 < settings.RANK_RTOL < settings.BN_RANK_RTOL < 1e-3
    assert settings.CLUSTER_TOL < settings.GAP_RTOL < settings.RANK_RTOL
