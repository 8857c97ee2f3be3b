"""verify.compare: which differences between two reports reproducibility forbids."""

from __future__ import annotations

import copy
import json
import math

import pytest

from verify.compare import compare_reports, error_ratio, main


def _doc(**claim_fields) -> dict:
    claim = {"id": "P-C1", "verdict": "HOLDS", "tolerance": 1e-6, "margin": 1e4,
             "symbolic": {"verdict": "HOLDS", "counterexample": None},
             "numeric": {"verdict": "HOLDS", "worst_error": 1e-10, "trials": 5,
                         "counterexample": None}}
    claim.update(claim_fields)
    return {"run": {"seed": 0, "profile": "full"}, "claims": [claim]}


def test_error_ratio():
    assert error_ratio(0.0, 0.0) == 1.0
    assert error_ratio(2.0, 1.0) == error_ratio(1.0, 2.0) == 2.0
    assert error_ratio(0.0, 1e-300) == math.inf


def test_identical_reports_agree():
    assert compare_reports(_doc(), _doc()) == []


def test_rounding_level_error_move_within_the_margin_agrees():
    b = _doc()
    b["claims"][0]["numeric"]["worst_error"] = 5e-10  # ratio 5 < margin 1e4
    assert compare_reports(_doc(), b) == []


def test_error_move_beyond_the_margin_differs():
    b = _doc()
    b["claims"][0]["numeric"]["worst_error"] = 2e-6  # ratio 2e4 > margin 1e4 (and a flip)
    [diff] = compare_reports(_doc(), b)
    assert diff.field.startswith("numeric.worst_error")


def test_verdict_trials_and_counterexample_must_be_identical():
    b = _doc(verdict="FAILS")
    b["claims"][0]["numeric"].update(trials=6, counterexample={"n": 3})
    fields = {d.field for d in compare_reports(_doc(), b)}
    assert fields == {"verdict", "numeric.trials", "numeric.counterexample"}


def test_without_a_margin_only_equal_errors_agree():
    a, b = _doc(tolerance=0.0), _doc(tolerance=0.0)
    for doc in (a, b):
        del doc["claims"][0]["margin"]
    b["claims"][0]["numeric"]["worst_error"] = 1.0000001e-10
    assert len(compare_reports(a, b)) == 1


def test_margin_from_an_older_report_and_nonfinite_strings():
    a, b = _doc(), _doc()
    for doc in (a, b):
        del doc["claims"][0]["margin"]  # computed: 1e-6 / 1e-10 = 1e4
    b["claims"][0]["numeric"]["worst_error"] = 9e-10
    assert compare_reports(a, b) == []
    b["claims"][0]["numeric"]["worst_error"] = "nan"
    assert len(compare_reports(a, b)) == 1


def test_missing_claims_and_incomparable_runs():
    b = copy.deepcopy(_doc())
    b["claims"][0]["id"] = "P-C2"
    assert {(d.claim, d.a, d.b) for d in compare_reports(_doc(), b)} == {
        ("P-C1", True, False), ("P-C2", False, True)}
    b = _doc()
    b["run"]["seed"] = 1
    with pytest.raises(ValueError, match="run.seed"):
        compare_reports(_doc(), b)


def test_command_line_exit_codes(tmp_path, capsys):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(_doc()))
    b.write_text(json.dumps(_doc(verdict="FAILS")))
    assert main([str(a), str(a)]) == 0
    assert main([str(a), str(b)]) == 1
    assert "P-C1: verdict: 'HOLDS' != 'FAILS'" in capsys.readouterr().out
    assert main([str(a), str(tmp_path / "missing.json")]) == 2
