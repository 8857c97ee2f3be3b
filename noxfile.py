"""Sessions of ssl-spectral-audit.

``tests`` (what CI runs: unit tests, then a quick audit of every claim), ``verify`` (the full
audit; only an unselected run writes reports/), ``crosscheck`` (the full audit again under AVX2
kernels, compared with reports/ and recorded there), ``mutation`` (injected bugs the unit tests must
catch), ``dev`` (a development virtualenv in .venv), ``bench`` (speed and memory, reports/bench.md)
and ``lint``.
Venvs are reused; the project is reinstalled every time so a reused venv never audits stale
code.
"""

from __future__ import annotations

import nox

nox.options.reuse_venv = "yes"
nox.options.sessions = ["tests"]

# The CPU build lies on local disk; an unpinned torch would pull a multi-GB CUDA wheel.
TORCH = "torch==2.13.0"


def _install(session: nox.Session, *extras: str) -> None:
    session.install(TORCH)
    spec = f".[{','.join(extras)}]" if extras else "."
    session.install(spec)
    # --force-reinstall --no-deps: reinstall our own package even when the venv is reused.
    session.install("--no-deps", "--force-reinstall", ".")


@nox.session
def tests(session: nox.Session) -> None:
    """Unit tests, then the quick audit of tests/claims (what CI runs).

    Arguments after ``--`` go to the unit-test pytest run. The quick audit exits non-zero when
    a claim's verdict differs from its ``expected`` (or errors), which fails the session.
    """
    _install(session, "test")
    session.run("pytest", "tests", "--ignore=tests/claims", "-q", *session.posargs)
    report_dir = session.create_tmp()
    session.run("ssl-audit", "--profile", "quick", "--report-dir", f"{report_dir}/reports")


@nox.session
def verify(session: nox.Session) -> None:
    """The full audit; with no selection it writes the committed report, reports/.

    Arguments after ``--`` go to ``ssl-audit``: a selected run (``-- --id BL22-C2``, ``-- -k
    BL22``) writes to .ssl-audit/report/ instead and leaves reports/ untouched.
    """
    _install(session, "test")
    # Two workers use both cores of the machines the audit is sized for (<= 10 min); the same
    # seed gives the same report with or without workers (tests/verify/test_audit.py).
    session.run("ssl-audit", "--profile", "full", "--workers", "2", *session.posargs)
    if not session.posargs:
        # The unselected audit wrote reports/: README's findings are regenerated from it.
        session.run("python", "-m", "verify.readme")


@nox.session
def crosscheck(session: nox.Session) -> None:
    """The full audit again under AVX2 CPU kernels, compared with reports/ and recorded there.

    Torch's and MKL's CPU dispatch is held to AVX2 (ATEN_CPU_CAPABILITY=avx2
    MKL_ENABLE_INSTRUCTIONS=AVX2); the report goes to .ssl-audit/crosscheck/ and is compared
    with the committed reports/claims.json (verify.compare). The comparison is recorded there
    (``run.crosscheck``) and in the first line of reports/claims.md. Fails when
    the two reports differ (the differences are recorded all the same). Run it after ``nox -s
    verify``: a new audit's report carries no cross-check.

    Arguments after ``--`` go to ``python -m verify.crosscheck``, e.g. ``-- --no-run`` (compare
    the report already in .ssl-audit/crosscheck/, run no audit).
    """
    _install(session, "test")
    session.run("python", "-m", "verify.crosscheck", "--report", "reports",
                "--other", ".ssl-audit/crosscheck", "--workers", "2", *session.posargs)
    # README's generated section states the cross-check: regenerated from the updated report.
    session.run("python", "-m", "verify.readme")


@nox.session
def mutation(session: nox.Session) -> None:
    """Mutation run: known bugs injected one at a time into a temporary copy of the checkout
    (torch_impl/, verify/, derivations/base.py); fails if the unit tests miss one (~10 min).

    Arguments after ``--`` go to the script, e.g. ``-- --only fit-worst-restart-kept``.
    """
    _install(session, "test")
    session.run("python", "tests/mutation/run_mutants.py", *session.posargs)


@nox.session(venv_backend="none")
def dev(session: nox.Session) -> None:
    """A development environment in ``.venv``: CPU torch, the project editable, test and lint
    extras. ``source .venv/bin/activate`` afterwards; ``pytest`` and ``ssl-audit`` then run the
    checkout's code."""
    session.run("python3", "-m", "venv", ".venv")
    pip = [".venv/bin/python", "-m", "pip", "install", "--quiet"]
    # torch first and pinned: otherwise the extras' resolver pulls the multi-GB CUDA build.
    session.run(*pip, TORCH)
    session.run(*pip, "-e", ".[test,lint]")


@nox.session
def bench(session: nox.Session) -> None:
    """Loss throughput (ours vs the seed snippets vs the matmul floor), SimCLR peak memory
    dense vs chunked, fit time L-BFGS vs Adam, audit wall time; writes reports/bench.md and
    reports/bench.json (under 15 min on 2 cores).

    Arguments after ``--`` go to tests/bench/run_bench.py, e.g. ``-- --device cuda`` or
    ``-- --smoke --out-dir /tmp/bench`` (tiny sizes, leaves reports/ untouched).
    """
    _install(session, "test")
    session.run("python", "tests/bench/run_bench.py", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff over the whole project."""
    session.install("ruff>=0.5")
    session.run("ruff", "check", *(session.posargs or ["."]))


@nox.session
def lightly(session: nox.Session) -> None:
    """The family and repulsion tests on lightly 1.6's loss classes (optional).

    lightly is installed with ``--no-deps``: its dependencies pull torchvision, which does not
    work beside the CPU torch; the test loads only lightly's loss modules (torch alone).
    """
    _install(session, "test")
    session.install("--no-deps", "lightly==1.6.0")
    session.run("pytest", "tests/integration/test_lightly_losses.py", "-q", "-s",
                *session.posargs)
