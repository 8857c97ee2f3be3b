"""Continuous symmetries of SSL losses, as tangent generators at a point Z (N, K).

A loss f with a continuous symmetry (a group acting on Z with f(g . Z) = f(Z)) has, at every
stationary point, zero Hessian eigenvalues along the orbit: differentiating f(g_t . Z) = f(Z)
twice at t = 0 gives ``H xi = 0`` for the orbit's tangent xi once the gradient vanishes. The
curvature certificate (:mod:`torch_impl.fit.curvature`) takes the Hessian modulo these
directions, so that its smallest eigenvalue speaks about the directions that can change the
loss. Each function here returns the generators xi of one group at ``z``, stacked as a tensor
of shape (r, N, K); :func:`combine` stacks several groups. Which groups a loss has is declared
where its objective is built (``HingeObjective.symmetries``, ``FitOptions.symmetries``), and
tests check each declaration numerically (the loss's directional derivative along every
generator vanishes to rounding, at random points).

* :func:`translations`: Z -> Z + 1 m^T (a loss of the centred Z, e.g. VICReg's covariance and
  Dirichlet energy, BL22 Sec. 2.2); generators 1 e_k^T, k = 1..K.
* :func:`right_rotations`: Z -> Z exp(A), A skew (a loss of Z Z^T, e.g. SimCLR / InfoNCE on
  the Gram or cosine matrix); generators Z (e_k e_l^T - e_l e_k^T), k < l.
* :func:`row_scalings`: z_i -> s_i z_i (a loss of the row-normalised Z); generators e_i z_i^T.
* :func:`column_scalings`: z^k -> a_k z^k (a loss of the column-normalised Z, e.g. BL22's
  BarlowTwins cross-correlation, normalised but not centred); generators Z e_k e_k^T.
* :func:`column_affine`: z^k -> a_k z^k + b_k 1 (a loss of the column-standardised Z, centred
  and normalised); the generators of :func:`column_scalings` and :func:`translations`.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from torch_impl.validation import AnyTensor, validate_params

__all__ = ["translations", "right_rotations", "row_scalings", "column_scalings", "column_affine",
           "combine"]

Symmetries = Callable[[torch.Tensor], torch.Tensor]


def _check_matrix(z: torch.Tensor) -> None:
    if z.dim() != 2:
        raise ValueError(f"z must be 2-D (N, K), got shape {tuple(z.shape)}")


@validate_params(z=AnyTensor())
def translations(z: torch.Tensor) -> torch.Tensor:
    """Generators 1 e_k^T of Z -> Z + 1 m^T: shape (K, N, K)."""
    _check_matrix(z)
    n, k = z.shape
    eye = torch.eye(k, dtype=z.dtype, device=z.device)
    return eye[:, None, :].expand(k, n, k).clone()


@validate_params(z=AnyTensor())
def right_rotations(z: torch.Tensor) -> torch.Tensor:
    """Generators Z (e_k e_l^T - e_l e_k^T), k < l, of Z -> Z exp(A): shape (K(K-1)/2, N, K)."""
    _check_matrix(z)
    k = z.shape[1]
    rows, cols = torch.triu_indices(k, k, offset=1, device=z.device)
    skew = torch.zeros(rows.numel(), k, k, dtype=z.dtype, device=z.device)
    pairs = torch.arange(rows.numel(), device=z.device)
    skew[pairs, rows, cols] = 1.0
    skew[pairs, cols, rows] = -1.0
    return z.detach() @ skew


@validate_params(z=AnyTensor())
def row_scalings(z: torch.Tensor) -> torch.Tensor:
    """Generators e_i z_i^T of z_i -> s_i z_i: shape (N, N, K)."""
    _check_matrix(z)
    n = z.shape[0]
    return torch.eye(n, dtype=z.dtype, device=z.device)[:, :, None] * z.detach()[None]


@validate_params(z=AnyTensor())
def column_scalings(z: torch.Tensor) -> torch.Tensor:
    """Generators Z e_k e_k^T of z^k -> a_k z^k: shape (K, N, K)."""
    _check_matrix(z)
    eye = torch.eye(z.shape[1], dtype=z.dtype, device=z.device)
    return z.detach()[None] * eye[:, None, :]


@validate_params(z=AnyTensor())
def column_affine(z: torch.Tensor) -> torch.Tensor:
    """Generators Z e_k e_k^T (scaling) and 1 e_k^T (shift) of z^k -> a_k z^k + b_k 1:
    shape (2K, N, K)."""
    return torch.cat([column_scalings.unchecked(z), translations.unchecked(z)])


def combine(*groups: Symmetries) -> Symmetries:
    """The generators of several symmetry groups at once (concatenated along the first axis)."""
    for i, group in enumerate(groups):
        if not callable(group):
            raise TypeError(f"groups[{i}] must be callable, got {type(group).__name__}")

    def generators(z: torch.Tensor) -> torch.Tensor:
        return torch.cat([group(z) for group in groups])

    return generators
