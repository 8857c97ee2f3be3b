"""How a trained optimum is compared with a prediction: subspaces, ranks, relative errors.

Eigenvectors are defined only up to sign, and up to rotation inside a repeated eigenvalue's
eigenspace, so claims compare column spans (principal angles, projector distances) rather
than columns. Everything is computed in float64 on the inputs' device; the default rank
tolerance of :func:`numerical_rank` uses the machine epsilon of the input's own dtype, the
precision its noise floor was set by.

Spans of a possibly rank-deficient matrix (a trained optimum) are compared through its
numerical range at an explicit relative threshold ``rtol``: :func:`rank_report` (the rank and
how clearly it is read), :func:`rank_decades`, :func:`span_basis`, :func:`containment_angle`.
The threshold is always the caller's: a claim declares the one its verdict rests on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

# One implementation of the effective rank serves both modules (re-exported here, with the
# defaults of Roy & Vetterli 2007: singular values, uncentred, no eps).
from torch_impl.diagnostics import effective_rank
from torch_impl.validation import (
    AnyTensor,
    Choice,
    Dim,
    Embedding,
    InstanceOf,
    Int,
    InvalidInputError,
    OrNone,
    SameDevice,
    SameRows,
    SameShape,
    Scalar,
    Vector,
    validate_params,
)

__all__ = [
    "principal_angles",
    "largest_principal_angle",
    "subspace_distance",
    "projector_distance",
    "numerical_rank",
    "effective_rank",
    "relative_error",
    "relative_difference",
    "relative_eigengap",
    "RankReport",
    "rank_report",
    "rank_decades",
    "span_basis",
    "containment_angle",
]

# Two bases of one ambient space (same N, same device).
_PAIR = (SameRows("A", "B"),)
_BASES = {"A": Embedding(), "B": Embedding()}
# A relative rank threshold: rtol >= 1 would count no singular value.
_RTOL = Scalar(low=0.0, low_inclusive=False, high=1.0)


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


def _bases(A: torch.Tensor, B: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
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


@validate_params(*_PAIR, **_BASES)
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


@validate_params(*_PAIR, **_BASES)
def largest_principal_angle(A: torch.Tensor, B: torch.Tensor) -> float:
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
    return float(_angles(*_bases(A, B))[-1])


#: The Grassmann-metric name of :func:`largest_principal_angle` (the same function).
subspace_distance = largest_principal_angle


@validate_params(*_PAIR, **_BASES, norm=Choice(("fro", "spectral")))
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
    Qa, Qb = _bases(A, B)
    if norm == "fro":
        res_b = torch.linalg.matrix_norm(Qb - Qa @ (Qa.mT @ Qb))
        res_a = torch.linalg.matrix_norm(Qa - Qb @ (Qb.mT @ Qa))
        return math.hypot(float(res_b), float(res_a))
    if Qa.shape[1] != Qb.shape[1]:
        # The larger span holds a unit vector orthogonal to the smaller one.
        return 1.0
    return math.sin(float(_angles(Qa, Qb)[-1]))


@validate_params(A=Embedding(), rtol=OrNone(Scalar()), atol=OrNone(Scalar()))
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
    atol = 0.0 if atol is None else atol
    s = torch.linalg.svdvals(A.to(torch.float64))
    return _rank_from_singular_values(s, tuple(A.shape), A.dtype, rtol, atol)


@validate_params(
    SameShape("actual", "expected"),
    SameDevice("actual", "expected"),
    actual=AnyTensor(),
    expected=AnyTensor(),
    scale=OrNone(Scalar(low=0.0, low_inclusive=False)),
)
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
    actual, expected = actual.to(torch.float64), expected.to(torch.float64)
    if scale is None:
        scale = max(float(torch.linalg.vector_norm(expected)), torch.finfo(torch.float64).tiny)
    return float(torch.linalg.vector_norm(actual - expected)) / scale


@validate_params(measured=Scalar(low=None), predicted=Scalar(low=None))
def relative_difference(measured: float, predicted: float) -> float:
    """|measured - predicted| / |predicted|, or |measured| when the prediction is 0.

    The scalar counterpart of :func:`relative_error` for a predicted value that may vanish
    (then the difference is absolute).

    Parameters
    ----------
    measured, predicted : float
        Finite real numbers.

    Returns
    -------
    float
    """
    return abs(measured - predicted) / (abs(predicted) if predicted else 1.0)


@validate_params(values=Vector(), k=Int(low=1, high=Dim("values")))
def relative_eigengap(values: torch.Tensor, k: int) -> float:
    """Gap at the cut after the k-th value, relative to the spectral scale.

    ``|v_k - v_{k+1}| / max_i |v_i|`` (1-based), the quantity whose smallness makes a
    k-dimensional eigenspace ill-determined; ``inf`` when k = len(values) (nothing is cut).

    Parameters
    ----------
    values : torch.Tensor of shape (M,)
        Eigenvalues (or singular values) in selection order; not all zero.
    k : int
        1 <= k <= M.

    Returns
    -------
    float
    """
    if k >= values.numel():
        return math.inf
    scale = values.abs().max()
    if float(scale) == 0.0:
        raise InvalidInputError("values must not all be zero: the relative gap is undefined")
    return float((values[k - 1] - values[k]).abs() / scale)


@dataclass(frozen=True)
class RankReport:
    """Numerical rank of a matrix with the gap that makes it unambiguous.

    Attributes
    ----------
    rank : int
        Number of singular values above ``rtol * s_max``.
    kept : float
        Smallest kept s / s_max (0 when none is kept).
    dropped : float
        Largest dropped s / s_max (0 when none is dropped).
    singular : tuple of float
        Every s / s_max, descending.
    """

    rank: int
    kept: float
    dropped: float
    singular: tuple[float, ...]


@validate_params(A=Embedding(), rtol=_RTOL)
def rank_report(A: torch.Tensor, rtol: float) -> RankReport:
    """Numerical rank of A (N, K) at the relative threshold ``rtol``, with its margins.

    Singular values s (float64, descending) are divided by s_max; the rank counts those above
    ``rtol`` (see :class:`RankReport`).

    Parameters
    ----------
    A : torch.Tensor of shape (N, K)
        Not the zero matrix.
    rtol : float
        Relative threshold, 0 < rtol <= 1.

    Returns
    -------
    RankReport
    """
    s = torch.linalg.svdvals(A.to(torch.float64))
    if float(s[0]) == 0.0:
        raise InvalidInputError("A must not be the zero matrix: its relative rank is undefined")
    rel = s / s[0]
    r = int((rel > rtol).sum())
    return RankReport(
        r,
        float(rel[r - 1]) if r > 0 else 0.0,
        float(rel[r]) if r < rel.numel() else 0.0,
        tuple(float(v) for v in rel),
    )


def _log10_ratio(a: float, b: float) -> float:
    """log10(a / b) for a, b >= 0, with log10(a / 0) = inf and log10(0 / b) = -inf."""
    if b == 0.0:
        return math.inf
    return -math.inf if a == 0.0 else math.log10(a / b)


@validate_params(report=InstanceOf(RankReport), predicted=Int(low=0), rtol=_RTOL)
def rank_decades(report: RankReport, predicted: int, rtol: float) -> float:
    """The rank decision's margin in decades: how far the deciding singular value sits from
    the threshold ``rtol`` (relative to s_max), the log10 of a ratio.

    * rank == predicted: min(log10(kept / rtol), log10(rtol / dropped)), the nearer of the two
      values next to the threshold (inf on a side without one); >= 0.
    * rank > predicted: the (predicted + 1)-th relative singular value must fall below rtol for
      the two to agree: log10(s / rtol) > 0, how far it is from doing so.
    * rank < predicted: the predicted-th must rise above it: log10(rtol / s); inf when it does
      not exist (predicted > min(N, K): no threshold can make them agree).

    Parameters
    ----------
    report : RankReport
        From :func:`rank_report` at the same ``rtol``.
    predicted : int
        The predicted rank, >= 0.
    rtol : float
        The threshold, 0 < rtol <= 1.

    Returns
    -------
    float
    """
    s, r = report.singular, report.rank
    if r == predicted:
        return min(
            _log10_ratio(report.kept, rtol) if r > 0 else math.inf,
            _log10_ratio(rtol, report.dropped),
        )
    if r > predicted:
        return _log10_ratio(s[predicted], rtol)
    return _log10_ratio(rtol, s[predicted - 1]) if predicted <= len(s) else math.inf


@validate_params(A=Embedding(), rtol=_RTOL)
def span_basis(A: torch.Tensor, rtol: float) -> torch.Tensor:
    """Orthonormal basis (N, r) of the numerical range of A: its top-r left singular vectors,
    r = ``rank_report(A, rtol).rank``; float64.

    Parameters
    ----------
    A : torch.Tensor of shape (N, K)
        Not the zero matrix.
    rtol : float
        Relative rank threshold, 0 < rtol <= 1.
    """
    U, _, _ = torch.linalg.svd(A.to(torch.float64), full_matrices=False)
    return U[:, : rank_report.unchecked(A, rtol).rank]


@validate_params(*_PAIR, **_BASES, rtol=_RTOL)
def containment_angle(A: torch.Tensor, B: torch.Tensor, rtol: float) -> float:
    """Largest principal angle (radians) between the numerical range of A and span(B).

    ``largest_principal_angle(span_basis(A, rtol), B)``: 0 iff the smaller of the two spans
    lies in the larger. A may be rank-deficient (its range at ``rtol`` is used); B must have
    independent columns.

    Parameters
    ----------
    A : torch.Tensor of shape (N, p)
        Not the zero matrix.
    B : torch.Tensor of shape (N, q)
        Basis of the second subspace, same N and device.
    rtol : float
        Relative rank threshold for A, 0 < rtol <= 1.
    """
    return float(_angles(*_bases(span_basis.unchecked(A, rtol), B))[-1])
