"""``ssl-audit`` / ``python -m verify``: run the claims audit.

Only the full, unselected audit (profile ``full``; no ``--id``, ``-k``, ``-m``, paths or pytest
arguments) writes the committed report, ``reports/``, and the unselected scale run (profile
``scale``: the headline claims at N >= 1024) writes ``reports/scale/``; every other run writes
to the git-ignored ``.ssl-audit/report/``, unless ``--report-dir`` says where.

Exit status: 0 when every claim's verdict equals its expected one (skips aside), 1 when one
differs (UNDECIDED always differs), 2 when a claim errored or did not converge, a claim module
failed to load, no claim was selected, an ``--id`` is unknown, or the command line was wrong.

``ssl-audit family module.path:loss_fn [--n N --m M --trials T --seed S]`` runs no audit: it
prints which family (GA23 Prop. 3.2) a two-branch loss belongs to, from
:func:`torch_impl.family.loss_family`, with its repulsion (does it penalise collapse?) and
what was reset and seeded per evaluation; exit status 0, or 2 when the loss cannot be loaded or
evaluated (a loss that is not a function of its inputs included).

``ssl-audit diagnose embeddings.pt [--views V] [--plot spectrum.png]`` runs no audit: it prints
the collapse diagnostics of a saved embedding (:mod:`verify.diagnose`); exit status 0, or 2 for
a missing file or a wrong shape.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import shlex
import sys
from pathlib import Path

import pytest

from verify import profiles
from verify.plugin import SCRATCH_REPORT_DIR

__all__ = [
    "main",
    "build_parser",
    "build_family_parser",
    "family_main",
    "load_callable",
    "exit_code",
    "choose_report_dir",
    "COMMITTED_REPORT_DIR",
    "COMMITTED_SCALE_DIR",
]

EXIT_OK, EXIT_MISMATCH, EXIT_ERROR = 0, 1, 2

COMMITTED_REPORT_DIR = Path("reports")
COMMITTED_SCALE_DIR = COMMITTED_REPORT_DIR / "scale"
DEFAULT_PATHS = ["tests/claims"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ssl-audit",
        description="Audit the claims in tests/claims/ and write the report.",
        epilog="Arguments after '--' go to pytest unchanged.",
    )
    parser.add_argument("paths", nargs="*", default=None,
                        help="claim modules or directories (default: tests/claims)")
    parser.add_argument("--id", dest="ids", action="append", default=[], metavar="ID",
                        help="only the claim with exactly this id, e.g. BL22-C2 (repeatable)")
    parser.add_argument("--profile", choices=profiles.PROFILES, default="full",
                        help="quick (CI: few trials, small sizes) or full (default)")
    parser.add_argument("--seed", type=int, default=profiles.DEFAULT_SEED,
                        help="run seed; the same seed gives the same report (default: 0)")
    parser.add_argument("--device", default="auto", help="auto (default), cpu or cuda[:i]")
    parser.add_argument("-k", dest="keyword", default=None,
                        help="a pytest -k expression: case-insensitive substrings of the items' "
                             "node ids (module::ID::symbolic|numeric), e.g. BL22")
    parser.add_argument("-m", dest="markexpr", default=None,
                        help="a pytest -m expression over the claims' tags, e.g. trains or "
                             "'not trains' (verify.tags.TAGS)")
    parser.add_argument("--report-dir", type=Path, default=None,
                        help="where to write claims.md, claims.json, figures/ (default: "
                             f"{COMMITTED_REPORT_DIR} for the full unselected audit, else "
                             f"{SCRATCH_REPORT_DIR.as_posix()})")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads per process (default: 1; claims are small)")
    parser.add_argument("--workers", default="0",
                        help="pytest-xdist workers: a number or 'auto' (default: 0, in-process)")
    return parser


def build_family_parser() -> argparse.ArgumentParser:
    """The ``ssl-audit family`` command line."""
    from torch_impl.family import DEFAULT_TOLERANCE

    parser = argparse.ArgumentParser(
        prog="ssl-audit family",
        description="Which family is a two-branch loss f(z_a, z_b) (batch-first (N, M))? "
                    "Sample-contrastive when rotating the embedding dimensions leaves it "
                    "unchanged, dimension-contrastive when rotating the samples does "
                    "(GA23 Prop. 3.2; torch_impl.family.loss_family); also whether it "
                    "penalises collapse at all (torch_impl.family.loss_repulsion). Each "
                    "evaluation starts from a fresh copy of an nn.Module loss with torch's "
                    "random generators seeded alike.",
    )
    parser.add_argument("target", metavar="module:loss_fn",
                        help="an importable module and a callable in it, e.g. "
                             "my_project.losses:nt_xent (a class is instantiated without "
                             "arguments, e.g. an nn.Module); the current directory is importable")
    parser.add_argument("--n", type=int, default=8, help="batch size N >= 2 (default: 8)")
    parser.add_argument("--m", type=int, default=5, help="embedding dimension M >= 2 (default: 5)")
    parser.add_argument("--trials", type=int, default=8,
                        help="random draws of inputs and rotations (default: 8)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the draws (default: 0)")
    parser.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE,
                        help="largest relative change counted as invariant (default: "
                             f"{DEFAULT_TOLERANCE:.0e})")
    parser.add_argument("--device", default="cpu", help="cpu (default), auto or cuda[:i]")
    return parser


def load_callable(target: str) -> object:
    """The object named by ``"package.module:attribute.path"``; a class is instantiated.

    Raises
    ------
    ValueError
        No ``:`` in ``target``, or the object is not callable.
    ImportError, AttributeError
        The module or the attribute does not exist.
    """
    module_name, sep, attribute = target.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError(f"expected module.path:loss_fn, got {target!r}")
    # As `python -m`: modules of the current directory are importable from the console script.
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    obj: object = importlib.import_module(module_name)
    for part in attribute.split("."):
        obj = getattr(obj, part)
    if inspect.isclass(obj):
        obj = obj()
    if not callable(obj):
        raise ValueError(f"{target} is a {type(obj).__name__}, not a callable loss")
    return obj


def family_main(argv: list[str]) -> int:
    """``ssl-audit family ...``: print the loss's family report; 0, or 2 on an error."""
    parser = build_family_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    from torch_impl.family import loss_family

    try:
        loss_fn = load_callable(args.target)
        report = loss_family(loss_fn, n=args.n, m=args.m, trials=args.trials, seed=args.seed,
                             tolerance=args.tolerance, device=args.device)
    except Exception as exc:  # the user's module and loss: report whatever they raise
        print(f"ssl-audit family: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(f"{args.target}")
    print(report)
    return EXIT_OK


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


def choose_report_dir(args: argparse.Namespace, extra: list[str]) -> tuple[Path, str]:
    """Where the report goes and why, in words for the user.

    ``--report-dir`` when given; else ``reports/`` (the committed report) for the full,
    unselected audit, and ``reports/scale/`` for the unselected scale run; else the scratch
    folder, so that a selected, quick or replay run never replaces a committed report.
    """
    if args.report_dir is not None:
        return args.report_dir, "--report-dir"
    reasons = []
    if args.profile == "quick":
        reasons.append(f"profile {args.profile}")
    if args.ids:
        reasons.append("--id")
    if args.keyword:
        reasons.append("-k")
    if args.markexpr:
        reasons.append("-m")
    if args.paths and [os.path.normpath(p) for p in args.paths] != DEFAULT_PATHS:
        reasons.append("paths")
    if extra:
        reasons.append("pytest arguments")
    if not reasons and args.profile == "scale":
        return COMMITTED_SCALE_DIR, "the committed scale report: an unselected scale run"
    if not reasons:
        return COMMITTED_REPORT_DIR, "the committed report: a full, unselected audit"
    return SCRATCH_REPORT_DIR, (f"a scratch report ({', '.join(reasons)}); only an "
                                f"unselected full (scale) run writes {COMMITTED_REPORT_DIR}/ "
                                f"({COMMITTED_SCALE_DIR}/)")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["family"]:
        return family_main(argv[1:])
    if argv[:1] == ["diagnose"]:  # collapse diagnostics of a saved embedding (verify.diagnose)
        from verify.diagnose import diagnose_main

        return diagnose_main(argv[1:])
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
    report_dir, why = choose_report_dir(args, extra)
    pytest_args = [
        *paths, "-p", "verify.plugin",
        "--claims-profile", args.profile, "--claims-seed", str(args.seed),
        "--claims-device", args.device, "--report-dir", str(report_dir),
        "--claims-progress", "--continue-on-collection-errors",
        "-q", "--no-header", "-p", "no:cacheprovider", "-rfE",
        "--claims-command", shlex.join(["ssl-audit", *argv, *(["--", *extra] if extra else [])]),
        # verify (hence hypothesis) is imported before pytest starts, which is harmless.
        "-W", "ignore::pytest.PytestAssertRewriteWarning",
    ]
    if args.keyword:
        pytest_args += ["-k", args.keyword]
    if args.markexpr:
        pytest_args += ["-m", args.markexpr]
    for claim_id in args.ids:
        pytest_args += ["--claims-id", claim_id]
    if args.workers not in ("0", ""):
        # loadfile keeps a claim's two checks in one worker (its module is imported once).
        pytest_args += ["-n", args.workers, "--dist", "loadfile"]
    probe = _Probe()
    print(f"ssl-audit: profile {args.profile}, seed {args.seed}, device {args.device}, "
          f"report -> {report_dir} ({why})", flush=True)
    status = pytest.main(pytest_args + extra, plugins=[probe])
    if status == pytest.ExitCode.NO_TESTS_COLLECTED:
        print("ssl-audit: error: no claim selected", file=sys.stderr)
        return EXIT_ERROR
    from verify.plugin import STATE_KEY

    state = probe.config.stash.get(STATE_KEY, None) if probe.config else None
    return exit_code(state.document if state else None, status)
