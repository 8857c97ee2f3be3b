"""Shared numeric helpers of the BL22-C4 claim modules (SimCLR -> global spectral embedding).

Graphs for the trials, the "train SimCLR and certify" routine, the Gibbs bound and certificate
(closed forms lambdified from :mod:`derivations.bl22.simclr`), and the candidate global
embeddings the trained optimum is compared with. Everything is float64 on the audit's device.
"""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F

from derivations.base import lambdify_torch
from derivations.bl22 import simclr as sym
from torch_impl.fit import FitResult, fit_free
from torch_impl.losses import simclr_loss
from torch_impl.metrics import relative_error
from torch_impl.relations import degree, knn_relation, labels_relation, views_relation
from torch_impl.spectral import kernel_pca
from verify import device

__all__ = [
    "DEVICE",
    "DTYPE",
    "FIT_GRAD_TOL",
    "relation",
    "ring_relation",
    "class_relation",
    "fit_simclr",
    "gibbs_bound",
    "ghat",
    "gibbs_certificate",
    "gap_bound",
    "normalized_gram",
    "collapsed_configuration",
    "component_kernel",
    "candidate_comparison",
    "spectral_contrastive_loss",
    "one_d_exact_minimum",
    "one_d_limit_gap",
]

DEVICE = device()
DTYPE = torch.float64
FIT_GRAD_TOL = 1e-8
"""The issue's certificate: ||grad|| / max(1, |loss|) <= 1e-8 at every trained optimum."""

_gibbs_term = lambdify_torch(sym.GIBBS_TERM, [sym.DEGREE])
_phi = lambdify_torch(sym.PHI, [sym.RATIO])
_gap_bound = lambdify_torch(sym.GAP_BOUND, [sym.N_ORIG, sym.N_VIEWS, sym.SEPARATION, sym.TAU])
_simplex_separation = lambdify_torch(sym.SIMPLEX_SEPARATION, [sym.N_ORIG])
_circle_separation = lambdify_torch(sym.CIRCLE_SEPARATION, [sym.N_ORIG])
_one_d_block = lambdify_torch(sym.ONE_D_LIMIT_BLOCK, [sym.N_VIEWS, sym.SAME_SIGN])


def _scalar(value: float) -> torch.Tensor:
    return torch.tensor(float(value), dtype=DTYPE, device=DEVICE)


# -------------------------------------------------------------------------------------------
# Graphs
# -------------------------------------------------------------------------------------------


def ring_relation(n: int) -> torch.Tensor:
    """Cycle graph C_n (n >= 3): i ~ i +- 1 mod n, shape (n, n); connected, 2-regular."""
    idx = torch.arange(n, device=DEVICE)
    G = torch.zeros(n, n, dtype=DTYPE, device=DEVICE)
    G[idx, (idx + 1) % n] = 1
    G[(idx + 1) % n, idx] = 1
    return G


def class_relation(sizes: tuple[int, ...]) -> torch.Tensor:
    """Class graph with classes of the given sizes (consecutive rows), shape (sum(sizes),) ** 2."""
    labels = torch.repeat_interleave(torch.arange(len(sizes), device=DEVICE),
                                     torch.tensor(sizes, device=DEVICE))
    return labels_relation(labels).to(DTYPE)


def relation(kind: str, n: int, rng: torch.Generator) -> torch.Tensor:
    """A relation of about n nodes, every node of degree >= 1.

    ``views``: V = 2 or 3 views of n // V samples; ``class``: random classes of size >= 2
    (unequal degrees); ``knn``: symmetrised 2- or 3-NN graph of Gaussian points (irregular);
    ``ring``: the cycle C_n.
    """
    if kind == "views":
        n_views = 2 + int(torch.randint(0, 2, (1,), generator=rng))
        return views_relation(max(n // n_views, 2), n_views, device=DEVICE)
    if kind == "class":
        sizes, left = [], n
        while left >= 4:
            size = 2 + int(torch.randint(0, left - 3, (1,), generator=rng))
            sizes.append(size)
            left -= size
        sizes.append(max(left, 2))
        return class_relation(tuple(sizes))
    if kind == "knn":
        X = torch.randn(n, 3, generator=rng, dtype=DTYPE).to(DEVICE)
        return knn_relation(X, 2 + int(torch.randint(0, 2, (1,), generator=rng)))
    if kind == "ring":
        return ring_relation(max(n, 3))
    raise ValueError(f"unknown relation kind {kind!r}")


# -------------------------------------------------------------------------------------------
# Training and the Gibbs bound
# -------------------------------------------------------------------------------------------


def _unit_rows(Z: torch.Tensor) -> torch.Tensor:
    """Z with each row scaled to unit norm (N, K): a symmetry of L_simCLR."""
    return F.normalize(Z, dim=1)


def fit_simclr(G: torch.Tensor, k: int, tau: float, *, seed: int, restarts: int = 2,
               grad_tol: float = FIT_GRAD_TOL) -> FitResult:
    """Certified free-Z minimum of BL22's L_simCLR(Z; G, tau) over Z in R^{N x K}.

    Seeded L-BFGS restarts (:func:`torch_impl.fit.fit_free`), the best kept. L_simCLR depends on
    Z only through normalize(Z), so each row's gradient is tangential and shrinks as
    1 / ||z_i||: a fit that inflated its rows would pass the certificate too easily. The fit is
    therefore certified, polished and returned at unit rows (fit's ``normalise`` option), and a
    restart that stalls with long rows is continued from its unit rows.

    Raises
    ------
    torch_impl.fit.NotConverged
        L_simCLR's certificate ||grad|| / max(1, |L|) at the row-normalised optimum is not
        below ``grad_tol`` by fit's margin.
    """
    def loss(Z: torch.Tensor) -> torch.Tensor:
        return simclr_loss(Z, G, tau=tau)

    return fit_free(loss, (G.shape[0], k), seed=seed, restarts=restarts, grad_tol=grad_tol,
                    max_iter=3000, normalise=_unit_rows, device=DEVICE,
                    progress=False).require_converged()


def gibbs_bound(G: torch.Tensor) -> float:
    """B = sum_i d_i log d_i (isolated nodes contribute 0), the minimum of the cross-entropy
    -sum_ij G_ij log P_ij over right-stochastic zero-diagonal P (attained at D^{-1} G)."""
    d = degree(G)
    d = d[d > 0]
    return float(_gibbs_term(d).sum())


def ghat(Z: torch.Tensor, tau: float) -> torch.Tensor:
    """BL22 Sec. 2.3's right-stochastic estimate Ghat(Z)_ij = softmax_{k != i}(s_ik)_j, (N, N)."""
    U = F.normalize(Z, dim=1)
    s = U @ U.T / tau
    s.fill_diagonal_(float("-inf"))
    return torch.softmax(s, dim=1)


def gibbs_certificate(Z: torch.Tensor, G: torch.Tensor, tau: float) -> float:
    """sum_i [sum_{j in P(i)} phi(d_i q_ij) + d_i sum_{k not in P(i), k != i} q_ik] = L - B."""
    q = ghat(Z, tau)
    d = degree(G)[:, None].expand_as(q)
    positive = G > 0
    negative = ~positive & ~torch.eye(G.shape[0], dtype=torch.bool, device=G.device)
    return float(_phi(d[positive] * q[positive]).sum() + (d * q)[negative].sum())


def gap_bound(n_orig: int, n_views: int, tau: float, *, simplex: bool) -> float:
    """GAP_BOUND of the views graph at separation N'/(N'-1) (simplex) or 1 - cos(2 pi / N')."""
    n = _scalar(n_orig)
    sep = _simplex_separation(n) if simplex else _circle_separation(n)
    return float(_gap_bound(n, _scalar(n_views), sep, _scalar(tau)))


# -------------------------------------------------------------------------------------------
# Embeddings compared with the optimum
# -------------------------------------------------------------------------------------------


def normalized_gram(Z: torch.Tensor) -> torch.Tensor:
    """Cosine Gram matrix normalize(Z) normalize(Z)^T, (N, N)."""
    U = F.normalize(Z, dim=1)
    return U @ U.T


def component_kernel(G: torch.Tensor) -> torch.Tensor:
    """G + I: for a block-clique G (views, classes), 1 within a component, 0 across."""
    return G + torch.eye(G.shape[0], dtype=G.dtype, device=G.device)


def collapsed_configuration(n_orig: int, n_views: int, k: int, *, simplex: bool) -> torch.Tensor:
    """Views-graph embedding (V N', K) with every view of sample i at one unit direction.

    ``simplex=True`` (needs K >= N' - 1): the directions are the rows of the kernel-PCA embedding
    of G + I (the regular simplex, BL22-C4c); otherwise N' equally spaced directions on the
    circle of the first two coordinates (needs K >= 2).
    """
    G = views_relation(n_orig, n_views, device=DEVICE)
    Z = torch.zeros(G.shape[0], k, dtype=DTYPE, device=DEVICE)
    if simplex:
        Z[:, : n_orig - 1] = kernel_pca(component_kernel(G), n_orig - 1).embedding
    else:
        angle = 2 * math.pi * (torch.arange(G.shape[0], device=DEVICE) % n_orig) / n_orig
        Z[:, 0], Z[:, 1] = angle.cos(), angle.sin()
    return Z


def candidate_comparison(G: torch.Tensor, tau: float, trained: FitResult,
                         candidate: torch.Tensor) -> dict[str, float]:
    """How a candidate global embedding (N, K') compares with the trained SimCLR optimum.

    Returns
    -------
    dict
        ``gram_error``: ||gram(Z*) - gram(candidate)||_F / ||gram(candidate)||_F of the cosine
        Gram matrices (the identifiable part of the optimum); ``loss_excess``:
        (L(candidate) - L(Z*)) / max(1, |L(Z*)|), > 0 proving the candidate is not a minimiser
        whether or not Z* is global.
    """
    gram = normalized_gram(trained.z)
    target = normalized_gram(candidate)
    loss = float(simclr_loss(candidate, G, tau=tau))
    return {
        "gram_error": relative_error(gram, target),
        "loss_excess": (loss - trained.loss) / max(1.0, abs(trained.loss)),
    }


def spectral_contrastive_loss(Z: torch.Tensor, G: torch.Tensor) -> torch.Tensor:
    """-2 sum_ij G_ij z_i^T z_j + sum_ij (z_i^T z_j)^2 = -2 tr(Z^T G Z) + ||Z^T Z||_F^2.

    The spectral contrastive loss (HaoChen et al., NeurIPS 2021) with BL22's G as the positive
    weights and every ordered pair, i = j included, as a negative; equals
    ||Z Z^T - G||_F^2 - ||G||_F^2 (derivations.bl22.simclr.spectral_loss_identity).
    """
    return -2 * torch.trace(Z.T @ G @ Z) + (Z.T @ Z).square().sum()


# -------------------------------------------------------------------------------------------
# K = 1
# -------------------------------------------------------------------------------------------


def one_d_exact_minimum(G: torch.Tensor, tau: float) -> tuple[float, torch.Tensor]:
    """min over Z in R^{N x 1} with non-zero rows of L_simCLR, by enumeration.

    With K = 1, normalize(z)_i = sign(z_i): the loss depends on Z only through its sign
    pattern (piecewise constant, zero gradient almost everywhere), so the minimum over all Z
    with non-zero rows (where the cosine is defined) is the minimum over the 2^(N-1) sign
    patterns up to the global flip (the loss is invariant under Z -> -Z).

    Returns
    -------
    loss : float
    pattern : torch.Tensor of shape (N, 1)
        A minimising sign pattern.
    """
    n = G.shape[0]
    best, best_z = math.inf, None
    for tail in itertools.product((-1.0, 1.0), repeat=n - 1):
        z = torch.tensor((1.0, *tail), dtype=DTYPE, device=DEVICE)[:, None]
        value = float(simclr_loss(z, G, tau=tau))
        if value < best:
            best, best_z = value, z
    return best, best_z


def one_d_limit_gap(n_orig: int, n_views: int) -> float:
    """lim_{tau -> 0} of the K = 1 minimum gap: min over splits m + (N' - m) of the components
    between the two signs of ONE_D_LIMIT_BLOCK(m) + ONE_D_LIMIT_BLOCK(N' - m) (a block of no
    component contributes 0)."""
    v = _scalar(n_views)

    def block(m: int) -> float:
        return 0.0 if m == 0 else float(_one_d_block(v, _scalar(m)))

    return min(block(m) + block(n_orig - m) for m in range(n_orig + 1))
