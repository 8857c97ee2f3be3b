"""BL22 linear-regime protocols (Z = X W; BL22-C3, C4-linear, C6-linear).

Every claim of this family trains Z = X W (:func:`torch_impl.fit.fit_linear`, float64, seeded
restarts, certificate ``grad_tol``, ``settings.GRAD_TOL`` by default) and compares span(X W*)
with the span X V_K of the K selected generalized eigenvectors of the method's pencil
(:func:`torch_impl.spectral.generalized_eigh`):

* VICReg: (X^T L X, X^T H X), K smallest (:func:`vicreg_pencil`, BL22-C3);
* LPP: (X^T L X, X^T D_G X), K smallest (:func:`lpp_pencil`, He & Niyogi 2003);
* BarlowTwins: (X^T G X, X^T D_G X), K largest (:func:`bt_pencil`, BL22-C6);
* spectral contrastive relaxation of SimCLR: (X^T G X, X^T X), K largest
  (:func:`spectral_pencil`, BL22-C4).

Also: the trial data (:func:`views_data`, :func:`invariant_views_data`,
:func:`irregular_data`), VICReg's closed-form regime in the pencil's coordinates
(:func:`vicreg_regime`), the certified fits (:func:`fit_vicreg`, :func:`fit_bt`,
:func:`fit_spectral`) and the angle-against-eigengap figure (:func:`draw_angle_vs_gap`).
Data are drawn on CPU from ``seed`` and moved to ``device``; fits run on X's device.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from derivations.base import lambdify_torch
from derivations.bl22 import vicreg_closed_form as c2
from tests.claims.bl22.protocols.settings import GRAD_TOL
from tests.claims.runtime import generator
from torch_impl.fit import FitResult, HingeObjective, fit_linear, vicreg_objective
from torch_impl.losses import barlow_twins_loss_from_relation, spectral_contrastive_loss
from torch_impl.relations import (
    as_relation,
    class_relation,
    degree,
    knn_relation,
    laplacian,
    views_relation,
)
from torch_impl.spectral import EigenResult, generalized_eigh

__all__ = [
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
    "draw_angle_vs_gap",
]

DTYPE = torch.float64
RESTARTS = 2
"""Seeded restarts of every fit (the best certified one is kept)."""

_MAX_ITER = 3000
_column_std = c2.column_std_torch()
_pair_threshold = c2.pair_beta_threshold_torch()
_invariance_factor = lambdify_torch(c2.INVARIANCE_FACTOR, (c2.GAMMA, c2.N))


def views_data(seed: int, n_orig: int, dim: int, *, shift: float = 0.0,
               device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """Two noisy views of ``n_orig`` base points and their views graph.

    Base points x ~ N(0, diag(s)^2), s decreasing from 1.5 to 0.7; view v = x + e_v with
    e_v ~ N(0, diag(sigma)^2), sigma increasing from 0.3 to 1.2 (feature j is less
    view-invariant the larger j), so the pencils' eigenvalues are distinct. Draw order: base,
    then the noise of view 1, then of view 2.

    Parameters
    ----------
    seed : int
    n_orig : int
        N' base points.
    dim : int
        D features.
    shift : float, default=0.0
        Common mean added to the base points (X is then not centred).
    device : torch.device or str, default="cpu"

    Returns
    -------
    X : torch.Tensor of shape (2 N', D)
        View 1's rows, then view 2's.
    G : torch.Tensor of shape (2 N', 2 N')
        ``views_relation(N', 2)``.
    """
    g = generator(seed)
    scale = torch.linspace(1.5, 0.7, dim, dtype=DTYPE)
    noise = torch.linspace(0.3, 1.2, dim, dtype=DTYPE)
    base = torch.randn(n_orig, dim, generator=g, dtype=DTYPE) * scale + shift
    views = [base + noise * torch.randn(n_orig, dim, generator=g, dtype=DTYPE) for _ in range(2)]
    return torch.cat(views).to(device), views_relation(n_orig, 2).to(device, DTYPE)


def invariant_views_data(seed: int, n_orig: int, dim: int, n_invariant: int, *,
                         device: torch.device | str = "cpu"
                         ) -> tuple[torch.Tensor, torch.Tensor]:
    """As :func:`views_data` with the first ``n_invariant`` features identical in both views.

    Those features are constant on every component of the views graph, so the BarlowTwins
    pencil (X^T G X, X^T D X) has the eigenvalue 1 with multiplicity ``n_invariant`` (C = I
    attainable for K <= n_invariant); the others have rho < 1.

    Returns
    -------
    X : torch.Tensor of shape (2 N', D)
    G : torch.Tensor of shape (2 N', 2 N')
    """
    X, G = views_data(seed, n_orig, dim, device=device)
    X[n_orig:, :n_invariant] = X[:n_orig, :n_invariant]
    return X, G


def _class_sizes(n: int) -> tuple[int, ...]:
    """Sizes 2, 3, 4, ... while they fit in n, the last one taking the rest (sum n)."""
    sizes, total = [], 0
    while total + len(sizes) + 2 <= n:
        sizes.append(len(sizes) + 2)
        total += sizes[-1]
    sizes[-1] += n - total
    return tuple(sizes)


def irregular_data(seed: int, kind: str, n: int, dim: int, *,
                   device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """Centred data with an irregular relation (BL22-C3-lpp).

    Parameters
    ----------
    seed : int
    kind : {"knn", "classes"}
        ``"knn"``: symmetrised 3-NN graph of X; ``"classes"``: cliques of sizes 2, 3, ... (the
        last one taking the rest) over samples whose class means differ (an N(0, I) mean per
        class, drawn after the points).
    n : int
        N samples, >= 4.
    dim : int
        D features.
    device : torch.device or str, default="cpu"

    Returns
    -------
    X : torch.Tensor of shape (N, D)
        Points N(0, diag(s)^2), s from 1.5 to 0.7, plus the class means, then centred.
    G : torch.Tensor of shape (N, N)
    """
    g = generator(seed)
    X = torch.randn(n, dim, generator=g, dtype=DTYPE) * torch.linspace(1.5, 0.7, dim, dtype=DTYPE)
    if kind == "knn":
        G = knn_relation(X, 3)
    elif kind == "classes":
        sizes = _class_sizes(n)
        labels = torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes))
        X = X + torch.randn(len(sizes), dim, generator=g, dtype=DTYPE)[labels]
        G = class_relation(sizes)
    else:
        raise ValueError(f"kind must be 'knn' or 'classes', got {kind!r}")
    X = X - X.mean(dim=0)
    return X.to(device), G.to(device, DTYPE)


def _sym(M: torch.Tensor) -> torch.Tensor:
    # The products below are symmetric up to rounding; generalized_eigh wants them exactly so.
    return (M + M.mT) / 2


def vicreg_pencil(X: torch.Tensor, G: torch.Tensor, k: int | None = None) -> EigenResult:
    """K smallest generalized eigenpairs of (X^T L X, X^T H X) (BL22-C3).

    Parameters
    ----------
    X : torch.Tensor of shape (N, D)
    G : torch.Tensor of shape (N, N)
    k : int, optional
        Number of eigenpairs (all D by default).

    Returns
    -------
    EigenResult
        Values ascending, vectors (D, K) X^T H X-orthonormal.
    """
    Xc = X - X.mean(dim=0)
    return generalized_eigh(_sym(X.mT @ laplacian(G) @ X), _sym(Xc.mT @ Xc), n_components=k)


def lpp_pencil(X: torch.Tensor, G: torch.Tensor, k: int) -> EigenResult:
    """K smallest generalized eigenpairs of (X^T L X, X^T D_G X) (He & Niyogi's LPP).

    Parameters
    ----------
    X : torch.Tensor of shape (N, D)
    G : torch.Tensor of shape (N, N)
    k : int

    Returns
    -------
    EigenResult
        Values ascending, vectors (D, K).
    """
    return generalized_eigh(_sym(X.mT @ laplacian(G) @ X), _sym(X.mT @ (degree(G)[:, None] * X)),
                            n_components=k)


def bt_pencil(X: torch.Tensor, G: torch.Tensor, k: int | None = None) -> EigenResult:
    """K largest generalized eigenpairs of (X^T G X, X^T D_G X) (BL22-C6, linear).

    Parameters
    ----------
    X : torch.Tensor of shape (N, D)
    G : torch.Tensor of shape (N, N)
    k : int, optional
        Number of eigenpairs (all D by default).

    Returns
    -------
    EigenResult
        Values descending (rho, the correlation along an edge), vectors (D, K).
    """
    return generalized_eigh(_sym(X.mT @ G @ X), _sym(X.mT @ (degree(G)[:, None] * X)),
                            n_components=k, largest=True)


def spectral_pencil(X: torch.Tensor, G: torch.Tensor, k: int | None = None) -> EigenResult:
    """K largest generalized eigenpairs of (X^T G X, X^T X) (BL22-C4's relaxation, linear).

    Parameters
    ----------
    X : torch.Tensor of shape (N, D)
    G : torch.Tensor of shape (N, N)
    k : int, optional
        Number of eigenpairs (all D by default).

    Returns
    -------
    EigenResult
        Values descending (mu), vectors (D, K) X^T X-orthonormal.
    """
    return generalized_eigh(_sym(X.mT @ G @ X), _sym(X.mT @ X), n_components=k, largest=True)


@dataclass(frozen=True)
class VicregRegime:
    """Weights placing linear VICReg in its closed-form regime, and the predicted stds.

    Attributes
    ----------
    alpha, beta, gamma : float
        VICReg's variance, covariance and invariance weights.
    stds : torch.Tensor of shape (K,)
        t_k = COLUMN_STD(rho_k) (BL22-C2 with lambda -> rho), the predicted column stds.
    beta_threshold : float
        max_{k<j} beta*_kj (BL22-C2's PAIR_BETA_THRESHOLD) over pairs with t_k > t_j (0 if
        none).
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
    beta_factor * max(1, max pair threshold).

    Parameters
    ----------
    rho : torch.Tensor of shape (K,)
        The K smallest generalized eigenvalues of the VICReg pencil, ascending.
    n : int
        N samples.
    fraction, gamma, beta_factor : float
    anchor : float, optional
        Replaces rho_2 (e.g. the smallest positive eigenvalue when several are 0: those columns
        share t = 1 and cannot form a saddle).

    Returns
    -------
    VicregRegime
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


def _fit(loss: Callable[[torch.Tensor], torch.Tensor] | HingeObjective, X: torch.Tensor, k: int,
         *, seed: int, grad_tol: float, rho: float | None = None) -> FitResult:
    # Every linear fit: RESTARTS seeded restarts, max_iter 3000, certified with fit's margin (a
    # restart that stalls is polished, then continued once by a fresh optimiser).
    return fit_linear(loss, X, k, seed=seed, rho=rho, restarts=RESTARTS, max_iter=_MAX_ITER,
                      grad_tol=grad_tol, device=X.device, progress=False).require_converged()


def fit_vicreg(X: torch.Tensor, G: torch.Tensor, k: int, *, alpha: float, beta: float,
               gamma: float, seed: int, rho: float | None = None,
               grad_tol: float = GRAD_TOL) -> FitResult:
    """Certified linear VICReg optimum (BL22 Sec. 2.2 loss of Z = X W).

    :func:`torch_impl.fit.vicreg_objective` (hinge on sqrt(C_kk)), min-norm-subgradient
    certificate ``grad_tol`` (by fit's margin, 100x below).

    Parameters
    ----------
    X : torch.Tensor of shape (N, D)
    G : torch.Tensor of shape (N, N)
    k : int
    alpha, beta, gamma : float
        Variance, covariance, invariance weights.
    seed : int
    rho : float, optional
        The augmented Lagrangian's penalty (fit's default when None).
    grad_tol : float, default=settings.GRAD_TOL

    Returns
    -------
    FitResult
        ``w`` (D, K), ``z`` = X W (N, K).
    """
    objective = vicreg_objective(G, alpha=alpha, beta=beta, gamma=gamma)
    return _fit(objective, X, k, seed=seed, grad_tol=grad_tol, rho=rho)


def fit_bt(X: torch.Tensor, G: torch.Tensor, k: int, *, alpha: float, seed: int,
           grad_tol: float = GRAD_TOL) -> FitResult:
    """Certified linear BarlowTwins optimum (BL22 Sec. 2.4 loss of Z = X W).

    :func:`torch_impl.losses.barlow_twins_loss_from_relation` (every ordered edge of G, column
    normalisation eps 1e-6, off-diagonal weight ``alpha``), gradient certificate ``grad_tol``.

    Parameters
    ----------
    X : torch.Tensor of shape (N, D)
    G : torch.Tensor of shape (N, N)
    k : int
    alpha : float
    seed : int
    grad_tol : float, default=settings.GRAD_TOL

    Returns
    -------
    FitResult
    """
    rel = as_relation(G)
    loss_of = barlow_twins_loss_from_relation.unchecked
    return _fit(lambda Z: loss_of(Z, rel, alpha=alpha), X, k, seed=seed, grad_tol=grad_tol)


def fit_spectral(X: torch.Tensor, G: torch.Tensor, k: int, *, seed: int,
                 grad_tol: float = GRAD_TOL) -> FitResult:
    """Certified linear optimum of the spectral contrastive relaxation (BL22-C4d's loss).

    -2 tr(Z^T G Z) + ||Z^T Z||_F^2 of Z = X W
    (:func:`torch_impl.losses.spectral_contrastive_loss`), gradient certificate ``grad_tol``.

    Parameters
    ----------
    X : torch.Tensor of shape (N, D)
    G : torch.Tensor of shape (N, N)
    k : int
    seed : int
    grad_tol : float, default=settings.GRAD_TOL

    Returns
    -------
    FitResult
    """
    rel = as_relation(G)
    loss_of = spectral_contrastive_loss.unchecked
    return _fit(lambda Z: loss_of(Z, rel), X, k, seed=seed, grad_tol=grad_tol)


def draw_angle_vs_gap(fig, eigengaps: Sequence[float], angles: Sequence[float], *,
                      tolerance: float, title: str) -> None:
    """Scatter each trial's largest principal angle against its relative eigengap at the cut.

    Log-log axes; angles below 1e-17 are drawn at 1e-17 (exact zeros have no logarithm).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    eigengaps, angles : sequence of float
        One per trial, same length.
    tolerance : float
        Drawn as a dashed horizontal line.
    title : str
    """
    ax = fig.add_subplot()
    ax.scatter(list(eigengaps), [max(a, 1e-17) for a in angles], s=14)
    ax.axhline(tolerance, color="k", ls="--", lw=1, label="tolerance")
    ax.set(xscale="log", yscale="log", xlabel="relative eigengap at the cut",
           ylabel="largest principal angle (rad)", title=title)
    ax.legend()
