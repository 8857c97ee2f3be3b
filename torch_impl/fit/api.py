"""The entry points: :func:`fit_free` (a free embedding Z) and :func:`fit_linear` (Z = X W).

Both take the same settings: the starts (candidate starts ``inits`` / ``init``, their noise
``init_noise``, ``seed``, ``restarts``, ``init_scale``), where to compute (``device``,
``dtype``), ``progress``, and one :class:`FitOptions` (``options``, or any of its fields as a
keyword override) for how each restart runs and when it counts as converged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from torch_impl.device import resolve_device
from torch_impl.fit.objectives import HingeObjective, Objective
from torch_impl.fit.options import FitOptions, OptionOverrides, merge_options
from torch_impl.fit.restarts import START_CONSTRAINTS, restart_inits, run_restarts
from torch_impl.fit.result import FitResult
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
    return run_restarts(loss_fn, starts, options, seed=seed, device=device, progress=progress,
                        to_z=None)


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
    return run_restarts(loss_fn, starts, options, seed=seed, device=device, progress=progress,
                        to_z=lambda w: X @ w)
