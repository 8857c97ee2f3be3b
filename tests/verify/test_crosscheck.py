"""verify.crosscheck: the comparison under AVX2 kernels recorded in the committed report."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

from tests.verify.helpers import TRUE_BODY, audit, claim_source
from tests.verify.test_report import claim_record, document
from verify import crosscheck
from verify.markdown import render_markdown

FIGURE = "figures/T-C1_errors.png"


def _reports(tmp_path: Path, other_doc: dict | None = None) -> tuple[Path, Path, dict]:
    """A committed report (claims.json, claims.md, one figure) and a cross-check run's report
    (``other_doc``, default: the same claims, run from another commit)."""
    committed = document(claim_record("T-C1", figures=[FIGURE]), claim_record("T-C2"))
    committed["run"].update(profile="full", git_commit="a" * 40, started="2026-01-01T00:00:00Z")
    report, other = tmp_path / "reports", tmp_path / "other"
    (report / "figures").mkdir(parents=True)
    (report / FIGURE).write_bytes(b"png")
    (report / "claims.json").write_text(json.dumps(committed, indent=2) + "\n")
    (report / "claims.md").write_text(render_markdown(committed))
    if other_doc is None:
        other_doc = copy.deepcopy(committed)
        other_doc["run"].update(git_commit="b" * 40, started="2026-01-02T00:00:00Z",
                                seconds=12.5)
    other.mkdir()
    (other / "claims.json").write_text(json.dumps(other_doc))
    return report, other, committed


def _run_line(report: Path) -> str:
    return (report / "claims.md").read_text().splitlines()[2]


def test_agreeing_reports_are_recorded_and_the_header_says_so(tmp_path, capsys):
    report, other, committed = _reports(tmp_path)
    code = crosscheck.main(["--report", str(report), "--other", str(other), "--no-run"])
    assert code == 0
    doc = json.loads((report / "claims.json").read_text())
    assert doc["run"].pop("crosscheck") == {
        "kernels": "ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2",
        "git_commit": "b" * 40, "compared_with": "a" * 40, "claims": 2, "differences": [],
        "started": "2026-01-02T00:00:00Z", "seconds": 12.5}
    assert doc == committed  # nothing else changed
    assert _run_line(report).endswith(
        "Cross-checked under `ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2` on 2 "
        "claims: 0 differences (commit `bbbbbbbbbbbb`).")
    assert (report / "claims.md").read_text() == render_markdown(json.loads(
        (report / "claims.json").read_text()))
    assert (report / FIGURE).read_bytes() == b"png"  # the figures stay
    assert [p.name for p in report.iterdir() if p.name.startswith(".tmp")] == []
    assert "2 claims in both; 0 difference(s)" in capsys.readouterr().out


def test_a_difference_is_recorded_and_exits_one(tmp_path, capsys):
    other_doc = document(claim_record("T-C1", "FAILS", figures=[FIGURE]), claim_record("T-C2"))
    other_doc["run"].update(profile="full", git_commit="c" * 40 + "-dirty")
    report, other, _ = _reports(tmp_path, other_doc)
    code = crosscheck.main(["--report", str(report), "--other", str(other), "--no-run"])
    assert code == 1
    record = json.loads((report / "claims.json").read_text())["run"]["crosscheck"]
    assert record["differences"] == ["T-C1: verdict: 'HOLDS' != 'FAILS'",
                                     "T-C1: numeric.verdict: 'HOLDS' != 'FAILS'"]
    assert record["git_commit"] == "c" * 40 + "-dirty"
    assert _run_line(report).endswith("on 2 claims: **2 differences** (T-C1) "
                                      "(commit `cccccccccccc-dirty`).")
    assert "T-C1: verdict: 'HOLDS' != 'FAILS'" in capsys.readouterr().out


def test_a_new_record_replaces_the_previous_one(tmp_path):
    other_doc = document(claim_record("T-C1", "FAILS"), claim_record("T-C2"))
    other_doc["run"]["profile"] = "full"
    report, other, _ = _reports(tmp_path, other_doc)
    assert crosscheck.main(["--report", str(report), "--other", str(other), "--no-run"]) == 1
    (other / "claims.json").write_text((report / "claims.json").read_text())
    assert crosscheck.main(["--report", str(report), "--other", str(other), "--no-run"]) == 0
    assert json.loads((report / "claims.json").read_text())["run"]["crosscheck"][
        "differences"] == []
    assert "0 differences" in _run_line(report)


def test_incomparable_or_missing_reports_record_nothing(tmp_path):
    other_doc = document()
    other_doc["run"]["seed"] = 1
    report, other, _ = _reports(tmp_path, other_doc)
    before = (report / "claims.json").read_text()
    assert crosscheck.main(["--report", str(report), "--other", str(other), "--no-run"]) == 2
    assert crosscheck.main(["--report", str(report), "--other", str(tmp_path / "none"),
                            "--no-run"]) == 2
    assert crosscheck.main(["--report", str(report), "--other", str(report), "--no-run"]) == 2
    assert (report / "claims.json").read_text() == before


def _fake_audit(script: str):
    """An ``audit_command`` replacement running ``script`` with ``sys.argv[1]`` = report dir."""
    def command(committed, other, workers="2"):
        return [sys.executable, "-c", script, str(other)]
    return command


def test_the_audit_runs_under_avx2_kernels_and_its_report_is_compared(tmp_path, monkeypatch):
    report, other, committed = _reports(tmp_path)
    # The fake audit records the kernel variables it sees as its commit.
    script = (
        "import json, os, sys, pathlib\n"
        "p = pathlib.Path(sys.argv[1]) / 'claims.json'\n"
        "doc = json.loads(p.read_text())\n"
        "doc['run']['git_commit'] = os.environ['ATEN_CPU_CAPABILITY'] + ' ' + "
        "os.environ['MKL_ENABLE_INSTRUCTIONS']\n"
        "p.write_text(json.dumps(doc))\n"
        "sys.exit(2)\n")  # a claim that did not converge: compared all the same
    monkeypatch.setattr(crosscheck, "audit_command", _fake_audit(script))
    assert crosscheck.main(["--report", str(report), "--other", str(other)]) == 0
    record = json.loads((report / "claims.json").read_text())["run"]["crosscheck"]
    assert record["git_commit"] == "avx2 AVX2"


def test_an_audit_that_writes_no_new_report_records_nothing(tmp_path, monkeypatch):
    report, other, _ = _reports(tmp_path)  # a stale report lies in other/
    before = (report / "claims.json").read_text()
    monkeypatch.setattr(crosscheck, "audit_command", _fake_audit("raise SystemExit(2)"))
    assert crosscheck.main(["--report", str(report), "--other", str(other)]) == 2
    assert (report / "claims.json").read_text() == before


def test_audit_command_audits_every_claim_of_the_committed_profile_and_seed():
    committed = document()
    committed["run"].update(profile="full", seed=3)
    command = crosscheck.audit_command(committed, Path("x"), "2")
    assert command[1:] == ["-m", "verify", "--profile", "full", "--seed", "3", "--device", "cpu",
                           "--workers", "2", "--report-dir", "x"]


def test_a_report_without_a_record_has_the_plain_header():
    line = render_markdown(document()).splitlines()[2]
    assert "Cross-checked" not in line
    assert line.endswith("(started now).")


def test_the_next_audit_does_not_carry_the_record(tmp_path, claims_dir):
    claims_dir("t1", claim_source("T-C1", TRUE_BODY))
    code, doc, out = audit(tmp_path)
    assert code == 0, out
    report = tmp_path / "report"
    crosscheck.record_crosscheck(report, crosscheck.crosscheck_record(doc, doc))
    assert "crosscheck" in json.loads((report / "claims.json").read_text())["run"]
    code, doc, out = audit(tmp_path)
    assert code == 0, out
    assert "crosscheck" not in doc["run"]
    assert "Cross-checked" not in (report / "claims.md").read_text()
