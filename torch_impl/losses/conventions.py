"""The VICReg and BarlowTwins losses as the reference codebases define them.

Written from their formulas (facebookresearch/vicreg, facebookresearch/barlowtwins, lightly,
solo-learn; summarised in ``docs/catalogue/BL22.md#codebase-conventions``), not from their
code. They take two branches (z_a, z_b), each (N, D), row i of z_a and row i of z_b being the two
views of sample i; use :func:`branches_from_views` to get them from our stacked-views layout.
Single-process only: the distributed variants (gather before the variance/covariance, all-reduce
of C) reduce to these on one process.

Against the paper's losses (``vicreg.py``, ``barlow_twins.py``): see each function.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from torch_impl.losses._matrix import off_diagonal_square_sum
from torch_impl.validation import (
    check_choice,
    check_divisible,
    check_embedding,
    check_int,
    check_same_dtype,
    check_same_shape,
    check_scalar,
)

__all__ = [
    "VICREG_CONVENTIONS",
    "BARLOW_TWINS_CONVENTIONS",
    "branches_from_views",
    "vicreg_loss_convention",
    "barlow_twins_loss_convention",
]

VICREG_CONVENTIONS = ("official", "lightly", "solo")
# lightly's BarlowTwins normalisation changed (unbiased std without eps, then PR lightly#1806)
# and its current form is not confirmed (docs/catalogue/BL22.md#codebase-conventions), so it is
# not offered.
BARLOW_TWINS_CONVENTIONS = ("official", "solo")

# eps inside sqrt(var + eps) of the variance hinge, the same in all three codebases.
_VICREG_STD_EPS = 1e-4
# BatchNorm1d's default eps, used by the official code and solo-learn.
_BN_EPS = 1e-5
_BT_DEFAULT_LAMBD = {"official": 0.0051, "solo": 5e-3}
# solo-learn's barlow_loss_func multiplies the whole loss by scale_loss=0.025.
_BT_SCALE = {"official": 1.0, "solo": 0.025}


def branches_from_views(Z: torch.Tensor, n_views: int = 2) -> tuple[torch.Tensor, ...]:
    """Split our stacked-views embedding into its views (BL22 Sec. 2.1 layout).

    Row ``v * N' + i`` of Z is view v of sample i (``views_relation``'s order), so view v is
    the block ``Z[v * N' : (v + 1) * N']``.

    Parameters
    ----------
    Z : torch.Tensor of shape (V N', K)
        Stacked embedding; its number of rows must be divisible by ``n_views``.
    n_views : int, default=2
        V >= 2.

    Returns
    -------
    tuple of torch.Tensor, each of shape (N', K)
        The V views (views of Z, no copy); for V = 2 this is (z_a, z_b).
    """
    Z = check_embedding(Z, "Z")
    n_views = check_int(n_views, "n_views", low=2)
    check_divisible(Z.shape[0], n_views, "the number of rows of Z", "n_views")
    return tuple(torch.chunk(Z, n_views, dim=0))


def _check_branches(z_a: object, z_b: object) -> tuple[torch.Tensor, torch.Tensor]:
    # Both codebases' variance / BatchNorm statistics need N >= 2.
    z_a = check_embedding(z_a, "z_a", min_rows=2)
    z_b = check_embedding(z_b, "z_b", min_rows=2)
    check_same_shape(z_a, z_b, "z_a", "z_b")
    check_same_dtype(z_a, z_b, "z_a", "z_b")
    return z_a, z_b


def _vicreg_variance(z: torch.Tensor) -> torch.Tensor:
    """mean_d relu(1 - sqrt(Var_unbiased(z_d) + 1e-4)), one branch."""
    std_d = torch.sqrt(z.var(dim=0) + _VICREG_STD_EPS)
    return F.relu(1 - std_d).mean()


def _vicreg_covariance(z: torch.Tensor) -> torch.Tensor:
    """sum_{d != d'} Cov(z)_dd'^2 / D with Cov centred and 1/(N-1), one branch."""
    n, d = z.shape
    centred = z - z.mean(dim=0)
    cov_dd = centred.T @ centred / (n - 1)
    return off_diagonal_square_sum(cov_dd) / d


def vicreg_loss_convention(
    z_a: torch.Tensor,
    z_b: torch.Tensor,
    *,
    convention: str,
    sim_coeff: float = 25.0,
    std_coeff: float = 25.0,
    cov_coeff: float = 1.0,
) -> torch.Tensor:
    """VICReg as the official / lightly / solo-learn code defines it (single process).

    ``loss = sim_coeff * mse(z_a, z_b) + std_coeff * s * (v(z_a) + v(z_b))
    + cov_coeff * (c(z_a) + c(z_b))`` with

    * ``mse`` the mean of (z_a - z_b)^2 over the N * D entries (``F.mse_loss``);
    * ``v(z) = mean_d relu(1 - sqrt(Var(z_d) + 1e-4))``, unbiased variance (1/(N-1));
    * ``c(z) = sum_{d != d'} Cov(z)_dd'^2 / D``, Cov centred with 1/(N-1);
    * ``s = 1/2`` for "official" and "lightly" (they are the same loss), ``s = 1`` for
      "solo" (solo-learn sums the two branches' variance terms; facebookresearch/vicreg#8).

    Differences from the paper's :func:`~torch_impl.losses.vicreg_loss`: two branches with
    per-branch variance and covariance instead of one pooled Z and a relation G; eps 1e-4 inside
    the sqrt instead of a clamp of the variance at 1e-6; means over D instead of sums over K (and
    the /2 above); invariance as a mean over N * D instead of (1/N) sum over ordered pairs; for
    two views the paper's invariance term is D * mse(z_a, z_b).

    Parameters
    ----------
    z_a, z_b : torch.Tensor of shape (N, D)
        The two branches (row i of each = the two views of sample i); N >= 2, same dtype.
    convention : {"official", "lightly", "solo"}
    sim_coeff, std_coeff, cov_coeff : float
        Non-negative finite weights (defaults 25 / 25 / 1, as all three codebases).

    Returns
    -------
    torch.Tensor
        0-d tensor.
    """
    convention = check_choice(convention, "convention", VICREG_CONVENTIONS)
    sim_coeff = check_scalar(sim_coeff, "sim_coeff")
    std_coeff = check_scalar(std_coeff, "std_coeff")
    cov_coeff = check_scalar(cov_coeff, "cov_coeff")
    z_a, z_b = _check_branches(z_a, z_b)

    invariance = F.mse_loss(z_a, z_b)
    branch_scale = 1.0 if convention == "solo" else 0.5
    variance = branch_scale * (_vicreg_variance(z_a) + _vicreg_variance(z_b))
    covariance = _vicreg_covariance(z_a) + _vicreg_covariance(z_b)
    return sim_coeff * invariance + std_coeff * variance + cov_coeff * covariance


def _batch_norm(z: torch.Tensor) -> torch.Tensor:
    """Training-mode BatchNorm1d(affine=False): centred, biased (1/N) variance, eps 1e-5."""
    centred = z - z.mean(dim=0)
    return centred / torch.sqrt(centred.square().mean(dim=0) + _BN_EPS)


def barlow_twins_loss_convention(
    z_a: torch.Tensor,
    z_b: torch.Tensor,
    *,
    convention: str,
    lambd: float | None = None,
) -> torch.Tensor:
    """BarlowTwins as the official / solo-learn code defines it (single process).

    ``c = bn(z_a).T @ bn(z_b) / N`` (D, D), with bn the training-mode BatchNorm1d(affine=False):
    each column centred and divided by sqrt(biased variance + 1e-5); then
    ``loss = scale * (sum_d (c_dd - 1)^2 + lambd * sum_{d != d'} c_dd'^2)``.

    * "official" (facebookresearch/barlowtwins): lambd default 0.0051, scale 1;
    * "solo" (solo-learn): lambd default 5e-3, scale 0.025.

    Differences from the paper's :func:`~torch_impl.losses.barlow_twins_loss`: columns are
    centred (the paper's are not) and standardised with eps 1e-5 inside the sqrt of the biased
    variance, so ``c_dd' = <a~, b~> / sqrt((||a~||^2 + N eps)(||b~||^2 + N eps))`` for centred
    columns a~, b~ (the paper: ``<a, b> / (max(||a||, 1e-6) max(||b||, 1e-6))``, uncentred);
    hence on centred inputs the two agree up to O(1e-5 / Var). Defaults of the off-diagonal
    weight differ (paper's alpha has none) and solo-learn scales the loss by 0.025.

    Parameters
    ----------
    z_a, z_b : torch.Tensor of shape (N, D)
        The two branches (row i of each = the two views of sample i); N >= 2, same dtype.
    convention : {"official", "solo"}
    lambd : float or None, default=None
        Non-negative finite off-diagonal weight; None takes the convention's default.

    Returns
    -------
    torch.Tensor
        0-d tensor.
    """
    convention = check_choice(convention, "convention", BARLOW_TWINS_CONVENTIONS)
    lambd = _BT_DEFAULT_LAMBD[convention] if lambd is None else check_scalar(lambd, "lambd")
    z_a, z_b = _check_branches(z_a, z_b)

    cross_dd = _batch_norm(z_a).T @ _batch_norm(z_b) / z_a.shape[0]
    on_diag = (torch.diagonal(cross_dd) - 1).square().sum()
    return _BT_SCALE[convention] * (on_diag + lambd * off_diagonal_square_sum(cross_dd))
