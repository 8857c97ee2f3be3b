"""Test data and comparison helpers for the spectral-method tests (numpy/scipy side only)."""

from __future__ import annotations

import numpy as np
import scipy.linalg
import torch

from torch_impl.relations import connected_components, knn_relation


def random_points(n: int, d: int, seed: int) -> torch.Tensor:
    """n standard-normal points in R^d, float64."""
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=gen, dtype=torch.float64)


def connected_knn_graph(n: int, k: int, seed: int) -> torch.Tensor:
    """Symmetrised kNN relation of random points in R^3, checked to be connected.

    Random points give distinct Laplacian eigenvalues almost surely, so vectors can be
    compared one by one (up to sign).
    """
    G = knn_relation(random_points(n, 3, seed), k)
    assert connected_components(G)[0] == 1, "pick another seed: this kNN graph is disconnected"
    return G


def swiss_roll(n: int, seed: int) -> torch.Tensor:
    """n points on a 2-D swiss roll in R^3 (the Isomap benchmark), float64."""
    rng = np.random.default_rng(seed)
    t = 1.5 * np.pi * (1 + 2 * rng.random(n))
    h = 10 * rng.random(n)
    return torch.from_numpy(np.stack([t * np.cos(t), h, t * np.sin(t)], axis=1))


def random_spd(n: int, seed: int) -> np.ndarray:
    """A well-conditioned symmetric positive definite n x n matrix."""
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, n))
    return M @ M.T / n + np.eye(n)


def random_symmetric(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, n))
    return (M + M.T) / 2


def assert_equal_up_to_sign(actual, expected, *, atol: float) -> None:
    """Each column of ``actual`` equals the matching column of ``expected`` or its negative."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    for j in range(actual.shape[1]):
        a, e = actual[:, j], expected[:, j]
        err = min(np.abs(a - e).max(), np.abs(a + e).max())
        assert err <= atol, f"column {j}: max error up to sign {err:.3g} > atol {atol:g}"


def max_principal_angle(A, B) -> float:
    """Largest principal angle (scipy's implementation) between the column spans of A and B."""
    return float(scipy.linalg.subspace_angles(np.asarray(A), np.asarray(B)).max())


def dense_laplacian(G) -> np.ndarray:
    G = np.asarray(G, dtype=np.float64)
    return np.diag(G.sum(axis=1)) - G
