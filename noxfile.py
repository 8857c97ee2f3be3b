"""Sessions of ssl-spectral-audit: ``tests`` (what CI runs), ``verify`` (the full audit),
``bench`` and ``lint``. Venvs are reused; the project is reinstalled every time so a reused
venv never audits stale code."""

from __future__ import annotations

import nox

nox.options.reuse_venv = "yes"
nox.options.sessions = ["tests"]

# The CPU build lies on local disk; an unpinned torch would pull a multi-GB CUDA wheel.
TORCH = "torch==2.13.0"


def _install(session: nox.Session, *extras: str) -> None:
    session.install(TORCH)
    spec = f".[{','.join(extras)}]" if extras else "."
    # --force-reinstall --no-deps: reinstall our own package even when the venv is reused.
    session.install(spec)
    session.install("--no-deps", "--force-reinstall", ".")


@nox.session
def tests(session: nox.Session) -> None:
    """Unit tests and the quick claim audit (what CI runs)."""
    _install(session, "test")
    session.run("pytest", "-q", *session.posargs)
