"""The optimiser driver: L-BFGS / Adam stepped one iteration at a time, with the stated criteria.

After every iteration the certificate (``||g|| / max(1, |f|)`` <= ``grad_tol``) and the plateau
(``|f_i - f_{i-1}| / max(1, |f_i|) <= loss_rtol`` over the last ``loss_window`` iterations) are
checked at the iterate itself; a non-finite value or an iterate above ``diverge_threshold``
ends the run as diverged; a loss gone flat before the certificate holds hands over to the
Newton polish (:mod:`torch_impl.fit.newton`). :func:`fit_smooth` is the whole minimiser of a
smooth loss; the augmented Lagrangian (:mod:`torch_impl.fit.hinge`) calls :func:`minimise` for
its inner problems.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from torch_impl.fit.certificates import certify
from torch_impl.fit.newton import polish_run
from torch_impl.fit.objectives import Objective, as_loss
from torch_impl.fit.options import FitOptions
from torch_impl.fit.run import Run

__all__ = ["plateau", "make_optimizer", "minimise", "fit_smooth"]

# torch.optim.LBFGS's own stopping tests are disabled (0): convergence is decided here, by the
# stated criterion, after every single iteration. It is stepped one iteration at a time, so its
# evaluation budget must be set explicitly: the default (5/4 of max_iter=1, i.e. 1) would
# leave the strong-Wolfe line search no evaluations at all.
_LBFGS_LINE_SEARCH_EVALS = 25
_LBFGS_HISTORY = 100


class _Diverged(Exception):
    """Raised inside a closure to abandon a run at the first non-finite or blown-up value."""

    def __init__(self, reason: str, p: torch.Tensor, loss: float):
        super().__init__(reason)
        self.reason = reason
        self.p = p
        self.loss = loss


def plateau(history: list[float], options: FitOptions) -> bool:
    """The last ``loss_window`` relative loss changes are all <= loss_rtol."""
    if len(history) <= options.loss_window:
        return False
    tail = history[-options.loss_window - 1 :]
    return all(
        abs(b - a) <= options.loss_rtol * max(1.0, abs(b))
        for a, b in zip(tail[:-1], tail[1:], strict=True)
    )


def make_optimizer(p: torch.Tensor, options: FitOptions) -> torch.optim.Optimizer:
    """The optimiser of ``options.method`` on the one parameter ``p``, one iteration a step."""
    if options.method == "adam":
        return torch.optim.Adam([p], lr=options.lr)
    return torch.optim.LBFGS(
        [p],
        # The unit step is the quasi-Newton step; the line search scales it.
        lr=1.0 if options.lr is None else options.lr,
        max_iter=1,
        max_eval=1 + _LBFGS_LINE_SEARCH_EVALS,
        tolerance_grad=0.0,
        tolerance_change=0.0,
        history_size=_LBFGS_HISTORY,
        line_search_fn="strong_wolfe",
    )


def minimise(
    run: Run,
    objective: Callable[[torch.Tensor], tuple[torch.Tensor, float]],
    options: FitOptions,
    budget: int,
    tick: Callable[[float], None],
    inner: bool,
) -> bool:
    """Iterate the optimiser on ``objective`` until its criteria hold or ``budget`` is spent.

    ``objective(p)`` returns (the differentiable function f being minimised, the reported
    loss). Each iteration first evaluates the current iterate p_k; the criteria are checked
    there and, when they hold, ``run.p`` is left exactly at p_k, the point they were checked at.
    The criteria are: gradient certificate <= grad_tol AND plateau of f; for an ``inner``
    problem of the augmented Lagrangian, the certificate alone (the outer loop certifies the
    true objective). When f goes flat first, Newton steps polish f's certificate to grad_tol
    (:func:`~torch_impl.fit.newton.newton_polish`). Returns whether the criteria held; sets
    ``run.diverged`` / ``run.status`` otherwise.
    """
    p = run.p.detach().clone().requires_grad_(True)
    optimizer = make_optimizer(p, options)
    seen: list[tuple[float, float, float]] = []  # (f, reported loss, certificate) per call

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        x = p.detach()
        # Along a declared symmetry (normalise) the iterate may grow without the loss changing
        # (L-BFGS steps far along a flat direction): its size is judged where it is certified.
        size = x if options.normalise is None else options.normalise(x)
        if not bool(torch.isfinite(size).all()) or float(size.abs().max()) > \
                options.diverge_threshold:
            raise _Diverged("iterate non-finite or above diverge_threshold", x, math.nan)
        f, reported = objective(p)
        if not math.isfinite(float(f.detach())) or not math.isfinite(reported):
            raise _Diverged("non-finite loss", p.detach(), reported)
        f.backward()
        g_norm = float(p.grad.norm())
        if not math.isfinite(g_norm):
            raise _Diverged("non-finite gradient", p.detach(), reported)
        f_value = float(f.detach())
        seen.append((f_value, reported, g_norm / max(1.0, abs(f_value))))
        return f

    values: list[float] = []  # f at each iterate
    still = 0  # consecutive iterations the iterate did not move
    for _ in range(budget):
        before = p.detach().clone()
        seen.clear()
        try:
            optimizer.step(closure)
        except _Diverged as exc:
            run.p, run.loss, run.diverged = exc.p.clone(), exc.loss, True
            run.status = f"diverged: {exc.reason}"
            return False
        f_k, loss_k, cert_k = seen[0]
        values.append(f_k)
        run.history.append(loss_k)
        run.iterations += 1
        tick(loss_k)
        still = still + 1 if torch.equal(before, p.detach()) else 0
        stuck = still >= options.loss_window
        # An iterate that no longer moves has a constant loss: a plateau as well (this is how a
        # start that is already optimal, e.g. a warm start, converges).
        small, flat = cert_k <= options.grad_tol, stuck or plateau(values, options)
        if small and (inner or flat):
            run.p, run.loss, run.certificate = before, loss_k, cert_k
            return True
        if flat:
            # The line search can no longer resolve a decrease of f (its changes are at the
            # rounding level while the gradient is not yet small): polish by Newton steps.
            run.p, run.loss, run.certificate = before, loss_k, cert_k

            def f_only(q: torch.Tensor) -> torch.Tensor:
                return objective(q)[0]

            polish_run(run, f_only, options, tick, target=options.grad_tol,
                       report=lambda q: objective(q)[1])
            if run.certificate <= options.grad_tol:
                return True
            run.status = (
                "stalled: the optimiser no longer moves the iterate"
                if stuck
                else f"stalled: loss flat but certificate {run.certificate:.3g} > grad_tol"
            )
            return False
    run.p = p.detach().clone()
    run.status = f"budget max_iter={options.max_iter} exhausted"
    return False


def fit_smooth(
    run: Run, loss_fn: Objective, options: FitOptions, budget: int,
    tick: Callable[[float], None],
) -> bool:
    """The minimiser of a smooth loss: :func:`minimise`, then certified at the point returned."""

    def objective(p: torch.Tensor) -> tuple[torch.Tensor, float]:
        f = as_loss(loss_fn(p))
        return f, float(f.detach())

    ok = minimise(run, objective, options, budget, tick, inner=False)
    if not run.diverged:
        # Recompute at the returned point so loss and certificate are exactly those of run.p.
        run.loss, run.certificate = certify(loss_fn, run.p, options.kink_tol)
    return ok
