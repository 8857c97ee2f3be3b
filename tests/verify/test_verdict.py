"""Verdicts: combination, matching, serialisation, and the CLI's exit status."""

from __future__ import annotations

import math

from verify.cli import exit_code
from verify.verdict import CheckOutcome, Verdict, combine, matches_expected


def test_combine_precedence():
    assert combine(Verdict.HOLDS, Verdict.HOLDS) is Verdict.HOLDS
    assert combine(Verdict.HOLDS, None) is Verdict.HOLDS
    assert combine(Verdict.HOLDS, Verdict.FAILS) is Verdict.FAILS
    assert combine(Verdict.FAILS, Verdict.NOT_CONVERGED) is Verdict.NOT_CONVERGED
    assert combine(Verdict.NOT_CONVERGED, Verdict.ERROR) is Verdict.ERROR
    assert combine(Verdict.SKIPPED, Verdict.HOLDS) is Verdict.SKIPPED


def test_matches_expected():
    assert matches_expected(Verdict.FAILS, Verdict.FAILS) is True
    assert matches_expected(Verdict.HOLDS, Verdict.FAILS) is False
    assert matches_expected(Verdict.ERROR, Verdict.FAILS) is False
    assert matches_expected(Verdict.SKIPPED, Verdict.HOLDS) is None


def test_outcome_json_round_trip_keeps_infinite_errors():
    outcome = CheckOutcome("numeric", Verdict.FAILS, worst_error=math.inf, counterexample={"n": 2})
    back = CheckOutcome.from_json(outcome.to_json())
    assert back == outcome


def _doc(*verdicts, errors=()):
    return {"claims": [{"verdict": v, "matches_expected": m} for v, m in verdicts],
            "collection_errors": list(errors)}


def test_exit_code():
    assert exit_code(_doc(("HOLDS", True), ("FAILS", True), ("SKIPPED", None)), 1) == 0
    assert exit_code(_doc(("HOLDS", True), ("FAILS", False)), 1) == 1
    assert exit_code(_doc(("HOLDS", True), ("ERROR", False)), 1) == 2
    assert exit_code(_doc(("NOT_CONVERGED", False)), 1) == 2
    assert exit_code(_doc(("HOLDS", True), errors=[{"module": "m"}]), 1) == 2
    assert exit_code(None, 2) == 2
