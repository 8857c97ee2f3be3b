"""Second-order certificates: the smallest Hessian eigenvalue on the tangent space mod symmetries.

A first-order certificate (``||g||`` small) accepts saddle points as well as minima: VICReg's
all-hinge point (every column on the variance hinge, BL22 Sec. 2.2) is stationary and a saddle
when the columns' Laplacian eigenvalues differ. The curvature certificate at a certified point
p (flattened to n parameters) is the smallest eigenvalue of

    P H P  on the range of P,

where H is the Hessian of the loss (for a :class:`HingeObjective`: of the Lagrangian on the
kinks held at h_k = 0, :func:`torch_impl.fit.newton.local_model`) and P the orthogonal projector
onto the directions that keep the kinks to first order and are orthogonal to the declared
symmetries' generators (:mod:`torch_impl.fit.symmetries`; their orbits are exact zero modes of
H at a stationary point, so the quotient removes them and nothing else). For a hinge objective
this is the tangent space of the active kinks, the critical cone when every kink's multiplier
lies strictly inside (0, w); a kink whose multiplier sits at 0 or w also admits one-sided
directions that leave it, which this test does not explore.

The eigenvalue is computed with Hessian-vector products (double backward): on a dense basis of
the projected space (``d`` columns, batched backwards) when ``d <= _DENSE_MAX_DIM``, else
by Lanczos with full reorthogonalisation on the projected operator (:func:`lanczos`). It is
reported relative to the largest |eigenvalue| found (:class:`Curvature`): ``relative <
-tolerance`` is a saddle, which :func:`escape` leaves along the eigenvector (the loss
decreases as ``lambda t^2 / 2`` there) before the fit is run again from the lower point.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from torch_impl.fit.newton import LocalModel, local_model, onto_kinks
from torch_impl.fit.objectives import HingeObjective, Objective
from torch_impl.validation import (
    AnyTensor,
    Int,
    InvalidInputError,
    IsCallable,
    OrNone,
    Scalar,
    validate_params,
)

__all__ = ["Curvature", "lanczos", "measure", "along", "escape", "UNRESOLVED_RELATIVE"]

# Projected spaces up to this dimension are decomposed densely (d Hessian-vector products in
# one batched backward and an eigh); beyond it, Lanczos.
_DENSE_MAX_DIM = 2048
# Hessian-vector products per batched backward (bounds the memory of the vmapped graph).
_HVP_BATCH = 256
# Symmetry generators whose component orthogonal to the others (and to the kinks' normals) is
# below this fraction of the largest generator are dependent (e.g. rotations of a rank-deficient
# Z) and removed once.
_GENERATOR_RANK_RTOL = 1e-8
# Eigenvalues below this multiple of ||H - H^T|| (the dense projected Hessian's asymmetry,
# computed from Hessian-vector products) are rounding.
_ASYMMETRY_FACTOR = 10.0
# Lanczos: stop once the smallest Ritz pair's residual ||A y - theta y|| is below this fraction
# of the largest |Ritz value| (or the Krylov space is exhausted).
_LANCZOS_RTOL = 1e-10
# Escape: trial steps t = ||p|| 2^-j, j = 0.._ESCAPE_HALVINGS, along +-v.
_ESCAPE_HALVINGS = 30
# A decrease smaller than this fraction of |loss| is not resolved (as in the Newton polish).
_LOSS_RESOLUTION = 1e-12
UNRESOLVED_RELATIVE = 1e-6
"""Largest relative negative eigenvalue that an :func:`escape` finding no lower loss may put
down to the loss's resolution. Along f(t) = lambda t^2 / 2 + c4 t^4 the dip is lambda^2 /
(16 c4): with c4 of the Hessian's scale over ||p||^2 and a loss resolution of 1e-12 |loss|,
it is resolved once |lambda| / scale exceeds 4e-6 sqrt(|loss| / (scale ||p||^2)), so a
negative eigenvalue above 1e-6 that no step confirms is taken to mean the Hessian, not the
loss, is wrong. (The BatchNorm BarlowTwins optimum
of BL22-C5b-bt-official-centred on views(n=6,v=2), K = 6, reads -3.8e-9 relative on a
direction where the loss grows as t^4.)"""


@dataclass(frozen=True)
class Curvature:
    """The second-order certificate at a fit's returned point.

    Attributes
    ----------
    min_eig : float
        Smallest eigenvalue of the (Lagrangian) Hessian on the tangent space modulo the declared
        symmetries (absolute, in the loss's units per squared parameter).
    scale : float
        Largest |eigenvalue| found there (> 0; 1 when the space is empty or H vanishes on it).
    tolerance : float
        Relative tolerance: ``relative < -tolerance`` is a saddle.
    dimension : int
        Dimension of the tangent space after the quotient.
    escapes : int
        Escape-and-refit rounds done before this point was reached.
    method : {"dense", "lanczos"}
    descent : bool or None, default=None
        Whether a step along the eigenvector of ``min_eig`` lowered the loss
        (:func:`escape`): None when not tried (no negative curvature beyond the tolerance),
        False when no step did by more than the loss's resolution.
    """

    min_eig: float
    scale: float
    tolerance: float
    dimension: int
    escapes: int
    method: str
    descent: bool | None = None

    @property
    def relative(self) -> float:
        """``min_eig / scale``: the smallest eigenvalue relative to the largest |eigenvalue|."""
        return self.min_eig / self.scale

    @property
    def saddle(self) -> bool:
        """Negative curvature beyond the tolerance (``relative < -tolerance``) that the loss
        does not contradict: no :func:`escape` was tried, or one found a lower loss."""
        return self.relative < -self.tolerance and self.descent is not False

    @property
    def unresolved(self) -> bool:
        """Negative curvature beyond the tolerance along whose eigenvector no step lowers the
        loss: below the loss's resolution (e.g. a quartic valley read slightly negative)."""
        return self.relative < -self.tolerance and self.descent is False

    def describe(self) -> str:
        """One line with the numbers, for statuses and error messages."""
        unresolved = "; no lower loss along its eigenvector" if self.unresolved else ""
        return (f"min tangent Hessian eigenvalue {self.min_eig:.3g} (relative "
                f"{self.relative:.3g}, tolerance {self.tolerance:.3g}; dimension "
                f"{self.dimension}, {self.method}, {self.escapes} escapes{unresolved})")


def _hvp_operator(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor
                  ) -> Callable[[torch.Tensor], torch.Tensor]:
    """``V -> V H`` for V of shape (b, n): Hessian-vector products of f at x (double backward).

    The gradient's graph is built once and reused by every product; a batch is one backward
    (vmapped), or one backward per row for an f with operations vmap does not support.
    """
    x = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        (g,) = torch.autograd.grad(f(x), x, create_graph=True)

    def batch(V: torch.Tensor) -> torch.Tensor:
        try:
            (HV,) = torch.autograd.grad(g, x, V, retain_graph=True, is_grads_batched=True,
                                        allow_unused=True)
        except RuntimeError:
            # vmap does not cover every operator (e.g. some sparse kernels): one row at a time.
            rows = [torch.autograd.grad(g, x, v, retain_graph=True, allow_unused=True)[0]
                    for v in V]
            return torch.stack([torch.zeros_like(v) if r is None else r
                                for r, v in zip(rows, V, strict=True)])
        return torch.zeros_like(V) if HV is None else HV

    def products(V: torch.Tensor) -> torch.Tensor:
        if not g.requires_grad:  # f is linear in x: H = 0
            return torch.zeros_like(V)
        return torch.cat([batch(V[i : i + _HVP_BATCH]) for i in range(0, V.shape[0], _HVP_BATCH)])

    return products


def _removed_directions(model: LocalModel, generators: torch.Tensor) -> torch.Tensor:
    """Orthonormal basis R (n, q) of the directions the quotient removes.

    The kinks' normals (directions that leave a kink) and the symmetry generators (r, n)
    (projected off the normals, dependent ones dropped below ``_GENERATOR_RANK_RTOL``).
    """
    n = model.gradient.numel()
    normals = model.normals if model.normals is not None else model.gradient.new_zeros(n, 0)
    if generators.shape[0] == 0:
        return normals
    S = generators.T.to(normals)
    S = S - normals @ (normals.T @ S)
    u, s, _ = torch.linalg.svd(S, full_matrices=False)
    top = float(generators.norm(dim=1).max())
    keep = s > _GENERATOR_RANK_RTOL * top if top > 0 else s > 0
    return torch.cat([normals, u[:, keep]], dim=1)


@validate_params(apply=IsCallable(), start=AnyTensor(), steps=Int(low=1),
                 project=OrNone(IsCallable()))
def lanczos(
    apply: Callable[[torch.Tensor], torch.Tensor],
    start: torch.Tensor,
    steps: int,
    project: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> tuple[float, torch.Tensor, float]:
    """Smallest eigenpair of a symmetric operator by Lanczos with full reorthogonalisation.

    Builds the Krylov basis q_1..q_m of ``apply`` from ``start`` (each new vector projected by
    ``project`` and reorthogonalised twice against all previous ones, so the basis stays
    orthonormal to rounding and no ghost eigenvalues appear), the tridiagonal T = Q^T A Q, and
    returns its smallest Ritz pair. Stops after ``steps`` vectors, when the Krylov space is
    exhausted (an invariant subspace: the Ritz values are then exact eigenvalues), or when the
    smallest Ritz pair's residual ``|beta_m y_m|`` is below ``_LANCZOS_RTOL`` of the largest
    |Ritz value|.

    Parameters
    ----------
    apply : callable
        v (n,) -> A v, A symmetric on the range of ``project``.
    start : torch.Tensor of shape (n,)
        Nonzero start (in the range of ``project``).
    steps : int
        Most Krylov vectors (>= 1).
    project : callable, optional
        The projector P onto the space A acts on (default: identity).

    Returns
    -------
    theta : float
        The smallest Ritz value: an upper bound on the smallest eigenvalue (Cauchy
        interlacing), equal to it once the residual test or the exhaustion stopped the run.
    vector : torch.Tensor of shape (n,)
        Its unit Ritz vector.
    scale : float
        The largest |Ritz value| (an estimate of A's largest |eigenvalue| from below).
    """
    keep = project if project is not None else (lambda v: v)
    q = keep(start)
    q = q / q.norm()
    basis, alphas, betas = [q], [], []
    theta, y = math.nan, None
    for m in range(1, steps + 1):
        w = keep(apply(basis[-1]))
        alphas.append(float(w @ basis[-1]))
        Q = torch.stack(basis, dim=1)
        for _ in range(2):  # twice is enough (Kahan-Parlett)
            w = w - Q @ (Q.T @ w)
        beta = float(w.norm())
        T = torch.diag(torch.tensor(alphas, dtype=torch.float64))
        if betas:
            off = torch.tensor(betas, dtype=torch.float64)
            T = T + torch.diag(off, 1) + torch.diag(off, -1)
        ritz, vectors = torch.linalg.eigh(T)
        theta, y = float(ritz[0]), vectors[:, 0]
        top = float(ritz.abs().max())
        exhausted = beta <= _LANCZOS_RTOL * max(top, 1e-300) or m == start.numel()
        if exhausted or m == steps or abs(beta * float(y[-1])) <= _LANCZOS_RTOL * top:
            break
        betas.append(beta)
        basis.append(w / beta)
    Q = torch.stack(basis[: y.numel()], dim=1)
    vector = Q @ y.to(Q)
    return theta, vector / vector.norm(), float(ritz.abs().max())


@validate_params(objective=IsCallable(), p=AnyTensor(), generators=AnyTensor(),
                 tolerance=Scalar(low=0.0), lanczos_steps=Int(low=1), seed=Int(low=0),
                 escapes=Int(low=0), floor=Scalar(low=0.0))
def measure(
    objective: Objective | HingeObjective,
    p: torch.Tensor,
    generators: torch.Tensor,
    *,
    tolerance: float,
    lanczos_steps: int,
    seed: int = 0,
    escapes: int = 0,
    floor: float = 0.0,
) -> tuple[Curvature, torch.Tensor | None]:
    """The curvature certificate at ``p`` and the eigenvector of its smallest eigenvalue.

    Parameters
    ----------
    objective : callable or HingeObjective
        Of the optimised tensor p.
    p : torch.Tensor
        The point (any shape; n entries).
    generators : torch.Tensor of shape (r, n)
        Tangent generators of the loss's symmetries at p, flattened (r may be 0).
    tolerance : float
        Relative tolerance of :class:`Curvature`.
    lanczos_steps : int
        Most Lanczos vectors for a projected space above ``_DENSE_MAX_DIM``.
    seed : int, default=0
        Seed of the Lanczos start vector.
    escapes : int, default=0
        Recorded in the result.
    floor : float, default=0.0
        Absolute eigenvalue size that is not resolved at this point; the recorded tolerance
        is ``max(tolerance, floor / scale)``.

    Returns
    -------
    curvature : Curvature
    vector : torch.Tensor of the shape of p, or None
        Unit eigenvector of ``min_eig`` (None when the projected space is empty).
    """
    xf = p.detach().reshape(-1)
    if generators.dim() == 0 or generators.numel() != generators.shape[0] * xf.numel():
        raise InvalidInputError(f"generators must have shape (r, {xf.numel()}) or "
                                f"(r, *p.shape), got {tuple(generators.shape)}")
    model = local_model(objective, p)
    products = _hvp_operator(model.lagrangian, xf)
    R = _removed_directions(model, generators.reshape(generators.shape[0], xf.numel()))
    n, dimension = xf.numel(), xf.numel() - R.shape[1]
    if dimension == 0:
        return Curvature(0.0, 1.0, max(tolerance, floor), 0, escapes, "dense"), None
    if dimension <= _DENSE_MAX_DIM:
        # Orthonormal basis B (n, d) of the complement of R: the last n - q columns of a
        # complete QR of R.
        B = torch.linalg.qr(torch.cat([R, torch.eye(n, dtype=xf.dtype, device=xf.device)], 1)
                            )[0][:, R.shape[1]:] if R.shape[1] else torch.eye(
            n, dtype=xf.dtype, device=xf.device)
        H_dd = B.T @ products(B.T.contiguous()).T
        eigenvalues, vectors = torch.linalg.eigh((H_dd + H_dd.T) / 2)
        top = float(eigenvalues.abs().max())
        scale = top if top > 0 and math.isfinite(top) else 1.0
        # The computed Hessian's asymmetry is rounding made visible: eigenvalues below a few
        # times its size are not resolved (e.g. at a quartic minimum, where H is ~0 and every
        # eigenvalue is rounding).
        asymmetry = float(torch.linalg.matrix_norm(H_dd - H_dd.T, ord=2))
        floor = max(floor, _ASYMMETRY_FACTOR * asymmetry)
        curvature = Curvature(float(eigenvalues[0]), scale, max(tolerance, floor / scale),
                              dimension, escapes, "dense")
        return curvature, (B @ vectors[:, 0]).reshape(p.shape)

    def project(v: torch.Tensor) -> torch.Tensor:
        return v - R @ (R.T @ v)

    generator = torch.Generator(xf.device).manual_seed(seed)
    start = torch.randn(n, generator=generator, device=xf.device, dtype=xf.dtype)
    theta, vector, top = lanczos(lambda v: products(v[None])[0], start, lanczos_steps, project)
    scale = top if top > 0 and math.isfinite(top) else 1.0
    return (Curvature(theta, scale, max(tolerance, floor / scale), dimension, escapes,
                      "lanczos"),
            vector.reshape(p.shape))


def along(objective: Objective | HingeObjective, p: torch.Tensor, direction: torch.Tensor
          ) -> Callable[[float], torch.Tensor]:
    """The path ``t -> p + t v`` (v = direction / ||direction||, shape of p) on which
    :func:`measure`'s eigenvalue predicts the loss: for a hinge objective each point is
    projected back onto the kinks held at p (the surface the curvature is measured on; the
    straight line would leave a kink at second order)."""
    kinks = local_model(objective, p).kinks
    xf = p.detach().reshape(-1)
    v = direction.reshape(-1) / direction.norm()

    def point(t: float) -> torch.Tensor:
        candidate = xf + t * v
        if kinks is not None:
            candidate = onto_kinks(kinks, candidate)
        return candidate.reshape(p.shape)

    return point


@validate_params(objective=IsCallable(), p=AnyTensor(), direction=AnyTensor(), loss=Scalar())
def escape(
    objective: Objective | HingeObjective,
    p: torch.Tensor,
    direction: torch.Tensor,
    loss: float,
) -> torch.Tensor | None:
    """A point of lower loss along a direction of negative curvature, or None.

    Tries ``p +- t v`` for ``t = max(||p||, 1) 2^-j``, j = 0..``_ESCAPE_HALVINGS`` (on the
    path of :func:`along`, which stays on the kinks of a hinge objective) and returns the
    lowest, if its loss is below ``loss`` by more than the loss's resolution
    (``_LOSS_RESOLUTION * |loss|``).
    """
    point = along(objective, p, direction)
    size = max(float(p.detach().norm()), 1.0)
    best, best_loss = None, loss - _LOSS_RESOLUTION * abs(loss)
    for j in range(_ESCAPE_HALVINGS + 1):
        for sign in (1.0, -1.0):
            candidate = point(sign * size * 2.0**-j)
            with torch.no_grad():
                value = float(objective(candidate))
            if math.isfinite(value) and value < best_loss:
                best, best_loss = candidate, value
    return best
