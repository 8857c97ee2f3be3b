"""Total coding rate (TCR; Li et al. 2022, NMCE) as GA23 (Garrido et al. 2023) writes it.

GA23 Sec. 3 / Prop. 3.2 lists TCR among the dimension-contrastive methods::

    L_TCR(K) = -(1/2) log det(I_M + M / (N eps^2) K K^T)

with K (M, N) the embedding matrix whose columns (the embeddings) are L2-normalised.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from torch_impl.validation import Embedding, Flag, Scalar, validate_params

__all__ = ["total_coding_rate_loss"]


@validate_params(Z=Embedding(), eps=Scalar(low=0.0, low_inclusive=False), normalise=Flag())
def total_coding_rate_loss(
    Z: torch.Tensor, *, eps: float = 0.1, normalise: bool = True
) -> torch.Tensor:
    """GA23's TCR, ``-(1/2) log det(I_M + M / (N eps^2) Z^T Z)`` (0-d tensor).

    Batch-first: Z = K^T, so GA23's M x M matrix K K^T is ``Z.T @ Z``. Computed through the
    smaller of the two Gram matrices, ``det(I_M + a Z^T Z) = det(I_N + a Z Z^T)`` (Sylvester),
    which is exact and keeps the determinant of size min(N, M).

    The codebases of Li et al. (and their MCR^2 predecessors) write ``M / (N eps)``; their eps
    (default 0.01) is GA23's eps^2, so the default eps = 0.1 here is the same loss.

    Parameters
    ----------
    Z : torch.Tensor of shape (N, M)
        One branch, rows are samples; floating and finite.
    eps : float, default=0.1
        Distortion eps > 0 (squared in the formula).
    normalise : bool, default=True
        L2-normalise each embedding (row) first (``F.normalize``; a zero row stays zero), as
        GA23 states TCR; False applies the formula to Z as given.

    Returns
    -------
    torch.Tensor
        0-d tensor, <= 0 (the log det of a matrix >= I is >= 0).
    """
    if normalise:
        Z = F.normalize(Z, dim=1)
    n, m = Z.shape
    gram = Z @ Z.T if n <= m else Z.T @ Z
    eye = torch.eye(gram.shape[0], dtype=Z.dtype, device=Z.device)
    return -0.5 * torch.logdet(eye + (m / (n * eps**2)) * gram)
