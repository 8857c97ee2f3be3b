"""The tag vocabulary of claims: what ``Claim(tags=...)`` may say, each tag a pytest marker.

The plugin registers every tag as a marker and marks each claim's items with its tags, so that
``ssl-audit -m trains`` or ``pytest tests/claims -m "not trains"`` select claims by kind. A tag
outside :data:`TAGS` is a :class:`~verify.claim.ClaimDeclarationError`; the tags the engine can
check (:data:`CHECKED`) must be true of the claim.
"""

from __future__ import annotations

__all__ = ["TAGS", "CHECKED"]

TAGS: dict[str, str] = {
    "trains": "trains a model or an embedding to a certified optimum (slow; may not converge)",
    "exact": "decided by an exact criterion (tolerance 0: a rank, a count)",
    "sweep": "its numeric check evaluates a declared grid, every point once",
    "convention": "audits a reference codebase's loss (official / solo / lightly), not the "
                  "paper's formula",
    "linear": "a linear encoder Z = X W",
    "downstream": "a linear-probe protocol on the learned representation",
    "symbolic_only": "no numeric check: decided by the symbolic check alone",
    "proxy": "a stated proxy experiment on networks trained by a stated stopping rule, decided "
             "by a paired test (no certified optimum, so no second-order certificate)",
    "scale": "a headline claim the scale profile re-runs at N >= 1024 (--profile scale)",
}
"""Tag -> its meaning in one line (the marker's help text; the README lists them)."""

CHECKED = {
    "exact": "requires tolerance=0",
    "sweep": "requires a numeric check declared with grid=",
    "symbolic_only": "requires a claim without a numeric check",
    "scale": "requires a numeric check",
}
"""The tags whose truth the engine checks when the claim is complete, and the condition."""
