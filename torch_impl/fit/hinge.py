"""The augmented Lagrangian (method of multipliers) that fits a :class:`HingeObjective`.

VICReg's variance hinge ``relu(1 - std_k)`` puts optima on the kink (columns of std exactly 1),
where the gradient does not vanish and plain L-BFGS stalls. On the splitting ``u = h(Z)`` the
inner problems are C^1 (each relu becomes a Huber-like piece whose slope is
``clip(lam_k + rho h_k, 0, w)``) and are solved by :func:`~torch_impl.fit.minimise.minimise`;
the multipliers ``lam_k`` converge to ``w c_k`` with ``c_k`` in [0, 1] the kink's subgradient
coefficient, so the iterate converges to the exact kink point rather than to a smoothed
neighbour.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from torch_impl.fit.certificates import certify
from torch_impl.fit.minimise import minimise, plateau
from torch_impl.fit.objectives import HingeObjective, as_loss
from torch_impl.fit.options import FitOptions
from torch_impl.fit.run import Run

__all__ = ["fit_hinge"]

# Augmented Lagrangian: rho grows tenfold whenever the splitting residual did not shrink by
# this factor, up to this multiple of its initial value (beyond it the inner problems become
# too ill-conditioned for L-BFGS to gain anything).
_ALM_SHRINK = 0.25
_ALM_RHO_GROWTH = 10.0
_ALM_RHO_MAX_FACTOR = 1e6


def fit_hinge(
    run: Run, obj: HingeObjective, options: FitOptions, budget: int,
    tick: Callable[[float], None],
) -> bool:
    """Augmented Lagrangian (method of multipliers) for ``smooth + w sum relu(h)``.

    With the splitting u = h(p), minimising the augmented Lagrangian over u in closed form
    leaves, for each hinge, a C^1 piecewise-quadratic function of h whose slope is
    ``clip(lam + rho h, 0, w)``; its value is ``(y_c^2 - lam^2) / (2 rho) + w relu(y - w) / rho``
    with ``y = lam + rho h`` and ``y_c = clip(y, 0, w)``. The multiplier update is that slope.

    An outer iteration is accepted only when the true loss's certificate <= grad_tol AND its
    history has a plateau (either alone is not an optimum: a small certificate while the loss
    still moves, or a flat loss away from stationarity). A plateau with the splitting met
    (residual <= kink_tol) but no certificate is a stall: the multipliers have nothing left to
    teach, and the polish stage takes over on the kinks.
    """
    w = obj.hinge_weight
    with torch.no_grad():
        m = obj.hinge_args(run.p).reshape(-1).numel()
    rho = options.rho if options.rho is not None else 10.0 * w
    rho_max = rho * _ALM_RHO_MAX_FACTOR
    # Multipliers start mid-range: no prior on which side of its kink each hinge ends.
    lam = torch.full((m,), w / 2, dtype=run.p.dtype, device=run.p.device)
    residual_before = math.inf
    limit = run.iterations + budget

    def augmented(p: torch.Tensor) -> tuple[torch.Tensor, float]:
        s = as_loss(obj.smooth(p))
        h = obj.hinge_args(p).reshape(-1)
        y = lam + rho * h
        yc = y.clamp(0, w)
        hinges = (yc.square() - lam.square()) / (2 * rho) + w * torch.relu(y - w) / rho
        f = s + hinges.sum()
        return f, float(s.detach() + w * torch.relu(h.detach()).sum())

    while run.iterations < limit:
        done = minimise(run, augmented, options, limit - run.iterations, tick, inner=True)
        if run.diverged:
            return False
        run.loss, run.certificate = certify(obj, run.p, options.kink_tol)
        flat = plateau(run.history, options)
        if run.certificate <= options.grad_tol and flat:
            return True
        with torch.no_grad():
            h = obj.hinge_args(run.p).reshape(-1)
            new_lam = (lam + rho * h).clamp(0, w)
            residual = float((new_lam - lam).abs().max()) / rho  # |h - u| of the splitting
        if flat and residual <= options.kink_tol:
            run.status = (
                f"stalled: splitting met (residual {residual:.3g}) and loss flat but "
                f"certificate {run.certificate:.3g} > grad_tol"
            )
            return False
        if residual == 0.0 and not done:
            return False  # nothing left to update: the multipliers and the iterate are fixed
        lam = new_lam
        if residual > _ALM_SHRINK * residual_before and rho < rho_max:
            rho *= _ALM_RHO_GROWTH
        residual_before = residual
        run.status = ""
    if not run.status:
        run.status = f"budget max_iter={options.max_iter} exhausted"
    return False
