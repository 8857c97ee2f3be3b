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

Any two-branch loss. :func:`global_batch` wraps a user's ``loss_fn(z_a, z_b)`` (rows of z_a and
z_b paired: the two views of one sample) so that it sees the gathered global batch, with the
gradient convention above. :func:`required_primitive` measures which primitive a loss needs:
none beyond DDP's gradient average ("local": a mean of per-sample terms), all-reduced K x K
statistics ("statistics": a function of the Gram matrices of the columns and the column sums)
or the gathered embeddings ("gather").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import torch
import torch.distributed as dist

# The family test's readings: one orthogonal draw fixing 1, one relative change, one output check.
from torch_impl.family import _orthogonal_fixing_ones, _relative_change, _scalar
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
    IsCallable,
    OrNone,
    Scalar,
    check_embedding,
    check_same_dtype,
    check_same_rows,
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
    "global_batch",
    "PRIMITIVES",
    "DistributedPrimitive",
    "required_primitive",
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


TwoBranchLoss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@validate_params(loss_fn=IsCallable(), group=_GROUP)
def global_batch(loss_fn: TwoBranchLoss, group: dist.ProcessGroup | None = None) -> TwoBranchLoss:
    """``loss_fn`` evaluated on the global batch: ``(z_a, z_b) -> loss_fn(Z_a, Z_b)``.

    Rank r holds the two branches ``z_a, z_b`` (n, M_a), (n, M_b) of its n samples, row i of
    each the two views of sample i, the same n on every rank. The returned callable all-gathers
    both (one :func:`gather_embeddings` of ``[z_a z_b]`` (n, M_a + M_b), then split) and
    evaluates ``loss_fn`` on the rank-major concatenation::

        Z_a = [z_a^(0); ...; z_a^(W-1)],  Z_b = [z_b^(0); ...; z_b^(W-1)]   (W n, M_a), (W n, M_b)

    so row ``r n + i`` of both is sample i of rank r: positive pairs stay within their rank,
    while in-batch negatives (InfoNCE), batch statistics (BatchNorm, covariances) and the
    cross-correlation run over all W n rows. Every rank returns the same value, the
    single-process ``loss_fn`` on the concatenated batch. Gradient: each rank receives
    ``W * dL/dz^(r)`` (the gather's backward sums over ranks the gradients of the W identical
    copies of L), so DistributedDataParallel's mean over ranks gives the single-process
    parameter gradient; do not divide the loss by W, and do not add an all-reduce of it.

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(Z_a, Z_b) -> 0-d tensor`` on batch-first tensors (N, M_a), (N, M_b); an
        ``nn.Module`` works. It must not depend on the order of the samples beyond their
        pairing (the gathered batch is rank-major, not the data loader's order).
    group : torch.distributed.ProcessGroup or None, default=None
        Process group (None: the default group).

    Returns
    -------
    callable
        ``(z_a, z_b) -> loss``; z_a, z_b finite floating 2-D tensors with the same number of
        rows, dtype and device (checked on every call). Without an initialised process group
        (or with W = 1) it is ``loss_fn(z_a, z_b)`` itself.

    See Also
    --------
    required_primitive : whether the loss could all-reduce K x K statistics instead, or needs
        no communication at all.
    """

    def loss_on_global_batch(z_a: torch.Tensor, z_b: torch.Tensor) -> torch.Tensor:
        z_a = check_embedding(z_a, "z_a")
        z_b = check_embedding(z_b, "z_b")
        check_same_rows(z_a, z_b, "z_a", "z_b")
        check_same_dtype(z_a, z_b, "z_a", "z_b")
        if not _active(group):
            return loss_fn(z_a, z_b)
        # One collective instead of two: the latency of a gather, not its volume, dominates
        # at SSL batch sizes.
        both = gather_embeddings.unchecked(torch.cat([z_a, z_b], dim=1), group)
        return loss_fn(both[:, : z_a.shape[1]], both[:, z_a.shape[1] :])

    loss_on_global_batch.loss_fn = loss_fn
    loss_on_global_batch.group = group
    return loss_on_global_batch


PRIMITIVES = ("local", "statistics", "gather")
"""The verdicts of :func:`required_primitive`, cheapest first."""


@dataclasses.dataclass(frozen=True)
class DistributedPrimitive:
    """Report of :func:`required_primitive`: the cheapest primitive that gives the global loss.

    Attributes
    ----------
    primitive : {"local", "statistics", "gather"}
        "local" when ``local_error <= tolerance``; else "statistics" when
        ``statistics_error <= tolerance``; else "gather".
    local_error : float
        Largest relative gap between f on the batch and the row-weighted mean of f on a random
        split of it into two parts: 0 for a mean of per-sample terms.
    statistics_error : float
        Largest relative change of f under ``z -> Q z`` (both branches, the same Q), Q
        orthogonal (N, N) with ``Q 1 = 1``: 0 for a function of ``[z_a z_b]^T [z_a z_b]``,
        ``1^T [z_a z_b]`` and N.
    tolerance : float
        Largest relative change counted as 0.
    n, m, trials, seed : int
        Batch size N, embedding width M, number of trials, seed of the draws.
    """

    primitive: str
    local_error: float
    statistics_error: float
    tolerance: float
    n: int
    m: int
    trials: int
    seed: int

    def __str__(self) -> str:
        lines = [
            f"primitive: {self.primitive} (N={self.n}, M={self.m}, {self.trials} trials, "
            f"seed {self.seed}, tolerance {self.tolerance:.1e} relative)"
        ]
        for label, error in (
            ("mean of per-sample terms", self.local_error),
            ("z -> Q z, Q in O(N), Q 1 = 1", self.statistics_error),
        ):
            verdict = "yes" if error <= self.tolerance else "no"
            lines.append(f"  {label:<30} max relative change {error:.3e}  {verdict}")
        return "\n".join(lines)


def _value(loss_fn: TwoBranchLoss, z_a: torch.Tensor, z_b: torch.Tensor) -> float:
    """loss_fn(z_a, z_b) as a float (the family test's reading of a loss's output)."""
    # Copies: a loss that edits its inputs in place must not change the next evaluation's.
    return _scalar(loss_fn(z_a.clone(), z_b.clone()))


@validate_params(
    loss_fn=IsCallable(),
    n=Int(low=4),
    m=Int(low=2),
    trials=Int(low=1),
    seed=Int(low=0),
    tolerance=Scalar(low=0.0, low_inclusive=False),
)
def required_primitive(
    loss_fn: TwoBranchLoss,
    *,
    n: int = 8,
    m: int = 5,
    trials: int = 8,
    seed: int = 0,
    tolerance: float = 1e-10,
) -> DistributedPrimitive:
    """Which distributed primitive gives a two-branch loss's value on the global batch.

    Write Z = [z_a z_b] (N, 2M) for the global batch, rows paired across the branches and split
    by rows over the ranks (rank r holds Z_r). Three primitives, cheapest first:

    * "local": f is a mean of per-sample terms, ``f(Z) = (1/N) sum_i g(z_a,i, z_b,i)``. Then
      ``f(Z) = mean_r f(Z_r)`` for equal shards, so each rank's loss on its own shard, with
      DDP's mean of the parameter gradients, already gives the single-process gradient: no
      communication (all-reduce the scalar only to log the global value). Tested as
      ``f(Z) = (|A| f(A) + |B| f(B)) / N`` over random splits of the rows into A and B, which
      every mean of per-sample terms satisfies.
    * "statistics": f is invariant under ``Z -> Q Z`` for every orthogonal (N, N) Q with
      ``Q 1 = 1``. By the first fundamental theorem of invariant theory for O(N) (applied to
      the columns of Z together with the fixed vector 1), such an f is a function of
      ``Z^T Z`` (the 2M x 2M blocks z_a^T z_a, z_a^T z_b, z_b^T z_b), ``1^T Z`` (the column
      sums) and ``1^T 1 = N``; directly: two batches with equal such inner products differ by
      an isometry of the spans of their columns and 1 fixing 1, which extends to such a Q.
      Each of these is a sum over rows, ``sum_r Z_r^T Z_r``, ``sum_r 1^T Z_r``, so one
      all-reduce of (2M)^2 + 2M numbers (:func:`all_reduce_sum`) gives the global value,
      whatever W n. Conversely every function of them is invariant, so the invariance is
      exactly the criterion: VICReg and centred BarlowTwins (BatchNorm) pass; invariance
      under every Q (not only ``Q 1 = 1``, e.g. the uncentred BL22 BarlowTwins) means the
      column sums are not even needed. The same Q acts on both branches: the pairing of the
      rows (and so any cross-branch term such as z_a^T z_b) is kept.
    * "gather": otherwise (InfoNCE / SimCLR: row-normalised embeddings and a softmax over the
      rows are not functions of the column Gram matrix); use :func:`global_batch`.

    A loss can be both "local" and "statistics" (``||z_a - z_b||_F^2 / N``); the cheaper one is
    reported and both errors are kept. The tests sample: a failure proves the primitive is not
    enough; a pass at float64 round-off over the trials is evidence, not proof. Writing the loss
    in terms of the statistics is left to the user (VICReg / BarlowTwins: ``statistics=True``
    of :func:`distributed_vicreg_loss` / :func:`distributed_barlow_twins_loss`).

    Inputs: z_a = mu + X, z_b = z_a + 0.5 Y (float64, X, Y standard normal, mu a (1, M) random
    mean, so a missing centring shows), n rows, m columns, fresh draws per trial. Each error is
    the largest relative change ``|f(T) - f(Z)| / max(|f(Z)|, |f(T)|)`` over the trials.

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(z_a, z_b)`` on float64 tensors (N, M), row i of each the two views of sample
        i; returns a finite scalar (0-d tensor or float). Must accept any N >= 2 (the local
        test evaluates it on parts of N // 2 and N - N // 2 rows).
    n : int, default=8
        Batch size N >= 4.
    m : int, default=5
        Embedding width M >= 2.
    trials : int, default=8
        Number of draws >= 1.
    seed : int, default=0
        Seed of every draw, >= 0.
    tolerance : float, default=1e-10
        Largest relative change counted as 0 (float64 round-off scale).

    Returns
    -------
    DistributedPrimitive
        Frozen report: the primitive, both errors and the settings.

    Raises
    ------
    InvalidInputError
        ``loss_fn`` returned a non-scalar or non-finite value.
    """
    gen = torch.Generator().manual_seed(seed)
    local_error = statistics_error = 0.0
    for _ in range(trials):
        mean_1m = torch.randn(1, m, generator=gen, dtype=torch.float64)
        z_a = mean_1m + torch.randn(n, m, generator=gen, dtype=torch.float64)
        z_b = z_a + 0.5 * torch.randn(n, m, generator=gen, dtype=torch.float64)
        before = _value(loss_fn, z_a, z_b)
        # Local: the row-weighted mean over a random split (unequal parts when n is odd).
        perm = torch.randperm(n, generator=gen)
        parts = (perm[: n // 2], perm[n // 2 :])
        split = sum(len(p) * _value(loss_fn, z_a[p], z_b[p]) for p in parts) / n
        local_error = max(local_error, _relative_change(before, split))
        # Statistics: the same Q on both branches keeps the pairing of the rows.
        q_nn = _orthogonal_fixing_ones(n, gen)
        after = _value(loss_fn, q_nn @ z_a, q_nn @ z_b)
        statistics_error = max(statistics_error, _relative_change(before, after))
    if local_error <= tolerance:
        primitive = "local"
    elif statistics_error <= tolerance:
        primitive = "statistics"
    else:
        primitive = "gather"
    return DistributedPrimitive(
        primitive=primitive,
        local_error=local_error,
        statistics_error=statistics_error,
        tolerance=tolerance,
        n=n,
        m=m,
        trials=trials,
        seed=seed,
    )
