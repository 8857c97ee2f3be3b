"""Declaring a claim: :class:`Claim`, its checks, and what a numeric trial returns.

A claim module (``tests/claims/<paper>/test_*.py``) creates one ``Claim`` and decorates its
checks with :meth:`Claim.symbolic`, :meth:`Claim.numeric` and optionally :meth:`Claim.figure`.
The pytest plugin (:mod:`verify.plugin`) finds the ``Claim`` object and turns it into items.
Every problem with a declaration raises :class:`ClaimDeclarationError` naming the module and
the field, at import time, so a malformed claim shows up as a collection error.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import os
import re
import sys
from collections.abc import Callable, Mapping
from typing import Any

from hypothesis.strategies import SearchStrategy

from verify.profiles import PROFILES
from verify.verdict import Verdict

__all__ = ["Claim", "ClaimDeclarationError", "InvalidMeasurement", "Measurement", "Trial",
           "PROVENANCES"]

PROVENANCES = ("TEXT", "SECONDARY", "DERIVED")
"""Provenance labels, see ``docs/catalogue/BL22.md#sources-and-provenance-labels``."""

_ID = re.compile(r"^[A-Z][A-Z0-9]*-[A-Za-z0-9][A-Za-z0-9.\-]*$")
_REQUIRED = ("id", "paper", "source", "statement", "provenance", "paper_asserts", "tolerance")


class ClaimDeclarationError(ValueError):
    """A claim module declares its claim wrongly; the message names the module and field."""

    def __init__(self, module: str, field: str, problem: str) -> None:
        self.module = module
        self.field = field
        super().__init__(f"{module}: claim field {field!r}: {problem}")


class InvalidMeasurement(ValueError):
    """A numeric check returned something that is not a measurement: a negative or non-finite
    error, or a bad margin. The check is broken; the engine reports ERROR, never FAILS."""


@dataclasses.dataclass
class Measurement:
    """What one numeric trial measured.

    Attributes
    ----------
    error : float
        The measured error, compared with the claim's tolerance (``error <= tolerance``): a
        finite number >= 0 (a distance, a norm, an absolute difference). A negative or
        non-finite error is rejected (:class:`InvalidMeasurement`), so that a signed difference,
        the log of a zero error or a NaN can never pass or fail a claim.
    extra : dict of str to float
        Further measurements to record (e.g. ``{"eigengap": 0.3}``); the report shows each
        one's min and max over the trials.
    figure_data : object
        Anything the claim's figure function wants from this trial (not written to JSON).
    margin : float, optional
        The trial's decision margin as a factor (>= 1: the decision is that many times away
        from flipping). Default: ``tolerance / error`` when within tolerance, ``error /
        tolerance`` beyond it. Give it for exact criteria (tolerance 0, e.g. a rank), where it
        is ``10 ** decades`` with ``decades`` the gap between the deciding singular value and
        the rank threshold. A float >= 0 when given (``inf``: nothing can flip it).
    """

    error: float
    extra: dict[str, float] = dataclasses.field(default_factory=dict)
    figure_data: Any = dataclasses.field(default=None, repr=False)
    margin: float | None = None

    @classmethod
    def coerce(cls, value: object) -> Measurement:
        """Accept a ``Measurement`` or anything ``float()`` accepts (0-d tensors included).

        Raises
        ------
        TypeError
            ``value`` is neither.
        InvalidMeasurement
            The error is negative or not finite, or the margin is negative or NaN.
        """
        if isinstance(value, Measurement):
            out = cls(float(value.error), {k: float(v) for k, v in value.extra.items()},
                      value.figure_data,
                      None if value.margin is None else float(value.margin))
        else:
            try:
                out = cls(float(value))  # type: ignore[arg-type]
            except (TypeError, ValueError, RuntimeError):
                raise TypeError(
                    "a numeric check must return a float (the error) or verify.Measurement, "
                    f"got {type(value).__name__}"
                ) from None
        out._validate()
        return out

    def _validate(self) -> None:
        if not math.isfinite(self.error):
            raise InvalidMeasurement(f"the check is broken: non-finite error {self.error!r} "
                                     "(error must be a non-negative float)")
        if self.error < 0:
            raise InvalidMeasurement(f"error must be a non-negative float, got {self.error!r} "
                                     "(a signed difference? the log of an error?)")
        # +inf is a margin (an exact decision no threshold can flip, as error 0 within a
        # tolerance); NaN and negative values are not.
        if self.margin is not None and (math.isnan(self.margin) or self.margin < 0):
            raise InvalidMeasurement("the check is broken: margin must be a non-negative "
                                     f"float (inf allowed), got {self.margin!r}")


@dataclasses.dataclass
class Trial:
    """One evaluated numeric trial, as figure functions receive it.

    Attributes
    ----------
    params : dict
        The trial's parameters, as drawn.
    measurement : Measurement
    margin : float or None
        The trial's decision margin, the claim's own or the engine's default
        (:func:`verify.verdict.trial_margin`), fixed when the trial is measured.
    """

    params: dict[str, Any]
    measurement: Measurement
    margin: float | None = None

    @property
    def error(self) -> float:
        return self.measurement.error


@dataclasses.dataclass
class NumericCheck:
    """A numeric check: the trial function, its hypothesis strategies and trial counts."""

    fn: Callable[..., object]
    strategies: dict[str, SearchStrategy]
    trials: dict[str, int] | None = None


def _caller_module(depth: int) -> tuple[str, str]:
    """(display path, module name) of the module that declared a claim."""
    frame = sys._getframe(depth)
    name = frame.f_globals.get("__name__", "<unknown>")
    path = frame.f_globals.get("__file__") or name
    try:
        path = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        pass
    return path, name


class Claim:
    """One claim of a paper, declared in its own test module.

    Parameters
    ----------
    id : str
        Unique id, ``<PAPER>-<label>``, e.g. ``"BL22-C0"``; a second reading is a second id
        (``BL22-C5a`` / ``BL22-C5b``).
    paper : str
        The paper's key, the id's prefix (``"BL22"``, ``"GA23"``).
    source : str
        Where in the paper: section, theorem or equation.
    statement : str
        The claim in one line.
    provenance : {'TEXT', 'SECONDARY', 'DERIVED'}
        Where the statement comes from (see ``docs/catalogue/BL22.md``).
    paper_asserts : str
        What the paper itself asserts, in its words or closely paraphrased.
    tolerance : float
        A numeric trial passes when its error is ``<= tolerance``.
    expected : {'HOLDS', 'FAILS'}, default='HOLDS'
        The verdict expected after review. A run exits non-zero when the verdict differs.
    notes : str, default=''
        Conventions, caveats, the reviewer's reasoning.
    finding : str, default=''
        What the audit concludes about the paper, in one plain-words line (e.g. "holds only
        for beta >= beta*; fails at the customary weights"). The report's summary lists the
        findings of every claim that declares one, next to the verdict that backs it; keep
        measured numbers out of it (the report states those).

    Examples
    --------
    >>> claim = Claim(id="BL22-C0", paper="BL22", source="Sec. 2.2",
    ...               statement="...", provenance="DERIVED", paper_asserts="...",
    ...               tolerance=1e-10)  # doctest: +SKIP
    """

    def __init__(self, **fields: Any) -> None:
        self.module_path, self.module_name = _caller_module(2)
        for name in _REQUIRED:
            if name not in fields:
                self._fail(name, "missing (required)")
        unknown = sorted(set(fields) - set(_REQUIRED) - {"expected", "notes", "finding"})
        if unknown:
            self._fail(unknown[0], "unknown field")
        self.id: str = self._text(fields, "id")
        self.paper: str = self._text(fields, "paper")
        self.source: str = self._text(fields, "source")
        self.statement: str = self._text(fields, "statement", one_line=True)
        self.provenance: str = self._choice(fields, "provenance", PROVENANCES)
        self.paper_asserts: str = self._text(fields, "paper_asserts")
        self.expected = Verdict(self._choice(fields, "expected", ("HOLDS", "FAILS"), "HOLDS"))
        self.notes: str = self._text(fields, "notes", default="")
        self.finding: str = self._text(fields, "finding", one_line=True, default="")
        self.tolerance: float = self._tolerance(fields["tolerance"])
        if not _ID.match(self.id):
            self._fail("id", f"{self.id!r} is not of the form PAPER-LABEL (e.g. 'BL22-C0')")
        if not self.id.startswith(self.paper + "-"):
            self._fail("paper", f"{self.paper!r} is not the prefix of id {self.id!r}")
        self.symbolic_check: Callable[[], object] | None = None
        self.numeric_check: NumericCheck | None = None
        self.figures: dict[str, Callable[..., None]] = {}

    # -- validation -------------------------------------------------------------------------
    def _fail(self, field: str, problem: str) -> None:
        raise ClaimDeclarationError(self.module_path, field, problem)

    def _text(self, fields: Mapping[str, Any], name: str, *, one_line: bool = False,
              default: str | None = None) -> str:
        value = fields.get(name, default)
        if not isinstance(value, str):
            self._fail(name, f"must be a string, got {type(value).__name__}")
        value = value.strip()
        if not value and default is None:
            self._fail(name, "must not be empty")
        if one_line and "\n" in value:
            self._fail(name, "must be one line (put details in notes=)")
        return value

    def _choice(self, fields: Mapping[str, Any], name: str, options: tuple[str, ...],
                default: str | None = None) -> str:
        value = fields.get(name, default)
        if isinstance(value, Verdict):
            value = value.value
        if value not in options:
            self._fail(name, f"must be one of {', '.join(options)}, got {value!r}")
        return value

    def _tolerance(self, value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self._fail("tolerance", f"must be a number, got {type(value).__name__}")
        if not (math.isfinite(value) and value >= 0):
            self._fail("tolerance", f"must be finite and >= 0, got {value!r}")
        return float(value)

    # -- checks -----------------------------------------------------------------------------
    def symbolic(self, fn: Callable[[], object]) -> Callable[[], object]:
        """Attach the symbolic check: a function of no arguments returning a
        :class:`derivations.base.Derivation` (or a list of them, all of which must hold)."""
        if self.symbolic_check is not None:
            self._fail("symbolic", "a second symbolic check (a claim has one; return a list "
                       "of derivations to check several)")
        if not callable(fn) or inspect.signature(fn).parameters:
            self._fail("symbolic", "must decorate a function of no arguments")
        self.symbolic_check = fn
        return fn

    def numeric(self, trials: int | Mapping[str, int] | None = None,
                **strategies: SearchStrategy) -> Callable[[Callable[..., object]],
                                                          Callable[..., object]]:
        """Attach the numeric check: a trial function drawn by hypothesis.

        Parameters
        ----------
        trials : int or dict of profile to int, optional
            Examples per run (default: the profile's, 10 quick / 100 full). Give fewer for
            trials that train a model, e.g. ``trials={"quick": 3, "full": 25}``.
        **strategies : hypothesis strategies
            One per parameter of the decorated function.

        The decorated function returns the trial's error (a float) or a
        :class:`Measurement`; it may raise ``pytest.skip(...)`` (SKIPPED) and lets
        ``torch_impl.fit.NotConverged`` propagate (NOT_CONVERGED).
        """
        if self.numeric_check is not None:
            self._fail("numeric", "a second numeric check (a claim has one)")
        for name, strategy in strategies.items():
            if not isinstance(strategy, SearchStrategy):
                self._fail(f"numeric.{name}", "must be a hypothesis strategy, got "
                           f"{type(strategy).__name__}")
        per_profile = self._trials(trials)

        def attach(fn: Callable[..., object]) -> Callable[..., object]:
            params = set(inspect.signature(fn).parameters)
            if params != set(strategies):
                missing = sorted(params - set(strategies)) or sorted(set(strategies) - params)
                self._fail(f"numeric.{missing[0]}", "the function's parameters and the "
                           f"strategies differ: {sorted(params)} vs {sorted(strategies)}")
            self.numeric_check = NumericCheck(fn, dict(strategies), per_profile)
            return fn

        return attach

    def _trials(self, trials: int | Mapping[str, int] | None) -> dict[str, int] | None:
        if trials is None:
            return None
        table = {p: trials for p in PROFILES} if isinstance(trials, int) else dict(trials)
        for name, count in table.items():
            if name not in PROFILES:
                self._fail("numeric.trials", f"unknown profile {name!r}")
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                self._fail("numeric.trials", f"must be a positive int, got {count!r}")
        return table

    def figure(self, fn: Callable[..., None] | None = None, *, name: str = ""):
        """Attach a figure: ``fn(trials, fig)`` draws the collected :class:`Trial` list into a
        matplotlib ``Figure``, saved as ``figures/<id>.png`` (``<id>-<name>.png`` if named).

        Usable bare (``@claim.figure``) or with a name (``@claim.figure(name="spectrum")``).
        """
        def attach(f: Callable[..., None]) -> Callable[..., None]:
            if name in self.figures:
                self._fail("figure", f"two figures named {name!r}")
            if len(inspect.signature(f).parameters) != 2:
                self._fail("figure", "must decorate a function (trials, fig)")
            self.figures[name] = f
            return f

        return attach(fn) if fn is not None else attach

    # -- use --------------------------------------------------------------------------------
    def validate_complete(self) -> None:
        """Check what can only be checked once the module is imported: a declared check."""
        if self.symbolic_check is None and self.numeric_check is None:
            self._fail("symbolic", "no check attached: decorate functions with "
                       "@claim.symbolic and/or @claim.numeric(...)")

    def replay(self, **params: Any) -> Measurement:
        """Run the numeric check once on ``params``, under the settings this claim's module was
        imported with. To replay a report's counterexample under the report's profile and
        seed, from any directory, use :func:`verify.replay` (``verify.replay(claim.id,
        params, profile="full", seed=0)``)."""
        if self.numeric_check is None:
            raise ValueError(f"{self.id} has no numeric check")
        return Measurement.coerce(self.numeric_check.fn(**params))

    def declaration(self) -> dict[str, Any]:
        """The declared fields, as the report records them."""
        return {
            "id": self.id,
            "paper": self.paper,
            "source": self.source,
            "statement": self.statement,
            "provenance": self.provenance,
            "paper_asserts": self.paper_asserts,
            "expected": self.expected.value,
            "tolerance": self.tolerance,
            "notes": self.notes,
            "finding": self.finding,
            "module": self.module_path,
            "checks": [k for k, c in (("symbolic", self.symbolic_check),
                                      ("numeric", self.numeric_check)) if c is not None],
        }

    def __repr__(self) -> str:
        return f"Claim({self.id!r}, module={self.module_path!r})"
