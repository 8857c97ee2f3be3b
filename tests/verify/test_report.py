"""The report writer: the document's summary and margins, figures kept across runs, the git
commit, atomic replacement, and the terminal summary (claims.md layout: test_markdown.py)."""

from __future__ import annotations

import json
import math
import os
import subprocess
from pathlib import Path

import pytest

from verify import report
from verify.verdict import CheckOutcome, Verdict


def claim_record(claim_id="T-C1", verdict="HOLDS", expected="HOLDS", *, margin=1e3,
                 fragile=False, figures=(), numeric_verdict=None, finding="",
                 reproduce=("ssl-audit --id T-C1 --profile quick --seed 0",
                            "python -c 'replay'"),
                 statement="a | b", unit="", measures="", settings=None, tags=(),
                 holds_where="", sampling="hypothesis") -> dict:
    """One claims.json claim record (schema 6)."""
    numeric = {"verdict": numeric_verdict or verdict, "worst_error": 0.5, "tolerance": 1e-9,
               "margin": margin, "trials": 3, "sampling": sampling, "counterexample": {"n": 2},
               "seed": None if sampling == "grid" else 7,
               "reproduce": list(reproduce), "measurements": {"gap": {"min": 0.1, "max": 2.0}},
               "message": "error 0.5 > 1e-9", "seconds": 0.1}
    return {"id": claim_id, "paper": claim_id.split("-")[0], "source": "Eq. 1",
            "statement": statement, "provenance": "TEXT", "paper_asserts": "p",
            "finding": finding, "measures": measures, "unit": unit,
            "settings": dict(settings or {}), "tags": list(tags), "holds_where": holds_where,
            "families": None, "families_why": "",
            "expected": expected, "verdict": verdict,
            "matches_expected": None if verdict == "SKIPPED" else verdict == expected,
            "margin": margin, "fragile": fragile, "symbolic": None, "numeric": numeric,
            "seconds": 0.1, "figures": list(figures), "figures_from_previous_run": False,
            "tolerance": 1e-9, "notes": "n", "module": "m.py"}


def document(*claims: dict) -> dict:
    """A claims.json document (schema 6) of ``claims`` (default: one HOLDS claim)."""
    claims = list(claims) or [claim_record()]
    run = {"seed": 0, "profile": "quick", "device": "cpu", "git_commit": "abc",
           "started": "now", "seconds": 1.0, "selection": "ssl-audit",
           "versions": {"python": "3", "torch": "2", "sympy": "1", "numpy": "2",
                        "hypothesis": "6"}}
    return {"schema": report.SCHEMA, "run": run, "summary": report.build_summary(claims),
            "claims": claims, "collection_errors": []}


# -- margins and the summary ---------------------------------------------------------------
def _numeric(verdict: Verdict, margin: float | None) -> CheckOutcome:
    return CheckOutcome("numeric", verdict, margin=margin)


@pytest.mark.parametrize(("verdict", "numeric", "margin", "fragile"), [
    (Verdict.HOLDS, _numeric(Verdict.HOLDS, 5e3), 5e3, False),
    (Verdict.HOLDS, _numeric(Verdict.HOLDS, 9.9), 9.9, True),
    (Verdict.FAILS, _numeric(Verdict.FAILS, 3.0), 3.0, True),
    (Verdict.FAILS, _numeric(Verdict.FAILS, math.inf), math.inf, False),
    # unknown margin (an exact criterion whose claim gives none): fragile
    (Verdict.HOLDS, _numeric(Verdict.HOLDS, None), None, True),
    # decided by the symbolic check over a holding numeric one: no margin, not fragile
    (Verdict.FAILS, _numeric(Verdict.HOLDS, 2.0), None, False),
    (Verdict.FAILS, None, None, False),
    (Verdict.NOT_CONVERGED, _numeric(Verdict.NOT_CONVERGED, None), None, False),
    (Verdict.UNDECIDED, _numeric(Verdict.HOLDS, 2.0), None, False),
])
def test_claim_margin_and_fragile(verdict, numeric, margin, fragile):
    assert report.claim_margin(verdict, numeric) == margin
    assert report.claim_fragile(verdict, numeric) is fragile


def test_summary_counts_per_paper():
    claims = [claim_record("A-C1"), claim_record("A-C2", "FAILS", fragile=True),
              claim_record("A-C3", "UNDECIDED"), claim_record("B-C1", "SKIPPED"),
              claim_record("B-C2", "FAILS", "FAILS")]
    summary = report.build_summary(claims)
    assert summary["claims"] == 5
    assert summary["verdicts"] == {"HOLDS": 1, "FAILS": 2, "UNDECIDED": 1, "SKIPPED": 1}
    assert (summary["matches_expected"], summary["differ"]) == (2, 2)
    assert summary["fragile"] == ["A-C2"]
    assert summary["papers"]["A"] == {
        "claims": 3, "verdicts": {"HOLDS": 1, "FAILS": 1, "UNDECIDED": 1},
        "matches_expected": 1, "differ": 2, "fragile": ["A-C2"],
        "symbolic_scope": {"checks": 0, "claim": 0, "lemma": 0},
        "trained": {"claims": 0, "holding": 0, "enough_trials": 0, "enough_families": 0,
                    "restricted": {}, "with_min_tangent_eig": 0, "smallest_min_tangent_eig": None}}
    assert summary["papers"]["B"]["matches_expected"] == 1  # the skip counts in neither


def test_terminal_summary_counts_fragile_and_reproduce_lines(tmp_path):
    doc = document(claim_record("A-C1", "FAILS", fragile=True, margin=2.0),
                   claim_record("B-C1"))
    lines = report.summary_lines(doc, tmp_path)
    assert "A: 1 claims: 1 FAILS; 1 differ from expected; 1 fragile" in lines
    assert "B: 1 claims: 1 HOLDS; 0 differ from expected; 0 fragile" in lines
    assert any(line.startswith("2 claims: 1 FAILS, 1 HOLDS; 1 differ from expected; 1 fragile")
               and line.endswith(": A-C1") for line in lines)
    # each reproduce command of a claim that differs on its own line, never joined
    at = lines.index("reproduce A-C1:")
    assert lines[at + 1: at + 3] == ["  ssl-audit --id T-C1 --profile quick --seed 0",
                                     "  python -c 'replay'"]
    assert lines[-1] == f"report: {tmp_path / 'claims.md'}"


# -- writing -------------------------------------------------------------------------------
def _staged(tmp_path: Path, *figures: str) -> Path:
    staging = tmp_path / "rep" / f".tmp-{len(list(tmp_path.glob('rep/.tmp*')))}"
    (staging / "figures").mkdir(parents=True)
    for name in figures:
        (staging / "figures" / name).write_bytes(b"new " + name.encode())
    return staging


def _figures(report_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((report_dir / "figures").iterdir())}


def test_write_report_replaces_files_and_figures(tmp_path):
    report_dir = tmp_path / "rep"
    first = document(claim_record(figures=["figures/T-C1.png"]))
    report.write_report(report_dir, _staged(tmp_path, "T-C1.png"), first)
    assert json.loads((report_dir / "claims.json").read_text())["schema"] == report.SCHEMA == 6
    again = document(claim_record(figures=["figures/T-C1.png"]))
    report.write_report(report_dir, _staged(tmp_path, "T-C1.png"), again)
    assert _figures(report_dir) == {"T-C1.png": b"new T-C1.png"}
    assert not list(report_dir.glob(".tmp*"))


def test_a_run_keeps_the_figures_of_claims_it_did_not_run(tmp_path):
    report_dir = tmp_path / "rep"
    both = document(claim_record("T-C3-lpp", figures=["figures/T-C3-lpp.png"]),
                    claim_record("T-C3-lpp-regular", figures=["figures/T-C3-lpp-regular.png"]))
    report.write_report(report_dir, _staged(tmp_path, "T-C3-lpp.png", "T-C3-lpp-regular.png"),
                        both)
    # A run of T-C3-lpp alone that no longer draws a figure for it: only its figure goes
    # (T-C3-lpp-regular.png is not T-C3-lpp's figure named "regular").
    report.write_report(report_dir, _staged(tmp_path), document(claim_record("T-C3-lpp")))
    assert list(_figures(report_dir)) == ["T-C3-lpp-regular.png"]


def test_a_claim_that_did_not_converge_keeps_its_previous_figure(tmp_path):
    report_dir = tmp_path / "rep"
    report.write_report(report_dir, _staged(tmp_path, "T-C1.png", "T-C1-spectrum.png"),
                        document(claim_record(figures=["figures/T-C1.png",
                                                       "figures/T-C1-spectrum.png"])))
    stuck = claim_record(verdict="NOT_CONVERGED", margin=None)
    doc = report.write_report(report_dir, _staged(tmp_path), document(stuck))
    assert _figures(report_dir) == {"T-C1-spectrum.png": b"new T-C1-spectrum.png",
                                    "T-C1.png": b"new T-C1.png"}
    [claim] = doc["claims"]
    assert claim["figures"] == ["figures/T-C1.png", "figures/T-C1-spectrum.png"]
    assert claim["figures_from_previous_run"] is True
    assert json.loads((report_dir / "claims.json").read_text())["claims"][0][
        "figures_from_previous_run"] is True
    assert "*Figure from the previous run* (this run: NOT_CONVERGED" in (
        report_dir / "claims.md").read_text()


def test_a_previous_figure_that_is_gone_is_not_claimed(tmp_path):
    report_dir = tmp_path / "rep"
    report.write_report(report_dir, _staged(tmp_path, "T-C1.png"),
                        document(claim_record(figures=["figures/T-C1.png"])))
    (report_dir / "figures" / "T-C1.png").unlink()
    doc = report.write_report(report_dir, _staged(tmp_path),
                              document(claim_record(verdict="ERROR", margin=None)))
    assert (doc["claims"][0]["figures"], doc["claims"][0]["figures_from_previous_run"]) == (
        [], False)


def test_without_a_previous_document_no_figure_is_deleted(tmp_path):
    report_dir = tmp_path / "rep"
    (report_dir / "figures").mkdir(parents=True)
    (report_dir / "figures" / "unknown.png").write_bytes(b"old")
    report.write_report(report_dir, _staged(tmp_path, "T-C1.png"),
                        document(claim_record(figures=["figures/T-C1.png"])))
    assert list(_figures(report_dir)) == ["T-C1.png", "unknown.png"]


def test_interrupted_writer_leaves_previous_report_intact(tmp_path, monkeypatch):
    report.write_report(tmp_path, tmp_path / ".tmp-1", document())
    before = {p.name: p.read_bytes() for p in tmp_path.glob("claims.*")}

    def interrupted(src, dst):
        raise KeyboardInterrupt  # the run dies after the temp files, before any rename

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        report.write_report(tmp_path, tmp_path / ".tmp-2", document(claim_record(
            verdict="FAILS")))
    assert {p.name: p.read_bytes() for p in tmp_path.glob("claims.*")} == before


# -- git commit ----------------------------------------------------------------------------
def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=root,
                   check=True, capture_output=True)


def test_untracked_claim_module_marks_the_commit_dirty(tmp_path):
    claims = tmp_path / "tests" / "claims"
    claims.mkdir(parents=True)
    (claims / "test_old.py").write_text("x = 1\n")
    (tmp_path / ".gitignore").write_text("*.pyc\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "c")
    clean = report.git_commit(tmp_path, [claims])
    assert clean is not None
    assert not clean.endswith("-dirty")
    (claims / "stale.pyc").write_bytes(b"")  # ignored files do not count
    (tmp_path / "scratch.txt").write_text("outside the claims paths\n")
    assert report.git_commit(tmp_path, [claims]) == clean
    (claims / "test_new.py").write_text("y = 2\n")  # a brand-new claim module
    assert report.git_commit(tmp_path, [claims]) == clean + "-dirty"
    assert report.git_commit(tmp_path, [tmp_path.parent / "elsewhere"]) == clean
    (claims / "test_new.py").unlink()
    (claims / "test_old.py").write_text("x = 3\n")  # a modified tracked file
    assert report.git_commit(tmp_path) == clean + "-dirty"


def test_git_commit_outside_a_checkout_is_none(tmp_path):
    assert report.git_commit(tmp_path / "nowhere") is None
