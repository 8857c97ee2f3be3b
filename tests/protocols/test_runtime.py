"""Tests of tests/claims/runtime.py (shared by both papers' protocols)."""

from __future__ import annotations

import pytest
import torch

from tests.claims import runtime


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
