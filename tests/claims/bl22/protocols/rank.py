"""Rank / singular-vector protocols of BL22-C5, BL22-C6 (free Z) and BL22-K1.

What it offers: the test graphs and sweeps of the family (:func:`cases`, :func:`k_grid`; graphs
are named by a spec of ``tests/claims/graphs.py`` or a key of :data:`GRAPHS`), the
certified free-Z optima of the audited losses (:func:`optimum`, cached: the C5, C6 and K1
claims audit the same trained optima), the representation each loss actually sees
(:func:`canonical`), and the measurements: ranks against a closed-form law (:func:`rank_sweep`),
spans against G's top eigenspace (:func:`component_basis`) and loss changes under right
rotations Z -> Z R (:func:`rotation_sweep`). Everything is float64; every fit runs on the given
device (seeded draws are made on the CPU, then moved) and returns its optimum on the CPU, with
its second-order certificate (``Optimum.min_tangent_eig``).

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

from tests.claims import graphs as graph_families
from tests.claims.bl22.protocols import barlow_twins as bt
from tests.claims.bl22.protocols import simclr
from tests.claims.bl22.protocols import vicreg_closed_form as vicreg
from tests.claims.bl22.protocols.settings import RANK_RTOL
from tests.claims.runtime import generator
from torch_impl.fit import FitResult, cached_fit
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
    "COMPONENT_SPECS",
    "TAU",
    "VICREG_WEIGHTS",
    "VICREG_GAMMA",
    "CONVENTION_WEIGHTS",
    "LOSSES",
    "TWO_VIEW_SPECS",
    "COMPONENT_FAMILIES",
    "CLIQUE_FAMILIES",
    "VICREG_GAMMAS",
    "vicreg_gammas",
    "SIMCLR_TAUS",
    "simclr_taus",
    "cases",
    "scale_specs",
    "settings_text",
    "SCALE_COMPONENTS",
    "convention_cases",
    "n_views",
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
    "component_gap",
    "rotation_change",
    "worst_rotation_change",
    "RotationSweep",
    "rotation_sweep",
    "random_orthogonal",
    "simplex_start",
    "isotropic_random",
]

GRAPHS = {"views4x2": (4, 2), "views3x3": (3, 3)}
"""name -> (N', V) of a views graph (BL22 Sec. 2.1): c = N' components of V-cliques."""
COMPONENT_SPECS = {
    "views": ("views(n=4,v=2)", "views(n=3,v=3)", "views(n=2,v=4)", "views(n=3,v=2)"),
    "labels": ("labels(sizes=3-5)", "labels(sizes=2-3-4)", "labels(sizes=2-4-6)"),
    "sbm": ("sbm(sizes=3-5,p=0.4,seed=1)", "sbm(sizes=4-6-8,p=0.4,seed=3)"),
    "knn": ("knn(n=16,k=2,seed=0)", "knn(n=16,k=2,seed=28)"),
}
"""family -> relation specs (``tests/claims/graphs.py``) with c in 2..4 components, small first:
the graphs the full profile sweeps K on (quick: the first spec of the first family). views and
labels (unequal classes) are clique-structured: G + I is block-diagonal of ones, so rank(G + I)
= c and the component-rank laws apply; sbm and knn components are not cliques. N <= 18: every
spec is swept over K with certified fits (the family's time budget)."""
TWO_VIEW_SPECS = ("views(n=4,v=2)", "views(n=3,v=2)", "views(n=2,v=2)", "views(n=5,v=2)",
                  "views(n=6,v=2)")
"""V = 2 views graphs, the only relations the codebases' two-branch losses take."""
COMPONENT_FAMILIES = ("views", "labels", "sbm", "knn")
"""Every family of :data:`COMPONENT_SPECS`."""
CLIQUE_FAMILIES = ("views", "labels")
"""The families of :data:`COMPONENT_SPECS` whose G + I has rank c (the component-rank laws'
premise)."""
SIMCLR_TAUS = (0.5, 0.25, 1.0)
"""SimCLR temperatures of the full profile's rank sweeps (quick and scale: the first)."""
SCALE_COMPONENTS = 3
"""c of the scale profile's graphs: K swept over c-1..c+1 (K >= 2), so that SimCLR's fits have
a closed-form candidate start at every K (the simplex needs K >= c - 1)."""
TAU = 0.5
"""SimCLR temperature (the C4 family audits the tau range)."""
VICREG_WEIGHTS = {"alpha": 25.0, "beta": 1.0}
"""BL22's VICReg variance / covariance weights (BL22 naming)."""
VICREG_GAMMA = 0.1
"""Small invariance weight: below gamma_full(beta) = 0.95 (BL22-K3a), so full rank predicted."""
VICREG_GAMMAS = (0.1, 0.02)
"""Invariance weights of the full profile's VICReg sweeps (quick: the first)."""
CONVENTION_WEIGHTS = {"sim": 25.0, "std": 25.0, "cov": 1.0}
"""The codebases' default VICReg weights (docs/catalogue/BL22.md#codebase-conventions)."""
LOSSES = ("simclr", "bt", "vicreg", "vicreg-official", "vicreg-solo", "bt-official", "bt-solo")
"""The losses :func:`optimum` trains (module docstring)."""
_PROFILES = ("quick", "full")
# From this N on (the scale profile) a random start alone is slow (SimCLR's plateau,
# BarlowTwins' quartic valley without Newton steps beyond 2048 parameters): fits start from
# the closed-form candidate (perturbed), and only from it where it is a certified global
# minimum (SimCLR's simplex on a views graph for K >= c - 1, BarlowTwins' zero-loss point).
_LARGE_N = 1024
# worst_rotation_change: Haar draws scored, the best few of which (per sign of the change) seed
# a local search over O(K). With 32 draws and 2 searches the codebases' optima gave the same
# maximum to 1e-10 from every representative tried (two CPU kernel settings, two seeds).
_ROTATION_DRAWS = 32
_ROTATION_SEARCHES = 2
_ROTATION_MAX_ITER = 100


def _check_profile(profile: str) -> None:
    if profile not in _PROFILES:
        raise ValueError(f"profile: expected 'quick' or 'full', got {profile!r}")


# -------------------------------------------------------------------------------------------
# Sweeps
# -------------------------------------------------------------------------------------------


def cases(profile: str, run_seed: int, *, families: tuple[str, ...] = ("views",),
          scale: bool = False, device: torch.device | str | None = None
          ) -> list[dict[str, str | int]]:
    """The (graph, fit seed) settings of ``profile``, small first.

    Parameters
    ----------
    profile : {"quick", "full"}
    run_seed : int
        The run seed s (``--seed``); the fit seed is 2 s.
    families : tuple of str, default=("views",)
        Keys of :data:`COMPONENT_SPECS`, in order.
    scale : bool, default=False
        The scale profile (``verify.at_scale()``): :func:`scale_specs` instead.
    device : torch.device or str, optional
        The run's device (sizes at scale depend on it).

    Returns
    -------
    list of dict
        ``{"graph": spec, "seed": 2 s}``: quick = the first spec of the first family; full =
        every spec of every family, family by family; scale = :func:`scale_specs`.
    """
    _check_profile(profile)
    unknown = sorted(set(families) - set(COMPONENT_SPECS))
    if unknown or not families:
        raise ValueError(f"families: expected names from {sorted(COMPONENT_SPECS)}, got "
                         f"{families!r}")
    if scale:
        specs = scale_specs(families, device)
    else:
        specs = [spec for name in families for spec in COMPONENT_SPECS[name]]
        specs = specs[:1] if profile == "quick" else specs
    return [{"graph": spec, "seed": 2 * run_seed} for spec in specs]


def scale_specs(families: tuple[str, ...], device: torch.device | str | None) -> list[str]:
    """Two graphs of the scale profile, N at both ends of ``graphs.size_range`` at scale.

    The first of ``families`` at the smallest N, the next (or the same) at the largest, each
    with c = :data:`SCALE_COMPONENTS` components: a views graph of ceil(N / c) views, or labels
    with unequal classes around N / c summing to N.
    """
    device = torch.device(device) if device is not None else torch.device("cpu")
    lo, hi = graph_families.size_range("full", scale=True, device=device)
    names = (families[0], families[1 if len(families) > 1 else 0])
    c = SCALE_COMPONENTS
    specs = []
    for name, n in zip(names, (lo, hi), strict=True):
        if name == "views":
            specs.append(f"views(n={c},v={-(-n // c)})")
        elif name == "labels":
            base = n // c - (c - 1)
            sizes = [base + 2 * i for i in range(c)]
            sizes[-1] += n - sum(sizes)
            specs.append(f"labels(sizes={'-'.join(map(str, sizes))})")
        else:
            raise ValueError(f"families: the scale profile has views and labels graphs, got "
                             f"{name!r}")
    return specs


def settings_text(settings: list[dict[str, str | int]]) -> str:
    """The graphs of :func:`cases`' settings, once each, for a claim's ``settings``."""
    return ", ".join(dict.fromkeys(str(setting["graph"]) for setting in settings))


def simclr_taus(profile: str, *, scale: bool = False) -> tuple[float, ...]:
    """The SimCLR temperatures swept: :data:`SIMCLR_TAUS` in the full profile, else its first
    (the paper-family value :data:`TAU`)."""
    _check_profile(profile)
    return SIMCLR_TAUS if profile == "full" and not scale else SIMCLR_TAUS[:1]


def vicreg_gammas(profile: str) -> tuple[float, ...]:
    """The VICReg invariance weights swept: :data:`VICREG_GAMMAS` in the full profile, else
    :data:`VICREG_GAMMA`."""
    _check_profile(profile)
    return VICREG_GAMMAS if profile == "full" else VICREG_GAMMAS[:1]


def convention_cases(profile: str, run_seed: int, *, n_graphs: int = 1
                     ) -> list[dict[str, str | int]]:
    """The settings the codebases' two-branch losses run on: V = 2 views graphs (two branches
    of N' samples), small first.

    Parameters
    ----------
    profile : {"quick", "full"}
    run_seed : int
        The run seed s; the fit seeds are 2 s and 2 s + 1 (quick: 2 s).
    n_graphs : int, default=1
        How many of :data:`TWO_VIEW_SPECS` the full profile takes (1: views(n=4,v=2) only; the
        BatchNorm BarlowTwins fits cost ~10x the paper loss's, the family's time budget).

    Returns
    -------
    list of dict
        ``{"graph": spec, "seed": fit seed}``, graphs slowest; quick: the first graph, 2 s.
    """
    _check_profile(profile)
    if not 1 <= n_graphs <= len(TWO_VIEW_SPECS):
        raise ValueError(f"n_graphs: expected 1..{len(TWO_VIEW_SPECS)}, got {n_graphs}")
    if profile == "quick":
        return [{"graph": TWO_VIEW_SPECS[0], "seed": 2 * run_seed}]
    return [{"graph": spec, "seed": seed} for spec in TWO_VIEW_SPECS[:n_graphs]
            for seed in (2 * run_seed, 2 * run_seed + 1)]


def n_views(graph: str) -> int | None:
    """V of a views graph (a :data:`GRAPHS` key or a ``views(...)`` spec); None otherwise."""
    if graph in GRAPHS:
        return GRAPHS[graph][1]
    if graph_families.family(graph) != "views":
        return None
    return int(graph.split("v=")[1].rstrip(")"))


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
    """The relation G (N, N) of a graph, dense float64, validated once (``G.dense()`` is the
    matrix): a key of :data:`GRAPHS` (a views graph) or a spec of ``tests/claims/graphs.py``."""
    if graph in GRAPHS:
        return as_relation(views_relation(*GRAPHS[graph]))
    try:
        return graph_families.build(graph).relation
    except (ValueError, KeyError, AttributeError) as exc:
        raise ValueError(f"graph: expected one of {sorted(GRAPHS)} or a graphs.py spec, got "
                         f"{graph!r} ({exc})") from None


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
    min_tangent_eig : float
        The second-order certificate: the smallest Hessian eigenvalue on the tangent space
        modulo the loss's symmetries, relative to the largest (``FitResult.min_tangent_eig``;
        not below ``-curvature_tol`` for a converged fit).
    """

    z: torch.Tensor
    canonical: torch.Tensor
    loss: float
    certificate: float
    min_tangent_eig: float


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


def _fit_vicreg(G: Relation, k: int, gamma: float, seed: int, device: torch.device
                ) -> FitResult:
    """VICReg's certified optimum from the hinge-regime closed form and a random start."""
    dense = G.dense()
    n = G.n
    spec = vicreg.laplacian_spectrum(dense, k)
    hinge = vicreg.coupled(spec, n, beta=VICREG_WEIGHTS["beta"], gamma=gamma)
    start = vicreg.embedding(spec, n, hinge.mu.sqrt(), unit_diagonal=True)
    training = vicreg.train(G.to(device), k, gamma=gamma, seed=seed,
                            starts={"hinge closed form": start, "random": None},
                            device=device, **VICREG_WEIGHTS)
    return training.best


def simplex_start(G: Relation, k: int) -> torch.Tensor:
    """Every node of component j at vertex j of a regular simplex, (N, K) on the CPU.

    ``Z = P E``: P the component indicators (N, c), E (c, K) the orthonormal coordinates of the
    centred I_c's rows in their (c - 1)-dimensional span, zero-padded (BL22-C4c's collapsed
    optimum on a views graph; a start, not an optimum, for unequal components).

    Raises
    ------
    ValueError
        K < c - 1.
    """
    P = component_indicators(G).cpu()
    c = P.shape[1]
    if k < c - 1:
        raise ValueError(f"k: the simplex needs K >= c - 1 = {c - 1}, got {k}")
    centring = torch.eye(c, dtype=torch.float64) - 1.0 / c
    _, vectors = torch.linalg.eigh(centring)  # eigenvalues 0, 1, ..., 1
    vertices = torch.zeros(c, k, dtype=torch.float64)
    vertices[:, : c - 1] = centring @ vectors[:, 1:]
    return P @ vertices


def _fit_bt(G: Relation, k: int, alpha: float, seed: int, device: torch.device, *,
            random_start: bool) -> FitResult:
    """BarlowTwins' certified optimum: for K <= c from the zero-loss point (a certified global
    minimum, perturbed) and, if ``random_start``, a random start; for K > c from two random
    starts."""
    on_device = G.to(device)
    inits = [bt.zero_loss_start(G, k)] if k <= G.n_components else []
    return bt.fit_bt(lambda x: barlow_twins_loss_from_relation(x, on_device, alpha=alpha),
                     (G.n, k), seed, device=device, inits=inits,
                     restarts=2 if random_start or not inits else 1,
                     symmetries=bt.column_scalings)


@cached_fit
def _optimum(loss: str, graph: str, k: int, hyper: float, seed: int,
             device: torch.device) -> Optimum:
    """:func:`optimum` with normalised arguments, so that equal settings share one key."""
    if loss not in LOSSES:
        raise ValueError(f"loss: expected one of {LOSSES}, got {loss!r}")
    G = relation(graph)
    large = G.n >= _LARGE_N
    if loss == "simclr":
        inits = [simplex_start(G, k).to(device)] if large and k >= G.n_components - 1 else []
        # On a views graph the simplex is SimCLR's global minimum for K >= c - 1 (BL22-C4c):
        # a certified start, so no random restart at large N.
        certified = bool(inits) and n_views(graph) is not None
        fit = simclr.fit_simclr(G.to(device), k, hyper, seed=seed, inits=inits,
                                restarts=1 if certified else 2)
    elif loss == "bt":
        fit = _fit_bt(G, k, hyper, seed, device, random_start=not large)
    elif loss == "vicreg":
        fit = _fit_vicreg(G, k, hyper, seed, device)
    elif loss.startswith("vicreg-"):
        n_orig = G.n // 2
        if n_views(graph) != 2:
            raise ValueError(f"graph: the two-branch conventions need V = 2, got {graph!r}")
        fit = vicreg.train_convention(n_orig, k, loss.split("-", 1)[1], sim=hyper,
                                      std=CONVENTION_WEIGHTS["std"],
                                      cov=CONVENTION_WEIGHTS["cov"], seed=seed, device=device)
    else:
        convention = loss.split("-", 1)[1]
        if n_views(graph) != 2:
            raise ValueError(f"graph: the two-branch conventions need V = 2, got {graph!r}")

        def loss_fn(x: torch.Tensor) -> torch.Tensor:
            return barlow_twins_loss_convention(*branches_from_views(x), convention=convention)

        fit = bt.fit_bt(loss_fn, (G.n, k), seed, device=device)
    z = fit.z.cpu()
    return Optimum(z, canonical(loss, z), fit.loss, fit.grad_norm, fit.min_tangent_eig)


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
        A key of :data:`GRAPHS` or a graphs.py spec (the two-branch conventions need a views
        graph with V = 2).
    k : int
        K, the number of columns.
    hyper : float
        simclr: tau; bt: alpha; vicreg: gamma; vicreg-*: sim_coeff; bt-*: ignored (the
        convention's default lambd; pass 0.0).
    seed : int
        The fit seed.
    device : torch.device or str
        Where the fit runs; the returned tensors are on the CPU.

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
    min_tangent_eig : float
        The smallest second-order certificate of the sweep's optima
        (``Optimum.min_tangent_eig``).
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
    min_tangent_eig: float

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
        """A new dict: N, c, the worst certificate, ``min_tangent_eig``, rank - c at each K
        (keys ``rank_minus_c_at_K=c+1`` ...), ``smallest_kept_sv``, ``largest_dropped_sv``,
        ``margin_decades``."""
        extra: dict[str, float] = {"n": self.n, "c": self.c, "certificate": self.certificate,
                                   "min_tangent_eig": self.min_tangent_eig}
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
    kept, dropped, certificate, curvature = 1.0, 0.0, 0.0, math.inf
    for k, opt in sweep(loss, graph, seed, hyper, profile=profile, device=device, above=above):
        report = rank_report(opt.canonical, rtol)
        law_rank = int(law(*(torch.tensor(float(v)) for v in (k, c, n))))
        ks.append(k)
        ranks.append(report.rank)
        predicted.append(law_rank)
        decades.append(rank_decades(report, law_rank, rtol))
        kept, dropped = min(kept, report.kept), max(dropped, report.dropped)
        certificate = max(certificate, opt.certificate)
        curvature = min(curvature, opt.min_tangent_eig)
    margin_decades = sweep_decades(decades, [r == p for r, p in zip(ranks, predicted,
                                                                     strict=True)])
    return RankSweep(graph, c, n, tuple(ks), tuple(ranks), tuple(predicted), kept, dropped,
                     margin_decades, certificate, curvature)


def component_gap(G: torch.Tensor | Relation) -> float:
    """lambda_c - lambda_(c+1) of G (N, N), c = #components: the gap below G's top-c
    eigenspace, which is span(P) on a clique-structured graph (V for a views graph; the
    smallest class size for labels). inf when c = N."""
    G = as_relation(G)
    eig = torch.linalg.eigvalsh(G.dense()).flip(0)
    c = G.n_components
    return math.inf if c >= G.n else float(eig[c - 1] - eig[c])


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
    n : int
        N.
    min_tangent_eig : float
        The smallest second-order certificate of the optima (NaN for random points).
    """

    point: str
    c: int
    changes: tuple[tuple[int, float], ...]
    n: int
    min_tangent_eig: float

    @property
    def error(self) -> float:
        """The largest change."""
        return max(change for _, change in self.changes)

    @property
    def extra(self) -> dict[str, float]:
        """N, the change at each K (keys ``change_<point>_at_K=c+1`` ...) and, at optima,
        ``min_tangent_eig``."""
        extra = {"n": self.n}
        extra.update({f"change_{self.point}_at_K=c{k - self.c:+d}": v for k, v in self.changes})
        if self.point == "optimum":
            extra["min_tangent_eig"] = self.min_tangent_eig
        return extra


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
    G = relation(graph)
    curvature = (min(opt.min_tangent_eig for _, opt in sweep(loss, graph, seed, hyper,
                                                                profile=profile, device=device))
                 if point == "optimum" else math.nan)
    return RotationSweep(point, G.n_components, changes, G.n, curvature)


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
