"""The BL22 losses (VICReg, SimCLR, BarlowTwins; BL22 Sec. 2.2-2.4) on a batch split across ranks.

Global batch. Each of the W ranks of the process group holds a local embedding Z_r (n, K), the
same n on every rank, and the same local relation G_loc (n, n) describing the positive pairs
among its own rows (e.g. ``views_relation(n', V)``: each rank holds all V views of its n'
samples). The global batch is the concatenation in rank order,

    Z = [Z_0; Z_1; ...; Z_{W-1}]  of shape (W n, K),
    G = I_W kron G_loc = block_diag(G_loc, ..., G_loc)  of shape (W n, W n),

so no sample has a positive pair on another rank, while every sample is a negative (SimCLR) and
enters the statistics (VICReg covariance, BarlowTwins cross-correlation) of the whole batch.
Every rank returns the same value: the single-process loss of :mod:`torch_impl.losses` on
(Z, G). Without an initialised process group (or with W = 1) the functions are exactly the
single-process losses on (Z_loc, G_loc).

Gradients. Z is formed by :func:`gather_embeddings`, an all_gather whose backward all-reduces
(SUM) the gradient of the gathered (W n, K) tensor and keeps the caller's rows. Each rank
therefore receives ``sum_r dL/dZ_loc = W * dL/dZ_loc`` (every rank computes the same L), and
DistributedDataParallel's average over the W ranks gives the single-process parameter
gradient. Two classic bugs are avoided: a backward that only slices its own rows (no reduce)
loses the contributions of the other ranks' copies of L when these differ, and scales the
gradient by 1/W under DDP; an all-reduce of a gradient that was already summed double-counts.

Statistics instead of embeddings. With ``statistics=True`` VICReg and BarlowTwins all-reduce
their K x K sufficient statistics (:func:`all_reduce_sum`, whose backward also sums over ranks,
so the gradient convention is the same) instead of gathering Z: K^2 + O(K) numbers instead of
W n K, the cheaper choice when W n > K. The value equals the gathered one up to rounding.
"""

from __future__ import annotations

import torch
import torch.distributed as dist

from torch_impl.losses import barlow_twins_loss_from_relation, simclr_loss, vicreg_loss
from torch_impl.losses._matrix import off_diagonal_square_sum
from torch_impl.losses.vicreg import _covariance_term, _variance_term
from torch_impl.relations import Relation, RelationMatrix, as_relation
from torch_impl.validation import (
    AnyTensor,
    Compatible,
    Embedding,
    Flag,
    InstanceOf,
    Int,
    OrNone,
    Scalar,
    validate_params,
)

__all__ = [
    "world_size",
    "gather_embeddings",
    "all_reduce_sum",
    "global_relation",
    "distributed_vicreg_loss",
    "distributed_simclr_loss",
    "distributed_barlow_twins_loss",
]

_GROUP = OrNone(InstanceOf(dist.ProcessGroup))


def _active(group: dist.ProcessGroup | None) -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size(group) > 1


@validate_params(group=_GROUP)
def world_size(group: dist.ProcessGroup | None = None) -> int:
    """W, the number of ranks of ``group`` (None: the default group); 1 without a process group."""
    return dist.get_world_size(group) if _active(group) else 1


class _AllGather(torch.autograd.Function):
    """All-gather (n, K) -> (W n, K) whose backward sums the gradient over ranks."""

    @staticmethod
    def forward(ctx, z_nk: torch.Tensor, group: dist.ProcessGroup | None) -> torch.Tensor:
        ctx.group = group
        ctx.rank = dist.get_rank(group)
        ctx.n = z_nk.shape[0]
        parts = [torch.empty_like(z_nk) for _ in range(dist.get_world_size(group))]
        dist.all_gather(parts, z_nk.contiguous(), group=group)
        return torch.cat(parts)

    @staticmethod
    def backward(ctx, grad_wnk: torch.Tensor) -> tuple[torch.Tensor, None]:
        # Each rank's loss depends on every rank's rows: rank r's share of the gradient of
        # its own copy must reach the rank that owns the rows, hence the SUM over ranks.
        # Gloo has no reduce_scatter; an all_reduce then a slice moves W times more data.
        grad_wnk = grad_wnk.contiguous().clone()
        dist.all_reduce(grad_wnk, op=dist.ReduceOp.SUM, group=ctx.group)
        start = ctx.rank * ctx.n
        return grad_wnk[start : start + ctx.n], None


@validate_params(Z=Embedding(), group=_GROUP)
def gather_embeddings(Z: torch.Tensor, group: dist.ProcessGroup | None = None) -> torch.Tensor:
    """The global batch ``[Z_0; ...; Z_{W-1}]`` (W n, K), differentiable on every rank.

    Parameters
    ----------
    Z : torch.Tensor of shape (n, K)
        This rank's embedding; the same shape and dtype on every rank.
    group : torch.distributed.ProcessGroup or None, default=None
        Process group (None: the default group).

    Returns
    -------
    torch.Tensor of shape (W n, K)
        Rows ``r n .. (r + 1) n - 1`` are rank r's Z. Backward: the gradient of this output is
        summed over the ranks and each rank gets its own rows (see the module docstring).
        ``Z`` itself when there is no process group or W = 1.
    """
    if not _active(group):
        return Z
    return _AllGather.apply(Z, group)


class _AllReduceSum(torch.autograd.Function):
    """Sum over ranks whose backward also sums the gradient over ranks."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, group: dist.ProcessGroup | None) -> torch.Tensor:
        ctx.group = group
        total = x.contiguous().clone()
        dist.all_reduce(total, op=dist.ReduceOp.SUM, group=group)
        return total

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        # d(sum_r x_r)/dx_r = I, but every rank holds its own copy of the loss of the sum:
        # x_r's gradient is the sum of those copies' gradients, as for the gather.
        total = grad.contiguous().clone()
        dist.all_reduce(total, op=dist.ReduceOp.SUM, group=ctx.group)
        return total, None


@validate_params(x=AnyTensor(), group=_GROUP)
def all_reduce_sum(x: torch.Tensor, group: dist.ProcessGroup | None = None) -> torch.Tensor:
    """``sum_r x_r`` over the ranks, differentiable (a new tensor; ``x`` is not modified).

    Parameters
    ----------
    x : torch.Tensor
        This rank's statistic; the same shape and dtype on every rank.
    group : torch.distributed.ProcessGroup or None, default=None
        Process group (None: the default group).

    Returns
    -------
    torch.Tensor
        The sum, the same on every rank. Backward: the gradient is summed over the ranks, so
        each rank receives ``sum_r dL_r/dx`` (``W * dL/dx`` when every rank computes the same
        L). ``x`` itself when there is no process group or W = 1.
    """
    if not _active(group):
        return x
    return _AllReduceSum.apply(x, group)


@validate_params(G=RelationMatrix(), world=Int(low=1))
def global_relation(G: torch.Tensor | Relation, world: int) -> Relation:
    """The global relation ``I_W kron G`` (W n, W n), block diagonal, as a validated Relation.

    Parameters
    ----------
    G : torch.Tensor of shape (n, n) or Relation
        The local relation, the same on every rank.
    world : int
        W >= 1, the number of ranks.

    Returns
    -------
    Relation
        Sparse; pair (i, j) of G gives (r n + i, r n + j) for every rank r.
    """
    offsets_w = torch.arange(world, device=G.device).repeat_interleave(G.nnz) * G.n
    rows = G.rows.repeat(world) + offsets_w
    cols = G.cols.repeat(world) + offsets_w
    values = torch.ones(rows.numel(), dtype=G.dtype, device=G.device)
    size = world * G.n
    sparse = torch.sparse_coo_tensor(
        torch.stack([rows, cols]), values, (size, size), check_invariants=False
    )
    return as_relation(sparse.coalesce())


def _global(Z: torch.Tensor, G: Relation, group) -> tuple[torch.Tensor, Relation]:
    W = world_size.unchecked(group)
    if W == 1:
        return Z, G
    return gather_embeddings.unchecked(Z, group), global_relation.unchecked(G, W)


def _vicreg_from_statistics(
    Z: torch.Tensor, G: Relation, alpha: float, beta: float, gamma: float, group
) -> torch.Tensor:
    """VICReg from the all-reduced (K,) column sums, (K, K) ``Z^T Z`` and invariance sum."""
    K = Z.shape[1]
    local = torch.cat(
        [
            Z.sum(dim=0),
            (Z.T @ Z).flatten(),
            (Z[G.rows] - Z[G.cols]).square().sum().reshape(1),
        ]
    )
    total = all_reduce_sum.unchecked(local, group)
    N = world_size.unchecked(group) * Z.shape[0]
    sum_k, gram_kk, invariance_sum = total[:K], total[K:-1].reshape(K, K), total[-1]
    # torch.cov's centred 1/(N-1) covariance from raw moments: sum (z - m)(z - m)^T =
    # Z^T Z - s s^T / N; equal up to rounding for data whose mean is not >> its spread.
    cov_kk = (gram_kk - torch.outer(sum_k, sum_k) / N) / (N - 1)
    return (
        alpha * _variance_term(cov_kk)
        + beta * _covariance_term(cov_kk)
        + gamma * invariance_sum / N
    )


def _barlow_twins_from_statistics(
    Z: torch.Tensor, G: Relation, alpha: float, eps: float, group
) -> torch.Tensor:
    """BarlowTwins from the all-reduced column square sums of both sides and their (K, K)
    inner products over the positive pairs."""
    K = Z.shape[1]
    left_pk, right_pk = Z[G.rows], Z[G.cols]
    local = torch.cat(
        [
            left_pk.square().sum(dim=0),
            right_pk.square().sum(dim=0),
            (left_pk.T @ right_pk).flatten(),
        ]
    )
    total = all_reduce_sum.unchecked(local, group)
    # sqrt(max(s, eps^2)) = max(||column||, eps), F.normalize's floor; clamping before the sqrt
    # keeps the gradient of a zero column finite (0 instead of 0 * inf).
    norm_left_k = total[:K].clamp(min=eps**2).sqrt()
    norm_right_k = total[K : 2 * K].clamp(min=eps**2).sqrt()
    cross_kk = total[2 * K :].reshape(K, K) / torch.outer(norm_left_k, norm_right_k)
    on_diag = (torch.diagonal(cross_kk) - 1).square().sum()
    return on_diag + alpha * off_diagonal_square_sum(cross_kk)


_WEIGHT = Scalar()


@validate_params(
    Compatible("Z", "G"),
    Z=Embedding(min_rows=2),
    G=RelationMatrix(),
    alpha=_WEIGHT,
    beta=_WEIGHT,
    gamma=_WEIGHT,
    statistics=Flag(),
    group=_GROUP,
)
def distributed_vicreg_loss(
    Z: torch.Tensor,
    G: torch.Tensor | Relation,
    *,
    alpha: float,
    beta: float,
    gamma: float,
    statistics: bool = False,
    group: dist.ProcessGroup | None = None,
) -> torch.Tensor:
    """VICReg (BL22 Sec. 2.2, :func:`torch_impl.losses.vicreg_loss`) of the global batch.

    Parameters
    ----------
    Z : torch.Tensor of shape (n, K)
        This rank's embedding, n >= 2, the same shape on every rank.
    G : torch.Tensor of shape (n, n) or Relation
        Local relation, the same on every rank; the global one is ``I_W kron G``.
    alpha, beta, gamma : float
        Weights of the variance, covariance and invariance terms.
    statistics : bool, default=False
        False: all-gather Z (W n K numbers) and evaluate ``vicreg_loss`` on it. True: all-reduce
        the column sums, ``Z_r^T Z_r`` and the local invariance sum (K^2 + K + 1 numbers,
        cheaper when W n > K), with C = ``(sum_r Z_r^T Z_r - s s^T / N) / (N - 1)``; equal up
        to rounding (the raw moments lose accuracy when the column means dwarf the spread).
    group : torch.distributed.ProcessGroup or None, default=None
        Process group (None: the default group).

    Returns
    -------
    torch.Tensor
        0-d, ``vicreg_loss(Z_global, I_W kron G)``: covariance over the W n rows, invariance
        divided by W n. The same value on every rank.
    """
    if statistics:
        return _vicreg_from_statistics(Z, G, alpha, beta, gamma, group)
    Z_all, G_all = _global(Z, G, group)
    return vicreg_loss.unchecked(Z_all, G_all, alpha=alpha, beta=beta, gamma=gamma)


@validate_params(
    Compatible("Z", "G"),
    Z=Embedding(min_rows=2),
    G=RelationMatrix(),
    tau=Scalar(low=0.0, low_inclusive=False),
    group=_GROUP,
)
def distributed_simclr_loss(
    Z: torch.Tensor,
    G: torch.Tensor | Relation,
    *,
    tau: float,
    group: dist.ProcessGroup | None = None,
) -> torch.Tensor:
    """SimCLR / InfoNCE (BL22 Sec. 2.3, :func:`torch_impl.losses.simclr_loss`) of the global batch.

    Parameters
    ----------
    Z : torch.Tensor of shape (n, K)
        This rank's embedding, n >= 2, the same shape on every rank.
    G : torch.Tensor of shape (n, n) or Relation
        Local relation, the same on every rank; the global one is ``I_W kron G``.
    tau : float
        Temperature, finite and > 0.
    group : torch.distributed.ProcessGroup or None, default=None
        Process group (None: the default group).

    Returns
    -------
    torch.Tensor
        0-d, ``simclr_loss(Z_global, I_W kron G)``: every row of every rank is a negative in
        each denominator; sum over the W nnz(G) ordered positive pairs.
    """
    Z_all, G_all = _global(Z, G, group)
    return simclr_loss.unchecked(Z_all, G_all, tau=tau)


@validate_params(
    Compatible("Z", "G"),
    Z=Embedding(),
    G=RelationMatrix(),
    alpha=Scalar(),
    eps=Scalar(low=0.0, low_inclusive=False),
    statistics=Flag(),
    group=_GROUP,
)
def distributed_barlow_twins_loss(
    Z: torch.Tensor,
    G: torch.Tensor | Relation,
    *,
    alpha: float,
    eps: float = 1e-6,
    statistics: bool = False,
    group: dist.ProcessGroup | None = None,
) -> torch.Tensor:
    """BarlowTwins (BL22 Sec. 2.4, :func:`torch_impl.losses.barlow_twins_loss_from_relation`)
    of the global batch.

    Parameters
    ----------
    Z : torch.Tensor of shape (n, K)
        This rank's embedding, the same shape on every rank.
    G : torch.Tensor of shape (n, n) or Relation
        Local relation, the same on every rank; the global one is ``I_W kron G``.
    alpha : float
        Non-negative finite weight of the off-diagonal term.
    eps : float, default=1e-6
        Finite, > 0: floor on each column norm.
    statistics : bool, default=False
        False: all-gather Z and evaluate ``barlow_twins_loss_from_relation`` on it. True:
        all-reduce the column square sums of ``Z[rows]`` and ``Z[cols]`` and their (K, K)
        inner products over the local pairs (K^2 + 2K numbers, cheaper when W n > K), with
        ``C = A^T B / outer(max(||a||, eps), max(||b||, eps))``; equal up to rounding.
    group : torch.distributed.ProcessGroup or None, default=None
        Process group (None: the default group).

    Returns
    -------
    torch.Tensor
        0-d; the (K, K) cross-correlation is taken over the W nnz(G) ordered positive pairs
        (column norms over all of them), as on the concatenated batch.
    """
    if statistics:
        return _barlow_twins_from_statistics(Z, G, alpha, eps, group)
    Z_all, G_all = _global(Z, G, group)
    return barlow_twins_loss_from_relation.unchecked(Z_all, G_all, alpha=alpha, eps=eps)
