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

Memory: the dense path holds the (N, N) matrix s and its softmax for the backward. With
``chunk_size=c`` the loss is computed in row blocks of c anchors by :class:`_ChunkedInfoNCE`,
which stores only U = normalize(Z) (N, K) and lse (N,) and recomputes each block's softmax in
the backward: peak memory O(N (K + c) + nnz) instead of O(N^2), for one extra N^2 K matmul
(the recomputed s; the dense path does one in the forward and two in the backward).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from torch_impl.relations import Relation, RelationMatrix
from torch_impl.validation import Compatible, Embedding, Int, OrNone, Scalar, validate_params

__all__ = ["simclr_loss"]


# N >= 2: the denominator needs k != i. tau = 0 would divide by zero.
@validate_params(
    Compatible("Z", "G"),
    Z=Embedding(min_rows=2),
    G=RelationMatrix(),
    tau=Scalar(low=0.0, low_inclusive=False),
    chunk_size=OrNone(Int(low=1)),
)
def simclr_loss(
    Z: torch.Tensor, G: torch.Tensor | Relation, *, tau: float, chunk_size: int | None = None
) -> torch.Tensor:
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
    chunk_size : int or None, default=None
        None: the dense path, which builds the (N, N) matrix s. An int c >= 1: the same loss
        computed over row blocks of c anchors without ever holding an (N, N) matrix (peak
        memory O(N (K + c) + nnz(G)); see the module docstring). Worth it with a sparse G or a
        :class:`~torch_impl.relations.Relation` (a dense G is itself (N, N)). Equal to the
        dense value up to summation order; not twice differentiable.

    Returns
    -------
    torch.Tensor
        0-d tensor, the sum over all ordered positive pairs (no 1/N). When every row of Z is
        the same direction it equals ``nnz(G) * log(N - 1)``.
    """
    rows, cols = G.rows, G.cols
    z_unit = F.normalize(Z, dim=1)
    if chunk_size is not None:
        return _ChunkedInfoNCE.apply(z_unit, rows, cols, tau, chunk_size)
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


class _ChunkedInfoNCE(torch.autograd.Function):
    """``sum_{(i,j) in pairs} (lse_{k != i}(s_ik) - s_ij)`` with ``s = U U^T / tau``, by row blocks.

    Forward: for each block B of c anchors, ``s_Bn = U_B U^T / tau`` (c, N), its diagonal
    entries masked to -inf, lse_B = logsumexp over the row, and the block's pair terms
    ``lse_i - s_ij`` summed (pairs are row-major, so a block's pairs are one slice).
    Backward: dL/ds_ik = deg_i P_ik - G_ik with P = softmax over k != i, recomputed per block
    from the stored lse; then ``dL/dU = (A U + A^T U) / tau`` accumulated block by block as
    ``grad_U[B] += A_Bn U / tau`` and ``grad_U += A_Bn^T U_B / tau``.
    """

    @staticmethod
    def forward(ctx, u_nk, rows, cols, tau, chunk_size):
        n = u_nk.shape[0]
        # Row-major pairs: block [start, stop) owns pairs bounds[b] .. bounds[b + 1].
        starts = torch.arange(0, n, chunk_size, device=rows.device)
        bounds = torch.searchsorted(rows, torch.cat([starts, starts.new_tensor([n])])).tolist()
        lse_n = u_nk.new_empty(n)
        loss = u_nk.new_zeros(())
        for b, start in enumerate(range(0, n, chunk_size)):
            s_cn = _block_scores(u_nk, start, chunk_size, tau)
            lse_c = torch.logsumexp(s_cn, dim=1)
            lse_n[start : start + s_cn.shape[0]] = lse_c
            local, col = rows[bounds[b] : bounds[b + 1]] - start, cols[bounds[b] : bounds[b + 1]]
            # Each term lse_i - s_ij >= 0: summed as terms, as the dense path, no cancellation.
            loss += (lse_c[local] - s_cn[local, col]).sum()
        ctx.save_for_backward(u_nk, lse_n, rows, cols)
        ctx.tau, ctx.chunk_size, ctx.bounds = tau, chunk_size, bounds
        return loss

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_loss):
        u_nk, lse_n, rows, cols = ctx.saved_tensors
        tau, chunk_size, bounds = ctx.tau, ctx.chunk_size, ctx.bounds
        n = u_nk.shape[0]
        degree_n = torch.bincount(rows, minlength=n).to(u_nk.dtype)
        grad_nk = torch.zeros_like(u_nk)
        for b, start in enumerate(range(0, n, chunk_size)):
            s_cn = _block_scores(u_nk, start, chunk_size, tau)
            stop = start + s_cn.shape[0]
            # exp(-inf - lse) = 0 on the masked diagonal: P has a zero diagonal, as the dense path.
            # In place: one (c, N) buffer per block is the whole O(N c) term of the memory.
            a_cn = s_cn.sub_(lse_n[start:stop, None]).exp_().mul_(degree_n[start:stop, None])
            local, col = rows[bounds[b] : bounds[b + 1]] - start, cols[bounds[b] : bounds[b + 1]]
            a_cn[local, col] -= 1.0
            a_cn *= grad_loss / tau
            grad_nk[start:stop] += a_cn @ u_nk
            grad_nk += a_cn.T @ u_nk[start:stop]
        return grad_nk, None, None, None, None


def _block_scores(u_nk: torch.Tensor, start: int, chunk_size: int, tau: float) -> torch.Tensor:
    """Rows [start, start + c) of ``s = U U^T / tau``, shape (c, N), self-pairs set to -inf."""
    s_cn = (u_nk[start : start + chunk_size] @ u_nk.T).div_(tau)
    # Row r of the block is anchor start + r: its self-score leaves the denominator (k != i).
    s_cn.diagonal(offset=start).fill_(float("-inf"))
    return s_cn
