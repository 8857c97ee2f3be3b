"""VICReg as written in BL22 Sec. 2.2 (the paper's equation and its PyTorch snippet).

For an embedding Z (N, K) and a relation G (N, N), with C = Cov(Z) the (K, K) covariance of
the columns of Z (mean-centred, 1/(N-1), i.e. ``torch.cov(Z.T)``):

    L_vic = alpha * sum_k max(0, 1 - sqrt(C_kk))                       (variance)
          + beta  * sum_k sum_{k' != k} C_kk'^2                         (covariance)
          + (gamma / N) * sum_{i,j} G_ij ||Z_i - Z_j||_2^2              (invariance)

Seed typo: the printed covariance term ``sum_{j=1, j != k}^K Cov(Z)_{k,j}^2`` lacks the outer
sum over k; the snippet (``2 * triu(C, 1).square().sum()``) sums every off-diagonal entry, and
that is what is implemented.

How this differs from the official / lightly / solo-learn VICReg (see ``conventions.py``):

* one stacked Z with a relation G instead of two branches (z_a, z_b);
* variance and covariance are taken on the pooled Z (all views together), not per branch;
* variance: no eps inside the sqrt (C_kk is clamped to [1e-6, 1] instead), summed over the K
  dimensions (not averaged) and not halved (official and lightly halve it, solo does not);
* covariance: sum of squared off-diagonal entries, not divided by K;
* invariance: (1/N) times a sum over ORDERED positive pairs; for two views
  (N = 2N') it equals K * ``F.mse_loss(z_a, z_b)``;
* weights alpha (variance), beta (covariance), gamma (invariance) instead of
  std_coeff / cov_coeff / sim_coeff (defaults 25 / 1 / 25 there).
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from torch_impl.relations import Relation, RelationMatrix
from torch_impl.validation import Compatible, Embedding, Scalar, validate_params

__all__ = [
    "VICRegTerms",
    "vicreg_terms",
    "vicreg_loss",
    "vicreg_hinge_arguments",
    "vicreg_smooth_part",
]

# The seed clamps C_kk at 1e-6 before the sqrt, so that the gradient of sqrt stays finite on a
# collapsed dimension (its gradient is then zero instead of infinite).
_VARIANCE_FLOOR = 1e-6


class VICRegTerms(NamedTuple):
    """The three UNWEIGHTED VICReg terms, each a 0-d tensor."""

    variance: torch.Tensor
    covariance: torch.Tensor
    invariance: torch.Tensor


def _cov_kk(Z: torch.Tensor) -> torch.Tensor:
    """Covariance of the columns of Z, (K, K), centred, 1/(N-1): the seed's ``torch.cov``."""
    # torch.cov returns a 0-d tensor for a single variable (K = 1), on which the seed's
    # torch.diag fails; the reshape keeps C (K, K) for every K.
    K = Z.shape[1]
    return torch.cov(Z.T).reshape(K, K)


def _variance_term(cov_kk: torch.Tensor) -> torch.Tensor:
    # Exactly the seed: the upper clamp at 1 turns K - sum(sqrt) into sum(max(0, 1 - sqrt)).
    K = cov_kk.shape[0]
    return K - torch.diag(cov_kk).clamp(_VARIANCE_FLOOR, 1).sqrt().sum()


def _covariance_term(cov_kk: torch.Tensor) -> torch.Tensor:
    # C is symmetric: twice the strict upper triangle is the full off-diagonal sum.
    return 2 * torch.triu(cov_kk, diagonal=1).square().sum()


def _invariance_term(Z: torch.Tensor, G: Relation) -> torch.Tensor:
    # Gathering the nnz(G) positive pairs keeps a sparse G sparse: O(nnz K), never O(N^2).
    return (Z[G.rows] - Z[G.cols]).square().sum() / Z.shape[0]


# A covariance with 1/(N-1) needs N >= 2.
_Z = Embedding(min_rows=2)
_WEIGHT = Scalar()


@validate_params(Compatible("Z", "G"), Z=_Z, G=RelationMatrix())
def vicreg_terms(Z: torch.Tensor, G: torch.Tensor | Relation) -> VICRegTerms:
    """Unweighted variance, covariance and invariance terms of VICReg (BL22 Sec. 2.2).

    Parameters
    ----------
    Z : torch.Tensor of shape (N, K)
        Embedding, rows are samples; floating, finite, N >= 2.
    G : torch.Tensor of shape (N, N) or Relation
        Relation matrix (symmetric, binary, zero diagonal), dense or sparse COO; a
        :class:`~torch_impl.relations.Relation` skips the O(N^2) validation.

    Returns
    -------
    VICRegTerms
        ``variance = K - sum_k sqrt(clamp(C_kk, 1e-6, 1))``,
        ``covariance = sum_{k != k'} C_kk'^2``,
        ``invariance = (1/N) sum_{(i, j): G_ij = 1} ||Z_i - Z_j||^2`` (ordered pairs),
        with C = ``torch.cov(Z.T)`` (K, K).
    """
    invariance = _invariance_term(Z, G)
    cov_kk = _cov_kk(Z)
    return VICRegTerms(_variance_term(cov_kk), _covariance_term(cov_kk), invariance)


@validate_params(
    Compatible("Z", "G"), Z=_Z, G=RelationMatrix(), alpha=_WEIGHT, beta=_WEIGHT, gamma=_WEIGHT
)
def vicreg_loss(
    Z: torch.Tensor, G: torch.Tensor | Relation, *, alpha: float, beta: float, gamma: float
) -> torch.Tensor:
    """VICReg loss of BL22 Sec. 2.2: ``alpha * variance + beta * covariance + gamma * invariance``.

    Parameters
    ----------
    Z : torch.Tensor of shape (N, K)
        Embedding, rows are samples; floating, finite, N >= 2.
    G : torch.Tensor of shape (N, N) or Relation
        Relation matrix, dense or sparse COO, or a validated Relation.
    alpha, beta, gamma : float
        Non-negative finite weights of the variance, covariance and invariance terms.

    Returns
    -------
    torch.Tensor
        0-d tensor. See :func:`vicreg_terms` for the three terms and the module docstring for
        how this differs from the official / lightly / solo-learn VICReg.
    """
    terms = vicreg_terms.unchecked(Z, G)
    return alpha * terms.variance + beta * terms.covariance + gamma * terms.invariance


@validate_params(Z=_Z)
def vicreg_hinge_arguments(Z: torch.Tensor) -> torch.Tensor:
    """Arguments of the K variance hinges, ``1 - sqrt(max(C_kk, 1e-6))``, shape (K,).

    Identity (up to rounding): ``vicreg_terms(Z, G).variance == relu(args).sum()``, since
    ``max(0, 1 - sqrt(max(c, 1e-6))) = 1 - sqrt(clamp(c, 1e-6, 1))``. Hence
    ``vicreg_loss = alpha * relu(args).sum() + vicreg_smooth_part(Z, G, beta, gamma)``, which
    lets an optimum lying on a hinge kink (``args_k == 0``) be certified by a subgradient
    condition on the smooth part.

    Parameters
    ----------
    Z : torch.Tensor of shape (N, K)
        Embedding, floating, finite, N >= 2.
    """
    return 1 - torch.diag(_cov_kk(Z)).clamp(min=_VARIANCE_FLOOR).sqrt()


@validate_params(Compatible("Z", "G"), Z=_Z, G=RelationMatrix(), beta=_WEIGHT, gamma=_WEIGHT)
def vicreg_smooth_part(
    Z: torch.Tensor, G: torch.Tensor | Relation, *, beta: float, gamma: float
) -> torch.Tensor:
    """The smooth part of VICReg, ``beta * covariance + gamma * invariance`` (0-d tensor).

    Parameters
    ----------
    Z : torch.Tensor of shape (N, K)
        Embedding, floating, finite, N >= 2.
    G : torch.Tensor of shape (N, N) or Relation
        Relation matrix, dense or sparse COO, or a validated Relation.
    beta, gamma : float
        Non-negative finite weights of the covariance and invariance terms.
    """
    invariance = _invariance_term(Z, G)
    return beta * _covariance_term(_cov_kk(Z)) + gamma * invariance
