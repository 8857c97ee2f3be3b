"""Train an SSL loss to a certified optimum: a free embedding Z (N, K) or a linear map Z = X W.

A claim's numeric test compares a trained optimum with a closed form, so "trained" must mean
more than "ran for a while". Here it is a stated criterion, checked at the very point that is
returned:

* **certificate**: ``||g|| / max(1, |loss|) <= grad_tol``, where ``g`` is the gradient
  (criterion ``"grad-norm"``) or, for a :class:`HingeObjective`, the minimum-norm subgradient
  (criterion ``"min-norm-subgradient"``, see :func:`optimality_certificate`). Dividing by
  ``max(1, |loss|)`` makes the test relative for large losses and absolute for small ones
  (a loss near 0 at the optimum, as VICReg's on a clean views graph, still gets a meaningful
  tolerance);
* **plateau**: ``|f_i - f_{i-1}| / max(1, |f_i|) <= loss_rtol`` for each of the last
  ``loss_window`` iterations.

``max_iter`` is only a budget: exhausting it (or stalling: the iterate stops moving) without
both criteria holding gives ``converged=False``. A non-finite loss, gradient or iterate, or an
iterate whose largest entry exceeds ``diverge_threshold`` (how a loss unbounded below shows
itself) gives ``diverged=True``; a diverged fit is never reported as converged.

Non-smooth objectives. VICReg's variance hinge ``relu(1 - std_k)`` puts optima on the kink
(columns of std exactly 1), where the gradient does not vanish and plain L-BFGS stalls. An
objective declared as ``smooth(Z) + w * sum_k relu(h_k(Z))`` (:class:`HingeObjective`) is fitted
by an augmented-Lagrangian (method of multipliers) scheme on the splitting ``u = h(Z)``: the
inner problems are C^1 (each relu becomes a Huber-like piece whose slope is
``clip(lam_k + rho h_k, 0, w)``) and are solved by the chosen optimiser; the multipliers
``lam_k`` converge to ``w c_k`` with ``c_k`` in [0, 1] the kink's subgradient coefficient, so
the iterate converges to the exact kink point rather than to a smoothed neighbour.

Reaching the certificate. A line search on f cannot push ||g|| below about sqrt(eps) (the
decrease it must detect is ~||g||^2, under float64 resolution), and SSL losses have curved
manifolds of minimisers (shifts, rotations) on which L-BFGS crawls. When the loss goes flat
(or the iterate stops moving) before the certificate holds, damped saddle-free Newton steps on
the dense Hessian (problems up to 2048 parameters, :func:`_newton_polish`) take over, accepted
on a decrease of the loss while it is resolved, then of the certificate. Larger problems rely
on the minimiser alone and may report ``converged=False`` at a tight ``grad_tol``: that is the
honest outcome, not a failure of the claim.

Margin. A certificate that only just meets ``grad_tol`` makes "converged" depend on the last
digits of the arithmetic (which differ between CPU instruction sets). A restart therefore
passes through stages (:func:`_fit_restart`): the minimiser must end converged or stalled; the
margin stage then requires ``certificate <= grad_tol / margin`` (``FitOptions.margin``, 100 by
default), polishing by Newton steps when the minimiser ended short of it (for a hinge
objective: on the kinks, where the problem is smooth, with the Hessian of the Lagrangian on
their tangent space); a restart still short is continued by a fresh minimiser from where it
stopped (``continue_on_stall``), then polished again. Otherwise it is not converged, and
:class:`NotConverged` states the certificate, the tolerance and the margin.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from tqdm import tqdm

from torch_impl.device import resolve_device, synchronize
from torch_impl.validation import (
    InvalidInputError,
    check_choice,
    check_embedding,
    check_int,
    check_n_components,
    check_scalar,
    check_shape,
)

__all__ = [
    "FitOptions",
    "FitResult",
    "NotConverged",
    "HingeObjective",
    "fit_free",
    "fit_linear",
    "restart_inits",
    "min_norm_subgradient",
    "optimality_certificate",
    "vicreg_objective",
    "cached_fit",
]

Objective = Callable[[torch.Tensor], torch.Tensor]

_METHODS = ("lbfgs", "adam")
# torch.optim.LBFGS's own stopping tests are disabled (0): convergence is decided here, by the
# stated criterion, after every single iteration. It is stepped one iteration at a time, so its
# evaluation budget must be set explicitly: the default (5/4 of max_iter=1, i.e. 1) would
# leave the strong-Wolfe line search no evaluations at all.
_LBFGS_LINE_SEARCH_EVALS = 25
_LBFGS_HISTORY = 100
# Augmented Lagrangian: rho grows tenfold whenever the splitting residual did not shrink by
# this factor, up to this multiple of its initial value (beyond it the inner problems become
# too ill-conditioned for L-BFGS to gain anything).
_ALM_SHRINK = 0.25
_ALM_RHO_GROWTH = 10.0
_ALM_RHO_MAX_FACTOR = 1e6
# Newton polish, only for problems whose dense Hessian is this small. Dampings are relative to
# the largest |Hessian eigenvalue| (0: the plain pseudo-inverse step; larger values shorten
# the steps along flat directions); multiplier 3 is the exact step on a quartic valley.
_NEWTON_MAX_PARAMS = 2048
_POLISH_DAMPINGS = (0.0, 1e-12, 1e-10, 1e-8, 1e-6, 1e-4, 1e-2)
_POLISH_MULTIPLIERS = (1.0, 2.0, 3.0)
# A loss decrease smaller than this fraction of |loss| is not resolved (float64 sums of terms
# up to ~100x the loss); below it the polish follows the certificate instead.
_LOSS_RESOLUTION = 1e-12
# polish_to_floor: stop once a step removes less than this fraction of the loss (on a quartic
# valley each step removes ~80%, near a non-degenerate minimum only rounding is left).
_POLISH_MIN_GAIN = 1e-4
# Hinges this close to their kink are held on it by the polish (the minimisers leave them
# within ~1e-9); Gauss-Newton steps back onto the kinks stop at this residual.
_POLISH_KINK_BAND = 1e-6
_PROJECTION_STEPS = 5
_PROJECTION_TOL = 1e-15
# Singular values of the kinks' Jacobian below this fraction of the largest are dependent rows.
_POLISH_RANK_RTOL = 1e-10
# Progress bars appear only for fits still running after this many seconds.
_PROGRESS_DELAY_S = 2.0


class NotConverged(RuntimeError):
    """A fit did not meet its convergence criterion (or diverged).

    The audit engine turns it into a "did not converge" verdict (ERROR), not a failed claim.
    """


@dataclass(frozen=True, eq=False)
class FitResult:
    """Outcome of :func:`fit_free` or :func:`fit_linear` (the best of the seeded restarts).

    Attributes
    ----------
    z : torch.Tensor of shape (N, K)
        The optimum (for a linear fit, ``X @ w``), detached.
    w : torch.Tensor of shape (D, K) or None
        The optimal linear map for :func:`fit_linear`; None for a free fit.
    loss : float
        The loss at ``z`` (for a hinge objective, the true non-smooth loss).
    grad_norm : float
        The certificate at ``z``, the value compared with ``grad_tol / required_margin``:
        ``||g|| / max(1, |loss|)`` with ``g`` as named by ``criterion`` (also ``certificate``).
    criterion : str
        ``"grad-norm"`` (smooth loss) or ``"min-norm-subgradient"`` (:class:`HingeObjective`).
    iterations : int
        Optimiser iterations of the kept restart (all inner iterations for a hinge objective),
        Newton polishing steps included.
    seconds : float
        Wall-clock time of all restarts (device synchronised).
    converged : bool
        The minimiser's criteria held (or it stalled), the certificate at ``z`` is
        ``<= grad_tol / required_margin`` and no restart diverged.
    diverged : bool
        Some restart met a non-finite loss / gradient / iterate or an iterate larger than
        ``diverge_threshold``.
    status : str
        Why the kept restart stopped, in words.
    history : tuple of float
        Loss at each iterate of the kept restart (the true loss for a hinge objective).
    restart_losses : tuple of float
        Final loss of each restart (NaN / inf for a diverged one).
    best_restart : int
        Index of the kept restart: the lowest final loss among those that did not diverge.
    seed, device, grad_tol, loss_rtol
        The settings the fit ran with.
    required_margin : float
        ``FitOptions.margin``: the factor the certificate must stay below ``grad_tol``.
    polish_steps : int
        Newton polishing steps of the kept restart.
    """

    z: torch.Tensor
    w: torch.Tensor | None
    loss: float
    grad_norm: float
    criterion: str
    iterations: int
    seconds: float
    converged: bool
    diverged: bool
    status: str
    history: tuple[float, ...]
    restart_losses: tuple[float, ...]
    best_restart: int
    seed: int
    device: torch.device
    grad_tol: float
    loss_rtol: float
    required_margin: float = 1.0
    polish_steps: int = 0

    @property
    def certificate(self) -> float:
        """The certificate at ``z`` (same as ``grad_norm``)."""
        return self.grad_norm

    @property
    def tolerance(self) -> float:
        """The tolerance the certificate is compared with: ``grad_tol``."""
        return self.grad_tol

    @property
    def margin(self) -> float:
        """``grad_tol / certificate`` (inf for a zero certificate): >= ``required_margin``
        for a converged fit."""
        return self.grad_tol / self.grad_norm if self.grad_norm > 0 else math.inf

    def require_converged(self) -> FitResult:
        """Return ``self`` if the fit converged, else raise :class:`NotConverged`.

        Raises
        ------
        NotConverged
            With the loss, the certificate and its tolerance in the message.
        """
        if self.converged:
            return self
        kind = "diverged" if self.diverged else "did not converge"
        raise NotConverged(
            f"fit {kind} ({self.status}): loss={self.loss:.6g}, {self.criterion} certificate "
            f"{self.grad_norm:.3g} (tolerance grad_tol={self.grad_tol:.3g}, margin "
            f"{self.margin:.3g} of the required {self.required_margin:g}, "
            f"loss_rtol={self.loss_rtol:.3g}) after {self.iterations} iterations "
            f"({self.polish_steps} of them Newton polishing steps)"
        )


@dataclass(frozen=True, eq=False)
class HingeObjective:
    """A loss ``smooth(Z) + hinge_weight * sum_k relu(hinge_args(Z)_k)``.

    Declaring the non-smooth part lets the fit certify an optimum on a kink with the
    minimum-norm subgradient and reach it with an augmented Lagrangian (module docstring).

    Parameters
    ----------
    smooth : callable
        ``Z -> 0-d tensor``, differentiable.
    hinge_args : callable
        ``Z -> tensor of shape (m,)``: the arguments h_k of the hinges, differentiable.
    hinge_weight : float
        w > 0, the weight of the hinge sum (VICReg's alpha).
    """

    smooth: Objective
    hinge_args: Objective
    hinge_weight: float

    def __post_init__(self) -> None:
        for name in ("smooth", "hinge_args"):
            if not callable(getattr(self, name)):
                raise TypeError(f"{name} must be callable, got {type(getattr(self, name))}")
        weight = check_scalar(self.hinge_weight, "hinge_weight", low=0.0, low_inclusive=False)
        # Frozen dataclass: store the validated float through object.__setattr__.
        object.__setattr__(self, "hinge_weight", weight)

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        """The loss at ``z`` (0-d tensor)."""
        return self.smooth(z) + self.hinge_weight * torch.relu(self.hinge_args(z)).sum()

    def compose(self, transform: Objective) -> HingeObjective:
        """The same objective of ``transform(p)`` (used to fit Z = X W through W)."""
        return HingeObjective(
            lambda p: self.smooth(transform(p)),
            lambda p: self.hinge_args(transform(p)),
            self.hinge_weight,
        )


def vicreg_objective(G: torch.Tensor, *, alpha: float, beta: float, gamma: float) -> HingeObjective:
    """BL22's VICReg as a :class:`HingeObjective` (hinge weight alpha).

    ``smooth = vicreg_smooth_part(Z, G, beta=beta, gamma=gamma)``, ``hinge_args =
    vicreg_hinge_arguments(Z)`` (``1 - sqrt(max(C_kk, 1e-6))``); their sum equals
    ``vicreg_loss(Z, G, alpha=alpha, beta=beta, gamma=gamma)``.

    Parameters
    ----------
    G : torch.Tensor of shape (N, N)
        Relation matrix.
    alpha, beta, gamma : float
        VICReg's variance, covariance and invariance weights; alpha > 0.
    """
    # Imported here, not at module level: fit must import without the losses package.
    from torch_impl.losses import vicreg_hinge_arguments, vicreg_smooth_part

    beta = check_scalar(beta, "beta")
    gamma = check_scalar(gamma, "gamma")
    alpha = check_scalar(alpha, "alpha", low=0.0, low_inclusive=False)
    return HingeObjective(
        lambda z: vicreg_smooth_part(z, G, beta=beta, gamma=gamma),
        vicreg_hinge_arguments,
        alpha,
    )


# ---------------------------------------------------------------------------------------------
# Certificates
# ---------------------------------------------------------------------------------------------


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


def _hinge_certificate(
    objective: HingeObjective, p: torch.Tensor, kink_tol: float
) -> tuple[float, float]:
    """(loss, min-norm subgradient norm) of a hinge objective at ``p``."""
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
    norm, _ = min_norm_subgradient(base, kink_grads)
    return loss, norm


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
    kink_tol = check_scalar(kink_tol, "kink_tol", low=0.0, low_inclusive=False)
    if isinstance(loss_fn, HingeObjective):
        loss, norm = _hinge_certificate(loss_fn, z, kink_tol)
        return loss, norm / max(1.0, abs(loss)), "min-norm-subgradient"
    with torch.enable_grad():
        x = z.detach().requires_grad_(True)
        f = loss_fn(x)
        (g,) = torch.autograd.grad(f, x)
    loss = float(f.detach())
    return loss, float(g.norm()) / max(1.0, abs(loss)), "grad-norm"


# ---------------------------------------------------------------------------------------------
# Options
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FitOptions:
    """How a fit runs and when it counts as converged (shared by :func:`fit_free` and
    :func:`fit_linear`, which also accept each field as a keyword argument).

    Attributes
    ----------
    method : {"lbfgs", "adam"}, default="lbfgs"
        L-BFGS with a strong-Wolfe line search, or Adam (then ``lr`` is required).
    lr : float, optional
        Step size (L-BFGS default 1, the quasi-Newton step).
    max_iter : int, default=1000
        Budget of optimiser iterations per restart (per continuation, see
        ``continue_on_stall``); running out means not converged.
    grad_tol : float, default=1e-8
        Tolerance on the certificate ``||g|| / max(1, |loss|)``.
    loss_rtol : float, default=1e-10
        Tolerance on each of the last ``loss_window`` relative loss changes.
    loss_window : int, default=5
    kink_tol : float, default=1e-8
        Hinges with ``|h_k| <= kink_tol`` count as on their kink (:func:`optimality_certificate`).
    rho : float, optional
        Initial augmented-Lagrangian penalty for hinge objectives (default 10 * hinge_weight;
        a stiffer start, e.g. 100 * hinge_weight, reaches optima with many kinks faster).
    diverge_threshold : float, default=1e8
        An iterate entry larger in magnitude means divergence (a loss unbounded below).
    margin : float, default=100
        Required factor between ``grad_tol`` and the returned certificate: converged needs
        ``certificate <= grad_tol / margin``. A minimiser that ends between the two is polished
        by Newton steps (module docstring) rather than accepted, so that a verdict does not
        hang on the last digits of a CPU's arithmetic. 1 disables the requirement.
    polish_steps : int, default=20
        Budget of Newton polishing steps per polish (0: no polishing).
    polish_to_floor : bool, default=False
        Keep polishing after the certificate reaches ``grad_tol / margin``, while a step still
        removes a fraction ``1e-4`` of the loss (within ``polish_steps``). For degenerate
        minima whose loss grows like the fourth power of the distance (BarlowTwins' zero-loss
        optima), where a small certificate still leaves the point ~certificate^(1/3) away.
    continue_on_stall : int, default=1
        How many times a restart that stalled (flat loss, certificate not met, polish failed)
        is continued by a fresh optimiser (new curvature history; for a hinge objective, new
        multipliers) from where it stopped, each with a fresh ``max_iter`` budget.
    normalise : callable, optional
        ``p -> p'`` with ``loss(p') = loss(p)`` (a symmetry of the loss, e.g. row
        normalisation for a loss of normalize(Z)): the fit is certified, polished and returned
        at ``normalise(p)``, so that a certificate cannot be met by drifting along the symmetry
        (long rows shrink a scale-invariant loss's gradient as 1 / ||z_i||).
    """

    method: str = "lbfgs"
    lr: float | None = None
    max_iter: int = 1000
    grad_tol: float = 1e-8
    loss_rtol: float = 1e-10
    loss_window: int = 5
    kink_tol: float = 1e-8
    rho: float | None = None
    diverge_threshold: float = 1e8
    margin: float = 100.0
    polish_steps: int = 20
    polish_to_floor: bool = False
    continue_on_stall: int = 1
    normalise: Objective | None = None

    def __post_init__(self) -> None:
        # Frozen dataclass: store each validated value through object.__setattr__.
        def store(name: str, value: object) -> None:
            object.__setattr__(self, name, value)

        method = check_choice(self.method, "method", _METHODS)
        if self.lr is not None:
            store("lr", check_scalar(self.lr, "lr", low=0.0, low_inclusive=False))
        elif method == "adam":
            raise InvalidInputError("lr must be given for method='adam' (no default step size)")
        store("max_iter", check_int(self.max_iter, "max_iter", low=1))
        for name in ("grad_tol", "loss_rtol", "kink_tol", "diverge_threshold"):
            store(name, check_scalar(getattr(self, name), name, low=0.0, low_inclusive=False))
        store("loss_window", check_int(self.loss_window, "loss_window", low=1))
        if self.rho is not None:
            store("rho", check_scalar(self.rho, "rho", low=0.0, low_inclusive=False))
        store("margin", check_scalar(self.margin, "margin", low=1.0))
        store("polish_steps", check_int(self.polish_steps, "polish_steps", low=0))
        store("continue_on_stall", check_int(self.continue_on_stall, "continue_on_stall", low=0))
        if not isinstance(self.polish_to_floor, bool):
            raise TypeError(f"polish_to_floor must be a bool, got {type(self.polish_to_floor)}")
        if self.normalise is not None and not callable(self.normalise):
            raise TypeError(f"normalise must be callable, got {type(self.normalise).__name__}")

    @property
    def target(self) -> float:
        """The certificate a converged fit must reach: ``grad_tol / margin``."""
        return self.grad_tol / self.margin


def _options(options: FitOptions | None, overrides: dict[str, object]) -> FitOptions:
    """``options`` (default :class:`FitOptions`) with the keyword overrides applied."""
    if options is None:
        options = FitOptions()
    elif not isinstance(options, FitOptions):
        raise TypeError(f"options must be a FitOptions, got {type(options).__name__}")
    unknown = sorted(set(overrides) - {f.name for f in dataclasses.fields(FitOptions)})
    if unknown:
        raise TypeError(f"unknown fit option(s) {unknown}; see FitOptions")
    return dataclasses.replace(options, **overrides) if overrides else options


# ---------------------------------------------------------------------------------------------
# One restart
# ---------------------------------------------------------------------------------------------


class _Diverged(Exception):
    """Raised inside a closure to abandon a run at the first non-finite or blown-up value."""

    def __init__(self, reason: str, p: torch.Tensor, loss: float):
        super().__init__(reason)
        self.reason = reason
        self.p = p
        self.loss = loss


@dataclass
class _Run:
    """Mutable state of one restart."""

    p: torch.Tensor
    history: list[float]
    iterations: int = 0
    diverged: bool = False
    status: str = ""
    loss: float = math.nan
    certificate: float = math.inf
    polish_steps: int = 0


def _plateau(history: list[float], options: FitOptions) -> bool:
    """The last ``loss_window`` relative loss changes are all <= loss_rtol."""
    if len(history) <= options.loss_window:
        return False
    tail = history[-options.loss_window - 1 :]
    return all(
        abs(b - a) <= options.loss_rtol * max(1.0, abs(b))
        for a, b in zip(tail[:-1], tail[1:], strict=True)
    )


def _make_optimizer(p: torch.Tensor, options: FitOptions) -> torch.optim.Optimizer:
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


def _as_loss(value: object) -> torch.Tensor:
    if not isinstance(value, torch.Tensor) or value.numel() != 1:
        raise TypeError(f"loss_fn must return a 0-d tensor, got {type(value).__name__}")
    return value.reshape(())


def _minimise(
    run: _Run,
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
    (:func:`_newton_polish`). Returns whether the criteria held; sets ``run.diverged`` /
    ``run.status`` otherwise.
    """
    p = run.p.detach().clone().requires_grad_(True)
    optimizer = _make_optimizer(p, options)
    seen: list[tuple[float, float, float]] = []  # (f, reported loss, certificate) per call

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        x = p.detach()
        if not bool(torch.isfinite(x).all()) or float(x.abs().max()) > options.diverge_threshold:
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
        small, flat = cert_k <= options.grad_tol, stuck or _plateau(values, options)
        if small and (inner or flat):
            run.p, run.loss, run.certificate = before, loss_k, cert_k
            return True
        if flat:
            # The line search can no longer resolve a decrease of f (its changes are at the
            # rounding level while the gradient is not yet small): polish by Newton steps.
            run.p, run.loss, run.certificate = before, loss_k, cert_k

            def f_only(q: torch.Tensor) -> torch.Tensor:
                return objective(q)[0]

            _polish_run(run, f_only, options, tick, target=options.grad_tol,
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


def _fit_smooth(
    run: _Run, loss_fn: Objective, options: FitOptions, budget: int,
    tick: Callable[[float], None],
) -> bool:
    def objective(p: torch.Tensor) -> tuple[torch.Tensor, float]:
        f = _as_loss(loss_fn(p))
        return f, float(f.detach())

    ok = _minimise(run, objective, options, budget, tick, inner=False)
    if not run.diverged:
        # Recompute at the returned point so loss and certificate are exactly those of run.p.
        run.loss, run.certificate = _certify(loss_fn, run.p, options.kink_tol)
    return ok


def _fit_hinge(
    run: _Run, obj: HingeObjective, options: FitOptions, budget: int,
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
        s = _as_loss(obj.smooth(p))
        h = obj.hinge_args(p).reshape(-1)
        y = lam + rho * h
        yc = y.clamp(0, w)
        hinges = (yc.square() - lam.square()) / (2 * rho) + w * torch.relu(y - w) / rho
        f = s + hinges.sum()
        return f, float(s.detach() + w * torch.relu(h.detach()).sum())

    while run.iterations < limit:
        done = _minimise(run, augmented, options, limit - run.iterations, tick, inner=True)
        if run.diverged:
            return False
        run.loss, run.certificate = _certify(obj, run.p, options.kink_tol)
        flat = _plateau(run.history, options)
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


# ---------------------------------------------------------------------------------------------
# Newton polish (one polisher: stalls of the minimiser and the margin stage)
# ---------------------------------------------------------------------------------------------


def _certify(objective: Objective | HingeObjective, x: torch.Tensor,
             kink_tol: float) -> tuple[float, float]:
    """(loss, certificate) at ``x``; (inf, inf) where either is not finite."""
    if isinstance(objective, HingeObjective):
        loss, norm = _hinge_certificate(objective, x, kink_tol)
    else:
        with torch.enable_grad():
            q = x.detach().requires_grad_(True)
            f = _as_loss(objective(q))
            (g,) = torch.autograd.grad(f, q)
        loss, norm = float(f.detach()), float(g.norm())
    if not (math.isfinite(loss) and math.isfinite(norm)):
        return math.inf, math.inf
    return loss, norm / max(1.0, abs(loss))


def _onto_kinks(kinks: Objective, v: torch.Tensor) -> torch.Tensor:
    """Gauss-Newton steps ``v - J^+ h_K(v)`` back onto the kinks h_K = 0 (v flat, (n,))."""
    for _ in range(_PROJECTION_STEPS):
        h = kinks(v).detach()
        if not bool(torch.isfinite(h).all()) or float(h.abs().max()) <= _PROJECTION_TOL:
            break
        J = torch.autograd.functional.jacobian(kinks, v)
        v = v - torch.linalg.pinv(J) @ h
    return v


def _newton_candidates(objective: Objective | HingeObjective, x: torch.Tensor
                       ) -> list[torch.Tensor]:
    """Trial points of one saddle-free Newton step from ``x``, on the kinks for a hinge.

    Smooth objective: steps ``-m (|H| + d top I)^+ g`` for every damping d in
    ``_POLISH_DAMPINGS`` and multiplier m in ``_POLISH_MULTIPLIERS``, |H| the Hessian with its
    eigenvalues made positive (a descent step also along negative curvature; SSL minima are
    degenerate: shifts, rotations) and top its largest |eigenvalue|. Multiplier 3 is the exact
    step on a quartic valley (Newton goes 1/3 of the way there).

    Hinge objective: hinges with ``|h_k| <= _POLISH_KINK_BAND`` are held on their kink
    (h_k = 0), those above it count fully. On that set the problem is smooth: the same steps
    are taken on the tangent space of the kinks with the Hessian of the Lagrangian
    ``smooth + w sum_{above} h_j + sum_{kinks} lam_k h_k`` (lam the least-squares multipliers),
    then projected back onto the kinks.
    """
    shape = x.shape
    xf = x.detach().reshape(-1)
    kinks: Objective | None = None
    if isinstance(objective, HingeObjective):
        with torch.no_grad():
            h = objective.hinge_args(x).reshape(-1)
        on_kink, above = h.abs() <= _POLISH_KINK_BAND, h > _POLISH_KINK_BAND
        w = objective.hinge_weight

        def base(v: torch.Tensor) -> torch.Tensor:
            z = v.reshape(shape)
            return _as_loss(objective.smooth(z)) + w * objective.hinge_args(z).reshape(-1)[
                above].sum()

        if bool(on_kink.any()):
            def kinks(v: torch.Tensor) -> torch.Tensor:
                return objective.hinge_args(v.reshape(shape)).reshape(-1)[on_kink]
    else:
        def base(v: torch.Tensor) -> torch.Tensor:
            return _as_loss(objective(v.reshape(shape)))

    with torch.enable_grad():
        v = xf.clone().requires_grad_(True)
        (g,) = torch.autograd.grad(base(v), v)
    lagrangian, tangent = base, None
    if kinks is not None:
        J = torch.autograd.functional.jacobian(kinks, xf)
        lam = -(torch.linalg.pinv(J.T) @ g)

        def lagrangian(v: torch.Tensor) -> torch.Tensor:
            return base(v) + (lam * kinks(v)).sum()

        _, s, vh = torch.linalg.svd(J, full_matrices=True)
        rank = int((s > _POLISH_RANK_RTOL * s[0]).sum()) if float(s[0]) > 0 else 0
        tangent = vh[rank:].T  # (n, n - rank): directions that keep the kinks to first order
    H = torch.autograd.functional.hessian(lagrangian, xf)
    H = (H + H.T) / 2
    if tangent is not None:
        H, g = tangent.T @ H @ tangent, tangent.T @ g
    if g.numel() == 0:
        return []
    eigenvalues, vectors = torch.linalg.eigh(H)
    top = float(eigenvalues.abs().max())
    if not math.isfinite(top) or top == 0.0:
        return []
    coordinates = vectors.T @ g
    candidates = []
    for damping in _POLISH_DAMPINGS:
        denominator = eigenvalues.abs() + damping * top
        keep = denominator > 0
        step = vectors[:, keep] @ (coordinates[keep] / denominator[keep])
        if tangent is not None:
            step = tangent @ step
        for multiplier in _POLISH_MULTIPLIERS:
            candidate = xf - multiplier * step
            if kinks is not None:
                candidate = _onto_kinks(kinks, candidate)
            candidates.append(candidate.reshape(shape))
    return candidates


def _newton_polish(
    objective: Objective | HingeObjective,
    x: torch.Tensor,
    *,
    target: float,
    steps: int,
    to_floor: bool,
    kink_tol: float,
    transform: Objective | None = None,
    on_step: Callable[[torch.Tensor, float], None] | None = None,
) -> tuple[torch.Tensor, float, float, int]:
    """Newton steps from ``x`` until the certificate is <= ``target`` (or the floor).

    Near a minimum, changes of f fall below float64 resolution long before the gradient is at
    its own floor, so a line search on f stalls at ||g|| ~ sqrt(eps); on a flat or kinked
    valley L-BFGS and the augmented Lagrangian crawl. Each step scores the trial points of
    :func:`_newton_candidates` (each passed through ``transform``, a symmetry of the loss):
    while the loss still resolves a decrease (more than ``_LOSS_RESOLUTION`` of |loss|) the
    lowest loss is taken, then the lowest certificate among points that do not raise the loss.
    It stops at ``target`` (``to_floor``: once a step also gains less than a fraction
    ``_POLISH_MIN_GAIN`` of the loss), when no trial point improves, after ``steps`` steps, or
    at once for problems above ``_NEWTON_MAX_PARAMS`` parameters (dense Hessian).

    Returns
    -------
    x : torch.Tensor
        The last accepted point.
    loss, certificate : float
        At ``x`` (:func:`optimality_certificate`'s definitions).
    taken : int
        Accepted steps.
    """
    x = x.detach()
    loss, certificate = _certify(objective, x, kink_tol)
    taken = 0
    if x.numel() > _NEWTON_MAX_PARAMS or not math.isfinite(loss):
        return x, loss, certificate, taken
    while taken < steps and (to_floor or certificate > target):
        scored = []
        for candidate in _newton_candidates(objective, x):
            if transform is not None:
                candidate = transform(candidate).detach()
            value, cert = _certify(objective, candidate, kink_tol)
            if math.isfinite(value):
                scored.append((candidate, value, cert))
        if not scored:
            break
        resolution = _LOSS_RESOLUTION * abs(loss)
        lowest = min(scored, key=lambda s: s[1])
        if lowest[1] < loss - resolution:
            chosen = lowest  # the loss still resolves a decrease: follow it
        else:
            level = [s for s in scored if s[1] <= loss + resolution]
            chosen = min(level, key=lambda s: s[2]) if level else None
            if chosen is None or chosen[2] >= certificate:
                break  # no trial point improves either criterion
        gain = loss - chosen[1]
        previous = abs(loss)
        x, loss, certificate = chosen
        taken += 1
        if on_step is not None:
            on_step(x, loss)
        if to_floor and certificate <= target and gain <= _POLISH_MIN_GAIN * previous:
            break
    return x, loss, certificate, taken


def _polish_run(
    run: _Run,
    objective: Objective | HingeObjective,
    options: FitOptions,
    tick: Callable[[float], None],
    *,
    target: float,
    to_floor: bool = False,
    transform: Objective | None = None,
    report: Callable[[torch.Tensor], float] | None = None,
) -> None:
    """:func:`_newton_polish` from ``run.p``; each step counts as an iteration of the run.

    ``report(x)`` is the loss written to the history (default: the polished objective's).
    """

    def on_step(x: torch.Tensor, loss: float) -> None:
        reported = loss if report is None else report(x)
        run.iterations += 1
        run.polish_steps += 1
        run.history.append(reported)
        tick(reported)

    run.p, loss, run.certificate, _ = _newton_polish(
        objective, run.p, target=target, steps=options.polish_steps, to_floor=to_floor,
        kink_tol=options.kink_tol, transform=transform, on_step=on_step)
    run.loss = loss if report is None else report(run.p)


def _margin_stage(
    run: _Run, objective: Objective | HingeObjective, options: FitOptions,
    tick: Callable[[float], None],
) -> bool:
    """Certify the restart with margin: ``certificate <= grad_tol / margin`` (polished if not).

    The point is first mapped by ``options.normalise`` (when given) and certified there; a
    certificate above the target, or ``polish_to_floor``, triggers the Newton polish.
    Returns whether the target holds; otherwise ``run.status`` says by how much it missed.
    """
    target = options.target
    if options.normalise is not None:
        run.p = options.normalise(run.p).detach()
        run.loss, run.certificate = _certify(objective, run.p, options.kink_tol)
    if run.certificate > target or options.polish_to_floor:
        certified = (run.p, run.loss, run.certificate)
        _polish_run(run, objective, options, tick, target=target,
                    to_floor=options.polish_to_floor, transform=options.normalise)
        if run.certificate > target >= certified[2]:
            # Polishing to the floor left a certified point for a lower loss it could not
            # certify: keep the certified one.
            run.p, run.loss, run.certificate = certified
    if run.certificate <= target:
        return True
    before = f" ({run.status})" if run.status else ""
    run.status = (
        f"certificate {run.certificate:.3g} above grad_tol / margin = {target:.3g} after "
        f"{run.polish_steps} Newton polishing steps{before}"
    )
    return False


def _fit_restart(
    run: _Run, objective: Objective | HingeObjective, options: FitOptions,
    tick: Callable[[float], None],
) -> bool:
    """One restart through its stages: minimiser, margin stage, continuation after a stall.

    The minimiser (L-BFGS / Adam, or the augmented Lagrangian for a hinge objective) must end
    converged or stalled (flat loss); a budget run out is final. The margin stage then
    certifies with margin, polishing if needed; a restart still short of it is continued
    ``continue_on_stall`` times by a fresh minimiser from where it stopped.
    """
    fit_one = _fit_hinge if isinstance(objective, HingeObjective) else _fit_smooth
    ok = fit_one(run, objective, options, options.max_iter, tick)
    for attempt in range(options.continue_on_stall + 1):
        if run.diverged or not (ok or run.status.startswith("stalled")):
            return False
        if _margin_stage(run, objective, options, tick):
            return True
        if attempt < options.continue_on_stall:
            ok = fit_one(run, objective, options, options.max_iter, tick)
    return False


# ---------------------------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------------------------


def restart_inits(
    shape: tuple[int, ...],
    restarts: int,
    *,
    seed: int = 0,
    init: torch.Tensor | None = None,
    init_scale: float = 1.0,
    device: str | torch.device | None = "auto",
    dtype: torch.dtype = torch.float64,
) -> list[torch.Tensor]:
    """The starting points of the seeded restarts of a fit.

    Restart 0 starts at ``init`` when one is given; every other start is an independent
    ``N(0, init_scale^2)`` draw from one ``torch.Generator(device).manual_seed(seed)``, so the
    whole list is a function of (seed, restarts, shape, device).

    Parameters
    ----------
    shape : tuple of int
        Shape of the optimised tensor.
    restarts : int
        Number of starting points (>= 1).
    seed : int, default=0
    init : torch.Tensor of shape ``shape``, optional
    init_scale : float, default=1.0
        Standard deviation of the random starts (> 0).
    device : {"auto", "cpu", "cuda"} or torch.device, default="auto"
    dtype : torch.dtype, default=torch.float64

    Returns
    -------
    list of torch.Tensor
        ``restarts`` tensors of shape ``shape``.
    """
    shape = check_shape(shape, "shape")
    restarts = check_int(restarts, "restarts", low=1)
    seed = check_int(seed, "seed", low=0)
    init_scale = check_scalar(init_scale, "init_scale", low=0.0, low_inclusive=False)
    device = resolve_device(device)
    generator = torch.Generator(device).manual_seed(seed)
    starts = []
    if init is not None:
        if not isinstance(init, torch.Tensor):
            raise TypeError(f"init must be a torch.Tensor of shape {shape}, got {type(init)}")
        if tuple(init.shape) != shape:
            raise InvalidInputError(f"init must have shape {shape}, got {tuple(init.shape)}")
        if not init.dtype.is_floating_point or not bool(torch.isfinite(init).all()):
            raise InvalidInputError("init must be a finite floating tensor")
        starts.append(init.detach().to(device, dtype).clone(memory_format=torch.contiguous_format))
    while len(starts) < restarts:
        draw = torch.randn(shape, generator=generator, device=device, dtype=dtype)
        starts.append(init_scale * draw)
    return starts


def _show_progress(progress: bool) -> bool:
    # Bars would garble CI logs and captured output: only on an interactive stderr.
    return bool(progress) and not os.environ.get("CI") and sys.stderr.isatty()


def _fit(
    loss_fn: Objective | HingeObjective,
    starts: list[torch.Tensor],
    options: FitOptions,
    *,
    seed: int,
    device: torch.device,
    progress: bool,
    to_z: Callable[[torch.Tensor], torch.Tensor] | None,
) -> FitResult:
    """Run every restart from ``starts`` and keep the best (see :class:`FitResult`)."""
    objective = loss_fn
    if to_z is not None:
        objective = (
            loss_fn.compose(to_z)
            if isinstance(loss_fn, HingeObjective)
            else (lambda p: loss_fn(to_z(p)))
        )
    hinge = isinstance(objective, HingeObjective)
    bar = tqdm(
        total=options.max_iter * len(starts),
        desc="fit",
        delay=_PROGRESS_DELAY_S,
        leave=False,
        disable=not _show_progress(progress),
    )

    def tick(loss: float) -> None:
        bar.update(1)
        if bar.n % 50 == 0:
            bar.set_postfix(loss=f"{loss:.6g}", refresh=False)

    runs, converged = [], []
    synchronize(device)
    started = time.perf_counter()
    try:
        for start in starts:
            run = _Run(p=start, history=[])
            ok = _fit_restart(run, objective, options, tick)
            if ok:
                run.status = "converged"
            runs.append(run)
            converged.append(ok)
    finally:
        bar.close()
    synchronize(device)
    seconds = time.perf_counter() - started

    finite = [i for i, r in enumerate(runs) if not r.diverged]
    best = min(finite, key=lambda i: runs[i].loss) if finite else 0
    run = runs[best]
    any_diverged = len(finite) < len(runs)
    p = run.p.detach()
    with torch.no_grad():
        z = to_z(p) if to_z is not None else p
    status = run.status
    if any_diverged and not run.diverged:
        status += "; another restart diverged, so the minimum is not certified"
    return FitResult(
        z=z,
        w=p if to_z is not None else None,
        loss=float(run.loss),
        grad_norm=float(run.certificate),
        criterion="min-norm-subgradient" if hinge else "grad-norm",
        iterations=run.iterations,
        seconds=seconds,
        converged=converged[best] and not any_diverged,
        diverged=any_diverged,
        status=status,
        history=tuple(run.history),
        restart_losses=tuple(float(r.loss) for r in runs),
        best_restart=best,
        seed=seed,
        device=device,
        grad_tol=options.grad_tol,
        loss_rtol=options.loss_rtol,
        required_margin=options.margin,
        polish_steps=run.polish_steps,
    )


def fit_free(
    loss_fn: Objective | HingeObjective,
    shape: tuple[int, ...],
    *,
    init: torch.Tensor | None = None,
    seed: int = 0,
    restarts: int = 3,
    init_scale: float = 1.0,
    device: str | torch.device | None = "auto",
    dtype: torch.dtype = torch.float64,
    progress: bool = True,
    options: FitOptions | None = None,
    **option_overrides: object,
) -> FitResult:
    """Minimise ``loss_fn(Z)`` over a free tensor Z (non-parametric embedding) to convergence.

    Parameters
    ----------
    loss_fn : callable or HingeObjective
        ``Z -> 0-d tensor``. Declare a non-smooth hinge part with :class:`HingeObjective`
        (e.g. :func:`vicreg_objective`) to have optima on its kinks reached and certified.
    shape : tuple of int
        Shape of Z, e.g. (N, K).
    init : torch.Tensor of shape ``shape``, optional
        Start of restart 0 (see :func:`restart_inits`).
    seed : int, default=0
        Seed of every random draw (the random starts).
    restarts : int, default=3
        Number of starts; the best non-diverged final loss is kept.
    init_scale : float, default=1.0
        Standard deviation of the random starts.
    device : {"auto", "cpu", "cuda"} or torch.device, default="auto"
        "auto" is CUDA when available.
    dtype : torch.dtype, default=torch.float64
    progress : bool, default=True
        Allow a tqdm bar for fits longer than a few seconds; never shown when the ``CI``
        environment variable is set or stderr is not a terminal.
    options : FitOptions, optional
        Optimiser and convergence settings (default ``FitOptions()``).
    **option_overrides
        Any :class:`FitOptions` field (``max_iter=3000``, ``grad_tol=...``, ``rho=...``),
        replacing the one in ``options``.

    Returns
    -------
    FitResult
    """
    options = _options(options, option_overrides)
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable, got {type(loss_fn).__name__}")
    device = resolve_device(device)
    starts = restart_inits(
        shape, restarts, seed=seed, init=init, init_scale=init_scale, device=device, dtype=dtype
    )
    return _fit(loss_fn, starts, options, seed=seed, device=device, progress=progress, to_z=None)


def fit_linear(
    loss_fn: Objective | HingeObjective,
    X: torch.Tensor,
    n_components: int,
    *,
    init: torch.Tensor | None = None,
    seed: int = 0,
    restarts: int = 3,
    init_scale: float = 1.0,
    device: str | torch.device | None = "auto",
    dtype: torch.dtype = torch.float64,
    progress: bool = True,
    options: FitOptions | None = None,
    **option_overrides: object,
) -> FitResult:
    """Minimise ``loss_fn(X @ W)`` over a linear map W of shape (D, n_components).

    The certificate is taken with respect to W (``options.normalise`` acts on W). Random starts
    are ``W ~ N(0, init_scale^2 / D)`` entrywise, so that Z = X W starts at the scale of X's
    rows. Other parameters as :func:`fit_free`.

    Parameters
    ----------
    loss_fn : callable or HingeObjective
        ``Z -> 0-d tensor``, called with Z = X W of shape (N, n_components).
    X : torch.Tensor of shape (N, D)
        Finite floating data matrix (cast to ``dtype`` on ``device``).
    n_components : int
        K, the number of columns of W; 1 <= K <= D.
    init : torch.Tensor of shape (D, n_components), optional
        Start of restart 0.

    Returns
    -------
    FitResult
        With ``w`` the optimal map and ``z = X @ w``.
    """
    options = _options(options, option_overrides)
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable, got {type(loss_fn).__name__}")
    X = check_embedding(X, "X")
    n_components = check_n_components(n_components, X.shape[1])
    init_scale = check_scalar(init_scale, "init_scale", low=0.0, low_inclusive=False)
    device = resolve_device(device)
    X = X.detach().to(device, dtype)
    starts = restart_inits(
        (X.shape[1], n_components),
        restarts,
        seed=seed,
        init=init,
        init_scale=init_scale / math.sqrt(X.shape[1]),
        device=device,
        dtype=dtype,
    )
    return _fit(
        loss_fn,
        starts,
        options,
        seed=seed,
        device=device,
        progress=progress,
        to_z=lambda w: X @ w,
    )


# ---------------------------------------------------------------------------------------------
# One fit per run
# ---------------------------------------------------------------------------------------------


def cached_fit(function: Callable[..., object]) -> Callable[..., object]:
    """Cache a fitting function by its (hashable) arguments, failures included.

    Like :func:`functools.cache`, and a :class:`NotConverged` raised by ``function`` is cached
    too: a fit shared by several claims is trained once per process, and a failed one is not
    retrained by every claim that needs it (each gets the first failure, marked as cached).
    ``cache_clear()`` empties the cache.
    """
    outcomes: dict[object, object] = {}

    @functools.wraps(function)
    def wrapper(*args: object, **kwargs: object) -> object:
        key = (args, tuple(sorted(kwargs.items())))
        if key in outcomes:
            outcome = outcomes[key]
            if isinstance(outcome, NotConverged):
                raise NotConverged(
                    f"{outcome} [the same fit failed earlier in this run; not retrained]"
                ) from outcome
            return outcome
        try:
            outcome = function(*args, **kwargs)
        except NotConverged as exc:
            outcomes[key] = exc
            raise
        outcomes[key] = outcome
        return outcome

    wrapper.cache_clear = outcomes.clear  # type: ignore[attr-defined]
    return wrapper
