"""Tests of torch_impl.fit.stages: the margin stage, continuation after a stall, normalisation,
the floor stage."""

from __future__ import annotations

import math

import pytest
import torch

from tests.torch_impl.fit.data import CPU, F64, G_SMALL, SMALL_VICREG
from torch_impl.fit import fit_free, optimality_certificate, vicreg_objective
from torch_impl.fit import stages as stages_module
from torch_impl.fit.certificates import certify, rounding_floor


def test_margin_one_accepts_what_the_minimiser_certified():
    obj = vicreg_objective(G_SMALL, **SMALL_VICREG)
    result = fit_free(obj, (6, 3), seed=0, restarts=1, grad_tol=1e-6, margin=1.0,
                      polish_steps=0, continue_on_stall=0, **CPU)
    assert result.converged
    assert 1e-8 < result.certificate <= 1e-6


def test_continue_on_stall_gives_a_stalled_restart_a_fresh_minimiser(monkeypatch):
    calls = []

    def scripted(run, loss_fn, options, budget, tick):
        calls.append(budget)
        if len(calls) == 1:
            run.status, run.loss, run.certificate = "stalled: scripted", 1.0, 1.0
            return False
        run.loss, run.certificate = 0.0, 0.0
        return True

    monkeypatch.setattr(stages_module, "fit_smooth", scripted)
    result = fit_free(lambda Z: Z.square().sum(), (2,), restarts=1, polish_steps=0, **CPU)
    assert result.converged
    assert len(calls) == 2
    calls.clear()
    result = fit_free(lambda Z: Z.square().sum(), (2,), restarts=1, polish_steps=0,
                      continue_on_stall=0, **CPU)
    assert not result.converged
    assert len(calls) == 1


def test_budget_exhausted_is_not_continued(monkeypatch):
    calls = []

    def scripted(run, loss_fn, options, budget, tick):
        calls.append(budget)
        run.status, run.loss, run.certificate = "budget max_iter=5 exhausted", 1.0, 1.0
        return False

    monkeypatch.setattr(stages_module, "fit_smooth", scripted)
    result = fit_free(lambda Z: Z.square().sum(), (2,), restarts=1, **CPU)
    assert not result.converged
    assert len(calls) == 1
    assert "budget" in result.status


def test_normalise_certifies_at_the_normalised_point():
    # A loss of the row directions only (scale-invariant rows): the optimum is returned with
    # unit rows and certified there.
    target = torch.nn.functional.normalize(torch.tensor([[1.0, 2.0], [-3.0, 1.0]], dtype=F64),
                                           dim=1)

    def loss(Z):
        return (torch.nn.functional.normalize(Z, dim=1) - target).square().sum()

    def unit_rows(Z):
        return torch.nn.functional.normalize(Z, dim=1)

    start = 5.0 * target + 0.3
    result = fit_free(loss, (2, 2), init=start, restarts=1, normalise=unit_rows, **CPU)
    assert result.converged, result.status
    assert torch.allclose(result.z.norm(dim=1), torch.ones(2, dtype=F64), rtol=0, atol=1e-15)
    assert torch.allclose(result.z, target, rtol=0, atol=1e-10)
    assert optimality_certificate(loss, result.z)[1] == result.certificate


# -- the floor stage: accepted only at the certificate's rounding floor ------------------------
def _ulp_quadratic():
    """f(x) = 0.5 ||x - c||^2 with c ~ 1e6 (ulp ~ 1.2e-10): its rounding floor is ||ulp(c)||
    ~ 1e-9 (tests/torch_impl/fit/test_certificates.py), the gradient at c + k ulp(c) s (s a
    sign vector) is exactly k ulp(c) s: a point k ulps from the optimum reads k x floor."""
    gen = torch.Generator().manual_seed(3)
    c = 1e6 * (1 + torch.rand(64, generator=gen, dtype=F64))
    sign = torch.where(torch.rand(64, generator=gen, dtype=F64) < 0.5, -1.0, 1.0).to(F64)
    ulp = torch.nextafter(c, torch.full_like(c, math.inf)) - c

    def loss(x):
        return 0.5 * (x - c).square().sum()

    return loss, c, sign * ulp


def _scripted_at(point):
    """A minimiser that ends converged at ``point`` (the polish is cut: polish_steps=0)."""
    def scripted(run, loss_fn, options, budget, tick):
        run.p = point.clone()
        run.loss, run.certificate = certify(loss_fn, run.p, options.kink_tol)
        return True
    return scripted


def test_a_point_at_its_rounding_floor_is_accepted_with_the_numbers(monkeypatch):
    loss, c, step = _ulp_quadratic()
    point = c + 2 * step  # 2 ulps from the optimum: certificate = 2 x floor
    floor = rounding_floor(loss, point, 1e-8).floor
    monkeypatch.setattr(stages_module, "fit_smooth", _scripted_at(point))
    # grad_tol / margin between the floor and the certificate: the margin stage misses it.
    grad_tol = 100 * 1.4 * floor
    result = fit_free(loss, (64,), restarts=1, grad_tol=grad_tol, polish_steps=0,
                      curvature=False, **CPU)
    assert result.certificate == pytest.approx(2 * floor, rel=0.1)
    assert result.certificate > grad_tol / 100
    assert result.converged, result.status
    assert result.rounding_floor == floor
    assert result.status.startswith("converged; certificate accepted at its rounding floor: "
                                    f"rounding floor {floor:.3g}")
    assert f"floor x margin = {100 * floor:.3g} vs grad_tol = {grad_tol:.3g}" in result.status
    assert result.margin >= 100 / stages_module.FLOOR_FACTOR


def test_a_point_short_of_its_floor_stays_not_converged(monkeypatch):
    loss, c, step = _ulp_quadratic()
    point = c + 1000 * step  # 1000 ulps away: its exact gradient, 1000 x the floor
    floor = rounding_floor(loss, point, 1e-8).floor
    monkeypatch.setattr(stages_module, "fit_smooth", _scripted_at(point))
    result = fit_free(loss, (64,), restarts=1, grad_tol=100 * 1.4 * floor, polish_steps=0,
                      curvature=False, **CPU)
    assert not result.converged
    assert result.rounding_floor is None
    assert "short of its floor: rounding floor" in result.status
    # The same point with its polish budget restored is polished onto the optimum.
    monkeypatch.undo()
    monkeypatch.setattr(stages_module, "fit_smooth", _scripted_at(point))
    polished = fit_free(loss, (64,), restarts=1, grad_tol=100 * 1.4 * floor, curvature=False,
                        **CPU)
    assert polished.converged
    assert polished.rounding_floor is None


def test_a_floor_above_grad_tol_over_margin_is_not_accepted(monkeypatch):
    # At its floor, but float64 does not resolve grad_tol / margin there.
    loss, c, step = _ulp_quadratic()
    point = c + 2 * step
    floor = rounding_floor(loss, point, 1e-8).floor
    monkeypatch.setattr(stages_module, "fit_smooth", _scripted_at(point))
    result = fit_free(loss, (64,), restarts=1, grad_tol=100 * 0.5 * floor, polish_steps=0,
                      curvature=False, **CPU)
    assert not result.converged
    assert "float64 does not resolve grad_tol / margin here" in result.status


def test_a_polish_cut_vicreg_fit_is_short_of_its_floor():
    # The minimiser alone leaves VICReg's certificate in (1e-8, 1e-6] (see
    # test_margin_one_accepts_what_the_minimiser_certified), orders of magnitude above a
    # rounding floor of ~1e-16: not converged, whatever the floor rule.
    obj = vicreg_objective(G_SMALL, **SMALL_VICREG)
    result = fit_free(obj, (6, 3), seed=0, restarts=1, grad_tol=1e-6, polish_steps=0,
                      continue_on_stall=0, curvature=False, **CPU)
    assert not result.converged
    assert "short of its floor" in result.status
    assert result.rounding_floor is None


def test_a_fit_that_meets_its_target_never_measures_the_floor(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the floor is measured only where the target is missed")

    monkeypatch.setattr(stages_module, "rounding_floor", refuse)
    obj = vicreg_objective(G_SMALL, **SMALL_VICREG)
    result = fit_free(obj, (6, 3), seed=0, restarts=1, **CPU)
    assert result.converged
    assert result.rounding_floor is None
    assert result.status == "converged"
