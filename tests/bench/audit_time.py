"""Wall time of the audit itself: quick and full, serial and ``--workers 2`` (issue 11).

The quick audit (what CI runs inside ``nox -s tests``) is timed here, serial and with two
workers, each a fresh ``ssl-audit`` process writing to a scratch folder. A full audit takes
minutes and would take the bench past its budget: its rows are read from the committed
report's own record (``reports/claims.json``: the seconds, the command and the commit it ran
at), unless ``full=True`` times them here too.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["audit_rows"]

MODES = (("serial", ()), ("--workers 2", ("--workers", "2")))


def _timed_audit(root: Path, profile: str, extra: tuple[str, ...]) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "verify", "--profile", profile, "--report-dir",
             f"{scratch}/reports", *extra],
            cwd=root, capture_output=True, text=True)
        return time.perf_counter() - started, done.returncode


def committed_row(root: Path) -> dict:
    """The committed full audit's own record of its wall time."""
    path = root / "reports" / "claims.json"
    run = json.loads(path.read_text())["run"]
    return {"profile": "full", "mode": run.get("selection", "?"),
            "wall (s)": round(run["seconds"], 1),
            "source": f"reports/claims.json (commit {run.get('git_commit', '?')[:9]}, "
                      f"{run.get('started', '?')})"}


def audit_rows(root: Path, *, full: bool = False) -> list[dict]:
    """Rows: quick serial and --workers 2 timed now; full from the committed report, or also
    timed now when ``full``."""
    rows = []
    for profile in ("quick", "full") if full else ("quick",):
        for mode, extra in MODES:
            seconds, code = _timed_audit(root, profile, extra)
            rows.append({"profile": profile, "mode": mode, "wall (s)": round(seconds, 1),
                         "source": f"timed in this run (exit {code})"})
    if not full:
        rows.append(committed_row(root))
    return rows
