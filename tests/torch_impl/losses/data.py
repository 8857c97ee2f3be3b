"""Inputs for the loss tests (test data, no test logic): random embeddings, relations, sizes.

Invalid inputs are generated for every public function by tests/torch_impl/
test_public_validation.py from the declared constraints."""

from __future__ import annotations

import pytest
import torch

from torch_impl.relations import knn_relation, labels_relation, views_relation

DTYPE = torch.float64

# (N', V, K) for the comparisons with the seed snippets: N = V N' up to 2000, K up to 256,
# V in 2..4. The seed's own setting (N' = 1000, V = 2, K = 128) is the single large case.
# K = 1 is left to the loop references: the seed's VICReg snippet fails there (torch.cov of one
# variable is 0-d, and torch.diag rejects it).
SEED_SIZES = [
    pytest.param(2, 2, 2, id="N4-V2-K2"),
    pytest.param(7, 3, 5, id="N21-V3-K5"),
    pytest.param(40, 4, 32, id="N160-V4-K32"),
    pytest.param(150, 2, 256, id="N300-V2-K256"),
    pytest.param(1000, 2, 128, id="N2000-V2-K128"),
]

# (N', V, K) small enough for the pure-Python loop references.
NAIVE_SIZES = [
    pytest.param(2, 2, 1, id="N4-V2-K1"),
    pytest.param(2, 2, 2, id="N4-V2-K2"),
    pytest.param(3, 3, 4, id="N9-V3-K4"),
    pytest.param(4, 4, 3, id="N16-V4-K3"),
]

RELATION_KINDS = ["views", "labels", "knn"]


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def random_embedding(n: int, k: int, seed: int, *, scale: float = 1.0) -> torch.Tensor:
    """Standard normal (n, k) float64 embedding times ``scale``."""
    return scale * torch.randn(n, k, generator=generator(seed), dtype=DTYPE)


def random_relation(kind: str, n_samples: int, n_views: int, seed: int) -> torch.Tensor:
    """A dense float64 relation on N = n_samples * n_views nodes.

    ``views``: the seed's augmented-views relation; ``labels``: same-class relation of random
    labels over n_samples classes; ``knn``: symmetrised 2-NN relation of random points.
    """
    n = n_samples * n_views
    if kind == "views":
        return views_relation(n_samples, n_views)
    if kind == "labels":
        return labels_relation(torch.randint(0, n_samples, (n,), generator=generator(seed)))
    if kind == "knn":
        return knn_relation(random_embedding(n, 3, seed + 1), min(2, n - 1))
    raise ValueError(kind)


def random_rotation(k: int, seed: int) -> torch.Tensor:
    """A (k, k) orthogonal matrix (QR of a Gaussian matrix)."""
    q, _ = torch.linalg.qr(torch.randn(k, k, generator=generator(seed), dtype=DTYPE))
    return q
