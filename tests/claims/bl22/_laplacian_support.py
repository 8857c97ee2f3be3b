"""Shared test data and the train-and-compare routine of the BL22-C1 family (VICReg -> LE).

The claim modules ``test_bl22_c1*.py`` train free-Z VICReg (the paper's pooled loss, or the
two-branch loss of the reference codebases) on a relation graph G and compare the CENTRED column
span of the trained optimum Z* (N, K) with the bottom non-trivial eigenspace of one of two
problems (docs/catalogue/BL22.md#bl22-c1):

* ``"laplacian"``: eigenvectors of L = D - G orthogonal to 1 (min tr(Z^T L Z) s.t. Z^T Z = I,
  Z^T 1 = 0), what the derivation ``derivations.bl22.laplacian`` says VICReg solves;
* ``"eigenmaps"``: Laplacian Eigenmaps proper, generalized eigenvectors of (L, D) D-orthogonal to
  1 (min tr(Z^T L Z) s.t. Z^T D Z = I, Z^T D 1 = 0), scikit-learn's normalised spectral
  embedding (random-walk vectors). VICReg's mean is free, so an LE embedding Y is compared
  through its centred span span(H Y), H = I - 1 1^T / N.

Degeneracy. Eigenvalues are grouped into clusters (equal up to ``GAP_RTOL`` times the spectral
scale). With r = rank(H Z*) and lambda* the r-th non-trivial eigenvalue, the prediction is
"E_< inside span(H Z*) inside E_<=", E_< (E_<=) the sum of the eigenspaces of eigenvalues below
(up to) lambda*'s cluster: with an eigengap at r both are r-dimensional and this is equality;
inside a degenerate cluster (the views graph's eigenvalue 0 of multiplicity N') it is the most
the claim can say. The error is the larger of the two containment angles (largest principal
angle, radians). ``separation`` (the distance from lambda*'s cluster to its neighbours) is what
conditions both containments; ``eigengap`` is lambda_{r+1} - lambda_r (0 inside a cluster).
"""

from __future__ import annotations

import dataclasses
import math

import torch

from torch_impl.fit import FitResult, HingeObjective, fit_free, vicreg_objective
from torch_impl.losses import branches_from_views, vicreg_loss_convention
from torch_impl.metrics import principal_angles
from torch_impl.relations import (
    connected_components,
    degree,
    knn_relation,
    labels_relation,
    laplacian,
    views_relation,
)
from torch_impl.spectral import generalized_eigh
from verify import Measurement, device

__all__ = [
    "WEIGHTS",
    "GAP_RTOL",
    "RANK_RTOL",
    "PROBLEMS",
    "regular_relation",
    "class_relation",
    "knn_graph",
    "Spectrum",
    "nontrivial_spectrum",
    "CentredRange",
    "centred_range",
    "SpanComparison",
    "compare_span",
    "train_vicreg",
    "train_vicreg_convention",
    "irregular_relation",
    "measure_both_problems",
    "measure_convention",
    "offdiagonal_covariance",
    "degree_ratio",
    "draw_angles",
    "draw_ritz",
    "draw_problems",
    "draw_rank",
]

WEIGHTS: dict[str, tuple[float, float, float]] = {
    # BL22 naming (alpha variance, beta covariance, gamma invariance).
    # beta large against gamma * (eigenvalue spread): Cov(Z*) (nearly) diagonal, rank K.
    "decorrelated": (1.0, 25.0, 1.0),
    # in between: some columns on the hinge kink (std exactly 1), some shrunk.
    "balanced": (2.0, 5.0, 1.0),
    # The codebases' default sim/std/cov = 25/25/1 is alpha = 25, beta = 1, gamma = 25: at
    # these weights the optimum is rank-deficient on most graphs (columns collapse onto the
    # lowest-energy ones).
    "customary": (25.0, 1.0, 25.0),
}

#: Two eigenvalues closer than this times max |lambda| belong to one cluster (as
#: ``torch_impl.spectral.DEFAULT_GAP_RTOL``): a float64 eigensolver separates them no better.
GAP_RTOL = 1e-8
#: Singular values of H Z* below this times the largest count as zero. A certified optimum
#: (certificate <= 1e-8) leaves collapsed directions at round-off level, shrunk columns keep
#: t_k >= 1e-3 of the largest at the weights of ``WEIGHTS``: the threshold sits far from both.
RANK_RTOL = 1e-6
PROBLEMS = ("laplacian", "eigenmaps")

# The reference codebases' variance hinge (docs/catalogue/BL22.md#codebase-conventions):
# relu(1 - sqrt(Var + 1e-4)), averaged over the K columns, the two branches halved (official,
# lightly) or summed (solo). Written here only to expose the hinge to the certificate; every trial
# checks that the split objective equals ``vicreg_loss_convention`` itself.
_CONVENTION_STD_EPS = 1e-4
_CONVENTION_BRANCH_SCALE = {"official": 0.5, "lightly": 0.5, "solo": 1.0}
# Split objective vs library loss: they differ only by summation order.
_SPLIT_RTOL = 1e-12


# ---------------------------------------------------------------------------------------------
# Graphs
# ---------------------------------------------------------------------------------------------


def regular_relation(n: int, degree_: int, seed: int) -> torch.Tensor:
    """A random ``degree_``-regular relation on n nodes (n even): a union of perfect matchings.

    Each matching pairs a random permutation's first half with its second half; a draw whose
    matchings share an edge is rejected, so G is binary, symmetric, zero-diagonal and every node
    has degree exactly ``degree_``. Its spectrum is generically simple: a regular graph with a
    real eigengap at every K (unlike the views graph).

    Returns
    -------
    torch.Tensor of shape (n, n), float64
    """
    if n % 2 or degree_ >= n:
        raise ValueError(f"need n even and degree < n, got n={n}, degree={degree_}")
    gen = torch.Generator().manual_seed(seed)
    while True:
        G = torch.zeros(n, n, dtype=torch.float64)
        for _ in range(degree_):
            perm = torch.randperm(n, generator=gen)
            a, b = perm[: n // 2], perm[n // 2 :]
            if bool((G[a, b] > 0).any()):
                break
            G[a, b] = 1.0
            G[b, a] = 1.0
        else:
            return G


def class_relation(sizes: tuple[int, ...]) -> torch.Tensor:
    """Class graph (BL22 Sec. 2.1, supervised G = Y Y^T - I) with classes of the given sizes.

    Returns
    -------
    torch.Tensor of shape (sum(sizes), sum(sizes)), float64
        Disjoint cliques; node degrees are size - 1, so unequal sizes give an irregular graph.
    """
    labels = torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes))
    return labels_relation(labels)


def knn_graph(n: int, k: int, seed: int) -> torch.Tensor:
    """Symmetrised kNN relation of n Gaussian points in the plane (irregular degrees).

    Returns
    -------
    torch.Tensor of shape (n, n), float64
    """
    gen = torch.Generator().manual_seed(seed)
    return knn_relation(torch.randn(n, 2, generator=gen, dtype=torch.float64), k)


def degree_ratio(G: torch.Tensor) -> float:
    """max degree / min degree: 1 exactly for a regular graph."""
    d = degree(G)
    return float(d.max() / d.min())


# ---------------------------------------------------------------------------------------------
# Reference spectra
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Spectrum:
    """The N - 1 non-trivial eigenpairs of one problem on G.

    Attributes
    ----------
    values : torch.Tensor of shape (N - 1,)
        Ascending eigenvalues (of L, or generalized of (L, D)), the constant vector excluded.
    vectors : torch.Tensor of shape (N, N - 1)
        Matching CENTRED vectors: eigenvectors of L orthogonal to 1 (orthonormal), or H Y with
        Y the D-orthonormal generalized eigenvectors D-orthogonal to 1.
    """

    values: torch.Tensor
    vectors: torch.Tensor


def nontrivial_spectrum(G: torch.Tensor, problem: str) -> Spectrum:
    """Every eigenpair of ``problem`` on G but the constant one (BL22-C1, module docstring).

    The constant vector is moved to the top of the spectrum by a rank-one shift that commutes
    with the problem (L 1 = 0): L + c 1 1^T / N with c > lambda_max(L) (<= 2 d_max), or the
    pencil (L + c D 1 1^T D / (1^T D 1), D) with c > 2 (generalized eigenvalues of (L, D) lie
    in [0, 2]). Every other eigenpair is unchanged, so a disconnected G (null space of L larger
    than span(1)) keeps its other null vectors, orthogonal (D-orthogonal) to 1.

    Parameters
    ----------
    G : torch.Tensor of shape (N, N)
        Relation without isolated nodes (D must be invertible for ``"eigenmaps"``).
    problem : {"laplacian", "eigenmaps"}

    Returns
    -------
    Spectrum
    """
    if problem not in PROBLEMS:
        raise ValueError(f"problem must be one of {PROBLEMS}, got {problem!r}")
    G = G.to(torch.float64)
    n = G.shape[0]
    L = laplacian(G)
    d = degree(G)
    if problem == "laplacian":
        shift = 2.0 * float(d.max()) + 1.0
        res = generalized_eigh(L + shift / n * torch.ones_like(L))
        return Spectrum(res.values[: n - 1], res.vectors[:, : n - 1])
    res = generalized_eigh(L + 3.0 * torch.outer(d, d) / d.sum(), torch.diag(d))
    Y = res.vectors[:, : n - 1]
    return Spectrum(res.values[: n - 1], Y - Y.mean(dim=0))


# ---------------------------------------------------------------------------------------------
# Comparing an optimum with a spectrum
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CentredRange:
    """Orthonormal basis of span(H Z) and its numerical rank.

    Attributes
    ----------
    basis : torch.Tensor of shape (N, r)
    rank : int
        r, singular values above ``RANK_RTOL`` times the largest.
    rank_margin : float
        s_{r+1} / s_r (0 when r = K): how clearly the rank is read.
    """

    basis: torch.Tensor
    rank: int
    rank_margin: float


def centred_range(Z: torch.Tensor) -> CentredRange:
    """Basis and rank of the centred column span of Z (N, K); the mean of Z is VICReg-free."""
    Zc = (Z - Z.mean(dim=0)).to(torch.float64)
    U, s, _ = torch.linalg.svd(Zc, full_matrices=False)
    if float(s[0]) == 0.0:
        raise ValueError("Z is constant: its centred span is {0}, nothing to compare")
    r = int((s > RANK_RTOL * s[0]).sum())
    margin = float(s[r] / s[r - 1]) if r < s.numel() else 0.0
    return CentredRange(U[:, :r], r, margin)


@dataclasses.dataclass(frozen=True)
class SpanComparison:
    """A centred span against the bottom-r eigenspace of a spectrum (module docstring).

    Attributes
    ----------
    angle : float
        max(angle(E_< into S), angle(S into E_<=)), radians.
    eigengap : float
        lambda_{r+1} - lambda_r (0 when r cuts through a cluster; inf when r = N - 1).
    separation : float
        Distance from lambda_r's cluster to the nearest other eigenvalue.
    ritz : torch.Tensor of shape (r,)
        Eigenvalues of Q^T L Q for the span's orthonormal basis Q (its Dirichlet energies).
    predicted : torch.Tensor of shape (r,)
        The bottom r eigenvalues of the spectrum.
    """

    angle: float
    eigengap: float
    separation: float
    ritz: torch.Tensor
    predicted: torch.Tensor


def compare_span(span: CentredRange, spectrum: Spectrum, G: torch.Tensor) -> SpanComparison:
    """Compare span(H Z*) with the bottom-r eigenspace of ``spectrum`` (r = ``span.rank``)."""
    values, vectors = spectrum.values, spectrum.vectors
    Q = span.basis
    r = span.rank
    tol = GAP_RTOL * float(values.abs().max())
    star = float(values[r - 1])
    below = values < star - tol
    upto = values <= star + tol
    into = float(principal_angles(Q, vectors[:, upto]).max())
    holds = float(principal_angles(vectors[:, below], Q).max()) if bool(below.any()) else 0.0
    others = values[~(upto & ~below)]
    separation = float((others - star).abs().min()) if others.numel() else math.inf
    eigengap = float(values[r] - values[r - 1]) if r < values.numel() else math.inf
    ritz = torch.linalg.eigvalsh(Q.mT @ laplacian(G.to(Q.dtype)) @ Q)
    return SpanComparison(max(into, holds), eigengap, separation, ritz, values[:r])


def offdiagonal_covariance(Z: torch.Tensor) -> float:
    """max_{k != k'} |Cov(Z)_kk'| / max_k Cov(Z)_kk: 0 iff the closed form's diagonal Cov holds."""
    C = torch.cov(Z.T).reshape(Z.shape[1], Z.shape[1])
    off = C - torch.diag(torch.diagonal(C))
    return float(off.abs().max() / torch.diagonal(C).max())


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------

# Seeded restarts per fit; the lowest certified loss is kept (fit_free).
RESTARTS = 2


def train_vicreg(G: torch.Tensor, n_components: int, weights: str, seed: int) -> FitResult:
    """Free-Z BL22 VICReg (pooled Z, relation G) trained to a certified optimum.

    Parameters
    ----------
    G : torch.Tensor of shape (N, N)
    n_components : int
        K.
    weights : str
        Key of ``WEIGHTS``.
    seed : int

    Returns
    -------
    FitResult
        Converged (else :class:`torch_impl.fit.NotConverged` propagates: NOT_CONVERGED).
    """
    alpha, beta, gamma = WEIGHTS[weights]
    dev = device()
    G = G.to(dev)
    objective = vicreg_objective(G, alpha=alpha, beta=beta, gamma=gamma)
    return fit_free(objective, (G.shape[0], n_components), seed=seed, restarts=RESTARTS,
                    device=dev, progress=False).require_converged()


def _convention_objective(convention: str, n_components: int) -> HingeObjective:
    """The codebases' VICReg (default weights) split as smooth part + hinges, stacked views Z."""

    def smooth(Z: torch.Tensor) -> torch.Tensor:
        # std_coeff = 0 leaves exactly sim * mse + cov * (c(z_a) + c(z_b)).
        return vicreg_loss_convention(*branches_from_views(Z), convention=convention,
                                      std_coeff=0.0)

    def hinge_args(Z: torch.Tensor) -> torch.Tensor:
        return torch.cat([1 - torch.sqrt(z.var(dim=0) + _CONVENTION_STD_EPS)
                          for z in branches_from_views(Z)])

    std_coeff = 25.0  # the codebases' default, as vicreg_loss_convention's
    weight = std_coeff * _CONVENTION_BRANCH_SCALE[convention] / n_components
    return HingeObjective(smooth, hinge_args, weight)


def train_vicreg_convention(n_samples: int, n_components: int, convention: str,
                            seed: int) -> FitResult:
    """Free-Z VICReg of a reference codebase (default weights) on two views of N' samples.

    Z is stacked as ``views_relation(N', 2)`` orders rows (view-major), split by
    ``branches_from_views`` into (z_a, z_b).

    Raises
    ------
    AssertionError
        The smooth + hinge split differs from ``vicreg_loss_convention`` (a wrong split would
        certify another loss): checked at the first start and at the optimum.
    """
    dev = device()
    shape = (2 * n_samples, n_components)
    objective = _convention_objective(convention, n_components)

    def check_split(Z: torch.Tensor) -> None:
        full = float(vicreg_loss_convention(*branches_from_views(Z), convention=convention))
        split = float(objective(Z))
        assert abs(split - full) <= _SPLIT_RTOL * max(1.0, abs(full)), (split, full)

    start = torch.randn(shape, generator=torch.Generator().manual_seed(seed),
                        dtype=torch.float64).to(dev)
    check_split(start)
    result = fit_free(objective, shape, init=start, seed=seed, restarts=RESTARTS, device=dev,
                      progress=False).require_converged()
    check_split(result.z)
    return result


def irregular_relation(kind: str, sizes: list[int], n_knn: int, k_nn: int,
                       seed: int) -> torch.Tensor:
    """A class graph with the (distinct) class ``sizes``, or a kNN graph of n_knn points."""
    if kind == "classes":
        return class_relation(tuple(sizes))
    return knn_graph(n_knn, k_nn, seed)


def measure_both_problems(G: torch.Tensor, offset: int, weights: str, seed: int,
                          problem: str) -> Measurement:
    """Train VICReg on G and compare its optimum with both problems; the error is ``problem``'s.

    K = (#components - 1) + offset, clipped to [1, N - 2]: offset <= 0 keeps K inside the null
    space of L shared by both problems (the component indicators), offset > 0 goes beyond it.

    Returns
    -------
    Measurement
        error: the angle to ``problem``'s prediction; extra: the other problem's angle, the
        eigengap / separation of ``problem``'s cut, ranks, ``beyond_null`` = r - (#comp - 1)
        (the condition under which the two problems agree is beyond_null <= 0 or D = d I),
        degree ratio, covariance off-diagonality and the fit's certificate.
    """
    n = G.shape[0]
    n_cc, _ = connected_components(G)
    n_components = max(1, min(n_cc - 1 + offset, n - 2))
    fit = train_vicreg(G, n_components, weights, seed)
    span = centred_range(fit.z.cpu())
    result = {p: compare_span(span, nontrivial_spectrum(G, p), G) for p in PROBLEMS}
    (other,) = set(PROBLEMS) - {problem}
    lap = result["laplacian"]
    return Measurement(
        error=result[problem].angle,
        extra={
            f"angle_{other}": result[other].angle,
            "eigengap": result[problem].eigengap,
            "separation": result[problem].separation,
            "rank": span.rank,
            "K": n_components,
            "rank_margin": span.rank_margin,
            "beyond_null": span.rank - (n_cc - 1),
            "components": n_cc,
            "degree_ratio": degree_ratio(G),
            "offdiag_cov": offdiagonal_covariance(fit.z.cpu()),
            "certificate": fit.grad_norm,
        },
        figure_data={"angles": {p: c.angle for p, c in result.items()},
                     "beyond_null": span.rank - (n_cc - 1), "ritz": lap.ritz.tolist(),
                     "predicted": lap.predicted.tolist()},
    )


def measure_convention(n_samples: int, k: int, convention: str, seed: int) -> Measurement:
    """Train a codebase's VICReg on two views of N' samples; compare with the views graph's L.

    K = min(k, 2 N' - 2). Error: the angle between span(H Z*) and the bottom-r eigenspace of L
    (r = rank); since every global minimum has z_a = z_b, r <= N' - 1 and that eigenspace is
    (inside) the null space of L, the view-invariant vectors.

    Returns
    -------
    Measurement
        extra: ``rank``, ``K``, ``rank_cap`` = N' - 1, ``view_gap`` = ||z_a - z_b|| / ||H Z||,
        eigengap / separation at the cut, the optimal loss and the fit's certificate.
    """
    G = views_relation(n_samples, 2)
    n_components = min(k, 2 * n_samples - 2)
    fit = train_vicreg_convention(n_samples, n_components, convention, seed)
    z = fit.z.cpu()
    span = centred_range(z)
    lap = compare_span(span, nontrivial_spectrum(G, "laplacian"), G)
    z_a, z_b = branches_from_views(z)
    view_gap = float((z_a - z_b).norm() / (z - z.mean(dim=0)).norm())
    return Measurement(
        error=lap.angle,
        extra={
            "rank": span.rank,
            "K": n_components,
            "rank_cap": n_samples - 1,
            "view_gap": view_gap,
            "eigengap": lap.eigengap,
            "separation": lap.separation,
            "rank_margin": span.rank_margin,
            "loss": fit.loss,
            "certificate": fit.grad_norm,
        },
        figure_data={"K": n_components, "rank": span.rank, "cap": n_samples - 1},
    )


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------


def draw_angles(trials, fig, *, tolerance: float, title: str) -> None:
    """Error (angle) of every trial against the separation of its cut, one colour per kind."""
    ax = fig.add_subplot()
    groups: dict[str, list[tuple[float, float]]] = {}
    for t in trials:
        info = t.measurement.figure_data
        groups.setdefault(info["kind"], []).append(
            (min(t.measurement.extra["separation"], 1e3), max(t.error, 1e-17)))
    for name, pts in sorted(groups.items()):
        ax.scatter(*zip(*pts, strict=True), label=name, s=14)
    ax.axhline(tolerance, color="k", ls="--", lw=1, label="tolerance")
    ax.set(xscale="log", yscale="log", xlabel="separation of the cut's eigenvalue cluster",
           ylabel="largest principal angle (rad)", title=title)
    ax.legend(fontsize=8)


def draw_ritz(trials, fig, *, title: str) -> None:
    """Dirichlet energies (Ritz values of L) of each optimum's span against the prediction."""
    ax = fig.add_subplot()
    top = 0.0
    for t in trials:
        info = t.measurement.figure_data
        ax.scatter(info["predicted"], info["ritz"], s=10, color="C0")
        top = max(top, float(max(info["ritz"], default=0.0)))
    ax.plot([0, top], [0, top], color="k", lw=1, ls="--")
    ax.set(xlabel="predicted bottom eigenvalues of L", ylabel="Ritz values of L on span(H Z*)",
           title=title)


def draw_problems(trials, fig, *, tolerance: float, title: str) -> None:
    """Angle of each optimum to both problems against r - (#components - 1)."""
    ax = fig.add_subplot()
    styles = {"laplacian": ("C0", "o", "eigenvectors of L"),
              "eigenmaps": ("C3", "x", "LE proper, (L, D)")}
    for problem, (colour, marker, label) in styles.items():
        pts = [(t.measurement.figure_data["beyond_null"],
                max(t.measurement.figure_data["angles"][problem], 1e-17)) for t in trials]
        ax.scatter(*zip(*pts, strict=True), color=colour, marker=marker, s=18, label=label)
    ax.axhline(tolerance, color="k", ls="--", lw=1, label="tolerance")
    ax.set(yscale="log", xlabel="rank(H Z*) - (#components - 1)",
           ylabel="largest principal angle (rad)", title=title)
    ax.legend(fontsize=8)


def draw_rank(trials, fig, *, title: str) -> None:
    """rank(H Z*) against K, with the paper's pooled prediction r = K and the cap N' - 1."""
    ax = fig.add_subplot()
    data = [t.measurement.figure_data for t in trials]
    ax.scatter([d["K"] for d in data], [d["rank"] for d in data], s=20, color="C0",
               label="rank(H Z*), two-branch code", zorder=3)
    ax.scatter([d["K"] for d in data], [d["cap"] for d in data], s=30, color="C3", marker="_",
               label="N' - 1 (view-invariant dimensions)")
    top = max(d["K"] for d in data)
    ax.plot([0, top], [0, top], color="k", ls="--", lw=1,
            label="r = K (BL22 pooled loss, beta large)")
    ax.set(xlabel="K", ylabel="rank", title=title)
    ax.legend(fontsize=8)


CONVENTION_NOTES = (
    "Stacked Z = [z_a; z_b] (view-major, views_relation(N', 2)), free, trained from random "
    'starts (2 seeded restarts) to a certified optimum (min-norm subgradient <= 1e-8) of a '
    'smooth + hinge split that every trial checks equals vicreg_loss_convention to 1e-12. '
    "Derivation: F.mse_loss(z_a, z_b) = tr(Z^T L Z) / (N' K) (the same Dirichlet energy as the "
    "paper's term), but variance and covariance are PER BRANCH, so the loss is sim mse(z_a, "
    'z_b) + f(z_a) + f(z_b) >= 2 min f, with equality iff z_a = z_b is a minimiser of f: every '
    'global minimum is view-invariant, Z* = [z; z], which lies in the null space of L (symbolic'
    ' check). Prediction: span(H Z*) = bottom-r eigenspace (degeneracy-aware, here containment '
    "in the 0-eigenspace of multiplicity N'), error = largest principal angle. Finding (extra "
    "'rank' vs 'rank_cap', figure): the conclusion survives, but r <= N' - 1 for EVERY K: for K"
    " >= N' the code's optimum collapses to the N' - 1 view-invariant directions (per-branch "
    "covariance cannot be diagonal: loss > 0), whereas the paper's pooled loss at large beta "
    'has rank K and spends the extra columns on view-difference eigenvectors (eigenvalue 2; '
    "BL22-C1a trials, docs/catalogue/BL22.md#bl22-c2 flag (c)). K = min(k, 2 N' - 2), N' in [3, 6]."
)
"""The reasoning and finding shared by BL22-C1-official and BL22-C1-solo (their notes end)."""


def convention_derivations() -> list:
    """Symbolic side of the two-branch convention claims: the code's MSE term is the views
    graph's Dirichlet energy, and view-invariant Z lies in the null space of L."""
    from derivations.bl22.laplacian import two_branch_invariance, view_invariant_null

    return [two_branch_invariance(2, 1), two_branch_invariance(2, 2),
            two_branch_invariance(3, 1), view_invariant_null(2, 2), view_invariant_null(3, 2)]
