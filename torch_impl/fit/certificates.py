"""Stationarity certificates: is a point a minimum, to a stated tolerance?

The certificate of a loss f at x is ``||g|| / max(1, |f(x)|)``: g is the gradient for a smooth
loss (criterion ``"grad-norm"``) and, for a :class:`HingeObjective`, the minimum-norm element of
the subdifferential (criterion ``"min-norm-subgradient"``, :func:`min_norm_subgradient`), which
is zero at an optimum on a kink although the gradient of either side is not. Dividing by
``max(1, |loss|)`` makes the test relative for large losses and absolute for small ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from torch_impl.fit.objectives import HingeObjective, Objective, as_loss
from torch_impl.validation import AnyTensor, InvalidInputError, IsCallable, Scalar, validate_params

__all__ = ["min_norm_subgradient", "optimality_certificate", "certificate_vector",
           "RoundingFloor", "rounding_floor"]

# Rounding floor (rounding_floor): the certificate vector is re-evaluated at this many float64
# neighbours of the point (each coordinate one ulp up or down, drawn from a generator seeded
# with _FLOOR_SEED, so the estimate is a function of the point alone). Eight samples give the
# spread with 7 (x the dimension) degrees of freedom: within ~30% for dimension >= 4.
_FLOOR_SAMPLES = 8
_FLOOR_SEED = 0


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
    loss, norm, _ = _hinge_subgradient(objective, p, kink_tol)
    return loss, norm


def _hinge_subgradient(
    objective: HingeObjective, p: torch.Tensor, kink_tol: float
) -> tuple[float, float, torch.Tensor]:
    """(loss, min-norm subgradient norm, the min-norm subgradient (p's shape, float64 CPU))."""
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
    norm, c = min_norm_subgradient.unchecked(base, kink_grads)
    # The minimiser's element itself (norm is its norm): b + A^T c, as min_norm_subgradient
    # forms it.
    b = base.detach().reshape(-1).to("cpu", torch.float64)
    A = kink_grads.detach().reshape(kink_grads.shape[0], b.numel()).to("cpu", torch.float64)
    vector = b + A.T @ c if kink_grads.shape[0] else b
    return loss, norm, vector.reshape(base.shape)


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


def certificate_vector(objective: Objective | HingeObjective, x: torch.Tensor,
                       kink_tol: float) -> tuple[float, torch.Tensor]:
    """(loss, v) at ``x``: v the vector whose norm :func:`certify` divides by ``max(1, |loss|)``.

    The gradient for a smooth objective; for a :class:`HingeObjective` the minimum-norm
    subgradient ``b + A^T c`` of :func:`min_norm_subgradient` (float64, CPU).
    """
    if isinstance(objective, HingeObjective):
        loss, _, vector = _hinge_subgradient(objective, x, kink_tol)
        return loss, vector
    with torch.enable_grad():
        q = x.detach().requires_grad_(True)
        f = as_loss(objective(q))
        (g,) = torch.autograd.grad(f, q)
    return float(f.detach()), g.detach()


@dataclass(frozen=True)
class RoundingFloor:
    """The certificate a float64 point cannot be resolved below (:func:`rounding_floor`).

    Attributes
    ----------
    floor : float
        ``sqrt(sum_i ||v_i - mean_j v_j||^2 / (m - 1)) / max(1, |loss|)`` over the m
        neighbours' certificate vectors v_i: the size of the certificate's rounding noise, in
        the certificate's units.
    certificate : float
        The certificate at the point itself.
    samples : int
        m, the neighbours evaluated.
    """

    floor: float
    certificate: float
    samples: int

    @property
    def ratio(self) -> float:
        """``certificate / floor`` (inf for a zero floor): ~1 at a point on its floor."""
        return self.certificate / self.floor if self.floor > 0 else math.inf


def rounding_floor(objective: Objective | HingeObjective, x: torch.Tensor, kink_tol: float,
                   *, samples: int = _FLOOR_SAMPLES, seed: int = _FLOOR_SEED) -> RoundingFloor:
    """The rounding floor of the certificate at ``x``: its spread over x's float64 neighbours.

    The computed certificate vector (gradient or min-norm subgradient, :func:`certificate_vector`)
    at a point x_i is ``v_i = v*(x) + H (x_i - x) + e_i``: the exact vector at x, the change
    between points (H the Hessian) and the evaluation's rounding error e_i. With x_i the point
    moved one ulp up or down in every coordinate at random (``nextafter``; sign draws from a
    generator seeded with ``seed``), x_i - x is the resolution of the point itself (a float64
    point cannot be placed closer than that to the exact optimum, and the Newton step that
    produced x rounds at that size), and e_i changes with the low bits of every intermediate.
    The exact part v*(x) is common to all the neighbours, so their spread

        floor = sqrt( sum_i ||v_i - mean_j v_j||^2 / (m - 1) ) / max(1, |loss(x)|)

    measures the rounding alone: no evaluation can tell the certificate of x from values this
    far apart, and a point whose certificate is a small multiple of it is as stationary as
    float64 resolves (a point short of its optimum keeps ``v*(x)`` and reads far above it).

    Parameters
    ----------
    objective : callable or HingeObjective
    x : torch.Tensor
        The point (floating dtype).
    kink_tol : float
        As in :func:`certify` (the neighbours keep the point's kinks: an ulp moves h_k by
        ~eps).
    samples : int, default=8
        m >= 2 neighbours.
    seed : int, default=0

    Returns
    -------
    RoundingFloor
        With the certificate at x itself (:func:`certify`'s value); floor inf when a value is
        not finite.
    """
    x = x.detach()
    loss, certificate = certify(objective, x, kink_tol)
    generator = torch.Generator().manual_seed(seed)
    up = torch.full_like(x, math.inf)
    vectors = []
    for _ in range(samples):
        sign = torch.randint(0, 2, x.shape, generator=generator).to(x.device).bool()
        neighbour = torch.nextafter(x, torch.where(sign, up, -up))
        _, vector = certificate_vector(objective, neighbour, kink_tol)
        vectors.append(vector.reshape(-1).to(torch.float64))
    V = torch.stack(vectors)
    spread = float((V - V.mean(dim=0)).square().sum() / (samples - 1)) ** 0.5
    if not (math.isfinite(loss) and math.isfinite(spread)):
        return RoundingFloor(math.inf, certificate, samples)
    return RoundingFloor(spread / max(1.0, abs(loss)), certificate, samples)


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

