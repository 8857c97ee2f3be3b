"""The thresholds that decide BL22 verdicts, each defined once.

A claim declares the ones its verdict depends on (``Claim(settings={...})``), so that the
report records them next to the error and the tolerance. Changing one here changes every
claim that declares it, and the report shows it.
"""

from __future__ import annotations

__all__ = ["RANK_RTOL", "BN_RANK_RTOL", "GAP_RTOL", "CLUSTER_TOL", "GRAD_TOL"]

RANK_RTOL = 1e-6
"""Numerical rank: singular values above ``RANK_RTOL * s_max`` count. A certified optimum
(certificate <= 1e-8, polished 100x below) leaves collapsed directions at round-off level, and
every predicted nonzero singular value of the audited optima is >= 1e-3 of the largest: the
threshold sits decades from both (the report's margin says how many)."""

BN_RANK_RTOL = 1e-4
"""Rank threshold of BatchNorm-standardised branches (official / solo BarlowTwins): BatchNorm's
eps (1e-5) rescales each column by ~eps / Var, differently in the two branches, which leaves
spurious relative singular values of 2e-8..3e-6 at certified optima (measured over seeds); the
threshold sits above them and below every predicted nonzero one."""

GAP_RTOL = 1e-8
"""Two eigenvalues closer than ``GAP_RTOL * max |lambda|`` are one cluster (one eigenspace): a
float64 eigensolver separates them no better (as ``torch_impl.spectral``'s default)."""

CLUSTER_TOL = 1e-9
"""Absolute version for the small Laplacians of the VICReg closed form: a views graph's
eigenvalues are exact integers, a path graph's far apart, eigh's rounding ~1e-15."""

GRAD_TOL = 1e-8
"""Certificate every trained optimum meets: ``||g|| / max(1, |loss|) <= GRAD_TOL`` (the
minimum-norm subgradient on a hinge kink), reached 100x below by ``torch_impl.fit``."""
