"""Declaring a claim: :class:`Claim`, its checks, and what a numeric trial returns.

A claim module (``tests/claims/<paper>/test_*.py``) creates one ``Claim`` and decorates its
checks with :meth:`Claim.symbolic`, :meth:`Claim.numeric` and optionally :meth:`Claim.figure`.
The pytest plugin (:mod:`verify.plugin`) finds the ``Claim`` object and turns it into items.
Besides the claim itself, a declaration states what its numeric error measures and in which
unit (``measures``, ``unit``), the settings that decide its verdict (``settings``), its tags
(``tags``, from :data:`verify.tags.TAGS`) and, for a claim expected to fail, the claim that
states where it holds (``holds_where``). Every problem with a declaration raises
:class:`ClaimDeclarationError` naming the module and the field, at import time, so a malformed
claim shows up as a collection error.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import numbers
import os
import re
import sys
import types
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

import numpy as np
from hypothesis.strategies import SearchStrategy

from verify.grid import Grid, GridError, as_grid
from verify.profiles import PROFILES
from verify.tags import CHECKED, TAGS
from verify.verdict import Verdict
from verify.words import direction_words, placeholder_problems, typed_numbers

__all__ = ["Claim", "ClaimDeclarationError", "InvalidMeasurement", "Measurement", "Trial",
           "PROVENANCES", "SCOPES", "UNIT_CHARS", "WHY_CHARS", "DIRECTION_CHARS"]

PROVENANCES = ("TEXT", "SECONDARY", "DERIVED")
"""Provenance labels, see ``docs/catalogue/BL22.md#sources-and-provenance-labels``."""

_ID = re.compile(r"^[A-Z][A-Z0-9]*-[A-Za-z0-9][A-Za-z0-9.\-]*$")
_REQUIRED = ("id", "paper", "source", "statement", "provenance", "paper_asserts", "tolerance")
_OPTIONAL = ("expected", "notes", "finding", "measures", "unit", "settings", "tags",
             "holds_where", "families", "families_why", "directions")
FAMILY_PATTERN = r"[a-z][a-z0-9_]*"
"""A relation family's name: the prefix of its specs, ``family(...)``."""
_FAMILY = re.compile(rf"^{FAMILY_PATTERN}$")
_SETTING_NAME = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


SCOPES = ("claim", "lemma")
"""What a symbolic check derives (:meth:`Claim.symbolic`): the claim itself, or a lemma the
claim relies on."""

WHY_CHARS = 240
"""A lemma-scope symbolic check says in one line, at most this long, what it proves and why
the claim itself is not derived."""

UNIT_CHARS = 16
"""A unit is short (``rad``, ``relative``, ``decades``): at most this many characters, one
line."""


DIRECTION_CHARS = 160
"""A direction of ``directions=`` is one line, at most this long."""

_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")


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
    parts : dict of str to float, optional
        The trial's sub-decisions, when it decides several tests at once: each test's own error
        (finite, >= 0), judged against the claim's tolerance like ``error``, which must equal
        their maximum. The report shows each sub-decision on its own line (verdict, worst
        error, margin, trials, counterexample), and groups the ``extra`` of trials carrying a
        single part under that part, so unlike tests are never merged into one range. Names:
        letters, digits, ``_`` and ``-`` (``"tilt-hessian"``).
    part_margins : dict of str to float, optional
        A part's own decision margin, where the default ``tolerance / error`` is not the
        distance that matters (a z-score test: :func:`verify.z_score_margin`); keys among
        ``parts``.
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
    parts: dict[str, float] = dataclasses.field(default_factory=dict)
    part_margins: dict[str, float] = dataclasses.field(default_factory=dict)

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
                      None if value.margin is None else float(value.margin),
                      {str(k): float(v) for k, v in value.parts.items()},
                      {str(k): float(v) for k, v in value.part_margins.items()})
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
        for name, error in self.parts.items():
            if not _PART.match(name):
                raise InvalidMeasurement(f"the check is broken: a part's name is letters, "
                                         f"digits, '_' and '-', got {name!r}")
            if not (math.isfinite(error) and error >= 0):
                raise InvalidMeasurement(f"the check is broken: part {name!r} has error "
                                         f"{error!r} (a non-negative float)")
        for name, margin in self.part_margins.items():
            if name not in self.parts or math.isnan(margin) or margin < 0:
                raise InvalidMeasurement(f"the check is broken: part_margins[{name!r}] must be "
                                         "a non-negative float (inf allowed) for a declared "
                                         f"part, got {margin!r} (parts: {sorted(self.parts)})")
        # The claim's decision is the parts' conjunction: one error that is not their maximum
        # would let the verdict and the sub-decisions disagree.
        if self.parts and self.error != max(self.parts.values()):
            raise InvalidMeasurement(f"the check is broken: error {self.error!r} is not the "
                                     f"maximum of its parts {self.parts!r}")


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
    """A numeric check: the trial function and either its hypothesis strategies (with the
    trial counts) or its declared grid (every point evaluated once, in order)."""

    fn: Callable[..., object]
    strategies: dict[str, SearchStrategy]
    trials: dict[str, int] | None = None
    grid: Grid | None = None


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
    measures : str, default=''
        What the numeric error measures, in one line (e.g. "largest principal angle between
        span(Z*) and the predicted eigenspace"). Required with a numeric check; meaningless
        without one.
    unit : str, default=''
        The error's unit, short (at most :data:`UNIT_CHARS` characters): ``"rad"``,
        ``"relative"``, ``"absolute"``, ``"rank"``, ``"accuracy"``, ``"decades"``... Declared
        together with ``measures``.
    settings : dict of str to float, int, str or bool, default={}
        The settings that decide the verdict besides the tolerance (``{"rank_rtol": 1e-6,
        "grad_tol": 1e-8}``): snake_case names, finite numbers, one-line strings. The report
        records them; claim code reads them back as ``claim.settings[name]`` (read-only), so
        that the declared value is the one used.
    tags : tuple of str, default=()
        Tags from :data:`verify.tags.TAGS`, each a pytest marker of the claim's items
        (``-m trains``). The tags of :data:`verify.tags.CHECKED` must be true of the claim.
    holds_where : str, default=''
        For a claim expected to FAIL: the id of the claim stating where it holds (e.g. the
        charitable reading of a literal claim). Not allowed on a claim expected to hold.
    families : tuple of str, optional
        For a claim whose condition admits only some relation families: the families it
        admits (the prefixes of its specs, ``("views", "labels")``), or ``()`` for a claim that
        draws no relation. Undeclared, every family is admitted. A trial that draws a family
        outside the declaration makes the numeric check ERROR; the report's evidence counts a
        declared claim as drawing enough families when it draws every one it declares.
    families_why : str
        Why the condition admits only those families (one line); required with ``families``.
    directions : dict of str to tuple of str, optional
        Each direction or universal the finding asserts (one line, as the finding states it:
        ``"holds on regular graphs (if)"``) -> the ids of the claims whose verdicts establish
        it (the claim's own id when its own check does). Required when the finding uses a
        direction word (:data:`verify.words.DIRECTION_WORDS`: "only", "iff", "every",
        "never", ...); the report links each id with its verdict. A direction no claim tests
        is not asserted: the finding says it is untested ("measured: the if direction").

    The finding may type no decimal, percentage or scientific number (a measurement typed by
    hand): measured values enter the finding and the notes through placeholders
    (``{{max.loss_gap:.1%}}``, :mod:`verify.words`), rendered from each run's record.

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
        unknown = sorted(set(fields) - set(_REQUIRED) - set(_OPTIONAL))
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
        self.measures: str = self._text(fields, "measures", one_line=True, default="")
        self.unit: str = self._unit(fields.get("unit", ""))
        if bool(self.measures) != bool(self.unit):
            missing = "unit" if self.measures else "measures"
            self._fail(missing, "declare measures= and unit= together (what the error "
                       "measures, and in which unit)")
        self.settings: Mapping[str, float | int | str | bool] = types.MappingProxyType(
            self._settings(fields.get("settings", {})))
        self.tags: tuple[str, ...] = self._tags(fields.get("tags", ()))
        self.holds_where: str = self._holds_where(fields.get("holds_where", ""))
        self.families: tuple[str, ...] | None = self._families(fields.get("families"))
        self.families_why: str = self._text(fields, "families_why", one_line=True, default="")
        if (self.families is None) != (not self.families_why):
            self._fail("families_why" if self.families is not None else "families",
                       "declare families= and families_why= together (the admitted relation "
                       "families, and why the condition admits no others)")
        self.directions: dict[str, tuple[str, ...]] = self._directions(
            fields.get("directions", {}))
        self._check_words()
        self.symbolic_check: Callable[[], object] | None = None
        self.symbolic_scope: str | None = None  # SCOPES, declared with the symbolic check
        self.symbolic_why: str = ""
        self.numeric_check: NumericCheck | None = None
        self.figures: dict[str, Callable[..., None]] = {}

    # -- validation -------------------------------------------------------------------------
    def _fail(self, field: str, problem: str) -> NoReturn:
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

    def _unit(self, value: object) -> str:
        if not isinstance(value, str):
            self._fail("unit", f"must be a string, got {type(value).__name__}")
        value = value.strip()
        if "\n" in value or len(value) > UNIT_CHARS:
            self._fail("unit", f"must be short (one line, at most {UNIT_CHARS} characters: "
                       f"'rad', 'relative', 'decades'), got {value!r}")
        return value

    def _settings(self, value: object) -> dict[str, float | int | str | bool]:
        if not isinstance(value, Mapping):
            self._fail("settings", f"must be a dict of name -> value, got "
                       f"{type(value).__name__}")
        out: dict[str, float | int | str | bool] = {}
        for name, setting in value.items():
            where = f"settings.{name}"
            if not isinstance(name, str) or not _SETTING_NAME.match(name):
                self._fail(where, f"a setting's name must be snake_case (e.g. 'rank_rtol'), "
                           f"got {name!r}")
            # numpy scalars become plain numbers, as JSON and the report write them.
            if isinstance(setting, (bool, np.bool_)):
                out[name] = bool(setting)
            elif isinstance(setting, numbers.Real):
                if not math.isfinite(setting):
                    self._fail(where, f"must be finite, got {setting!r}")
                out[name] = (int(setting) if isinstance(setting, numbers.Integral)
                             else float(setting))
            elif isinstance(setting, str) and setting.strip() and "\n" not in setting:
                out[name] = setting.strip()
            else:
                self._fail(where, "must be a finite number, a bool or a non-empty one-line "
                           f"string, got {setting!r:.60}")
        return out

    def _tags(self, value: object) -> tuple[str, ...]:
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            self._fail("tags", f"must be a tuple of tags, got {type(value).__name__} "
                       f"({value!r:.60})")
        for tag in value:
            if tag not in TAGS:
                self._fail("tags", f"unknown tag {tag!r}; the vocabulary (verify.tags.TAGS): "
                           f"{', '.join(TAGS)}")
        if len(set(value)) != len(value):
            self._fail("tags", f"a tag given twice: {list(value)}")
        if "exact" in value and self.tolerance != 0:
            self._fail("tags", f"'exact' {CHECKED['exact']}, got tolerance={self.tolerance!r}")
        return tuple(value)

    def _holds_where(self, value: object) -> str:
        if not isinstance(value, str):
            self._fail("holds_where", f"must be a claim id (a string), got "
                       f"{type(value).__name__}")
        value = value.strip()
        if not value:
            return value
        if self.expected is not Verdict.FAILS:
            self._fail("holds_where", "only a claim expected to FAIL says where it holds "
                       "(this one is expected to HOLD)")
        if not _ID.match(value):
            self._fail("holds_where", f"{value!r} is not a claim id (PAPER-LABEL)")
        if value == self.id:
            self._fail("holds_where", "names the claim itself")
        return value

    def _families(self, value: object) -> tuple[str, ...] | None:
        if value is None:
            return None
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            self._fail("families", f"must be a tuple of family names, got "
                       f"{type(value).__name__} ({value!r:.60})")
        for family in value:
            if not isinstance(family, str) or not _FAMILY.match(family):
                self._fail("families", f"a family is a spec's prefix (e.g. 'views'), got "
                           f"{family!r}")
        if len(set(value)) != len(value):
            self._fail("families", f"a family given twice: {list(value)}")
        return tuple(value)

    def _directions(self, value: object) -> dict[str, tuple[str, ...]]:
        if not isinstance(value, Mapping):
            self._fail("directions", f"must be a dict of direction -> claim ids, got "
                       f"{type(value).__name__}")
        out: dict[str, tuple[str, ...]] = {}
        for direction, ids in value.items():
            where = f"directions[{direction!r}]"
            if (not isinstance(direction, str) or not direction.strip() or "\n" in direction
                    or len(direction) > DIRECTION_CHARS):
                self._fail(where, f"a direction is one non-empty line of at most "
                           f"{DIRECTION_CHARS} characters")
            if isinstance(ids, str) or not isinstance(ids, (list, tuple)) or not ids:
                self._fail(where, "must be a non-empty tuple of the claim ids establishing it, "
                           f"got {ids!r:.60}")
            for cid in ids:
                if not isinstance(cid, str) or not _ID.match(cid):
                    self._fail(where, f"{cid!r} is not a claim id (PAPER-LABEL)")
            if len(set(ids)) != len(ids):
                self._fail(where, f"an id given twice: {list(ids)}")
            out[direction.strip()] = tuple(ids)
        return out

    def _check_words(self) -> None:
        """The finding's words held to its evidence (:mod:`verify.words`)."""
        words = direction_words(self.finding)
        if words and not self.directions:
            self._fail("directions", f"the finding says {', '.join(map(repr, words))}: declare "
                       "directions={'<each direction or universal it asserts>': ('<claim ids "
                       "establishing it>',)}, or say what was measured instead ('measured: "
                       "the if direction')")
        numbers = typed_numbers(self.finding)
        if numbers:
            self._fail("finding", f"typed numbers {numbers}: a measured value enters through a "
                       "placeholder ({{max.NAME:.3g}}, {{setting.NAME}}, ...: verify.words), "
                       "an input as an integer or in the notes")
        for name in ("finding", "notes"):
            problems = placeholder_problems(getattr(self, name), self.settings)
            if problems:
                self._fail(name, "; ".join(problems))

    # -- checks -----------------------------------------------------------------------------
    def symbolic(self, fn: Callable[[], object] | None = None, *, scope: str | None = None,
                 why: str = "") -> Callable[..., object]:
        """Attach the symbolic check: a function of no arguments returning a
        :class:`derivations.base.Derivation` (or a list of them, all of which must hold),
        declared with what it derives.

        Parameters
        ----------
        scope : {'claim', 'lemma'}
            ``'claim'``: the derivations establish (or refute) the claim's statement itself.
            ``'lemma'``: they establish a fact the claim relies on (a spectrum of G, an
            invariance, an instance), and the claim itself rests on the numeric check.
        why : str
            With ``scope='lemma'`` only, required: one line saying what the lemma proves and
            why the claim itself is not derived (at most :data:`WHY_CHARS` characters).

        Used as ``@claim.symbolic(scope="claim")`` or ``@claim.symbolic(scope="lemma",
        why="...")``; the bare ``@claim.symbolic`` is a declaration error, so no check is
        reported as proving a claim without saying so.
        """
        if fn is not None:
            self._fail("symbolic", "declare what the check derives: @claim.symbolic("
                       "scope='claim') or @claim.symbolic(scope='lemma', why='what it proves; "
                       "why the claim itself is not derived')")
        if scope not in SCOPES:
            self._fail("symbolic.scope", f"must be one of {', '.join(SCOPES)}, got {scope!r}")
        if not isinstance(why, str):
            self._fail("symbolic.why", f"must be a string, got {type(why).__name__}")
        why = why.strip()
        if scope == "lemma" and not why:
            self._fail("symbolic.why", "required with scope='lemma': what the lemma proves "
                       "and why the claim itself is not derived, in one line")
        if scope == "claim" and why:
            self._fail("symbolic.why", "only a lemma-scope check says why (a claim-scope "
                       "check derives the claim)")
        if "\n" in why or len(why) > WHY_CHARS:
            self._fail("symbolic.why", f"must be one line of at most {WHY_CHARS} characters "
                       f"(details go in notes=), got {len(why)} characters")

        def attach(f: Callable[[], object]) -> Callable[[], object]:
            if self.symbolic_check is not None:
                self._fail("symbolic", "a second symbolic check (a claim has one; return a "
                           "list of derivations to check several)")
            if not callable(f) or inspect.signature(f).parameters:
                self._fail("symbolic", "must decorate a function of no arguments")
            self.symbolic_check = f
            self.symbolic_scope = scope
            self.symbolic_why = why
            return f

        return attach

    def numeric(self, trials: int | Mapping[str, int] | None = None, *,
                grid: Grid | Mapping[str, Any] | list[Mapping[str, Any]] | None = None,
                **strategies: SearchStrategy) -> Callable[[Callable[..., object]],
                                                          Callable[..., object]]:
        """Attach the numeric check: a trial function drawn by hypothesis, or evaluated on
        every point of a declared grid.

        Parameters
        ----------
        trials : int or dict of profile to int, optional
            Examples per run (default: the profile's, 10 quick / 100 full). Give fewer for
            trials that train a model, e.g. ``trials={"quick": 3, "full": 25}``. Not with a
            grid (its size is the count).
        grid : verify.Grid, dict of str to list, or list of dict, optional
            Instead of strategies: the exact points to evaluate, each once, in order (no
            shrinking: a failing grid's counterexample is its first failing point, so declare
            small points first). A dict of axis -> values is their Cartesian product
            (:func:`verify.grid`), a list of dicts explicit points (:func:`verify.points`).
            Values are str, int, float or bool, so that every point replays as written.
        **strategies : hypothesis strategies
            One per parameter of the decorated function (none with a grid).

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
        points = None
        if grid is not None:
            if trials is not None:
                self._fail("numeric.trials", "not with a grid: the grid's size is the number "
                           "of trials")
            if strategies:
                self._fail("numeric.grid", "a grid or hypothesis strategies, not both (got "
                           f"strategies for {sorted(strategies)})")
            try:
                points = as_grid(grid)
            except GridError as exc:
                self._fail("numeric.grid", str(exc))
        per_profile = self._trials(trials)
        declared = set(points.names) if points is not None else set(strategies)
        what = "the grid's parameters" if points is not None else "the strategies"

        def attach(fn: Callable[..., object]) -> Callable[..., object]:
            params = set(inspect.signature(fn).parameters)
            if params != declared:
                missing = sorted(params - declared) or sorted(declared - params)
                self._fail(f"numeric.{missing[0]}", f"the function's parameters and {what} "
                           f"differ: {sorted(params)} vs {sorted(declared)}")
            self.numeric_check = NumericCheck(fn, dict(strategies), per_profile, points)
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
        """Check what can only be checked once the module is imported: a declared check,
        ``measures`` and ``unit`` beside a numeric check (required there, meaningless without
        one), and the checked tags."""
        if self.symbolic_check is None and self.numeric_check is None:
            self._fail("symbolic", "no check attached: decorate functions with "
                       "@claim.symbolic and/or @claim.numeric(...)")
        numeric = self.numeric_check is not None
        if numeric and not self.measures:
            self._fail("measures", "required with a numeric check: what the error measures, "
                       "in one line, and its unit= ('rad', 'relative', ...)")
        if not numeric and self.measures:
            self._fail("measures", "declared, but the claim has no numeric check")
        if "sweep" in self.tags and (not numeric or self.numeric_check.grid is None):
            self._fail("tags", f"'sweep' {CHECKED['sweep']}")
        if "symbolic_only" in self.tags and numeric:
            self._fail("tags", f"'symbolic_only' {CHECKED['symbolic_only']}")
        if "scale" in self.tags and not numeric:
            self._fail("tags", f"'scale' {CHECKED['scale']}")

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
            "measures": self.measures,
            "unit": self.unit,
            "settings": dict(self.settings),
            "tags": list(self.tags),
            "holds_where": self.holds_where,
            "families": None if self.families is None else list(self.families),
            "families_why": self.families_why,
            "directions": {d: list(ids) for d, ids in self.directions.items()},
            "module": self.module_path,
            "symbolic_scope": self.symbolic_scope,
            "symbolic_why": self.symbolic_why,
            "checks": [k for k, c in (("symbolic", self.symbolic_check),
                                      ("numeric", self.numeric_check)) if c is not None],
        }

    def __repr__(self) -> str:
        return f"Claim({self.id!r}, module={self.module_path!r})"
