"""VICReg-exp and VICReg-ctr of GA23 (Garrido et al. 2023, Sec. 4, Eqs. 11-13).

Both start from the official two-branch VICReg (:func:`~torch_impl.losses.vicreg_loss_convention`,
whose invariance and variance terms are reused as they are) and replace its covariance term
by a LogSumExp of the covariances, Eq. 11::

    c_exp(K) = (1/d) sum_i log sum_{j != i} exp(C(K)_ij / tau)

C(K) the covariance of GA23's K (M, N): rows = dimensions, centred over the batch, 1/(N - 1),
as VICReg's. In batch-first z = K^T (N, M) this is the (M, M) covariance of z's columns.

* VICReg-exp (Eq. 12): ``lambda inv + mu (v(K) + v(K')) + nu (c_exp(K) + c_exp(K'))``.
* VICReg-ctr (Eq. 13): v and c_exp applied to K^T: the variance of each embedding across its
  M dimensions, and c_exp on the (N, N) Gram of the embeddings, each centred across its
  dimensions, with 1/(M - 1). It is VICReg-exp on the transposed branches: the invariance
  term (a mean of squared differences) does not change under transposition.

``d`` is not defined in GA23; read as the side of C: d = M for VICReg-exp, d = N for
VICReg-ctr (the number of LogSumExp terms summed). Pass ``d`` to take another reading.
"""

from __future__ import annotations

import torch

from torch_impl.losses.conventions import VICREG_CONVENTIONS, vicreg_loss_convention
from torch_impl.validation import (
    Choice,
    Embedding,
    OrNone,
    SameDtype,
    SameShape,
    Scalar,
    validate_params,
)

__all__ = ["logsumexp_covariance", "vicreg_exp_loss", "vicreg_ctr_loss"]


# N >= 2 and M >= 2: both variants take a variance with 1/(side - 1) along one axis and a
# LogSumExp over j != i along the other.
_BRANCH = Embedding(min_rows=2, min_cols=2)
_TAU = Scalar(low=0.0, low_inclusive=False)
_D = OrNone(Scalar(low=0.0, low_inclusive=False))
_COEFF = Scalar()


@validate_params(z=_BRANCH, tau=_TAU, d=_D)
def logsumexp_covariance(z: torch.Tensor, *, tau: float, d: float | None = None) -> torch.Tensor:
    """GA23 Eq. 11, ``c_exp = (1/d) sum_i log sum_{j != i} exp(C_ij / tau)`` (0-d tensor).

    ``C = (z - mean_rows z)^T (z - mean_rows z) / (N - 1)``, the (M, M) covariance of z's
    columns, centred over the batch (VICReg's C(K), K = z^T). The LogSumExp acts on the signed
    covariances (GA23 calls it dimension-contrastive; it pushes them negative, not to zero).

    Parameters
    ----------
    z : torch.Tensor of shape (N, M)
        One branch, rows are samples; N >= 2 (1/(N - 1)), M >= 2 (j != i non-empty).
    tau : float
        Temperature, finite and > 0.
    d : float or None, default=None
        The normaliser 1/d; None: d = M. VICReg-ctr calls this on z^T, where None means N.

    Returns
    -------
    torch.Tensor
        0-d tensor.
    """
    n, m = z.shape
    centred = z - z.mean(dim=0)
    cov_mm = centred.T @ centred / (n - 1)
    self_mm = torch.eye(m, dtype=torch.bool, device=z.device)
    # The diagonal is masked after the 1/tau scaling: -inf / tau gives NaN gradients.
    lse_m = torch.logsumexp((cov_mm / tau).masked_fill(self_mm, float("-inf")), dim=1)
    return lse_m.sum() / (m if d is None else d)


_VICREG_EXP = validate_params(
    SameShape("z_a", "z_b"),
    SameDtype("z_a", "z_b"),
    z_a=_BRANCH,
    z_b=_BRANCH,
    tau=_TAU,
    sim_coeff=_COEFF,
    std_coeff=_COEFF,
    cov_coeff=_COEFF,
    d=_D,
    convention=Choice(VICREG_CONVENTIONS),
)


def _vicreg_exp(z_a, z_b, tau, sim_coeff, std_coeff, cov_coeff, d, convention) -> torch.Tensor:
    """Eq. 12 on batch-first branches: official invariance + variance, then nu * c_exp."""
    inv_var = vicreg_loss_convention.unchecked(
        z_a, z_b, convention=convention, sim_coeff=sim_coeff, std_coeff=std_coeff, cov_coeff=0.0
    )
    c_exp = logsumexp_covariance.unchecked(z_a, tau=tau, d=d) + logsumexp_covariance.unchecked(
        z_b, tau=tau, d=d
    )
    return inv_var + cov_coeff * c_exp


@_VICREG_EXP
def vicreg_exp_loss(
    z_a: torch.Tensor,
    z_b: torch.Tensor,
    *,
    tau: float,
    sim_coeff: float = 25.0,
    std_coeff: float = 25.0,
    cov_coeff: float = 1.0,
    d: float | None = None,
    convention: str = "official",
) -> torch.Tensor:
    """VICReg-exp, GA23 Eq. 12 (0-d tensor).

    ``sim_coeff * mse(z_a, z_b) + std_coeff * s * (v(z_a) + v(z_b))
    + cov_coeff * (c_exp(z_a) + c_exp(z_b))``: :func:`~torch_impl.losses.vicreg_loss_convention`
    with its covariance term replaced by :func:`logsumexp_covariance` (Eq. 11). v is the
    codebase's hinge ``mean_j relu(1 - sqrt(Var(z_j) + 1e-4))`` over the M dimensions and s
    its branch factor (1/2 for "official").

    Parameters
    ----------
    z_a, z_b : torch.Tensor of shape (N, M)
        The two branches (row i of each = the two views of sample i); N >= 2, M >= 2, same
        dtype.
    tau : float
        Temperature of c_exp, finite and > 0 (GA23's value is in its supp., not seen).
    sim_coeff, std_coeff, cov_coeff : float, default=25.0, 25.0, 1.0
        lambda, mu, nu of Eq. 12; non-negative, finite.
    d : float or None, default=None
        Normaliser of c_exp; None: d = M.
    convention : {"official", "lightly", "solo"}, default="official"
        Whose variance-term branch factor s to use.

    Returns
    -------
    torch.Tensor
        0-d tensor.
    """
    return _vicreg_exp(z_a, z_b, tau, sim_coeff, std_coeff, cov_coeff, d, convention)


@_VICREG_EXP
def vicreg_ctr_loss(
    z_a: torch.Tensor,
    z_b: torch.Tensor,
    *,
    tau: float,
    sim_coeff: float = 25.0,
    std_coeff: float = 25.0,
    cov_coeff: float = 1.0,
    d: float | None = None,
    convention: str = "official",
) -> torch.Tensor:
    """VICReg-ctr, GA23 Eq. 13: :func:`vicreg_exp_loss` on ``(z_a.T, z_b.T)`` (0-d tensor).

    ``sim_coeff * mse(z_a, z_b) + std_coeff * s * (v(z_a^T) + v(z_b^T))
    + cov_coeff * (c_exp(z_a^T) + c_exp(z_b^T))``, where

    * ``v(z^T) = mean_i relu(1 - sqrt(Var_j(z_ij) + 1e-4))``: each embedding's unbiased
      variance across its M dimensions (it regularises the embeddings' centred norms);
    * ``c_exp(z^T) = (1/d) sum_i log sum_{i' != i} exp(G_ii' / tau)`` with
      ``G = z~ z~^T / (M - 1)`` the (N, N) Gram of the embeddings z~_i = z_i - mean_j z_ij,
      each centred across its dimensions: DCL's repulsion on centred embeddings.

    Parameters
    ----------
    z_a, z_b : torch.Tensor of shape (N, M)
        The two branches (row i of each = the two views of sample i); N >= 2, M >= 2, same
        dtype.
    tau : float
        Temperature of c_exp, finite and > 0.
    sim_coeff, std_coeff, cov_coeff : float, default=25.0, 25.0, 1.0
        lambda, mu, nu of Eq. 13; non-negative, finite.
    d : float or None, default=None
        Normaliser of c_exp; None: d = N (GA23's 1/d read as 1/N).
    convention : {"official", "lightly", "solo"}, default="official"
        Whose variance-term branch factor s to use.

    Returns
    -------
    torch.Tensor
        0-d tensor.
    """
    return _vicreg_exp(z_a.T, z_b.T, tau, sim_coeff, std_coeff, cov_coeff, d, convention)
