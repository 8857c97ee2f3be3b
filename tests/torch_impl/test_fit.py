"""Tests of torch_impl.fit: convergence criteria, the kink certificate, divergence, seeds."""

from __future__ import annotations

import math

import pytest
import torch

import torch_impl.fit as fit_module
from torch_impl.fit import (
    FitOptions,
    FitResult,
    HingeObjective,
    NotConverged,
    cached_fit,
    fit_free,
    fit_linear,
    min_norm_subgradient,
    optimality_certificate,
    restart_inits,
    vicreg_objective,
)
from torch_impl.relations import views_relation
from torch_impl.validation import InvalidInputError

F64 = torch.float64
CPU = {"device": "cpu", "progress": False}


@pytest.fixture(autouse=True)
def _one_thread():
    # These problems are tiny: intra-op threads only add contention (tenfold slower on a
    # shared 2-core machine), so run them single-threaded and restore the setting.
    n_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n_threads)


def _seed_vicreg(Z: torch.Tensor, G: torch.Tensor, alpha: float, beta: float, gamma: float):
    """The seed snippet of BL22 Sec. 2.2, written out independently of torch_impl.losses."""
    N, K = Z.shape
    C = torch.cov(Z.T)
    var = K - torch.diag(C).clamp(1e-6, 1).sqrt().sum()
    cov = 2 * torch.triu(C, 1).square().sum()
    i, j = torch.nonzero(G, as_tuple=True)
    inv = (Z[i] - Z[j]).square().sum() / N
    return alpha * var + beta * cov + gamma * inv


# ----------------------------------------------------------------------------- VICReg fixtures
# Views graph with N' = 6 samples, V = 2 views (N = 12): L = I - G has eigenvalue 0 on the 6
# "same sample" vectors e_i + e_{i+6} (5 of them orthogonal to 1) and eigenvalue 2 on the 6
# "view difference" vectors e_i - e_{i+6}. BL22-C2's closed form: column k of the centred
# optimum is sqrt(N-1) t_k u_k, t_k = min(1, alpha N / (4 gamma lambda_k (N-1))).
N_PRIME, N = 6, 12
G_VIEWS = views_relation(N_PRIME, 2)


def _t(alpha: float, gamma: float, lam: float) -> float:
    return 1.0 if lam == 0 else min(1.0, alpha * N / (4 * gamma * lam * (N - 1)))


def _closed_form_loss(alpha: float, gamma: float, lambdas: list[float]) -> float:
    # Per column: alpha (1 - t) + (2 gamma / N) lambda (N - 1) t^2; the covariance term is 0.
    ts = [_t(alpha, gamma, lam) for lam in lambdas]
    return sum(
        alpha * (1 - t) + 2 * gamma / N * lam * (N - 1) * t**2
        for t, lam in zip(ts, lambdas, strict=True)
    )


def _closed_form_z(alpha: float, gamma: float, n_null: int, n_diff: int) -> torch.Tensor:
    """sqrt(N-1) [u_1 .. u_K] diag(t): n_null columns with lambda = 0, n_diff with lambda = 2."""
    eye = torch.eye(N_PRIME, dtype=F64)
    same = torch.cat([eye, eye])
    # The 5 centred "same sample" directions: left singular vectors of the centred indicators.
    null_basis = torch.linalg.svd(same - same.mean(0), full_matrices=False)[0][:, : N_PRIME - 1]
    diff = torch.cat([eye, -eye]) / math.sqrt(2)
    U = torch.cat([null_basis[:, :n_null], diff[:, :n_diff]], dim=1)
    t = torch.tensor([1.0] * n_null + [_t(alpha, gamma, 2.0)] * n_diff, dtype=F64)
    return math.sqrt(N - 1) * U * t


# ------------------------------------------------------------------------- smooth problems


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


# ------------------------------------------------------------------------- VICReg closed forms


def test_vicreg_objective_matches_seed_formula():
    pytest.importorskip("torch_impl.losses")
    obj = vicreg_objective(G_VIEWS, alpha=1.5, beta=3.0, gamma=0.7)
    Z = torch.randn(N, 4, generator=torch.Generator().manual_seed(3), dtype=F64)
    Z[:, 0] *= 3  # one column above the hinge threshold, the others below
    expected = _seed_vicreg(Z, G_VIEWS, 1.5, 3.0, 0.7)
    assert float(obj(Z)) == pytest.approx(float(expected), rel=1e-13)


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
    expected = _closed_form_loss(alpha, gamma, [0.0] * 5 + [2.0] * 2)
    assert result.converged
    assert result.grad_norm <= 1e-8
    assert result.loss == pytest.approx(expected, rel=1e-8)
    std = torch.sort((result.z - result.z.mean(0)).std(dim=0)).values
    t = _t(alpha, gamma, 2.0)
    assert t < 1
    assert std[:2].tolist() == pytest.approx([t, t], rel=1e-6)
    assert bool((std[2:] >= 1 - 1e-8).all())


def test_vicreg_optimum_on_the_kink_is_certified_by_min_norm_subgradient():
    # gamma small: alpha N / (4 gamma lambda (N-1)) = 1.36 > 1, so the two lambda = 2 columns
    # sit exactly at std 1, ON the hinge kink, with a nonzero smooth gradient there.
    alpha, beta, gamma = 1.0, 10.0, 0.1
    obj = vicreg_objective(G_VIEWS, alpha=alpha, beta=beta, gamma=gamma)
    expected = _closed_form_loss(alpha, gamma, [0.0] * 5 + [2.0] * 2)

    # The closed form itself is certified: min-norm subgradient 0 although grad f != 0.
    z_star = _closed_form_z(alpha, gamma, n_null=5, n_diff=2)
    loss, certificate, criterion = optimality_certificate(obj, z_star)
    assert criterion == "min-norm-subgradient"
    assert loss == pytest.approx(expected, rel=1e-12)
    assert certificate <= 1e-12
    z = z_star.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(_seed_vicreg(z, G_VIEWS, alpha, beta, gamma), z)
    assert float(g.norm()) > 0.1  # a gradient-norm criterion could never certify it

    result = fit_free(obj, (N, 7), restarts=1, **CPU)
    assert result.converged
    assert result.grad_norm <= 1e-8
    assert result.loss == pytest.approx(expected, rel=1e-8)
    std = torch.sort((result.z - result.z.mean(0)).std(dim=0)).values
    assert std[:2].tolist() == pytest.approx([1.0, 1.0], rel=1e-6)


# ------------------------------------------------------------------------- failure modes


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


# ------------------------------------------------------------------------- seeds and restarts


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


# ------------------------------------------------------------------------- min-norm subgradient


def test_min_norm_subgradient_zero_when_kink_is_stationary():
    # f(x) = relu(x) - 0.5 x at x = 0: subdifferential [-0.5, 0.5] contains 0.
    one = torch.tensor([[1.0]], dtype=F64)
    norm, c = min_norm_subgradient(torch.tensor([-0.5], dtype=F64), one)
    assert norm == 0.0
    assert c.tolist() == [0.5]


def test_min_norm_subgradient_exact_distance_when_not_stationary():
    # f(x) = relu(x) + 0.5 x at 0: subdifferential [0.5, 1.5], distance to 0 is 0.5.
    one = torch.tensor([[1.0]], dtype=F64)
    norm, c = min_norm_subgradient(torch.tensor([0.5], dtype=F64), one)
    assert norm == pytest.approx(0.5, abs=1e-15)
    assert c.tolist() == [0.0]
    # Two kinks: the first can cancel its coordinate (c = 0.5), the second saturates at c = 1
    # leaving 1 - 0.5 = 0.5 in the other coordinate.
    base = torch.tensor([1.0, 1.0], dtype=F64)
    grads = torch.tensor([[-2.0, 0.0], [0.0, -0.5]], dtype=F64)
    norm, c = min_norm_subgradient(base, grads)
    assert norm == pytest.approx(0.5, abs=1e-15)
    assert c.tolist() == pytest.approx([0.5, 1.0], abs=1e-15)
    # Linearly dependent kink gradients and an empty kink set.
    norm, _ = min_norm_subgradient(base, torch.tensor([[-0.5, -0.5], [-0.5, -0.5]], dtype=F64))
    assert norm == pytest.approx(0.0, abs=1e-15)
    norm, c = min_norm_subgradient(base, torch.zeros(0, 2, dtype=F64))
    assert norm == pytest.approx(math.sqrt(2))
    assert c.numel() == 0


def test_hinge_objective_certificate_on_hand_made_kink():
    # smooth = 0.5 ||z||^2 - 0.5 z_0; hinge h(z) = z_0 with weight 1, at z = 0: kink, the
    # subgradient -0.5 + c is 0 at c = 0.5.
    obj = HingeObjective(lambda z: 0.5 * z.square().sum() - 0.5 * z[0], lambda z: z[:1], 1.0)
    loss, cert, criterion = optimality_certificate(obj, torch.zeros(2, dtype=F64))
    assert (loss, cert, criterion) == (0.0, 0.0, "min-norm-subgradient")
    loss, cert, _ = optimality_certificate(obj, torch.tensor([0.0, 0.25], dtype=F64))
    assert cert == pytest.approx(0.25)


# ------------------------------------------------------------------------- validation


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
    with pytest.raises(InvalidInputError, match="hinge_weight"):
        HingeObjective(lambda z: z.sum(), lambda z: z, 0.0)


def test_progress_bar_silent_under_ci(monkeypatch, capsys):
    monkeypatch.setenv("CI", "1")
    fit_free(lambda Z: Z.square().sum(), (2, 2), restarts=1, device="cpu", progress=True)
    assert capsys.readouterr().err == ""


# ------------------------------------------------------------------------- the hinge outer loop


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

    monkeypatch.setattr(fit_module, "_minimise", inner)
    monkeypatch.setattr(fit_module, "_certify", certify)
    # One hinge h = z_0 at z_0 = 0.01 > 0: the splitting residual stays far above kink_tol, so
    # the flat second iteration is not a stall on the kinks either.
    obj = HingeObjective(lambda z: 0.5 * z.square().sum(), lambda z: z[:1], 1.0)
    run = fit_module._Run(p=torch.tensor([0.01, 0.0], dtype=F64), history=[])
    accepted = fit_module._fit_hinge(run, obj, FitOptions(), 1000, lambda loss: None)
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

    monkeypatch.setattr(fit_module, "_minimise", inner)
    monkeypatch.setattr(fit_module, "_certify", lambda objective, p, kink_tol: (0.5, 1e-3))
    # h = z_0 = -1 < 0: multiplier w/2 drops to 0 (residual 0.05), then stays (residual 0).
    obj = HingeObjective(lambda z: 0.5 * z.square().sum(), lambda z: z[:1], 1.0)
    run = fit_module._Run(p=torch.tensor([-1.0, 0.0], dtype=F64), history=[])
    assert not fit_module._fit_hinge(run, obj, FitOptions(), 1000, lambda loss: None)
    assert len(calls) == 2
    assert run.status.startswith("stalled")


# ------------------------------------------------------------------------- the margin stage

# Views graph N' = 3, V = 2 (N = 6), K = 3 > N' - 1: one column on a view-difference direction
# (lambda = 2) where alpha N / (4 gamma lambda (N-1)) = 37.5 > 1 puts it ON the hinge kink.
G_SMALL = views_relation(3, 2)
SMALL_VICREG = {"alpha": 25.0, "beta": 1.0, "gamma": 0.1}


def test_margin_stage_polishes_a_hinge_fit_to_margin():
    # grad_tol = 1e-6 lets the augmented Lagrangian stop at a certificate between grad_tol and
    # grad_tol / 100 (checked: without polishing it is not converged); the Newton polish on
    # the kinks then takes it below grad_tol / 100.
    obj = vicreg_objective(G_SMALL, **SMALL_VICREG)
    common = {"seed": 0, "restarts": 1, "grad_tol": 1e-6, "continue_on_stall": 0, **CPU}
    unpolished = fit_free(obj, (6, 3), polish_steps=0, **common)
    assert not unpolished.converged
    assert 1e-8 < unpolished.certificate <= 1e-6
    assert unpolished.polish_steps == 0
    with pytest.raises(NotConverged, match=r"margin .* of the required 100"):
        unpolished.require_converged()

    polished = fit_free(obj, (6, 3), **common)
    assert polished.converged, polished.status
    assert polished.polish_steps > 0
    assert polished.certificate <= 1e-8
    assert polished.margin >= 100
    assert polished.required_margin == 100
    loss, certificate, _ = optimality_certificate(obj, polished.z)
    assert (loss, certificate) == (polished.loss, polished.certificate)
    assert polished.loss <= unpolished.loss + 1e-10  # polishing never buys a higher loss
    # No column below the kink, and the view-difference column exactly on it (std 1); a
    # column in the null space of L may carry more variance at no cost.
    std = (polished.z - polished.z.mean(0)).std(dim=0)
    assert float(std.min()) >= 1 - 1e-10
    assert float((std - 1).abs().min()) <= 1e-10


def test_margin_one_accepts_what_the_minimiser_certified():
    obj = vicreg_objective(G_SMALL, **SMALL_VICREG)
    result = fit_free(obj, (6, 3), seed=0, restarts=1, grad_tol=1e-6, margin=1.0,
                      polish_steps=0, continue_on_stall=0, **CPU)
    assert result.converged
    assert 1e-8 < result.certificate <= 1e-6


def test_polish_to_floor_goes_past_the_target_on_a_quartic_valley():
    # A minimum of fourth order at 0: the certificate meets its target while |z| is still far
    # above the floor; polishing to the floor keeps taking Newton steps while they remove a
    # fraction of the loss.
    def quartic(Z):
        return (Z.pow(4) + Z.pow(6)).sum() + (Z[0] * Z[1]).square()

    start = torch.tensor([0.5, -0.3], dtype=F64)
    plain = fit_free(quartic, (2,), init=start, restarts=1, **CPU)
    floor = fit_free(quartic, (2,), init=start, restarts=1, polish_to_floor=True,
                     polish_steps=80, **CPU)
    assert plain.converged
    assert floor.converged
    assert plain.certificate <= 1e-10
    assert floor.polish_steps > plain.polish_steps
    assert float(floor.z.abs().max()) < 1e-3 * float(plain.z.abs().max())


def test_continue_on_stall_gives_a_stalled_restart_a_fresh_minimiser(monkeypatch):
    calls = []

    def scripted(run, loss_fn, options, budget, tick):
        calls.append(budget)
        if len(calls) == 1:
            run.status, run.loss, run.certificate = "stalled: scripted", 1.0, 1.0
            return False
        run.loss, run.certificate = 0.0, 0.0
        return True

    monkeypatch.setattr(fit_module, "_fit_smooth", scripted)
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

    monkeypatch.setattr(fit_module, "_fit_smooth", scripted)
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


# ------------------------------------------------------------------------- options and cache


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


def test_cached_fit_trains_once_and_remembers_failures():
    calls = []

    @cached_fit
    def fit(name: str, k: int) -> str:
        calls.append((name, k))
        if name == "bad":
            raise NotConverged("fit did not converge (scripted)")
        return f"{name}{k}"

    assert fit("good", 1) == fit("good", 1) == "good1"
    assert fit("good", 2) == "good2"
    assert calls == [("good", 1), ("good", 2)]
    with pytest.raises(NotConverged, match="scripted"):
        fit("bad", 1)
    with pytest.raises(NotConverged, match=r"scripted.*not retrained"):
        fit("bad", 1)
    assert calls.count(("bad", 1)) == 1
    fit.cache_clear()
    fit("good", 1)
    assert calls.count(("good", 1)) == 2
