"""One restart through its stages: minimise -> margin -> polish -> continue on a stall.

A certificate that only just meets ``grad_tol`` makes "converged" depend on the last digits of
the arithmetic (which differ between CPU instruction sets). A restart therefore passes through
stages (:func:`fit_restart`): the minimiser (L-BFGS / Adam, or the augmented Lagrangian for a
hinge objective) must end converged or stalled; the margin stage (:func:`margin_stage`) then
requires ``certificate <= grad_tol / margin`` (``FitOptions.margin``), polishing by Newton steps
when the minimiser ended short of it (``FitOptions.polish_to_floor``: past it); a restart still
short is continued by a fresh minimiser from where it stopped (``FitOptions.continue_on_stall``),
then polished again. ``FitOptions.normalise`` maps each certified point by a symmetry of the
loss first.

A restart that still misses ``grad_tol / margin`` may be stopped by float64 itself: the floor
stage (:func:`floor_stage`) measures the certificate's rounding floor at the point
(:func:`~torch_impl.fit.certificates.rounding_floor`: its spread over the point's float64
neighbours) and accepts the point AT its floor, ``certificate <= FLOOR_FACTOR * floor`` (and
``<= grad_tol``), when the floor itself keeps the margin, ``floor * margin <= grad_tol``. A
point short of its floor (certificate well above it) stays not converged, with the numbers.

The kept restart's point then passes the curvature stage (:func:`curvature_stage`): the
smallest Hessian eigenvalue on the tangent space modulo the loss's symmetries
(:mod:`torch_impl.fit.curvature`); a saddle is escaped along its eigenvector and refitted from
there, up to ``FitOptions.max_escapes`` times, or the fit is reported not converged.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable

import torch

from torch_impl.device import synchronize
from torch_impl.fit.certificates import certify, rounding_floor
from torch_impl.fit.curvature import UNRESOLVED_RELATIVE, escape, measure
from torch_impl.fit.hinge import fit_hinge
from torch_impl.fit.minimise import fit_smooth
from torch_impl.fit.newton import polish_run
from torch_impl.fit.objectives import HingeObjective, Objective
from torch_impl.fit.options import FitOptions
from torch_impl.fit.result import FitResult
from torch_impl.fit.run import Run

__all__ = ["margin_stage", "floor_stage", "fit_restart", "curvature_stage", "FLOOR_FACTOR"]

FLOOR_FACTOR = 4.0
"""A certificate at most this multiple of its rounding floor is at the floor (:func:`floor_stage`).

The floor is the RMS size of the certificate vector's rounding noise; the norm of a noise vector
exceeds 4 times its RMS with probability below 1e-4 (Gaussian entries, any dimension), while a
point short of its optimum reads its exact gradient, orders of magnitude above the floor (the
VICReg fits of BL22-C5c stop 1e5 x above a floor of ~5e-16 when the polish crawls). With the
floor's own condition ``floor * margin <= grad_tol`` an accepted certificate keeps a factor
``margin / FLOOR_FACTOR`` (25 at the default margin) below ``grad_tol``."""


def margin_stage(
    run: Run, objective: Objective | HingeObjective, options: FitOptions,
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
        run.loss, run.certificate = certify(objective, run.p, options.kink_tol)
    if run.certificate > target or options.polish_to_floor:
        certified = (run.p, run.loss, run.certificate)
        polish_run(run, objective, options, tick, target=target,
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


def floor_stage(run: Run, objective: Objective | HingeObjective, options: FitOptions) -> bool:
    """Accept a point that missed ``grad_tol / margin`` only where float64 resolves no better.

    Called once the margin stage (and the continuations) missed the target. Measures the
    certificate's rounding floor at ``run.p`` (``run.floor``,
    :func:`~torch_impl.fit.certificates.rounding_floor`): the spread of the certificate
    vector over the point's float64 neighbours, ``floor = sqrt(sum_i ||v_i - mean v||^2 /
    (m - 1)) / max(1, |loss|)``. The point is accepted (``run.at_floor``, the status states
    the numbers) iff

    - ``floor * margin <= grad_tol``: float64 resolves the certificate with the margin
      required of any fit (the verdict does not hang on the last digits), and
    - ``certificate <= min(FLOOR_FACTOR * floor, grad_tol)``: the point is at its floor (its
      certificate is rounding, not an exact gradient left over), and meets ``grad_tol``
      itself whatever the margin.

    Otherwise ``run.status`` gains the floor and the ratio, and the restart stays not
    converged. Nothing else is changed: a fit that met the target never reaches this stage.
    """
    floor = rounding_floor(objective, run.p, options.kink_tol)
    run.floor = floor
    target = options.target
    resolved = floor.floor * options.margin <= options.grad_tol
    at_floor = run.certificate <= min(FLOOR_FACTOR * floor.floor, options.grad_tol)
    numbers = (f"rounding floor {floor.floor:.3g} (spread over {floor.samples} float64 "
               f"neighbours), certificate {run.certificate:.3g} = {floor.ratio:.3g} x floor, "
               f"floor x margin = {floor.floor * options.margin:.3g} vs grad_tol = "
               f"{options.grad_tol:.3g}")
    if resolved and at_floor:
        run.at_floor = True
        run.status = (f"certificate accepted at its rounding floor: {numbers} (certificate <= "
                      f"{FLOOR_FACTOR:g} x floor and floor x margin <= grad_tol; above "
                      f"grad_tol / margin = {target:.3g} after {run.polish_steps} Newton "
                      f"polishing steps)")
        return True
    why = ("short of its floor" if resolved else
           "float64 does not resolve grad_tol / margin here")
    run.status = f"{run.status}; {why}: {numbers}"
    return False


def fit_restart(
    run: Run, objective: Objective | HingeObjective, options: FitOptions,
    tick: Callable[[float], None],
) -> bool:
    """One restart through its stages: minimiser, margin stage, continuation after a stall.

    The minimiser (L-BFGS / Adam, or the augmented Lagrangian for a hinge objective) must end
    converged or stalled (flat loss); a budget run out is final. The margin stage then
    certifies with margin, polishing if needed; a restart still short of it is continued
    ``continue_on_stall`` times by a fresh minimiser from where it stopped. A restart that
    still misses the target goes to :func:`floor_stage` (accepted only at its rounding floor).
    """
    fit_one = fit_hinge if isinstance(objective, HingeObjective) else fit_smooth
    ok = fit_one(run, objective, options, options.max_iter, tick)
    for attempt in range(options.continue_on_stall + 1):
        if run.diverged or not (ok or run.status.startswith("stalled")):
            return False
        if margin_stage(run, objective, options, tick):
            return True
        if attempt < options.continue_on_stall:
            ok = fit_one(run, objective, options, options.max_iter, tick)
    return floor_stage(run, objective, options)


def _not_converged(result: FitResult, why: str) -> FitResult:
    return dataclasses.replace(result, converged=False, status=f"{result.status}; {why}")


def _continued(before: FitResult, after: FitResult, why: str) -> FitResult:
    """The refit ``after`` as the continuation of ``before``: restarts, iterations and history
    appended, the refit's point kept."""
    return dataclasses.replace(
        after,
        iterations=before.iterations + after.iterations,
        seconds=before.seconds + after.seconds,
        status=f"{after.status} ({why})",
        history=before.history + after.history,
        restart_losses=before.restart_losses + after.restart_losses,
        best_restart=len(before.restart_losses) + after.best_restart,
        diverged=before.diverged or after.diverged,
        converged=after.converged and not before.diverged,
        polish_steps=before.polish_steps + after.polish_steps,
    )


def _unresolved_curvature(result: FitResult, p: torch.Tensor) -> float:
    """||g|| / rho: the size of eigenvalue a nonzero gradient g lends to symmetry directions.

    Differentiating ``g(z) . xi(z) = 0`` (xi a symmetry generator) gives ``H xi = -(D xi)^T
    g``: away from exact stationarity an undeclared zero mode couples to other flat
    directions with strength up to ``||g|| ||D xi|| / ||xi||``, i.e. ``||g||`` over a row's
    length for row scalings and rotations (eigenvalue pairs +-a appear). rho is the RMS norm
    of p's rows (of p for a vector).
    """
    gradient = result.certificate * max(1.0, abs(result.loss))
    rows = p.reshape(p.shape[0], -1) if p.dim() else p.reshape(1, 1)
    rho = float(rows.norm() / rows.shape[0] ** 0.5)
    return gradient / rho if rho > 0 else gradient


def curvature_stage(
    result: FitResult,
    objective: Objective | HingeObjective,
    options: FitOptions,
    generators: Callable[[torch.Tensor], torch.Tensor],
    refit: Callable[[torch.Tensor], FitResult],
) -> FitResult:
    """The second-order certificate at the kept point; escape a saddle and refit.

    Measures :func:`~torch_impl.fit.curvature.measure` at the optimised tensor (W for a
    linear fit) with the symmetry ``generators(p)`` (shape (r, *p.shape)) and the relative
    tolerance ``max(curvature_tol, certificate, ||g|| / (rho scale))``: a point ~certificate
    away from the stationary set has a Hessian about that far off (flat valleys read +-it),
    and its gradient couples zero modes (:func:`_unresolved_curvature`). At a converged fit
    with negative curvature beyond the tolerance, :func:`~torch_impl.fit.curvature.escape`
    steps along the eigenvector:

    - a lower loss: a saddle, refitted from there (``refit(start)``, the same options), at
      most ``max_escapes`` times; a saddle that remains or a refit that does not end lower
      makes the fit not converged, its status saying why with the numbers;
    - no lower loss at any step, with ``relative >= -UNRESOLVED_RELATIVE``: the eigenvalue is
      below what the loss resolves (``Curvature.unresolved``, recorded; the fit stays
      converged);
    - no lower loss with a larger negative eigenvalue: not converged (a Hessian the loss
      contradicts at that size is not to be trusted).

    Off (``curvature=False``) or after a divergence: the result unchanged (``curvature``
    None).
    """
    if not options.curvature or result.diverged:
        return result
    escapes = 0
    while True:
        p = result.w if result.w is not None else result.z
        synchronize(p.device)
        started = time.perf_counter()
        curvature, vector = measure.unchecked(
            objective, p, generators(p), tolerance=max(options.curvature_tol,
                                                       result.certificate),
            lanczos_steps=options.lanczos_steps, seed=result.seed, escapes=escapes,
            floor=_unresolved_curvature(result, p))
        start = None
        if result.converged and curvature.saddle:
            start = escape.unchecked(objective, p, vector, result.loss)
            curvature = dataclasses.replace(curvature, descent=start is not None)
        synchronize(p.device)
        result = dataclasses.replace(result, curvature=curvature,
                                     seconds=result.seconds + time.perf_counter() - started)
        if not (result.converged and (curvature.saddle or curvature.unresolved)):
            return result
        if curvature.unresolved:
            if curvature.relative >= -UNRESOLVED_RELATIVE:
                return dataclasses.replace(result, status=f"{result.status}; negative "
                                           f"curvature below the loss's resolution: "
                                           f"{curvature.describe()}")
            return _not_converged(result, f"negative curvature the loss contradicts, beyond "
                                          f"{UNRESOLVED_RELATIVE:g} relative: "
                                          f"{curvature.describe()}")
        if escapes == options.max_escapes:
            return _not_converged(result, f"a saddle after {escapes} escapes: "
                                          f"{curvature.describe()}")
        assert start is not None  # a saddle here is one whose escape found a lower loss
        refitted = refit(start)
        escapes += 1
        if not refitted.loss < result.loss or not math.isfinite(refitted.loss):
            return _not_converged(result, f"a saddle ({curvature.describe()}); the refit "
                                          f"from its escape ended at loss {refitted.loss:.9g}")
        result = _continued(result, refitted,
                            f"escaped a saddle at loss {result.loss:.9g}: {curvature.describe()}")
