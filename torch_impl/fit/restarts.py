"""The restarts of a fit: their starting points, running them all, and keeping the best.

:func:`restart_inits` lays out the starts: candidate starts first (closed-form candidates, a
warm start; optionally perturbed by seeded noise so that a saddle is left rather than
certified), then seeded ``N(0, init_scale^2)`` draws. :func:`run_restarts` takes every start
through its stages (:func:`~torch_impl.fit.stages.fit_restart`) and keeps the lowest final loss
among the restarts that did not diverge; one diverged restart makes the fit not converged (a
lower loss may exist where it went).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence

import torch
from tqdm import tqdm

from torch_impl.device import resolve_device, synchronize
from torch_impl.fit.objectives import HingeObjective, Objective
from torch_impl.fit.options import FitOptions
from torch_impl.fit.result import FitResult
from torch_impl.fit.run import Run
from torch_impl.fit.stages import fit_restart
from torch_impl.validation import (
    AnyTensor,
    Device,
    DType,
    InstanceOf,
    Int,
    InvalidInputError,
    OrNone,
    Scalar,
    Shape,
    check_tensor,
    validate_params,
)

__all__ = ["restart_inits"]

# Progress bars appear only for fits still running after this many seconds.
_PROGRESS_DELAY_S = 2.0


# The start settings, declared once: restart_inits, fit_free and fit_linear share them.
START_CONSTRAINTS = {
    "init": OrNone(AnyTensor()),
    "inits": OrNone(InstanceOf(Sequence)),
    "init_noise": Scalar(),
    "seed": Int(low=0),
    "restarts": Int(low=1),
    "init_scale": Scalar(low=0.0, low_inclusive=False),
    "device": Device(),
    "dtype": DType(),
}


def _candidates(
    shape: tuple[int, ...],
    init: torch.Tensor | None,
    inits: Sequence[torch.Tensor] | None,
) -> list[torch.Tensor]:
    """The candidate starts, each checked against ``shape`` (``init`` is checked already)."""
    if init is not None and inits is not None:
        raise InvalidInputError("init and inits cannot both be given (init=Z is inits=[Z])")
    if init is not None:
        named = [("init", init)]
    else:
        named = [(f"inits[{i}]", check_tensor(start, f"inits[{i}]"))
                 for i, start in enumerate(inits or ())]
    for name, start in named:
        if tuple(start.shape) != shape:
            raise InvalidInputError(f"{name} must have shape {shape}, got {tuple(start.shape)}")
    return [start for _, start in named]


@validate_params(shape=Shape(), **START_CONSTRAINTS)
def restart_inits(
    shape: tuple[int, ...],
    restarts: int,
    *,
    seed: int = 0,
    init: torch.Tensor | None = None,
    inits: Sequence[torch.Tensor] | None = None,
    init_noise: float = 0.0,
    init_scale: float = 1.0,
    device: str | torch.device | None = "auto",
    dtype: torch.dtype = torch.float64,
) -> list[torch.Tensor]:
    """The starting points of the restarts of a fit: candidate starts, then seeded draws.

    Starts ``0 .. c-1`` are the ``c`` candidate starts (``inits``, or the one ``init``), each
    plus ``init_noise * max|candidate| * N(0, 1)`` noise when ``init_noise > 0``; starts
    ``c .. restarts-1`` are independent ``N(0, init_scale^2)`` draws. All draws come from one
    CPU ``torch.Generator().manual_seed(seed)`` and are then moved to ``device`` (the same
    starts on every device), the random starts first and then the candidates' noise, so the
    random starts do not depend on the noise and the whole list is a function of (seed,
    restarts, shape, candidates, init_noise).

    Parameters
    ----------
    shape : tuple of int
        Shape of the optimised tensor.
    restarts : int
        Number of starting points (>= 1 and >= the number of candidate starts).
    seed : int, default=0
    init : torch.Tensor of shape ``shape``, optional
        One candidate start (the same as ``inits=[init]``).
    inits : sequence of torch.Tensor of shape ``shape``, optional
        Candidate starts, e.g. closed-form candidate optima; not together with ``init``.
    init_noise : float, default=0.0
        Relative size (>= 0) of the seeded Gaussian perturbation of each candidate start
        (so that a fit started at a saddle leaves it rather than certifies it).
    init_scale : float, default=1.0
        Standard deviation of the random starts (> 0).
    device : {"auto", "cpu", "cuda"} or torch.device, default="auto"
    dtype : torch.dtype, default=torch.float64

    Returns
    -------
    list of torch.Tensor
        ``restarts`` tensors of shape ``shape``.
    """
    candidates = _candidates(shape, init, inits)
    if len(candidates) > restarts:
        raise InvalidInputError(
            f"restarts must be >= the number of candidate starts ({len(candidates)}), "
            f"got {restarts}"
        )
    device = resolve_device(device)
    generator = torch.Generator().manual_seed(seed)
    starts = [
        start.detach().to(device, dtype).clone(memory_format=torch.contiguous_format)
        for start in candidates
    ]
    while len(starts) < restarts:
        draw = torch.randn(shape, generator=generator, dtype=dtype).to(device)
        starts.append(init_scale * draw)
    if init_noise > 0:
        for i in range(len(candidates)):
            scale = init_noise * float(starts[i].abs().max())
            draw = torch.randn(shape, generator=generator, dtype=dtype).to(device)
            starts[i] = starts[i] + scale * draw
    return starts


def _show_progress(progress: bool) -> bool:
    # Bars would garble CI logs and captured output: only on an interactive stderr.
    return bool(progress) and not os.environ.get("CI") and sys.stderr.isatty()


def run_restarts(
    loss_fn: Objective | HingeObjective,
    starts: list[torch.Tensor],
    options: FitOptions,
    *,
    seed: int,
    device: torch.device,
    progress: bool,
    to_z: Callable[[torch.Tensor], torch.Tensor] | None,
) -> FitResult:
    """Run every restart from ``starts`` and keep the best (see :class:`FitResult`).

    ``to_z`` maps the optimised tensor to Z (``W -> X W`` for a linear fit; None: it is Z).
    """
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
            run = Run(p=start, history=[])
            ok = fit_restart(run, objective, options, tick)
            if ok:
                # A restart accepted at its rounding floor keeps the floor stage's numbers.
                run.status = f"converged; {run.status}" if run.at_floor else "converged"
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
        rounding_floor=run.floor.floor if run.at_floor and run.floor is not None else None,
    )
