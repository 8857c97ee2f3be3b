"""How a trained optimum is compared with a prediction: subspaces, ranks, relative errors.

Eigenvectors are defined only up to sign, and up to rotation inside a repeated eigenvalue's
eigenspace, so claims compare column spans (principal angles, projector distances) rather
than columns. Everything is computed in float64 on the inputs' device; rank tolerances use
the machine epsilon of the input's own dtype, the precision its noise floor was set by.
"""

from __future__ import annotations

import math

import torch

from torch_impl.validation import (
    InvalidInputError,
    check_choice,
    check_embedding,
    check_same_device,
    check_same_rows,
    check_same_shape,
    check_scalar,
    check_tensor,
)

__all__ = [
    "principal_angles",
    "subspace_distance",
    "projector_distance",
    "numerical_rank",
    "effective_rank",
    "relative_error",
]


def _rank_from_singular_values(
    s: torch.Tensor, shape: tuple[int, int], dtype: torch.dtype, rtol: float | None, atol: float
) -> int:
    if rtol is None:
        rtol = max(shape) * torch.finfo(dtype).eps if atol == 0 else 0.0
    s_max = float(s.max()) if s.numel() else 0.0
    return int((s > max(atol, rtol * s_max)).sum())


def _orthonormal_basis(A: torch.Tensor, name: str) -> torch.Tensor:
    """Orthonormal basis (N, p) of the span of A's p columns, which must be independent.

    A rank-deficient A is rejected rather than reduced to its range: quietly comparing a
    collapsed representation's smaller span would report agreement where there is collapse.
    """
    U, s, _ = torch.linalg.svd(A.to(torch.float64), full_matrices=False)
    rank = _rank_from_singular_values(s, tuple(A.shape), A.dtype, None, 0.0)
    if rank < A.shape[1]:
        raise InvalidInputError(
            f"{name} must have linearly independent columns: numerical rank {rank} < "
            f"{A.shape[1]} columns (tolerance max(N, K) * eps * s_max), so its column span is "
            "not of the declared dimension; compare a basis of its range instead"
        )
    return U


def _bases(A: object, B: object) -> tuple[torch.Tensor, torch.Tensor]:
    A = check_embedding(A, "A")
    B = check_embedding(B, "B")
    check_same_rows(A, B, "A", "B")
    return _orthonormal_basis(A, "A"), _orthonormal_basis(B, "B")


def _angles(Qa: torch.Tensor, Qb: torch.Tensor) -> torch.Tensor:
    if Qa.shape[1] < Qb.shape[1]:
        Qa, Qb = Qb, Qa
    # With p >= q, the singular values of Qa^T Qb are the q cosines (descending) and those of
    # the residual Qb - Qa Qa^T Qb the q sines (Bjorck & Golub 1973). arccos loses all accuracy
    # near 0 (cos = 1 - theta^2/2), arcsin near pi/2, so each angle is read off the function
    # that is well conditioned for it (Knyazev & Argentati 2002).
    M = Qa.mT @ Qb
    cos = torch.linalg.svdvals(M).clamp(0.0, 1.0)
    sin = torch.linalg.svdvals(Qb - Qa @ M).flip(0).clamp(0.0, 1.0)
    return torch.where(cos.square() >= 0.5, torch.arcsin(sin), torch.arccos(cos))


def principal_angles(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """Principal angles between the column spans of A and B.

    theta_1 <= ... <= theta_m, m = min(p, q): cos(theta_i) are the singular values of
    Q_A^T Q_B and sin(theta_i) those of (I - Q_A Q_A^T) Q_B (larger span first), with Q_A, Q_B
    orthonormal bases from the SVD. Each angle is taken from its sine when small and its
    cosine when large, so angles near 0 keep full relative accuracy (~1e-16 rad, not 1e-8).

    Parameters
    ----------
    A : torch.Tensor of shape (N, p)
        Basis of the first subspace; columns must be linearly independent.
    B : torch.Tensor of shape (N, q)
        Basis of the second subspace, same N and device.

    Returns
    -------
    torch.Tensor of shape (min(p, q),), float64
        Angles in radians, ascending, in [0, pi/2]. For p != q they measure how far the smaller
        span is from lying inside the larger one (all zero iff it does).

    Raises
    ------
    InvalidInputError
        Different N or devices, or a rank-deficient A or B (numerical rank below its number of
        columns, tolerance as in :func:`numerical_rank`).
    """
    return _angles(*_bases(A, B))


def subspace_distance(A: torch.Tensor, B: torch.Tensor) -> float:
    """Largest principal angle between the column spans of A and B, in radians.

    theta_max in [0, pi/2]; for spans of equal dimension, sin(theta_max) = ||P_A - P_B||_2
    (:func:`projector_distance` with ``norm="spectral"``), and theta_max is a metric on the
    Grassmannian. For unequal dimensions it is 0 iff the smaller span lies in the larger.

    Parameters
    ----------
    A : torch.Tensor of shape (N, p)
    B : torch.Tensor of shape (N, q)
        As in :func:`principal_angles`.

    Returns
    -------
    float
    """
    return float(principal_angles(A, B)[-1])


def projector_distance(A: torch.Tensor, B: torch.Tensor, *, norm: str = "fro") -> float:
    """Distance ||P_A - P_B|| between the orthogonal projectors onto the spans of A and B.

    ``norm="fro"``: ||P_A - P_B||_F = sqrt(||(I - P_A) Q_B||_F^2 + ||(I - P_B) Q_A||_F^2),
    which equals sqrt(2 sum_i sin^2(theta_i) + |p - q|): a metric that also separates spans of
    different dimensions. Computed from the residuals, without the cancellation of
    p + q - 2 ||Q_A^T Q_B||_F^2.
    ``norm="spectral"``: ||P_A - P_B||_2 = sin(theta_max) when p == q, and 1 when p != q.

    Parameters
    ----------
    A : torch.Tensor of shape (N, p)
    B : torch.Tensor of shape (N, q)
        As in :func:`principal_angles`.
    norm : {"fro", "spectral"}, default="fro"

    Returns
    -------
    float
        In [0, sqrt(p + q)] for "fro", [0, 1] for "spectral".
    """
    norm = check_choice(norm, "norm", ("fro", "spectral"))
    Qa, Qb = _bases(A, B)
    if norm == "fro":
        res_b = torch.linalg.matrix_norm(Qb - Qa @ (Qa.mT @ Qb))
        res_a = torch.linalg.matrix_norm(Qa - Qb @ (Qb.mT @ Qa))
        return math.hypot(float(res_b), float(res_a))
    if Qa.shape[1] != Qb.shape[1]:
        # The larger span holds a unit vector orthogonal to the smaller one.
        return 1.0
    return math.sin(float(_angles(Qa, Qb)[-1]))


def numerical_rank(A: torch.Tensor, *, rtol: float | None = None, atol: float | None = None) -> int:
    """Number of singular values of A above max(atol, rtol * s_max).

    Parameters
    ----------
    A : torch.Tensor of shape (N, K)
    rtol : float or None, default=None
        Relative tolerance. None means max(N, K) * eps (the default of numpy's and torch's
        ``matrix_rank``), or 0 when a positive ``atol`` is given (torch's rule); eps is the
        machine epsilon of A's dtype (2.2e-16 for float64, 1.2e-7 for float32).
    atol : float or None, default=None
        Absolute tolerance; None means 0.

    Returns
    -------
    int
        In [0, min(N, K)]; 0 for the zero matrix.
    """
    A = check_embedding(A, "A")
    atol = 0.0 if atol is None else check_scalar(atol, "atol")
    if rtol is not None:
        rtol = check_scalar(rtol, "rtol")
    s = torch.linalg.svdvals(A.to(torch.float64))
    return _rank_from_singular_values(s, tuple(A.shape), A.dtype, rtol, atol)


def effective_rank(A: torch.Tensor) -> float:
    """Effective rank of A (Roy & Vetterli 2007): exp of the entropy of its singular values.

    erank(A) = exp(-sum_i p_i log p_i) with p_i = s_i / sum_j s_j (0 log 0 = 0): a continuous
    rank in [1, min(N, K)], equal to r for r equal non-zero singular values (K for the
    identity I_K) and close to 1 when one direction dominates.

    Parameters
    ----------
    A : torch.Tensor of shape (N, K)
        Not identically zero.

    Returns
    -------
    float
    """
    A = check_embedding(A, "A")
    s = torch.linalg.svdvals(A.to(torch.float64))
    total = s.sum()
    if float(total) == 0.0:
        raise InvalidInputError("A must not be the zero matrix: its effective rank is undefined")
    p = s / total
    return math.exp(float(-torch.special.xlogy(p, p).sum()))


def relative_error(
    actual: torch.Tensor, expected: torch.Tensor, *, scale: float | None = None
) -> float:
    """Relative error ||actual - expected|| / scale, Frobenius (2-norm of all entries).

    Parameters
    ----------
    actual, expected : torch.Tensor
        Same shape (any, scalars included) and device, floating dtypes.
    scale : float or None, default=None
        Positive denominator. None means max(||expected||, tiny) with tiny the smallest normal
        float64 (2.2e-308): the relative error of expected itself, kept finite (but huge) when
        expected is zero; pass a scale where expected may vanish.

    Returns
    -------
    float
    """
    actual = check_tensor(actual, "actual")
    expected = check_tensor(expected, "expected")
    check_same_shape(actual, expected, "actual", "expected")
    check_same_device(actual, expected, "actual", "expected")
    actual, expected = actual.to(torch.float64), expected.to(torch.float64)
    if scale is None:
        scale = max(float(torch.linalg.vector_norm(expected)), torch.finfo(torch.float64).tiny)
    else:
        scale = check_scalar(scale, "scale", low=0.0, low_inclusive=False)
    return float(torch.linalg.vector_norm(actual - expected)) / scale
