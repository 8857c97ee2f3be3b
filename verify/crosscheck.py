"""The committed report, cross-checked under a second CPU kernel setting.

``python -m verify.crosscheck`` (``nox -s crosscheck``) audits again what the committed report
``reports/claims.json`` audited (its profile and seed, every claim, on the CPU) with torch's and
MKL's CPU dispatch held to AVX2 (:data:`KERNELS`), into a scratch report
(``.ssl-audit/crosscheck/``), compares the two with :func:`verify.compare.compare_reports`,
and records the comparison in the committed report under ``run.crosscheck``::

    {"kernels": "ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2",
     "git_commit": <the cross-check run's run.git_commit>,
     "compared_with": <the committed report's run.git_commit>,
     "claims": <claims in both reports>, "differences": [<one line per difference>],
     "started": <the cross-check run's run.started>, "seconds": <its run.seconds>}

claims.json and claims.md are then written anew by :func:`verify.report.write_report` (its
figures kept as they are), so the first line of claims.md says how the cross-check went.
The exit status is 0 when the reports agree, 1 when they differ (the differences are recorded
all the same), 2 when nothing could be compared (no committed report, the audit wrote no new
report, the reports are of different seeds or profiles).

A record never outlives the report it was made for: a new audit builds its ``run`` from
scratch (:func:`verify.report.build_document`), so the report of the next ``nox -s verify``
has no ``run.crosscheck`` until the cross-check runs again. A committed report should carry a
record with no difference.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from verify.compare import compare_reports
from verify.report import write_report

__all__ = ["KERNELS", "KERNELS_TEXT", "DEFAULT_OTHER", "audit_command", "run_audit",
           "crosscheck_record", "record_crosscheck", "main"]

KERNELS: dict[str, str] = {"ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"}
"""The environment of the second run: torch's and MKL's CPU dispatch held to AVX2 (no-ops on a
CPU without AVX-512, where the default kernels are AVX2 already)."""

KERNELS_TEXT = " ".join(f"{name}={value}" for name, value in KERNELS.items())
""":data:`KERNELS` as recorded in ``run.crosscheck.kernels``."""

DEFAULT_OTHER = Path(".ssl-audit") / "crosscheck"
"""Where the cross-check run writes its report (git-ignored scratch)."""

EXIT_AGREE, EXIT_DIFFER, EXIT_ERROR = 0, 1, 2


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def audit_command(committed: Mapping[str, Any], other: Path, workers: str = "2") -> list[str]:
    """The command line that audits again what ``committed`` audited, reporting to ``other``.

    Parameters
    ----------
    committed : mapping
        The committed claims.json document; its ``run.profile`` and ``run.seed`` are used.
    other : Path
        The report directory of the new run.
    workers : str
        ``--workers`` of the new run (pytest-xdist; the report does not depend on it).

    Returns
    -------
    list of str
        ``python -m verify --profile P --seed S --device cpu --workers W --report-dir OTHER``,
        run with this interpreter; every claim (no selection), on the CPU, whose kernels are
        what the cross-check varies.
    """
    run = committed["run"]
    return [sys.executable, "-m", "verify", "--profile", str(run["profile"]),
            "--seed", str(run["seed"]), "--device", "cpu", "--workers", str(workers),
            "--report-dir", str(other)]


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def run_audit(command: Sequence[str], other: Path,
              env: Mapping[str, str] | None = None) -> tuple[int, bool]:
    """Run ``command`` (an audit reporting to ``other``) under :data:`KERNELS`.

    Parameters
    ----------
    command : sequence of str
        The audit's command line (:func:`audit_command`).
    other : Path
        Its report directory.
    env : mapping, optional
        The environment to add :data:`KERNELS` to (default: this process's).

    Returns
    -------
    tuple of (int, bool)
        The audit's exit status (non-zero when a verdict differs from its expected one or a
        claim did not converge: the report is compared all the same), and whether it wrote a
        new ``other/claims.json`` (a previous report left in place is never compared).
    """
    before = _mtime(other / "claims.json")
    done = subprocess.run(list(command), env={**(os.environ if env is None else env), **KERNELS},
                          check=False)
    after = _mtime(other / "claims.json")
    return done.returncode, after is not None and after != before


def crosscheck_record(committed: Mapping[str, Any], other: Mapping[str, Any],
                      kernels: str = KERNELS_TEXT) -> dict[str, Any]:
    """The ``run.crosscheck`` record of comparing the committed report with another run's.

    Parameters
    ----------
    committed, other : mapping
        The committed claims.json document and the cross-check run's.
    kernels : str
        The kernel setting of the cross-check run, as recorded.

    Returns
    -------
    dict
        ``kernels``, ``git_commit`` (the cross-check run's), ``compared_with`` (the committed
        report's ``run.git_commit``), ``claims`` (how many claims both reports hold),
        ``differences`` (each :class:`verify.compare.Difference` as a line; empty when the
        reports agree), ``started`` and ``seconds`` (the cross-check run's).

    Raises
    ------
    ValueError
        When the reports are of different seeds or profiles.
    """
    differences = compare_reports(committed, other)
    common = {c["id"] for c in committed["claims"]} & {c["id"] for c in other["claims"]}
    run = other["run"]
    return {"kernels": kernels, "git_commit": run.get("git_commit"),
            "compared_with": committed["run"].get("git_commit"), "claims": len(common),
            "differences": [str(d) for d in differences], "started": run.get("started"),
            "seconds": run.get("seconds")}


def record_crosscheck(report_dir: Path, record: Mapping[str, Any]) -> dict[str, Any]:
    """Put ``record`` in ``report_dir/claims.json`` as ``run.crosscheck`` (replacing any
    previous one) and write claims.json and claims.md anew.

    The writing is :func:`verify.report.write_report`'s (atomic; claims.md rendered from the
    updated document); the report's figures are linked into its staging directory first, so
    they stay as they are.

    Parameters
    ----------
    report_dir : Path
        The report directory (``reports``).
    record : mapping
        The record (:func:`crosscheck_record`).

    Returns
    -------
    dict
        The document as written.
    """
    doc = _load(report_dir / "claims.json")
    doc["run"]["crosscheck"] = dict(record)
    staging = report_dir / f".tmp-crosscheck-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "figures").mkdir(parents=True)
    figures = report_dir / "figures"
    if figures.is_dir():
        for source in sorted(figures.iterdir()):
            if source.is_file():
                try:
                    os.link(source, staging / "figures" / source.name)
                except OSError:
                    shutil.copy2(source, staging / "figures" / source.name)
    return write_report(report_dir, staging, doc)


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m verify.crosscheck`` command line."""
    parser = argparse.ArgumentParser(
        prog="python -m verify.crosscheck",
        description=f"Audit again under {KERNELS_TEXT}, compare with the committed report and "
                    "record the comparison in it (run.crosscheck); exit 1 on any difference.")
    parser.add_argument("--report", type=Path, default=Path("reports"),
                        help="the committed report directory (default: reports)")
    parser.add_argument("--other", type=Path, default=DEFAULT_OTHER,
                        help=f"the cross-check run's report directory (default: {DEFAULT_OTHER})")
    parser.add_argument("--workers", default="2",
                        help="--workers of the cross-check run (default: 2)")
    parser.add_argument("--no-run", action="store_true",
                        help="run no audit: compare with the report already in --other (which "
                             f"must have been run under {KERNELS_TEXT})")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Cross-check, record, print the differences; the exit status (module docstring)."""
    args = build_parser().parse_args(argv)
    if args.other.resolve() == args.report.resolve():
        print("crosscheck: error: --other must not be the committed report", file=sys.stderr)
        return EXIT_ERROR
    try:
        committed = _load(args.report / "claims.json")
    except (OSError, ValueError) as exc:
        print(f"crosscheck: error: no committed report: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if not args.no_run:
        command = audit_command(committed, args.other, args.workers)
        print(f"crosscheck: {KERNELS_TEXT} {' '.join(command)}", flush=True)
        status, fresh = run_audit(command, args.other)
        if not fresh:
            print(f"crosscheck: error: the audit (exit {status}) wrote no new "
                  f"{args.other / 'claims.json'}", file=sys.stderr)
            return EXIT_ERROR
    try:
        record = crosscheck_record(committed, _load(args.other / "claims.json"))
    except (OSError, ValueError, KeyError) as exc:
        print(f"crosscheck: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    record_crosscheck(args.report, record)
    for line in record["differences"]:
        print(line)
    print(f"crosscheck: {record['claims']} claims in both; {len(record['differences'])} "
          f"difference(s) under {KERNELS_TEXT}; recorded in {args.report / 'claims.json'} "
          "(run.crosscheck) and claims.md")
    return EXIT_DIFFER if record["differences"] else EXIT_AGREE


if __name__ == "__main__":
    raise SystemExit(main())
