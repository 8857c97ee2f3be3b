"""The spectral contrastive loss (HaoChen et al., NeurIPS 2021) with BL22's relation G.

BL22-C4d relaxes SimCLR to this loss, whose minimisers are a best rank-K approximation of G
(Eckart-Young)::

    L_spec(Z) = -2 sum_{i,j} G_ij z_i^T z_j + sum_{i,j} (z_i^T z_j)^2
              = -2 tr(Z^T G Z) + ||Z^T Z||_F^2
              = ||Z Z^T - G||_F^2 - ||G||_F^2

G_ij are the positive weights and every ordered pair (i, j), i = j included, is a negative;
the last identity is ``derivations.bl22.simclr.spectral_loss_identity``.
"""

from __future__ import annotations

import torch

from torch_impl.relations import Relation, RelationMatrix
from torch_impl.validation import Compatible, Embedding, validate_params

__all__ = ["spectral_contrastive_loss"]


@validate_params(Compatible("Z", "G"), Z=Embedding(), G=RelationMatrix())
def spectral_contrastive_loss(Z: torch.Tensor, G: torch.Tensor | Relation) -> torch.Tensor:
    """Spectral contrastive loss ``-2 tr(Z^T G Z) + ||Z^T Z||_F^2`` (0-d tensor).

    Computed as written, with the dense G (``Relation.dense()``, cached; cast to Z's dtype):
    O(N^2 K) work and O(N^2) memory, meant for the small N of the audit.

    Parameters
    ----------
    Z : torch.Tensor of shape (N, K)
        Embedding, rows are samples; floating and finite.
    G : torch.Tensor of shape (N, N) or Relation
        Relation matrix, dense or sparse COO, or a validated Relation.

    Returns
    -------
    torch.Tensor
        0-d tensor, >= -||G||_F^2 = -nnz(G).
    """
    G_nn = G.dense().to(Z.dtype)
    return -2 * torch.trace(Z.T @ G_nn @ Z) + (Z.T @ Z).square().sum()
