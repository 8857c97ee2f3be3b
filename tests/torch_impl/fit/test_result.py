"""Tests of torch_impl.fit.result: the margin of a FitResult and the NotConverged message."""

from __future__ import annotations

import math

import pytest
import torch

from torch_impl.fit import FitResult, NotConverged


def _result(**changes) -> FitResult:
    fields = {
        "z": torch.zeros(2, 1), "w": None, "loss": 0.5, "grad_norm": 1e-9,
        "criterion": "grad-norm", "iterations": 7, "seconds": 0.1, "converged": False,
        "diverged": False, "status": "stalled: scripted", "history": (1.0, 0.5),
        "restart_losses": (0.5,), "best_restart": 0, "seed": 0, "device": torch.device("cpu"),
        "grad_tol": 1e-8, "loss_rtol": 1e-10, "required_margin": 100.0, "polish_steps": 2,
    }
    return FitResult(**{**fields, **changes})


def test_margin_and_certificate():
    result = _result()
    assert result.certificate == result.grad_norm == 1e-9
    assert result.tolerance == 1e-8
    assert result.margin == pytest.approx(10.0, rel=1e-15)
    assert _result(grad_norm=0.0).margin == math.inf


def test_require_converged_states_the_certificate_and_its_margin():
    assert _result(converged=True).require_converged().converged
    with pytest.raises(NotConverged) as caught:
        _result().require_converged()
    assert str(caught.value) == (
        "fit did not converge (stalled: scripted): loss=0.5, grad-norm certificate 1e-09 "
        "(tolerance grad_tol=1e-08, margin 10 of the required 100, loss_rtol=1e-10) after "
        "7 iterations (2 of them Newton polishing steps)"
    )
    with pytest.raises(NotConverged, match=r"^fit diverged \("):
        _result(diverged=True).require_converged()
