"""Copies of the relation builders and helpers that the BL22 claim support modules defined before
torch_impl had them (test data: the library versions must give the same bits)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from torch_impl.relations import connected_components, labels_relation


def old_ring_relation(n: int) -> torch.Tensor:
    """tests/claims/bl22/_simclr_support.ring_relation (CPU, float64)."""
    idx = torch.arange(n)
    G = torch.zeros(n, n, dtype=torch.float64)
    G[idx, (idx + 1) % n] = 1
    G[(idx + 1) % n, idx] = 1
    return G


def old_path_relation(n: int) -> torch.Tensor:
    """tests/claims/bl22/_vicreg_support.path_relation."""
    G = torch.zeros(n, n, dtype=torch.float64)
    idx = torch.arange(n - 1)
    G[idx, idx + 1] = 1.0
    G[idx + 1, idx] = 1.0
    return G


def old_class_relation(sizes: tuple[int, ...]) -> torch.Tensor:
    """tests/claims/bl22/_laplacian_support.class_relation (the _simclr_support copy differs
    only by its device and a final ``.to(float64)``)."""
    labels = torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes))
    return labels_relation(labels)


def old_regular_relation(n: int, degree_: int, seed: int) -> torch.Tensor:
    """tests/claims/bl22/_laplacian_support.regular_relation."""
    gen = torch.Generator().manual_seed(seed)
    while True:
        G = torch.zeros(n, n, dtype=torch.float64)
        for _ in range(degree_):
            perm = torch.randperm(n, generator=gen)
            a, b = perm[: n // 2], perm[n // 2 :]
            if bool((G[a, b] > 0).any()):
                break
            G[a, b] = 1.0
            G[b, a] = 1.0
        else:
            return G


def old_indicators(G: torch.Tensor) -> torch.Tensor:
    """tests/claims/bl22/_rank_support.indicators."""
    n_components, labels = connected_components(G)
    return F.one_hot(labels, n_components).to(G.dtype)


RING_SIZES = [3, 4, 7, 12]
PATH_SIZES = [1, 2, 5, 9]
CLASS_SIZES = [(1,), (2, 3), (4, 1, 2), (3, 3, 3)]
# (n, degree, seed), including the draws the BL22-C1 claims use (degree 3 on 12 and 16 nodes).
REGULAR_CASES = [(6, 1, 0), (12, 3, 0), (16, 3, 1), (20, 4, 7), (10, 0, 3)]
