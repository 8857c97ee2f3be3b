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

__all__ = ["Verdict", "CheckOutcome", "combine", "matches_expected", "jsonable"]


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

    ERROR > NOT_CONVERGED > FAILS > UNDECIDED > SKIPPED > HOLDS: the claim HOLDS only when every declared
    check holds.
    """
    present = {v for v in verdicts if v is not None}
    if not present:
        return Verdict.SKIPPED
    return next(v for v in _PRECEDENCE if v in present)


def matches_expected(verdict: Verdict, expected: Verdict) -> bool | None:
    """Whether a claim's verdict is the one expected after review.

    ``None`` when the question does not apply (SKIPPED). ERROR and NOT_CONVERGED never match:
    a claim expected to fail must fail *as a claim*, not by crashing.
    """
    if verdict is Verdict.SKIPPED:
        return None
    return verdict is expected


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
        Numeric: hypothesis's shrunk failing parameters; symbolic: the spot-check point at which
        the residual is nonzero.
    seed : int or None
        Numeric: the hypothesis seed of this check (derived from the run seed and the claim id).
    reproduce : str or None
        How to replay the failure.
    measurements : dict
        Numeric: each extra measurement's min and max over the trials.
    figures : list of str
        Figure paths relative to the report directory.
    margin : float or None
        Numeric: how far the verdict sits from its tolerance, as a factor >= 1 when robust
        (HOLDS: tolerance / worst error; FAILS: worst error / tolerance; for exact criteria the
        trials' own margins, see :attr:`verify.Measurement.margin`).
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
    reproduce: str | None = None
    measurements: dict[str, dict[str, float]] = dataclasses.field(default_factory=dict)
    figures: list[str] = dataclasses.field(default_factory=list)
    margin: float | None = None

    def to_json(self) -> str:
        """Serialise to a JSON string (strict JSON: no NaN literals)."""
        return json.dumps(jsonable(dataclasses.asdict(self)), allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> CheckOutcome:
        """Inverse of :meth:`to_json`."""
        data = json.loads(text)
        data["verdict"] = Verdict(data["verdict"])
        if isinstance(data.get("worst_error"), str):
            data["worst_error"] = float(data["worst_error"])
        return cls(**data)
