"""The words a claim declares, held to its evidence: direction words, typed numbers, placeholders.

A claim's ``finding`` (one line) and ``notes`` are read by people, so they may say no more than
the run measured:

* **Direction words** (:data:`DIRECTION_WORDS`: "only", "iff", "every", "never", ...) assert a
  direction or a universal. A finding using one must declare ``directions=``, which claim ids
  establish each direction it asserts (:func:`direction_words` finds them).
* **Typed numbers**: a decimal, a percentage or a number in scientific notation typed into a
  finding is a measurement typed by hand, and is refused (:func:`typed_numbers`; integers that
  name an input, ``K = 4``, and paper references, ``Lemma 3.4``, are not numbers of that kind).
  Numbers in notes are checked against the report by ``tests/docs/test_numbers.py``.
* **Placeholders** ``{{path}}`` or ``{{path:format}}`` put a value of the run into the text
  (:func:`render`): ``worst_error``, ``tolerance``, ``trials``, ``margin``, ``min.NAME`` and
  ``max.NAME`` (an extra measurement's range), ``setting.NAME``, ``counterexample.PARAM``,
  ``worst_trial.PARAM``, ``drawn.PARAM.min`` / ``.max`` (the range a parameter was drawn over,
  ``drawn.spec.n.max`` for a relation spec's size), and ``decision.PART.FIELD`` for a
  sub-decision (``worst_error``, ``verdict``, ``margin``, ``trials``, ``min.NAME``,
  ``max.NAME``). ``format`` is a Python format spec (``.3g``, ``.1%``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["DIRECTION_WORDS", "PLACEHOLDER", "NOT_MEASURED", "direction_words",
           "placeholder_problems", "placeholders", "render", "typed_numbers", "without_quoted"]

DIRECTION_WORDS = ("if and only if", "exactly when", "only", "iff", "every", "any", "always",
                   "never", "need", "needs", "needed", "require", "requires", "required",
                   "cannot", "can't", "can not")
"""Words that assert a direction of a condition or a universal (longest first)."""

_DIRECTION = re.compile(r"(?<![\w'])(" + "|".join(re.escape(w) for w in DIRECTION_WORDS)
                        + r")(?![\w'])", re.IGNORECASE)

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_.\-]+)\s*(?::\s*([^{}]*?)\s*)?\}\}")
"""``{{path}}`` or ``{{path:format}}``; group 1 the path, group 2 the format spec."""

_CODE = re.compile(r"`[^`]*`")
# A paper reference (Lemma 3.4, Cor. 3.4.1, Sec. 2.2, Eq. 10), an arXiv number or a dotted
# version (torch 2.13.0): numbers that name something, not measurements.
_REFERENCE = re.compile(
    r"\b(?:Sec(?:tion)?s?|Lemmas?|Cor(?:ollary)?|Prop(?:osition)?|Def(?:inition)?|Thm|"
    r"Theorems?|Eqs?|Equations?|Tables?|Fig(?:ure)?s?|Appendix|App|Alg(?:orithm)?|arXiv|v)"
    r"\.?\s*[A-Z]?\d+(?:\.\d+)*(?:\s*(?:and|,|-)\s*\d+(?:\.\d+)*)*"
    r"|\b\d+\.\d+\.\d+(?:\.\d+)*\b")
_NUMBER = re.compile(
    r"(?<![\w.])(?:\d+\.\d+(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+|\.\d+)(?:\s?%)?(?![\w.])"
    r"|(?<![\w.])\d+\s?%")

_FIELD = r"(?:worst_error|verdict|margin|trials|(?:min|max)\.[A-Za-z0-9_]+)"
_PATH = re.compile(
    r"^(?:worst_error|tolerance|trials|margin|(?:min|max)\.[A-Za-z0-9_]+|setting\.[a-z0-9_]+|"
    r"(?:counterexample|worst_trial)\.[A-Za-z0-9_]+|drawn\.[A-Za-z0-9_.]+\.(?:min|max)|"
    r"decision\.[A-Za-z0-9][A-Za-z0-9_\-]*\." + _FIELD + r")$")

NOT_MEASURED = "n/a"
"""What a placeholder renders to when the run did not measure its value."""


def placeholders(text: str) -> list[tuple[str, str]]:
    """The ``(path, format)`` of every placeholder in ``text`` (format '' when absent)."""
    return [(m.group(1), m.group(2) or "") for m in PLACEHOLDER.finditer(text)]


def without_quoted(text: str) -> str:
    """``text`` with placeholders and code spans removed: the words typed by hand."""
    return _CODE.sub(" ", PLACEHOLDER.sub(" ", text))


def direction_words(text: str) -> list[str]:
    """The direction words typed in ``text`` (lower case, in order), placeholders and code
    spans aside."""
    return [m.group(1).lower() for m in _DIRECTION.finditer(without_quoted(text))]


def typed_numbers(text: str) -> list[str]:
    """The decimals, percentages and scientific numbers typed in ``text``: outside
    placeholders, code spans and paper references (``Lemma 3.4``, ``arXiv 2205.11508``)."""
    return [m.group(0).strip() for m in _NUMBER.finditer(_REFERENCE.sub(" ", without_quoted(text)))]


def placeholder_problems(text: str, settings: Mapping[str, Any]) -> list[str]:
    """What is wrong with the placeholders of ``text``: an unknown path, a setting the claim
    does not declare, a format spec Python rejects, or braces that are not a placeholder."""
    problems = []
    for path, spec in placeholders(text):
        if not _PATH.match(path):
            problems.append(f"unknown placeholder path {path!r} (worst_error, tolerance, trials, "
                            "margin, min.NAME, max.NAME, setting.NAME, counterexample.PARAM, "
                            "worst_trial.PARAM, drawn.PARAM.min|max, decision.PART.FIELD)")
        elif path.startswith("setting.") and path[len("setting."):] not in settings:
            problems.append(f"placeholder {path!r}: no setting {path[len('setting.'):]!r} is "
                            f"declared (settings: {sorted(settings)})")
        if spec:
            try:
                format(1.0, spec)
            except ValueError:
                problems.append(f"placeholder {path!r}: bad format spec {spec!r}")
    if "{{" in PLACEHOLDER.sub("", text) or "}}" in PLACEHOLDER.sub("", text):
        problems.append("braces '{{' or '}}' that are not a placeholder {{path}} / "
                        "{{path:format}}")
    return problems


def _lookup(path: str, claim: Mapping[str, Any]) -> Any:
    """The value a placeholder path names in a claims.json claim record (None: not measured)."""
    numeric = claim.get("numeric") or {}
    head, _, rest = path.partition(".")
    if head == "tolerance":
        return claim.get("tolerance")
    if head == "setting":
        return (claim.get("settings") or {}).get(rest)
    if head in ("worst_error", "trials", "margin") and not rest:
        return numeric.get(head)
    if head in ("min", "max"):
        return ((numeric.get("measurements") or {}).get(rest) or {}).get(head)
    if head in ("counterexample", "worst_trial"):
        return (numeric.get(head) or {}).get(rest)
    if head == "drawn":  # drawn.<param>.min / .max; <param> may be "spec.n"
        name, _, end = rest.rpartition(".")
        return ((numeric.get("drawn") or {}).get(name) or {}).get(end)
    if head == "decision":
        part, _, field = rest.partition(".")
        decision = (numeric.get("decisions") or {}).get(part) or {}
        kind, _, name = field.partition(".")
        if kind in ("min", "max"):
            return ((decision.get("measurements") or {}).get(name) or {}).get(kind)
        return decision.get(field)
    return None


def _formatted(value: Any, spec: str) -> str:
    if value is None:
        return NOT_MEASURED
    if spec:
        try:
            return format(value, spec)
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def render(text: str, claim: Mapping[str, Any]) -> str:
    """``text`` with every placeholder replaced by its value in ``claim`` (a claims.json claim
    record: its ``numeric`` part, ``settings`` and ``tolerance``), :data:`NOT_MEASURED` where
    the run did not measure it."""
    return PLACEHOLDER.sub(lambda m: _formatted(_lookup(m.group(1), claim), m.group(2) or ""),
                           text)
