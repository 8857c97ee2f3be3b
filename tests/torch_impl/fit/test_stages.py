"""Tests of torch_impl.fit.stages: the margin stage, continuation after a stall, normalisation."""

from __future__ import annotations

import torch

from tests.torch_impl.fit.data import CPU, F64, G_SMALL, SMALL_VICREG
from torch_impl.fit import fit_free, optimality_certificate, vicreg_objective
from torch_impl.fit import stages as stages_module


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
