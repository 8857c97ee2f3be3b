"""Tests of tests/claims/ga23/protocols/sphere.py (tiny problems, hand-computed values)."""

from __future__ import annotations

import math

import pytest
import torch

from tests.claims.ga23.protocols import sphere
from torch_impl.losses import simclr_two_branch_loss

F64 = torch.float64


def _collapsed_simplex(n: int, m: int) -> torch.Tensor:
    """Both views of sample i at vertex i of a regular simplex of n vertices in R^m (m >= n-1)."""
    vertices = torch.eye(n, dtype=F64) - 1.0 / n
    vertices = torch.nn.functional.normalize(vertices, dim=1)
    basis = torch.linalg.svd(vertices, full_matrices=False)
    coords = vertices @ basis.Vh[: n - 1].T
    z = torch.zeros(n, m, dtype=F64)
    z[:, : n - 1] = coords
    return torch.cat([z, z])


def _polygon(n: int) -> torch.Tensor:
    angle = 2 * math.pi * torch.arange(n, dtype=F64) / n
    v = torch.stack([angle.cos(), angle.sin()], dim=1)
    return torch.cat([v, v])


def test_uniform_cosines_are_seeded_unit_products():
    a = sphere.uniform_cosines(3, 50, seed=4)
    assert torch.equal(a, sphere.uniform_cosines(3, 50, seed=4))
    assert a.shape == (50,)
    assert a.dtype == F64
    assert float(a.abs().max()) <= 1.0 + 1e-15
    # M = 1: every cosine is exactly +-1.
    assert torch.equal(sphere.uniform_cosines(1, 20, seed=0).abs(), torch.ones(20, dtype=F64))


def test_uniform_cosines_reject_bad_sizes():
    with pytest.raises(ValueError, match="m must be >= 1"):
        sphere.uniform_cosines(0, 10, seed=0)


def test_sphere_moments_are_within_a_few_standard_errors():
    moments = sphere.sphere_moments(4, 4096, seed=1)
    assert moments.z_mean < 5
    assert moments.z_variance < 5
    assert moments.z_fourth < 5
    assert abs(moments.m_variance - 1) < 0.1


def test_sphere_moments_standard_errors_by_hand():
    # se(mean) = 1/sqrt(M n); se(s^2) = sqrt((mu4 - sigma^4 (n-3)/(n-1)) / n), mu4 = 3/(M(M+2)).
    m, n = 2, 1000
    t = sphere.uniform_cosines(m, n, seed=2)
    moments = sphere.sphere_moments(m, n, seed=2)
    assert moments.z_mean == pytest.approx(abs(float(t.mean())) * math.sqrt(m * n), rel=1e-12)
    se_var = math.sqrt((3 / 8 - 0.25 * (n - 3) / (n - 1)) / n)
    expected = abs(m * float(t.var()) - 1) / (m * se_var)
    assert moments.z_variance == pytest.approx(expected, rel=1e-12)
    assert moments.m_variance == pytest.approx(m * float(t.var()), rel=1e-12)


def test_sphere_moments_reject_m_1():
    with pytest.raises(ValueError, match="two-point"):
        sphere.sphere_moments(1, 100, seed=0)


def test_negative_statistics_of_the_collapsed_simplex():
    stats = sphere.negative_statistics(_collapsed_simplex(4, 5))
    assert stats.mean == pytest.approx(-1 / 3, abs=1e-14)
    assert stats.m_variance == pytest.approx(0.0, abs=1e-14)
    assert stats.positive_gap == pytest.approx(0.0, abs=1e-14)
    assert stats.simplex_deviation < 1e-14
    assert abs(stats.centroid_excess) < 1e-14


def test_negative_statistics_of_a_polygon_meet_the_tight_frame_law():
    # The regular 8-gon is a centred tight frame of R^2: the lower bounds are attained.
    stats = sphere.negative_statistics(_polygon(8))
    law = sphere.finite_batch_law(8, 2)
    assert stats.mean == pytest.approx(law.mean_bound, abs=1e-14)
    assert stats.m_variance == pytest.approx(law.variance_bound, abs=1e-14)
    assert law.variance_bound == pytest.approx(8 * 5 / 49, abs=1e-15)
    assert law.rate == pytest.approx(9 / 49, abs=1e-15)


def test_negative_statistics_count_only_negatives():
    # N = 2, M = 1: views (+1, -1) of two samples, positives aligned: negatives all -1.
    z = torch.tensor([[1.0], [-1.0], [1.0], [-1.0]], dtype=F64)
    stats = sphere.negative_statistics(z)
    assert stats.mean == -1.0
    assert stats.m_variance == 0.0
    assert stats.positive_gap == 0.0
    # Misaligned positives are seen.
    z = torch.tensor([[1.0], [-1.0], [-1.0], [-1.0]], dtype=F64)
    assert sphere.negative_statistics(z).positive_gap == 2.0


def test_negative_statistics_reject_odd_rows():
    with pytest.raises(ValueError, match="2N, M"):
        sphere.negative_statistics(torch.zeros(5, 2, dtype=F64))


def test_finite_batch_law_clips_at_zero_below_the_simplex():
    assert sphere.finite_batch_law(3, 4).variance_bound == 0.0
    assert sphere.finite_batch_law(3, 4).rate == 1.0
    with pytest.raises(ValueError, match="n must be >= 2"):
        sphere.finite_batch_law(1, 2)


@pytest.mark.parametrize("method", sphere.METHODS)
def test_collapsed_minimum_is_the_loss_of_the_collapsed_simplex(method):
    z = _collapsed_simplex(3, 2)
    decoupled = method == "dcl"
    loss = float(simclr_two_branch_loss(z[:3], z[3:], tau=0.7, decoupled=decoupled))
    assert loss == pytest.approx(sphere.collapsed_minimum(method, 3, 0.7), abs=1e-13)


def test_collapsed_minimum_rejects_an_unknown_method():
    with pytest.raises(ValueError, match="method must be one of"):
        sphere.collapsed_minimum("byol", 3, 0.5)


def test_fit_two_branch_reaches_the_simplex():
    fit = sphere.fit_two_branch("dcl", 3, 2, 0.5, seed=0)
    stats = sphere.negative_statistics(fit.z)
    assert fit.z.shape == (6, 2)
    assert stats.simplex_deviation < 1e-8
    assert fit.loss == pytest.approx(sphere.collapsed_minimum("dcl", 3, 0.5), abs=1e-10)
