"""Same seed, same code: same report on another CPU kernel set and through another entry point.

The cheap part of the cross-machine check (the full audit under two kernel settings is in the
closing notes of issue 8): a few real claims, one identity and two trained, audited quickly
twice: ``python -m verify`` from the checkout with the default kernels, and the installed
``ssl-audit`` with AVX2 kernels forced. Their reports must agree as :mod:`verify.compare`
demands (verdicts, trials and counterexamples identical; errors within the stated margin).
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

CLAIMS = [
    "tests/claims/bl22/test_bl22_c0_invariance_dirichlet.py",  # identity, 10 drawn trials
    "tests/claims/bl22/test_bl22_c2_closed_form.py",  # trained VICReg optimum
    "tests/claims/bl22/test_bl22_k1b_official.py",  # trained; its error once moved by 45%
]

# Environment switches of torch's and MKL's CPU dispatch; no-ops where the CPU lacks AVX-512.
AVX2 = {"ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"}


def _ssl_audit() -> str:
    # The console script installed beside this interpreter (nox installs the package).
    beside = Path(sys.executable).parent / "ssl-audit"
    found = str(beside) if beside.exists() else shutil.which("ssl-audit")
    assert found, "ssl-audit is not installed: run the tests through `nox -s tests`"
    return found


def _audit(command: list[str], report: Path, env: dict[str, str]) -> dict:
    done = subprocess.run(
        [*command, *CLAIMS, "--profile", "quick", "--seed", "0", "--report-dir", str(report)],
        cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads((report / "claims.json").read_text())


def test_kernels_and_entry_points_give_the_same_report(tmp_path):
    checkout = _audit([sys.executable, "-m", "verify"], tmp_path / "checkout", {})
    installed = _audit([_ssl_audit()], tmp_path / "installed", AVX2)
    assert len(checkout["claims"]) == len(CLAIMS)
    assert compare_reports(checkout, installed) == []
