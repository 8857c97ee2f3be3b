"""The entry points: :func:`fit_free` (a free embedding Z) and :func:`fit_linear` (Z = X W).

Both take the same settings: the starts (candidate starts ``inits`` / ``init``, their noise
``init_noise``, ``seed``, ``restarts``, ``init_scale``), where to compute (``device``,
``dtype``), ``progress``, and one :class:`FitOptions` (``options``, or any of its fields as a
keyword override) for how each restart runs and when it counts as converged. The kept point
then passes the curvature stage (:func:`~torch_impl.fit.stages.curvature_stage`, on by default):
its symmetries are ``options.symmetries`` or the objective's ``symmetries`` attribute, taken at
Z; for Z = X W they are pulled back to W (:func:`_linear_generators`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch

from torch_impl.device import resolve_device
from torch_impl.fit.objectives import HingeObjective, Objective
from torch_impl.fit.options import FitOptions, OptionOverrides, merge_options
from torch_impl.fit.restarts import START_CONSTRAINTS, restart_inits, run_restarts
from torch_impl.fit.result import FitResult
from torch_impl.fit.stages import curvature_stage
from torch_impl.validation import (
    Dim,
    Embedding,
    Flag,
    InstanceOf,
    Int,
    IsCallable,
    OrNone,
    Shape,
    validate_params,
)

__all__ = ["fit_free", "fit_linear"]

# A Z-space symmetry generator xi is pulled back to W when X X^+ xi = xi to this relative
# tolerance (its orbit stays in the range of X); singular values of X below this fraction of
# the largest span its null space (W directions that leave Z unchanged).
_PULLBACK_RTOL = 1e-8


def _declared_symmetries(loss_fn: object, options: FitOptions
                         ) -> Callable[[torch.Tensor], torch.Tensor] | None:
    """``options.symmetries``, else the objective's ``symmetries`` attribute (or None)."""
    if options.symmetries is not None:
        return options.symmetries
    return getattr(loss_fn, "symmetries", None)


def _free_generators(symmetries: Callable[[torch.Tensor], torch.Tensor] | None
                     ) -> Callable[[torch.Tensor], torch.Tensor]:
    """p = Z: the declared generators at Z, (r, *Z.shape) (r = 0 when none are declared)."""

    def generators(z: torch.Tensor) -> torch.Tensor:
        if symmetries is None:
            return z.new_zeros((0, *z.shape))
        return symmetries(z).detach().to(z)

    return generators


def _linear_generators(X: torch.Tensor,
                       symmetries: Callable[[torch.Tensor], torch.Tensor] | None
                       ) -> Callable[[torch.Tensor], torch.Tensor]:
    """p = W, Z = X W: generators (r, D, K) of the symmetries of W -> loss(X W).

    The null space of X (u e_k^T with X u = 0 leave Z unchanged) and each declared Z-space
    generator xi whose orbit stays in the range of X, pulled back as X^+ xi.
    """
    u, s, vh = torch.linalg.svd(X, full_matrices=True)
    rank = int((s > _PULLBACK_RTOL * s[0]).sum()) if float(s[0]) > 0 else 0
    null_dk = vh[rank:].T  # (D, D - rank)
    pinv = vh[:rank].T @ torch.diag(1 / s[:rank]) @ u[:, :rank].T  # (D, N)

    def generators(w: torch.Tensor) -> torch.Tensor:
        k = w.shape[1]
        eye = torch.eye(k, dtype=w.dtype, device=w.device)
        found = [(null_dk.T[:, None, :, None] * eye[None, :, None, :]).reshape(-1, *w.shape)]
        if symmetries is not None:
            xi = symmetries(X @ w).detach().to(w)
            back = pinv @ xi
            residual = (X @ back - xi).flatten(1).norm(dim=1)
            found.append(back[residual <= _PULLBACK_RTOL * xi.flatten(1).norm(dim=1)])
        return torch.cat(found)

    return generators


def _composed(loss_fn: Objective | HingeObjective, X: torch.Tensor
              ) -> Objective | HingeObjective:
    """The objective of W: ``loss_fn(X W)`` (as :func:`run_restarts` fits it)."""
    if isinstance(loss_fn, HingeObjective):
        return loss_fn.compose(lambda w: X @ w)
    return lambda w: loss_fn(X @ w)


# The settings fit_free and fit_linear share, declared once.
_SETTINGS = {
    "loss_fn": IsCallable(),
    **START_CONSTRAINTS,
    "progress": Flag(),
    "options": OrNone(InstanceOf(FitOptions)),
    "option_overrides": OptionOverrides(),
}


@validate_params(shape=Shape(), **_SETTINGS)
def fit_free(
    loss_fn: Objective | HingeObjective,
    shape: tuple[int, ...],
    *,
    init: torch.Tensor | None = None,
    inits: Sequence[torch.Tensor] | None = None,
    init_noise: float = 0.0,
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
        Start of restart 0 (the same as ``inits=[init]``).
    inits : sequence of torch.Tensor of shape ``shape``, optional
        Candidate starts of restarts 0, 1, ... (e.g. closed-form candidate optima); the other
        restarts start at seeded random draws (:func:`restart_inits`). Not with ``init``.
    init_noise : float, default=0.0
        Relative size of the seeded Gaussian noise added to each candidate start, so that a
        candidate that is a saddle is left rather than certified (:func:`restart_inits`).
    seed : int, default=0
        Seed of every random draw (the random starts and the candidates' noise).
    restarts : int, default=3
        Number of starts, candidate starts included; the best non-diverged final loss is kept.
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
    options = merge_options(options, option_overrides)
    device = resolve_device(device)
    starts = restart_inits.unchecked(
        shape, restarts, seed=seed, init=init, inits=inits, init_noise=init_noise,
        init_scale=init_scale, device=device, dtype=dtype,
    )

    def refit(start: torch.Tensor) -> FitResult:
        return run_restarts(loss_fn, [start], options, seed=seed, device=device,
                            progress=progress, to_z=None)

    result = run_restarts(loss_fn, starts, options, seed=seed, device=device,
                          progress=progress, to_z=None)
    return curvature_stage(result, loss_fn, options,
                           _free_generators(_declared_symmetries(loss_fn, options)), refit)


@validate_params(X=Embedding(), n_components=Int(low=1, high=Dim("X", axis=1)), **_SETTINGS)
def fit_linear(
    loss_fn: Objective | HingeObjective,
    X: torch.Tensor,
    n_components: int,
    *,
    init: torch.Tensor | None = None,
    inits: Sequence[torch.Tensor] | None = None,
    init_noise: float = 0.0,
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
    inits : sequence of torch.Tensor of shape (D, n_components), optional
        Candidate starts of restarts 0, 1, ...; not with ``init``.

    Returns
    -------
    FitResult
        With ``w`` the optimal map and ``z = X @ w``.
    """
    options = merge_options(options, option_overrides)
    device = resolve_device(device)
    X = X.detach().to(device, dtype)
    starts = restart_inits.unchecked(
        (X.shape[1], n_components), restarts, seed=seed, init=init, inits=inits,
        init_noise=init_noise, init_scale=init_scale / math.sqrt(X.shape[1]), device=device,
        dtype=dtype,
    )

    def refit(start: torch.Tensor) -> FitResult:
        return run_restarts(loss_fn, [start], options, seed=seed, device=device,
                            progress=progress, to_z=lambda w: X @ w)

    result = run_restarts(loss_fn, starts, options, seed=seed, device=device,
                          progress=progress, to_z=lambda w: X @ w)
    generators = _linear_generators(X, _declared_symmetries(loss_fn, options))
    return curvature_stage(result, _composed(loss_fn, X), options, generators, refit)
