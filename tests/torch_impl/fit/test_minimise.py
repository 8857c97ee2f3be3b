"""Tests of torch_impl.fit.minimise: the criteria, divergence and budget of the optimiser."""

from __future__ import annotations

import math

import pytest
import torch

from tests.torch_impl.fit.data import CPU, F64
from torch_impl.fit import FitOptions, NotConverged, fit_free
from torch_impl.fit.minimise import plateau


def test_start_at_the_optimum_converges():
    # A warm start that is already optimal (gradient at rounding level) does not move: that
    # constant loss is a plateau, so the fit is converged, not stalled.
    gen = torch.Generator().manual_seed(1)
    A = torch.randn(8, 5, generator=gen, dtype=F64)
    B = torch.randn(8, 3, generator=gen, dtype=F64)
    z_star = torch.linalg.lstsq(A, B).solution
    result = fit_free(lambda Z: 0.5 * (A @ Z - B).square().sum(), (5, 3), init=z_star,
                      restarts=1, **CPU)
    assert result.converged, result.status
    assert torch.allclose(result.z, z_star, rtol=0, atol=1e-12)


def test_adam_converges_at_a_stated_looser_tolerance():
    target = torch.arange(6, dtype=F64).reshape(3, 2)
    result = fit_free(
        lambda Z: (Z - target).square().sum(),
        (3, 2),
        method="adam",
        lr=0.05,
        grad_tol=1e-5,
        loss_rtol=1e-8,
        max_iter=3000,
        restarts=1,
        **CPU,
    )
    assert result.converged
    assert torch.allclose(result.z, target, atol=1e-5)


@pytest.mark.parametrize(
    "loss_fn",
    [
        pytest.param(lambda Z: Z.sum() * math.nan, id="nan"),
        pytest.param(lambda Z: -Z.square().sum(), id="unbounded-below"),
        pytest.param(lambda Z: torch.log(Z).sum() + Z.square().sum() * 0, id="log-leaves-domain"),
    ],
)
def test_divergence_is_reported_not_converged(loss_fn):
    result = fit_free(loss_fn, (4, 2), restarts=2, max_iter=200, **CPU)
    assert result.diverged
    assert not result.converged
    assert result.status.startswith("diverged") or "diverged" in result.status
    with pytest.raises(NotConverged, match=r"diverged.*loss=.*grad_tol="):
        result.require_converged()


def test_budget_exhausted_is_not_a_success():
    # Rosenbrock-like valley: 3 iterations cannot reach the minimum.
    def rosenbrock(Z):
        x, y = Z[0, 0], Z[0, 1]
        return (1 - x) ** 2 + 100 * (y - x**2) ** 2

    result = fit_free(rosenbrock, (1, 2), restarts=1, max_iter=3, **CPU)
    assert not result.converged
    assert not result.diverged
    assert result.iterations == 3
    assert "max_iter" in result.status
    with pytest.raises(NotConverged, match="did not converge"):
        result.require_converged()


def test_plateau_needs_every_change_of_the_window_small():
    options = FitOptions(loss_window=3, loss_rtol=1e-10)
    # Tolerance 1e-10 * max(1, |f|) = 2e-10 around f = 2.
    flat = [5.0, 2.0, 2.0, 2.0 + 1e-10, 2.0 + 1e-10]
    assert plateau(flat, options)
    assert not plateau(flat[2:], options)  # 3 changes need 4 values
    assert not plateau([5.0, 2.0, 2.0 + 3e-10, 2.0, 2.0], options)  # one change 3e-10
    # Relative to max(1, |f|): absolute below 1.
    assert plateau([0.0, 1e-11, 0.0, 1e-11], options)
    assert not plateau([0.0, 2e-10, 0.0, 0.0], options)


def test_growth_along_a_declared_symmetry_is_not_divergence():
    from tests.torch_impl.fit.data import RADIAL_DRIFT, radial_drift_loss
    from torch_impl.fit.restarts import restart_inits

    shape = (2 * RADIAL_DRIFT["n"], RADIAL_DRIFT["m"])
    start = restart_inits(shape, 1, seed=RADIAL_DRIFT["seed"], device="cpu")[0]
    unit_rows = lambda z: torch.nn.functional.normalize(z, dim=1)  # noqa: E731
    drifted = fit_free(radial_drift_loss, shape, init=start, restarts=1, curvature=False,
                       **CPU)
    assert drifted.diverged  # the control
    assert "diverge_threshold" in drifted.status
    result = fit_free(radial_drift_loss, shape, init=start, restarts=1, normalise=unit_rows,
                      **CPU)
    assert result.converged, result.status
    assert not result.diverged
    assert torch.allclose(result.z.norm(dim=1), torch.ones(shape[0], dtype=F64))
