"""Inputs for the loss tests (test data, no test logic): random embeddings, relations, sizes,
and the table of invalid inputs every loss must reject."""

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


def _with_entry(value: float) -> torch.Tensor:
    Z = torch.randn(4, 3, generator=generator(0), dtype=DTYPE)
    Z[1, 2] = value
    return Z


# Invalid embeddings (4 rows where 2-D): (make the input, expected error type). The error must
# name the argument, whatever it is called (Z, Z_left, K, z_a).
BAD_EMBEDDINGS = [
    pytest.param(lambda: [[1.0, 2.0], [3.0, 4.0]], TypeError, id="list"),
    pytest.param(lambda: torch.ones(4, 3, dtype=torch.int64), TypeError, id="int-dtype"),
    pytest.param(lambda: torch.ones(4, 3, dtype=torch.bool), TypeError, id="bool-dtype"),
    pytest.param(lambda: torch.ones(4, dtype=DTYPE), ValueError, id="1-D"),
    pytest.param(lambda: torch.ones(4, 3, 2, dtype=DTYPE), ValueError, id="3-D"),
    pytest.param(lambda: torch.ones(0, 3, dtype=DTYPE), ValueError, id="no-rows"),
    pytest.param(lambda: torch.ones(4, 0, dtype=DTYPE), ValueError, id="no-columns"),
    pytest.param(lambda: _with_entry(float("nan")), ValueError, id="nan"),
    pytest.param(lambda: _with_entry(float("inf")), ValueError, id="inf"),
    pytest.param(lambda: _with_entry(float("-inf")), ValueError, id="-inf"),
]


def _asymmetric() -> torch.Tensor:
    G = views_relation(2, 2)
    G[0, 3] = 1
    return G


def _non_binary() -> torch.Tensor:
    G = views_relation(2, 2)
    G[0, 2] = G[2, 0] = 2
    return G


def _self_loop() -> torch.Tensor:
    G = views_relation(2, 2)
    G[1, 1] = 1
    return G


def _nan_relation() -> torch.Tensor:
    G = views_relation(2, 2)
    G[0, 1] = G[1, 0] = float("nan")
    return G


# Invalid relations for an embedding of N = 4 rows: (make G, expected error type).
BAD_RELATIONS = [
    pytest.param(lambda: [[0, 1], [1, 0]], TypeError, id="list"),
    pytest.param(lambda: torch.zeros(4, 3, dtype=DTYPE), ValueError, id="not-square"),
    pytest.param(lambda: torch.zeros(4, 4, 4, dtype=DTYPE), ValueError, id="3-D"),
    pytest.param(_asymmetric, ValueError, id="asymmetric"),
    pytest.param(_non_binary, ValueError, id="non-binary"),
    pytest.param(_self_loop, ValueError, id="self-loop"),
    pytest.param(_nan_relation, ValueError, id="nan"),
    pytest.param(lambda: views_relation(3, 2), ValueError, id="size-mismatch"),
    pytest.param(lambda: views_relation(3, 2, sparse=True), ValueError, id="sparse-size-mismatch"),
]

# Invalid non-negative hyperparameters: (value, expected error type).
BAD_HYPERPARAMETERS = [
    pytest.param(-1.0, ValueError, id="negative"),
    pytest.param(float("nan"), ValueError, id="nan"),
    pytest.param(float("inf"), ValueError, id="inf"),
    pytest.param("1", TypeError, id="string"),
    pytest.param(None, TypeError, id="none"),
]

# Invalid strictly positive hyperparameters (tau, eps): the above plus zero.
BAD_POSITIVE_HYPERPARAMETERS = [*BAD_HYPERPARAMETERS, pytest.param(0.0, ValueError, id="zero")]
