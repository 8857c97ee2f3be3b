"""GA23's VICReg-exp (Eqs. 11-12) and VICReg-ctr (Eq. 13) against their written formulas."""

from __future__ import annotations

import pytest
import torch
from torch.testing import assert_close

from tests.torch_impl.losses.data import random_embedding
from tests.torch_impl.losses.ga23_references import naive_c_exp, naive_vicreg_variant
from torch_impl.losses import (
    VICREG_CONVENTIONS,
    logsumexp_covariance,
    vicreg_ctr_loss,
    vicreg_exp_loss,
    vicreg_loss_convention,
)
from torch_impl.validation import InvalidInputError

EXACT = {"rtol": 1e-12, "atol": 1e-14}
SIZES = [(2, 2), (3, 5), (6, 4), (9, 2)]
LOSSES = {"dimensions": vicreg_exp_loss, "samples": vicreg_ctr_loss}


def _branches(n: int, m: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    z_a = random_embedding(n, m, seed, scale=0.8)
    return z_a, z_a + 0.3 * random_embedding(n, m, seed + 1, scale=0.8)


@pytest.mark.parametrize(("n", "m"), SIZES)
@pytest.mark.parametrize("contrast", LOSSES)
@pytest.mark.parametrize("convention", VICREG_CONVENTIONS)
def test_matches_loop(n, m, contrast, convention):
    z_a, z_b = _branches(n, m, seed=n * 10 + m)
    for tau, d in ((0.2, None), (1.5, 3.0)):
        kwargs = {"sim_coeff": 2.0, "std_coeff": 3.0, "cov_coeff": 0.5, "d": d}
        expected = naive_vicreg_variant(
            z_a, z_b, tau, contrast=contrast, convention=convention, **kwargs
        )
        loss = LOSSES[contrast](z_a, z_b, tau=tau, convention=convention, **kwargs)
        assert_close(loss, torch.tensor(expected, dtype=torch.float64), **EXACT)


@pytest.mark.parametrize(("n", "m"), SIZES)
def test_c_exp_matches_loop_over_dimensions(n, m):
    z = random_embedding(n, m, seed=n + m)
    columns = [[float(x) for x in col] for col in z.T]
    for d in (None, 1.0):
        expected = naive_c_exp(columns, 0.4, d)
        assert_close(
            logsumexp_covariance(z, tau=0.4, d=d),
            torch.tensor(expected, dtype=torch.float64),
            **EXACT,
        )


def test_default_d_is_the_side_of_c():
    z_a, z_b = _branches(6, 4, seed=2)
    assert_close(vicreg_exp_loss(z_a, z_b, tau=0.5), vicreg_exp_loss(z_a, z_b, tau=0.5, d=4.0))
    assert_close(vicreg_ctr_loss(z_a, z_b, tau=0.5), vicreg_ctr_loss(z_a, z_b, tau=0.5, d=6.0))


@pytest.mark.parametrize("loss", LOSSES.values())
def test_without_c_exp_is_the_official_vicreg_without_covariance(loss):
    z_a, z_b = _branches(5, 5, seed=3)
    official = vicreg_loss_convention(z_a, z_b, convention="official", cov_coeff=0.0)
    if loss is vicreg_ctr_loss:
        official = vicreg_loss_convention(z_a.T, z_b.T, convention="official", cov_coeff=0.0)
    assert_close(loss(z_a, z_b, tau=0.5, cov_coeff=0.0), official, rtol=0.0, atol=0.0)


def test_ctr_invariance_is_unchanged_by_the_transpose():
    # Only the invariance term left: VICReg-ctr and VICReg-exp agree.
    z_a, z_b = _branches(5, 3, seed=4)
    only_inv = {"std_coeff": 0.0, "cov_coeff": 0.0}
    assert_close(
        vicreg_ctr_loss(z_a, z_b, tau=0.5, **only_inv),
        vicreg_exp_loss(z_a, z_b, tau=0.5, **only_inv),
        **EXACT,
    )


@pytest.mark.parametrize("loss", LOSSES.values())
def test_one_dimension_rejected(loss):
    z = random_embedding(4, 1, seed=0)
    with pytest.raises(InvalidInputError, match="z_a must have at least 2 columns"):
        loss(z, z, tau=0.5)
    with pytest.raises(InvalidInputError, match="z must have at least 2 columns"):
        logsumexp_covariance(z, tau=0.5)


def test_small_tau_gradient_is_finite():
    z_a, z_b = _branches(4, 3, seed=5)
    z_a.requires_grad_(True)
    for loss in LOSSES.values():
        (grad,) = torch.autograd.grad(loss(z_a, z_b, tau=1e-3), z_a)
        assert bool(torch.isfinite(grad).all())
