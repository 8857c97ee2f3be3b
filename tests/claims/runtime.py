"""How the papers' protocols run: one torch thread for tiny problems, seeded generators.

Kept apart from the science so that a protocol's arguments (profile, seed, device) are its only
inputs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

__all__ = ["single_thread", "generator"]


@contextlib.contextmanager
def single_thread() -> Iterator[None]:
    """Run torch on one thread inside the block (then restore).

    The audited problems are tiny (N <= ~40): with 2 threads on 2 shared cores, thread
    hand-offs cost 3x (measured) and far more under load, for no gain.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def generator(seed: int) -> torch.Generator:
    """A CPU generator seeded with ``seed`` (draws are made on CPU, then moved: the same seed
    gives the same numbers on every device)."""
    return torch.Generator().manual_seed(seed)
