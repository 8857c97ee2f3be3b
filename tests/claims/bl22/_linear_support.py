"""Shared test data and train-and-compare routines of the linear-regime claims (BL22-C3, C4, C6).

Every module here trains Z = X W (``torch_impl.fit.fit_linear``, float64, seeded restarts, the
certificate of the brief) and compares span(X W*) with the span X V_K of the K selected
generalized eigenvectors of the method's pencil (``torch_impl.spectral.generalized_eigh``):

* VICReg: (X^T L X, X^T H X), K smallest (BL22-C3);
* LPP: (X^T L X, X^T D_G X), K smallest (``locality_preserving_projections``);
* BarlowTwins: (X^T G X, X^T D_G X), K largest (BL22-C6);
* spectral contrastive relaxation of SimCLR: (X^T G X, X^T X), K largest (BL22-C4).

Data: two views of N' base points in D dimensions, x + noise with a per-feature noise scale, so
the pencils have distinct eigenvalues (:func:`views_data`); irregular graphs for the LPP
comparison (:func:`irregular_data`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from derivations.base import lambdify_torch
from derivations.bl22 import vicreg_closed_form as c2
from tests.claims.bl22._simclr_support import spectral_contrastive_loss as _spectral_loss
from torch_impl.fit import FitResult, fit_linear, vicreg_objective
from torch_impl.losses import barlow_twins_loss_from_relation
from torch_impl.metrics import principal_angles
from torch_impl.relations import (
    degree,
    knn_relation,
    labels_relation,
    laplacian,
    positive_pairs,
    views_relation,
)
from torch_impl.spectral import EigenResult, generalized_eigh
from verify import device

__all__ = [
    "DEVICE",
    "DTYPE",
    "RESTARTS",
    "views_data",
    "invariant_views_data",
    "irregular_data",
    "vicreg_pencil",
    "lpp_pencil",
    "bt_pencil",
    "spectral_pencil",
    "VicregRegime",
    "vicreg_regime",
    "fit_vicreg",
    "fit_bt",
    "fit_spectral",
    "spectral_contrastive_loss",
    "cross_correlation",
    "span_angle",
    "relative_gap",
    "draw_angle_vs_gap",
]

DEVICE = device()
DTYPE = torch.float64
RESTARTS = 2
"""Seeded restarts of every fit (the best certified one is kept)."""

_column_std = c2.column_std_torch()
_pair_threshold = c2.pair_beta_threshold_torch()
_invariance_factor = lambdify_torch(c2.INVARIANCE_FACTOR, (c2.GAMMA, c2.N))


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# -------------------------------------------------------------------------------------------
# Data
# -------------------------------------------------------------------------------------------


def views_data(seed: int, n_orig: int, dim: int, *, shift: float = 0.0
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """Two views of n_orig base points: X (2 n_orig, dim), G = views_relation(n_orig, 2).

    Base points x ~ N(0, diag(s)^2), s decreasing from 1.5 to 0.7; view v = x + e_v with
    e_v ~ N(0, diag(sigma)^2), sigma increasing from 0.3 to 1.2 (feature j is less view-invariant
    the larger j): the pencils' eigenvalues are distinct. ``shift`` adds a common mean (X is
    then not centred).
    """
    g = _generator(seed)
    scale = torch.linspace(1.5, 0.7, dim, dtype=DTYPE)
    noise = torch.linspace(0.3, 1.2, dim, dtype=DTYPE)
    base = torch.randn(n_orig, dim, generator=g, dtype=DTYPE) * scale + shift
    views = [base + noise * torch.randn(n_orig, dim, generator=g, dtype=DTYPE) for _ in range(2)]
    return torch.cat(views).to(DEVICE), views_relation(n_orig, 2).to(DEVICE, DTYPE)


def invariant_views_data(seed: int, n_orig: int, dim: int, n_invariant: int
                         ) -> tuple[torch.Tensor, torch.Tensor]:
    """As :func:`views_data` but the first ``n_invariant`` features are identical in both views.

    Those features are constant on every component of the views graph, so the BarlowTwins pencil
    (X^T G X, X^T D X) has the eigenvalue 1 with multiplicity n_invariant (C = I attainable for
    K <= n_invariant); the others have rho < 1.
    """
    X, G = views_data(seed, n_orig, dim)
    X[n_orig:, :n_invariant] = X[:n_orig, :n_invariant]
    return X, G


def irregular_data(seed: int, kind: str, n: int, dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Centred data X (n, dim) with an irregular relation.

    ``"knn"``: symmetrised 3-NN graph of X; ``"classes"``: cliques of sizes 2, 3, ... (a class
    graph with unequal classes) over samples whose class means differ.
    """
    g = _generator(seed)
    X = torch.randn(n, dim, generator=g, dtype=DTYPE) * torch.linspace(1.5, 0.7, dim, dtype=DTYPE)
    if kind == "knn":
        G = knn_relation(X, 3)
    else:
        sizes, total = [], 0
        while total + len(sizes) + 2 <= n:
            sizes.append(len(sizes) + 2)
            total += sizes[-1]
        sizes[-1] += n - total
        labels = torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes))
        X = X + torch.randn(len(sizes), dim, generator=g, dtype=DTYPE)[labels]
        G = labels_relation(labels)
    X = X - X.mean(dim=0)
    return X.to(DEVICE), G.to(DEVICE, DTYPE)


# -------------------------------------------------------------------------------------------
# Pencils
# -------------------------------------------------------------------------------------------


def _sym(M: torch.Tensor) -> torch.Tensor:
    return (M + M.mT) / 2


def vicreg_pencil(X: torch.Tensor, G: torch.Tensor, k: int | None = None) -> EigenResult:
    """K smallest generalized eigenpairs of (X^T L X, X^T H X) (BL22-C3)."""
    Xc = X - X.mean(dim=0)
    return generalized_eigh(_sym(X.mT @ laplacian(G) @ X), _sym(Xc.mT @ Xc), n_components=k)


def lpp_pencil(X: torch.Tensor, G: torch.Tensor, k: int) -> EigenResult:
    """K smallest generalized eigenpairs of (X^T L X, X^T D_G X) (He & Niyogi's LPP)."""
    return generalized_eigh(_sym(X.mT @ laplacian(G) @ X), _sym(X.mT @ (degree(G)[:, None] * X)),
                            n_components=k)


def bt_pencil(X: torch.Tensor, G: torch.Tensor, k: int | None = None) -> EigenResult:
    """K largest generalized eigenpairs of (X^T G X, X^T D_G X) (BL22-C6, linear)."""
    return generalized_eigh(_sym(X.mT @ G @ X), _sym(X.mT @ (degree(G)[:, None] * X)),
                            n_components=k, largest=True)


def spectral_pencil(X: torch.Tensor, G: torch.Tensor, k: int | None = None) -> EigenResult:
    """K largest generalized eigenpairs of (X^T G X, X^T X) (BL22-C4 relaxation, linear)."""
    return generalized_eigh(_sym(X.mT @ G @ X), _sym(X.mT @ X), n_components=k, largest=True)


# -------------------------------------------------------------------------------------------
# VICReg's closed-form regime (BL22-C2 in the pencil's coordinates)
# -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VicregRegime:
    """Weights placing linear VICReg in its closed-form regime, and the predicted stds.

    Attributes
    ----------
    alpha, beta, gamma : float
    stds : torch.Tensor of shape (K,)
        t_k = COLUMN_STD(rho_k) (BL22-C2 with lambda -> rho), the predicted column stds.
    beta_threshold : float
        max_{k<j} beta*_kj (BL22-C2's pair threshold), inf-free (pairs with t_k = t_j skipped).
    """

    alpha: float
    beta: float
    gamma: float
    stds: torch.Tensor
    beta_threshold: float


def vicreg_regime(rho: torch.Tensor, n: int, *, fraction: float, gamma: float,
                  beta_factor: float, anchor: float | None = None) -> VicregRegime:
    """Weights with at most one column on the hinge kink and beta above every pair threshold.

    alpha = fraction * 4 gamma rho_2 (N-1) / N (rho_1 when K = 1) makes t_k = fraction *
    rho_2 / rho_k < 1 for k >= 2 (BL22-C2's t = min(1, alpha N / (4 gamma rho (N-1)))); only
    column 1 may sit on the kink, so the two-kinks saddle of BL22-C2 cannot occur. beta =
    beta_factor * max(1, max pair threshold). ``anchor`` replaces rho_2 (e.g. the smallest
    positive eigenvalue when several are 0: those columns share t = 1 and cannot form a saddle).
    """
    if anchor is None:
        anchor = float(rho[1] if rho.numel() > 1 else rho[0])
    alpha = fraction * 4 * gamma * anchor * (n - 1) / n
    stds = _column_std(rho, alpha, gamma, n)
    c = float(_invariance_factor(torch.tensor(gamma, dtype=DTYPE), torch.tensor(n, dtype=DTYPE)))
    threshold = 0.0
    for k in range(rho.numel()):
        for j in range(k + 1, rho.numel()):
            if float(stds[k] - stds[j]) > 0:
                threshold = max(threshold, float(_pair_threshold(
                    c, rho[k], rho[j], stds[k] ** 2, stds[j] ** 2)))
    return VicregRegime(alpha, beta_factor * max(1.0, threshold), gamma, stds, threshold)


# -------------------------------------------------------------------------------------------
# Fits
# -------------------------------------------------------------------------------------------


# Every linear fit below: RESTARTS seeded restarts, certified with fit's margin (a restart that
# stalls is polished, then continued once by a fresh optimiser: ``torch_impl.fit``).
_FIT = {"restarts": RESTARTS, "max_iter": 3000, "device": DEVICE, "progress": False}


def fit_vicreg(X: torch.Tensor, G: torch.Tensor, k: int, *, alpha: float, beta: float,
               gamma: float, seed: int, rho: float | None = None) -> FitResult:
    """Certified linear VICReg optimum (min-norm subgradient <= 1e-8 / 100)."""
    objective = vicreg_objective(G, alpha=alpha, beta=beta, gamma=gamma)
    return fit_linear(objective, X, k, seed=seed, rho=rho, **_FIT).require_converged()


def fit_bt(X: torch.Tensor, G: torch.Tensor, k: int, *, alpha: float, seed: int) -> FitResult:
    """Certified linear BarlowTwins optimum (paper's loss over all ordered edges, eps 1e-6)."""
    return fit_linear(lambda Z: barlow_twins_loss_from_relation(Z, G, alpha=alpha), X, k,
                      seed=seed, **_FIT).require_converged()


def spectral_contrastive_loss(Z: torch.Tensor, G: torch.Tensor) -> torch.Tensor:
    """-2 tr(Z^T G Z) + ||Z^T Z||_F^2, BL22-C4d's relaxation (its support module's formula)."""
    return _spectral_loss(Z, G)


def fit_spectral(X: torch.Tensor, G: torch.Tensor, k: int, *, seed: int) -> FitResult:
    """Certified linear optimum of the spectral contrastive relaxation."""
    return fit_linear(lambda Z: _spectral_loss(Z, G), X, k, seed=seed,
                      **_FIT).require_converged()


# -------------------------------------------------------------------------------------------
# Comparison and figures
# -------------------------------------------------------------------------------------------


def cross_correlation(Z: torch.Tensor, G: torch.Tensor) -> torch.Tensor:
    """The paper's BarlowTwins C (K, K) of Z over every ordered edge of G (eps-free)."""
    rows, cols = positive_pairs(G)
    return F.normalize(Z[rows], dim=0).T @ F.normalize(Z[cols], dim=0)


def span_angle(A: torch.Tensor, B: torch.Tensor) -> float:
    """Largest principal angle (rad) between the column spans of A and B (equal ranks)."""
    return float(principal_angles(A, B).max())


def relative_gap(values: torch.Tensor, k: int) -> float:
    """|v_K - v_{K+1}| / max |v|: the eigengap at the cut, relative to the spectral scale."""
    if k >= values.numel():
        return math.inf
    return float((values[k - 1] - values[k]).abs() / values.abs().max())


def draw_angle_vs_gap(trials, fig, *, tolerance: float, title: str) -> None:
    """Largest principal angle of each trial against the (relative) eigengap at the cut."""
    ax = fig.add_subplot()
    pts = [(t.measurement.extra["eigengap"], max(t.measurement.extra["angle"], 1e-17))
           for t in trials]
    ax.scatter(*zip(*pts, strict=True), s=14)
    ax.axhline(tolerance, color="k", ls="--", lw=1, label="tolerance")
    ax.set(xscale="log", yscale="log", xlabel="relative eigengap at the cut",
           ylabel="largest principal angle (rad)", title=title)
    ax.legend()
