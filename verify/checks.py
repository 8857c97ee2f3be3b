"""Running a claim's checks and turning what happens into a :class:`CheckOutcome`.

Nothing raised by a check escapes from here (except KeyboardInterrupt and the like): a crash
becomes ERROR, an optimiser's ``NotConverged`` becomes NOT_CONVERGED, ``pytest.skip`` becomes
SKIPPED, so one broken claim never stops the audit. A broken check cannot fake a verdict: an
invalid error (negative, NaN, infinite) or a non-finite residual is ERROR, never FAILS, and a
residual that is neither proved nor refuted is UNDECIDED.
"""

from __future__ import annotations

import dataclasses
import re
import time
import traceback
from collections.abc import Iterable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import seed as hypothesis_seed

from verify import profiles
from verify.claim import FAMILY_PATTERN, Claim, InvalidMeasurement, Measurement, Trial
from verify.replay import reproduce_commands
from verify.verdict import (
    DRAWN_VALUES,
    CheckOutcome,
    Verdict,
    check_margin,
    combine,
    families_drawn,
    trial_margin,
)

__all__ = ["run_symbolic", "run_numeric", "is_not_converged", "error_summary"]


def is_not_converged(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it was raised from) is ``torch_impl.fit.NotConverged``.

    Matched by class name so the engine does not import the fitting code.
    """
    while exc is not None:
        if any(cls.__name__ == "NotConverged" for cls in type(exc).__mro__):
            return True
        exc = exc.__cause__
    return False


def error_summary(exc: BaseException, frames: int = 4) -> str:
    """``Type: message`` followed by the innermost ``frames`` frames of the traceback."""
    head = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    stack = traceback.extract_tb(exc.__traceback__)[-frames:]
    return head + "\n" + "".join(traceback.format_list(stack)).rstrip()


def _crash(kind: str, exc: BaseException, started: float, **extra: Any) -> CheckOutcome:
    verdict = Verdict.NOT_CONVERGED if is_not_converged(exc) else Verdict.ERROR
    return CheckOutcome(kind, verdict, time.perf_counter() - started,
                        message=error_summary(exc), **extra)


# A residual's status -> the symbolic check's verdict. 'undecided' is not a refutation (no
# witness) and 'nonfinite' means the derivation itself is broken.
_STATUS_VERDICT = {"zero": Verdict.HOLDS, "nonzero": Verdict.FAILS,
                   "undecided": Verdict.UNDECIDED, "nonfinite": Verdict.ERROR}


def run_symbolic(claim: Claim) -> CheckOutcome:
    """Run the symbolic check: every returned derivation's residual must simplify to zero.

    The verdict combines the derivations' (:func:`verify.verdict.combine`): ERROR if a residual
    is not finite ('nonfinite'), else FAILS if one has a witness where it is a finite nonzero
    number, else UNDECIDED if one neither simplified to 0 nor was refuted, else HOLDS. The
    outcome reports the first derivation with the deciding status: its simplified residual,
    statement and method, and the witness point.
    """
    # Imported here so that declaring claims does not pull in sympy before it is needed.
    from derivations.base import Derivation

    started = time.perf_counter()
    try:
        result = claim.symbolic_check()
        derivations = [result] if isinstance(result, Derivation) else list(result)
        if not derivations or not all(isinstance(d, Derivation) for d in derivations):
            raise TypeError("a symbolic check must return a Derivation or a non-empty list of "
                            f"them, got {result!r:.200}")
        checks = [(d, d.check()) for d in derivations]
    except pytest.skip.Exception as exc:
        return CheckOutcome("symbolic", Verdict.SKIPPED, time.perf_counter() - started,
                            message=str(exc.msg))
    except Exception as exc:
        return _crash("symbolic", exc, started)
    seconds = time.perf_counter() - started
    verdict = combine(*(_STATUS_VERDICT[c.status] for _, c in checks))
    if verdict is Verdict.HOLDS:
        return CheckOutcome("symbolic", Verdict.HOLDS, seconds, residual="0",
                            message="; ".join(dict.fromkeys(c.method for _, c in checks)))
    derivation, check = next((d, c) for d, c in checks if _STATUS_VERDICT[c.status] is verdict)
    prefix = "the check is broken: non-finite residual; " if verdict is Verdict.ERROR else ""
    return CheckOutcome(
        "symbolic", verdict, seconds,
        residual=check.residual_text(),
        message=f"{prefix}{derivation.statement}: {check.method}",
        counterexample=check.witness,
    )


SHRINK_TRIALS = 12
"""How many new trials shrinking a counterexample may evaluate. Trials train models, so an
unbounded shrink of an expensive failing claim would dominate the audit; past the budget,
candidates that were not evaluated count as passing and the smallest failing trial actually
evaluated is the counterexample reported (it always replays: it was measured)."""


class _ToleranceExceeded(AssertionError):
    """Raised inside a trial so that hypothesis shrinks towards a minimal failing example."""


def _measurements(trials: list[Trial]) -> dict[str, dict[str, float]]:
    """Each extra measurement's min and max over ``trials``, except the trials that carry a
    single sub-decision: theirs are ranged per decision (:func:`_decisions`), since the extras
    of unlike tests (a TOST and a one-sided test) must not merge into one range."""
    return _ranges([t for t in trials if len(t.measurement.parts) != 1])


_SPEC = re.compile(rf"^({FAMILY_PATTERN})\(")
# An integer argument of a spec, ``n=6`` in ``views(n=6,v=2)`` (sizes, degrees, seeds).
_SPEC_INT = re.compile(r"(?:^|,)\s*([a-z_]+)=(\d+)(?=\s*[,)])")

SECOND_ORDER_KEY = "min_tangent_eig"
"""The measurement every trained claim records: the smallest eigenvalue of the Hessian on the
tangent space modulo the loss's symmetries at its trained optima, relative to the largest
(``torch_impl.fit.Curvature``). A claim tagged ``trains`` (and not ``proxy``) without it is
ERROR: its optima would be certified to first order only."""


def _coverage(trials: list[Trial]) -> dict[str, dict[str, int]]:
    """Trials per family, for each parameter whose values are specs ``family(...)``."""
    table: dict[str, dict[str, int]] = {}
    for trial in trials:
        for name, value in trial.params.items():
            match = _SPEC.match(value) if isinstance(value, str) else None
            if match:
                row = table.setdefault(name, {})
                row[match.group(1)] = row.get(match.group(1), 0) + 1
    return table


def _ranges(trials: list[Trial]) -> dict[str, dict[str, float]]:
    table: dict[str, dict[str, float]] = {}
    for trial in trials:
        for key, value in trial.measurement.extra.items():
            row = table.setdefault(key, {"min": value, "max": value})
            row["min"], row["max"] = min(row["min"], value), max(row["max"], value)
    return table


def _decisions(claim: Claim, trials: list[Trial],
               counterexample: Trial | None) -> dict[str, dict[str, Any]]:
    """Each sub-decision (:attr:`verify.Measurement.parts`) judged on its own: the trials that
    decided it, its verdict, worst error, margin, counterexample (the check's when that trial
    fails this part, else the part's first failing trial) and the extras of the trials that
    carry this part alone."""
    names = list(dict.fromkeys(name for t in trials for name in t.measurement.parts))
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        mine = [t for t in trials if name in t.measurement.parts]
        errors = [t.measurement.parts[name] for t in mine]
        failing = [not e <= claim.tolerance for e in errors]
        failed = [t for t, bad in zip(mine, failing, strict=True) if bad]
        shown = counterexample if counterexample in failed else next(iter(failed), None)
        out[name] = {
            "verdict": (Verdict.FAILS if failed else Verdict.HOLDS).value,
            "worst_error": max(errors),
            "tolerance": claim.tolerance,
            "margin": check_margin([trial_margin(e, claim.tolerance,
                                                 t.measurement.part_margins.get(name))
                                    for t, e in zip(mine, errors, strict=True)], failing),
            "trials": len(mine),
            "counterexample": None if shown is None else dict(shown.params),
            "measurements": _ranges([t for t in mine if len(t.measurement.parts) == 1]),
        }
    return out


def _drawn(trials: list[Trial]) -> dict[str, dict[str, Any]]:
    """What the trials drew (:attr:`verify.verdict.CheckOutcome.drawn`)."""
    values: dict[str, list[Any]] = {}
    for trial in trials:
        for name, value in trial.params.items():
            values.setdefault(name, []).append(value)
            match = _SPEC.match(value) if isinstance(value, str) else None
            if match:
                for key, number in _SPEC_INT.findall(value[match.end():]):
                    values.setdefault(f"{name}.{key}", []).append(int(number))
    out: dict[str, dict[str, Any]] = {}
    for name, seen in values.items():
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in seen):
            out[name] = {"min": min(seen), "max": max(seen)}
        else:
            distinct = list(dict.fromkeys(map(str, seen)))
            out[name] = {"values": distinct[:DRAWN_VALUES], "distinct": len(distinct)}
    return out


def _undeclared_families(claim: Claim, coverage: dict[str, dict[str, int]]) -> list[str]:
    """Families drawn by the trials that the claim's ``families`` declaration does not admit."""
    if claim.families is None:
        return []
    return sorted(families_drawn(coverage) - set(claim.families))


def _missing_second_order(claim: Claim, trials: list[Trial]) -> bool:
    return ("trains" in claim.tags and "proxy" not in claim.tags and bool(trials)
            and not any(SECOND_ORDER_KEY in t.measurement.extra for t in trials))


def _worst_params(trials: list[Trial]) -> dict[str, Any] | None:
    """Parameters of the first trial with the largest error (None without trials)."""
    worst = max(trials, key=lambda t: t.error, default=None)
    return None if worst is None else dict(worst.params)


def _worst(trials: Iterable[Trial]) -> float | None:
    # Every recorded error is finite and >= 0 (Measurement.coerce rejects anything else).
    return max((t.error for t in trials), default=None)


@dataclasses.dataclass
class _Sampled:
    """What sampling a numeric check produced, before it becomes a :class:`CheckOutcome`.

    Attributes
    ----------
    trials : list of Trial
        Every evaluated trial, in order.
    counterexample : Trial or None
        The failing trial to report: hypothesis's shrunk one, or a grid's first failing point.
    stop : (exception, params) or None
        The exception a trial raised (crash, NotConverged, skip, invalid measurement) that
        ended the sampling, with that trial's parameters.
    broken : Exception or None
        Hypothesis itself complained (flaky failure, unsatisfiable strategies...).
    """

    trials: list[Trial] = dataclasses.field(default_factory=list)
    counterexample: Trial | None = None
    stop: tuple[BaseException, dict[str, Any]] | None = None
    broken: Exception | None = None


def _evaluate(claim: Claim, params: dict[str, Any]) -> Trial:
    """Run one trial: the only place a numeric check's function is called by the audit.

    Raises whatever the function raises, and :class:`InvalidMeasurement` for an invalid
    measurement; the caller decides what that means.
    """
    measurement = Measurement.coerce(claim.numeric_check.fn(**params))
    margin = trial_margin(measurement.error, claim.tolerance, measurement.margin)
    return Trial(dict(params), measurement, margin)


def _is_failure(claim: Claim, record: Trial) -> bool:
    return not record.error <= claim.tolerance


def _sample_grid(claim: Claim) -> _Sampled:
    """Every point of the declared grid once, in order; the first failing point is the
    counterexample (no shrinking). The first exception stops the sampling: the remaining
    points could not all be judged."""
    sampled = _Sampled()
    for params in claim.numeric_check.grid:
        try:
            record = _evaluate(claim, params)
        except (Exception, pytest.skip.Exception) as exc:
            sampled.stop = (exc, params)
            break
        sampled.trials.append(record)
        if sampled.counterexample is None and _is_failure(claim, record):
            sampled.counterexample = record
    return sampled


def _sample_hypothesis(claim: Claim, check_seed: int) -> _Sampled:
    """Hypothesis's draws (the profile's count, or the claim's), shrinking a failure within
    :data:`SHRINK_TRIALS` new trials."""
    check = claim.numeric_check
    sampled = _Sampled()
    failing: list[Trial] = []
    # The first exception a trial raises (crash, NotConverged, skip) before any failure, with
    # the trial's parameters: hypothesis would shrink it like a failure, which costs many more
    # (possibly long) trials and tells us nothing about the claim, so it is stored and the
    # remaining examples are no-ops.
    stop: list[tuple[BaseException, dict[str, Any]]] = []
    # Verdict of every evaluated parameter set: hypothesis replays examples (the shrunk one
    # last), and a replay must give the same answer without training again.
    seen: dict[str, bool] = {}
    measured: dict[str, Trial] = {}
    replayed: list[str] = []  # failing keys hypothesis replayed; its final replay is the shrunk one
    shrink_budget = [SHRINK_TRIALS]

    def _reject(record: Trial) -> None:
        # One raise site: hypothesis tells failures apart by where they were raised, and a
        # replay answered from ``seen`` must look like the original failure.
        raise _ToleranceExceeded(f"error {record.error:.3e} > {claim.tolerance:.1e}")

    def trial(**params: Any) -> None:
        key = repr(sorted(params.items()))
        if key in seen:
            if seen[key]:
                replayed.append(key)
                _reject(measured[key])
            return
        if stop or (failing and shrink_budget[0] <= 0):
            return
        if failing:
            shrink_budget[0] -= 1
        try:
            record = _evaluate(claim, params)
        except (Exception, pytest.skip.Exception) as exc:
            seen[key] = False
            # A crash while shrinking only rejects that candidate; a broken measurement is
            # never excused.
            if not failing or isinstance(exc, InvalidMeasurement):
                stop.append((exc, dict(params)))
            return
        bad = _is_failure(claim, record)
        sampled.trials.append(record)
        measured[key] = record
        seen[key] = bad
        if bad:
            failing.append(record)
            _reject(record)

    trial_count = (check.trials or {}).get(profiles.profile())
    test = hypothesis_seed(check_seed)(
        profiles.hypothesis_settings(None, trial_count)(given(**check.strategies)(trial))
    )
    try:
        with profiles.isolated_draws():
            test()
    except _ToleranceExceeded:
        pass
    except Exception as exc:
        sampled.broken = exc
    sampled.stop = stop[0] if stop else None
    if failing:
        # Hypothesis ends by replaying the smallest failing example it found.
        sampled.counterexample = measured[replayed[-1]] if replayed else failing[-1]
    return sampled


def run_numeric(claim: Claim, figures_dir=None) -> tuple[CheckOutcome, list[Trial]]:
    """Run the numeric check under the active profile and seed.

    A declared grid is evaluated point by point, each point once, in order (its first failing
    point is the counterexample); otherwise hypothesis draws the trials and shrinks a failure.
    Either way a trial whose function raises, or returns an invalid measurement (negative or
    non-finite error, bad margin: :class:`verify.claim.InvalidMeasurement`), makes the check
    ERROR (or NOT_CONVERGED, or SKIPPED for ``pytest.skip``), with that trial's parameters as
    the counterexample and the commands that replay it. A crash while hypothesis shrinks a
    known failure only rejects that candidate; an invalid measurement never does: the check is
    broken.

    Parameters
    ----------
    claim : Claim
    figures_dir : pathlib.Path, optional
        Where to save the claim's figures (none drawn when ``None``).

    Returns
    -------
    outcome : CheckOutcome
    trials : list of Trial
        Every evaluated trial, in order (shrinking replays included), each with its margin.
    """
    from verify.figures import draw_figures

    on_grid = claim.numeric_check.grid is not None
    check_seed = None if on_grid else profiles.check_seed(claim.id)
    started = time.perf_counter()
    sampled = _sample_grid(claim) if on_grid else _sample_hypothesis(claim, check_seed)
    trials = sampled.trials
    common = {"tolerance": claim.tolerance, "seed": check_seed,
              "sampling": "grid" if on_grid else "hypothesis", "trials": len(trials)}
    if sampled.broken is not None:
        return _crash("numeric", sampled.broken, started, worst_error=_worst(trials),
                      reproduce=reproduce_commands(claim.id), **common), trials
    if sampled.stop is not None:
        exc, params = sampled.stop
        if isinstance(exc, pytest.skip.Exception):
            outcome = CheckOutcome("numeric", Verdict.SKIPPED, time.perf_counter() - started,
                                   message=str(exc.msg), **common)
            return outcome, trials
        return _crash("numeric", exc, started, worst_error=_worst(trials),
                      counterexample=params, reproduce=reproduce_commands(claim.id, params),
                      **common), trials
    failed = sampled.counterexample
    outcome = CheckOutcome(
        "numeric", Verdict.FAILS if failed else Verdict.HOLDS, 0.0,
        worst_error=_worst(trials),
        measurements=_measurements(trials),
        coverage=_coverage(trials),
        worst_trial=_worst_params(trials),
        decisions=_decisions(claim, trials, failed),
        drawn=_drawn(trials),
        margin=check_margin([t.margin for t in trials],
                            [_is_failure(claim, t) for t in trials]),
        **common,
    )
    undeclared = _undeclared_families(claim, outcome.coverage)
    if undeclared:
        outcome.verdict = Verdict.ERROR
        outcome.message = (f"trials drew relation families {undeclared} outside the declared "
                           f"families={claim.families}")
        outcome.reproduce = reproduce_commands(claim.id)
    elif _missing_second_order(claim, trials):
        outcome.verdict = Verdict.ERROR
        outcome.message = (f"a claim tagged 'trains' must record extra[{SECOND_ORDER_KEY!r}] "
                           "(FitResult.min_tangent_eig) for its trained optima")
        outcome.reproduce = reproduce_commands(claim.id)
    elif failed:
        where = " (the first failing grid point)" if on_grid else ""
        outcome.counterexample = dict(failed.params)
        outcome.message = (f"error {failed.error:.3e} > tolerance {claim.tolerance:.1e} at "
                           f"{_call(failed.params)}{where}")
        outcome.reproduce = reproduce_commands(claim.id, failed.params)
        if outcome.worst_trial is not None and outcome.worst_trial != outcome.counterexample:
            # The worst error replays too: the last command of reproduce_commands is the replay.
            outcome.reproduce.append(reproduce_commands(claim.id, outcome.worst_trial)[-1])
    if figures_dir is not None and trials:
        try:
            outcome.figures = draw_figures(claim, trials, figures_dir)
        except Exception as exc:
            outcome.verdict = Verdict.ERROR
            outcome.message = "a figure function raised: " + error_summary(exc)
            outcome.reproduce = reproduce_commands(claim.id)
    outcome.seconds = time.perf_counter() - started
    return outcome, trials


def _call(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in params.items())
