"""Copies of the BL22 claim support modules' rank and angle helpers (test data: the library
versions must agree with them), and matrices with known ranks and angles."""

from __future__ import annotations

import math

import torch

from torch_impl.metrics import principal_angles


def old_rank_report(A: torch.Tensor, rtol: float) -> tuple[int, float, float, tuple[float, ...]]:
    """tests/claims/bl22/_rank_support.rank_report, as a tuple."""
    s = torch.linalg.svdvals(A.to(torch.float64))
    rel = s / s[0]
    r = int((rel > rtol).sum())
    return (
        r,
        float(rel[r - 1]),
        float(rel[r]) if r < rel.numel() else 0.0,
        tuple(float(v) for v in rel),
    )


def old_span_basis(A: torch.Tensor, rtol: float) -> torch.Tensor:
    """tests/claims/bl22/_rank_support.span_basis."""
    U, _, _ = torch.linalg.svd(A.to(torch.float64), full_matrices=False)
    return U[:, : old_rank_report(A, rtol)[0]]


def old_containment_angle(A: torch.Tensor, B: torch.Tensor, rtol: float) -> float:
    """tests/claims/bl22/_rank_support.containment_angle."""
    return float(principal_angles(old_span_basis(A, rtol), B)[-1])


def old_relative_gap(values: torch.Tensor, k: int) -> float:
    """tests/claims/bl22/_linear_support.relative_gap."""
    if k >= values.numel():
        return math.inf
    return float((values[k - 1] - values[k]).abs() / values.abs().max())


def with_singular_values(s: list[float], n: int = 7, seed: int = 0) -> torch.Tensor:
    """An (n, len(s)) float64 matrix with the given singular values (random orthonormal U, V)."""
    gen = torch.Generator().manual_seed(seed)
    U, _ = torch.linalg.qr(torch.randn(n, len(s), generator=gen, dtype=torch.float64))
    V, _ = torch.linalg.qr(torch.randn(len(s), len(s), generator=gen, dtype=torch.float64))
    return U @ torch.diag(torch.tensor(s, dtype=torch.float64)) @ V.T


# (singular values, rtol, rank, kept, dropped)
RANK_CASES = [
    ([2.0, 1.0, 1e-9], 1e-6, 2, 0.5, 5e-10),
    ([4.0, 2.0, 1.0], 1e-6, 3, 0.25, 0.0),
    ([1.0, 1e-3, 1e-12], 1e-6, 2, 1e-3, 1e-12),
    ([3.0, 3.0], 1.0, 0, 0.0, 1.0),
]
