"""BarlowTwins as written in BL22 Sec. 2.4 (the paper's equation and its PyTorch snippet).

For two views Z_left, Z_right (N, K) whose rows are positive pairs, the (K, K)
cross-correlation C between the columns is::

    C_kk' = <(Z_left)_{., k}, (Z_right)_{., k'}> / (||(Z_left)_{., k}|| ||(Z_right)_{., k'}|| + eps)

    L_BT = sum_k (C_kk - 1)^2 + alpha * sum_{k != k'} C_kk'^2

Implemented as the snippet: ``C = normalize(Z_left, dim=0, eps).T @ normalize(Z_right, dim=0,
eps)``. ``F.normalize`` divides each column by ``max(||column||, eps)``, so the snippet's C is
``<a, b> / (max(||a||, eps) max(||b||, eps))``, not the printed ``<a, b> / (||a|| ||b|| + eps)``;
the two differ by a relative O(eps / (||a|| ||b||)) on non-degenerate columns, and a zero
column gives a zero row/column of C in both. Columns are L2-normalised but NOT centred.

Seed typo: the printed off-diagonal term is ``alpha * sum_{k' != k} C_{k,k}^2``; it must be
``C_{k,k'}^2`` (the snippet squares every off-diagonal entry).

How this differs from the official / lightly / solo-learn BarlowTwins (``conventions.py``):
the official code standardises each column with BatchNorm (affine=False: centred, biased 1/N
variance, eps 1e-5 inside the sqrt) and divides ``bn(z_a).T @ bn(z_b)`` by N, which for centred
columns is the cosine above up to eps; its off-diagonal weight is lambd = 0.0051 (lightly and
solo 5e-3; solo also multiplies the loss by 0.025). Here columns are not centred, so shifting a
column changes the loss.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from torch_impl.losses._matrix import off_diagonal_square_sum
from torch_impl.relations import Relation, RelationMatrix
from torch_impl.validation import (
    Compatible,
    Embedding,
    SameDtype,
    SameShape,
    Scalar,
    validate_params,
)

__all__ = ["barlow_twins_loss", "barlow_twins_loss_from_relation", "barlow_twins_correlation"]

# eps = 0 would turn a zero column into 0 / 0 inside F.normalize.
_EPS = Scalar(low=0.0, low_inclusive=False)


def _cross_correlation(z_left: torch.Tensor, z_right: torch.Tensor, eps: float) -> torch.Tensor:
    """The snippet's C (K, K): column-normalised ``z_left.T @ z_right``."""
    return F.normalize(z_left, dim=0, eps=eps).T @ F.normalize(z_right, dim=0, eps=eps)


def _loss(z_left: torch.Tensor, z_right: torch.Tensor, alpha: float, eps: float) -> torch.Tensor:
    cross_kk = _cross_correlation(z_left, z_right, eps)
    on_diag = (torch.diagonal(cross_kk) - 1).square().sum()
    return on_diag + alpha * off_diagonal_square_sum(cross_kk)


@validate_params(
    SameShape("Z_left", "Z_right"),
    SameDtype("Z_left", "Z_right"),
    Z_left=Embedding(),
    Z_right=Embedding(),
    alpha=Scalar(),
    eps=_EPS,
)
def barlow_twins_loss(
    Z_left: torch.Tensor, Z_right: torch.Tensor, *, alpha: float, eps: float = 1e-6
) -> torch.Tensor:
    """BarlowTwins loss of BL22 Sec. 2.4 on two views whose rows are positive pairs.

    Parameters
    ----------
    Z_left, Z_right : torch.Tensor of shape (N, K)
        Embeddings of the two views, same shape and dtype, floating and finite.
    alpha : float
        Non-negative finite weight of the off-diagonal term (not VICReg's alpha).
    eps : float, default=1e-6
        Finite, > 0: ``F.normalize``'s floor on each column norm (see the module docstring).

    Returns
    -------
    torch.Tensor
        0-d tensor ``sum_k (C_kk - 1)^2 + alpha * sum_{k != k'} C_kk'^2`` with C the (K, K)
        column-cosine cross-correlation.
    """
    return _loss(Z_left, Z_right, alpha, eps)


@validate_params(Compatible("Z", "G"), Z=Embedding(), G=RelationMatrix(), alpha=Scalar(), eps=_EPS)
def barlow_twins_loss_from_relation(
    Z: torch.Tensor, G: torch.Tensor | Relation, *, alpha: float, eps: float = 1e-6
) -> torch.Tensor:
    """BarlowTwins loss for a general relation G (BL22 Sec. 2.4, end).

    Every ordered positive pair (i, j) of G becomes a row pair: ``Z_left = Z[rows]``,
    ``Z_right = Z[cols]`` with (rows, cols) = ``G.nonzero(as_tuple=True)`` (the seed's code;
    ``Relation.rows``, ``Relation.cols``), then :func:`barlow_twins_loss`. A G without
    positive pairs gives empty views, C = 0 and the loss K.

    Parameters
    ----------
    Z : torch.Tensor of shape (N, K)
        Embedding, rows are samples; floating and finite.
    G : torch.Tensor of shape (N, N) or Relation
        Relation matrix (symmetric, binary, zero diagonal), dense or sparse COO, or a validated
        :class:`~torch_impl.relations.Relation`.
    alpha : float
        Non-negative finite weight of the off-diagonal term.
    eps : float, default=1e-6
        Finite, > 0: floor on each column norm.

    Returns
    -------
    torch.Tensor
        0-d tensor.
    """
    return _loss(Z[G.rows], Z[G.cols], alpha, eps)


@validate_params(Compatible("Z", "G"), Z=Embedding(), G=RelationMatrix(), eps=_EPS)
def barlow_twins_correlation(
    Z: torch.Tensor, G: torch.Tensor | Relation, *, eps: float = 1e-6
) -> torch.Tensor:
    """BarlowTwins' cross-correlation C (K, K) of Z over every ordered positive pair of G.

    BL22 Sec. 2.4: with (rows, cols) the nonzero entries of G in row-major order,
    ``C = normalize(Z[rows], dim=0, eps).T @ normalize(Z[cols], dim=0, eps)``, i.e.
    ``C_kk' = <a_k, b_k'> / (max(||a_k||, eps) max(||b_k'||, eps))`` for the columns a_k of
    Z[rows] and b_k' of Z[cols] (not centred). :func:`barlow_twins_loss_from_relation` is
    ``sum_k (C_kk - 1)^2 + alpha * sum_{k != k'} C_kk'^2`` of this C.

    Parameters
    ----------
    Z : torch.Tensor of shape (N, K)
        Embedding, rows are samples; floating and finite.
    G : torch.Tensor of shape (N, N) or Relation
        Relation matrix, dense or sparse COO, or a validated Relation.
    eps : float, default=1e-6
        Finite, > 0: floor on each column norm (the loss's default). A column of norm >= eps
        gives the same bits for any smaller eps.

    Returns
    -------
    torch.Tensor of shape (K, K)
        Zero when G has no positive pair.
    """
    return _cross_correlation(Z[G.rows], Z[G.cols], eps)
