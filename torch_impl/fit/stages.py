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
"""

from __future__ import annotations

from collections.abc import Callable

from torch_impl.fit.certificates import certify
from torch_impl.fit.hinge import fit_hinge
from torch_impl.fit.minimise import fit_smooth
from torch_impl.fit.newton import polish_run
from torch_impl.fit.objectives import HingeObjective, Objective
from torch_impl.fit.options import FitOptions
from torch_impl.fit.run import Run

__all__ = ["margin_stage", "fit_restart"]


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


def fit_restart(
    run: Run, objective: Objective | HingeObjective, options: FitOptions,
    tick: Callable[[float], None],
) -> bool:
    """One restart through its stages: minimiser, margin stage, continuation after a stall.

    The minimiser (L-BFGS / Adam, or the augmented Lagrangian for a hinge objective) must end
    converged or stalled (flat loss); a budget run out is final. The margin stage then
    certifies with margin, polishing if needed; a restart still short of it is continued
    ``continue_on_stall`` times by a fresh minimiser from where it stopped.
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
    return False
