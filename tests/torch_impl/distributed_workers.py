"""Shared data and the spawned-rank body for tests/torch_impl/test_distributed.py.

Rank r of W holds rows ``r n .. (r + 1) n - 1`` of the global batch; its local relation is two
views of n / 2 samples (``views_relation(n / 2, 2)``), so the global relation is
``I_W kron G_loc``. Each rank writes its results to ``out_dir / f"rank{r}.pt"``.

``USER_LOSSES`` are two-branch losses written here, not by torch_impl, for
:func:`torch_impl.distributed.global_batch`: rank r holds rows ``r n .. (r + 1) n - 1`` of the
two global branches, so every rank holds different data (lightly#1528's symmetric test, the same
data on every rank, passed a gather whose backward was wrong).
"""

from __future__ import annotations

import datetime
import pathlib
from collections.abc import Callable

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

import torch_impl
from torch_impl.distributed import (
    distributed_barlow_twins_loss,
    distributed_simclr_loss,
    distributed_vicreg_loss,
    global_batch,
)
from torch_impl.relations import views_relation

N_GLOBAL, K, D = 8, 3, 5  # global batch rows, embedding width, input width
STEPS, LR = 4, 0.05

LOSSES: dict[str, Callable[..., torch.Tensor]] = {
    "vicreg": lambda Z, G, **kw: distributed_vicreg_loss(
        Z, G, alpha=1.0, beta=0.5, gamma=2.0, **kw
    ),
    "simclr": lambda Z, G, **kw: distributed_simclr_loss(Z, G, tau=0.5, **kw),
    "barlow_twins": lambda Z, G, **kw: distributed_barlow_twins_loss(Z, G, alpha=0.3, **kw),
    # The K x K statistics all-reduced instead of Z gathered.
    "vicreg_statistics": lambda Z, G, **kw: distributed_vicreg_loss(
        Z, G, alpha=1.0, beta=0.5, gamma=2.0, statistics=True, **kw
    ),
    "barlow_twins_statistics": lambda Z, G, **kw: distributed_barlow_twins_loss(
        Z, G, alpha=0.3, statistics=True, **kw
    ),
}


def info_nce(z_a: torch.Tensor, z_b: torch.Tensor, tau: float = 0.5) -> torch.Tensor:
    """SimCLR's NT-Xent: each of the 2N rows against the other 2N - 1, positive = its other view."""
    N = z_a.shape[0]
    z = F.normalize(torch.cat([z_a, z_b]), dim=1)
    logits = (z @ z.T / tau).masked_fill(torch.eye(2 * N, dtype=torch.bool), float("-inf"))
    targets = torch.cat([torch.arange(N, 2 * N), torch.arange(N)])
    return F.cross_entropy(logits, targets)


def standardised_cross_correlation(
    z_a: torch.Tensor, z_b: torch.Tensor, lambd: float = 0.3
) -> torch.Tensor:
    """Dimension-contrastive (BarlowTwins with BatchNorm): batch-standardised columns, (M, M)
    cross-correlation over the batch, on-diagonal to 1 and off-diagonal to 0."""

    def standardise(z: torch.Tensor) -> torch.Tensor:
        centred = z - z.mean(dim=0)
        return centred / centred.square().mean(dim=0).sqrt()

    cross_mm = standardise(z_a).T @ standardise(z_b) / z_a.shape[0]
    off_diagonal = cross_mm - torch.diag(torch.diagonal(cross_mm))
    return (torch.diagonal(cross_mm) - 1).square().sum() + lambd * off_diagonal.square().sum()


def negative_cosine(z_a: torch.Tensor, z_b: torch.Tensor) -> torch.Tensor:
    """BYOL / SimSiam-style per-sample term: 2 - 2 mean_i cos(z_a,i, z_b,i)."""
    return 2 - 2 * F.cosine_similarity(z_a, z_b, dim=1).mean()


USER_LOSSES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "info_nce": info_nce,
    "standardised_cross_correlation": standardised_cross_correlation,
    "negative_cosine": negative_cosine,
}


def branches() -> tuple[torch.Tensor, torch.Tensor]:
    """The two (N_GLOBAL, K) float64 global branches, row i of each = the views of sample i."""
    gen = torch.Generator().manual_seed(4)
    z_a = torch.randn(N_GLOBAL, K, generator=gen, dtype=torch.float64)
    return z_a, z_a + 0.5 * torch.randn(N_GLOBAL, K, generator=gen, dtype=torch.float64)


def branch_inputs() -> tuple[torch.Tensor, torch.Tensor]:
    """The two (N_GLOBAL, D) float64 views fed to the encoder."""
    gen = torch.Generator().manual_seed(5)
    x_a = torch.randn(N_GLOBAL, D, generator=gen, dtype=torch.float64)
    return x_a, x_a + 0.5 * torch.randn(N_GLOBAL, D, generator=gen, dtype=torch.float64)


def train_two_branch(
    model: torch.nn.Module, x_a: torch.Tensor, x_b: torch.Tensor, loss_fn: Callable
) -> list[torch.Tensor]:
    """STEPS SGD steps of ``loss_fn(model(x_a), model(x_b))``; returns the final parameters."""
    optimiser = torch.optim.SGD(model.parameters(), lr=LR)
    for _ in range(STEPS):
        optimiser.zero_grad()
        # One forward of both views: DDP expects one forward per backward.
        z_a, z_b = model(torch.cat([x_a, x_b])).chunk(2)
        loss_fn(z_a, z_b).backward()
        optimiser.step()
    return [p.detach().clone() for p in model.parameters()]


def global_embedding() -> torch.Tensor:
    """The (N_GLOBAL, K) float64 global batch of embeddings."""
    return torch.randn(N_GLOBAL, K, generator=torch.Generator().manual_seed(1), dtype=torch.float64)


def global_inputs() -> torch.Tensor:
    """The (N_GLOBAL, D) float64 inputs of the linear encoder."""
    return torch.randn(N_GLOBAL, D, generator=torch.Generator().manual_seed(2), dtype=torch.float64)


def local_relation(n: int) -> torch.Tensor:
    """Two views of n / 2 samples (n, n)."""
    return views_relation(n // 2, 2)


def encoder() -> torch.nn.Linear:
    """The same float64 linear encoder (D -> K) on every rank."""
    torch.manual_seed(3)
    return torch.nn.Linear(D, K, dtype=torch.float64)


def train(
    model: torch.nn.Module, X: torch.Tensor, G: torch.Tensor, name: str, **kw
) -> list[torch.Tensor]:
    """STEPS plain SGD steps of the loss ``name``; returns the final parameters."""
    optimiser = torch.optim.SGD(model.parameters(), lr=LR)
    for _ in range(STEPS):
        optimiser.zero_grad()
        LOSSES[name](model(X), G, **kw).backward()
        optimiser.step()
    return [p.detach().clone() for p in model.parameters()]


def run_rank(rank: int, world: int, port: int, out_dir: str) -> None:
    """Body of one spawned rank: losses and gradients, then DDP training for each loss (the BL22
    losses of LOSSES, then USER_LOSSES wrapped by global_batch)."""
    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo",
        init_method=f"tcp://127.0.0.1:{port}",
        rank=rank,
        world_size=world,
        timeout=datetime.timedelta(seconds=60),
    )
    try:
        n = N_GLOBAL // world
        rows = slice(rank * n, (rank + 1) * n)
        G = local_relation(n)
        results: dict[str, object] = {}
        for name in LOSSES:
            Z = global_embedding()[rows].requires_grad_()
            loss = LOSSES[name](Z, G)
            loss.backward()
            results[f"{name}/loss"] = loss.detach()
            results[f"{name}/grad"] = Z.grad
            model = DistributedDataParallel(encoder())
            results[f"{name}/params"] = train(model, global_inputs()[rows], G, name)
        x_a, x_b = branch_inputs()
        for name, loss_fn in USER_LOSSES.items():
            z_a, z_b = (z[rows].requires_grad_() for z in branches())
            loss = global_batch(loss_fn)(z_a, z_b)
            loss.backward()
            results[f"{name}/loss"] = loss.detach()
            results[f"{name}/grad"] = (z_a.grad, z_b.grad)
            model = DistributedDataParallel(encoder())
            results[f"{name}/params"] = train_two_branch(
                model, x_a[rows], x_b[rows], global_batch(loss_fn)
            )
        # The spawned interpreter must import the code under test (this worktree's).
        results["torch_impl_file"] = torch_impl.__file__
        torch.save(results, pathlib.Path(out_dir) / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()
