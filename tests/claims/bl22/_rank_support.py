"""Shared numerics of the rank / singular-vector family (BL22-C5, BL22-C6 free Z, BL22-K1).

Test graphs and K grids, the certified optima of the three losses (cached: the C5, C6 and K1
modules audit the same trained optima), the representation each loss actually sees, and the
rank / subspace / rotation measurements. Everything is float64 on the CPU (N <= 9: threads and
devices only add overhead).

Losses and their conventions (docs/catalogue/BL22.md#notation and
docs/catalogue/BL22.md#codebase-conventions):

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
fits are therefore polished to the floor (``torch_impl.fit``'s ``polish_to_floor``: Newton
steps on the quartic valley while they still remove a fraction of the loss) and certified there.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from tests.claims.bl22 import _simclr_support as simclr_sup
from tests.claims.bl22 import _vicreg_support as vicreg_sup
from torch_impl.fit import cached_fit, fit_free
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
    "rank_decades",
    "sweep_decades",
    "margin_factor",
    "span_basis",
    "containment_angle",
    "component_basis",
    "sweep",
    "rank_sweep",
    "bt_correlation",
    "rotation_change",
    "worst_rotation_change",
    "rotation_sweep",
    "random_orthogonal",
    "isotropic_random",
]

GRAPHS = {"views4x2": (4, 2), "views3x3": (3, 3)}
"""name -> (N', V) of a views graph (BL22 Sec. 2.1): c = N' components of V-cliques."""
RANK_RTOL = vicreg_sup.RANK_RTOL
"""Numerical rank: singular values above RANK_RTOL * s_max (the VICReg family's threshold, one
constant: the downstream probe drops the directions below it too)."""
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
"""The codebases' default VICReg weights (docs/catalogue/BL22.md#codebase-conventions)."""
# BatchNorm1d's eps in the official / solo BarlowTwins (conventions.py).
_BN_EPS = 1e-5
_BT_RESTARTS = 2
_MAX_ITER = 3000
# Newton steps to polish a BarlowTwins optimum to the floor of its quartic valley (module
# docstring); each removes ~80% of the loss, so the budget is never the limit.
_BT_POLISH_STEPS = 80
# worst_rotation_change: Haar draws scored, the best few of which (per sign of the change) seed
# a local search over O(K). With 32 draws and 2 searches the codebases' optima gave the same
# maximum to 1e-10 from every representative tried (two CPU kernel settings, two seeds).
_ROTATION_DRAWS = 32
_ROTATION_SEARCHES = 2
_ROTATION_MAX_ITER = 100


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


def _fit_bt(loss_fn, shape: tuple[int, int], seed: int) -> tuple[torch.Tensor, float, float]:
    """Seeded restarts, each polished to the floor of its quartic valley and certified there."""
    with vicreg_sup.single_thread():
        fit = fit_free(loss_fn, shape, seed=seed, restarts=_BT_RESTARTS, max_iter=_MAX_ITER,
                       polish_to_floor=True, polish_steps=_BT_POLISH_STEPS, device="cpu",
                       progress=False).require_converged()
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


@cached_fit
def optimum(loss: str, graph: str, k: int, hyper: float, seed: int) -> Optimum:
    """The certified free-Z optimum of ``loss`` on ``graph`` with K = k columns.

    Cached by its arguments, a failure included (``torch_impl.fit.cached_fit``): the C5, C6
    and K1 claims that share an optimum train it once per run, and a fit that does not
    converge is reported by each of them without being retrained.

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


def _log10_ratio(a: float, b: float) -> float:
    """log10(a / b) for a, b >= 0, with log10(a / 0) = inf and log10(0 / b) = -inf."""
    if b == 0.0:
        return math.inf
    return -math.inf if a == 0.0 else math.log10(a / b)


def rank_decades(report: RankReport, predicted: int, rtol: float = RANK_RTOL) -> float:
    """The rank decision's margin in decades: how far the deciding singular value sits from
    the threshold ``rtol`` (relative to s_max), log10 of a ratio >= 1.

    rank == predicted: min(log10(kept / rtol), log10(rtol / dropped)), the nearer of the two
    values next to the threshold (inf on a side without one). rank > predicted: the
    (predicted + 1)-th relative singular value must fall below rtol for the two to agree,
    log10(s / rtol); rank < predicted: the predicted-th must rise above it, log10(rtol / s)
    (inf when it does not exist, predicted > min(N, K): no threshold can make them agree).
    """
    s, r = report.singular, report.rank
    if r == predicted:
        return min(_log10_ratio(report.kept, rtol) if r > 0 else math.inf,
                   _log10_ratio(rtol, report.dropped))
    if r > predicted:
        return _log10_ratio(s[predicted], rtol)
    return _log10_ratio(rtol, s[predicted - 1]) if predicted <= len(s) else math.inf


def margin_factor(decades: float) -> float:
    """10 ** decades, a :class:`verify.Measurement` margin (inf beyond the float range)."""
    return math.inf if decades > 300 else 10.0 ** decades


def sweep_decades(decades: list[float], matched: list[bool]) -> float:
    """A trial's rank margin over several ranks (decades of :func:`rank_decades`).

    All match (the trial holds): the smallest, the first to flip. Some miss (it fails): the
    largest among the misses, since the trial fails as long as one of them still misses.
    """
    if all(matched):
        return min(decades)
    return max(d for d, ok in zip(decades, matched, strict=True) if not ok)


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

    error = max over K of |rank - law|; margin = 10 ** ``margin_decades`` (:func:`rank_decades`
    at each K, combined by :func:`sweep_decades`); extras: rank - c at each K relative to c
    (keys ``rank_minus_c_at_K=c+1`` ...), the smallest kept and largest dropped relative
    singular values over the sweep, ``margin_decades``, the worst certificate; figure_data:
    the graph, c, N and the (K, rank) pairs.
    """
    case = Case(case)
    G = relation(case.graph)
    c, n = indicators(G).shape[1], G.shape[0]
    extra: dict[str, float] = {"certificate": 0.0}
    misses, pairs, decades = [], [], []
    kept, dropped = 1.0, 0.0
    for k, opt in sweep(loss, case, hyper, above=above):
        report = rank_report(opt.canonical, rtol)
        predicted = int(law(*(torch.tensor(float(v)) for v in (k, c, n))))
        misses.append(abs(report.rank - predicted))
        decades.append(rank_decades(report, predicted, rtol))
        pairs.append((k, report.rank))
        extra[f"rank_minus_c_at_K=c{k - c:+d}"] = report.rank - c
        kept, dropped = min(kept, report.kept), max(dropped, report.dropped)
        extra["certificate"] = max(extra["certificate"], opt.certificate)
    margin_decades = sweep_decades(decades, [m == 0 for m in misses])
    extra.update(smallest_kept_sv=kept, largest_dropped_sv=dropped,
                 margin_decades=margin_decades)
    return Measurement(error=float(max(misses)), extra=extra,
                       figure_data=(case.graph, c, n, tuple(pairs)),
                       margin=margin_factor(margin_decades))


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


def worst_rotation_change(loss: str, G: torch.Tensor, z: torch.Tensor, hyper: float,
                          generator: torch.Generator) -> float:
    """max over orthogonal R of |L(Z R) - L(Z)| / max(1, |L(Z)|), Z (N, K).

    Scores ``_ROTATION_DRAWS`` Haar-random R, then maximises L(Z R) - L(Z) and L(Z) - L(Z R)
    by L-BFGS over R = R_0 exp(A - A^T) from the best ``_ROTATION_SEARCHES`` draws of each.
    Why the worst case rather than one random R: it depends on Z only through its orbit
    {Z Q : Q orthogonal} (R -> Q R maps O(K) onto itself). The codebases' optima with K >= c
    are such an orbit, not a point: certified fits under two CPU kernel settings differ by
    O(1) while their centred Gram matrices agree to 1e-10 (Z_2 = Z_1 Q), so one random R gave
    changes 6.29 and 1.34 at the same optimum; the worst case agrees to 1e-10.
    """
    base = loss_value(loss, G, z, hyper).detach()
    scale = max(1.0, abs(float(base)))
    k = z.shape[1]
    draws = [random_orthogonal(k, generator) for _ in range(_ROTATION_DRAWS)]
    scores = torch.tensor([float(loss_value(loss, G, z @ R, hyper) - base) for R in draws])
    worst = 0.0
    for sign in (1.0, -1.0):
        for index in torch.argsort(sign * scores, descending=True)[:_ROTATION_SEARCHES]:
            worst = max(worst, _rotation_search(loss, G, z, hyper, draws[index], sign, base))
    return worst / scale


def _rotation_search(loss: str, G: torch.Tensor, z: torch.Tensor, hyper: float,
                     start: torch.Tensor, sign: float, base: torch.Tensor) -> float:
    """Local maximum of sign (L(Z R) - L(Z)) over R = start exp(A - A^T) (L-BFGS from A = 0)."""
    k = start.shape[0]
    # A flat parameter: LBFGS needs a contiguous gradient, which A - A^T's is not.
    flat = torch.zeros(k * k, dtype=start.dtype, requires_grad=True)

    def rotation() -> torch.Tensor:
        A = flat.reshape(k, k)
        return start @ torch.linalg.matrix_exp(A - A.T)

    optimiser = torch.optim.LBFGS([flat], max_iter=_ROTATION_MAX_ITER, tolerance_grad=1e-12,
                                  tolerance_change=1e-16, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        value = -sign * (loss_value(loss, G, z @ rotation(), hyper) - base)
        value.backward()
        return value

    with torch.enable_grad():
        optimiser.step(closure)
    with torch.no_grad():
        return float(sign * (loss_value(loss, G, z @ rotation(), hyper) - base))


@functools.cache
def _rotation_changes(loss: str, case: str, hyper: float, point: str,
                      worst: bool) -> tuple[tuple[int, float], ...]:
    """(K, change) over the K grid for :func:`rotation_sweep` (cached: trials repeat)."""
    case = Case(case)
    G = relation(case.graph)
    changes = []
    for k in k_grid(indicators(G).shape[1]):
        generator = torch.Generator().manual_seed(1000 * case.seed + k)
        if point == "random":
            z = torch.randn(G.shape[0], k, generator=generator, dtype=torch.float64)
        else:
            opt = optimum(loss, case.graph, k, hyper, case.seed)
            # The worst case starts from what the loss sees: BatchNorm's per-branch column
            # scales (free at the optimum, set by the fit's path) are thereby fixed too.
            z = opt.canonical if worst else opt.z
        if worst:
            changes.append((k, worst_rotation_change(loss, G, z, hyper, generator)))
        else:
            changes.append((k, rotation_change(loss, G, z, random_orthogonal(k, generator),
                                               hyper)))
    return tuple(changes)


def rotation_sweep(loss: str, case: str, hyper: float, point: str, *,
                   worst: bool = False) -> Measurement:
    """|L(Z R) - L(Z)| / max(1, |L(Z)|) at every K of the grid.

    ``point``: "random" (Z with i.i.d. N(0, 1) entries) or "optimum" (the certified optimum of
    :func:`optimum`). R: one Haar-random orthogonal matrix, or with ``worst`` the worst case
    over all R (:func:`worst_rotation_change`: the measure for losses whose optimum is an
    orbit of rotations rather than a point). Draws are seeded by (case.seed, K). error = the
    largest change; extras: the change at each K (keys ``change_random_at_K=c+1`` ...).
    """
    case = Case(case)
    c = indicators(relation(case.graph)).shape[1]
    changes = dict(_rotation_changes(loss, case, hyper, point, worst))
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
