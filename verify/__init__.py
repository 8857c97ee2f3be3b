"""verify: the claims-audit engine of ssl-spectral-audit.

A claim is declared in its own test module with :class:`Claim`; the pytest plugin
(:mod:`verify.plugin`) runs its symbolic and numeric checks and writes ``reports/``.
Claim code may read the run's settings with :func:`profile`, :func:`seed` and :func:`device`;
:func:`grid` and :func:`points` declare the exact trials of a sweep (``@claim.numeric(grid=...)``);
:func:`replay` runs one trial of a claim again (a report's counterexample), from any directory.
"""

from verify.claim import Claim, ClaimDeclarationError, Measurement, Trial
from verify.grid import Grid, grid, points
from verify.profiles import at_scale, device, profile, seed
from verify.replay import replay
from verify.tags import TAGS
from verify.verdict import Verdict, z_score_margin

__all__ = [
    "at_scale",
    "z_score_margin",
    "Claim",
    "ClaimDeclarationError",
    "Grid",
    "Measurement",
    "TAGS",
    "Trial",
    "Verdict",
    "device",
    "grid",
    "points",
    "profile",
    "replay",
    "seed",
]

__version__ = "0.1.0"
