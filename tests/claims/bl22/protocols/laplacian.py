"""VICReg against Laplacian Eigenmaps: reference spectra, certified fits, span comparison.

The protocols of the BL22-C1 family. Free-Z VICReg (the paper's pooled loss, BL22 Sec. 2.2, or
the two-branch loss of the reference codebases) is trained on a relation graph G and the CENTRED
column span of the optimum Z* (N, K) is compared with the bottom non-trivial eigenspace of one of
two problems (docs/catalogue/BL22.md#bl22-c1; derivations in :mod:`derivations.bl22.laplacian`):

* ``"laplacian"``: eigenvectors of L = D - G orthogonal to 1 (min tr(Z^T L Z) s.t. Z^T Z = I,
  Z^T 1 = 0), what VICReg solves;
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

Offers: the graphs' degree ratio (:func:`degree_ratio`; the relations come from
``tests/claims/graphs.py``), the reference spectra
(:func:`nontrivial_spectrum`), the centred span of an optimum (:func:`centred_range`) and its
comparison (:func:`compare_span`), certified fits (:func:`train_vicreg`,
:func:`train_vicreg_convention`), whole trials (:func:`measure_both_problems`,
:func:`measure_convention`), the figures the claims share and the convention claims' notes.
"""

from __future__ import annotations

import dataclasses
import math

import torch

from derivations.base import Derivation
from derivations.bl22.laplacian import two_branch_invariance, view_invariant_null
from tests.claims.bl22.protocols import vicreg_closed_form as vcf
from tests.claims.bl22.protocols.settings import GAP_RTOL, GRAD_TOL, RANK_RTOL
from tests.claims.runtime import generator
from torch_impl.fit import FitResult, fit_free, vicreg_convention_objective, vicreg_objective
from torch_impl.losses import branches_from_views
from torch_impl.metrics import principal_angles, rank_report, span_basis
from torch_impl.relations import (
    Relation,
    as_relation,
    laplacian,
    views_relation,
)
from torch_impl.spectral import generalized_eigh

__all__ = [
    "WEIGHTS",
    "DECOUPLED_REGIME",
    "WEIGHT_CHOICES",
    "PROBLEMS",
    "RESTARTS",
    "degree_ratio",
    "Spectrum",
    "nontrivial_spectrum",
    "CentredRange",
    "centred_range",
    "SpanComparison",
    "compare_span",
    "offdiagonal_covariance",
    "train_vicreg",
    "train_vicreg_convention",
    "BothProblems",
    "measure_both_problems",
    "ConventionSpan",
    "measure_convention",
    "draw_ritz",
    "draw_problems",
    "draw_rank",
    "CONVENTION_NOTES",
    "convention_derivations",
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
"""name -> (alpha, beta, gamma) of BL22's VICReg."""

DECOUPLED_REGIME = "decoupled-regime"
"""Weights drawn relative to G's spectrum inside the decoupled closed form's regime
(:func:`.vicreg_closed_form.decoupled_regime_weights`), next to the fixed sets of
:data:`WEIGHTS`."""

WEIGHT_CHOICES = (DECOUPLED_REGIME, "customary")
"""The weights the span claims draw: the decoupled regime relative to G's spectrum, and VICReg's
customary (25, 1, 25) (the hinge regime, rank-deficient on most graphs). The fixed sets
"decorrelated" (1, 25, 1) and "balanced" (2, 5, 1) sit, on graphs with small eigenvalues
(paths, rings, kNN graphs of N ~ 20..64), in a mixed regime (some columns coupled on the
hinge, one shrunk: neither closed form) where the fit's curvature certificate reports a saddle
that its escapes do not leave (e.g. ``ring(n=40)``, K = 5, balanced: NOT_CONVERGED)."""

PROBLEMS = ("laplacian", "eigenmaps")
"""The two reference problems (module docstring)."""

RESTARTS = 2
"""Starts per fit (a closed-form candidate where one holds, then seeded random draws); the
lowest certified loss is kept (``fit_free``)."""

# Relative size of the seeded noise on a closed-form start: a start that were a saddle is left.
_START_NOISE = 1e-2


# -- graphs ------------------------------------------------------------------------------------
def degree_ratio(G: torch.Tensor | Relation) -> float:
    """max degree / min degree of G (N, N): 1 exactly for a regular graph."""
    d = as_relation(G).degree
    return float(d.max() / d.min())


# -- reference spectra -------------------------------------------------------------------------
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


def nontrivial_spectrum(G: torch.Tensor | Relation, problem: str) -> Spectrum:
    """Every eigenpair of ``problem`` on G but the constant one.

    The constant vector is moved to the top of the spectrum by a rank-one shift that commutes
    with the problem (L 1 = 0): L + c 1 1^T / N with c > lambda_max(L) (<= 2 d_max), or the
    pencil (L + c D 1 1^T D / (1^T D 1), D) with c > 2 (generalized eigenvalues of (L, D) lie
    in [0, 2]). Every other eigenpair is unchanged, so a disconnected G (null space of L larger
    than span(1)) keeps its other null vectors, orthogonal (D-orthogonal) to 1.

    Parameters
    ----------
    G : torch.Tensor of shape (N, N) or Relation
        Relation without isolated nodes (D must be invertible for ``"eigenmaps"``).
    problem : {"laplacian", "eigenmaps"}

    Returns
    -------
    Spectrum
    """
    if problem not in PROBLEMS:
        raise ValueError(f"problem must be one of {PROBLEMS}, got {problem!r}")
    G = as_relation(G).to(dtype=torch.float64)
    n = G.n
    L = laplacian(G)
    d = G.degree
    if problem == "laplacian":
        shift = 2.0 * float(d.max()) + 1.0
        res = generalized_eigh(L + shift / n * torch.ones_like(L))
        return Spectrum(res.values[: n - 1], res.vectors[:, : n - 1])
    res = generalized_eigh(L + 3.0 * torch.outer(d, d) / d.sum(), torch.diag(d))
    Y = res.vectors[:, : n - 1]
    return Spectrum(res.values[: n - 1], Y - Y.mean(dim=0))


# -- comparing an optimum with a spectrum ------------------------------------------------------
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
    """Basis and rank of the centred column span of Z (N, K); the mean of Z is VICReg-free.

    Raises
    ------
    InvalidInputError
        Z is constant (its centred span is {0}: nothing to compare).
    """
    Zc = (Z - Z.mean(dim=0)).to(torch.float64)
    report = rank_report(Zc, RANK_RTOL)
    return CentredRange(span_basis(Zc, RANK_RTOL), report.rank, report.dropped / report.kept)


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


def compare_span(span: CentredRange, spectrum: Spectrum,
                 G: torch.Tensor | Relation) -> SpanComparison:
    """Compare span(H Z*) with the bottom-r eigenspace of ``spectrum`` (r = ``span.rank``).

    Parameters
    ----------
    span : CentredRange
        Of the optimum, (N, r).
    spectrum : Spectrum
        Of G, :func:`nontrivial_spectrum`.
    G : torch.Tensor of shape (N, N) or Relation
        For the Ritz values of L.
    """
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
    ritz = torch.linalg.eigvalsh(Q.mT @ laplacian(as_relation(G).to(dtype=Q.dtype)) @ Q)
    return SpanComparison(max(into, holds), eigengap, separation, ritz, values[:r])


def offdiagonal_covariance(Z: torch.Tensor) -> float:
    """max_{k != k'} |Cov(Z)_kk'| / max_k Cov(Z)_kk for Z (N, K): 0 iff Cov(Z) is diagonal."""
    C = torch.cov(Z.T).reshape(Z.shape[1], Z.shape[1])
    off = C - torch.diag(torch.diagonal(C))
    return float(off.abs().max() / torch.diagonal(C).max())


# -- training ----------------------------------------------------------------------------------
def train_vicreg(G: torch.Tensor | Relation, n_components: int, weights: str, seed: int, *,
                 device: torch.device | str, gamma_factor: float = 2.0, rho: float = 2.0,
                 restarts: int = RESTARTS) -> FitResult:
    """Free-Z BL22 VICReg (pooled Z, relation G) trained to a certified optimum.

    ``RESTARTS`` starts, the lowest certified loss kept: restart 0 at the closed form that holds
    at these weights, if one does (:func:`.vicreg_closed_form.closed_form_start`: the decoupled
    or the hinge-regime form, built from L's eigenvectors) plus 1% seeded noise, the others at
    seeded random draws, which is the evidence that nothing lower exists; without a closed form,
    every start is random. Certified by the min-norm subgradient <= ``GRAD_TOL`` and the
    curvature certificate (:attr:`FitResult.min_tangent_eig`).

    Parameters
    ----------
    G : torch.Tensor of shape (N, N) or Relation
    n_components : int
        K.
    weights : str
        Key of :data:`WEIGHTS`, or :data:`DECOUPLED_REGIME` (weights from
        :func:`.vicreg_closed_form.decoupled_regime_weights`, ``gamma_factor`` and ``rho``).
    seed : int
    device : torch.device or str
        Where the fit runs.
    gamma_factor, rho : float, default=2.0
        Of :data:`DECOUPLED_REGIME` only.
    restarts : int, default=RESTARTS
        Starts (1 at scale: the closed-form start alone where one holds).

    Returns
    -------
    FitResult
        Converged (else :class:`torch_impl.fit.NotConverged` propagates: NOT_CONVERGED); its z
        lies on ``device``.
    """
    if weights not in (*WEIGHTS, DECOUPLED_REGIME):
        raise ValueError(f"weights must be one of {sorted(WEIGHTS)} or {DECOUPLED_REGIME!r}, "
                         f"got {weights!r}")
    G = as_relation(G)
    alpha, beta, gamma = (
        vcf.decoupled_regime_weights(vcf.laplacian_spectrum(G, n_components), G.n,
                                     gamma_factor=gamma_factor, rho=rho)
        if weights == DECOUPLED_REGIME else WEIGHTS[weights])
    spec = vcf.laplacian_spectrum(G, n_components)
    _, start = vcf.closed_form_start(spec, G.n, alpha=alpha, beta=beta, gamma=gamma)
    inits = [] if start is None else [start.to(device)]
    G = G.to(device=torch.device(device))
    objective = vicreg_objective(G, alpha=alpha, beta=beta, gamma=gamma)
    with vcf.small_problem_threads(G.n * n_components):
        fit = fit_free(objective, (G.n, n_components), inits=inits, init_noise=_START_NOISE,
                       seed=seed, restarts=restarts, grad_tol=GRAD_TOL, device=device,
                       progress=False)
    return fit.require_converged()


def train_vicreg_convention(n_samples: int, n_components: int, convention: str, seed: int, *,
                            device: torch.device | str) -> FitResult:
    """Free-Z VICReg of a reference codebase (default weights 25/25/1) on two views of N' samples.

    Z (2N', K) is stacked as ``views_relation(N', 2)`` orders rows (view-major), split by
    ``branches_from_views`` into (z_a, z_b); the objective is
    :func:`torch_impl.fit.vicreg_convention_objective` (equal to ``vicreg_loss_convention``).
    Restart 0 starts at a seeded N(0, 1) draw, the others at ``fit_free``'s seeded draws.

    Parameters
    ----------
    n_samples : int
        N'.
    n_components : int
        K.
    convention : {"official", "lightly", "solo"}
    seed : int
    device : torch.device or str

    Returns
    -------
    FitResult
        Converged, its z on ``device``.
    """
    shape = (2 * n_samples, n_components)
    objective = vicreg_convention_objective(convention, n_components)
    start = torch.randn(shape, generator=generator(seed), dtype=torch.float64).to(device)
    return fit_free(objective, shape, init=start, seed=seed, restarts=RESTARTS,
                    grad_tol=GRAD_TOL, device=device, progress=False).require_converged()


# -- whole trials ------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class BothProblems:
    """A trained optimum compared with both problems.

    Attributes
    ----------
    comparisons : dict of str to SpanComparison
        Per problem of :data:`PROBLEMS`.
    span : CentredRange
        Of the optimum.
    n_components : int
        K trained with.
    components : int
        Connected components of G.
    degree_ratio : float
        max / min degree of G.
    offdiag_cov : float
        :func:`offdiagonal_covariance` of the optimum.
    certificate : float
        The fit's certificate.
    min_tangent_eig : float
        The fit's second-order certificate (:attr:`FitResult.min_tangent_eig`).
    n : int
        N.
    """

    comparisons: dict[str, SpanComparison]
    span: CentredRange
    n_components: int
    components: int
    degree_ratio: float
    offdiag_cov: float
    certificate: float
    min_tangent_eig: float
    n: int

    @property
    def beyond_null(self) -> int:
        """r - (#components - 1): the problems agree when it is <= 0 or D = d I."""
        return self.span.rank - (self.components - 1)

    def extra(self, problem: str) -> dict[str, float]:
        """Extra measurements of a trial whose error is ``problem``'s angle: the other
        problem's angle, ``problem``'s eigengap / separation, ranks, and G's and the fit's
        diagnostics."""
        (other,) = set(PROBLEMS) - {problem}
        return {
            f"angle_{other}": self.comparisons[other].angle,
            "eigengap": self.comparisons[problem].eigengap,
            "separation": self.comparisons[problem].separation,
            "rank": self.span.rank,
            "K": self.n_components,
            "rank_margin": self.span.rank_margin,
            "beyond_null": self.beyond_null,
            "components": self.components,
            "degree_ratio": self.degree_ratio,
            "offdiag_cov": self.offdiag_cov,
            "certificate": self.certificate,
            "min_tangent_eig": self.min_tangent_eig,
            "n": self.n,
        }

    def figure_data(self) -> dict[str, object]:
        """What :func:`draw_problems` and :func:`draw_ritz` read."""
        lap = self.comparisons["laplacian"]
        return {"angles": {p: c.angle for p, c in self.comparisons.items()},
                "beyond_null": self.beyond_null, "ritz": lap.ritz.tolist(),
                "predicted": lap.predicted.tolist()}


def measure_both_problems(G: torch.Tensor | Relation, offset: int, weights: str, seed: int, *,
                          gamma_factor: float = 2.0, rho: float = 2.0,
                          restarts: int = RESTARTS,
                          device: torch.device | str) -> BothProblems:
    """Train VICReg on G (N, N) and compare its optimum with both problems.

    K = (#components - 1) + offset, clipped to [1, N - 2]: offset <= 0 keeps K inside the null
    space of L shared by both problems (the component indicators), offset > 0 goes beyond it.
    """
    G = as_relation(G)
    n = G.n
    n_components = max(1, min(G.n_components - 1 + offset, n - 2))
    fit = train_vicreg(G, n_components, weights, seed, device=device, gamma_factor=gamma_factor,
                       rho=rho, restarts=restarts)
    z = fit.z.cpu()
    span = centred_range(z)
    comparisons = {p: compare_span(span, nontrivial_spectrum(G, p), G) for p in PROBLEMS}
    return BothProblems(comparisons, span, n_components, G.n_components, degree_ratio(G),
                        offdiagonal_covariance(z), fit.grad_norm, fit.min_tangent_eig, n)


@dataclasses.dataclass(frozen=True)
class ConventionSpan:
    """A codebase's trained optimum on two views against the views graph's L.

    Attributes
    ----------
    comparison : SpanComparison
        span(H Z*) against the bottom-r eigenspace of L ("laplacian").
    span : CentredRange
    n_components : int
        K trained with.
    rank_cap : int
        N' - 1, the view-invariant dimensions.
    view_gap : float
        ||z_a - z_b|| / ||H Z||.
    loss : float
        The optimal loss.
    certificate : float
    min_tangent_eig : float
        The fit's second-order certificate (:attr:`FitResult.min_tangent_eig`).
    """

    comparison: SpanComparison
    span: CentredRange
    n_components: int
    rank_cap: int
    view_gap: float
    loss: float
    certificate: float
    min_tangent_eig: float

    def extra(self) -> dict[str, float]:
        """Extra measurements of the trial (its error is ``comparison.angle``)."""
        return {
            "rank": self.span.rank,
            "K": self.n_components,
            "rank_cap": self.rank_cap,
            "view_gap": self.view_gap,
            "eigengap": self.comparison.eigengap,
            "separation": self.comparison.separation,
            "rank_margin": self.span.rank_margin,
            "loss": self.loss,
            "certificate": self.certificate,
            "min_tangent_eig": self.min_tangent_eig,
            "n": 2 * (self.rank_cap + 1),
        }

    def figure_data(self) -> dict[str, int]:
        """What :func:`draw_rank` reads."""
        return {"K": self.n_components, "rank": self.span.rank, "cap": self.rank_cap}


def measure_convention(n_samples: int, k: int, convention: str, seed: int, *,
                       device: torch.device | str) -> ConventionSpan:
    """Train a codebase's VICReg on two views of N' samples; compare with the views graph's L.

    K = min(k, 2 N' - 2). Since every global minimum has z_a = z_b, r <= N' - 1 and the bottom-r
    eigenspace is (inside) the null space of L, the view-invariant vectors.
    """
    G = as_relation(views_relation(n_samples, 2))
    n_components = min(k, 2 * n_samples - 2)
    fit = train_vicreg_convention(n_samples, n_components, convention, seed, device=device)
    z = fit.z.cpu()
    span = centred_range(z)
    comparison = compare_span(span, nontrivial_spectrum(G, "laplacian"), G)
    z_a, z_b = branches_from_views(z)
    view_gap = float((z_a - z_b).norm() / (z - z.mean(dim=0)).norm())
    return ConventionSpan(comparison, span, n_components, n_samples - 1, view_gap, fit.loss,
                          fit.grad_norm, fit.min_tangent_eig)


# -- figures the claims share ------------------------------------------------------------------
def draw_ritz(trials, fig, *, title: str) -> None:
    """Dirichlet energies (Ritz values of L) of each optimum's span against the prediction.

    Reads ``figure_data["ritz"]`` and ``["predicted"]`` (:meth:`BothProblems.figure_data`).
    """
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
    """Angle of each optimum to both problems against r - (#components - 1).

    Reads ``figure_data["angles"]`` and ``["beyond_null"]`` (:meth:`BothProblems.figure_data`).
    """
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
    """rank(H Z*) against K, with the paper's pooled prediction r = K and the cap N' - 1.

    Reads :meth:`ConventionSpan.figure_data`.
    """
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


# -- the two-branch convention claims (BL22-C1-official, BL22-C1-solo) --------------------------
CONVENTION_NOTES = (
    "Stacked Z = [z_a; z_b] (view-major, views_relation(N', 2)), free, trained from random "
    "starts (2 seeded restarts) to a certified optimum (min-norm subgradient <= `1e-8`) of "
    "torch_impl.fit.vicreg_convention_objective, the smooth + hinge split of "
    "vicreg_loss_convention (equal to it to `1e-12`, tests/torch_impl/fit). "
    "Derivation: F.mse_loss(z_a, z_b) = tr(Z^T L Z) / (N' K) (the same Dirichlet energy as the "
    "paper's term), but variance and covariance are PER BRANCH, so the loss is sim mse(z_a, "
    "z_b) + f(z_a) + f(z_b) >= 2 min f, with equality iff z_a = z_b is a minimiser of f: every "
    "global minimum is view-invariant, Z* = [z; z], which lies in the null space of L (symbolic"
    " check). Prediction: span(H Z*) = bottom-r eigenspace (degeneracy-aware, here containment "
    "in the 0-eigenspace of multiplicity N'), error = largest principal angle. Consequence "
    "(extra 'rank' vs 'rank_cap', figure): the conclusion survives, but r <= N' - 1 for EVERY "
    "K: for K >= N' the code's optimum collapses to the N' - 1 view-invariant directions "
    "(per-branch covariance cannot be diagonal: loss > 0), whereas the paper's pooled loss at "
    "large beta has rank K and spends the extra columns on view-difference eigenvectors "
    "(eigenvalue 2; BL22-C1a, docs/catalogue/BL22.md#bl22-c2 flag (c)). K = min(k, 2 N' - 2), "
    "k in [1, 8], N' in [3, 32] (N up to 64; quick: N' <= 6), 20 trials. Relations: the "
    "two-branch code takes exactly two views per sample, so only the views family with V = 2 "
    "fits it (tests/claims/graphs.py's other families have no branch split). Extras n, rank, "
    "min_tangent_eig (the fit's second-order certificate)."
)
"""The reasoning shared by BL22-C1-official and BL22-C1-solo (their notes end with it)."""


def convention_derivations() -> list[Derivation]:
    """Symbolic side of the two-branch convention claims: the code's MSE term is the views
    graph's Dirichlet energy, and view-invariant Z lies in the null space of L."""
    return [two_branch_invariance(2, 1), two_branch_invariance(2, 2),
            two_branch_invariance(3, 1), view_invariant_null(2, 2), view_invariant_null(3, 2)]
