"""Stationarity certificates: is a point a minimum, to a stated tolerance?

The certificate of a loss f at x is ``||g|| / max(1, |f(x)|)``: g is the gradient for a smooth
loss (criterion ``"grad-norm"``) and, for a :class:`HingeObjective`, the minimum-norm element of
the subdifferential (criterion ``"min-norm-subgradient"``, :func:`min_norm_subgradient`), which
is zero at an optimum on a kink although the gradient of either side is not. Dividing by
``max(1, |loss|)`` makes the test relative for large losses and absolute for small ones.
"""

from __future__ import annotations

import math

import torch

from torch_impl.fit.objectives import HingeObjective, Objective, as_loss
from torch_impl.validation import AnyTensor, InvalidInputError, IsCallable, Scalar, validate_params

__all__ = ["min_norm_subgradient", "optimality_certificate"]


@validate_params(base=AnyTensor(), kink_grads=AnyTensor())
def min_norm_subgradient(
    base: torch.Tensor, kink_grads: torch.Tensor
) -> tuple[float, torch.Tensor]:
    """Minimum norm of ``base + sum_k c_k kink_grads[k]`` over ``c`` in [0, 1]^m.

    The subdifferential of ``f + w sum_k relu(h_k)`` at a point where the hinges k are exactly
    on their kink is ``{base + sum_k c_k w grad h_k : c in [0, 1]^m}`` (``base`` = gradient of
    the smooth part plus ``w grad h_j`` of the active hinges); its minimum-norm element is zero
    iff the point is stationary. Solved exactly by a primal active-set method on the
    bounded least-squares problem (m is small: at most the number of hinges); any bounded
    ``c`` gives an upper bound, so a degenerate problem that exhausts the iteration cap still
    returns a conservative (never too small) value.

    Parameters
    ----------
    base : torch.Tensor
        Any shape; flattened.
    kink_grads : torch.Tensor of shape (m, *base.shape)
        The weighted gradients ``w grad h_k`` of the hinges on their kink; m may be 0.

    Returns
    -------
    norm : float
        The minimum Euclidean norm.
    coefficients : torch.Tensor of shape (m,), float64, on CPU
        A minimiser c.
    """
    # Tiny dense problem: solve in float64 on the CPU whatever the device.
    b = base.detach().reshape(-1).to("cpu", torch.float64)
    m = kink_grads.shape[0]
    if kink_grads.dim() == 0 or tuple(kink_grads.shape[1:]) != tuple(base.shape):
        raise InvalidInputError(
            f"kink_grads must have shape (m, *base.shape), got {tuple(kink_grads.shape)} "
            f"for base of shape {tuple(base.shape)}"
        )
    A = kink_grads.detach().reshape(m, b.numel()).to("cpu", torch.float64)
    c = torch.zeros(m, dtype=torch.float64)
    if m == 0:
        return float(b.norm()), c
    at_low = torch.ones(m, dtype=torch.bool)  # working set: variables held at a bound
    at_high = torch.zeros(m, dtype=torch.bool)
    scale = float(A.norm() * (A.norm() + b.norm())) or 1.0
    kkt_tol = 1e-13 * scale
    for _ in range(10 * m + 10):
        free = ~(at_low | at_high)
        target = c.clone()
        if bool(free.any()):
            fixed_part = b + A[~free].T @ c[~free]
            # Least squares on the free variables through pinv: minimum-norm solution when the
            # kink gradients are linearly dependent.
            target[free] = -torch.linalg.pinv(A[free].T) @ fixed_part
        step = target - c
        blocking = torch.full((m,), math.inf, dtype=torch.float64)
        dec = free & (step < 0)
        inc = free & (step > 0)
        blocking[dec] = -c[dec] / step[dec]
        blocking[inc] = (1 - c[inc]) / step[inc]
        t, k = blocking.min(dim=0)
        if float(t) < 1.0:
            # Walk to the first bound met and hold that variable there.
            c = (c + float(t) * step).clamp(0, 1)
            k = int(k)
            c[k] = 0.0 if step[k] < 0 else 1.0
            at_low[k] = step[k] < 0
            at_high[k] = step[k] > 0
            continue
        c = target.clamp(0, 1)
        slope = A @ (b + A.T @ c)  # gradient of half the squared norm w.r.t. c
        wrong_low = at_low & (slope < -kkt_tol)
        wrong_high = at_high & (slope > kkt_tol)
        if not bool((wrong_low | wrong_high).any()):
            break
        # Release the bound whose multiplier has the wrong sign by the most.
        violation = torch.where(wrong_low | wrong_high, slope.abs(), torch.zeros_like(slope))
        k = int(violation.argmax())
        at_low[k] = False
        at_high[k] = False
    return float((b + A.T @ c).norm()), c


def hinge_certificate(
    objective: HingeObjective, p: torch.Tensor, kink_tol: float
) -> tuple[float, float]:
    """(loss, min-norm subgradient norm) of a hinge objective at ``p``.

    Hinges with ``|h_k(p)| <= kink_tol`` count as on their kink, those above it as active.
    """
    with torch.enable_grad():
        x = p.detach().requires_grad_(True)
        smooth = objective.smooth(x)
        h = objective.hinge_args(x).reshape(-1)
        w = objective.hinge_weight
        loss = float(smooth.detach() + w * torch.relu(h.detach()).sum())
        active = h.detach() > kink_tol
        kink = torch.nonzero(h.detach().abs() <= kink_tol).reshape(-1).tolist()
        (base,) = torch.autograd.grad(smooth + w * h[active].sum(), x, retain_graph=True)
        rows = [
            w * torch.autograd.grad(h[k], x, retain_graph=True, allow_unused=True)[0] for k in kink
        ]
    rows = [torch.zeros_like(base) if r is None else r for r in rows]
    kink_grads = torch.stack(rows) if rows else base.new_zeros((0, *base.shape))
    norm, _ = min_norm_subgradient.unchecked(base, kink_grads)
    return loss, norm


def certify(objective: Objective | HingeObjective, x: torch.Tensor,
            kink_tol: float) -> tuple[float, float]:
    """(loss, certificate) at ``x``; (inf, inf) where either is not finite.

    The certificate is :func:`optimality_certificate`'s, without its input checks: this is
    the one evaluated inside the optimiser loops.
    """
    if isinstance(objective, HingeObjective):
        loss, norm = hinge_certificate(objective, x, kink_tol)
    else:
        with torch.enable_grad():
            q = x.detach().requires_grad_(True)
            f = as_loss(objective(q))
            (g,) = torch.autograd.grad(f, q)
        loss, norm = float(f.detach()), float(g.norm())
    if not (math.isfinite(loss) and math.isfinite(norm)):
        return math.inf, math.inf
    return loss, norm / max(1.0, abs(loss))


@validate_params(loss_fn=IsCallable(), z=AnyTensor(), kink_tol=Scalar(low=0.0, low_inclusive=False))
def optimality_certificate(
    loss_fn: Objective | HingeObjective, z: torch.Tensor, *, kink_tol: float = 1e-8
) -> tuple[float, float, str]:
    """Loss and stationarity certificate of ``loss_fn`` at ``z`` (e.g. at a closed-form optimum).

    Parameters
    ----------
    loss_fn : callable or HingeObjective
        A smooth loss ``z -> 0-d tensor`` or a hinge objective.
    z : torch.Tensor
        The point.
    kink_tol : float, default=1e-8
        Hinges with ``|h_k(z)| <= kink_tol`` count as on their kink (their subgradient
        coefficient ranges over [0, 1]); the certificate is then the minimum-norm element of
        this slightly enlarged subdifferential.

    Returns
    -------
    loss : float
    certificate : float
        ``||g|| / max(1, |loss|)``, g the gradient or the minimum-norm subgradient.
    criterion : str
        ``"grad-norm"`` or ``"min-norm-subgradient"``.
    """
    if isinstance(loss_fn, HingeObjective):
        loss, norm = hinge_certificate(loss_fn, z, kink_tol)
        return loss, norm / max(1.0, abs(loss)), "min-norm-subgradient"
    with torch.enable_grad():
        x = z.detach().requires_grad_(True)
        f = loss_fn(x)
        (g,) = torch.autograd.grad(f, x)
    loss = float(f.detach())
    return loss, float(g.norm()) / max(1.0, abs(loss)), "grad-norm"

