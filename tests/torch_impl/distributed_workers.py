"""Shared data and the spawned-rank body for tests/torch_impl/test_distributed.py.

Rank r of W holds rows ``r n .. (r + 1) n - 1`` of the global batch; its local relation is two
views of n / 2 samples (``views_relation(n / 2, 2)``), so the global relation is
``I_W kron G_loc``. Each rank writes its results to ``out_dir / f"rank{r}.pt"``.
"""

from __future__ import annotations

import datetime
import pathlib
from collections.abc import Callable

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from torch_impl.distributed import (
    distributed_barlow_twins_loss,
    distributed_simclr_loss,
    distributed_vicreg_loss,
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
    """Body of one spawned rank: losses and gradients, then DDP training for each loss."""
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
        torch.save(results, pathlib.Path(out_dir) / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()
