"""Exact checks of derivations.bl22.vicreg_closed_form (VICReg closed forms, BL22-C2 family)."""

from __future__ import annotations

import pytest
import sympy as sp
import torch

from derivations.bl22 import vicreg_closed_form as vcf


@pytest.mark.parametrize(
    "derivations",
    [
        vcf.column_std_derivation,
        lambda: [vcf.stationarity_derivation()],
        lambda: [vcf.pair_threshold_derivation()],
        lambda: [vcf.pair_hessian_derivation()],
        lambda: [vcf.equal_std_pair_derivation()],
        lambda: vcf.coupled_derivation(3),
        lambda: [vcf.full_rank_threshold_derivation()],
        lambda: vcf.convention_derivation(sp.Rational(1, 2)),
        lambda: vcf.convention_derivation(sp.Integer(1)),
    ],
)
def test_derivations_hold(derivations):
    for derivation in derivations():
        assert derivation.holds, (derivation.statement, derivation.check().residual_text())


def test_stationary_point_is_solved_not_typed():
    expected = vcf.ALPHA * vcf.N / (4 * vcf.GAMMA * vcf.LAM * (vcf.N - 1))
    assert sp.simplify(vcf.T_STAR - expected) == 0


def test_column_std_values():
    t = vcf.column_std_torch()
    lam = torch.tensor([0.0, -1e-15, 0.1, 2.0], dtype=torch.float64)
    # alpha = 25, gamma = 25, N = 8: t* = 25 * 8 / (4 * 25 * lam * 7) = 2 / (7 lam)
    out = t(lam, 25.0, 25.0, 8)
    assert out.tolist() == pytest.approx([1.0, 1.0, 1.0, 1.0 / 7.0], rel=1e-15)


def test_column_loss_is_f_at_t():
    loss = vcf.column_loss_torch()
    # lambda = 2, t = 1/7: alpha (1 - t) + c lambda t^2 with c = 2 * 25 * 7 / 8
    expected = 25 * (1 - 1 / 7) + 2 * 25 * 7 / 8 * 2 / 49
    assert float(loss(torch.tensor([2.0]), 25.0, 25.0, 8)) == pytest.approx(expected, rel=1e-14)


def test_pair_threshold_value():
    fn = vcf.pair_beta_threshold_torch()
    args = [torch.tensor(v, dtype=torch.float64) for v in (4.0, 0.0, 2.0, 1.0, 0.5)]
    # c (lambda_j - lambda_k) / (2 (a - b)) = 4 * 2 / (2 * 0.5)
    assert float(fn(*args)) == pytest.approx(8.0, rel=1e-15)


def test_coupled_spectrum_sums_to_k():
    mu, nu = vcf.coupled_torch()
    lam = torch.tensor([0.1, 0.5, 1.2], dtype=torch.float64)
    values = mu(*[torch.as_tensor(v, dtype=torch.float64)
                  for v in (2.0, lam, lam.mean(), 3, 3, 4.0)])
    assert float(values.sum()) == pytest.approx(3.0, rel=1e-15)
    # nu = c mean(lambda) when every column is kept
    assert float(nu(*[torch.as_tensor(v, dtype=torch.float64)
                      for v in (2.0, lam.mean(), 3, 3, 4.0)])) == pytest.approx(1.2, rel=1e-14)


def test_equal_std_gain_is_positive():
    # The closed form is beaten by c^2 dl^2 / (8 beta) > 0 for every finite beta.
    d = vcf.equal_std_pair_derivation()
    assert d.holds
    r_star = d.closed_form_torch()(*[torch.tensor(v, dtype=torch.float64)
                                     for v in (2.0, 0.0, 1.0, 10.0)])
    assert float(r_star) == pytest.approx(0.05, rel=1e-15)
