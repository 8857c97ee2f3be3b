"""Rank / singular-vector protocols of BL22-C5, BL22-C6 (free Z) and BL22-K1.

What it offers: the test graphs and sweeps of the family (:func:`cases`, :func:`k_grid`), the
certified free-Z optima of the audited losses (:func:`optimum`, cached: the C5, C6 and K1
claims audit the same trained optima), the representation each loss actually sees
(:func:`canonical`), and the measurements: ranks against a closed-form law (:func:`rank_sweep`),
spans against G's top eigenspace (:func:`component_basis`) and loss changes under right
rotations Z -> Z R (:func:`rotation_sweep`). Everything is float64; only SimCLR's fit runs on the
given device (N <= 9: the other fits run on one CPU thread, where threads and devices only add
overhead).

Losses and their conventions (docs/catalogue/BL22.md#notation and
docs/catalogue/BL22.md#codebase-conventions):

* ``simclr``: BL22's L_simCLR (Sec. 2.3), tau = :data:`TAU`; trained by the SimCLR protocol's
  ``fit_simclr`` (certificate re-checked at the row-normalised optimum).
* ``bt``: BL22's BarlowTwins (Sec. 2.4) with every ordered edge listed (uncentred,
  column-normalised C), off-diagonal weight alpha (the trial's hyper-parameter).
* ``vicreg``: BL22's pooled VICReg (Sec. 2.2), alpha = 25, beta = 1 and a small invariance weight
  gamma (the trial's hyper-parameter; below gamma_full(beta) = 0.95 beta, BL22-K3a); trained by
  the VICReg closed-form protocol's ``train`` from the hinge-regime closed form and a random start.
* ``vicreg-official`` / ``vicreg-solo``: the codebases' two-branch VICReg with the official
  weights sim/std/cov = 25/25/1 (lightly's loss is the official one); ``train_convention``.
* ``bt-official`` / ``bt-solo``: the codebases' BatchNorm BarlowTwins (centred, lambd 0.0051 /
  5e-3, solo x 0.025), fitted as :func:`.barlow_twins.fit_bt`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from tests.claims.bl22.protocols import barlow_twins as bt
from tests.claims.bl22.protocols import simclr
from tests.claims.bl22.protocols import vicreg_closed_form as vicreg
from tests.claims.bl22.protocols.settings import RANK_RTOL
from tests.claims.runtime import generator
from torch_impl.fit import cached_fit
from torch_impl.losses import (
    barlow_twins_loss_convention,
    barlow_twins_loss_from_relation,
    branches_from_views,
    simclr_loss,
    vicreg_loss,
    vicreg_loss_convention,
)
from torch_impl.metrics import rank_decades, rank_report, span_basis
from torch_impl.relations import Relation, as_relation, component_indicators, views_relation

__all__ = [
    "GRAPHS",
    "TAU",
    "VICREG_WEIGHTS",
    "VICREG_GAMMA",
    "CONVENTION_WEIGHTS",
    "LOSSES",
    "cases",
    "convention_cases",
    "case_points",
    "conventions",
    "relation",
    "k_grid",
    "Optimum",
    "optimum",
    "canonical",
    "loss_value",
    "sweep",
    "RankSweep",
    "rank_sweep",
    "sweep_decades",
    "margin_factor",
    "component_basis",
    "rotation_change",
    "worst_rotation_change",
    "RotationSweep",
    "rotation_sweep",
    "random_orthogonal",
    "isotropic_random",
]

GRAPHS = {"views4x2": (4, 2), "views3x3": (3, 3)}
"""name -> (N', V) of a views graph (BL22 Sec. 2.1): c = N' components of V-cliques."""
TAU = 0.5
"""SimCLR temperature (the C4 family audits the tau range)."""
VICREG_WEIGHTS = {"alpha": 25.0, "beta": 1.0}
"""BL22's VICReg variance / covariance weights (BL22 naming)."""
VICREG_GAMMA = 0.1
"""Small invariance weight: below gamma_full(beta) = 0.95 (BL22-K3a), so full rank predicted."""
CONVENTION_WEIGHTS = {"sim": 25.0, "std": 25.0, "cov": 1.0}
"""The codebases' default VICReg weights (docs/catalogue/BL22.md#codebase-conventions)."""
LOSSES = ("simclr", "bt", "vicreg", "vicreg-official", "vicreg-solo", "bt-official", "bt-solo")
"""The losses :func:`optimum` trains (module docstring)."""
_PROFILES = ("quick", "full")
# worst_rotation_change: Haar draws scored, the best few of which (per sign of the change) seed
# a local search over O(K). With 32 draws and 2 searches the codebases' optima gave the same
# maximum to 1e-10 from every representative tried (two CPU kernel settings, two seeds).
_ROTATION_DRAWS = 32
_ROTATION_SEARCHES = 2
_ROTATION_MAX_ITER = 100


def _check_profile(profile: str) -> None:
    if profile not in _PROFILES:
        raise ValueError(f"profile: expected 'quick' or 'full', got {profile!r}")


def _check_graph(graph: str) -> None:
    if graph not in GRAPHS:
        raise ValueError(f"graph: expected one of {sorted(GRAPHS)}, got {graph!r}")


# -------------------------------------------------------------------------------------------
# Sweeps
# -------------------------------------------------------------------------------------------


def cases(profile: str, run_seed: int) -> list[dict[str, str | int]]:
    """The (graph, fit seed) settings of ``profile``, small first.

    Parameters
    ----------
    profile : {"quick", "full"}
    run_seed : int
        The run seed s (``--seed``); the fit seeds are 2 s and 2 s + 1.

    Returns
    -------
    list of dict
        ``{"graph": name, "seed": fit seed}``: quick = views4x2 with 2 s; full = views4x2 with
        2 s and 2 s + 1, then views3x3 (V = 3) with 2 s.
    """
    _check_profile(profile)
    first, second = 2 * run_seed, 2 * run_seed + 1
    if profile == "quick":
        return [{"graph": "views4x2", "seed": first}]
    return [{"graph": "views4x2", "seed": first}, {"graph": "views4x2", "seed": second},
            {"graph": "views3x3", "seed": first}]


def convention_cases(profile: str, run_seed: int) -> list[dict[str, str | int]]:
    """The :func:`cases` the codebases' two-branch losses run on: V = 2 graphs only."""
    return [case for case in cases(profile, run_seed) if GRAPHS[case["graph"]][1] == 2]


def case_points(settings: list[dict[str, str | int]],
                **axes: tuple | list) -> list[dict[str, object]]:
    """Grid points: each setting of ``settings`` crossed with the axes, settings slowest.

    The order of the former hypothesis sweeps' ``sampled_from`` lists (small first), so that a
    failing grid reports the same first point.

    Parameters
    ----------
    settings : list of dict
        From :func:`cases` or :func:`convention_cases`.
    **axes : list or tuple
        Further parameters, each a list of plain values; the first varies slowest.

    Returns
    -------
    list of dict
        ``{**setting, axis_1: value, ...}`` for every combination, in that order.

    Examples
    --------
    >>> case_points([{"graph": "views4x2", "seed": 0}], alpha=[0.1, 1.0])
    [{'graph': 'views4x2', 'seed': 0, 'alpha': 0.1}, {'graph': 'views4x2', 'seed': 0, 'alpha': 1.0}]
    """
    points = [dict(setting) for setting in settings]
    for name, values in axes.items():
        points = [{**point, name: value} for point in points for value in values]
    return points


def conventions(profile: str) -> tuple[str, ...]:
    """Codebase conventions audited: quick = official (= lightly for VICReg), full = + solo."""
    _check_profile(profile)
    return ("official",) if profile == "quick" else ("official", "solo")


@functools.cache
def relation(graph: str) -> Relation:
    """The views relation G (V N', V N') of a named graph of :data:`GRAPHS` (dense float64),
    validated once (``G.dense()`` is the matrix)."""
    _check_graph(graph)
    return as_relation(views_relation(*GRAPHS[graph]))


def k_grid(c: int, profile: str, *, above: int = 1) -> list[int]:
    """The K swept for c components: below, at and above c.

    Parameters
    ----------
    c : int
        Component count.
    profile : {"quick", "full"}
    above : int, default=1
        How far above c the full grid reaches.

    Returns
    -------
    list of int
        full: c-2..c+above; quick: c-1..c+min(above, 1). K >= 2 always: with one column the
        cosine is a sign and SimCLR's loss is piecewise constant (BL22-C4b-1D).
    """
    _check_profile(profile)
    if profile == "quick":
        return list(range(max(c - 1, 2), c + min(above, 1) + 1))
    return list(range(max(c - 2, 2), c + above + 1))


# -------------------------------------------------------------------------------------------
# Optima
# -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Optimum:
    """A certified free-Z optimum.

    Attributes
    ----------
    z : torch.Tensor of shape (N, K)
        The optimum, on the CPU (SimCLR: row-normalised, as ``fit_simclr`` returns it).
    canonical : torch.Tensor of shape (N, K)
        What the loss sees (:func:`canonical`); ranks and spans are measured on it.
    loss : float
        The loss at ``z``.
    certificate : float
        ``||grad|| / max(1, |loss|)`` (the min-norm subgradient for VICReg's hinges), at most
        ``settings.GRAD_TOL``.
    """

    z: torch.Tensor
    canonical: torch.Tensor
    loss: float
    certificate: float


def canonical(loss: str, z: torch.Tensor) -> torch.Tensor:
    """The representation a loss depends on, (N, K).

    simclr: normalize(Z) (row scales are free); bt: Z (column scales are free, which changes
    neither rank nor span); vicreg: H Z (the mean is free); vicreg-*: each branch centred;
    bt-*: each branch BatchNorm-standardised (:func:`.barlow_twins.bn_standardise`), stacked.
    """
    if loss not in LOSSES:
        raise ValueError(f"loss: expected one of {LOSSES}, got {loss!r}")
    if loss == "simclr":
        return F.normalize(z, dim=1)
    if loss == "bt":
        return z
    if loss == "vicreg":
        return z - z.mean(dim=0)
    if loss.startswith("vicreg-"):
        return torch.cat([b - b.mean(dim=0) for b in branches_from_views(z)])
    return bt.bn_standardise(z)


def loss_value(loss: str, G: torch.Tensor | Relation, z: torch.Tensor,
               hyper: float) -> torch.Tensor:
    """The loss ``loss`` at z (N, K), a 0-d tensor; ``hyper`` as in :func:`optimum`.

    The two-branch conventions split z into its two views (``branches_from_views``) and do not
    use G.
    """
    if loss == "simclr":
        return simclr_loss(z, G, tau=hyper)
    if loss == "bt":
        return barlow_twins_loss_from_relation(z, G, alpha=hyper)
    if loss == "vicreg":
        return vicreg_loss(z, G, gamma=hyper, **VICREG_WEIGHTS)
    if loss not in LOSSES:
        raise ValueError(f"loss: expected one of {LOSSES}, got {loss!r}")
    convention = loss.split("-", 1)[1]
    z_a, z_b = branches_from_views(z)
    if loss.startswith("vicreg-"):
        return vicreg_loss_convention(z_a, z_b, convention=convention, sim_coeff=hyper,
                                      std_coeff=CONVENTION_WEIGHTS["std"],
                                      cov_coeff=CONVENTION_WEIGHTS["cov"])
    return barlow_twins_loss_convention(z_a, z_b, convention=convention)


def _fit_vicreg(G: Relation, k: int, gamma: float, seed: int) -> tuple[torch.Tensor, float,
                                                                      float]:
    """VICReg's certified optimum from the hinge-regime closed form and a random start."""
    dense = G.dense()
    n = G.n
    spec = vicreg.laplacian_spectrum(dense, k)
    hinge = vicreg.coupled(spec, n, beta=VICREG_WEIGHTS["beta"], gamma=gamma)
    start = vicreg.embedding(spec, n, hinge.mu.sqrt(), unit_diagonal=True)
    training = vicreg.train(dense, k, gamma=gamma, seed=seed,
                            starts={"hinge closed form": start, "random": None},
                            **VICREG_WEIGHTS)
    return training.z, training.loss, training.certificate


@cached_fit
def _optimum(loss: str, graph: str, k: int, hyper: float, seed: int,
             device: torch.device) -> Optimum:
    """:func:`optimum` with normalised arguments, so that equal settings share one key."""
    if loss not in LOSSES:
        raise ValueError(f"loss: expected one of {LOSSES}, got {loss!r}")
    G = relation(graph)
    if loss == "simclr":
        fit = simclr.fit_simclr(G.to(device), k, hyper, seed=seed)
        z, value, certificate = fit.z.cpu(), fit.loss, fit.grad_norm
    elif loss == "bt":
        fit = bt.fit_bt(lambda x: barlow_twins_loss_from_relation(x, G, alpha=hyper), (G.n, k),
                        seed)
        z, value, certificate = fit.z, fit.loss, fit.grad_norm
    elif loss == "vicreg":
        z, value, certificate = _fit_vicreg(G, k, hyper, seed)
    elif loss.startswith("vicreg-"):
        n_orig, n_views = GRAPHS[graph]
        if n_views != 2:
            raise ValueError(f"graph: the two-branch conventions need V = 2, got {graph!r}")
        fit = vicreg.train_convention(n_orig, k, loss.split("-", 1)[1], sim=hyper,
                                      std=CONVENTION_WEIGHTS["std"],
                                      cov=CONVENTION_WEIGHTS["cov"], seed=seed)
        z, value, certificate = fit.z, fit.loss, fit.grad_norm
    else:
        convention = loss.split("-", 1)[1]

        def loss_fn(x: torch.Tensor) -> torch.Tensor:
            return barlow_twins_loss_convention(*branches_from_views(x), convention=convention)

        fit = bt.fit_bt(loss_fn, (G.n, k), seed)
        z, value, certificate = fit.z, fit.loss, fit.grad_norm
    return Optimum(z, canonical(loss, z), value, certificate)


def optimum(loss: str, graph: str, k: int, hyper: float, seed: int, *,
            device: torch.device | str) -> Optimum:
    """The certified free-Z optimum of ``loss`` on ``graph`` with K = k columns.

    Cached by every argument, the device included, and a failure too
    (``torch_impl.fit.cached_fit``): the C5, C6 and K1 claims that share an optimum train it
    once per run, and a fit that does not converge is reported by each of them without being
    retrained.

    Parameters
    ----------
    loss : str
        One of :data:`LOSSES`.
    graph : str
        A key of :data:`GRAPHS` (the two-branch conventions need V = 2).
    k : int
        K, the number of columns.
    hyper : float
        simclr: tau; bt: alpha; vicreg: gamma; vicreg-*: sim_coeff; bt-*: ignored (the
        convention's default lambd; pass 0.0).
    seed : int
        The fit seed.
    device : torch.device or str
        Where SimCLR's fit runs (the others run on the CPU); the returned tensors are on the CPU.

    Returns
    -------
    Optimum

    Raises
    ------
    torch_impl.fit.NotConverged
        A fit missed its certificate (the engine's not-converged verdict).
    """
    return _optimum(loss, graph, int(k), float(hyper), int(seed), torch.device(device))


def sweep(loss: str, graph: str, seed: int, hyper: float, *, profile: str,
          device: torch.device | str, above: int = 1) -> list[tuple[int, Optimum]]:
    """(K, optimum) for every K of :func:`k_grid` on ``graph`` (arguments as :func:`optimum`)."""
    c = relation(graph).n_components
    return [(k, optimum(loss, graph, k, hyper, seed, device=device))
            for k in k_grid(c, profile, above=above)]


# -------------------------------------------------------------------------------------------
# Ranks
# -------------------------------------------------------------------------------------------


def margin_factor(decades: float) -> float:
    """``10 ** decades``, a :class:`verify.Measurement` margin (inf beyond the float range)."""
    return math.inf if decades > 300 else 10.0 ** decades


def sweep_decades(decades: list[float], matched: list[bool]) -> float:
    """A trial's rank margin over several ranks (decades of ``torch_impl.metrics.rank_decades``).

    All match (the trial holds): the smallest, the first to flip. Some miss (it fails): the
    largest among the misses, since the trial fails as long as one of them still misses.
    """
    if len(decades) != len(matched) or not decades:
        raise ValueError("decades, matched: expected two non-empty lists of the same length")
    if all(matched):
        return min(decades)
    return max(d for d, ok in zip(decades, matched, strict=True) if not ok)


@dataclass(frozen=True)
class RankSweep:
    """The ranks of one sweep's optima against a closed-form law.

    Attributes
    ----------
    graph : str
    c, n : int
        Component count and number of nodes N of the graph.
    ks, ranks, predicted : tuple of int
        K, the numerical rank of the optimum (as the loss sees it) and the law's rank, per K.
    kept, dropped : float
        Smallest kept and largest dropped relative singular value over the sweep.
    margin_decades : float
        :func:`sweep_decades` of the per-K ``rank_decades``.
    certificate : float
        The worst certificate of the sweep's optima.
    """

    graph: str
    c: int
    n: int
    ks: tuple[int, ...]
    ranks: tuple[int, ...]
    predicted: tuple[int, ...]
    kept: float
    dropped: float
    margin_decades: float
    certificate: float

    @property
    def error(self) -> float:
        """max over K of |rank - law|."""
        return float(max(abs(r - p) for r, p in zip(self.ranks, self.predicted, strict=True)))

    @property
    def margin(self) -> float:
        """:func:`margin_factor` of :attr:`margin_decades`."""
        return margin_factor(self.margin_decades)

    @property
    def extra(self) -> dict[str, float]:
        """A new dict: the worst certificate, rank - c at each K (keys
        ``rank_minus_c_at_K=c+1`` ...), ``smallest_kept_sv``, ``largest_dropped_sv``,
        ``margin_decades``."""
        extra: dict[str, float] = {"certificate": self.certificate}
        extra.update({f"rank_minus_c_at_K=c{k - self.c:+d}": r - self.c
                      for k, r in zip(self.ks, self.ranks, strict=True)})
        extra.update(smallest_kept_sv=self.kept, largest_dropped_sv=self.dropped,
                     margin_decades=self.margin_decades)
        return extra

    @property
    def figure_data(self) -> tuple:
        """(graph, c, N, ((K, rank), ...))."""
        return (self.graph, self.c, self.n, tuple(zip(self.ks, self.ranks, strict=True)))


def rank_sweep(loss: str, graph: str, seed: int, hyper: float,
               law: Callable[..., torch.Tensor], *, profile: str, device: torch.device | str,
               above: int = 1, rtol: float = RANK_RTOL) -> RankSweep:
    """Numerical rank of the optimum at every K of the grid against ``law(K, c, N)``.

    Parameters
    ----------
    loss, graph, seed, hyper, profile, device, above
        As :func:`sweep`.
    law : callable
        A rank closed form of derivations.bl22.rank lambdified in (K, c, N) (0-d tensors).
    rtol : float, default=settings.RANK_RTOL
        Relative rank threshold of ``rank_report`` (BN-standardised branches:
        ``settings.BN_RANK_RTOL``).

    Returns
    -------
    RankSweep
    """
    G = relation(graph)
    c, n = G.n_components, G.n
    ks, ranks, predicted, decades = [], [], [], []
    kept, dropped, certificate = 1.0, 0.0, 0.0
    for k, opt in sweep(loss, graph, seed, hyper, profile=profile, device=device, above=above):
        report = rank_report(opt.canonical, rtol)
        law_rank = int(law(*(torch.tensor(float(v)) for v in (k, c, n))))
        ks.append(k)
        ranks.append(report.rank)
        predicted.append(law_rank)
        decades.append(rank_decades(report, law_rank, rtol))
        kept, dropped = min(kept, report.kept), max(dropped, report.dropped)
        certificate = max(certificate, opt.certificate)
    margin_decades = sweep_decades(decades, [r == p for r, p in zip(ranks, predicted,
                                                                     strict=True)])
    return RankSweep(graph, c, n, tuple(ks), tuple(ranks), tuple(predicted), kept, dropped,
                     margin_decades, certificate)


def component_basis(G: torch.Tensor | Relation, *, centred: bool) -> torch.Tensor:
    """Orthonormal basis of G's top eigenspace span(P) (N, c), or of H P (N, c - 1) when
    ``centred`` (the part a centred representation can use); P = component indicators, whose
    span is G's top eigenspace for a views graph (eigenvalue V - 1)."""
    P = component_indicators(G)
    if centred:
        P = P - P.mean(dim=0)
    return span_basis(P, RANK_RTOL)


# -------------------------------------------------------------------------------------------
# Right rotations (BL22-K1b)
# -------------------------------------------------------------------------------------------


def rotation_change(loss: str, G: torch.Tensor | Relation, z: torch.Tensor, R: torch.Tensor,
                    hyper: float) -> float:
    """``|L(Z R) - L(Z)| / max(1, |L(Z)|)`` for Z (N, K) and R (K, K): relative for large
    losses, absolute near 0."""
    before = float(loss_value(loss, G, z, hyper))
    after = float(loss_value(loss, G, z @ R, hyper))
    return abs(after - before) / max(1.0, abs(before))


def worst_rotation_change(loss: str, G: torch.Tensor | Relation, z: torch.Tensor, hyper: float,
                          rng: torch.Generator) -> float:
    """``max over orthogonal R of |L(Z R) - L(Z)| / max(1, |L(Z)|)``, Z (N, K).

    Scores 32 Haar-random R drawn from ``rng``, then maximises L(Z R) - L(Z) and L(Z) - L(Z R)
    by L-BFGS over R = R_0 exp(A - A^T) from the best 2 draws of each sign. Why the worst case
    rather than one random R: it depends on Z only through its orbit {Z Q : Q orthogonal}
    (R -> Q R maps O(K) onto itself). The codebases' optima with K >= c are such an orbit, not
    a point: certified fits under two CPU kernel settings differ by O(1) while their centred
    Gram matrices agree to 1e-10 (Z_2 = Z_1 Q), so one random R gave changes 6.29 and 1.34 at
    the same optimum; the worst case agrees to 1e-10.
    """
    base = loss_value(loss, G, z, hyper).detach()
    scale = max(1.0, abs(float(base)))
    k = z.shape[1]
    draws = [random_orthogonal(k, rng) for _ in range(_ROTATION_DRAWS)]
    scores = torch.tensor([float(loss_value(loss, G, z @ R, hyper) - base) for R in draws])
    worst = 0.0
    for sign in (1.0, -1.0):
        for index in torch.argsort(sign * scores, descending=True)[:_ROTATION_SEARCHES]:
            worst = max(worst, _rotation_search(loss, G, z, hyper, draws[index], sign, base))
    return worst / scale


def _rotation_search(loss: str, G: torch.Tensor | Relation, z: torch.Tensor, hyper: float,
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


@dataclass(frozen=True)
class RotationSweep:
    """Loss changes under right rotations over one sweep's K.

    Attributes
    ----------
    point : str
        "random" or "optimum" (see :func:`rotation_sweep`).
    c : int
        Component count of the graph.
    changes : tuple of (int, float)
        (K, change) per K of the grid.
    """

    point: str
    c: int
    changes: tuple[tuple[int, float], ...]

    @property
    def error(self) -> float:
        """The largest change."""
        return max(change for _, change in self.changes)

    @property
    def extra(self) -> dict[str, float]:
        """The change at each K, keys ``change_<point>_at_K=c+1`` ..."""
        return {f"change_{self.point}_at_K=c{k - self.c:+d}": v for k, v in self.changes}


@functools.cache
def _rotation_changes(loss: str, graph: str, seed: int, hyper: float, point: str, worst: bool,
                      profile: str, device: torch.device) -> tuple[tuple[int, float], ...]:
    """(K, change) over the K grid for :func:`rotation_sweep` (cached: trials repeat)."""
    G = relation(graph)
    changes = []
    for k in k_grid(G.n_components, profile):
        rng = generator(1000 * seed + k)
        if point == "random":
            z = torch.randn(G.n, k, generator=rng, dtype=torch.float64)
        else:
            opt = optimum(loss, graph, k, hyper, seed, device=device)
            # The worst case starts from what the loss sees: BatchNorm's per-branch column
            # scales (free at the optimum, set by the fit's path) are thereby fixed too.
            z = opt.canonical if worst else opt.z
        if worst:
            changes.append((k, worst_rotation_change(loss, G, z, hyper, rng)))
        else:
            changes.append((k, rotation_change(loss, G, z, random_orthogonal(k, rng), hyper)))
    return tuple(changes)


def rotation_sweep(loss: str, graph: str, seed: int, hyper: float, point: str, *,
                   profile: str, device: torch.device | str,
                   worst: bool = False) -> RotationSweep:
    """``|L(Z R) - L(Z)| / max(1, |L(Z)|)`` at every K of :func:`k_grid` (BL22-K1b).

    Parameters
    ----------
    loss, graph, seed, hyper, profile, device
        As :func:`sweep`.
    point : {"random", "optimum"}
        Z with i.i.d. N(0, 1) entries, or the certified optimum of :func:`optimum`.
    worst : bool, default=False
        R the worst case over all orthogonal R (:func:`worst_rotation_change`, from what the
        loss sees: the measure for losses whose optimum is an orbit of rotations rather than a
        point) instead of one Haar-random R. Draws are seeded by 1000 seed + K.

    Returns
    -------
    RotationSweep
    """
    if point not in ("random", "optimum"):
        raise ValueError(f"point: expected 'random' or 'optimum', got {point!r}")
    _check_profile(profile)
    changes = _rotation_changes(loss, graph, int(seed), float(hyper), point, bool(worst),
                                profile, torch.device(device))
    return RotationSweep(point, relation(graph).n_components, changes)


def random_orthogonal(k: int, rng: torch.Generator) -> torch.Tensor:
    """A Haar-random orthogonal (K, K) matrix: QR of a Gaussian, signs fixed by R's diagonal."""
    Q, R = torch.linalg.qr(torch.randn(k, k, generator=rng, dtype=torch.float64))
    return Q * torch.sign(torch.diagonal(R))


def isotropic_random(n: int, k: int, scale: float, rng: torch.Generator) -> torch.Tensor:
    """A random Z (N, K) with Cov(Z) = scale^2 I exactly (unbiased covariance, 1/(N-1)).

    ``sqrt(N - 1) scale Q + 1 m^T`` with Q the orthonormal basis of a centred Gaussian's columns
    (so Q is centred) and m a Gaussian mean row.
    """
    Z = torch.randn(n, k, generator=rng, dtype=torch.float64)
    Q, _ = torch.linalg.qr(Z - Z.mean(dim=0))
    mean = torch.randn(1, k, generator=rng, dtype=torch.float64)
    return math.sqrt(n - 1) * scale * Q + mean
