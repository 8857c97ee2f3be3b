"""Shared numerics of the rank / singular-vector family (BL22-C5, BL22-C6 free Z, BL22-K1).

Test graphs and K grids, the certified optima of the three losses (cached: the C5, C6 and K1
modules audit the same trained optima), the representation each loss actually sees, and the
rank / subspace / rotation measurements. Everything is float64 on the CPU (N <= 9: threads and
devices only add overhead).

Losses and their conventions (papers/BL22.md Sec. 0, ECOSYSTEM Sec. 1e):

* ``simclr``: BL22's L_simCLR, tau = :data:`TAU`; trained by the C4 family's ``fit_simclr``
  (certificate re-checked at the row-normalised optimum).
* ``bt``: BL22's BarlowTwins with every ordered edge listed (uncentred, column-normalised C),
  off-diagonal weight alpha (the trial's hyper-parameter).
* ``vicreg``: BL22's VICReg, alpha = 25, beta = 1 and a small invariance weight gamma (the
  trial's hyper-parameter; below gamma_full(beta) = 0.95 beta, BL22-K3a); trained by the C2
  family's ``train`` from the hinge-regime closed form and a random start.
* ``vicreg-official`` / ``vicreg-solo``: the codebases' two-branch VICReg with the official
  weights sim/std/cov = 25/25/1 (lightly's loss is the official one); C2 family's
  ``train_convention``.
* ``bt-official`` / ``bt-solo``: the codebases' BatchNorm BarlowTwins (centred, lambd 0.0051 /
  5e-3, solo x 0.025).

BarlowTwins' zero-loss optima are degenerate: a column leaving span(P) by an angle b raises C_kk
by O(b^2), so the loss grows like b^4 and its gradient like b^3. A certificate ||grad|| <= 1e-8
then only pins b to ~1e-3 (measured), far above the 1e-4 rad the audit asks of a subspace. BT
fits are therefore continued by :func:`polish` (Newton steps on the quartic valley) before the
engine certifies the polished point.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from tests.claims.bl22 import _simclr_support as simclr_sup
from tests.claims.bl22 import _vicreg_support as vicreg_sup
from torch_impl.fit import fit_free
from torch_impl.losses import (
    barlow_twins_loss_convention,
    barlow_twins_loss_from_relation,
    branches_from_views,
    simclr_loss,
    vicreg_loss,
    vicreg_loss_convention,
)
from torch_impl.metrics import principal_angles
from torch_impl.relations import connected_components, positive_pairs, views_relation
from verify import Measurement, profile, seed

__all__ = [
    "GRAPHS",
    "RANK_RTOL",
    "TAU",
    "BT_ALPHAS",
    "bt_alphas",
    "VICREG_WEIGHTS",
    "VICREG_GAMMA",
    "CONVENTION_WEIGHTS",
    "BN_RANK_RTOL",
    "Case",
    "cases",
    "convention_cases",
    "conventions",
    "relation",
    "indicators",
    "k_grid",
    "Optimum",
    "optimum",
    "canonical",
    "loss_value",
    "RankReport",
    "rank_report",
    "span_basis",
    "containment_angle",
    "component_basis",
    "sweep",
    "rank_sweep",
    "bt_correlation",
    "rotation_change",
    "rotation_sweep",
    "random_orthogonal",
    "polish",
    "isotropic_random",
]

GRAPHS = {"views4x2": (4, 2), "views3x3": (3, 3)}
"""name -> (N', V) of a views graph (BL22 Sec. 2.1): c = N' components of V-cliques."""
RANK_RTOL = 1e-6
"""Numerical rank: singular values above RANK_RTOL * s_max (the VICReg family's threshold)."""
BN_RANK_RTOL = 1e-4
"""Numerical rank of BatchNorm-standardised branches (official / solo BarlowTwins): BN's eps 1e-5
perturbs each column's scale by ~eps / Var differently in the two branches, which leaves spurious
relative singular values of 2e-8..3e-6 at certified optima (measured over seeds); 1e-4 sits above
that floor and far below the kept values (>= 0.99)."""
TAU = 0.5
"""SimCLR temperature (the C4 family audits the tau range)."""
BT_ALPHAS = (0.005, 0.1, 1.0)
"""BarlowTwins off-diagonal weights of the full profile (the official lambda is ~0.005, the
paper's snippet uses 0.1); the quick profile uses 0.1 only (:func:`bt_alphas`)."""
VICREG_WEIGHTS = {"alpha": 25.0, "beta": 1.0}
"""BL22's VICReg variance / covariance weights (BL22 naming)."""
VICREG_GAMMA = 0.1
"""Small invariance weight: below gamma_full(beta) = 0.95 (BL22-K3a), so full rank predicted."""
CONVENTION_WEIGHTS = {"sim": 25.0, "std": 25.0, "cov": 1.0}
"""The codebases' default VICReg weights (ECOSYSTEM Sec. 1e)."""
# BatchNorm1d's eps in the official / solo BarlowTwins (conventions.py).
_BN_EPS = 1e-5
_BT_RESTARTS = 2
_MAX_ITER = 3000
_POLISH_STEPS = 80
# Damping of the polishing Newton steps, relative to the largest Hessian eigenvalue: 0 is the
# plain (pseudo-inverse) step; larger values shorten steps along the flat quartic directions.
_POLISH_DAMPING = (0.0, 1e-12, 1e-10, 1e-8, 1e-6, 1e-4, 1e-2)
# Step multipliers: along a quartic direction Newton's step is 1/3 of the way to the minimum.
_POLISH_MULTIPLIERS = (1.0, 2.0, 3.0)
# Stop once a step gains less than this fraction of the loss: on a quartic valley each step
# removes a fixed fraction (~80%), near a non-degenerate minimum only rounding is left.
_POLISH_MIN_GAIN = 1e-4


class Case(str):
    """One trial's setting, the text ``"<graph>/<seed>"`` (a str, so that a report's
    counterexample replays as ``claim.replay(case="views4x2/0")``); the K grid is swept inside
    the trial. ``Case(text)`` also accepts a plain str."""

    @property
    def graph(self) -> str:
        """A key of :data:`GRAPHS`."""
        return self.split("/")[0]

    @property
    def seed(self) -> int:
        return int(self.split("/")[1])


def cases() -> list[Case]:
    """The profile's settings: quick = one graph and seed, full = two seeds and a V = 3 graph.

    The fit seeds are 2 s and 2 s + 1 for the run seed s (``--seed``).
    """
    first, second = 2 * seed(), 2 * seed() + 1
    if profile() == "quick":
        return [Case(f"views4x2/{first}")]
    return [Case(f"views4x2/{first}"), Case(f"views4x2/{second}"), Case(f"views3x3/{first}")]


def bt_alphas() -> tuple[float, ...]:
    """BarlowTwins weights of the profile: quick = the paper's 0.1, full = :data:`BT_ALPHAS`."""
    return (0.1,) if profile() == "quick" else BT_ALPHAS


def convention_cases() -> list[Case]:
    """Settings for the codebases' two-branch losses (V = 2 only): the views4x2 graph."""
    return [case for case in cases() if GRAPHS[case.graph][1] == 2]


def conventions() -> tuple[str, ...]:
    """Codebase conventions audited: quick = official (= lightly for VICReg), full = + solo."""
    return ("official",) if profile() == "quick" else ("official", "solo")


def relation(graph: str) -> torch.Tensor:
    """The views relation G (V N', V N') of a named graph."""
    n_orig, n_views = GRAPHS[graph]
    return views_relation(n_orig, n_views)


def indicators(G: torch.Tensor) -> torch.Tensor:
    """Component indicators P (N, c): P_ic = 1 iff node i is in component c."""
    n_components, labels = connected_components(G)
    return F.one_hot(labels, n_components).to(G.dtype)


def k_grid(c: int, *, above: int = 1) -> list[int]:
    """K below, at and above the component count c: c-2..c+above (full), c-1..c+min(above, 1)
    (quick).

    K = 1 is left out: with one column the cosine is a sign and SimCLR's loss is piecewise
    constant (BL22-C4b-1D).
    """
    if profile() == "quick":
        return [k for k in range(max(c - 1, 2), c + min(above, 1) + 1)]
    return [k for k in range(max(c - 2, 2), c + above + 1)]


# -------------------------------------------------------------------------------------------
# Optima
# -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Optimum:
    """A certified optimum.

    Attributes
    ----------
    z : torch.Tensor of shape (N, K)
        The optimum (SimCLR: row-normalised, as ``fit_simclr`` returns it).
    canonical : torch.Tensor of shape (N, K)
        What the loss sees (:func:`canonical`); ranks and spans are measured on it.
    loss : float
        The loss at ``z``.
    certificate : float
        ||grad|| / max(1, |loss|) (min-norm subgradient for VICReg's hinges): <= 1e-8.
    """

    z: torch.Tensor
    canonical: torch.Tensor
    loss: float
    certificate: float


def canonical(loss: str, z: torch.Tensor) -> torch.Tensor:
    """The representation each loss depends on, (N, K).

    simclr: normalize(Z) (row scales are free); bt: Z (column scales are free, which changes
    neither rank nor span); vicreg: H Z (the mean is free); the two-branch conventions: each
    branch centred (VICReg) or BatchNorm-standardised with the convention's eps (BT), stacked.
    """
    if loss == "simclr":
        return F.normalize(z, dim=1)
    if loss == "bt":
        return z
    if loss == "vicreg":
        return z - z.mean(dim=0)
    branches = branches_from_views(z)
    if loss.startswith("vicreg-"):
        return torch.cat([b - b.mean(dim=0) for b in branches])
    centred = [b - b.mean(dim=0) for b in branches]
    return torch.cat([c / torch.sqrt(c.square().mean(dim=0) + _BN_EPS) for c in centred])


def loss_value(loss: str, G: torch.Tensor, z: torch.Tensor, hyper: float) -> torch.Tensor:
    """The loss ``loss`` at z (0-d tensor); ``hyper`` as in :func:`optimum`."""
    if loss == "simclr":
        return simclr_loss(z, G, tau=hyper)
    if loss == "bt":
        return barlow_twins_loss_from_relation(z, G, alpha=hyper)
    if loss == "vicreg":
        return vicreg_loss(z, G, gamma=hyper, **VICREG_WEIGHTS)
    convention = loss.split("-", 1)[1]
    z_a, z_b = branches_from_views(z)
    if loss.startswith("vicreg-"):
        return vicreg_loss_convention(z_a, z_b, convention=convention, sim_coeff=hyper,
                                      std_coeff=CONVENTION_WEIGHTS["std"],
                                      cov_coeff=CONVENTION_WEIGHTS["cov"])
    return barlow_twins_loss_convention(z_a, z_b, convention=convention)


def polish(loss_fn, z: torch.Tensor, steps: int = _POLISH_STEPS) -> torch.Tensor:
    """Continue a fit by damped Newton steps while the loss decreases; returns the last point.

    Each step takes the Hessian's eigen-decomposition, tries the damped steps
    -(|H| + d I)^{-1} g for every damping d in ``_POLISH_DAMPING`` (relative to the largest
    |eigenvalue|) and multiplier in ``_POLISH_MULTIPLIERS``, and keeps the lowest loss; it stops
    when no step gains a fraction ``_POLISH_MIN_GAIN`` of the loss. On a
    quartic valley (BarlowTwins' zero-loss optima, module docstring) Newton converges linearly
    towards the optimal set instead of stalling like L-BFGS. The caller certifies the result with
    the engine's fit (this routine only proposes a start).
    """
    shape = z.shape

    def value(x: torch.Tensor) -> torch.Tensor:
        return loss_fn(x.reshape(shape))

    x = z.detach().reshape(-1).clone()
    fx = float(value(x))
    for _ in range(steps):
        with torch.enable_grad():
            xg = x.clone().requires_grad_(True)
            (g,) = torch.autograd.grad(value(xg), xg)
        H = torch.autograd.functional.hessian(value, x)
        eigenvalues, vectors = torch.linalg.eigh((H + H.T) / 2)
        top = float(eigenvalues.abs().max())
        if top == 0.0:
            break
        g_eig = vectors.T @ g
        best_f, best_x = fx, None
        for damping in _POLISH_DAMPING:
            denominator = eigenvalues.abs() + damping * top
            keep = denominator > 0
            step = vectors[:, keep] @ (g_eig[keep] / denominator[keep])
            for multiplier in _POLISH_MULTIPLIERS:
                candidate = x - multiplier * step
                f = float(value(candidate))
                if f < best_f:
                    best_f, best_x = f, candidate
        if best_x is None or fx - best_f < _POLISH_MIN_GAIN * abs(fx):
            if best_x is not None:
                x = best_x
            break
        x, fx = best_x, best_f
    return x.reshape(shape)


def _fit_bt(loss_fn, shape: tuple[int, int], seed: int) -> tuple[torch.Tensor, float, float]:
    """Seeded restarts, :func:`polish`, then the engine's certificate at the polished point."""
    with vicreg_sup.single_thread():
        start = fit_free(loss_fn, shape, seed=seed, restarts=_BT_RESTARTS, max_iter=_MAX_ITER,
                         device="cpu", progress=False)
        polished = polish(loss_fn, start.z)
        fit = fit_free(loss_fn, shape, init=polished, restarts=1, max_iter=_MAX_ITER,
                       device="cpu", progress=False).require_converged()
    return fit.z, fit.loss, fit.grad_norm


def _fit_vicreg(G: torch.Tensor, k: int, gamma: float, seed: int) -> tuple[torch.Tensor, float,
                                                                          float]:
    n = G.shape[0]
    spec = vicreg_sup.laplacian_spectrum(G, k)
    hinge = vicreg_sup.coupled(spec, n, beta=VICREG_WEIGHTS["beta"], gamma=gamma)
    start = vicreg_sup.embedding(spec, n, hinge.mu.sqrt(), unit_diagonal=True)
    training = vicreg_sup.train(G, k, gamma=gamma, seed=seed,
                                starts={"hinge closed form": start, "random": None},
                                **VICREG_WEIGHTS)
    return training.z, training.loss, training.certificate


@functools.cache
def optimum(loss: str, graph: str, k: int, hyper: float, seed: int) -> Optimum:
    """The certified free-Z optimum of ``loss`` on ``graph`` with K = k columns (cached).

    Parameters
    ----------
    loss : {"simclr", "bt", "vicreg", "vicreg-official", "vicreg-solo", "bt-official",
            "bt-solo"}
    graph : str
        A key of :data:`GRAPHS` (the conventions need V = 2).
    hyper : float
        simclr: tau; bt: alpha; vicreg: gamma; vicreg-*: sim_coeff; bt-*: ignored (the
        convention's default lambd; pass 0.0).
    seed : int

    Raises
    ------
    torch_impl.fit.NotConverged
        A fit missed its certificate (the engine's not-converged verdict).
    """
    G = relation(graph)
    n = G.shape[0]
    if loss == "simclr":
        fit = simclr_sup.fit_simclr(G.to(simclr_sup.DEVICE), k, hyper, seed=seed)
        z, value, certificate = fit.z.cpu(), fit.loss, fit.grad_norm
    elif loss == "bt":
        z, value, certificate = _fit_bt(
            lambda x: barlow_twins_loss_from_relation(x, G, alpha=hyper), (n, k), seed)
    elif loss == "vicreg":
        z, value, certificate = _fit_vicreg(G, k, hyper, seed)
    elif loss.startswith("vicreg-"):
        n_orig, n_views = GRAPHS[graph]
        if n_views != 2:
            raise ValueError("the two-branch conventions need V = 2")
        fit = vicreg_sup.train_convention(n_orig, k, loss.split("-", 1)[1], sim=hyper,
                                          std=CONVENTION_WEIGHTS["std"],
                                          cov=CONVENTION_WEIGHTS["cov"], seed=seed)
        z, value, certificate = fit.z, fit.loss, fit.grad_norm
    elif loss.startswith("bt-"):
        convention = loss.split("-", 1)[1]

        def loss_fn(x: torch.Tensor) -> torch.Tensor:
            return barlow_twins_loss_convention(*branches_from_views(x), convention=convention)

        z, value, certificate = _fit_bt(loss_fn, (n, k), seed)
    else:
        raise ValueError(f"unknown loss {loss!r}")
    return Optimum(z, canonical(loss, z), value, certificate)


# -------------------------------------------------------------------------------------------
# Measurements
# -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RankReport:
    """Numerical rank with the gap that makes it unambiguous.

    rank: singular values above rtol * s_max; kept: smallest kept s / s_max; dropped: largest
    dropped s / s_max (0 if none); singular: all s / s_max, descending.
    """

    rank: int
    kept: float
    dropped: float
    singular: tuple[float, ...]


def rank_report(A: torch.Tensor, rtol: float = RANK_RTOL) -> RankReport:
    """Rank of A (N, K) with relative threshold rtol (see :class:`RankReport`)."""
    s = torch.linalg.svdvals(A.to(torch.float64))
    rel = s / s[0]
    r = int((rel > rtol).sum())
    return RankReport(r, float(rel[r - 1]), float(rel[r]) if r < rel.numel() else 0.0,
                      tuple(float(v) for v in rel))


def span_basis(A: torch.Tensor, rtol: float = RANK_RTOL) -> torch.Tensor:
    """Orthonormal basis (N, r) of the numerical range of A (top-r left singular vectors)."""
    U, _, _ = torch.linalg.svd(A.to(torch.float64), full_matrices=False)
    return U[:, : rank_report(A, rtol).rank]


def containment_angle(A: torch.Tensor, B: torch.Tensor, rtol: float = RANK_RTOL) -> float:
    """Largest principal angle between range(A) and span(B): 0 iff the smaller lies in the
    larger (radians)."""
    return float(principal_angles(span_basis(A, rtol), B)[-1])


def component_basis(G: torch.Tensor, *, centred: bool) -> torch.Tensor:
    """Orthonormal basis of G's top eigenspace span(P) (N, c), or of H P (N, c - 1) when
    ``centred`` (the part a centred representation can use)."""
    P = indicators(G)
    if centred:
        P = P - P.mean(dim=0)
    return span_basis(P)


def sweep(loss: str, case: str, hyper: float, *, above: int = 1) -> list[tuple[int, Optimum]]:
    """(K, optimum) for every K of :func:`k_grid` on the case's graph."""
    case = Case(case)
    c = indicators(relation(case.graph)).shape[1]
    return [(k, optimum(loss, case.graph, k, hyper, case.seed)) for k in k_grid(c, above=above)]


def rank_sweep(loss: str, case: str, hyper: float, law, *, above: int = 1,
               rtol: float = RANK_RTOL) -> Measurement:
    """Rank of the optimum at every K of the grid against ``law(K, c, N)`` (a rank closed form
    lambdified from derivations.bl22.rank).

    error = max over K of |rank - law|; extras: rank - c at each K relative to c (keys
    ``rank_minus_c_at_K=c+1`` ...), the smallest kept and largest dropped relative singular
    values over the sweep (the rank's margin), the worst certificate; figure_data: the graph,
    c, N and the (K, rank) pairs.
    """
    case = Case(case)
    G = relation(case.graph)
    c, n = indicators(G).shape[1], G.shape[0]
    extra: dict[str, float] = {"certificate": 0.0}
    misses, pairs = [], []
    kept, dropped = 1.0, 0.0
    for k, opt in sweep(loss, case, hyper, above=above):
        report = rank_report(opt.canonical, rtol)
        predicted = int(law(*(torch.tensor(float(v)) for v in (k, c, n))))
        misses.append(abs(report.rank - predicted))
        pairs.append((k, report.rank))
        extra[f"rank_minus_c_at_K=c{k - c:+d}"] = report.rank - c
        kept, dropped = min(kept, report.kept), max(dropped, report.dropped)
        extra["certificate"] = max(extra["certificate"], opt.certificate)
    extra.update(smallest_kept_sv=kept, largest_dropped_sv=dropped)
    return Measurement(error=float(max(misses)), extra=extra,
                       figure_data=(case.graph, c, n, tuple(pairs)))


def bt_correlation(z: torch.Tensor, G: torch.Tensor) -> torch.Tensor:
    """BarlowTwins' C (K, K) with every ordered edge of G listed (BL22 Sec. 2.4, eps 1e-6)."""
    rows, cols = positive_pairs(G)
    return F.normalize(z[rows], dim=0, eps=1e-6).T @ F.normalize(z[cols], dim=0, eps=1e-6)


def rotation_change(loss: str, G: torch.Tensor, z: torch.Tensor, R: torch.Tensor,
                    hyper: float) -> float:
    """|L(Z R) - L(Z)| / max(1, |L(Z)|): relative for large losses, absolute near 0."""
    before = float(loss_value(loss, G, z, hyper))
    after = float(loss_value(loss, G, z @ R, hyper))
    return abs(after - before) / max(1.0, abs(before))


def rotation_sweep(loss: str, case: str, hyper: float, point: str) -> Measurement:
    """|L(Z R) - L(Z)| / max(1, |L(Z)|) for a Haar-random orthogonal R at every K of the grid.

    ``point``: "random" (Z with i.i.d. N(0, 1) entries) or "optimum" (the certified optimum of
    :func:`optimum`). Draws are seeded by (case.seed, K). error = the largest change; extras:
    the change at each K (keys ``change_at_K=c+1`` ...).
    """
    case = Case(case)
    G = relation(case.graph)
    c = indicators(G).shape[1]
    changes = {}
    for k in k_grid(c):
        generator = torch.Generator().manual_seed(1000 * case.seed + k)
        if point == "random":
            z = torch.randn(G.shape[0], k, generator=generator, dtype=torch.float64)
        else:
            z = optimum(loss, case.graph, k, hyper, case.seed).z
        changes[k] = rotation_change(loss, G, z, random_orthogonal(k, generator), hyper)
    return Measurement(error=max(changes.values()),
                       extra={f"change_{point}_at_K=c{k - c:+d}": v for k, v in changes.items()})


def random_orthogonal(k: int, generator: torch.Generator) -> torch.Tensor:
    """A Haar-random orthogonal K x K matrix (QR of a Gaussian, signs fixed by R's diagonal)."""
    Q, R = torch.linalg.qr(torch.randn(k, k, generator=generator, dtype=torch.float64))
    return Q * torch.sign(torch.diagonal(R))


def isotropic_random(n: int, k: int, scale: float, generator: torch.Generator) -> torch.Tensor:
    """A random Z (N, K) with Cov(Z) = scale^2 I exactly (whitened Gaussian plus a mean)."""
    Z = torch.randn(n, k, generator=generator, dtype=torch.float64)
    Zc = Z - Z.mean(dim=0)
    Q, _ = torch.linalg.qr(Zc)
    # Q's columns are orthonormal and centred (they span the centred columns of Z).
    mean = torch.randn(1, k, generator=generator, dtype=torch.float64)
    return math.sqrt(n - 1) * scale * Q + mean
