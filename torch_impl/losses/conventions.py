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
    Choice,
    Divisible,
    Embedding,
    Int,
    OrNone,
    SameDtype,
    SameShape,
    Scalar,
    validate_params,
)

__all__ = [
    "VICREG_CONVENTIONS",
    "VICREG_STD_EPS",
    "BARLOW_TWINS_CONVENTIONS",
    "branches_from_views",
    "vicreg_loss_convention",
    "barlow_twins_loss_convention",
    "vicreg_convention_hinge_arguments",
    "vicreg_convention_smooth_part",
    "vicreg_convention_hinge_weight",
]

VICREG_CONVENTIONS = ("official", "lightly", "solo")
# lightly's BarlowTwins normalisation changed (unbiased std without eps, then PR lightly#1806)
# and its current form is not confirmed (docs/catalogue/BL22.md#codebase-conventions), so it is
# not offered.
BARLOW_TWINS_CONVENTIONS = ("official", "solo")

VICREG_STD_EPS = 1e-4
"""eps inside sqrt(Var + eps) of the variance hinge, the same in all three codebases (a
closed-form optimum on the kink has variance 1 - eps)."""
# BatchNorm1d's default eps, used by the official code and solo-learn.
_BN_EPS = 1e-5
_BT_DEFAULT_LAMBD = {"official": 0.0051, "solo": 5e-3}
# solo-learn's barlow_loss_func multiplies the whole loss by scale_loss=0.025.
_BT_SCALE = {"official": 1.0, "solo": 0.025}
# Factor on the two branches' summed variance terms: official and lightly halve it, solo-learn
# sums them (facebookresearch/vicreg#8).
_VICREG_BRANCH_SCALE = {"official": 0.5, "lightly": 0.5, "solo": 1.0}

# Both codebases' variance / BatchNorm statistics need N >= 2.
_BRANCH = Embedding(min_rows=2)
_BRANCH_CHECKS = (SameShape("z_a", "z_b"), SameDtype("z_a", "z_b"))
_COEFF = Scalar()
# Stacked views of a two-branch loss: 2 N' rows with N' >= 2.
_STACKED = Embedding(min_rows=4)


@validate_params(Divisible("Z", "n_views"), Z=Embedding(), n_views=Int(low=2))
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
    return tuple(torch.chunk(Z, n_views, dim=0))


def _vicreg_hinge_arguments(z: torch.Tensor) -> torch.Tensor:
    """1 - sqrt(Var_unbiased(z_d) + 1e-4), (D,), one branch."""
    return 1 - torch.sqrt(z.var(dim=0) + VICREG_STD_EPS)


def _vicreg_variance(z: torch.Tensor) -> torch.Tensor:
    """mean_d relu(1 - sqrt(Var_unbiased(z_d) + 1e-4)), one branch."""
    return F.relu(_vicreg_hinge_arguments(z)).mean()


def _vicreg_covariance(z: torch.Tensor) -> torch.Tensor:
    """sum_{d != d'} Cov(z)_dd'^2 / D with Cov centred and 1/(N-1), one branch."""
    n, d = z.shape
    centred = z - z.mean(dim=0)
    cov_dd = centred.T @ centred / (n - 1)
    return off_diagonal_square_sum(cov_dd) / d


@validate_params(
    *_BRANCH_CHECKS,
    z_a=_BRANCH,
    z_b=_BRANCH,
    convention=Choice(VICREG_CONVENTIONS),
    sim_coeff=_COEFF,
    std_coeff=_COEFF,
    cov_coeff=_COEFF,
)
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
    invariance = F.mse_loss(z_a, z_b)
    variance = _VICREG_BRANCH_SCALE[convention] * (_vicreg_variance(z_a) + _vicreg_variance(z_b))
    covariance = _vicreg_covariance(z_a) + _vicreg_covariance(z_b)
    return sim_coeff * invariance + std_coeff * variance + cov_coeff * covariance


def _batch_norm(z: torch.Tensor) -> torch.Tensor:
    """Training-mode BatchNorm1d(affine=False): centred, biased (1/N) variance, eps 1e-5."""
    centred = z - z.mean(dim=0)
    return centred / torch.sqrt(centred.square().mean(dim=0) + _BN_EPS)


@validate_params(
    *_BRANCH_CHECKS,
    z_a=_BRANCH,
    z_b=_BRANCH,
    convention=Choice(BARLOW_TWINS_CONVENTIONS),
    lambd=OrNone(_COEFF),
)
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
    if lambd is None:
        lambd = _BT_DEFAULT_LAMBD[convention]
    cross_dd = _batch_norm(z_a).T @ _batch_norm(z_b) / z_a.shape[0]
    on_diag = (torch.diagonal(cross_dd) - 1).square().sum()
    return _BT_SCALE[convention] * (on_diag + lambd * off_diagonal_square_sum(cross_dd))


# The codebases' two-branch VICReg as ``smooth(Z) + weight * sum relu(hinge_args(Z))`` on the
# stacked views Z (2 N', K), the form in which an optimum on a hinge kink can be certified
# (torch_impl.fit's HingeObjective).


@validate_params(Divisible("Z", 2), Z=_STACKED)
def vicreg_convention_hinge_arguments(Z: torch.Tensor) -> torch.Tensor:
    """The 2K variance-hinge arguments of the codebases' VICReg on stacked views.

    ``[1 - sqrt(Var(z_a) + 1e-4), 1 - sqrt(Var(z_b) + 1e-4)]`` with (z_a, z_b) =
    :func:`branches_from_views` (Z) and Var the unbiased per-column variance; the variance term
    of :func:`vicreg_loss_convention` is ``s / K * sum relu(args)`` (s of
    :func:`vicreg_convention_hinge_weight`).

    Parameters
    ----------
    Z : torch.Tensor of shape (2 N', K)
        Stacked views (``views_relation(N', 2)`` row order), N' >= 2.

    Returns
    -------
    torch.Tensor of shape (2K,)
        Branch z_a's K arguments, then z_b's.
    """
    return torch.cat([_vicreg_hinge_arguments(z) for z in branches_from_views.unchecked(Z, 2)])


@validate_params(
    Divisible("Z", 2),
    Z=_STACKED,
    convention=Choice(VICREG_CONVENTIONS),
    sim_coeff=_COEFF,
    cov_coeff=_COEFF,
)
def vicreg_convention_smooth_part(
    Z: torch.Tensor, convention: str, *, sim_coeff: float = 25.0, cov_coeff: float = 1.0
) -> torch.Tensor:
    """The smooth part of the codebases' VICReg on stacked views (0-d tensor).

    ``sim_coeff * mse(z_a, z_b) + cov_coeff * (c(z_a) + c(z_b))``: exactly
    :func:`vicreg_loss_convention` with ``std_coeff = 0``, (z_a, z_b) =
    :func:`branches_from_views` (Z). The full loss is this plus
    ``vicreg_convention_hinge_weight(convention, K, std_coeff) *
    relu(vicreg_convention_hinge_arguments(Z)).sum()``.

    Parameters
    ----------
    Z : torch.Tensor of shape (2 N', K)
        Stacked views, N' >= 2.
    convention : {"official", "lightly", "solo"}
    sim_coeff, cov_coeff : float
        Non-negative finite weights (defaults 25 / 1, as the codebases).
    """
    z_a, z_b = branches_from_views.unchecked(Z, 2)
    return vicreg_loss_convention.unchecked(
        z_a, z_b, convention=convention, sim_coeff=sim_coeff, std_coeff=0.0, cov_coeff=cov_coeff
    )


@validate_params(convention=Choice(VICREG_CONVENTIONS), n_components=Int(low=1), std_coeff=_COEFF)
def vicreg_convention_hinge_weight(
    convention: str, n_components: int, std_coeff: float = 25.0
) -> float:
    """Weight w of the hinge sum in the codebases' VICReg: ``w = std_coeff * s / K``.

    Each branch's variance term is a mean over the K columns, and the two branches are halved
    (s = 1/2, "official" and "lightly") or summed (s = 1, "solo").

    Parameters
    ----------
    convention : {"official", "lightly", "solo"}
    n_components : int
        K >= 1, the embedding dimension.
    std_coeff : float, default=25.0
        Non-negative finite variance weight.
    """
    return std_coeff * _VICREG_BRANCH_SCALE[convention] / n_components
