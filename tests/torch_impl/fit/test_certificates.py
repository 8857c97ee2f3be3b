"""Tests of torch_impl.fit.certificates: the minimum-norm subgradient, the kink certificate and
the certificate's rounding floor."""

from __future__ import annotations

import math

import pytest
import torch

from tests.torch_impl.fit.data import F64, G_SMALL, SMALL_VICREG
from torch_impl.fit import (
    HingeObjective,
    min_norm_subgradient,
    optimality_certificate,
    vicreg_objective,
)
from torch_impl.fit.certificates import certificate_vector, certify, rounding_floor


def test_min_norm_subgradient_zero_when_kink_is_stationary():
    # f(x) = relu(x) - 0.5 x at x = 0: subdifferential [-0.5, 0.5] contains 0.
    one = torch.tensor([[1.0]], dtype=F64)
    norm, c = min_norm_subgradient(torch.tensor([-0.5], dtype=F64), one)
    assert norm == 0.0
    assert c.tolist() == [0.5]


def test_min_norm_subgradient_exact_distance_when_not_stationary():
    # f(x) = relu(x) + 0.5 x at 0: subdifferential [0.5, 1.5], distance to 0 is 0.5.
    one = torch.tensor([[1.0]], dtype=F64)
    norm, c = min_norm_subgradient(torch.tensor([0.5], dtype=F64), one)
    assert norm == pytest.approx(0.5, abs=1e-15)
    assert c.tolist() == [0.0]
    # Two kinks: the first can cancel its coordinate (c = 0.5), the second saturates at c = 1
    # leaving 1 - 0.5 = 0.5 in the other coordinate.
    base = torch.tensor([1.0, 1.0], dtype=F64)
    grads = torch.tensor([[-2.0, 0.0], [0.0, -0.5]], dtype=F64)
    norm, c = min_norm_subgradient(base, grads)
    assert norm == pytest.approx(0.5, abs=1e-15)
    assert c.tolist() == pytest.approx([0.5, 1.0], abs=1e-15)
    # Linearly dependent kink gradients and an empty kink set.
    norm, _ = min_norm_subgradient(base, torch.tensor([[-0.5, -0.5], [-0.5, -0.5]], dtype=F64))
    assert norm == pytest.approx(0.0, abs=1e-15)
    norm, c = min_norm_subgradient(base, torch.zeros(0, 2, dtype=F64))
    assert norm == pytest.approx(math.sqrt(2))
    assert c.numel() == 0


def test_hinge_objective_certificate_on_hand_made_kink():
    # smooth = 0.5 ||z||^2 - 0.5 z_0; hinge h(z) = z_0 with weight 1, at z = 0: kink, the
    # subgradient -0.5 + c is 0 at c = 0.5.
    obj = HingeObjective(lambda z: 0.5 * z.square().sum() - 0.5 * z[0], lambda z: z[:1], 1.0)
    loss, cert, criterion = optimality_certificate(obj, torch.zeros(2, dtype=F64))
    assert (loss, cert, criterion) == (0.0, 0.0, "min-norm-subgradient")
    loss, cert, _ = optimality_certificate(obj, torch.tensor([0.0, 0.25], dtype=F64))
    assert cert == pytest.approx(0.25)


# -- the rounding floor ------------------------------------------------------------------------
def _quadratic(a: torch.Tensor, c: torch.Tensor):
    """f(x) = 0.5 sum_i a_i (x_i - c_i)^2: at x_j = c_j + s_j ulp(c_j) the gradient is
    a_j (x_j - c_j), whose difference is exact (Sterbenz): a rounding you can bound."""
    def loss(x: torch.Tensor) -> torch.Tensor:
        return 0.5 * (a * (x - c).square()).sum()
    return loss


def _ulp(c: torch.Tensor) -> torch.Tensor:
    return torch.nextafter(c, torch.full_like(c, math.inf)) - c


def test_rounding_floor_of_a_quadratic_is_one_ulp_of_its_gradient():
    # Each neighbour moves x_j by +-ulp(c_j), so the certificate vector's entries spread by
    # a_j ulp(c_j) (variance of a +-1 sign: 1): floor = ||a * ulp(c)|| (f ~ 0 < 1), up to the
    # sampling error of 8 draws over 256 entries (~5%).
    gen = torch.Generator().manual_seed(1)
    c = 1e6 * (1 + torch.rand(256, generator=gen, dtype=F64))
    a = 0.5 + torch.rand(256, generator=gen, dtype=F64)
    expected = float((a * _ulp(c)).norm())
    at_optimum = rounding_floor(_quadratic(a, c), c, 1e-8)
    assert at_optimum.certificate == 0.0  # x = c exactly: the gradient is exactly 0
    assert at_optimum.samples == 8
    assert 0.85 * expected <= at_optimum.floor <= 1.15 * expected
    # Away from the optimum the exact gradient is common to the neighbours: the same floor,
    # the certificate far above it.
    away = rounding_floor(_quadratic(a, c), c + 1e-3, 1e-8)
    assert away.floor == pytest.approx(at_optimum.floor, rel=0.15)
    assert away.certificate == pytest.approx(1e-3 * float(a.norm()), rel=1e-6)
    assert away.ratio > 1e3


def test_rounding_floor_is_relative_to_a_large_loss():
    gen = torch.Generator().manual_seed(2)
    c = 1e6 * (1 + torch.rand(64, generator=gen, dtype=F64))
    a = torch.ones(64, dtype=F64)

    def shifted(x: torch.Tensor) -> torch.Tensor:
        return _quadratic(a, c)(x) + 1e4

    plain, large = rounding_floor(_quadratic(a, c), c, 1e-8), rounding_floor(shifted, c, 1e-8)
    assert large.floor == pytest.approx(plain.floor / 1e4, rel=1e-6)


def test_certificate_vector_is_what_the_certificate_measures():
    obj = vicreg_objective(G_SMALL, **SMALL_VICREG)
    Z = torch.randn(6, 3, generator=torch.Generator().manual_seed(0), dtype=F64)
    loss, certificate = certify(obj, Z, 1e-8)
    vector_loss, vector = certificate_vector(obj, Z, 1e-8)
    assert vector_loss == loss
    assert vector.shape == Z.shape
    assert float(vector.norm()) / max(1.0, abs(loss)) == pytest.approx(certificate, rel=1e-12)
