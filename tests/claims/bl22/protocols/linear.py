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

Also: the trial data (:func:`graph_data` for any relation of ``tests/claims/graphs.py``,
:func:`views_data`, :func:`irregular_data`), VICReg's closed-form regime in the pencil's
coordinates (:func:`vicreg_regime`), the certified fits (:func:`fit_vicreg`, :func:`fit_bt`,
:func:`fit_spectral`, each with its curvature certificate modulo the loss's symmetries) and the
angle-against-eigengap figure (:func:`draw_angle_vs_gap`). Data are drawn on CPU from ``seed``
and moved to ``device``; fits run on X's device.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from derivations.base import lambdify_torch
from derivations.bl22 import vicreg_closed_form as c2
from tests.claims.bl22.protocols import barlow_twins as bt
from tests.claims.bl22.protocols.settings import GAP_RTOL, GRAD_TOL
from tests.claims.runtime import generator
from torch_impl.fit import FitResult, HingeObjective, fit_linear, vicreg_objective
from torch_impl.fit.symmetries import right_rotations
from torch_impl.losses import (
    barlow_twins_loss_from_relation,
    simclr_loss,
    spectral_contrastive_loss,
)
from torch_impl.relations import (
    as_relation,
    class_relation,
    component_indicators,
    degree,
    knn_relation,
    laplacian,
    views_relation,
)
from torch_impl.spectral import EigenResult, generalized_eigh

__all__ = [
    "DTYPE",
    "RESTARTS",
    "graph_data",
    "views_data",
    "irregular_data",
    "vicreg_pencil",
    "lpp_pencil",
    "bt_pencil",
    "spectral_pencil",
    "cut_span",
    "VicregRegime",
    "vicreg_regime",
    "vicreg_map",
    "fit_vicreg",
    "fit_bt",
    "fit_spectral",
    "fit_cosine_infonce",
    "draw_angle_vs_gap",
]

DTYPE = torch.float64
RESTARTS = 2
"""Seeded restarts of every fit (the best certified one is kept)."""

_MAX_ITER = 3000
# fit_cosine_infonce: a descent that certifies does so within ~100 iterations (development);
# one that does not is reported unconverged, so a long budget only costs time.
_DESCENT_MAX_ITER = 500
_column_std = c2.column_std_torch()
_pair_threshold = c2.pair_beta_threshold_torch()
_invariance_factor = lambdify_torch(c2.INVARIANCE_FACTOR, (c2.GAMMA, c2.N))


def graph_data(seed: int, G: torch.Tensor, dim: int, *, shift: float = 0.0, invariant: int = 0,
               device: torch.device | str) -> torch.Tensor:
    """Features X (N, D) for any relation G: smooth along G's edges, less so feature by feature.

    Base points b ~ N(0, diag(s)^2), s decreasing from 1.5 to 0.7, averaged over each node and
    its neighbours (P b, P = (I + D^{-1} G) / 2: a feature varies less along edges than across
    the graph), plus noise e ~ N(0, diag(sigma)^2), sigma increasing from 0.3 to 1.2, so that
    the pencils' eigenvalues are distinct. Draw order: b, e, then the invariant features.

    Parameters
    ----------
    seed : int
    G : torch.Tensor of shape (N, N)
        Relation without isolated nodes (drawn on CPU whatever its device).
    dim : int
        D features.
    shift : float, default=0.0
        Common mean added to every feature (X is then not centred).
    invariant : int, default=0
        The first ``invariant`` features are replaced by N(0, 1) values constant on each
        connected component of G (at most the number of components c): exactly these
        directions have zero Dirichlet energy, so the BarlowTwins pencil (X^T G X, X^T D X) has
        the eigenvalue 1 with multiplicity ``invariant`` (BL22-C6-linear-ci).
    device : torch.device or str

    Returns
    -------
    torch.Tensor of shape (N, D), float64
    """
    G = G.detach().to("cpu", DTYPE)
    n = G.shape[0]
    g = generator(seed)
    scale = torch.linspace(1.5, 0.7, dim, dtype=DTYPE)
    noise = torch.linspace(0.3, 1.2, dim, dtype=DTYPE)
    base = torch.randn(n, dim, generator=g, dtype=DTYPE) * scale
    smooth = (base + (G @ base) / degree(G)[:, None]) / 2
    X = smooth + noise * torch.randn(n, dim, generator=g, dtype=DTYPE)
    if invariant:
        E = component_indicators(G).to(DTYPE)
        if invariant > E.shape[1]:
            raise ValueError(f"invariant must be at most the number of components "
                             f"{E.shape[1]}, got {invariant}")
        X[:, :invariant] = E @ torch.randn(E.shape[1], invariant, generator=g, dtype=DTYPE)
    return (X + shift).to(device)


def views_data(seed: int, n_orig: int, dim: int, *, shift: float = 0.0,
               device: torch.device | str) -> tuple[torch.Tensor, torch.Tensor]:
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
    device : torch.device or str

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


def _class_sizes(n: int) -> tuple[int, ...]:
    """Sizes 2, 3, 4, ... while they fit in n, the last one taking the rest (sum n)."""
    sizes, total = [], 0
    while total + len(sizes) + 2 <= n:
        sizes.append(len(sizes) + 2)
        total += sizes[-1]
    sizes[-1] += n - total
    return tuple(sizes)


def irregular_data(seed: int, kind: str, n: int, dim: int, *,
                   device: torch.device | str) -> tuple[torch.Tensor, torch.Tensor]:
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
    device : torch.device or str

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


def cut_span(pencil: EigenResult, k: int, *, gap_rtol: float = GAP_RTOL) -> torch.Tensor:
    """The eigenvectors a K-dimensional optimum's span must lie in: the first K, and any later
    one in the eigenvalue cluster straddling the cut.

    Where lambda_{K+1} = lambda_K (to ``gap_rtol * max |lambda|``; symmetric graphs such as the
    complete bipartite K_{3,3} give such clusters for every X) the K-dimensional span is not
    determined, only its containment in the cluster's span; elsewhere this is V_K itself.

    Parameters
    ----------
    pencil : EigenResult
        Every generalized eigenpair of a pencil, in the order the optimum selects them.
    k : int
        K.
    gap_rtol : float, default=settings.GAP_RTOL

    Returns
    -------
    torch.Tensor of shape (D, m), m >= K
    """
    values = pencil.values
    scale = float(values.abs().max())
    tied = (values[k:] - values[k - 1]).abs() <= gap_rtol * scale
    extra = int(tied.cumprod(dim=0).sum()) if tied.numel() else 0
    return pencil.vectors[:, : k + extra]


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


def vicreg_map(vectors: torch.Tensor, regime: VicregRegime, n: int) -> torch.Tensor:
    """The closed-form linear VICReg map W = sqrt(N - 1) V_K diag(t) (BL22-C3), shape (D, K).

    A column z = sqrt(N-1) t X v with v^T X^T H X v = 1 has variance t^2 (derivation
    vicreg_column_reduction), so Z = X W has the predicted column stds ``regime.stds``.

    Parameters
    ----------
    vectors : torch.Tensor of shape (D, K)
        The K smallest generalized eigenvectors of :func:`vicreg_pencil`, X^T H X-orthonormal.
    regime : VicregRegime
        Its ``stds`` (K,).
    n : int
        N samples.

    Returns
    -------
    torch.Tensor of shape (D, K)
    """
    return (n - 1) ** 0.5 * vectors * regime.stds.to(vectors)


def _fit(loss: Callable[[torch.Tensor], torch.Tensor] | HingeObjective, X: torch.Tensor, k: int,
         *, seed: int, grad_tol: float, rho: float | None = None,
         symmetries: Callable[[torch.Tensor], torch.Tensor] | None = None,
         inits: Sequence[torch.Tensor] = ()) -> FitResult:
    # Every linear fit: RESTARTS seeded restarts (candidate starts first, perturbed by 1e-3 so
    # a saddle is left), max_iter 3000, certified with fit's margin (a restart that stalls is
    # polished, then continued once by a fresh optimiser), and its curvature certificate taken
    # modulo the loss's symmetries in Z (pulled back to W by fit).
    return fit_linear(loss, X, k, seed=seed, rho=rho, restarts=RESTARTS, max_iter=_MAX_ITER,
                      grad_tol=grad_tol, symmetries=symmetries, inits=list(inits) or None,
                      init_noise=1e-3 if inits else 0.0, device=X.device,
                      progress=False).require_converged()


def fit_vicreg(X: torch.Tensor, G: torch.Tensor, k: int, *, alpha: float, beta: float,
               gamma: float, seed: int, rho: float | None = None,
               grad_tol: float = GRAD_TOL, inits: Sequence[torch.Tensor] = ()) -> FitResult:
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
    inits : sequence of torch.Tensor of shape (D, K), default=()
        Candidate starts (e.g. :func:`vicreg_map`); the other restarts are random. Why: the
        variance floor (hinge flat below C_kk = 1e-6) makes the collapsed W = 0 a strict
        local minimum, which random starts fall into when alpha is small; the best restart
        is kept, so a candidate that is not the global minimum still loses.

    Returns
    -------
    FitResult
        ``w`` (D, K), ``z`` = X W (N, K).
    """
    objective = vicreg_objective(G, alpha=alpha, beta=beta, gamma=gamma)
    return _fit(objective, X, k, seed=seed, grad_tol=grad_tol, rho=rho, inits=inits)


def fit_bt(X: torch.Tensor, G: torch.Tensor, k: int, *, alpha: float, seed: int,
           grad_tol: float = GRAD_TOL, fix_scales: bool = False) -> FitResult:
    """Certified linear BarlowTwins optimum (BL22 Sec. 2.4 loss of Z = X W).

    :func:`torch_impl.losses.barlow_twins_loss_from_relation` (every ordered edge of G, column
    normalisation eps 1e-6, off-diagonal weight ``alpha``), gradient certificate ``grad_tol``,
    curvature modulo column scalings.

    Parameters
    ----------
    X : torch.Tensor of shape (N, D)
    G : torch.Tensor of shape (N, N)
    k : int
    alpha : float
    seed : int
    grad_tol : float, default=settings.GRAD_TOL
    fix_scales : bool, default=False
        Add the gauge sum_k (||z_k||^2 / N - 1)^2, which fixes the column scales (a symmetry of
        the loss) and vanishes with its gradient at ||z_k||^2 = N, so a certified point of the
        sum is one of the loss with the same value. Without it L-BFGS may inflate a column
        until the restart leaves the iterate bound (development: BL22-C6-linear-ci, sbm graph,
        K = 1, "diverged"). Off by default: BL22-K2's pre-registered fits stay as they were.

    Returns
    -------
    FitResult
    """
    rel = as_relation(G)
    loss_of = barlow_twins_loss_from_relation.unchecked

    def loss(Z: torch.Tensor) -> torch.Tensor:
        value = loss_of(Z, rel, alpha=alpha)
        if fix_scales:
            value = value + (Z.square().sum(dim=0) / Z.shape[0] - 1).square().sum()
        return value

    return _fit(loss, X, k, seed=seed, grad_tol=grad_tol, symmetries=bt.column_scalings)


def fit_spectral(X: torch.Tensor, G: torch.Tensor, k: int, *, seed: int,
                 grad_tol: float = GRAD_TOL) -> FitResult:
    """Certified linear optimum of the spectral contrastive relaxation (BL22-C4d's loss).

    -2 tr(Z^T G Z) + ||Z^T Z||_F^2 of Z = X W
    (:func:`torch_impl.losses.spectral_contrastive_loss`), gradient certificate ``grad_tol``,
    curvature modulo rotations Z -> Z R (the loss depends on Z Z^T only).

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
    return _fit(lambda Z: loss_of(Z, rel), X, k, seed=seed, grad_tol=grad_tol,
                symmetries=right_rotations)


def fit_cosine_infonce(X: torch.Tensor, G: torch.Tensor, k: int, *, tau: float, seed: int,
                       start: torch.Tensor, grad_tol: float = GRAD_TOL) -> FitResult:
    """A certified stationary point of BL22's cosine InfoNCE of Z = X W, descending from ``start``.

    L_simCLR(X W; G, tau) (:func:`torch_impl.losses.simclr_loss`) is invariant under W -> c W
    (c > 0) and W -> W R; the objective adds the gauge (||X W||_F^2 / N - 1)^2, which fixes the
    scale and vanishes with its gradient at mean squared row norm 1, so a certified point of
    the sum there is one of L_simCLR with the same loss. One start: ``start`` rescaled to the
    gauge and perturbed by 1e-3 (BL22-C4-linear-infonce descends from the best W on the MDS
    span, which is not stationary); curvature modulo rotations.

    Parameters
    ----------
    X : torch.Tensor of shape (N, D)
    G : torch.Tensor of shape (N, N)
    k : int
    tau : float
    seed : int
        Seeds the perturbation.
    start : torch.Tensor of shape (D, K)
    grad_tol : float, default=settings.GRAD_TOL

    Returns
    -------
    FitResult
        ``w`` (D, K) with ||X W||_F^2 = N up to the certificate; converged or not (check
        ``converged``: a descent that does not certify is reported, not raised, because the
        claim then falls back on its other measure).
    """
    rel = as_relation(G)
    loss_of = simclr_loss.unchecked

    def loss(Z: torch.Tensor) -> torch.Tensor:
        return loss_of(Z, rel, tau=tau) + (Z.square().sum() / Z.shape[0] - 1).square()

    start = start / ((X @ start).square().sum() / X.shape[0]).sqrt()
    return fit_linear(loss, X, k, seed=seed, inits=[start], init_noise=1e-3, restarts=1,
                      max_iter=_DESCENT_MAX_ITER, grad_tol=grad_tol, symmetries=right_rotations,
                      device=X.device, progress=False)


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
