"""Numbers in the words people read are the report's: every decimal, percentage or scientific
number typed in a claim's notes (outside placeholders, code spans and paper references) equals,
at its printed precision, a value of that claim's record in the committed reports/claims.json.

Measured values enter notes through placeholders (``{{max.loss_gap:.1%}}``, rendered from each
run: :mod:`verify.words`); inputs the code is given go in code spans (`alpha = 25`). A number
typed by hand that the report does not hold (a stale measurement, a side experiment) fails here.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from verify.claim import Claim
from verify.replay import load_claims
from verify.words import typed_numbers

ROOT = Path(__file__).resolve().parents[2]
REPORT = ROOT / "reports" / "claims.json"


@pytest.fixture(scope="module")
def claims() -> dict[str, Claim]:
    return load_claims(ROOT / "tests" / "claims", profile="quick", seed=0)


@pytest.fixture(scope="module")
def records() -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in json.loads(REPORT.read_text())["claims"]}


def _numbers(value: Any) -> list[float]:
    """Every number inside ``value`` (nested dicts and lists; numbers inside spec strings such
    as ``views(n=6,v=2)`` too), by absolute value: typed numbers carry no sign."""
    if isinstance(value, bool):
        return []
    if isinstance(value, (int, float)):
        return [abs(float(value))] if math.isfinite(value) else []
    if isinstance(value, dict):
        return [x for v in value.values() for x in _numbers(v)]
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in _numbers(v)]
    if isinstance(value, str):
        out = []
        for token in value.replace("(", " ").replace(")", " ").replace(",", " ").split():
            try:
                out.append(abs(float(token.split("=")[-1])))
            except ValueError:
                pass
        return out
    return []


def record_values(record: dict[str, Any]) -> list[float]:
    """The values a claim's record holds: settings, tolerance, and its numeric check's worst
    error, margin, measurements, counterexample, worst trial, sub-decisions and draws."""
    numeric = record.get("numeric") or {}
    return _numbers([record.get("settings"), record.get("tolerance"),
                     *(numeric.get(k) for k in ("worst_error", "margin", "measurements",
                                                 "counterexample", "worst_trial", "decisions",
                                                 "drawn"))])


def _half_unit(text: str) -> float:
    """Half a unit in the last printed digit of ``text`` (``30.333`` -> 5e-4)."""
    mantissa, _, exponent = text.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 0.5 * 10.0 ** (int(exponent or 0) - decimals)


def printed_as(typed: str, values: list[float]) -> bool:
    """Whether ``typed`` (``5.8%``, ``1e-6``, ``30.333``) is one of ``values`` at its printed
    precision."""
    text = typed.replace(" ", "")
    scale = 0.01 if text.endswith("%") else 1.0
    text = text.rstrip("%")
    x, slack = float(text) * scale, _half_unit(text) * scale * (1 + 1e-9)
    return any(abs(v - x) <= slack for v in values)


def test_printed_as_reads_precision():
    assert printed_as("30.333", [30.3331])
    assert not printed_as("30.333", [30.3341])
    assert printed_as("5.8%", [0.0575])
    assert not printed_as("64%", [0.0575])
    assert printed_as("1e-6", [1e-06])
    assert printed_as("2.4e4", [24012.0])


def test_numbers_typed_in_notes_are_the_reports(claims, records):
    missing = sorted(set(claims) - set(records))
    assert not missing, f"claims absent from {REPORT}: run `nox -s verify`: {missing}"
    wrong = []
    for cid, claim in sorted(claims.items()):
        values = record_values(records[cid])
        for text in ("finding", "notes"):
            stray = [n for n in typed_numbers(getattr(claim, text)) if not printed_as(n, values)]
            if stray:
                wrong.append(f"{cid} ({claim.module_path}) {text}: {stray}")
    assert not wrong, ("numbers typed by hand that the claim's record in reports/claims.json "
                       "does not hold (a measured value goes in a placeholder {{max.NAME}}, an "
                       "input in a `code span`):\n" + "\n".join(wrong))
