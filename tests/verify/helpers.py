"""Tiny claim modules for the engine's tests, and running the audit on them in tmp_path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

HEADER = """\
import sympy as sp
from hypothesis import strategies as st
from derivations.base import Derivation
from verify import Claim, Measurement
"""


def claim_source(claim_id: str, body: str, **fields: object) -> str:
    """A claim module: HEADER, ``claim = Claim(...)`` with defaults, then ``body``.

    A body with a numeric check gets a default ``measures``/``unit`` (required there)."""
    measured = {"measures": "toy error", "unit": "absolute"} if "claim.numeric" in body else {}
    decl = {"id": claim_id, "paper": claim_id.split("-")[0], "source": "Eq. 1",
            "statement": f"statement of {claim_id}", "provenance": "DERIVED",
            "paper_asserts": "something", "tolerance": 1e-9, **measured, **fields}
    args = ", ".join(f"{k}={v!r}" for k, v in decl.items())
    return HEADER + f"claim = Claim({args})\n" + textwrap.dedent(body)


TRUE_BODY = """
@claim.symbolic(scope="claim")
def _():
    a, b = sp.symbols("a b", real=True)
    return Derivation("binomial", (a + b) ** 2 - (a**2 + 2 * a * b + b**2))

@claim.numeric(a=st.floats(-10, 10), b=st.floats(-10, 10))
def _(a, b):
    return abs((a + b) ** 2 - (a * a + 2 * a * b + b * b)) / max(1.0, (a + b) ** 2)
"""

# TRUE_BODY's identity as a trained claim records it: with the second-order certificate, and
# drawing a relation spec (family(...)) whose families the report counts.
TRAINED_BODY = TRUE_BODY.split("@claim.numeric")[0] + """
@claim.numeric(trials={"quick": 6, "full": 6},
               graph=st.sampled_from(["path(n=4)", "ring(n=5)", "views(n=2,v=2)"]),
               a=st.floats(-10, 10))
def _(graph, a):
    return Measurement(0.0, {"min_tangent_eig": 0.5 + abs(a)})
"""

# A wrong constant: 3ab instead of 2ab.
FALSE_BODY = """
@claim.symbolic(scope="claim")
def _():
    a, b = sp.symbols("a b", real=True)
    return Derivation("binomial", (a + b) ** 2 - (a**2 + 3 * a * b + b**2))

@claim.numeric(a=st.integers(-10, 10), b=st.integers(-10, 10))
def _(a, b):
    return float(abs((a + b) ** 2 - (a * a + 3 * a * b + b * b)))
"""

RAISING_BODY = """
@claim.numeric(n=st.integers(0, 5))
def _(n):
    raise RuntimeError("boom in the check")
"""

NOT_CONVERGED_BODY = """
class NotConverged(Exception):
    pass

@claim.numeric(n=st.integers(0, 5))
def _(n):
    raise NotConverged("gradient norm 1e-2 after 100 iterations")
"""


def audit(tmp_path: Path, *args: str, report: str = "report") -> tuple[int, dict | None, str]:
    """Run ``python -m verify`` on ``tmp_path/claims``; return (exit code, claims.json, output)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get(
        "PYTHONPATH", "")])}
    for var in ("SSL_AUDIT_PROFILE", "SSL_AUDIT_SEED", "SSL_AUDIT_DEVICE", "SSL_AUDIT_STAGING"):
        env.pop(var, None)
    cmd = [sys.executable, "-m", "verify", "claims", "--profile", "quick", "--device", "cpu",
           "--report-dir", report, *args]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    path = tmp_path / report / "claims.json"
    doc = json.loads(path.read_text()) if path.exists() else None
    return proc.returncode, doc, proc.stdout + proc.stderr


def by_id(doc: dict) -> dict[str, dict]:
    return {c["id"]: c for c in doc["claims"]}


# -- deliberately broken checks: none may fake a verdict --------------------------------------
def numeric_body(error: str) -> str:
    """A numeric check that returns the Python expression ``error`` (e.g. ``-1.0``)."""
    return f"""
@claim.numeric(n=st.integers(0, 5))
def _(n):
    return {error}
"""


# A symbolic check that fails (a wrong constant) beside a numeric one that holds.
SYMBOLIC_FAILS_NUMERIC_HOLDS_BODY = """
@claim.symbolic(scope="claim")
def _():
    a = sp.Symbol("a", real=True)
    return Derivation("square", (a + 1) ** 2 - (a**2 + 3 * a + 1))

@claim.numeric(a=st.integers(-5, 5))
def _(a):
    return 0.0
"""

# A residual sympy cannot simplify that vanishes at every spot check, and a holding numeric check.
UNDECIDED_BODY = """
class _ZeroValued(sp.Function):
    def _eval_evalf(self, prec):
        return sp.Float(0, prec)

@claim.symbolic(scope="claim")
def _():
    return Derivation("opaque", _ZeroValued(sp.Symbol("a", real=True)))

@claim.numeric(a=st.integers(-5, 5))
def _(a):
    return 0.0
"""

NAN_RESIDUAL_BODY = """
@claim.symbolic(scope="claim")
def _():
    a = sp.Symbol("a", real=True)
    return Derivation("broken", a / (a - a))
"""
