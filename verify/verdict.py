"""Verdicts of a claim's checks and the outcome record one check produces.

A check (symbolic or numeric) ends in exactly one :class:`Verdict`; a claim's verdict combines
its checks' verdicts. Outcomes travel from the process that ran the check to the one that writes
the report (pytest-xdist workers -> controller) as JSON, so they hold plain data only.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math
from typing import Any

__all__ = [
    "Verdict",
    "CheckOutcome",
    "combine",
    "matches_expected",
    "z_score_margin",
    "jsonable",
    "as_float",
    "FRAGILE_MARGIN",
    "trial_margin",
    "check_margin",
    "is_fragile",
    "families_drawn",
]


class Verdict(str, enum.Enum):
    """What a check, or a claim, concluded."""

    HOLDS = "HOLDS"
    """Symbolic residual simplified to zero / every numeric trial within tolerance."""
    FAILS = "FAILS"
    """Residual not zero / some trial beyond tolerance (with a counterexample)."""
    ERROR = "ERROR"
    """The check itself crashed; the claim was not judged."""
    UNDECIDED = "UNDECIDED"
    """Symbolic only: the residual did not simplify to 0 yet vanished at every spot check.
    Neither a proof nor a refutation; it never matches an expected verdict."""
    NOT_CONVERGED = "NOT_CONVERGED"
    """An optimiser inside the check did not converge; the claim was not judged."""
    SKIPPED = "SKIPPED"
    """The check could not run here (e.g. it needs CUDA); the reason is recorded."""

    def __str__(self) -> str:
        return self.value


# Precedence when combining: the first listed that occurs wins. A crash hides everything else
# because nothing else can be trusted; a failure beats a skip because it is informative.
_PRECEDENCE = (
    Verdict.ERROR,
    Verdict.NOT_CONVERGED,
    Verdict.FAILS,
    Verdict.UNDECIDED,
    Verdict.SKIPPED,
    Verdict.HOLDS,
)


def combine(*verdicts: Verdict | None) -> Verdict:
    """Combine the verdicts of a claim's checks (``None`` = check not declared).

    ERROR > NOT_CONVERGED > FAILS > UNDECIDED > SKIPPED > HOLDS: the claim HOLDS only when every
    declared check holds, and one failing check (symbolic or numeric) makes it FAIL.
    """
    present = {v for v in verdicts if v is not None}
    if not present:
        return Verdict.SKIPPED
    return next(v for v in _PRECEDENCE if v in present)


def matches_expected(verdict: Verdict, expected: Verdict) -> bool | None:
    """Whether a claim's verdict is the one expected after review.

    ``None`` when the question does not apply (SKIPPED). ERROR, NOT_CONVERGED and UNDECIDED
    never match (expectations are HOLDS or FAILS): a claim expected to fail must fail *as a
    claim*, with a witness, not by crashing or by an undecided residual.
    """
    if verdict is Verdict.SKIPPED:
        return None
    return verdict is expected


FRAGILE_MARGIN = 10.0
"""A verdict whose margin is below this factor is *fragile*: rounding on another machine, or a
slightly different optimiser path, could flip it."""


def trial_margin(error: float, tolerance: float, given: float | None = None) -> float | None:
    """One trial's decision margin, as a factor (>= 1 robust, see :class:`CheckOutcome`).

    Parameters
    ----------
    error, tolerance : float
        The trial's error (finite, >= 0) and the claim's tolerance (>= 0).
    given : float, optional
        The claim's own margin (:attr:`verify.Measurement.margin`), used as is.

    Returns
    -------
    float or None
        ``given`` if any; else ``tolerance / error`` within tolerance (``inf`` for error 0) and
        ``error / tolerance`` beyond it. ``None`` (unknown) for tolerance 0, an exact criterion
        whose distance from flipping only the claim can state.
    """
    if given is not None:
        return given
    if tolerance == 0:
        return None
    if error <= tolerance:
        return math.inf if error == 0 else tolerance / error
    return error / tolerance


def z_score_margin(z: float, threshold: float) -> float:
    """The decision margin of a z-score test (``|z| <= threshold`` passes), as a factor.

    For a statistical test the distance that matters is not ``threshold / |z|`` (a true null
    gives |z| ~ 2-3 in a few hundred trials, whatever the sample size) but how much more
    probable the observed deviation is than one that flips the decision: the ratio of the
    two-sided standard normal tails, ``P(|Z| > |z|) / P(|Z| > threshold)`` when the test passes,
    and its inverse when it fails. |z| = 2.5 against a threshold of 5 gives ~2e4: robust.

    Parameters
    ----------
    z : float
        The observed z-score (finite).
    threshold : float
        The test's threshold (> 0).

    Returns
    -------
    float
        >= 1; ``inf`` when the tail below underflows.
    """
    if not (math.isfinite(z) and threshold > 0):
        raise ValueError(f"z must be finite and threshold > 0, got z={z!r}, "
                         f"threshold={threshold!r}")
    observed, flip = math.erfc(abs(z) / math.sqrt(2)), math.erfc(threshold / math.sqrt(2))
    small, large = sorted((observed, flip))
    return math.inf if small == 0 else large / small


def check_margin(margins: list[float | None], failing: list[bool]) -> float | None:
    """A numeric check's margin from its trials' margins (``failing[i]``: trial i failed).

    HOLDS (no failing trial): the smallest margin, ``None`` if one is unknown. FAILS: the
    largest margin among the failing trials (one robust counterexample suffices), ``None`` if
    none is known. ``None`` when there is no trial.
    """
    if len(margins) != len(failing):
        raise ValueError(f"margins and failing differ in length: {len(margins)} vs "
                         f"{len(failing)}")
    if any(failing):
        known = [m for m, bad in zip(margins, failing, strict=True) if bad and m is not None]
        return max(known) if known else None
    if not margins or any(m is None for m in margins):
        return None
    return min(margins)


def is_fragile(margin: float | None) -> bool:
    """Whether a HOLDS or FAILS verdict with this margin is fragile: below
    :data:`FRAGILE_MARGIN`, or unknown (``None``)."""
    return margin is None or margin < FRAGILE_MARGIN


def jsonable(value: Any) -> Any:
    """Turn ``value`` into strict-JSON data: non-finite floats become the strings 'inf'/'nan',
    tuples become lists, anything unknown becomes its ``repr``."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    try:  # numpy / torch scalars
        return jsonable(value.item())
    except (AttributeError, ValueError, RuntimeError):
        return repr(value)


def as_float(value: Any) -> float | None:
    """A number read back from a document :func:`jsonable` wrote: a float, ``None``, or the
    strings ``'inf'`` / ``'nan'``."""
    return None if value is None else float(value)


@dataclasses.dataclass
class CheckOutcome:
    """Everything one check reports.

    Attributes
    ----------
    kind : {'symbolic', 'numeric'}
    verdict : Verdict
    seconds : float
        Wall-clock time of the check (figures included).
    message : str
        Skip reason, error summary (with traceback tail) or failure explanation; '' when it holds.
    residual : str or None
        Symbolic: the simplified residual ('0' when it holds).
    worst_error, tolerance : float or None
        Numeric: the largest measured error over all trials and the claim's tolerance.
    trials : int
        Numeric: trials evaluated (shrinking replays included).
    counterexample : dict or None
        Numeric: hypothesis's shrunk failing parameters, a grid's first failing point, or the
        parameters of the trial that crashed; symbolic: the spot-check point at which
        the residual is nonzero.
    seed : int or None
        Numeric: the hypothesis seed of this check (derived from the run seed and the claim id).
    reproduce : list of str or None
        Numeric FAILS, ERROR and NOT_CONVERGED: shell commands that replay it, one per entry
        (print one per line): the audit of this one claim, then (when a trial is known) the
        Python replay of that trial.
    measurements : dict
        Numeric: each extra measurement's min and max over the trials.
    figures : list of str
        Figure paths relative to the report directory.
    margin : float or None
        Numeric: how far the verdict sits from its tolerance, as a factor >= 1 when robust
        (HOLDS: tolerance / worst error; FAILS: worst error / tolerance; for exact criteria the
        trials' own margins, see :attr:`verify.Measurement.margin`); see :func:`trial_margin`
        and :func:`check_margin`. ``None`` when unknown.
    worst_trial : dict or None
        Numeric: the parameters of the trial with the largest error (the first such trial), so
        that the worst error replays like the counterexample does; for a failing check whose
        worst trial is not its counterexample, ``reproduce`` also replays the worst trial.
    coverage : dict
        Numeric: for each parameter whose values are specs ``family(...)`` (e.g. the relations
        of ``tests/claims/graphs.py``), the number of trials per family.
    decisions : dict
        Numeric: for a claim whose trials return sub-decisions (:attr:`verify.Measurement.parts`),
        each part's own ``verdict``, ``worst_error``, ``tolerance``, ``margin``, ``trials`` (the
        trials that decided it), ``counterexample`` and ``measurements`` (the extras of the
        trials carrying that part alone). The check HOLDS iff every part holds on every trial.
    drawn : dict
        Numeric: what the trials drew, per parameter: ``{"min", "max"}`` over numbers,
        ``{"values": [...], "distinct": n}`` over other values (the first
        :data:`DRAWN_VALUES` distinct ones), and for a parameter whose values are specs
        ``family(key=value, ...)`` the range of each integer key as ``"<param>.<key>"``.
    sampling : {'hypothesis', 'grid'} or None
        Numeric: how the trials were chosen, hypothesis's draws (``seed`` is then its seed) or
        every point of a declared grid, in order (``seed`` is None); None for symbolic checks.
    """

    kind: str
    verdict: Verdict
    seconds: float = 0.0
    message: str = ""
    residual: str | None = None
    worst_error: float | None = None
    tolerance: float | None = None
    trials: int = 0
    counterexample: dict[str, Any] | None = None
    seed: int | None = None
    reproduce: list[str] | None = None
    measurements: dict[str, dict[str, float]] = dataclasses.field(default_factory=dict)
    figures: list[str] = dataclasses.field(default_factory=list)
    margin: float | None = None
    sampling: str | None = None
    coverage: dict[str, dict[str, int]] = dataclasses.field(default_factory=dict)
    worst_trial: dict[str, Any] | None = None
    decisions: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    drawn: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)

    def to_json(self) -> str:
        """Serialise to a JSON string (strict JSON: no NaN literals)."""
        return json.dumps(jsonable(dataclasses.asdict(self)), allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> CheckOutcome:
        """Inverse of :meth:`to_json`."""
        data = json.loads(text)
        data["verdict"] = Verdict(data["verdict"])
        for key in ("worst_error", "margin"):  # jsonable wrote non-finite floats as 'inf'
            data[key] = as_float(data.get(key))
        for part in (data.get("decisions") or {}).values():
            for field in ("worst_error", "margin"):
                part[field] = as_float(part.get(field))
        return cls(**data)


DRAWN_VALUES = 8
"""How many distinct non-numeric values of a parameter :attr:`CheckOutcome.drawn` lists."""


def families_drawn(coverage: dict[str, dict[str, int]]) -> set[str]:
    """The relation families a numeric check's trials drew, over every spec parameter of its
    ``coverage`` (:attr:`CheckOutcome.coverage`, or the same field of claims.json)."""
    return {family for row in coverage.values() for family in row}
