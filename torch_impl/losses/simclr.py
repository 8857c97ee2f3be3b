"""SimCLR / InfoNCE as written in BL22 Sec. 2.3 (the paper's equation and its PyTorch snippet).

Step 1 estimates a right-stochastic relation from the embedding Z (N, K)::

    Ghat(Z)_ij = exp(CoSim(z_i, z_j) / tau) / sum_{k != i} exp(CoSim(z_i, z_k) / tau) * 1_{i != j}

Step 2 is the cross-entropy between the matrices G and Ghat(Z), summed (no 1/N)::

    L_simCLR = - sum_{i,j} G_ij log Ghat(Z)_ij
             = sum_{i,j} G_ij (lse_i - s_ij),   s = CoSim / tau,   lse_i = log sum_{k != i} e^{s_ik}

Seed typo: the seed prints ``1_{i=j}``; it must be ``1_{i != j}`` for Ghat 1 = 1 and a zero
diagonal, and the snippet (diagonal removed before the logsumexp) agrees with ``i != j``.

How this differs from common NT-Xent code: lightly averages the cross-entropy over the 2N'
anchors (here: a sum over every ordered positive pair, so with two views L = 2N' * lightly's
value); solo-learn computes ``-mean(log(pos / (pos + neg)))`` through ``exp`` (no logsumexp;
overflows for small tau) and supports several positives per anchor through equal indexes. Here a
sample with P positives contributes P separate terms, each with the full denominator over k != i.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from torch_impl.relations import Relation, RelationMatrix
from torch_impl.validation import Compatible, Embedding, Scalar, validate_params

__all__ = ["simclr_loss"]


# N >= 2: the denominator needs k != i. tau = 0 would divide by zero.
@validate_params(
    Compatible("Z", "G"),
    Z=Embedding(min_rows=2),
    G=RelationMatrix(),
    tau=Scalar(low=0.0, low_inclusive=False),
)
def simclr_loss(Z: torch.Tensor, G: torch.Tensor | Relation, *, tau: float) -> torch.Tensor:
    """InfoNCE loss of BL22 Sec. 2.3: ``sum_{i,j} G_ij (lse_{k != i}(s_ik) - s_ij)``.

    ``s = normalize(Z) @ normalize(Z).T / tau`` is the (N, N) cosine-similarity Gram matrix
    scaled by 1/tau (``F.normalize(Z, dim=1)``, as the seed; a zero row has cosine 0 with every
    row instead of NaN).

    Parameters
    ----------
    Z : torch.Tensor of shape (N, K)
        Embedding, rows are samples; floating, finite, N >= 2 (the denominator needs k != i).
    G : torch.Tensor of shape (N, N) or Relation
        Relation matrix (symmetric, binary, zero diagonal), dense or sparse COO, or a validated
        :class:`~torch_impl.relations.Relation` (no O(N^2) check then).
    tau : float
        Temperature, finite and > 0.

    Returns
    -------
    torch.Tensor
        0-d tensor, the sum over all ordered positive pairs (no 1/N). When every row of Z is
        the same direction it equals ``nnz(G) * log(N - 1)``.
    """
    rows, cols = G.rows, G.cols
    z_unit = F.normalize(Z, dim=1)
    gram_nn = z_unit @ z_unit.T / tau
    # The diagonal is masked AFTER the 1/tau scaling: -inf / tau would give an inf * 0 = NaN
    # gradient (NVIDIA-NeMo/Automodel PR#3850). masked_fill passes a zero gradient to masked
    # entries, and exp(-inf - lse) = 0 in the logsumexp backward, so every gradient stays finite.
    self_nn = torch.eye(Z.shape[0], dtype=torch.bool, device=Z.device)
    lse_n = torch.logsumexp(gram_nn.masked_fill(self_nn, float("-inf")), dim=1)
    # One term per positive pair, as the seed's G * (lse - s), but gathered over the nnz(G)
    # pairs so a sparse G never becomes an (N, N) product. Each term lse_i - s_ij >= 0, so the
    # sum has no cancellation (unlike sum_i deg_i lse_i - sum_ij s_ij at small tau).
    return (lse_n[rows] - gram_nn[rows, cols]).sum()
