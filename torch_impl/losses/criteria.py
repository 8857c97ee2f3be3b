"""Sample- and dimension-contrastive criteria of GA23 (Garrido et al. 2023, Sec. 3).

GA23 orientation: the embedding matrix K is (M, N), M = embedding dimension (rows), N = batch
size (columns), column i is the embedding of sample i. Then ``K.T @ K`` is the (N, N) Gram
matrix of the samples (``gram_nn``) and ``K @ K.T`` the (M, M) uncentred, unscaled
"covariance" of the dimensions (``cov_mm``). Most code stores embeddings samples-as-rows,
(N, M) = K^T: pass ``samples_as_rows=True`` for that layout.

Definition 3.1 writes diag(A) for the matrix that keeps only A's diagonal; Definition 3.2::

    L_c(K)  = ||K^T K - diag(K^T K)||_F^2 = sum_{i != i'} (K_{., i}^T K_{., i'})^2
    L_nc(K) = ||K K^T - diag(K K^T)||_F^2 = sum_{j != j'} (K_{j, .} K_{j', .}^T)^2

and Eq. (9)::

    L_reg(K) = sum_i ||K_{., i}||^4 - sum_j ||K_{j, .}||^4

so that Theorem 3.3 reads ``L_nc = L_c + L_reg`` for every K.
"""

from __future__ import annotations

import torch

from torch_impl.losses._matrix import off_diagonal_square_sum
from torch_impl.validation import Embedding, Flag, validate_params

__all__ = [
    "sample_contrastive_criterion",
    "dimension_contrastive_criterion",
    "regularization_criterion",
]


def _paper_orientation(K: torch.Tensor, samples_as_rows: bool) -> torch.Tensor:
    """K as (M, N), columns = samples."""
    return K.T if samples_as_rows else K


_CRITERION = validate_params(K=Embedding(), samples_as_rows=Flag())


@_CRITERION
def sample_contrastive_criterion(K: torch.Tensor, *, samples_as_rows: bool = False) -> torch.Tensor:
    """GA23 Definition 3.2, ``L_c(K) = ||K^T K - diag(K^T K)||_F^2`` (0-d tensor).

    Sum of the squared off-diagonal entries of the (N, N) Gram matrix: pairs of samples are
    pushed to be orthogonal.

    Parameters
    ----------
    K : torch.Tensor of shape (M, N), or (N, M) when ``samples_as_rows``
        Embedding matrix; floating and finite.
    samples_as_rows : bool, default=False
        False: the paper's layout (columns are samples). True: rows are samples.
    """
    K = _paper_orientation(K, samples_as_rows)
    gram_nn = K.T @ K
    return off_diagonal_square_sum(gram_nn)


@_CRITERION
def dimension_contrastive_criterion(
    K: torch.Tensor, *, samples_as_rows: bool = False
) -> torch.Tensor:
    """GA23 Definition 3.2, ``L_nc(K) = ||K K^T - diag(K K^T)||_F^2`` (0-d tensor).

    Sum of the squared off-diagonal entries of the (M, M) uncentred dimension matrix: pairs of
    dimensions are pushed to be orthogonal. No centring and no 1/N: VICReg's covariance term is
    this criterion on the centred embedding divided by M (N - 1)^2 (GA23 Eq. 8-10).

    Parameters
    ----------
    K : torch.Tensor of shape (M, N), or (N, M) when ``samples_as_rows``
        Embedding matrix; floating and finite.
    samples_as_rows : bool, default=False
        False: the paper's layout (columns are samples). True: rows are samples.
    """
    K = _paper_orientation(K, samples_as_rows)
    cov_mm = K @ K.T
    return off_diagonal_square_sum(cov_mm)


@_CRITERION
def regularization_criterion(K: torch.Tensor, *, samples_as_rows: bool = False) -> torch.Tensor:
    """GA23 Eq. (9), ``L_reg(K) = sum_i ||K_{., i}||^4 - sum_j ||K_{j, .}||^4`` (0-d tensor).

    Embedding (column) norms minus dimension (row) norms, each to the fourth power; by
    Theorem 3.3, ``dimension_contrastive_criterion(K) == sample_contrastive_criterion(K) +
    regularization_criterion(K)``.

    Parameters
    ----------
    K : torch.Tensor of shape (M, N), or (N, M) when ``samples_as_rows``
        Embedding matrix; floating and finite.
    samples_as_rows : bool, default=False
        False: the paper's layout (columns are samples). True: rows are samples.
    """
    K = _paper_orientation(K, samples_as_rows)
    embedding_sq_n = K.square().sum(dim=0)
    dimension_sq_m = K.square().sum(dim=1)
    return embedding_sq_n.square().sum() - dimension_sq_m.square().sum()
