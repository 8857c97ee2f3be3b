"""``ssl-audit`` / ``python -m verify``: run the claims audit.

Exit status: 0 when every claim's verdict equals its expected one (skips aside), 1 when one
differs, 2 when a claim errored or did not converge, a claim module failed to load, no claim
was selected, or the command line was wrong.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

import pytest

from verify import profiles

__all__ = ["main", "build_parser", "exit_code"]

EXIT_OK, EXIT_MISMATCH, EXIT_ERROR = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ssl-audit",
        description="Audit the claims in tests/claims/ and write the report.",
        epilog="Arguments after '--' go to pytest unchanged.",
    )
    parser.add_argument("paths", nargs="*", default=None,
                        help="claim modules or directories (default: tests/claims)")
    parser.add_argument("--profile", choices=profiles.PROFILES, default="full",
                        help="quick (CI: few trials, small sizes) or full (default)")
    parser.add_argument("--seed", type=int, default=profiles.DEFAULT_SEED,
                        help="run seed; the same seed gives the same report (default: 0)")
    parser.add_argument("--device", default="auto", help="auto (default), cpu or cuda[:i]")
    parser.add_argument("-k", dest="keyword", default=None,
                        help="only claims matching this pytest -k expression (e.g. BL22)")
    parser.add_argument("--report-dir", type=Path, default=Path("reports"),
                        help="where to write claims.md, claims.json, figures/ (default: reports)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads per process (default: 1; claims are small)")
    parser.add_argument("--workers", default="0",
                        help="pytest-xdist workers: a number or 'auto' (default: 0, in-process)")
    return parser


class _Probe:
    """Keeps the run's config so the exit status can be computed from its report."""

    config: pytest.Config | None = None

    def pytest_configure(self, config: pytest.Config) -> None:
        self.config = config


def exit_code(document: dict | None, pytest_status: int) -> int:
    """The audit's exit status from its report document and pytest's own status."""
    if pytest_status in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR,
                         pytest.ExitCode.USAGE_ERROR) or document is None:
        return EXIT_ERROR
    claims = document["claims"]
    if document["collection_errors"] or any(
            c["verdict"] in ("ERROR", "NOT_CONVERGED") for c in claims):
        return EXIT_ERROR
    return EXIT_MISMATCH if any(c["matches_expected"] is False for c in claims) else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1:]
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    try:
        from torch_impl.device import resolve_device

        resolve_device(args.device)
    except ValueError as exc:
        print(f"ssl-audit: error: --device: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if args.threads < 1:
        print("ssl-audit: error: --threads: expected a positive integer", file=sys.stderr)
        return EXIT_ERROR
    # An environment variable, so that pytest-xdist workers apply it too (plugin configure).
    os.environ[profiles.ENV_THREADS] = str(args.threads)
    paths = args.paths or ["tests/claims"]
    missing = [p for p in paths if not Path(p.split("::")[0]).exists()]
    if missing:
        print(f"ssl-audit: error: no such path: {', '.join(missing)} (run from the project "
              "root, or pass the claim modules' paths)", file=sys.stderr)
        return EXIT_ERROR
    pytest_args = [
        *paths, "-p", "verify.plugin",
        "--claims-profile", args.profile, "--claims-seed", str(args.seed),
        "--claims-device", args.device, "--report-dir", str(args.report_dir),
        "--claims-progress", "--continue-on-collection-errors",
        "-q", "--no-header", "-p", "no:cacheprovider", "-rfE",
        "--claims-command", shlex.join(["ssl-audit", *argv, *(["--", *extra] if extra else [])]),
        # verify (hence hypothesis) is imported before pytest starts, which is harmless.
        "-W", "ignore::pytest.PytestAssertRewriteWarning",
    ]
    if args.keyword:
        pytest_args += ["-k", args.keyword]
    if args.workers not in ("0", ""):
        # loadfile keeps a claim's two checks in one worker (its module is imported once).
        pytest_args += ["-n", args.workers, "--dist", "loadfile"]
    probe = _Probe()
    print(f"ssl-audit: profile {args.profile}, seed {args.seed}, device {args.device}, "
          f"report -> {args.report_dir}", flush=True)
    status = pytest.main(pytest_args + extra, plugins=[probe])
    if status == pytest.ExitCode.NO_TESTS_COLLECTED:
        print("ssl-audit: error: no claim selected", file=sys.stderr)
        return EXIT_ERROR
    from verify.plugin import STATE_KEY

    state = probe.config.stash.get(STATE_KEY, None) if probe.config else None
    return exit_code(state.document if state else None, status)
