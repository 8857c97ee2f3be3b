"""Verdicts: combination, matching, serialisation, and the CLI's exit status."""

from __future__ import annotations

import math

import pytest

from verify.cli import exit_code
from verify.verdict import (
    CheckOutcome,
    Verdict,
    check_margin,
    combine,
    is_fragile,
    matches_expected,
    trial_margin,
)


def test_combine_precedence():
    assert combine(Verdict.HOLDS, Verdict.HOLDS) is Verdict.HOLDS
    assert combine(Verdict.HOLDS, None) is Verdict.HOLDS
    assert combine(Verdict.HOLDS, Verdict.FAILS) is Verdict.FAILS
    assert combine(Verdict.FAILS, Verdict.NOT_CONVERGED) is Verdict.NOT_CONVERGED
    assert combine(Verdict.NOT_CONVERGED, Verdict.ERROR) is Verdict.ERROR
    assert combine(Verdict.SKIPPED, Verdict.HOLDS) is Verdict.SKIPPED


def test_combine_symbolic_and_numeric():
    # (symbolic, numeric) -> claim; a failing or undecided symbolic check is never hidden.
    assert combine(Verdict.FAILS, Verdict.HOLDS) is Verdict.FAILS
    assert combine(Verdict.HOLDS, Verdict.FAILS) is Verdict.FAILS
    assert combine(Verdict.UNDECIDED, Verdict.HOLDS) is Verdict.UNDECIDED
    assert combine(Verdict.UNDECIDED, Verdict.FAILS) is Verdict.FAILS
    assert combine(Verdict.UNDECIDED, Verdict.SKIPPED) is Verdict.UNDECIDED
    assert combine(Verdict.ERROR, Verdict.FAILS) is Verdict.ERROR
    assert combine(Verdict.FAILS, Verdict.ERROR) is Verdict.ERROR
    assert combine(None, None) is Verdict.SKIPPED


def test_matches_expected():
    assert matches_expected(Verdict.FAILS, Verdict.FAILS) is True
    assert matches_expected(Verdict.HOLDS, Verdict.HOLDS) is True
    assert matches_expected(Verdict.HOLDS, Verdict.FAILS) is False
    assert matches_expected(Verdict.ERROR, Verdict.FAILS) is False
    assert matches_expected(Verdict.NOT_CONVERGED, Verdict.FAILS) is False
    assert matches_expected(Verdict.UNDECIDED, Verdict.HOLDS) is False
    assert matches_expected(Verdict.UNDECIDED, Verdict.FAILS) is False
    assert matches_expected(Verdict.SKIPPED, Verdict.HOLDS) is None


def test_trial_margin():
    assert trial_margin(0.25, 1.0) == 4.0
    assert trial_margin(4.0, 1.0) == 4.0
    assert trial_margin(1.0, 1.0) == 1.0
    assert trial_margin(0.0, 1e-9) == math.inf
    assert trial_margin(0.0, 0.0) is None  # an exact criterion: only the claim knows
    assert trial_margin(1.0, 0.0) is None
    assert trial_margin(0.0, 0.0, given=1e3) == 1e3
    assert trial_margin(0.5, 1.0, given=7.0) == 7.0


def test_check_margin():
    assert check_margin([4.0, 2.0, math.inf], [False, False, False]) == 2.0
    assert check_margin([4.0, None], [False, False]) is None
    assert check_margin([], []) is None
    # FAILS: the most robust failing trial; holding trials do not count.
    assert check_margin([100.0, 3.0, 5.0], [False, True, True]) == 5.0
    assert check_margin([100.0, None, 5.0], [False, True, False]) is None
    assert check_margin([None, 3.0], [True, True]) == 3.0
    with pytest.raises(ValueError, match="differ in length"):
        check_margin([1.0], [])


def test_is_fragile():
    assert [is_fragile(m) for m in (None, 0.5, 9.99, 10.0, math.inf)] == [
        True, True, True, False, False]


def test_outcome_json_round_trip_keeps_infinite_errors_and_margins():
    outcome = CheckOutcome("numeric", Verdict.FAILS, worst_error=math.inf, counterexample={"n": 2},
                           margin=math.inf, reproduce=["ssl-audit --id T-C1", "python -c 1"])
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


def test_z_score_margin_is_the_ratio_of_normal_tails():
    from verify.verdict import z_score_margin

    # P(|Z| > 5) / P(|Z| > 5) = 1: on the threshold nothing separates the decision.
    assert z_score_margin(5.0, 5.0) == 1.0
    # P(|Z| > 0) = 1 against P(|Z| > 5) = 5.733e-7.
    assert z_score_margin(0.0, 5.0) == pytest.approx(1 / 5.733031437583892e-7, rel=1e-12)
    # Symmetric in the sign of z, and a failing z gets the inverse ratio (>= 1 both ways).
    assert z_score_margin(-2.5, 5.0) == z_score_margin(2.5, 5.0) > 1e4
    assert z_score_margin(6.0, 5.0) == pytest.approx(
        math.erfc(5 / math.sqrt(2)) / math.erfc(6 / math.sqrt(2)), rel=1e-14)
    with pytest.raises(ValueError, match="threshold"):
        z_score_margin(1.0, 0.0)
