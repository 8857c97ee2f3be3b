"""Shared numerics of the VICReg closed-form family (BL22-C2*, BL22-K3a).

Graphs, training, predictions.

Conventions (docs/catalogue/BL22.md#notation, #bl22-c2): BL22's VICReg with alpha = variance, beta =
covariance, gamma = invariance weight; Cov centred with 1/(N-1); c = 2 gamma (N-1)/N is the
invariance factor of a column (f(t) = alpha (1 - t) + c lambda t^2). Every closed form used here
is lambdified from ``derivations.bl22.vicreg_closed_form``; this module only picks eigenvalues,
active sets and compares.

Two regimes have a closed form (see the derivation module):

* decoupled (the paper's form, BL22-C2): Cov(Z*) = diag(t_k^2), t_k = min(1, alpha N /
  (4 gamma lambda_k (N-1))); the optimum iff beta >= beta* (pairwise threshold);
* hinge (ours): every Cov_kk = 1, the Gram spectrum mu = projection of 1 - c lambda / (2 beta)
  onto {mu >= 0, sum mu = K}; the optimum iff its multiplier nu <= alpha / 2.
"""

from __future__ import annotations

import contextlib
import itertools
import math
from collections.abc import Iterator
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
from torch_impl.fit import (
    FitResult,
    HingeObjective,
    fit_free,
    optimality_certificate,
    vicreg_objective,
)
from torch_impl.losses import branches_from_views, vicreg_loss, vicreg_loss_convention
from torch_impl.metrics import numerical_rank, principal_angles
from torch_impl.relations import laplacian, views_relation

ALPHA = 25.0
"""VICReg's customary variance weight (official std_coeff = 25), fixed across the family."""
CUSTOMARY = {"alpha": 25.0, "beta": 1.0, "gamma": 25.0}
"""VICReg's customary weights in BL22's naming (official sim/std/cov = 25/25/1)."""
RANK_RTOL = 1e-6
"""Numerical rank: singular values of the centred optimum above RANK_RTOL * s_max."""
# Eigenvalues closer than this are one cluster (one eigenspace): a views graph's are exact
# integers, a path graph's are far apart; rounding of eigh is ~1e-15.
_CLUSTER_TOL = 1e-9
# An iteration budget every fit of the family has met with margin (the most seen: ~800).
_MAX_ITER = 3000

_column_std = column_std_torch()
_column_loss = column_loss_torch()
_pair_threshold = pair_beta_threshold_torch()
_coupled_mu, _coupled_nu = coupled_torch()
_pair_hessian = pair_hessian_derivation().closed_form_torch()


@contextlib.contextmanager
def single_thread() -> Iterator[None]:
    """Run torch on one thread inside the block (then restore).

    The problems here are tiny (N <= 12): with 2 threads on 2 shared cores, thread hand-offs
    cost 3x (measured) and far more under load, for no gain.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


# -- test graphs -------------------------------------------------------------------------------
def path_relation(n: int) -> torch.Tensor:
    """Path graph on n nodes, (n, n): connected, Laplacian eigenvalues 2 - 2 cos(pi k/n)."""
    G = torch.zeros(n, n, dtype=torch.float64)
    idx = torch.arange(n - 1)
    G[idx, idx + 1] = 1.0
    G[idx + 1, idx] = 1.0
    return G


GRAPHS = {
    # views graph, N' = 4 originals, V = 2 (N = 8): lambda = 0 (3 directions orthogonal to 1)
    # and lambda = V = 2 (4 directions); K = 5 > N' - 1 puts two columns on lambda = V.
    "views4": (lambda: views_relation(4, 2), 5),
    # path graph N = 8: one component, distinct eigenvalues 0.152, 0.586, 1.235, ...
    "path8": (lambda: path_relation(8), 3),
}
"""name -> (relation builder, K). Small on purpose: each trial trains a model."""


def graph(name: str) -> tuple[torch.Tensor, int]:
    """(G, K) of a named test graph."""
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


def laplacian_spectrum(G: torch.Tensor, k: int) -> Spectrum:
    """Eigen-structure of L = D - G on the complement of the constant vector."""
    L = laplacian(G)
    n = L.shape[0]
    ones = torch.ones(n, 1, dtype=L.dtype) / math.sqrt(n)
    # Shift the constant eigenvector above the spectrum so that eigh returns the others first.
    shift = float(L.diagonal().sum()) + 1.0
    ev, vecs = torch.linalg.eigh(L + shift * ones @ ones.T)
    ev, vecs = ev[: n - 1], vecs[:, : n - 1]
    lam = ev[:k].clamp_min(0.0)
    in_cluster = ev <= ev[k - 1] + _CLUSTER_TOL
    rest = ev[~in_cluster]
    eigengap = float(rest[0] - ev[k - 1]) if rest.numel() else math.inf
    n_components = int((torch.linalg.eigvalsh(L) <= _CLUSTER_TOL).sum())
    return Spectrum(lam, vecs[:, :k], vecs[:, in_cluster], ev[in_cluster], eigengap,
                    n_components)


def invariance_factor(gamma: float, n: int) -> float:
    """c = 2 gamma (N-1)/N."""
    return 2.0 * gamma * (n - 1) / n


# -- predictions -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Decoupled:
    """The paper's closed form: per-column std t (K,), its loss, the threshold beta* and the
    pair (k, j) of columns that attains it (None when no pair has lambda_k < lambda_j)."""

    t: torch.Tensor
    loss: float
    beta_star: float
    pair: tuple[int, int] | None


def decoupled(spec: Spectrum, n: int, *, alpha: float, gamma: float) -> Decoupled:
    """t_k, the closed-form loss sum_k f(t_k) and beta* = max over pairs of the pair threshold.

    beta* is infinite when two columns with different lambda both have t = 1 (the gain of
    correlating them is first order, ``equal_std_pair_derivation``).
    """
    t = _column_std(spec.lam, alpha, gamma, n)
    loss = float(_column_loss(spec.lam, alpha, gamma, n).sum())
    c = invariance_factor(gamma, n)
    beta_star, pair = 0.0, None
    for k, j in itertools.permutations(range(len(t)), 2):
        if spec.lam[j] - spec.lam[k] <= _CLUSTER_TOL:
            continue
        a, b = float(t[k] ** 2), float(t[j] ** 2)
        if a - b <= _CLUSTER_TOL:
            return Decoupled(t, loss, math.inf, (k, j))
        threshold = float(_pair_threshold(*_f64(c, spec.lam[k], spec.lam[j], a, b)))
        if threshold > beta_star:
            beta_star, pair = threshold, (k, j)
    return Decoupled(t, loss, beta_star, pair)


@dataclass(frozen=True)
class Coupled:
    """Hinge-regime prediction: Gram spectrum mu (K,), multiplier nu, loss, columns kept m."""

    mu: torch.Tensor
    nu: float
    loss: float
    kept: int


def coupled(spec: Spectrum, n: int, *, beta: float, gamma: float) -> Coupled:
    """mu = projection of 1 - c lambda/(2 beta) on {mu >= 0, sum mu = K} (``coupled_derivation``).

    The active set is the largest m whose smallest mu is positive (lambda ascending, so mu
    descending).
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


def _f64(*values: object) -> tuple[torch.Tensor, ...]:
    return tuple(torch.as_tensor(v, dtype=torch.float64) for v in values)


def unit_diagonal_rotation(mu: torch.Tensor) -> torch.Tensor:
    """An orthogonal Q (K, K) with diag(Q diag(mu) Q^T) = 1, for mu >= 0 with sum mu = K.

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
        G = torch.eye(k, dtype=torch.float64)
        G[hi, hi] = G[lo, lo] = math.cos(theta)
        G[hi, lo], G[lo, hi] = math.sin(theta), -math.sin(theta)
        C = G.T @ C @ G
        Q = Q @ G
    return Q.T


def embedding(spec: Spectrum, n: int, column_std: torch.Tensor, *,
              unit_diagonal: bool = False) -> torch.Tensor:
    """sqrt(N-1) [u_1..u_K] diag(column_std) Q^T, (N, K): a predicted optimum (mean 0).

    Q = I is the decoupled form (diagonal Cov). For the hinge regime (``unit_diagonal``) Q is
    :func:`unit_diagonal_rotation` of mu = column_std^2, so that every Cov_kk = 1.
    """
    k = len(spec.lam)
    Q = torch.eye(k, dtype=torch.float64)
    if unit_diagonal:
        Q = unit_diagonal_rotation(column_std**2)
    return math.sqrt(n - 1) * spec.basis @ torch.diag(column_std) @ Q.T


# -- training and measuring --------------------------------------------------------------------
@dataclass(frozen=True)
class Training:
    """The certified fits of one trial: the best (lowest loss) and every start's result."""

    best: FitResult
    fits: tuple[FitResult, ...]
    labels: tuple[str, ...]

    @property
    def loss(self) -> float:
        return self.best.loss

    @property
    def z(self) -> torch.Tensor:
        return self.best.z

    @property
    def certificate(self) -> float:
        """The worst min-norm-subgradient certificate over all starts."""
        return max(f.grad_norm for f in self.fits)

    def loss_of(self, label: str) -> float:
        return self.fits[self.labels.index(label)].loss


def train(G: torch.Tensor, k: int, *, alpha: float, beta: float, gamma: float, seed: int,
          starts: dict[str, torch.Tensor | None], noise: float = 1e-2) -> Training:
    """Certified free-Z optima of BL22's VICReg from several starts; keep the lowest loss.

    Parameters
    ----------
    starts : dict of label -> (N, K) tensor or None
        A tensor is a candidate optimum; the fit starts from it plus seeded Gaussian noise of
        relative size ``noise`` (so a saddle is left, not certified). None is a seeded random
        N(0, 1) start. Every fit must meet the min-norm-subgradient certificate
        (grad_tol 1e-8) or ``NotConverged`` is raised (the engine's not-converged verdict).

    Candidate starts make the global optimum reachable where the landscape has several local
    minima (views graphs: lambda = 0 columns may carry variance above 1 at no cost, which turns
    the decoupled point into a local minimum); random starts test that nothing lower exists.
    """
    objective = vicreg_objective(G, alpha=alpha, beta=beta, gamma=gamma)
    n = G.shape[0]
    gen = torch.Generator().manual_seed(seed)
    fits = []
    with single_thread():
        for i, start in enumerate(starts.values()):
            init = None
            if start is not None:
                scale = noise * float(start.abs().max())
                init = start + scale * torch.randn(start.shape, generator=gen,
                                                   dtype=torch.float64)
            result = fit_free(objective, (n, k), init=init, seed=seed + i, restarts=1,
                              max_iter=_MAX_ITER, device="cpu", progress=False)
            fits.append(result.require_converged())
    best = min(fits, key=lambda f: f.loss)
    return Training(best, tuple(fits), tuple(starts))


def centred_spectrum(Z: torch.Tensor) -> torch.Tensor:
    """Singular values of the centred Z divided by sqrt(N-1) (= sqrt of Cov's eigenvalues), desc."""
    Zc = Z - Z.mean(dim=0)
    return torch.linalg.svdvals(Zc) / math.sqrt(Z.shape[0] - 1)


def rank(Z: torch.Tensor) -> int:
    """Numerical rank of the centred Z (singular values above RANK_RTOL * s_max)."""
    return numerical_rank(Z - Z.mean(dim=0), rtol=RANK_RTOL)


def span_angle(Z: torch.Tensor, spec: Spectrum) -> float:
    """Largest principal angle (rad) of the span of centred Z into the used eigenspace.

    The span is that of the top-r left singular vectors of Z_c.

    r = the numerical rank; 0 iff the optimum's column span lies in the predicted eigenspace.
    """
    Zc = Z - Z.mean(dim=0)
    U, _, _ = torch.linalg.svd(Zc, full_matrices=False)
    return float(principal_angles(U[:, : rank(Z)], spec.used_space)[-1])


def relative_gap(measured: float, predicted: float) -> float:
    """|measured - predicted| / |predicted| (absolute when the prediction is 0)."""
    return abs(measured - predicted) / (abs(predicted) if predicted else 1.0)



def decoupled_regime_gamma(spec: Spectrum, n: int, *, alpha: float) -> float:
    """Smallest gamma at which every column beyond the lowest eigenvalue cluster has t < 1.

    gamma = alpha N / (4 lambda_2nd (N-1)), lambda_2nd the smallest used eigenvalue above
    lambda_1: above it at most one eigenvalue level sits on the hinge, so beta* is finite.
    """
    above = spec.lam[spec.lam > spec.lam[0] + _CLUSTER_TOL]
    return alpha * n / (4 * float(above[0]) * (n - 1))


@dataclass(frozen=True)
class DecoupledErrors:
    """Trained optimum against the decoupled closed form.

    loss: relative loss gap; std: max relative error of the singular values (over sqrt(N-1))
    on the lambda > 0 eigen-directions against t_k; floor: how far the lambda = 0 directions'
    singular values fall below 1 (the closed form there is any std >= 1: the variance of a
    null-space column is free above the hinge); angle: span of Z_c into the used eigenspace.
    """

    loss: float
    std: float
    floor: float
    angle: float

    @property
    def worst(self) -> float:
        return max(self.loss, self.std, self.floor, self.angle)


def decoupled_errors(z: torch.Tensor, loss: float, spec: Spectrum,
                     pred: Decoupled) -> DecoupledErrors:
    """Compare a trained optimum with :func:`decoupled` (see :class:`DecoupledErrors`)."""
    zc = z - z.mean(dim=0)
    scale = math.sqrt(z.shape[0] - 1)
    positive = spec.lam > _CLUSTER_TOL
    basis, lam_basis = spec.used_space, spec.used_lam
    std_err, floor = 0.0, 0.0
    if bool(positive.any()):
        part = basis[:, lam_basis > _CLUSTER_TOL]
        s = torch.linalg.svdvals(part.T @ zc)[: int(positive.sum())] / scale
        t = pred.t[positive].sort(descending=True).values
        std_err = float(((s - t).abs() / t).max())
    if bool((~positive).any()):
        part = basis[:, lam_basis <= _CLUSTER_TOL]
        s = torch.linalg.svdvals(part.T @ zc)[: int((~positive).sum())] / scale
        floor = max(0.0, float(1 - s.min()))
    return DecoupledErrors(relative_gap(loss, pred.loss), std_err, floor, span_angle(z, spec))


def pair_hessian(G: torch.Tensor, spec: Spectrum, pred: Decoupled, *, alpha: float, beta: float,
                 gamma: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Hessian of the torch VICReg loss along the pair tilt at the closed form, and its prediction.

    Columns (k, j) = ``pred.pair`` of Z* tilt towards each other by angles (phi, theta):
    z_k = sqrt(N-1) t_k (cos phi u_k + sin phi u_j), z_j = sqrt(N-1) t_j (cos theta u_j +
    sin theta u_k); the Hessian of ``vicreg_loss`` in (phi, theta) at 0 is taken by autograd.
    Returns (measured, predicted), both (2, 2); the prediction is lambdified from
    ``pair_hessian_derivation``.
    """
    n = G.shape[0]
    k, j = pred.pair
    scale = math.sqrt(n - 1)
    z0 = embedding(spec, n, pred.t)
    u_k, u_j = spec.basis[:, k], spec.basis[:, j]
    t_k, t_j = float(pred.t[k]), float(pred.t[j])

    def loss(angles: torch.Tensor) -> torch.Tensor:
        phi, theta = angles[0], angles[1]
        z = z0.clone()
        z[:, k] = scale * t_k * (torch.cos(phi) * u_k + torch.sin(phi) * u_j)
        z[:, j] = scale * t_j * (torch.cos(theta) * u_j + torch.sin(theta) * u_k)
        return vicreg_loss(z, G, alpha=alpha, beta=beta, gamma=gamma)

    with single_thread():
        measured = torch.autograd.functional.hessian(loss, torch.zeros(2, dtype=torch.float64))
    c = invariance_factor(gamma, n)
    predicted = _pair_hessian(*_f64(c, spec.lam[k], spec.lam[j], t_k**2, t_j**2, beta))
    return measured, predicted


@dataclass(frozen=True)
class PhaseCell:
    """One (beta, gamma) point of the phase diagram: rank and closed-form error of the optimum.

    ``converged`` is False when the random-start fit missed its certificate; the cell then
    reports the lowest certified closed-form candidate only.
    """

    beta: float
    gamma: float
    rank: int
    decoupled_error: float
    hinge_error: float
    converged: bool


def phase_cell(G: torch.Tensor, k: int, *, alpha: float, beta: float, gamma: float,
               seed: int, max_iter: int = 1500) -> PhaseCell:
    """Lowest certified point among {decoupled form, hinge form, a random-start fit}.

    The two closed forms are evaluated as they are (no training) and kept only when their
    min-norm-subgradient certificate is <= 1e-8 (stationary); the random start is trained.
    Errors are relative loss gaps of each closed form to that lowest point.
    """
    n = G.shape[0]
    spec = laplacian_spectrum(G, k)
    dec = decoupled(spec, n, alpha=alpha, gamma=gamma)
    hin = coupled(spec, n, beta=beta, gamma=gamma)
    objective = vicreg_objective(G, alpha=alpha, beta=beta, gamma=gamma)
    points = []
    with single_thread():
        for z in (embedding(spec, n, dec.t), embedding(spec, n, hin.mu.sqrt(),
                                                        unit_diagonal=True)):
            value, certificate, _ = optimality_certificate(objective, z)
            if certificate <= 1e-8:
                points.append((value, z))
        fit = fit_free(objective, (n, k), seed=seed, restarts=1, max_iter=max_iter,
                       device="cpu", progress=False)
    if fit.converged:
        points.append((fit.loss, fit.z))
    best, z = min(points, key=lambda p: p[0])
    return PhaseCell(beta, gamma, rank(z), relative_gap(dec.loss, best),
                     relative_gap(hin.loss, best), fit.converged)


@dataclass(frozen=True)
class HingeErrors:
    """Trained optimum against the hinge-regime form :func:`coupled`.

    loss: relative loss gap; spectrum: max |s_i - sqrt(mu_i)| / sqrt(mu_1) over all K
    singular values (over sqrt(N-1)); diagonal: max |Cov_kk - 1|; angle: span of Z_c into the
    used eigenspace.
    """

    loss: float
    spectrum: float
    diagonal: float
    angle: float

    @property
    def worst(self) -> float:
        return max(self.loss, self.spectrum, self.diagonal, self.angle)


def hinge_errors(z: torch.Tensor, loss: float, spec: Spectrum, pred: Coupled) -> HingeErrors:
    """Compare a trained optimum with :func:`coupled` (see :class:`HingeErrors`)."""
    s = centred_spectrum(z)
    root = pred.mu.sqrt().sort(descending=True).values
    cov_diag = torch.cov(z.T).reshape(z.shape[1], z.shape[1]).diagonal()
    return HingeErrors(relative_gap(loss, pred.loss), float(((s - root).abs() / root[0]).max()),
                       float((cov_diag - 1).abs().max()), span_angle(z, spec))


# -- the codebases' two-branch VICReg (docs/catalogue/BL22.md#codebase-conventions) ------------
STD_EPS = 1e-4
"""eps inside sqrt(Var + eps) in the official, lightly and solo-learn variance term."""
BRANCH_SCALE = {"official": sp.Rational(1, 2), "lightly": sp.Rational(1, 2), "solo": sp.Integer(1)}
"""Factor on the two branches' summed variance terms (official/lightly halve it, solo does not)."""


def convention_objective(convention: str, *, sim: float, std: float, cov: float):
    """The codebase's VICReg on the stacked views Z (2N', K), split for a :class:`HingeObjective`.

    Returns (smooth, hinge_args, weight): ``weight(K)`` is the hinge weight for K columns.

    smooth = ``vicreg_loss_convention`` with std_coeff = 0 (sim * mse + cov * per-branch
    covariances); hinges = the 2K arguments 1 - sqrt(Var + 1e-4) of both branches, weight
    std * s / K (each branch's variance term is a mean over K). :func:`convention_check` verifies
    that smooth + hinges is ``vicreg_loss_convention`` itself.
    """

    def smooth(z: torch.Tensor) -> torch.Tensor:
        z_a, z_b = branches_from_views(z)
        return vicreg_loss_convention(z_a, z_b, convention=convention, sim_coeff=sim,
                                      std_coeff=0.0, cov_coeff=cov)

    def hinge_args(z: torch.Tensor) -> torch.Tensor:
        return torch.cat([1 - torch.sqrt(b.var(dim=0) + STD_EPS) for b in branches_from_views(z)])

    def weight(k: int) -> float:
        return std * float(BRANCH_SCALE[convention]) / k

    return smooth, hinge_args, weight


def convention_check(z: torch.Tensor, convention: str, *, sim: float, std: float,
                     cov: float) -> float:
    """Relative difference between the assembled objective and ``vicreg_loss_convention`` at z."""
    smooth, hinge_args, weight = convention_objective(convention, sim=sim, std=std, cov=cov)
    assembled = smooth(z) + weight(z.shape[1]) * torch.relu(hinge_args(z)).sum()
    reference = vicreg_loss_convention(*branches_from_views(z), convention=convention,
                                       sim_coeff=sim, std_coeff=std, cov_coeff=cov)
    return relative_gap(float(assembled), float(reference))


def train_convention(n_orig: int, k: int, convention: str, *, sim: float, std: float,
                     cov: float, seed: int, restarts: int = 2) -> FitResult:
    """Certified free optimum (2N', K) of the codebase's VICReg, seeded random restarts."""
    smooth, hinge_args, weight = convention_objective(convention, sim=sim, std=std, cov=cov)
    objective = HingeObjective(smooth, hinge_args, weight(k))
    with single_thread():
        result = fit_free(objective, (2 * n_orig, k), seed=seed, restarts=restarts,
                          max_iter=_MAX_ITER, device="cpu", progress=False)
    return result.require_converged()


def convention_measurement(convention: str, *, n_orig: int, k: int, sim: float, std: float,
                           cov_fraction: float, seed: int) -> dict[str, float]:
    """Train the codebase's VICReg on a V = 2 views graph and compare with the derived optimum.

    cov = cov_fraction * the largest cov keeping the per-branch kink (4 cov (1-eps)(K/r - 1)
    <= std s, ``convention_derivation``), r = N' - 1; for K <= r any cov (cov_fraction * std).
    Prediction: z_a = z_b; K > r: per-branch Cov spectrum K (1-eps)/r (r times) and 0,
    loss 2 cov (1-eps)^2 (K/r - 1); K <= r: loss 0, Cov diagonal. Either way rank min(K, r).

    Returns a dict with 'error' (max of: relative loss gap (absolute when the prediction is 0),
    relative per-branch spectrum error, max |z_a - z_b| / max |z|, |rank - min(K, r)|, the
    objective's mismatch with ``vicreg_loss_convention``) and the parts.
    """
    r = n_orig - 1
    s = float(BRANCH_SCALE[convention])
    if k > r:
        cov = cov_fraction * std * s / (4 * (1 - STD_EPS) * (k / r - 1))
    else:
        cov = cov_fraction * std
    fit = train_convention(n_orig, k, convention, sim=sim, std=std, cov=cov, seed=seed)
    z_a, z_b = branches_from_views(fit.z)
    spectra = [torch.linalg.eigvalsh(torch.cov(b.T).reshape(k, k)).flip(0)
               for b in (z_a, z_b)]
    if k > r:
        mu_fn = convention_derivation(BRANCH_SCALE[convention])[0].closed_form_torch()
        mu = float(mu_fn(*_f64(k, r, STD_EPS)))
        predicted = torch.cat([torch.full((r,), mu), torch.zeros(k - r)]).to(torch.float64)
        loss = 2 * cov * (1 - STD_EPS) ** 2 * (k / r - 1)
        spectrum = max(float((sp_ - predicted).abs().max()) / mu for sp_ in spectra)
        loss_gap = relative_gap(fit.loss, loss)
    else:
        # Zero loss: any Cov diagonal with Var >= 1 - eps; the spectrum is not unique.
        spectrum = max(max(0.0, float((1 - STD_EPS) - b.var(dim=0).min())) for b in (z_a, z_b))
        loss_gap = abs(fit.loss)
    views_gap = float((z_a - z_b).abs().max() / fit.z.abs().max())
    rank_miss = float(abs(rank(fit.z) - min(k, r)))
    library = convention_check(fit.z, convention, sim=sim, std=std, cov=cov)
    return {"error": max(loss_gap, spectrum, views_gap, rank_miss, library),
            "loss_gap": loss_gap, "spectrum_error": spectrum, "views_gap": views_gap,
            "rank": float(rank(fit.z)), "K": float(k), "rank_cap": float(r),
            "cov_coeff": cov, "library_mismatch": library, "certificate": fit.grad_norm}


def predicted_rank(spec: Spectrum, n: int, *, alpha: float, beta: float,
                   gamma: float) -> int | None:
    """Rank of the optimum where a closed form holds, else None.

    Decoupled regime (beta >= beta*): K (every t_k > 0; numerically until the smallest t_k
    falls below RANK_RTOL). Hinge regime (nu <= alpha/2): the number m of kept columns.
    """
    dec = decoupled(spec, n, alpha=alpha, gamma=gamma)
    if beta >= dec.beta_star:
        return int((dec.t > RANK_RTOL * float(dec.t.max())).sum())
    hinge = coupled(spec, n, beta=beta, gamma=gamma)
    if hinge.nu <= alpha / 2:
        return hinge.kept
    return None
