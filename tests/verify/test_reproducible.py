"""Same seed, same code: same report on another CPU kernel set and through another entry point.

The cheap part of the cross-machine check (the full audit under AVX2 kernels is ``nox -s
crosscheck``, recorded in the committed report's ``run.crosscheck``): every claim tagged
``trains`` (found by ``-m trains``, so a new trained claim is covered without editing this
file) and one identity claim, audited quickly twice: ``python -m verify`` from the checkout
with the default kernels, and the installed ``ssl-audit`` with AVX2 kernels forced. Their
reports must agree as :mod:`verify.compare` demands (verdicts, trials and counterexamples
identical; errors within the stated margin).

The two runs go side by side, one core each: 140 s of CPU in all (120 s wall measured on two
cores that other jobs shared). One after the other with ``--workers 2`` each took 170 s of CPU
(each xdist worker imports and collects again), 140 s wall on the same machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.verify.helpers import ROOT
from verify.compare import compare_reports
from verify.crosscheck import KERNELS as AVX2  # torch's and MKL's CPU dispatch held to AVX2

IDENTITY = "BL22-C0"  # an identity (no training), 10 drawn trials


def _ssl_audit() -> str:
    # The console script installed beside this interpreter (nox installs the package).
    beside = Path(sys.executable).parent / "ssl-audit"
    found = str(beside) if beside.exists() else shutil.which("ssl-audit")
    assert found, "ssl-audit is not installed: run the tests through `nox -s tests`"
    return found


def _trained_ids() -> list[str]:
    """The ids of the claims tagged ``trains``, as pytest collects them from tests/claims."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/claims", "--collect-only", "-q", "-m", "trains",
         "-p", "no:cacheprovider"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    # A module that fails to load would drop its claims from the list unnoticed.
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    ids = {line.split("::")[1] for line in done.stdout.splitlines() if line.count("::") == 2}
    return sorted(ids)


def _start(command: list[str], ids: list[str], report: Path,
           env: dict[str, str]) -> subprocess.Popen:
    selection = [arg for claim_id in ids for arg in ("--id", claim_id)]
    return subprocess.Popen(
        [*command, *selection, "--profile", "quick", "--seed", "0", "--report-dir", str(report)],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)


def _report(run: subprocess.Popen, report: Path) -> dict:
    out, _ = run.communicate(timeout=900)
    assert run.returncode == 0, out[-6000:]
    return json.loads((report / "claims.json").read_text())


def test_kernels_and_entry_points_give_the_same_report(tmp_path):
    trained = _trained_ids()
    assert len(trained) >= 50, trained  # 66 when written: the selection found the claims
    ids = [IDENTITY, *trained]
    runs = [(_start([sys.executable, "-m", "verify"], ids, tmp_path / "checkout", {}),
             tmp_path / "checkout"),
            (_start([_ssl_audit()], ids, tmp_path / "installed", AVX2),
             tmp_path / "installed")]
    try:
        checkout, installed = (_report(run, report) for run, report in runs)
    finally:
        for run, _ in runs:
            if run.poll() is None:
                run.kill()
                run.communicate()
    for doc in (checkout, installed):
        # Non-trivial reports: every selected claim ran its numeric check (an empty or
        # partial report would compare equal to another one). Only a proxy (its network
        # trainings run as a smoke test in the quick profile) may end SKIPPED, without trials.
        assert sorted(c["id"] for c in doc["claims"]) == sorted(ids)
        for claim in doc["claims"]:
            assert claim["id"] == IDENTITY or "trains" in claim["tags"], claim["id"]
            if claim["verdict"] == "SKIPPED":
                assert "proxy" in claim["tags"], claim["id"]
            else:
                assert claim["numeric"]["trials"] > 0, claim["id"]
    assert [str(d) for d in compare_reports(checkout, installed)] == []
