"""Tests of torch_impl.fit.restarts: seeded and candidate starts, the best restart, divergence."""

from __future__ import annotations

import math

import pytest
import torch

from tests.torch_impl.fit.data import CPU, F64, G_VIEWS, N
from torch_impl.fit import NotConverged, fit_free, fit_linear, restart_inits, vicreg_objective
from torch_impl.validation import InvalidInputError


@pytest.mark.parametrize("seed", [0, 4])
def test_one_diverged_restart_blocks_converged(seed):
    # f = z^2 - 0.01 z^4 is unbounded below: from init_scale 8 the restarts 0 and 2 run off to
    # -inf, restart 1 lands at the local minimum 0 (loss ~1e-135 / 1e-88). The kept restart is
    # certified, yet the fit is not: a lower loss exists where the others went.
    result = fit_free(lambda Z: Z.square().sum() - 0.01 * Z.pow(4).sum(), (1,), restarts=3,
                      init_scale=8.0, seed=seed, **CPU)
    losses = result.restart_losses
    assert math.isnan(losses[0])
    assert math.isnan(losses[2])
    assert 0.0 <= losses[1] < 1e-80
    assert result.best_restart == 1
    assert result.loss == losses[1]
    assert result.grad_norm <= 1e-10  # the kept restart on its own is certified
    assert result.diverged
    assert not result.converged
    assert "another restart diverged" in result.status
    with pytest.raises(NotConverged, match="diverged"):
        result.require_converged()


def test_same_seed_is_bitwise_reproducible():
    obj = vicreg_objective(G_VIEWS, alpha=1.0, beta=25.0, gamma=1.0)
    a = fit_free(obj, (N, 3), seed=5, restarts=1, **CPU)
    b = fit_free(obj, (N, 3), seed=5, restarts=1, **CPU)
    assert torch.equal(a.z, b.z)
    assert a.history == b.history


def test_restart_inits_are_seeded_and_distinct():
    starts = restart_inits((4, 3), 3, seed=0, device="cpu")
    again = restart_inits((4, 3), 3, seed=0, device="cpu")
    other = restart_inits((4, 3), 3, seed=1, device="cpu")
    assert all(torch.equal(a, b) for a, b in zip(starts, again, strict=True))
    assert not torch.equal(starts[0], starts[1])
    assert not torch.equal(starts[1], starts[2])
    assert not torch.equal(starts[0], other[0])
    init = torch.ones(4, 3, dtype=F64)
    with_init = restart_inits((4, 3), 3, seed=0, init=init, device="cpu")
    assert torch.equal(with_init[0], init)
    assert torch.equal(with_init[1], starts[0])


def test_best_restart_is_kept():
    # Tilted double well per entry: minima near -1 (lower) and +1 (higher); random starts land
    # in different wells, so the restarts end at different losses.
    def double_well(Z):
        return ((Z.square() - 1).square() + 0.3 * Z).sum()

    result = fit_free(double_well, (1, 3), restarts=6, seed=0, **CPU)
    losses = result.restart_losses
    assert len(losses) == 6
    assert len({round(v, 6) for v in losses}) > 1
    assert result.loss == min(losses)
    assert losses[result.best_restart] == result.loss
    assert result.converged


def test_progress_bar_silent_under_ci(monkeypatch, capsys):
    monkeypatch.setenv("CI", "1")
    fit_free(lambda Z: Z.square().sum(), (2, 2), restarts=1, device="cpu", progress=True)
    assert capsys.readouterr().err == ""


# ------------------------------------------------------------------------- candidate starts


def test_candidate_starts_come_first_then_the_seeded_draws():
    a = torch.full((4, 3), 2.0, dtype=F64)
    b = torch.arange(12, dtype=F64).reshape(4, 3)
    starts = restart_inits((4, 3), 4, seed=0, inits=[a, b], device="cpu")
    draws = restart_inits((4, 3), 2, seed=0, device="cpu")
    assert len(starts) == 4
    assert torch.equal(starts[0], a)
    assert torch.equal(starts[1], b)
    assert torch.equal(starts[2], draws[0])
    assert torch.equal(starts[3], draws[1])
    starts[0].add_(1)  # the starts are copies: the candidates are not modified
    assert torch.equal(a, torch.full((4, 3), 2.0, dtype=F64))
    # init=Z is inits=[Z].
    one = restart_inits((4, 3), 3, seed=0, init=b, device="cpu")
    same = restart_inits((4, 3), 3, seed=0, inits=[b], device="cpu")
    assert all(torch.equal(x, y) for x, y in zip(one, same, strict=True))


def test_candidate_noise_is_seeded_relative_and_leaves_the_draws_alone():
    a = torch.full((50, 4), -2.0, dtype=F64)
    plain = restart_inits((50, 4), 3, seed=1, inits=[a], device="cpu")
    noisy = restart_inits((50, 4), 3, seed=1, inits=[a], init_noise=1e-2, device="cpu")
    again = restart_inits((50, 4), 3, seed=1, inits=[a], init_noise=1e-2, device="cpu")
    assert all(torch.equal(x, y) for x, y in zip(noisy, again, strict=True))
    assert torch.equal(noisy[1], plain[1])
    assert torch.equal(noisy[2], plain[2])
    # Noise of standard deviation 1e-2 * max|a| = 0.02 over 200 entries: within 25%.
    std = float((noisy[0] - a).std())
    assert 0.015 < std < 0.025


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"init": torch.zeros(4, 3), "inits": [torch.zeros(4, 3)]}, InvalidInputError,
         "init and inits"),
        ({"inits": [torch.zeros(4, 3)] * 4}, InvalidInputError, r"restarts must be >= .*\(4\)"),
        ({"inits": [torch.zeros(4, 3), torch.zeros(3, 4)]}, InvalidInputError, r"inits\[1\]"),
        ({"inits": [torch.zeros(4, 3), "start"]}, TypeError, r"inits\[1\]"),
        ({"inits": [torch.full((4, 3), math.nan)]}, InvalidInputError, r"inits\[0\]"),
        ({"inits": torch.zeros(4, 3)}, TypeError, "inits"),
        ({"init_noise": -1.0}, InvalidInputError, "init_noise"),
    ],
)
def test_restart_inits_rejects_bad_candidates(kwargs, error, match):
    with pytest.raises(error, match=match):
        restart_inits((4, 3), 3, device="cpu", **kwargs)


def test_fit_keeps_the_best_candidate_start():
    # Tilted double well per entry: the global minimum near -1 and a local one near +1. Both
    # candidates are fitted; the global one is kept whatever the random restart does.
    def double_well(Z):
        return ((Z.square() - 1).square() + 0.3 * Z).sum()

    low, high = torch.full((1, 3), -1.0, dtype=F64), torch.full((1, 3), 1.0, dtype=F64)
    result = fit_free(double_well, (1, 3), inits=[high, low], restarts=3, **CPU)
    assert result.converged, result.status
    assert result.best_restart == 1
    assert result.restart_losses[0] > result.restart_losses[1] == result.loss
    assert bool((result.z < -0.9).all())


def test_candidate_noise_leaves_a_saddle_candidate():
    # (x^2 - 1)^2 + (y^2 - 1)^2 at the candidate (1, 0): a stationary point (a maximum in y)
    # that the first-order stages certify as it stands (gradient exactly 0, loss 1); noise
    # makes the fit leave it for a minimum (1, +-1), loss 0 (the curvature stage, off here,
    # would escape it too: tests/torch_impl/fit/test_curvature.py).
    def wells(Z):
        return (Z.square() - 1).square().sum()

    saddle = torch.tensor([1.0, 0.0], dtype=F64)
    stuck = fit_free(wells, (2,), inits=[saddle], restarts=1, curvature=False, **CPU)
    assert stuck.converged
    assert stuck.loss == 1.0
    assert stuck.curvature is None
    left = fit_free(wells, (2,), inits=[saddle], init_noise=1e-2, restarts=1, curvature=False,
                    **CPU)
    assert left.converged, left.status
    assert left.loss <= 1e-20
    assert left.z.abs().tolist() == pytest.approx([1.0, 1.0], abs=1e-10)


def test_fit_linear_accepts_candidate_starts():
    gen = torch.Generator().manual_seed(2)
    X = torch.randn(20, 4, generator=gen, dtype=F64)
    W_true = torch.randn(4, 2, generator=gen, dtype=F64)
    target = X @ W_true
    result = fit_linear(lambda Z: (Z - target).square().sum(), X, 2, inits=[W_true],
                        restarts=1, **CPU)
    assert result.converged
    assert torch.allclose(result.w, W_true, rtol=0, atol=1e-12)
    with pytest.raises(InvalidInputError, match=r"inits\[0\] must have shape \(4, 2\)"):
        fit_linear(lambda Z: Z.square().sum(), X, 2, inits=[W_true.T], **CPU)
