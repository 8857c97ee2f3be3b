"""The report writer: rendering and atomic replacement."""

from __future__ import annotations

import json
import os

import pytest

from verify import report


def _doc(verdict="HOLDS"):
    numeric = {"verdict": verdict, "worst_error": 0.5, "tolerance": 1e-9, "trials": 3,
               "counterexample": {"n": 2}, "seed": 7, "reproduce": "python -m verify -k X",
               "measurements": {}, "message": "error 0.5 > 1e-9", "seconds": 0.1}
    claim = {"id": "T-C1", "paper": "T", "source": "Eq. 1", "statement": "a | b",
             "provenance": "TEXT", "paper_asserts": "p", "expected": "HOLDS",
             "verdict": verdict, "matches_expected": verdict == "HOLDS", "symbolic": None,
             "numeric": numeric, "seconds": 0.1, "figures": [], "tolerance": 1e-9,
             "notes": "n", "module": "m.py"}
    run = {"seed": 0, "profile": "quick", "device": "cpu", "git_commit": "abc",
           "started": "now", "seconds": 1.0, "selection": "ssl-audit",
           "versions": {"python": "3", "torch": "2", "sympy": "1", "numpy": "2",
                        "hypothesis": "6"}}
    return {"schema": 1, "run": run, "claims": [claim], "collection_errors": []}


def test_markdown_has_table_failure_section_and_metadata():
    text = report.render_markdown(_doc("FAILS"))
    row = next(line for line in text.splitlines() if line.startswith("| T-C1"))
    assert [cell.strip() for cell in row.split(" | ")][:2] == ["| T-C1", "a \\| b"]
    assert "## T-C1: FAILS (expected HOLDS)" in text
    assert '`{"n": 2}`' in text
    assert "python -m verify -k X" in text
    assert "git commit abc" in text
    assert "## T-C1" not in report.render_markdown(_doc("HOLDS"))


def test_write_report_replaces_files_and_figures(tmp_path):
    staging = tmp_path / ".tmp-1"
    (staging / "figures").mkdir(parents=True)
    (staging / "figures" / "T-C1.png").write_bytes(b"png")
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "old.png").write_bytes(b"old")
    report.write_report(tmp_path, staging, _doc())
    assert json.loads((tmp_path / "claims.json").read_text())["schema"] == 1
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == ["T-C1.png"]
    assert not staging.exists()


def test_interrupted_writer_leaves_previous_report_intact(tmp_path, monkeypatch):
    report.write_report(tmp_path, tmp_path / ".tmp-1", _doc("HOLDS"))
    before = {p.name: p.read_bytes() for p in tmp_path.glob("claims.*")}

    def interrupted(src, dst):
        raise KeyboardInterrupt  # the run dies after the temp files, before any rename

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        report.write_report(tmp_path, tmp_path / ".tmp-2", _doc("FAILS"))
    assert {p.name: p.read_bytes() for p in tmp_path.glob("claims.*")} == before
