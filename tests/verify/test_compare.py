"""verify.compare: which differences between two reports reproducibility forbids."""

from __future__ import annotations

import copy
import json

import pytest

from verify.compare import compare_reports, errors_agree, main


def _doc(**claim_fields) -> dict:
    claim = {"id": "P-C1", "verdict": "HOLDS", "tolerance": 1e-6,
             "symbolic": {"verdict": "HOLDS", "counterexample": None},
             "numeric": {"verdict": "HOLDS", "worst_error": 1e-10, "trials": 5,
                         "counterexample": None}}
    claim.update(claim_fields)
    return {"run": {"seed": 0, "profile": "full"}, "claims": [claim]}


def test_errors_agree():
    assert errors_agree(0.0, 0.0, 0.0)
    assert errors_agree(0.0, 3e-16, 1e-10)  # rounding level against an exact result
    assert errors_agree(2.0, 2.0, 0.0)  # an exact criterion: only equal counts agree
    assert not errors_agree(1.0, 2.0, 0.0)
    assert not errors_agree(6.29, 9.13, 1e-10)  # a counterexample's error moving by O(1)
    assert errors_agree(13.852970445, 13.852970444, 1e-10)
    assert not errors_agree(9e-11, 5e-11, 1e-10)  # moves by more than the slack / 10
    assert not errors_agree(float("nan"), 1.0, 1e-10)
    # The slack is the distance of the LARGER error to the tolerance (the one nearer to
    # flipping): 5e-7 and 5.48e-7 under 1e-6 are 4.8e-8 apart, more than (1e-6 - 5.48e-7) / 10.
    assert not errors_agree(5e-7, 5.48e-7, 1e-6)
    assert not errors_agree(5.48e-7, 5e-7, 1e-6)


def test_identical_reports_agree():
    assert compare_reports(_doc(), _doc()) == []


def test_rounding_level_error_move_agrees():
    b = _doc()
    b["claims"][0]["numeric"]["worst_error"] = 5e-10  # far below the tolerance 1e-6
    assert compare_reports(_doc(), b) == []


def test_error_move_that_crosses_the_tolerance_differs():
    b = _doc()
    b["claims"][0]["numeric"]["worst_error"] = 2e-6
    [diff] = compare_reports(_doc(), b)
    assert diff.field.startswith("numeric.worst_error")


def test_verdict_trials_and_counterexample_must_be_identical():
    b = _doc(verdict="FAILS")
    b["claims"][0]["numeric"].update(trials=6, counterexample={"n": 3})
    fields = {d.field for d in compare_reports(_doc(), b)}
    assert fields == {"verdict", "numeric.trials", "numeric.counterexample"}


def test_nonfinite_error_strings_differ():
    b = _doc()
    b["claims"][0]["numeric"]["worst_error"] = "nan"
    assert len(compare_reports(_doc(), b)) == 1


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


def test_a_schema_3_report_compares_with_a_schema_4_one():
    old = _doc()
    old["schema"] = 3
    new = copy.deepcopy(_doc())
    new["schema"] = 4
    new["claims"][0]["symbolic"] = {"verdict": "HOLDS", "scope": "lemma", "why": "a lemma",
                                    "counterexample": None}
    old["claims"][0]["symbolic"] = {"verdict": "HOLDS", "counterexample": None}
    assert compare_reports(old, new) == []
    new["claims"][0]["symbolic"]["verdict"] = "FAILS"
    assert [d.field for d in compare_reports(old, new)] == ["symbolic.verdict"]


def test_a_schema_2_report_compares_with_a_schema_3_one(tmp_path, capsys):
    old = _doc()
    old["schema"] = 2
    new = copy.deepcopy(_doc())
    new["schema"] = 3
    new["claims"][0].update(measures="an angle", unit="rad", settings={"rank_rtol": 1e-6},
                            tags=["trains"], holds_where="")
    new["claims"][0]["numeric"].update(sampling="grid", seed=None)
    assert compare_reports(old, new) == []
    moved = copy.deepcopy(new)
    moved["claims"][0]["numeric"].update(verdict="FAILS", counterexample={"n": 1},
                                         worst_error=2e-6)
    assert {d.field for d in compare_reports(old, moved)} == {
        "numeric.verdict", "numeric.counterexample", "numeric.worst_error"}
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(old))
    b.write_text(json.dumps(new))
    assert main([str(a), str(b)]) == 0
    assert "(schema 2 against schema 3: the fields both record)" in capsys.readouterr().out


def test_a_worst_error_on_one_side_only_differs():
    b = _doc()
    b["claims"][0]["numeric"]["worst_error"] = None
    assert [d.field for d in compare_reports(_doc(), b)] == ["numeric.worst_error"]
    assert [d.field for d in compare_reports(b, _doc())] == ["numeric.worst_error"]


def test_sub_decision_verdicts_must_be_identical():
    def with_decisions(verdict: str) -> dict:
        doc = _doc()
        doc["claims"][0]["numeric"]["decisions"] = {
            "tost": {"verdict": verdict}, "one-sided": {"verdict": "HOLDS"}}
        return doc

    assert compare_reports(with_decisions("FAILS"), with_decisions("FAILS")) == []
    differences = compare_reports(with_decisions("HOLDS"), with_decisions("FAILS"))
    assert [(d.field, d.a, d.b) for d in differences] == [
        ("numeric.decisions.tost.verdict", "HOLDS", "FAILS")]
    # A report of schema 5 records no sub-decisions: nothing to compare there.
    assert compare_reports(_doc(), with_decisions("FAILS")) == []
