"""Tests of torch_impl.fit.hinge: the augmented Lagrangian reaches VICReg optima, kinks included."""

from __future__ import annotations

import pytest
import torch

from tests.torch_impl.fit.data import (
    CPU,
    F64,
    G_VIEWS,
    N_PRIME,
    N,
    closed_form_loss,
    closed_form_z,
    seed_vicreg,
    shrink,
)
from torch_impl.fit import (
    FitOptions,
    HingeObjective,
    fit_free,
    optimality_certificate,
    vicreg_objective,
)
from torch_impl.fit import hinge as hinge_module
from torch_impl.fit.hinge import fit_hinge
from torch_impl.fit.run import Run


def test_vicreg_unit_variance_optimum_has_zero_loss():
    # K = 3 <= N' - 1: every column fits in the null space of L, t_k = 1, loss 0.
    obj = vicreg_objective(G_VIEWS, alpha=1.0, beta=25.0, gamma=1.0)
    result = fit_free(obj, (N, 3), restarts=2, **CPU)
    assert result.converged
    assert result.criterion == "min-norm-subgradient"
    assert result.grad_norm <= 1e-8
    assert abs(result.loss) <= 1e-12  # closed-form loss 0 (absolute: relative to 0 is moot)
    std = result.z.std(dim=0)
    # Hinge flat above 1: any std >= 1 in the null space of L is optimal (t_k = 1 is a floor).
    assert bool((std >= 1 - 1e-8).all())
    assert torch.allclose(result.z[:N_PRIME], result.z[N_PRIME:], atol=1e-6)  # views agree


def test_vicreg_shrunk_columns_match_closed_form():
    # K = 7 > N' - 1 = 5: two columns must use lambda = 2 directions, t = 12 / 88 < 1.
    alpha, beta, gamma = 1.0, 25.0, 1.0
    obj = vicreg_objective(G_VIEWS, alpha=alpha, beta=beta, gamma=gamma)
    result = fit_free(obj, (N, 7), restarts=1, **CPU)
    expected = closed_form_loss(alpha, gamma, [0.0] * 5 + [2.0] * 2)
    assert result.converged
    assert result.grad_norm <= 1e-8
    assert result.loss == pytest.approx(expected, rel=1e-8)
    std = torch.sort((result.z - result.z.mean(0)).std(dim=0)).values
    t = shrink(alpha, gamma, 2.0)
    assert t < 1
    assert std[:2].tolist() == pytest.approx([t, t], rel=1e-6)
    assert bool((std[2:] >= 1 - 1e-8).all())


def test_vicreg_optimum_on_the_kink_is_certified_by_min_norm_subgradient():
    # gamma small: alpha N / (4 gamma lambda (N-1)) = 1.36 > 1, so the two lambda = 2 columns
    # sit exactly at std 1, ON the hinge kink, with a nonzero smooth gradient there.
    alpha, beta, gamma = 1.0, 10.0, 0.1
    obj = vicreg_objective(G_VIEWS, alpha=alpha, beta=beta, gamma=gamma)
    expected = closed_form_loss(alpha, gamma, [0.0] * 5 + [2.0] * 2)

    # The closed form itself is certified: min-norm subgradient 0 although grad f != 0.
    z_star = closed_form_z(alpha, gamma, n_null=5, n_diff=2)
    loss, certificate, criterion = optimality_certificate(obj, z_star)
    assert criterion == "min-norm-subgradient"
    assert loss == pytest.approx(expected, rel=1e-12)
    assert certificate <= 1e-12
    z = z_star.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(seed_vicreg(z, G_VIEWS, alpha, beta, gamma), z)
    assert float(g.norm()) > 0.1  # a gradient-norm criterion could never certify it

    result = fit_free(obj, (N, 7), restarts=1, **CPU)
    assert result.converged
    assert result.grad_norm <= 1e-8
    assert result.loss == pytest.approx(expected, rel=1e-8)
    std = torch.sort((result.z - result.z.mean(0)).std(dim=0)).values
    assert std[:2].tolist() == pytest.approx([1.0, 1.0], rel=1e-6)


def test_hinge_outer_loop_accepts_only_certificate_and_plateau(monkeypatch):
    # Script the inner solves and the certificates of three outer iterations: (1) certificate
    # met while the loss still moves, (2) loss flat but certificate missed, (3) both. Only the
    # third may be accepted: "certificate OR plateau", or either alone, stops earlier.
    script = [
        ([1.0, 0.5, 0.25, 0.125, 0.0625, 0.03], 1e-12),
        ([0.03] * 6, 1e-3),
        ([0.03] * 6, 1e-12),
    ]
    calls = []

    def inner(run, objective, options, budget, tick, inner):
        values, _ = script[len(calls)]
        calls.append(budget)
        run.history.extend(values)
        run.iterations += len(values)
        return True

    def certify(objective, p, kink_tol):
        return script[len(calls) - 1][0][-1], script[len(calls) - 1][1]

    monkeypatch.setattr(hinge_module, "minimise", inner)
    monkeypatch.setattr(hinge_module, "certify", certify)
    # One hinge h = z_0 at z_0 = 0.01 > 0: the splitting residual stays far above kink_tol, so
    # the flat second iteration is not a stall on the kinks either.
    obj = HingeObjective(lambda z: 0.5 * z.square().sum(), lambda z: z[:1], 1.0)
    run = Run(p=torch.tensor([0.01, 0.0], dtype=F64), history=[])
    accepted = fit_hinge(run, obj, FitOptions(), 1000, lambda loss: None)
    assert accepted
    assert len(calls) == 3
    assert run.iterations == 18


def test_hinge_stall_on_the_kinks_hands_over(monkeypatch):
    # Flat loss with the splitting met (residual 0 <= kink_tol) but no certificate: a stall,
    # returned as not accepted for the polish stage, not an outer loop that runs to the budget.
    calls = []

    def inner(run, objective, options, budget, tick, inner):
        calls.append(budget)
        run.history.extend([0.5] * 6)
        run.iterations += 6
        return True

    monkeypatch.setattr(hinge_module, "minimise", inner)
    monkeypatch.setattr(hinge_module, "certify", lambda objective, p, kink_tol: (0.5, 1e-3))
    # h = z_0 = -1 < 0: multiplier w/2 drops to 0 (residual 0.05), then stays (residual 0).
    obj = HingeObjective(lambda z: 0.5 * z.square().sum(), lambda z: z[:1], 1.0)
    run = Run(p=torch.tensor([-1.0, 0.0], dtype=F64), history=[])
    assert not fit_hinge(run, obj, FitOptions(), 1000, lambda loss: None)
    assert len(calls) == 2
    assert run.status.startswith("stalled")
