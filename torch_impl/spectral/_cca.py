"""Canonical correlation analysis, the spectral method BL22 maps BarlowTwins onto (BL22-C6)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from torch_impl.spectral._eigen import DEFAULT_GAP_RTOL, _cholesky, _column_signs, _cut
from torch_impl.validation import Dim, Embedding, Int, SameRows, Scalar, validate_params

__all__ = ["CCAResult", "cca"]


@dataclass(frozen=True)
class CCAResult:
    """Canonical directions and correlations of two paired views.

    Attributes
    ----------
    x_vectors : torch.Tensor of shape (D_x, K), float64
        Canonical directions a_k of X, with a_k^T (C_xx + reg I) a_l = delta_kl.
    y_vectors : torch.Tensor of shape (D_y, K), float64
        Canonical directions b_k of Y, with b_k^T (C_yy + reg I) b_l = delta_kl.
    values : torch.Tensor of shape (K,), float64
        Canonical correlations rho_k = a_k^T C_xy b_k, descending, in [0, 1] (shrunk by reg).
    degenerate : bool
        rho_K and rho_{K+1} coincide up to ``gap_rtol`` * rho_1: the directions are then not
        defined individually nor as a span.
    eigengap : float
        rho_K - rho_{K+1}; ``inf`` when K = min(D_x, D_y).
    """

    x_vectors: torch.Tensor
    y_vectors: torch.Tensor
    values: torch.Tensor
    degenerate: bool
    eigengap: float


@validate_params(
    SameRows("X", "Y"),
    X=Embedding(min_rows=2),
    Y=Embedding(min_rows=2),
    n_components=Int(low=1, high=Dim("X", "Y", axis=1)),
    reg=Scalar(),
    gap_rtol=Scalar(),
)
def cca(
    X: torch.Tensor,
    Y: torch.Tensor,
    n_components: int,
    *,
    reg: float = 0.0,
    gap_rtol: float = DEFAULT_GAP_RTOL,
) -> CCAResult:
    """Canonical correlation analysis (Hotelling 1936) by whitened SVD.

    Maximises corr(X a, Y b) over successive, mutually uncorrelated pairs (a_k, b_k). With the
    centred covariances C_xx = X_c^T X_c / (N - 1) + reg I, C_yy likewise and
    C_xy = X_c^T Y_c / (N - 1), Cholesky factors C_xx = L_x L_x^T, C_yy = L_y L_y^T and the SVD
    L_x^{-1} C_xy L_y^{-T} = U diag(rho) V^T: a_k = L_x^{-T} u_k, b_k = L_y^{-T} v_k. These solve
    the generalised eigenproblem [[0, C_xy], [C_yx, 0]] w = rho [[C_xx, 0], [0, C_yy]] w.

    Parameters
    ----------
    X : torch.Tensor of shape (N, D_x)
        First view, one sample a row, N >= 2.
    Y : torch.Tensor of shape (N, D_y)
        Second view, paired row by row with X, on X's device.
    n_components : int
        K, 1 <= K <= min(D_x, D_y).
    reg : float, default=0.0
        Ridge reg >= 0 added to the diagonal of both covariances (needed when N - 1 < D or
        columns are collinear; it shrinks the reported correlations).
    gap_rtol : float, default=1e-8
        Relative tolerance of the degeneracy report.

    Returns
    -------
    CCAResult
        ``x_vectors`` (D_x, K), ``y_vectors`` (D_y, K), ``values`` (K,) the canonical
        correlations. Signs: each a_k has its largest-|.| entry positive and b_k follows it, so
        that every rho_k >= 0.

    Raises
    ------
    InvalidInputError
        Different numbers of rows, negative reg, or a covariance (plus reg I) that is not
        positive definite.
    """
    k = n_components
    X, Y = X.to(torch.float64), Y.to(torch.float64)
    n = X.shape[0]
    Xc, Yc = X - X.mean(dim=0), Y - Y.mean(dim=0)
    hint = " (collinear columns or N - 1 < D; pass reg > 0)"
    eye_x = torch.eye(X.shape[1], dtype=X.dtype, device=X.device)
    eye_y = torch.eye(Y.shape[1], dtype=Y.dtype, device=Y.device)
    Lx = _cholesky(Xc.mT @ Xc / (n - 1) + reg * eye_x, "the covariance of X (+ reg I)", hint)
    Ly = _cholesky(Yc.mT @ Yc / (n - 1) + reg * eye_y, "the covariance of Y (+ reg I)", hint)
    Cxy = Xc.mT @ Yc / (n - 1)
    # Whitened cross-covariance L_x^{-1} C_xy L_y^{-T}, by two triangular solves.
    M = torch.linalg.solve_triangular(Lx, Cxy, upper=False)
    M = torch.linalg.solve_triangular(Ly, M.mT, upper=False).mT
    U, rho, Vh = torch.linalg.svd(M, full_matrices=False)
    degenerate, eigengap = _cut(rho, k, gap_rtol)
    a = torch.linalg.solve_triangular(Lx.mT, U[:, :k], upper=True)
    b = torch.linalg.solve_triangular(Ly.mT, Vh[:k].mT, upper=True)
    # The same flip on b_k keeps rho_k = a_k^T C_xy b_k positive.
    signs = _column_signs(a)
    return CCAResult(a * signs, b * signs, rho[:k], degenerate, eigengap)
