"""Tests of torch_impl.fit.api: fit_free and fit_linear reach known minimisers, reject bad input."""

from __future__ import annotations

import inspect
import math

import pytest
import torch

import torch_impl.fit as fit
from tests.torch_impl.fit.data import CPU, F64
from torch_impl.fit import FitResult, fit_free, fit_linear
from torch_impl.validation import InvalidInputError


def test_reaches_minimiser_of_convex_quadratic():
    # f(Z) = 1/2 ||A Z - B||^2 with A (8, 5) full column rank: Z* = lstsq(A, B).
    gen = torch.Generator().manual_seed(1)
    A = torch.randn(8, 5, generator=gen, dtype=F64)
    B = torch.randn(8, 3, generator=gen, dtype=F64)
    result = fit_free(lambda Z: 0.5 * (A @ Z - B).square().sum(), (5, 3), restarts=2, **CPU)
    z_star = torch.linalg.lstsq(A, B).solution
    assert isinstance(result, FitResult)
    assert result.converged
    assert not result.diverged
    assert result.criterion == "grad-norm"
    assert result.grad_norm <= 1e-8
    assert torch.allclose(result.z, z_star, rtol=0, atol=1e-8)
    f_star = 0.5 * float((A @ z_star - B).square().sum())
    assert result.loss == pytest.approx(f_star, rel=1e-12)
    assert result.history[-1] == result.loss
    assert len(result.history) == result.iterations
    assert result.w is None
    assert result.device == torch.device("cpu")
    assert result.seconds > 0
    assert result.require_converged() is result


def test_fit_linear_recovers_known_map():
    gen = torch.Generator().manual_seed(2)
    X = torch.randn(20, 4, generator=gen, dtype=F64)
    W_true = torch.randn(4, 2, generator=gen, dtype=F64)
    target = X @ W_true
    result = fit_linear(lambda Z: (Z - target).square().sum(), X, 2, restarts=2, **CPU)
    assert result.converged
    assert result.criterion == "grad-norm"
    assert result.w.shape == (4, 2)
    assert torch.allclose(result.w, W_true, rtol=0, atol=1e-8)
    assert torch.equal(result.z, X @ result.w)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"shape": (3, 0)}, r"shape\[1\]"),
        ({"shape": ()}, "shape"),
        ({"method": "sgd"}, "method"),
        ({"method": "adam"}, "lr"),
        ({"grad_tol": 0.0}, "grad_tol"),
        ({"loss_rtol": math.inf}, "loss_rtol"),
        ({"max_iter": 0}, "max_iter"),
        ({"restarts": 0}, "restarts"),
        ({"init": torch.zeros(2, 2)}, "init"),
        ({"device": "tpu"}, "device"),
    ],
)
def test_fit_free_rejects_bad_input(kwargs, match):
    args = {"shape": (3, 2), **kwargs}
    shape = args.pop("shape")
    with pytest.raises(InvalidInputError, match=match):
        fit_free(lambda Z: Z.square().sum(), shape, **{"progress": False, **args})


def test_fit_linear_rejects_bad_input():
    X = torch.randn(5, 3, dtype=F64)
    with pytest.raises(InvalidInputError, match="n_components"):
        fit_linear(lambda Z: Z.square().sum(), X, 4, progress=False)
    with pytest.raises(InvalidInputError, match="X"):
        fit_linear(lambda Z: Z.square().sum(), torch.full((5, 3), math.nan), 2, progress=False)
    with pytest.raises(InvalidInputError, match="X"):
        fit_linear(lambda Z: Z.square().sum(), torch.randn(5), 1, progress=False)
    with pytest.raises(TypeError, match="loss_fn"):
        fit_linear("not callable", X, 2, progress=False)


def test_public_functions_declare_their_constraints():
    # One validation path: every public function of torch_impl.fit validates its arguments by
    # declared constraints and offers the raw function to loops that validated them once.
    functions = [getattr(fit, name) for name in fit.__all__
                 if inspect.isfunction(getattr(fit, name))]
    assert {f.__name__ for f in functions} == {
        "fit_free", "fit_linear", "restart_inits", "min_norm_subgradient",
        "optimality_certificate", "vicreg_objective", "vicreg_convention_objective", "cached_fit",
    }
    for function in functions:
        assert set(function.constraints) == set(inspect.signature(function).parameters)
        assert callable(function.unchecked)
    assert list(fit.fit_free.constraints)[-1] == "option_overrides"


def test_fit_linear_rejects_more_components_than_columns_with_the_bound():
    X = torch.randn(5, 3, dtype=F64)
    with pytest.raises(InvalidInputError, match=r"n_components must be <= 3, got 4"):
        fit_linear(lambda Z: Z.square().sum(), X, 4, progress=False)
    with pytest.raises(TypeError, match="progress"):
        fit_linear(lambda Z: Z.square().sum(), X, 2, progress=1)
