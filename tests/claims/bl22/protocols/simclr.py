"""BL22-C4 protocols (SimCLR <-> global spectral embedding, BL22 Sec. 2.3 and Sec. 3-4).

What the SimCLR claim modules share: the certified free-Z SimCLR optimum (:func:`fit_simclr`,
its curvature certificate taken modulo the loss's symmetries, :data:`SIMCLR_SYMMETRIES`), the
Gibbs bound and its certificate (:func:`gibbs_bound`, :func:`ghat`, :func:`cross_entropy`,
:func:`gibbs_certificate`, :func:`certificate_of`, :func:`pinsker_gap`, :func:`gap_bound`; closed
forms lambdified from :mod:`derivations.bl22.simclr`), the explicit embeddings an optimum is
compared with (:func:`collapsed_configuration`, :func:`component_kernel`,
:func:`normalized_gram`, :func:`candidate_comparison`), the exact K = 1 minimum
(:func:`one_d_exact_minimum`, :func:`one_d_limit_gap`) and views-graph specs at any size
(:func:`views_specs`). Trial relations come from ``tests/claims/graphs.py``. Everything is
float64; tensors are built on the ``device`` argument and fits run on their relation's device.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from derivations.base import lambdify_torch
from derivations.bl22 import simclr as sym
from tests.claims.bl22.protocols.settings import GRAD_TOL
from torch_impl.fit import FitResult, fit_free
from torch_impl.fit.symmetries import right_rotations
from torch_impl.losses import simclr_loss
from torch_impl.metrics import relative_error
from torch_impl.relations import as_relation, degree, views_relation
from torch_impl.spectral import kernel_pca

__all__ = [
    "DTYPE",
    "SIMCLR_SYMMETRIES",
    "fit_simclr",
    "gibbs_bound",
    "ghat",
    "cross_entropy",
    "certificate_of",
    "pinsker_gap",
    "gibbs_certificate",
    "gap_bound",
    "normalized_gram",
    "component_kernel",
    "collapsed_configuration",
    "CandidateComparison",
    "candidate_comparison",
    "one_d_exact_minimum",
    "one_d_limit_gap",
    "views_specs",
]

DTYPE = torch.float64
SIMCLR_SYMMETRIES = right_rotations
"""L_simCLR depends on Z only through normalize(Z) normalize(Z)^T: rotations Z -> Z R and row
scalings z_i -> s_i z_i leave it unchanged. :func:`fit_simclr` fixes the row scales (its gauge
term), so its curvature certificate is taken modulo the rotations only."""

_gibbs_term = lambdify_torch(sym.GIBBS_TERM, [sym.DEGREE])
_phi = lambdify_torch(sym.PHI, [sym.RATIO])
_gap_bound = lambdify_torch(sym.GAP_BOUND, [sym.N_ORIG, sym.N_VIEWS, sym.SEPARATION, sym.TAU])
_simplex_separation = lambdify_torch(sym.SIMPLEX_SEPARATION, [sym.N_ORIG])
_circle_separation = lambdify_torch(sym.CIRCLE_SEPARATION, [sym.N_ORIG])
_one_d_block = lambdify_torch(sym.ONE_D_LIMIT_BLOCK, [sym.N_VIEWS, sym.SAME_SIGN])


def _scalar(value: float) -> torch.Tensor:
    # Closed forms of plain numbers are evaluated on CPU: they return Python floats.
    return torch.tensor(float(value), dtype=DTYPE)


def _unit_rows(Z: torch.Tensor) -> torch.Tensor:
    """Z with each row scaled to unit norm (N, K): a symmetry of L_simCLR."""
    return F.normalize(Z, dim=1)


def fit_simclr(G: torch.Tensor, k: int, tau: float, *, seed: int, restarts: int = 2,
               grad_tol: float = GRAD_TOL, inits: Sequence[torch.Tensor] = ()) -> FitResult:
    """Certified free-Z minimum of BL22's L_simCLR(Z; G, tau) (Sec. 2.3) over Z in R^{N x K}.

    Seeded L-BFGS restarts (:func:`torch_impl.fit.fit_free`, ``max_iter`` 3000), the best kept,
    on G's device. L_simCLR depends on Z only through normalize(Z), so each row's gradient is
    tangential and shrinks as 1 / ||z_i||: a fit that inflated its rows would pass the
    certificate too easily. The fit is therefore certified, polished and returned at unit rows
    (fit's ``normalise`` option), with its curvature certificate taken modulo
    :data:`SIMCLR_SYMMETRIES` (``FitResult.min_tangent_eig``).

    The objective is L_simCLR(Z) + sum_i (||z_i||^2 - 1)^2. The gauge term fixes the row
    scales, a symmetry of L_simCLR: it vanishes with its gradient at unit rows, so a certified
    point of the sum at unit rows is one of L_simCLR with the same loss. Without it L-BFGS's
    steps, orthogonal to the rows, inflate them until a restart leaves the iterate bound
    (development: path N = 21, K = 2, tau = 0.2 "diverged").

    Parameters
    ----------
    G : torch.Tensor of shape (N, N) or Relation
        Relation (validated once here).
    k : int
        Embedding dimension K.
    tau : float
        Temperature, > 0.
    seed : int
        Seed of the restarts' random starts.
    restarts : int, default=2
        Starts in all, ``inits`` included; the others are seeded random draws.
    grad_tol : float, default=settings.GRAD_TOL
        Certificate ``||grad|| / max(1, |L|)`` required (by fit's margin, 100x below).
    inits : sequence of torch.Tensor of shape (N, K), default=()
        Candidate starts (e.g. a closed form, at large N where random starts are slow), each
        perturbed by 1e-3 relative seeded noise so that a candidate that is a saddle is left.

    Returns
    -------
    FitResult
        ``z`` of shape (N, K) with unit rows.

    Raises
    ------
    torch_impl.fit.NotConverged
        The certificate at the row-normalised optimum is not below ``grad_tol`` by the margin.
    """
    rel = as_relation(G)
    loss_of = simclr_loss.unchecked

    def loss(Z: torch.Tensor) -> torch.Tensor:
        return loss_of(Z, rel, tau=tau) + (Z.square().sum(dim=1) - 1).square().sum()

    return fit_free(loss, (rel.n, k), seed=seed, restarts=restarts, grad_tol=grad_tol,
                    inits=list(inits) or None, init_noise=1e-3 if inits else 0.0,
                    max_iter=3000, normalise=_unit_rows, symmetries=SIMCLR_SYMMETRIES,
                    device=rel.device, progress=False).require_converged()


def gibbs_bound(G: torch.Tensor) -> float:
    """Gibbs bound B = sum_i d_i log d_i of a relation (BL22-C4a; isolated nodes contribute 0).

    The minimum of the cross-entropy -sum_ij G_ij log P_ij over right-stochastic zero-diagonal
    P, attained at D^{-1} G.

    Parameters
    ----------
    G : torch.Tensor of shape (N, N)

    Returns
    -------
    float
    """
    d = degree(G)
    d = d[d > 0]
    return float(_gibbs_term(d).sum())


def ghat(Z: torch.Tensor, tau: float) -> torch.Tensor:
    """BL22 Sec. 2.3's right-stochastic estimate Ghat(Z)_ij = softmax_{k != i}(s_ik)_j.

    s = normalize(Z) normalize(Z)^T / tau, the diagonal excluded.

    Parameters
    ----------
    Z : torch.Tensor of shape (N, K)
    tau : float

    Returns
    -------
    torch.Tensor of shape (N, N)
        Rows sum to 1, zero diagonal.
    """
    U = F.normalize(Z, dim=1)
    s = U @ U.T / tau
    s.fill_diagonal_(float("-inf"))
    return torch.softmax(s, dim=1)


def cross_entropy(q: torch.Tensor, G: torch.Tensor) -> float:
    """-sum_ij G_ij log q_ij of a right-stochastic zero-diagonal q (N, N) (BL22 Sec. 2.3).

    L_simCLR(Z) = cross_entropy(Ghat(Z), G); at q = D^{-1} G it equals the Gibbs bound.

    Parameters
    ----------
    q : torch.Tensor of shape (N, N)
        Rows sum to 1, q_ij > 0 wherever G_ij > 0.
    G : torch.Tensor of shape (N, N)
        Dense relation.

    Returns
    -------
    float
    """
    positive = G > 0
    return float(-(G[positive] * q[positive].log()).sum())


def certificate_of(q: torch.Tensor, G: torch.Tensor) -> float:
    """cross_entropy(q, G) - B as a sum of non-negative terms (BL22-C4a's identity).

    sum_i [sum_{j in P(i)} phi(d_i q_ij) + d_i sum_{k not in P(i), k != i} q_ik], phi(u) = u - 1
    - log u (PHI): every term is >= 0 and all vanish iff q = D^{-1} G.

    Parameters
    ----------
    q : torch.Tensor of shape (N, N)
        Right-stochastic, zero diagonal, q_ij > 0 wherever G_ij > 0.
    G : torch.Tensor of shape (N, N)
        Dense relation.

    Returns
    -------
    float
        >= 0.
    """
    d = degree(G)[:, None].expand_as(q)
    positive = G > 0
    negative = ~positive & ~torch.eye(G.shape[0], dtype=torch.bool, device=G.device)
    return float(_phi(d[positive] * q[positive]).sum() + (d * q)[negative].sum())


def pinsker_gap(q: torch.Tensor, G: torch.Tensor) -> float:
    """1/2 sum_i ||q_i - (D^{-1} G)_i||_1^2: a lower bound of cross_entropy(q, G) - B.

    Row i's gap is d_i KL(u_i || q_i) (u_i uniform on i's positives), and Pinsker's inequality
    with d_i >= 1 bounds it below by ||u_i - q_i||_1^2 / 2: a gap near 0 forces q near D^{-1} G
    (BL22-C4a's "only if", quantitatively). Rows of isolated nodes are skipped.

    Parameters
    ----------
    q : torch.Tensor of shape (N, N)
        Right-stochastic.
    G : torch.Tensor of shape (N, N)

    Returns
    -------
    float
    """
    d = degree(G)
    rows = d > 0
    target = G[rows] / d[rows, None]
    return float((q[rows] - target).abs().sum(dim=1).square().sum() / 2)


def gibbs_certificate(Z: torch.Tensor, G: torch.Tensor, tau: float) -> float:
    """:func:`certificate_of` at q = Ghat(Z): L_simCLR(Z) - B as non-negative terms.

    Parameters
    ----------
    Z : torch.Tensor of shape (N, K)
    G : torch.Tensor of shape (N, N)
        Dense relation.
    tau : float

    Returns
    -------
    float
        >= 0.
    """
    return certificate_of(ghat(Z, tau), G)


def gap_bound(n_orig: int, n_views: int, tau: float, *, simplex: bool) -> float:
    """GAP_BOUND(delta, tau) of the views graph (BL22-C4b).

    N' V (V-1) log(1 + V (N'-1)/(V-1) e^{-delta/tau}) with delta = N'/(N'-1) (regular simplex,
    ``simplex=True``) or 1 - cos(2 pi / N') (equally spaced circle).

    Parameters
    ----------
    n_orig, n_views : int
        N' samples, V views.
    tau : float
    simplex : bool

    Returns
    -------
    float
    """
    n = _scalar(n_orig)
    sep = _simplex_separation(n) if simplex else _circle_separation(n)
    return float(_gap_bound(n, _scalar(n_views), sep, _scalar(tau)))


def normalized_gram(Z: torch.Tensor) -> torch.Tensor:
    """Cosine Gram matrix normalize(Z) normalize(Z)^T of Z (N, K), shape (N, N)."""
    U = F.normalize(Z, dim=1)
    return U @ U.T


def component_kernel(G: torch.Tensor) -> torch.Tensor:
    """G + I, shape (N, N): for a block-clique G (views, classes), 1 within a component, 0
    across (BL22-C4c's kernel)."""
    return G + torch.eye(G.shape[0], dtype=G.dtype, device=G.device)


def collapsed_configuration(n_orig: int, n_views: int, k: int, *, simplex: bool,
                            device: torch.device | str) -> torch.Tensor:
    """Views-graph embedding with every view of sample i at one unit direction (BL22-C4b).

    ``simplex=True`` (needs K >= N' - 1): the directions are the rows of the kernel-PCA
    embedding of G + I (the regular simplex, BL22-C4c); otherwise N' equally spaced directions
    on the circle of the first two coordinates (needs K >= 2).

    Parameters
    ----------
    n_orig, n_views, k : int
        N' samples, V views, K columns.
    simplex : bool
    device : torch.device or str

    Returns
    -------
    torch.Tensor of shape (V N', K)
        Rows ordered as :func:`torch_impl.relations.views_relation` (view-major).
    """
    G = views_relation(n_orig, n_views, device=device)
    Z = torch.zeros(G.shape[0], k, dtype=DTYPE, device=device)
    if simplex:
        Z[:, : n_orig - 1] = kernel_pca(component_kernel(G), n_orig - 1).embedding
    else:
        # float64 angles: an integer arange would promote to float32 (1e-7 off the circle).
        sample = torch.arange(G.shape[0], dtype=DTYPE, device=device) % n_orig
        angle = 2 * math.pi * sample / n_orig
        Z[:, 0], Z[:, 1] = angle.cos(), angle.sin()
    return Z


@dataclass(frozen=True)
class CandidateComparison:
    """How a candidate global embedding compares with a trained SimCLR optimum.

    Attributes
    ----------
    gram_error : float
        ||gram(Z*) - gram(candidate)||_F / ||gram(candidate)||_F of the cosine Gram matrices
        (the identifiable part of the optimum).
    loss_excess : float
        (L(candidate) - L(Z*)) / max(1, |L(Z*)|); > 0 proves the candidate is not a minimiser,
        whether or not Z* is global.
    """

    gram_error: float
    loss_excess: float


def candidate_comparison(G: torch.Tensor, tau: float, trained: FitResult,
                         candidate: torch.Tensor) -> CandidateComparison:
    """Compare a candidate embedding (N, K') with the trained optimum ``trained.z`` (N, K).

    Parameters
    ----------
    G : torch.Tensor of shape (N, N)
    tau : float
    trained : FitResult
        A :func:`fit_simclr` result on (G, tau).
    candidate : torch.Tensor of shape (N, K')

    Returns
    -------
    CandidateComparison
    """
    gram = normalized_gram(trained.z)
    target = normalized_gram(candidate)
    loss = float(simclr_loss(candidate, G, tau=tau))
    return CandidateComparison(
        gram_error=relative_error(gram, target),
        loss_excess=(loss - trained.loss) / max(1.0, abs(trained.loss)),
    )


def one_d_exact_minimum(G: torch.Tensor, tau: float) -> tuple[float, torch.Tensor]:
    """min over Z in R^{N x 1} with non-zero rows of L_simCLR, by enumeration (BL22-C4b-1D).

    With K = 1, normalize(z)_i = sign(z_i): the loss depends on Z only through its sign
    pattern (piecewise constant, zero gradient almost everywhere), so the minimum over all Z
    with non-zero rows (where the cosine is defined) is the minimum over the 2^(N-1) sign
    patterns up to the global flip (the loss is invariant under Z -> -Z).

    Parameters
    ----------
    G : torch.Tensor of shape (N, N)
        Small N (2^(N-1) evaluations).
    tau : float

    Returns
    -------
    loss : float
    pattern : torch.Tensor of shape (N, 1)
        A minimising sign pattern (the first found), on G's device.
    """
    rel = as_relation(G)
    best, best_z = math.inf, None
    for tail in itertools.product((-1.0, 1.0), repeat=rel.n - 1):
        z = torch.tensor((1.0, *tail), dtype=DTYPE, device=rel.device)[:, None]
        value = float(simclr_loss.unchecked(z, rel, tau=tau))
        if value < best:
            best, best_z = value, z
    return best, best_z


def one_d_limit_gap(n_orig: int, n_views: int) -> float:
    """lim_{tau -> 0} of the K = 1 minimum gap min_Z L_tau - B on the views graph.

    min over splits m + (N' - m) of the components between the two signs of
    F(m) + F(N' - m), F = ONE_D_LIMIT_BLOCK (F(m) = V m (V-1) log((V m - 1)/(V - 1)); a block
    of no component contributes 0).

    Parameters
    ----------
    n_orig, n_views : int
        N' samples, V views.

    Returns
    -------
    float
    """
    v = _scalar(n_views)

    def block(m: int) -> float:
        return 0.0 if m == 0 else float(_one_d_block(v, _scalar(m)))

    return min(block(m) + block(n_orig - m) for m in range(n_orig + 1))


@st.composite
def views_specs(draw: st.DrawFn, n: tuple[int, int], n_orig: tuple[int, int]) -> str:
    """Strategy of views-graph specs (``tests/claims/graphs.py``) with N = N' V in ``n``.

    ``graphs.relations`` draws V in 2..4; the simplex claims (BL22-C4c) need K >= N' - 1, so
    at large N they keep N' small and take many views instead (V up to N / N').

    Parameters
    ----------
    n : (int, int)
        Smallest and largest N.
    n_orig : (int, int)
        Smallest and largest N' (>= 2).

    Returns
    -------
    str
        ``"views(n=N',v=V)"``, V >= 2.
    """
    lo, hi = n
    orig = draw(st.integers(n_orig[0], min(n_orig[1], hi // 2)))
    views = draw(st.integers(max(2, -(-lo // orig)), max(2, hi // orig)))
    return f"views(n={orig},v={views})"
