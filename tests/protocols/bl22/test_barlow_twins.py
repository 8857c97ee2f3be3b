"""Tests of tests/claims/bl22/protocols/barlow_twins.py."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
import torch

from tests.claims.bl22.protocols import barlow_twins as bt
from tests.claims.bl22.protocols.settings import GRAD_TOL
from torch_impl.losses import barlow_twins_correlation, barlow_twins_loss_from_relation
from torch_impl.metrics import containment_angle
from torch_impl.relations import (
    as_relation,
    class_relation,
    component_indicators,
    knn_relation,
    views_relation,
)


def test_bt_alphas_per_profile():
    assert bt.bt_alphas("quick") == (0.1,)
    assert bt.bt_alphas("full") == (0.005, 0.1, 1.0) == bt.BT_ALPHAS


def test_bt_alphas_rejects_an_unknown_profile():
    with pytest.raises(ValueError, match="profile"):
        bt.bt_alphas("medium")


def test_bn_standardise_is_batchnorm_per_branch():
    z = torch.tensor([[1.0, 2.0], [3.0, -1.0], [0.0, 4.0], [2.0, 2.0]], dtype=torch.float64)
    out = bt.bn_standardise(z)
    # Branch a = rows 0, 1: column 0 is (1, 3), mean 2, biased variance 1.
    assert out[0, 0] == pytest.approx(-1 / math.sqrt(1 + bt.BN_EPS), rel=1e-15)
    assert out[1, 0] == pytest.approx(1 / math.sqrt(1 + bt.BN_EPS), rel=1e-15)
    # Branch b = rows 2, 3: column 1 is (4, 2), mean 3, biased variance 1.
    assert out[2, 1] == pytest.approx(1 / math.sqrt(1 + bt.BN_EPS), rel=1e-15)
    assert out.shape == (4, 2)
    torch.testing.assert_close(out[:2].mean(dim=0), torch.zeros(2, dtype=torch.float64),
                               rtol=0, atol=1e-15)


def test_zero_loss_start_has_zero_loss_and_rejects_k_above_c():
    G = as_relation(class_relation((2, 3, 4)))  # unequal classes: D is not a multiple of I
    z = bt.zero_loss_start(G, 3)
    assert z.shape == (9, 3)
    assert float(barlow_twins_loss_from_relation(z, G, alpha=1.0)) < 1e-28
    torch.testing.assert_close(barlow_twins_correlation(z, G),
                               torch.eye(3, dtype=torch.float64), rtol=0, atol=1e-15)
    with pytest.raises(ValueError, match="K <= c"):
        bt.zero_loss_start(G, 4)


def test_column_scalings_are_symmetries_of_the_paper_loss():
    G = views_relation(2, 2)
    z = torch.randn(4, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    generators = bt.column_scalings(z)
    assert generators.shape == (3, 4, 3)
    z = z.requires_grad_(True)
    (grad,) = torch.autograd.grad(barlow_twins_loss_from_relation(z, G, alpha=0.1), z)
    # The loss's directional derivative along each generator vanishes (column scale-free).
    assert float((generators * grad).sum(dim=(1, 2)).abs().max()) < 1e-14


def test_fit_bt_from_a_candidate_records_its_curvature():
    G = views_relation(2, 2)
    fit = bt.fit_bt(lambda z: barlow_twins_loss_from_relation(z, G, alpha=0.1), (4, 2), seed=0,
                    inits=[bt.zero_loss_start(as_relation(G), 2)],
                    symmetries=bt.column_scalings)
    assert fit.loss < 1e-20
    assert fit.min_tangent_eig >= -1e-9
    with pytest.raises(ValueError, match="inits"):
        bt.fit_bt(lambda z: z.sum(), (4, 2), seed=0, inits=[fit.z] * 3)


def test_fit_bt_reaches_zero_loss_inside_span_p_when_k_le_c():
    # views graph N' = 2, V = 2: c = 2 components, K = 2 <= c (BL22-C6a).
    G = views_relation(2, 2)
    fit = bt.fit_bt(lambda z: barlow_twins_loss_from_relation(z, G, alpha=0.1), (4, 2), seed=0)
    assert fit.loss < 1e-20
    assert fit.grad_norm <= 1e-8
    # At a zero-loss point the loss is quartic in the angle to span P (1 - C_ii ~ angle^2), so
    # a loss of 1e-20 pins the angle only to ~1e-5: held to BL22-C6a's tolerance, 1e-6, a
    # bound that does not depend on the CPU (an AVX-512 CPU reaches 1.3e-8 here).
    assert containment_angle(fit.z, component_indicators(G), 1e-6) < 1e-6


def test_fit_bt_reaches_the_excess_loss_when_k_gt_c():
    # K = 3 > c = 2: minimum alpha K (K - c) / (c + alpha (K - c)) = 0.3 / 2.1 (BL22-C6b).
    G = views_relation(2, 2)
    fit = bt.fit_bt(lambda z: barlow_twins_loss_from_relation(z, G, alpha=0.1), (4, 3), seed=0)
    assert fit.loss == pytest.approx(0.3 / 2.1, rel=1e-10)


def _exact_diagonal_term(z: torch.Tensor, G) -> Fraction:
    # sum_k (1 - C_kk)^2 of the snippet in rational arithmetic at the float64 point z (columns
    # of norm > eps): with a = Z[rows], b = Z[cols] and ||a_k|| = ||b_k|| (G symmetric),
    # 1 - C_kk = ||a_k - b_k||^2 / (2 ||a_k||^2).
    a = [[Fraction(v) for v in row] for row in z[G.rows].tolist()]
    b = [[Fraction(v) for v in row] for row in z[G.cols].tolist()]
    total = Fraction(0)
    for k in range(z.shape[1]):
        gap = (sum((ra[k] - rb[k]) ** 2 for ra, rb in zip(a, b, strict=True))
               / (2 * sum(r[k] * r[k] for r in a)))
        total += gap * gap
    return total


@pytest.mark.parametrize("alpha", [0.0, 0.1, 1.0])
@pytest.mark.parametrize("graph", ["views", "classes", "knn"])
def test_accurate_loss_equals_the_snippet_loss_on_random_inputs(graph, alpha):
    G = {"views": views_relation(3, 2), "classes": class_relation((2, 3, 4)),
         "knn": knn_relation(torch.randn(9, 2, generator=torch.Generator().manual_seed(5),
                                         dtype=torch.float64), 2)}[graph]
    G = as_relation(G)
    for seed in range(3):
        z = torch.randn(G.n, 3, generator=torch.Generator().manual_seed(seed),
                        dtype=torch.float64)
        torch.testing.assert_close(bt.accurate_loss(z, G, alpha=alpha),
                                   barlow_twins_loss_from_relation(z, G, alpha=alpha),
                                   rtol=1e-12, atol=0.0)


def test_accurate_loss_floors_tiny_columns_at_the_snippet_eps():
    G = as_relation(views_relation(3, 2))
    z = torch.randn(6, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    z[:, 1] *= 1e-9  # column norm below eps = 1e-6: F.normalize divides by eps instead
    torch.testing.assert_close(bt.accurate_loss(z, G, alpha=0.3),
                               barlow_twins_loss_from_relation(z, G, alpha=0.3),
                               rtol=1e-12, atol=0.0)


def test_accurate_loss_resolves_the_diagonal_term_next_to_a_zero_loss_point():
    # 1e-9 off span P, sum_k (1 - C_kk)^2 is ~1e-36, below what 1 - cos resolves (~1e-16 per
    # column, squared). The accurate form must match the rational value; the snippet must not
    # (else this test could not tell the two apart). alpha = 0 isolates the diagonal term, the
    # only one formed differently (the off-diagonal C_kl keep the snippet's absolute rounding).
    G = as_relation(class_relation((2, 3, 4)))
    P = component_indicators(G)
    w = torch.randn(9, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    w = w - P @ torch.linalg.lstsq(P, w).solution  # out of span P
    z = bt.zero_loss_start(G, 2) + 1e-9 * w
    exact = _exact_diagonal_term(z, G)
    ours = Fraction(float(bt.accurate_loss(z, G, alpha=0.0)))
    assert abs(ours - exact) <= Fraction(1, 10**12) * exact
    snippet = Fraction(float(barlow_twins_loss_from_relation(z, G, alpha=0.0)))
    assert abs(snippet - exact) > exact


def test_polish_accurate_moves_a_point_into_span_p_and_certifies_the_snippet_loss():
    G = as_relation(class_relation((2, 3, 4)))
    P = component_indicators(G)
    w = torch.randn(9, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    z = bt.zero_loss_start(G, 3) + 1e-5 * (w - P @ torch.linalg.lstsq(P, w).solution)
    assert containment_angle(z, P, 1e-6) > 1e-5
    polished, loss, certificate = bt.polish_accurate(z, G, 0.1)
    assert containment_angle(polished, P, 1e-6) < 1e-8
    assert loss < 1e-28
    assert certificate <= GRAD_TOL
    assert loss == float(barlow_twins_loss_from_relation(polished, G, alpha=0.1))
