"""Tests of torch_impl.fit.options: one FitOptions object, its keyword overrides, bad values."""

from __future__ import annotations

import pytest
import torch

from tests.torch_impl.fit.data import CPU
from torch_impl.fit import FitOptions, fit_free
from torch_impl.validation import InvalidInputError


def test_options_object_and_keywords_agree():
    def quadratic(Z):
        return (Z - 1).square().sum()

    options = FitOptions(max_iter=50, grad_tol=1e-9)
    a = fit_free(quadratic, (3,), restarts=1, options=options, **CPU)
    b = fit_free(quadratic, (3,), restarts=1, max_iter=50, grad_tol=1e-9, **CPU)
    assert torch.equal(a.z, b.z)
    assert a.grad_tol == b.grad_tol == 1e-9
    overridden = fit_free(quadratic, (3,), restarts=1, options=options, grad_tol=1e-7, **CPU)
    assert overridden.grad_tol == 1e-7
    assert options.target == pytest.approx(1e-11)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"margin": 0.5}, InvalidInputError, "margin"),
        ({"polish_steps": -1}, InvalidInputError, "polish_steps"),
        ({"continue_on_stall": -1}, InvalidInputError, "continue_on_stall"),
        ({"polish_to_floor": 1}, TypeError, "polish_to_floor"),
        ({"normalise": 3}, TypeError, "normalise"),
        ({"max_iters": 10}, TypeError, "max_iters"),
        ({"options": {"max_iter": 10}}, TypeError, "options"),
    ],
)
def test_fit_options_reject_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        fit_free(lambda Z: Z.square().sum(), (2,), **{"progress": False, **kwargs})
