"""VICReg's free-Z optima in closed form: test graphs, predictions, training, comparison.

The protocols of the BL22-C2 family (and of BL22-K3a's rank prediction). Conventions
(docs/catalogue/BL22.md#notation, #bl22-c2): BL22's VICReg (Sec. 2.2) with alpha = variance,
beta = covariance, gamma = invariance weight; Cov centred with 1/(N-1); c = 2 gamma (N-1)/N is
the invariance factor of a column (per-column loss f(t) = alpha (1 - t) + c lambda t^2). Every
closed form is lambdified from :mod:`derivations.bl22.vicreg_closed_form`; this module only
picks eigenvalues and active sets, trains, and compares.

Two regimes have a closed form (see the derivation module):

* decoupled (the paper's form, BL22-C2): Cov(Z*) = diag(t_k^2), t_k = min(1, alpha N /
  (4 gamma lambda_k (N-1))); the optimum iff beta >= beta* (pairwise threshold,
  :func:`decoupled`);
* hinge (the audit's, BL22-C2-hinge): every Cov_kk = 1, Gram spectrum mu = the projection of
  1 - c lambda / (2 beta) onto {mu >= 0, sum mu = K}; the optimum iff its multiplier
  nu <= alpha / 2 (:func:`coupled`).

The reference codebases' two-branch VICReg (official / lightly / solo,
docs/catalogue/BL22.md#codebase-conventions) has its own optimum, view-invariant with rank
min(K, N' - 1) (:func:`convention_errors`).

Offers: the test graphs (:data:`GRAPHS`, :func:`graph`), the spectrum the closed forms use
(:func:`laplacian_spectrum`), the predictions (:func:`decoupled`, :func:`coupled`,
:func:`embedding`, :func:`predicted_rank`, :func:`pair_hessian`), the certificates of a
given point without training (:func:`point_certificate`, :func:`descent_along`), certified
training (:func:`train`, :func:`train_convention`, :func:`phase_cell`) and the errors of a trained
optimum against a prediction (:func:`decoupled_errors`, :func:`hinge_errors`,
:func:`convention_errors`).
"""

from __future__ import annotations

import contextlib
import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sympy as sp
import torch

from derivations.bl22.vicreg_closed_form import (
    column_loss_torch,
    column_std_torch,
    convention_derivation,
    coupled_torch,
    pair_beta_threshold_torch,
    pair_hessian_derivation,
)
from tests.claims import graphs
from tests.claims.bl22.protocols.settings import CLUSTER_TOL, GRAD_TOL, RANK_RTOL
from tests.claims.runtime import single_thread
from torch_impl.fit import (
    Curvature,
    FitResult,
    fit_free,
    optimality_certificate,
    vicreg_convention_objective,
    vicreg_objective,
)
from torch_impl.fit.curvature import along, measure
from torch_impl.losses import (
    branches_from_views,
    vicreg_convention_hinge_weight,
    vicreg_loss,
    vicreg_loss_convention,
)

# The codebases' eps inside sqrt(Var + eps), defined once in the library; the prediction of the
# convention optimum (Var = 1 - eps on the kink) needs its value, which no public name exposes.
from torch_impl.losses.conventions import VICREG_STD_EPS as CONVENTION_STD_EPS
from torch_impl.metrics import containment_angle, rank_report, relative_difference
from torch_impl.relations import Relation, as_relation, laplacian, path_relation, views_relation

__all__ = [
    "ALPHA",
    "CUSTOMARY",
    "GRAPHS",
    "graph",
    "Spectrum",
    "laplacian_spectrum",
    "invariance_factor",
    "Decoupled",
    "decoupled",
    "decoupled_regime_gamma",
    "decoupled_regime_weights",
    "Coupled",
    "coupled",
    "hinge_regime_gamma",
    "unit_diagonal_rotation",
    "embedding",
    "collapsed_start",
    "drawn_problem",
    "regime",
    "closed_form_start",
    "predicted_rank",
    "pair_hessian",
    "pair_tilt_loss",
    "small_problem_threads",
    "PointCertificate",
    "point_certificate",
    "Descent",
    "descent_along",
    "Training",
    "train",
    "centred_spectrum",
    "rank",
    "span_angle",
    "DecoupledErrors",
    "decoupled_errors",
    "HingeErrors",
    "hinge_errors",
    "PhaseCell",
    "phase_cell",
    "branch_scale",
    "convention_check",
    "convention_cov",
    "train_convention",
    "ConventionErrors",
    "convention_errors",
]

ALPHA = 25.0
"""VICReg's customary variance weight (official std_coeff = 25), fixed across the family."""
CUSTOMARY = {"alpha": 25.0, "beta": 1.0, "gamma": 25.0}
"""VICReg's customary weights in BL22's naming (official sim/std/cov = 25/25/1)."""

# Fits up to this many parameters (N K) run on one thread (thread hand-offs dominate there);
# larger ones (the scale profile) keep torch's threads.
_SINGLE_THREAD_MAX = 4096

# hinge_regime_gamma's largest answer.
_GAMMA_SEARCH_MAX = 1e4

# An iteration budget every fit of the family has met with margin (the most seen: ~800).
_MAX_ITER = 3000

# Lanczos vectors for a point's curvature above the dense limit (the fits' default).
_LANCZOS_STEPS = 200
# descent_along's steps: ||Z||_F 2^-j, j = 1.._DESCENT_HALVINGS (down to ~1e-12 ||Z||_F).
_DESCENT_HALVINGS = 40

_column_std = column_std_torch()
_column_loss = column_loss_torch()
_pair_threshold = pair_beta_threshold_torch()
_coupled_mu, _coupled_nu = coupled_torch()
_pair_hessian = pair_hessian_derivation().closed_form_torch()


# -- test graphs -------------------------------------------------------------------------------
GRAPHS: dict[str, tuple[Callable[[], torch.Tensor], int]] = {
    # views graph, N' = 4 originals, V = 2 (N = 8): lambda = 0 (3 directions orthogonal to 1)
    # and lambda = V = 2 (4 directions); K = 5 > N' - 1 puts two columns on lambda = V.
    "views4": (lambda: views_relation(4, 2), 5),
    # path graph N = 8: one component, distinct eigenvalues 0.152, 0.586, 1.235, ...
    "path8": (lambda: path_relation(8), 3),
}
"""name -> (relation builder, K). Small on purpose: each trial trains a model."""


def graph(name: str) -> tuple[torch.Tensor, int]:
    """The relation and embedding dimension of a named test graph.

    Parameters
    ----------
    name : {"views4", "path8"}
        A key of :data:`GRAPHS`.

    Returns
    -------
    G : torch.Tensor of shape (N, N), float64
    k : int
        K, the number of columns of Z.
    """
    if name not in GRAPHS:
        raise ValueError(f"name must be one of {sorted(GRAPHS)}, got {name!r}")
    build, k = GRAPHS[name]
    return build(), k


# -- spectrum ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Spectrum:
    """The Laplacian eigen-structure the closed forms use.

    Attributes
    ----------
    lam : torch.Tensor of shape (K,)
        The K smallest eigenvalues of L on the complement of 1, ascending (clamped at 0).
    basis : torch.Tensor of shape (N, K)
        Unit eigenvectors u_1..u_K of those eigenvalues, orthogonal to 1.
    used_space : torch.Tensor of shape (N, p)
        Orthonormal basis of every eigenvector (orthogonal to 1) whose eigenvalue is in the
        clusters of lam (p >= K): the span the optimum must lie in.
    used_lam : torch.Tensor of shape (p,)
        The eigenvalue of each column of ``used_space``.
    eigengap : float
        Distance from the largest used eigenvalue to the next eigenvalue (inf if none).
    n_components : int
        Multiplicity of the eigenvalue 0 (connected components of G).
    """

    lam: torch.Tensor
    basis: torch.Tensor
    used_space: torch.Tensor
    used_lam: torch.Tensor
    eigengap: float
    n_components: int


def laplacian_spectrum(G: torch.Tensor | Relation, k: int) -> Spectrum:
    """Eigen-structure of L = D - G on the complement of the constant vector.

    Eigenvalues within ``CLUSTER_TOL`` of the K-th are one cluster (``used_space``).

    Parameters
    ----------
    G : torch.Tensor of shape (N, N) or Relation
        Relation matrix, float64.
    k : int
        K, 1 <= K <= N - 1.

    Returns
    -------
    Spectrum
    """
    L = laplacian(G)
    n = L.shape[0]
    if not 1 <= k <= n - 1:
        raise ValueError(f"k must be in [1, N - 1] = [1, {n - 1}], got {k}")
    ones = torch.ones(n, 1, dtype=L.dtype) / math.sqrt(n)
    # Shift the constant eigenvector above the spectrum so that eigh returns the others first.
    shift = float(L.diagonal().sum()) + 1.0
    ev, vecs = torch.linalg.eigh(L + shift * ones @ ones.T)
    ev, vecs = ev[: n - 1], vecs[:, : n - 1]
    lam = ev[:k].clamp_min(0.0)
    in_cluster = ev <= ev[k - 1] + CLUSTER_TOL
    rest = ev[~in_cluster]
    eigengap = float(rest[0] - ev[k - 1]) if rest.numel() else math.inf
    # The constant's eigenvalue 0 was shifted away: the other zeros are the components but one.
    n_components = int((ev <= CLUSTER_TOL).sum()) + 1
    return Spectrum(lam, vecs[:, :k], vecs[:, in_cluster], ev[in_cluster], eigengap,
                    n_components)


def invariance_factor(gamma: float, n: int) -> float:
    """The invariance factor of a column, c = 2 gamma (N-1)/N (BL22 Sec. 2.2 with Cov 1/(N-1))."""
    return 2.0 * gamma * (n - 1) / n


def _f64(*values: object) -> tuple[torch.Tensor, ...]:
    return tuple(torch.as_tensor(v, dtype=torch.float64) for v in values)


# -- predictions -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Decoupled:
    """The paper's closed form (decoupled columns).

    Attributes
    ----------
    t : torch.Tensor of shape (K,)
        Per-column std t_k = min(1, alpha N / (4 gamma lambda_k (N-1))).
    loss : float
        sum_k f(t_k), the loss of the closed form.
    beta_star : float
        The threshold beta* above which it is the optimum (inf: no finite beta).
    pair : tuple of int or None
        The columns (k, j) attaining beta* (None when no pair has lambda_k < lambda_j).
    """

    t: torch.Tensor
    loss: float
    beta_star: float
    pair: tuple[int, int] | None


def decoupled(spec: Spectrum, n: int, *, alpha: float, gamma: float) -> Decoupled:
    """t_k, the closed-form loss sum_k f(t_k) and beta* = max over pairs of the pair threshold.

    beta*_kj = c (lambda_j - lambda_k) / (2 (t_k^2 - t_j^2)) (``pair_threshold_derivation``).
    beta* is infinite when two columns with different lambda both have t = 1 (the gain of
    correlating them is first order, ``equal_std_pair_derivation``).

    Parameters
    ----------
    spec : Spectrum
        Of the relation, :func:`laplacian_spectrum`.
    n : int
        N, the number of rows of Z.
    alpha, gamma : float
        Variance and invariance weights, > 0.

    Returns
    -------
    Decoupled
    """
    t = _column_std(spec.lam, alpha, gamma, n)
    loss = float(_column_loss(spec.lam, alpha, gamma, n).sum())
    c = invariance_factor(gamma, n)
    beta_star, pair = 0.0, None
    for k, j in itertools.permutations(range(len(t)), 2):
        if spec.lam[j] - spec.lam[k] <= CLUSTER_TOL:
            continue
        a, b = float(t[k] ** 2), float(t[j] ** 2)
        if a - b <= CLUSTER_TOL:
            return Decoupled(t, loss, math.inf, (k, j))
        threshold = float(_pair_threshold(*_f64(c, spec.lam[k], spec.lam[j], a, b)))
        if threshold > beta_star:
            beta_star, pair = threshold, (k, j)
    return Decoupled(t, loss, beta_star, pair)


def decoupled_regime_gamma(spec: Spectrum, n: int, *, alpha: float) -> float:
    """Smallest gamma at which every column beyond the lowest eigenvalue cluster has t < 1.

    gamma = alpha N / (4 lambda_2nd (N-1)), lambda_2nd the smallest used eigenvalue above
    lambda_1: above it at most one eigenvalue level sits on the hinge, so beta* is finite.

    Parameters
    ----------
    spec : Spectrum
        With at least two eigenvalue levels among its K.
    n : int
        N.
    alpha : float
        Variance weight.
    """
    above = spec.lam[spec.lam > spec.lam[0] + CLUSTER_TOL]
    if not above.numel():
        raise ValueError("spec must have two eigenvalue levels among its K eigenvalues")
    return alpha * n / (4 * float(above[0]) * (n - 1))


def decoupled_regime_weights(spec: Spectrum, n: int, *, gamma_factor: float,
                             rho: float) -> tuple[float, float, float]:
    """(alpha, beta, gamma) inside the decoupled form's regime, relative to the spectrum.

    alpha = :data:`ALPHA`; gamma = ``gamma_factor`` times :func:`decoupled_regime_gamma` (at
    most one eigenvalue level of the bottom K on the hinge; ``gamma_factor`` itself when the K
    eigenvalues are one level); beta = ``rho`` beta*(gamma) (``rho`` when beta* = 0: no pair of
    distinct eigenvalues). Drawing (gamma_factor > 1, rho >= 1) draws the regime, whatever the
    graph's spectral scale.

    Parameters
    ----------
    spec : Spectrum
    n : int
        N.
    gamma_factor, rho : float
    """
    levels = bool((spec.lam > spec.lam[0] + CLUSTER_TOL).any())
    gamma = gamma_factor * (decoupled_regime_gamma(spec, n, alpha=ALPHA) if levels else 1.0)
    beta_star = decoupled(spec, n, alpha=ALPHA, gamma=gamma).beta_star
    return ALPHA, rho * beta_star if beta_star > 0 else rho, gamma


@dataclass(frozen=True)
class Coupled:
    """Hinge-regime prediction (``coupled_derivation``).

    Attributes
    ----------
    mu : torch.Tensor of shape (K,)
        Gram spectrum of the optimum's Cov, descending (lambda ascending); sum mu = K.
    nu : float
        The multiplier of sum mu = K; the form is the optimum iff nu <= alpha / 2.
    loss : float
        beta (sum mu^2 - K) + c sum lambda_i mu_i.
    kept : int
        m, the number of columns with mu > 0 (the rank of the optimum).
    """

    mu: torch.Tensor
    nu: float
    loss: float
    kept: int


def coupled(spec: Spectrum, n: int, *, beta: float, gamma: float) -> Coupled:
    """mu = projection of 1 - c lambda/(2 beta) on {mu >= 0, sum mu = K} (``coupled_derivation``).

    The active set is the largest m whose smallest mu is positive (lambda ascending, so mu
    descending).

    Parameters
    ----------
    spec : Spectrum
    n : int
        N.
    beta, gamma : float
        Covariance and invariance weights, beta > 0.

    Returns
    -------
    Coupled
    """
    k = len(spec.lam)
    c = invariance_factor(gamma, n)
    for m in range(k, 0, -1):
        lbar = spec.lam[:m].mean()
        mu_m = _coupled_mu(*_f64(c, spec.lam[:m], lbar, k, m, beta))
        if float(mu_m[-1]) > 0 or m == 1:
            mu = torch.zeros(k, dtype=torch.float64)
            mu[:m] = mu_m
            nu = float(_coupled_nu(*_f64(c, lbar, k, m, beta)))
            loss = beta * float((mu**2).sum() - k) + c * float((spec.lam * mu).sum())
            return Coupled(mu, nu, loss, m)
    raise AssertionError("unreachable: m = 1 always returns")


def hinge_regime_gamma(spec: Spectrum, n: int, *, alpha: float, beta: float) -> float:
    """The largest gamma with nu <= alpha / 2 (:func:`coupled`) at this beta, by bisection.

    nu grows with gamma (c lambda grows, and fewer columns are kept), so every gamma below the
    returned value is inside the hinge regime's stated condition. Capped at ``_GAMMA_SEARCH_MAX``
    (nu stays bounded in gamma when the kept columns all have lambda = 0).

    Parameters
    ----------
    spec : Spectrum
    n : int
        N.
    alpha, beta : float
        Variance and covariance weights.
    """
    lo, hi = 0.0, 1.0
    while coupled(spec, n, beta=beta, gamma=hi).nu <= alpha / 2:
        if hi >= _GAMMA_SEARCH_MAX:
            return _GAMMA_SEARCH_MAX
        lo, hi = hi, 2.0 * hi
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if coupled(spec, n, beta=beta, gamma=mid).nu <= alpha / 2 else (lo, mid)
    return lo


def unit_diagonal_rotation(mu: torch.Tensor) -> torch.Tensor:
    """An orthogonal Q (K, K) with diag(Q diag(mu) Q^T) = 1, for mu (K,) >= 0 with sum mu = K.

    Schur-Horn made constructive with Givens rotations: while some diagonal entry a > 1 and
    another d < 1, rotate their plane by the angle that puts exactly 1 on a's position
    (a cos^2 + d sin^2 + b sin 2theta = 1 has a root in (0, pi/2) by continuity); each
    rotation fixes one entry for good, so at most K - 1 rotations.
    """
    k = mu.numel()
    C = torch.diag(mu.to(torch.float64))
    Q = torch.eye(k, dtype=torch.float64)
    for _ in range(k - 1):
        d = C.diagonal()
        hi, lo = int(torch.argmax(d)), int(torch.argmin(d))
        if float(d[hi] - 1) <= 1e-15 or float(1 - d[lo]) <= 1e-15:
            break
        a, b, e = float(C[hi, hi]), float(C[hi, lo]), float(C[lo, lo])
        radius = math.hypot((a - e) / 2, b)
        phi = math.atan2(b, (a - e) / 2)
        theta = (phi + math.acos(max(-1.0, min(1.0, (1 - (a + e) / 2) / radius)))) / 2
        rot = torch.eye(k, dtype=torch.float64)
        rot[hi, hi] = rot[lo, lo] = math.cos(theta)
        rot[hi, lo], rot[lo, hi] = math.sin(theta), -math.sin(theta)
        C = rot.T @ C @ rot
        Q = Q @ rot
    return Q.T


def embedding(spec: Spectrum, n: int, column_std: torch.Tensor, *,
              unit_diagonal: bool = False) -> torch.Tensor:
    """A predicted optimum Z* = sqrt(N-1) [u_1..u_K] diag(column_std) Q^T, (N, K), mean 0.

    Q = I is the decoupled form (diagonal Cov). For the hinge regime (``unit_diagonal``) Q is
    :func:`unit_diagonal_rotation` of mu = column_std^2, so that every Cov_kk = 1.

    Parameters
    ----------
    spec : Spectrum
    n : int
        N.
    column_std : torch.Tensor of shape (K,)
        t (decoupled) or sqrt(mu) (hinge regime).
    unit_diagonal : bool, default=False
    """
    k = len(spec.lam)
    Q = torch.eye(k, dtype=torch.float64)
    if unit_diagonal:
        Q = unit_diagonal_rotation(column_std**2)
    return math.sqrt(n - 1) * spec.basis @ torch.diag(column_std) @ Q.T


def collapsed_start(spec: Spectrum, n: int, column_std: torch.Tensor) -> torch.Tensor:
    """The decoupled form with its higher columns folded onto the lowest eigenvalue level, (N, K).

    Column k < r keeps sqrt(N-1) t_k u_k (r = the columns of the lowest level); column k >= r
    becomes sqrt(N-1) t_k u_{k mod r}: correlated with a lower column, it pays covariance and
    saves invariance. A start in the basin of the collapsed, lower-rank optima that compete
    with the decoupled form (BL22-C2's counterexample: ring C_6, K = 4).

    Parameters
    ----------
    spec : Spectrum
    n : int
        N.
    column_std : torch.Tensor of shape (K,)
        t, e.g. :attr:`Decoupled.t`.
    """
    r = int((spec.lam <= spec.lam[0] + CLUSTER_TOL).sum())
    z = embedding(spec, n, column_std)
    for k in range(r, spec.lam.numel()):
        z[:, k] = math.sqrt(n - 1) * column_std[k] * spec.basis[:, k % r]
    return z


def drawn_problem(spec: str, offset: int) -> tuple[graphs.Graph, int, Spectrum]:
    """A trial's problem from a relation spec (``tests/claims/graphs.py``).

    Returns the graph, K = min(c - 1 + offset, N - 1) (``offset`` columns beyond the c - 1
    non-constant null directions of L, at most N - 1) and the spectrum of L's bottom K
    eigenvalues orthogonal to 1 (:func:`laplacian_spectrum`).
    """
    graph = graphs.build(spec)
    k = min(graph.n_components - 1 + offset, graph.n - 1)
    return graph, k, laplacian_spectrum(graph.relation, k)


def regime(spec: Spectrum, n: int, *, alpha: float, beta: float, gamma: float
           ) -> tuple[str, Decoupled | Coupled | None]:
    """Which closed form holds at these weights: ``("decoupled", decoupled(...))`` when beta >=
    beta* (:func:`decoupled`), else ``("hinge", coupled(...))`` when nu <= alpha / 2
    (:func:`coupled`), else ``("none", None)``.

    Parameters
    ----------
    spec : Spectrum
    n : int
        N.
    alpha, beta, gamma : float
        VICReg's weights.
    """
    dec = decoupled(spec, n, alpha=alpha, gamma=gamma)
    if beta >= dec.beta_star:
        return "decoupled", dec
    hinge = coupled(spec, n, beta=beta, gamma=gamma)
    if hinge.nu <= alpha / 2:
        return "hinge", hinge
    return "none", None


def closed_form_start(spec: Spectrum, n: int, *, alpha: float, beta: float,
                      gamma: float) -> tuple[str, torch.Tensor | None]:
    """The closed form that holds at these weights (:func:`regime`), as a start (N, K), and
    its regime's name (the hinge form with its unit-diagonal rotation)."""
    name, form = regime(spec, n, alpha=alpha, beta=beta, gamma=gamma)
    if name == "decoupled":
        return name, embedding(spec, n, form.t)
    if name == "hinge":
        return name, embedding(spec, n, form.mu.sqrt(), unit_diagonal=True)
    return name, None


def predicted_rank(spec: Spectrum, n: int, *, alpha: float, beta: float,
                   gamma: float) -> int | None:
    """Rank of the optimum where a closed form holds (:func:`regime`), else None.

    Decoupled regime (beta >= beta*): the number of t_k above ``RANK_RTOL * max t`` (K until
    the smallest t_k falls below the rank threshold). Hinge regime (nu <= alpha/2): the number
    m of kept columns.
    """
    name, form = regime(spec, n, alpha=alpha, beta=beta, gamma=gamma)
    if name == "decoupled":
        return int((form.t > RANK_RTOL * float(form.t.max())).sum())
    if name == "hinge":
        return form.kept
    return None


def pair_hessian(G: torch.Tensor | Relation, spec: Spectrum, pred: Decoupled, *, alpha: float,
                 beta: float, gamma: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Hessian of the torch VICReg loss along the pair tilt at the closed form, and its prediction.

    Columns (k, j) = ``pred.pair`` of Z* tilt towards each other by angles (phi, theta):
    z_k = sqrt(N-1) t_k (cos phi u_k + sin phi u_j), z_j = sqrt(N-1) t_j (cos theta u_j +
    sin theta u_k); the Hessian of ``vicreg_loss`` in (phi, theta) at 0 is taken by autograd,
    the prediction lambdified from ``pair_hessian_derivation``.

    Parameters
    ----------
    G : torch.Tensor of shape (N, N) or Relation
    spec : Spectrum
        Of G.
    pred : Decoupled
        With a pair (``pred.pair`` is not None).
    alpha, beta, gamma : float

    Returns
    -------
    measured, predicted : torch.Tensor of shape (2, 2)
    """
    G = as_relation(G)
    n = G.n
    k, j = _threshold_pair(pred)

    def loss(angles: torch.Tensor) -> torch.Tensor:
        return pair_tilt_loss(G, spec, pred, angles, alpha=alpha, beta=beta, gamma=gamma)

    with single_thread():
        measured = torch.autograd.functional.hessian(loss, torch.zeros(2, dtype=torch.float64))
    c = invariance_factor(gamma, n)
    predicted = _pair_hessian(*_f64(c, spec.lam[k], spec.lam[j], float(pred.t[k]) ** 2,
                                    float(pred.t[j]) ** 2, beta))
    return measured, predicted


def _threshold_pair(pred: Decoupled) -> tuple[int, int]:
    if pred.pair is None:
        raise ValueError("pred must have a threshold pair (pred.pair is None)")
    return pred.pair


def pair_tilt_loss(G: torch.Tensor | Relation, spec: Spectrum, pred: Decoupled,
                   angles: torch.Tensor, *, alpha: float, beta: float,
                   gamma: float) -> torch.Tensor:
    """``vicreg_loss`` at the closed form with its threshold pair tilted by ``angles``.

    Columns (k, j) = ``pred.pair``: z_k = sqrt(N-1) t_k (cos phi u_k + sin phi u_j),
    z_j = sqrt(N-1) t_j (cos theta u_j + sin theta u_k), the others as in the closed form.

    Parameters
    ----------
    G : torch.Tensor of shape (N, N) or Relation
    spec : Spectrum
    pred : Decoupled
        With a pair.
    angles : torch.Tensor of shape (2,)
        (phi, theta), radians.
    alpha, beta, gamma : float

    Returns
    -------
    torch.Tensor
        0-d, differentiable in ``angles``.
    """
    G = as_relation(G)
    n = G.n
    k, j = _threshold_pair(pred)
    scale = math.sqrt(n - 1)
    z = embedding(spec, n, pred.t).clone()
    u_k, u_j = spec.basis[:, k], spec.basis[:, j]
    t_k, t_j = float(pred.t[k]), float(pred.t[j])
    phi, theta = angles[0], angles[1]
    z[:, k] = scale * t_k * (torch.cos(phi) * u_k + torch.sin(phi) * u_j)
    z[:, j] = scale * t_j * (torch.cos(theta) * u_j + torch.sin(theta) * u_k)
    return vicreg_loss(z, G, alpha=alpha, beta=beta, gamma=gamma)


# -- certificates at a given point (no training) -----------------------------------------------
@dataclass(frozen=True)
class PointCertificate:
    """First- and second-order certificates of BL22's VICReg at a given Z (no fit).

    Attributes
    ----------
    loss : float
        The loss at Z.
    certificate : float
        ``||g|| / max(1, |loss|)``, g the minimum-norm subgradient (hinges within the fits'
        kink tolerance 1e-8 of their kink count as on it: :func:`optimality_certificate`).
    curvature : Curvature
        :func:`torch_impl.fit.curvature.measure` at Z: the smallest eigenvalue of the
        Lagrangian Hessian on the tangent space of the active kinks modulo the objective's
        declared symmetries (translations Z + 1 m^T), and the largest |eigenvalue| (scale).
    direction : torch.Tensor of shape (N, K) or None
        Unit eigenvector of ``curvature.min_eig`` (None: empty tangent space).
    """

    loss: float
    certificate: float
    curvature: Curvature
    direction: torch.Tensor | None


def point_certificate(G: torch.Tensor | Relation, z: torch.Tensor, *, alpha: float,
                      beta: float, gamma: float, tolerance: float) -> PointCertificate:
    """The certificates a fit would attach to its end point, measured at ``z`` as it is.

    Parameters
    ----------
    G : torch.Tensor of shape (N, N) or Relation
    z : torch.Tensor of shape (N, K)
        The point, e.g. the closed form :func:`embedding`.
    alpha, beta, gamma : float
        VICReg's weights.
    tolerance : float
        Relative curvature tolerance recorded in the :class:`Curvature` (raised there to the
        point's resolution: ten times the computed Hessian's asymmetry over its scale).

    Returns
    -------
    PointCertificate
    """
    objective = vicreg_objective(G, alpha=alpha, beta=beta, gamma=gamma)
    with single_thread():
        loss, certificate, _ = optimality_certificate(objective, z)
        curvature, direction = measure(objective, z, objective.symmetries(z),
                                       tolerance=tolerance, lanczos_steps=_LANCZOS_STEPS)
    return PointCertificate(loss, certificate, curvature, direction)


@dataclass(frozen=True)
class Descent:
    """The loss along a direction, step by step (:func:`descent_along`).

    Attributes
    ----------
    steps : torch.Tensor of shape (J,)
        Step lengths s, descending.
    decreases : torch.Tensor of shape (J,)
        ``(loss(Z) - min(loss(Z+), loss(Z-))) / max(1, |loss(Z)|)`` at each step, Z+- the
        points Z +- s v projected back onto the kinks (<= 0: no decrease at that step).
    """

    steps: torch.Tensor
    decreases: torch.Tensor

    def quadratic(self, eigenvalue: float, loss: float) -> torch.Tensor:
        """The decrease the quadratic model predicts at each step, ``-eigenvalue s^2 / 2``,
        relative as :attr:`decreases` (``loss`` the loss at Z), shape (J,)."""
        return -eigenvalue * self.steps**2 / 2 / max(1.0, abs(loss))


def descent_along(G: torch.Tensor | Relation, z: torch.Tensor, direction: torch.Tensor, *,
                  alpha: float, beta: float, gamma: float) -> Descent:
    """Evaluate the loss along +-``direction`` from ``z``, at steps halving from ||Z||_F / 2.

    Steps s = ||Z||_F 2^-j, j = 1..``_DESCENT_HALVINGS``, both signs. The hinges on their
    kink at ``z`` are held there (``torch_impl.fit.curvature.along``, the path the curvature
    certificate's escape takes): the tangent Hessian is that of the Lagrangian on
    the kinks, so a negative eigenvalue m predicts a decrease -m s^2 / 2 along this path, not
    along the straight line, which would leave a kink at second order. The decrease shows at
    small s, before the quartic terms (2 beta C_kj^2) take over.

    Parameters
    ----------
    G : torch.Tensor of shape (N, N) or Relation
    z : torch.Tensor of shape (N, K)
    direction : torch.Tensor of shape (N, K)
        E.g. :attr:`PointCertificate.direction` (normalised here).
    alpha, beta, gamma : float

    Returns
    -------
    Descent
    """
    objective = vicreg_objective(G, alpha=alpha, beta=beta, gamma=gamma)
    steps = float(z.detach().norm()) * 2.0 ** -torch.arange(1, _DESCENT_HALVINGS + 1,
                                                            dtype=torch.float64)
    decreases = torch.empty_like(steps)
    with single_thread():
        point = along(objective, z, direction)
        with torch.no_grad():
            base = float(objective(z))
            for i, step in enumerate(steps.tolist()):
                lowest = min(float(objective(point(sign * step))) for sign in (1.0, -1.0))
                decreases[i] = (base - lowest) / max(1.0, abs(base))
    return Descent(steps, decreases)


# -- training ----------------------------------------------------------------------------------
def small_problem_threads(n_params: int) -> contextlib.AbstractContextManager[None]:
    """:func:`~tests.claims.runtime.single_thread` for a fit of at most ``_SINGLE_THREAD_MAX``
    parameters, else a no-op (torch's threads are kept)."""
    return single_thread() if n_params <= _SINGLE_THREAD_MAX else contextlib.nullcontext()


@dataclass(frozen=True)
class Training:
    """The certified fits of one trial: the best (lowest loss) and every start's result.

    Attributes
    ----------
    best : FitResult
        The lowest-loss fit.
    fits : tuple of FitResult
        One per start, in the order of ``labels``.
    labels : tuple of str
        The starts' labels.
    """

    best: FitResult
    fits: tuple[FitResult, ...]
    labels: tuple[str, ...]

    @property
    def loss(self) -> float:
        """The lowest loss."""
        return self.best.loss

    @property
    def z(self) -> torch.Tensor:
        """The best optimum, (N, K)."""
        return self.best.z

    @property
    def certificate(self) -> float:
        """The worst min-norm-subgradient certificate over all starts."""
        return max(f.grad_norm for f in self.fits)

    @property
    def min_tangent_eig(self) -> float:
        """The smallest relative tangent Hessian eigenvalue over all starts
        (:attr:`torch_impl.fit.FitResult.min_tangent_eig`; >= -tolerance: no start is a saddle)."""
        return min(f.min_tangent_eig for f in self.fits)

    def loss_of(self, label: str) -> float:
        """The loss reached from the start ``label``."""
        return self.fits[self.labels.index(label)].loss


def train(G: torch.Tensor | Relation, k: int, *, alpha: float, beta: float, gamma: float,
          seed: int, starts: Mapping[str, torch.Tensor | None], noise: float = 1e-2,
          device: torch.device | str | None = None) -> Training:
    """Certified free-Z optima of BL22's VICReg from several starts; keep the lowest loss.

    One fit per start (start i seeded ``seed + i``), each certified (min-norm subgradient
    <= ``GRAD_TOL``) or :class:`~torch_impl.fit.NotConverged` is raised (the engine's
    not-converged verdict). Candidate starts make the global optimum reachable where the
    landscape has several local minima (views graphs: lambda = 0 columns may carry variance
    above 1 at no cost, which turns the decoupled point into a local minimum); random starts
    test that nothing lower exists.

    Parameters
    ----------
    G : torch.Tensor of shape (N, N) or Relation
    k : int
        K.
    alpha, beta, gamma : float
        VICReg's weights.
    seed : int
        Seeds the noise on the candidates and each fit's random draws.
    starts : mapping of label -> torch.Tensor of shape (N, K) or None
        A tensor is a candidate optimum; the fit starts from it plus seeded Gaussian noise of
        relative size ``noise`` (so that a saddle is left, not certified). None is a seeded
        random N(0, 1) start.
    noise : float, default=1e-2
    device : torch.device or str, optional
        Where the fits run (default: G's device); G and the starts are moved there.

    Returns
    -------
    Training
        Its optima lie on ``device``.
    """
    G = as_relation(G)  # validated once for every fit
    device = G.device if device is None else torch.device(device)
    G = G.to(device=device)
    objective = vicreg_objective(G, alpha=alpha, beta=beta, gamma=gamma)
    n = G.n
    gen = torch.Generator().manual_seed(seed)
    fits = []
    with small_problem_threads(n * k):
        for i, start in enumerate(starts.values()):
            init = None
            if start is not None:
                # The noise is drawn on CPU, so that a seed gives the same start on any device;
                # this per-start draw (not fit_free's inits=) keeps the audited starts' bits.
                scale = noise * float(start.abs().max())
                init = (start + scale * torch.randn(start.shape, generator=gen,
                                                    dtype=torch.float64)).to(device)
            # Polished to the floor: VICReg's hinge leaves flat (quartic) valleys where a
            # certificate just below its target sits a few 1e-11 above the minimum, enough
            # for the curvature stage to read a saddle whose refit cannot end lower.
            result = fit_free(objective, (n, k), init=init, seed=seed + i, restarts=1,
                              max_iter=_MAX_ITER, grad_tol=GRAD_TOL, device=device,
                              polish_to_floor=True, progress=False)
            fits.append(result.require_converged())
    best = min(fits, key=lambda f: f.loss)
    return Training(best, tuple(fits), tuple(starts))


# -- measuring an optimum ----------------------------------------------------------------------
def centred_spectrum(Z: torch.Tensor) -> torch.Tensor:
    """Singular values of the centred Z (N, K) over sqrt(N-1) (= sqrt of Cov's eigenvalues),
    descending, (K,)."""
    Zc = Z - Z.mean(dim=0)
    return torch.linalg.svdvals(Zc) / math.sqrt(Z.shape[0] - 1)


def rank(Z: torch.Tensor) -> int:
    """Numerical rank of the centred Z (N, K): singular values above ``RANK_RTOL * s_max``."""
    return rank_report(Z - Z.mean(dim=0), RANK_RTOL).rank


def span_angle(Z: torch.Tensor, spec: Spectrum) -> float:
    """Largest principal angle (rad) of span(Z_c) into the used eigenspace ``spec.used_space``.

    span(Z_c) is that of its top-r left singular vectors, r the numerical rank (:func:`rank`):
    0 iff the optimum's column span lies in the predicted eigenspace.
    """
    return containment_angle(Z - Z.mean(dim=0), spec.used_space, RANK_RTOL)


@dataclass(frozen=True)
class DecoupledErrors:
    """A trained optimum against the decoupled closed form (each 0 at the prediction).

    Attributes
    ----------
    loss : float
        Relative loss gap.
    std : float
        Max relative error of the singular values (over sqrt(N-1)) on the lambda > 0
        eigen-directions against t_k.
    floor : float
        How far the lambda = 0 directions' singular values fall below 1 (the closed form there
        is any std >= 1: the variance of a null-space column is free above the hinge).
    angle : float
        Largest principal angle (rad) of span(Z_c) into the used eigenspace.
    """

    loss: float
    std: float
    floor: float
    angle: float

    @property
    def worst(self) -> float:
        """The largest of the four."""
        return max(self.loss, self.std, self.floor, self.angle)


def decoupled_errors(z: torch.Tensor, loss: float, spec: Spectrum,
                     pred: Decoupled) -> DecoupledErrors:
    """Compare a trained optimum z (N, K) of loss ``loss`` with :func:`decoupled`."""
    zc = z - z.mean(dim=0)
    scale = math.sqrt(z.shape[0] - 1)
    positive = spec.lam > CLUSTER_TOL
    basis, lam_basis = spec.used_space, spec.used_lam
    std_err, floor = 0.0, 0.0
    if bool(positive.any()):
        part = basis[:, lam_basis > CLUSTER_TOL]
        s = torch.linalg.svdvals(part.T @ zc)[: int(positive.sum())] / scale
        t = pred.t[positive].sort(descending=True).values
        std_err = float(((s - t).abs() / t).max())
    if bool((~positive).any()):
        part = basis[:, lam_basis <= CLUSTER_TOL]
        s = torch.linalg.svdvals(part.T @ zc)[: int((~positive).sum())] / scale
        floor = max(0.0, float(1 - s.min()))
    return DecoupledErrors(relative_difference(loss, pred.loss), std_err, floor,
                           span_angle(z, spec))


@dataclass(frozen=True)
class HingeErrors:
    """A trained optimum against the hinge-regime form :func:`coupled` (each 0 there).

    Attributes
    ----------
    loss : float
        Relative loss gap.
    spectrum : float
        max_i |s_i - sqrt(mu_i)| / sqrt(mu_1) over all K singular values (over sqrt(N-1)).
    diagonal : float
        max_k |Cov_kk - 1|.
    angle : float
        Largest principal angle (rad) of span(Z_c) into the used eigenspace.
    """

    loss: float
    spectrum: float
    diagonal: float
    angle: float

    @property
    def worst(self) -> float:
        """The largest of the four."""
        return max(self.loss, self.spectrum, self.diagonal, self.angle)


def hinge_errors(z: torch.Tensor, loss: float, spec: Spectrum, pred: Coupled) -> HingeErrors:
    """Compare a trained optimum z (N, K) of loss ``loss`` with :func:`coupled`."""
    s = centred_spectrum(z)
    root = pred.mu.sqrt().sort(descending=True).values
    cov_diag = torch.cov(z.T).reshape(z.shape[1], z.shape[1]).diagonal()
    return HingeErrors(relative_difference(loss, pred.loss),
                       float(((s - root).abs() / root[0]).max()),
                       float((cov_diag - 1).abs().max()), span_angle(z, spec))


@dataclass(frozen=True)
class PhaseCell:
    """One (beta, gamma) point of the phase diagram: rank and closed-form errors of the optimum.

    Attributes
    ----------
    beta, gamma : float
    rank : int
        Numerical rank of the lowest certified point.
    decoupled_error, hinge_error : float
        Relative loss gap of each closed form to that point.
    converged : bool
        False when the random-start fit missed its certificate; the cell then reports the
        lowest certified closed-form candidate only.
    """

    beta: float
    gamma: float
    rank: int
    decoupled_error: float
    hinge_error: float
    converged: bool


def phase_cell(G: torch.Tensor | Relation, k: int, *, alpha: float, beta: float, gamma: float,
               seed: int, device: torch.device | str, max_iter: int = 1500) -> PhaseCell:
    """Lowest certified point among {decoupled form, hinge form, a random-start fit}.

    The two closed forms are evaluated as they are (no training) and kept only when their
    min-norm-subgradient certificate is <= ``GRAD_TOL`` (stationary); the random start is
    trained on ``device`` (``max_iter`` iterations, not required to converge).
    """
    G = as_relation(G)
    n = G.n
    spec = laplacian_spectrum(G, k)
    dec = decoupled(spec, n, alpha=alpha, gamma=gamma)
    hin = coupled(spec, n, beta=beta, gamma=gamma)
    objective = vicreg_objective(G, alpha=alpha, beta=beta, gamma=gamma)
    points = []
    with single_thread():
        for z in (embedding(spec, n, dec.t), embedding(spec, n, hin.mu.sqrt(),
                                                        unit_diagonal=True)):
            value, certificate, _ = optimality_certificate(objective, z)
            if certificate <= GRAD_TOL:
                points.append((value, z))
        device = torch.device(device)
        fit = fit_free(vicreg_objective(G.to(device=device), alpha=alpha, beta=beta,
                                        gamma=gamma),
                       (n, k), seed=seed, restarts=1, max_iter=max_iter, grad_tol=GRAD_TOL,
                       device=device, progress=False)
    if fit.converged:
        points.append((fit.loss, fit.z.cpu()))
    best, z = min(points, key=lambda p: p[0])
    return PhaseCell(beta, gamma, rank(z), relative_difference(dec.loss, best),
                     relative_difference(hin.loss, best), fit.converged)


# -- the codebases' two-branch VICReg (docs/catalogue/BL22.md#codebase-conventions) ------------
def branch_scale(convention: str) -> float:
    """The factor s on the two branches' summed variance terms: 1/2 official / lightly, 1 solo.

    Read off the library's hinge weight std s / K at std = K = 1 (exact: a product by 1).
    """
    return vicreg_convention_hinge_weight(convention, 1, 1.0)


def convention_check(z: torch.Tensor, convention: str, *, sim: float, std: float,
                     cov: float) -> float:
    """Relative difference between the fitted objective and ``vicreg_loss_convention`` at z.

    z is the stacked views (2N', K); the objective is
    :func:`torch_impl.fit.vicreg_convention_objective` (smooth part + weighted hinges), which a
    fit certifies; 0 up to summation order if it is the library loss.
    """
    objective = vicreg_convention_objective(convention, z.shape[1], sim_coeff=sim,
                                            std_coeff=std, cov_coeff=cov)
    reference = vicreg_loss_convention(*branches_from_views(z), convention=convention,
                                       sim_coeff=sim, std_coeff=std, cov_coeff=cov)
    return relative_difference(float(objective(z)), float(reference))


def train_convention(n_orig: int, k: int, convention: str, *, sim: float, std: float,
                     cov: float, seed: int, restarts: int = 2,
                     device: torch.device | str = "cpu") -> FitResult:
    """Certified free optimum (2N', K) of the codebase's VICReg, seeded random restarts.

    Parameters
    ----------
    n_orig : int
        N', the number of samples (two views each).
    k : int
        K.
    convention : {"official", "lightly", "solo"}
    sim, std, cov : float
        The codebase's sim_coeff, std_coeff (> 0) and cov_coeff.
    seed : int
    restarts : int, default=2
        Seeded random starts; the lowest certified loss is kept.
    device : torch.device or str, default="cpu"

    Returns
    -------
    FitResult
        Converged (min-norm subgradient <= ``GRAD_TOL``), else NotConverged is raised.
    """
    objective = vicreg_convention_objective(convention, k, sim_coeff=sim, std_coeff=std,
                                            cov_coeff=cov)
    with single_thread():
        result = fit_free(objective, (2 * n_orig, k), seed=seed, restarts=restarts,
                          max_iter=_MAX_ITER, grad_tol=GRAD_TOL, device=device,
                          progress=False)
    return result.require_converged()


@dataclass(frozen=True)
class ConventionErrors:
    """A codebase's trained optimum against the derived one (``convention_derivation``).

    Attributes
    ----------
    loss_gap : float
        Relative loss gap (absolute when the predicted loss is 0).
    spectrum_error : float
        K > r: max relative error of the per-branch Cov spectrum; K <= r: how far the smallest
        branch variance falls below 1 - eps (the spectrum is not unique there).
    views_gap : float
        max |z_a - z_b| / max |Z|.
    rank : int
        Numerical rank of the centred optimum.
    k : int
        K.
    rank_cap : int
        r = N' - 1; the predicted rank is min(K, r).
    cov_coeff : float
        The covariance weight trained with.
    library_mismatch : float
        :func:`convention_check` at the optimum.
    certificate : float
        The fit's certificate.
    min_tangent_eig : float
        The fit's second-order certificate (:attr:`torch_impl.fit.FitResult.min_tangent_eig`).
    """

    loss_gap: float
    spectrum_error: float
    views_gap: float
    rank: int
    k: int
    rank_cap: int
    cov_coeff: float
    library_mismatch: float
    certificate: float
    min_tangent_eig: float

    @property
    def rank_miss(self) -> int:
        """|rank - min(K, r)|."""
        return abs(self.rank - min(self.k, self.rank_cap))

    @property
    def worst(self) -> float:
        """max(loss gap, spectrum error, views gap, rank miss, library mismatch)."""
        return max(self.loss_gap, self.spectrum_error, self.views_gap, float(self.rank_miss),
                   self.library_mismatch)

    def extra(self) -> dict[str, float]:
        """The parts, for a report's extra measurements."""
        return {"loss_gap": self.loss_gap, "spectrum_error": self.spectrum_error,
                "views_gap": self.views_gap, "rank": float(self.rank), "K": float(self.k),
                "rank_cap": float(self.rank_cap), "cov_coeff": self.cov_coeff,
                "library_mismatch": self.library_mismatch, "certificate": self.certificate,
                "min_tangent_eig": self.min_tangent_eig}


def convention_cov(convention: str, *, n_orig: int, k: int, std: float,
                   cov_fraction: float) -> float:
    """cov = ``cov_fraction`` * the largest cov keeping the per-branch kink.

    The kink holds iff 4 cov (1 - eps)(K/r - 1) <= std s (``convention_derivation``),
    r = N' - 1; for K <= r any cov does (then cov = cov_fraction * std).
    """
    r = n_orig - 1
    if k > r:
        return cov_fraction * std * branch_scale(convention) / (
            4 * (1 - CONVENTION_STD_EPS) * (k / r - 1))
    return cov_fraction * std


def convention_errors(convention: str, *, n_orig: int, k: int, sim: float, std: float,
                      cov_fraction: float, seed: int,
                      device: torch.device | str) -> ConventionErrors:
    """Train the codebase's VICReg on a V = 2 views graph and compare with the derived optimum.

    cov from :func:`convention_cov`. Prediction (``convention_derivation``): z_a = z_b;
    K > r: per-branch Cov spectrum K (1-eps)/r (r times) and 0, loss 2 cov (1-eps)^2 (K/r - 1);
    K <= r: loss 0, Cov diagonal. Either way rank min(K, r), r = N' - 1.

    Parameters
    ----------
    convention : {"official", "lightly", "solo"}
    n_orig : int
        N'.
    k : int
        K.
    sim, std : float
        sim_coeff and std_coeff.
    cov_fraction : float
        In (0, 1]: where cov sits below the kink's limit.
    seed : int
    device : torch.device or str
        Where the fit runs.

    Returns
    -------
    ConventionErrors
    """
    r = n_orig - 1
    cov = convention_cov(convention, n_orig=n_orig, k=k, std=std, cov_fraction=cov_fraction)
    fit = train_convention(n_orig, k, convention, sim=sim, std=std, cov=cov, seed=seed,
                           device=device)
    z = fit.z.cpu()
    z_a, z_b = branches_from_views(z)
    spectra = [torch.linalg.eigvalsh(torch.cov(b.T).reshape(k, k)).flip(0)
               for b in (z_a, z_b)]
    eps = CONVENTION_STD_EPS
    if k > r:
        # s enters the derivation as an exact sympy number (1/2 or 1).
        mu_fn = convention_derivation(sp.Rational(branch_scale(convention)))[0].closed_form_torch()
        mu = float(mu_fn(*_f64(k, r, eps)))
        predicted = torch.cat([torch.full((r,), mu), torch.zeros(k - r)]).to(torch.float64)
        loss = 2 * cov * (1 - eps) ** 2 * (k / r - 1)
        spectrum = max(float((sp_ - predicted).abs().max()) / mu for sp_ in spectra)
        loss_gap = relative_difference(fit.loss, loss)
    else:
        # Zero loss: any Cov diagonal with Var >= 1 - eps; the spectrum is not unique.
        spectrum = max(max(0.0, float((1 - eps) - b.var(dim=0).min())) for b in (z_a, z_b))
        loss_gap = abs(fit.loss)
    views_gap = float((z_a - z_b).abs().max() / z.abs().max())
    library = convention_check(z, convention, sim=sim, std=std, cov=cov)
    return ConventionErrors(loss_gap, spectrum, views_gap, rank(z), k, r, cov, library,
                            fit.grad_norm, fit.min_tangent_eig)
