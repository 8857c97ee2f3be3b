"""Sessions of ssl-spectral-audit.

``tests`` (what CI runs: unit tests, then a quick audit of every claim), ``verify`` (the full
audit, writes reports/), ``bench`` (placeholder) and ``lint``. Venvs are reused; the project is
reinstalled every time so a reused venv never audits stale code.
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
    """The full audit into reports/ (``nox -s verify -- -k BL22`` passes arguments on)."""
    _install(session, "test")
    session.run("ssl-audit", "--profile", "full", "--report-dir", "reports", *session.posargs)


@nox.session(venv_backend="none")
def bench(session: nox.Session) -> None:
    """Placeholder: speed and convergence benchmarks arrive with their own issue."""
    session.log("bench: no benchmarks yet (placeholder until the performance issue lands)")


@nox.session
def lint(session: nox.Session) -> None:
    """ruff over the whole project."""
    session.install("ruff>=0.5")
    session.run("ruff", "check", *(session.posargs or ["."]))
