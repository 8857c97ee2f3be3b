"""BL22-C4 protocols (SimCLR <-> global spectral embedding, BL22 Sec. 2.3 and Sec. 3-4).

What the SimCLR claim modules share: the trial relations (:func:`relation`), the certified free-Z
SimCLR optimum (:func:`fit_simclr`), the Gibbs bound and its certificate (:func:`gibbs_bound`,
:func:`ghat`, :func:`gibbs_certificate`, :func:`gap_bound`; closed forms lambdified from
:mod:`derivations.bl22.simclr`), the explicit embeddings an optimum is compared with
(:func:`collapsed_configuration`, :func:`component_kernel`, :func:`normalized_gram`,
:func:`candidate_comparison`) and the exact K = 1 minimum (:func:`one_d_exact_minimum`,
:func:`one_d_limit_gap`). Everything is float64; tensors are built on the ``device`` argument
(CPU by default) and fits run on their relation's device.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from derivations.base import lambdify_torch
from derivations.bl22 import simclr as sym
from tests.claims.bl22.protocols.settings import GRAD_TOL
from torch_impl.fit import FitResult, fit_free
from torch_impl.losses import simclr_loss
from torch_impl.metrics import relative_error
from torch_impl.relations import (
    as_relation,
    class_relation,
    degree,
    knn_relation,
    ring_relation,
    views_relation,
)
from torch_impl.spectral import kernel_pca

__all__ = [
    "DTYPE",
    "RELATION_KINDS",
    "relation",
    "fit_simclr",
    "gibbs_bound",
    "ghat",
    "gibbs_certificate",
    "gap_bound",
    "normalized_gram",
    "component_kernel",
    "collapsed_configuration",
    "CandidateComparison",
    "candidate_comparison",
    "one_d_exact_minimum",
    "one_d_limit_gap",
]

DTYPE = torch.float64
RELATION_KINDS = ("views", "class", "knn", "ring")
"""The relation families :func:`relation` draws from."""

_gibbs_term = lambdify_torch(sym.GIBBS_TERM, [sym.DEGREE])
_phi = lambdify_torch(sym.PHI, [sym.RATIO])
_gap_bound = lambdify_torch(sym.GAP_BOUND, [sym.N_ORIG, sym.N_VIEWS, sym.SEPARATION, sym.TAU])
_simplex_separation = lambdify_torch(sym.SIMPLEX_SEPARATION, [sym.N_ORIG])
_circle_separation = lambdify_torch(sym.CIRCLE_SEPARATION, [sym.N_ORIG])
_one_d_block = lambdify_torch(sym.ONE_D_LIMIT_BLOCK, [sym.N_VIEWS, sym.SAME_SIGN])


def _scalar(value: float) -> torch.Tensor:
    # Closed forms of plain numbers are evaluated on CPU: they return Python floats.
    return torch.tensor(float(value), dtype=DTYPE)


def relation(kind: str, n: int, rng: torch.Generator, *,
             device: torch.device | str = "cpu") -> torch.Tensor:
    """A relation of about ``n`` nodes, every node of degree >= 1, shape (N, N), float64.

    Parameters
    ----------
    kind : {"views", "class", "knn", "ring"}
        ``views``: V = 2 or 3 views (drawn) of max(n // V, 2) samples; ``class``: random
        classes of size >= 2 (unequal degrees); ``knn``: symmetrised 2- or 3-NN graph of n
        Gaussian points in R^3 (irregular); ``ring``: the cycle C_max(n, 3).
    n : int
        Approximate number of nodes, >= 2.
    rng : torch.Generator
        CPU generator of the draws (consumed in the order above).
    device : torch.device or str, default="cpu"

    Returns
    -------
    torch.Tensor of shape (N, N)
        N = n except for ``views`` (V * max(n // V, 2)) and small ``class`` / ``ring``.
    """
    if kind == "views":
        n_views = 2 + int(torch.randint(0, 2, (1,), generator=rng))
        return views_relation(max(n // n_views, 2), n_views, device=device)
    if kind == "class":
        sizes, left = [], n
        while left >= 4:
            size = 2 + int(torch.randint(0, left - 3, (1,), generator=rng))
            sizes.append(size)
            left -= size
        sizes.append(max(left, 2))
        return class_relation(tuple(sizes), device=device)
    if kind == "knn":
        X = torch.randn(n, 3, generator=rng, dtype=DTYPE).to(device)
        return knn_relation(X, 2 + int(torch.randint(0, 2, (1,), generator=rng)))
    if kind == "ring":
        return ring_relation(max(n, 3), device=device)
    raise ValueError(f"kind must be one of {RELATION_KINDS}, got {kind!r}")


def _unit_rows(Z: torch.Tensor) -> torch.Tensor:
    """Z with each row scaled to unit norm (N, K): a symmetry of L_simCLR."""
    return F.normalize(Z, dim=1)


def fit_simclr(G: torch.Tensor, k: int, tau: float, *, seed: int, restarts: int = 2,
               grad_tol: float = GRAD_TOL) -> FitResult:
    """Certified free-Z minimum of BL22's L_simCLR(Z; G, tau) (Sec. 2.3) over Z in R^{N x K}.

    Seeded L-BFGS restarts (:func:`torch_impl.fit.fit_free`, ``max_iter`` 3000), the best kept,
    on G's device. L_simCLR depends on Z only through normalize(Z), so each row's gradient is
    tangential and shrinks as 1 / ||z_i||: a fit that inflated its rows would pass the
    certificate too easily. The fit is therefore certified, polished and returned at unit rows
    (fit's ``normalise`` option).

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
    grad_tol : float, default=settings.GRAD_TOL
        Certificate ``||grad|| / max(1, |L|)`` required (by fit's margin, 100x below).

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
        return loss_of(Z, rel, tau=tau)

    return fit_free(loss, (rel.n, k), seed=seed, restarts=restarts, grad_tol=grad_tol,
                    max_iter=3000, normalise=_unit_rows, device=rel.device,
                    progress=False).require_converged()


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


def gibbs_certificate(Z: torch.Tensor, G: torch.Tensor, tau: float) -> float:
    """L_simCLR(Z) - B as a sum of non-negative terms (BL22-C4a's identity).

    sum_i [sum_{j in P(i)} phi(d_i q_ij) + d_i sum_{k not in P(i), k != i} q_ik], q = Ghat(Z),
    phi(u) = u - 1 - log u (PHI).

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
    q = ghat(Z, tau)
    d = degree(G)[:, None].expand_as(q)
    positive = G > 0
    negative = ~positive & ~torch.eye(G.shape[0], dtype=torch.bool, device=G.device)
    return float(_phi(d[positive] * q[positive]).sum() + (d * q)[negative].sum())


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
                            device: torch.device | str = "cpu") -> torch.Tensor:
    """Views-graph embedding with every view of sample i at one unit direction (BL22-C4b).

    ``simplex=True`` (needs K >= N' - 1): the directions are the rows of the kernel-PCA
    embedding of G + I (the regular simplex, BL22-C4c); otherwise N' equally spaced directions
    on the circle of the first two coordinates (needs K >= 2).

    Parameters
    ----------
    n_orig, n_views, k : int
        N' samples, V views, K columns.
    simplex : bool
    device : torch.device or str, default="cpu"

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
