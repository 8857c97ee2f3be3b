"""Symmetric (generalized) eigensolver: sorted values, deterministic signs, reported degeneracy.

Every spectral method of the package goes through :func:`_solve`, so they share one
sign convention and one definition of "degenerate".
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from torch_impl.validation import (
    Compatible,
    Dim,
    Flag,
    Int,
    InvalidInputError,
    OrNone,
    SameShape,
    Scalar,
    SymmetricMatrix,
    validate_params,
)

__all__ = ["EigenResult", "EmbeddingResult", "generalized_eigh", "DEFAULT_GAP_RTOL"]

#: Default relative tolerance under which the eigengap at the cut counts as zero. A backward
#: stable symmetric eigensolver perturbs the eigenvectors at the cut by about eps * scale / gap,
#: so a gap above 1e-8 * scale still pins the selected subspace to ~1e-8 rad.
DEFAULT_GAP_RTOL = 1e-8


@dataclass(frozen=True)
class EigenResult:
    """Selected eigenpairs of a symmetric pencil (A, B).

    Attributes
    ----------
    values : torch.Tensor of shape (K,), float64
        Selected eigenvalues, ascending when the smallest were asked for, descending when the
        largest were.
    vectors : torch.Tensor of shape (N, K), float64
        Matching eigenvectors in the columns, B-orthonormal (V^T B V = I), each with its
        largest-|.| entry positive.
    degenerate : bool
        True when the K-th selected eigenvalue and the next (unselected) one coincide up to
        ``gap_rtol`` times the spectral scale max_i |lambda_i|: the selected subspace is then not
        defined (only the sum of the eigenspaces across the cut is), and neither are its vectors.
    eigengap : float
        |lambda_K - lambda_{K+1}| at the cut; ``inf`` when every eigenpair was selected.
    """

    values: torch.Tensor
    vectors: torch.Tensor
    degenerate: bool
    eigengap: float


@dataclass(frozen=True)
class EmbeddingResult:
    """An N-sample embedding read off eigenvectors.

    Attributes
    ----------
    embedding : torch.Tensor of shape (N, K), float64
        The embedding, one sample a row.
    values : torch.Tensor of shape (K,), float64
        The eigenvalue behind each column, in the method's selection order.
    degenerate : bool
        True when the eigenvalue of the last kept column and that of the first unkept one
        coincide up to the method's ``gap_rtol`` (see :class:`EigenResult`): the embedding's
        column span is then arbitrary within the eigenspace that straddles the cut.
    eigengap : float
        Absolute gap between those two eigenvalues; ``inf`` when nothing was left out.
    """

    embedding: torch.Tensor
    values: torch.Tensor
    degenerate: bool
    eigengap: float


def _column_signs(V: torch.Tensor) -> torch.Tensor:
    """Sign (+-1) per column of ``V`` that makes its largest-|.| entry positive (sklearn's rule)."""
    rows = V.abs().argmax(dim=0)
    signs = torch.sign(V[rows, torch.arange(V.shape[1], device=V.device)])
    # A zero column has no sign to fix; +1 leaves it as it is.
    return torch.where(signs == 0, torch.ones_like(signs), signs)


def _flip_signs(V: torch.Tensor) -> torch.Tensor:
    """``V`` with each column's largest-|.| entry made positive."""
    return V * _column_signs(V)


def _cut(ordered: torch.Tensor, k: int, gap_rtol: float) -> tuple[bool, float]:
    """Degeneracy and eigengap between the k-th and (k+1)-th of ``ordered`` (selection order)."""
    if k == ordered.numel():
        return False, float("inf")
    gap = float((ordered[k - 1] - ordered[k]).abs())
    scale = float(ordered.abs().max())
    return gap <= gap_rtol * scale, gap


def _cholesky(B: torch.Tensor, name: str, hint: str = "") -> torch.Tensor:
    """Lower Cholesky factor of ``B``, or a clear error naming ``name`` when B is not SPD.

    A singular positive semi-definite B can factor "successfully" with a round-off pivot, and
    the reduction would then divide by it: a pivot^2 below N * eps * max_i B_ii counts as a
    failure too.
    """
    C, info = torch.linalg.cholesky_ex(B)
    floor = B.shape[0] * torch.finfo(B.dtype).eps * float(B.diagonal().abs().max())
    if int(info) != 0 or float(C.diagonal().square().min()) <= floor:
        raise InvalidInputError(
            f"{name} must be symmetric positive definite, but it is (numerically) singular or "
            f"indefinite{hint}"
        )
    return C


def _solve(
    A: torch.Tensor,
    C: torch.Tensor | None,
    k: int,
    *,
    largest: bool,
    gap_rtol: float,
) -> EigenResult:
    """Solve A v = lambda C C^T v (C lower triangular, None for the identity) for k eigenpairs.

    Cholesky reduction: with B = C C^T and y = C^T v, the pencil becomes the standard symmetric
    problem (C^{-1} A C^{-T}) y = lambda y, whose orthonormal y give B-orthonormal v = C^{-T} y.
    """
    if C is not None:
        half = torch.linalg.solve_triangular(C, A, upper=False)
        A = torch.linalg.solve_triangular(C, half.mT, upper=False)
        # The two triangular solves are symmetric in exact arithmetic only.
        A = (A + A.mT) / 2
    values, vectors = torch.linalg.eigh(A)
    if largest:
        values, vectors = values.flip(0), vectors.flip(1)
    degenerate, eigengap = _cut(values, k, gap_rtol)
    values, vectors = values[:k], vectors[:, :k]
    if C is not None:
        vectors = torch.linalg.solve_triangular(C.mT, vectors, upper=True)
    return EigenResult(values, _flip_signs(vectors), degenerate, eigengap)


@validate_params(
    Compatible("A", "B"),
    SameShape("A", "B"),
    A=SymmetricMatrix(),
    B=OrNone(SymmetricMatrix()),
    n_components=OrNone(Int(low=1, high=Dim("A"))),
    largest=Flag(),
    gap_rtol=Scalar(),
)
def generalized_eigh(
    A: torch.Tensor,
    B: torch.Tensor | None = None,
    *,
    n_components: int | None = None,
    largest: bool = False,
    gap_rtol: float = DEFAULT_GAP_RTOL,
) -> EigenResult:
    """Solve the symmetric-definite eigenproblem A v = lambda B v.

    Reduces to a standard problem through the Cholesky factor B = C C^T and returns the
    ``n_components`` smallest (or largest) eigenpairs, computed in float64 on A's device.

    Parameters
    ----------
    A : torch.Tensor of shape (N, N)
        Symmetric matrix (up to a relative asymmetry of 1e-10, see
        :func:`~torch_impl.validation.check_symmetric_matrix`), floating dtype.
    B : torch.Tensor of shape (N, N) or None, default=None
        Symmetric positive definite matrix on A's device; None means the identity.
    n_components : int or None, default=None
        K, how many eigenpairs to return, 1 <= K <= N; None returns all N.
    largest : bool, default=False
        Return the K largest eigenvalues (descending) instead of the K smallest (ascending).
    gap_rtol : float, default=1e-8
        The cut between the K-th and the (K+1)-th eigenvalue is reported degenerate when their
        gap is <= gap_rtol * max_i |lambda_i|.

    Returns
    -------
    EigenResult
        ``values`` (K,), ``vectors`` (N, K) with V^T B V = I and A V = B V diag(values),
        each column's largest-|.| entry positive; ``degenerate`` and ``eigengap`` at the cut.

    Raises
    ------
    TypeError
        A or B is not a floating tensor, or ``largest`` is not a bool.
    InvalidInputError
        A not square or not symmetric, B of another shape or device, B not positive definite
        (including numerically singular: a Cholesky pivot^2 <= N * eps * max_i B_ii), NaN/inf
        entries, n_components outside [1, N].
    """
    A = A.to(torch.float64)
    k = A.shape[0] if n_components is None else n_components
    C = None if B is None else _cholesky(B.to(torch.float64), "B")
    return _solve(A, C, k, largest=largest, gap_rtol=gap_rtol)
