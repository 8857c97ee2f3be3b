"""tests/claims/ga23/protocols/families.py: the method table of GA23-P2 and its helpers."""

from __future__ import annotations

import math

import pytest
import torch

from tests.claims.ga23.protocols import families
from torch_impl.family import LossFamily, LossRepulsion


def test_tables_cover_exactly_the_methods():
    assert set(families.DERIVED_INVARIANCE) == set(families.METHODS)
    assert set(families.PAPER_FAMILY) <= set(families.METHODS)
    # Prop. 3.2's methods come first, in the paper's order (the first failing point of GA23-P2
    # is then the first failing method in the paper's order).
    assert families.METHODS[: len(families.PAPER_FAMILY)] == tuple(families.PAPER_FAMILY)
    assert set(families.PAPER_FAMILY.values()) == {"sample-contrastive", "dimension-contrastive"}
    assert all(len(v) == len(families.OUTCOMES) for v in families.DERIVED_INVARIANCE.values())


@pytest.mark.parametrize("method", families.METHODS)
def test_every_method_is_a_finite_two_branch_loss(method):
    gen = torch.Generator().manual_seed(0)
    z_a = torch.randn(5, 3, generator=gen, dtype=torch.float64)
    value = families.method_loss(method)(z_a, z_a + 0.1)
    assert value.shape == ()
    assert math.isfinite(float(value))


def test_outcomes_read_the_report_against_its_tolerance():
    repulsion = LossRepulsion("repulsive", 0.5, 0.6, "", 1e-10, 4, 3, 1, 0, "a function", "seeded")
    report = LossFamily("neither", False, False, 1e-15, 2e-10, 1e-10, 0.3, 1e-10, 4, 3, 1, 0,
                        "a function", "seeded", repulsion)
    assert families.outcomes(report) == (True, False, True, False)


def test_classify_a_centred_covariance_method():
    report = families.classify("vicreg-official", 6, 4, 0, 2, "cpu")
    assert families.outcomes(report) == families.DERIVED_INVARIANCE["vicreg-official"]
    assert (report.n, report.m, report.trials, report.seed) == (6, 4, 2, 0)


def test_shapes_and_trials_per_profile():
    assert families.shapes("quick") == ((6, 4),)
    full = families.shapes("full")
    assert any(n > m for n, m in full)
    assert any(n < m for n, m in full)
    assert min(min(s) for s in full) >= 2
    assert families.trials("quick") < families.trials("full")
