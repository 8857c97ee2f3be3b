"""Two-branch contrastive losses of GA23 (Garrido et al. 2023, Secs. 3 and 5.1).

Inputs are two branches z_a, z_b of shape (N, M), batch-first: row i of z_a and row i of z_b are
the two views of sample i (GA23's K and K' are their transposes, (M, N)).

* :func:`simclr_two_branch_loss`: NT-Xent as SimCLR uses it (2N embeddings, each with one
  positive and 2N - 2 negatives), with GA23's variants as options: SimCLR-sq / SimCLR-abs
  (Sec. 3), DCL (the positive removed from the denominator) and DCL-sq / DCL-abs, and SimCLR
  with dimension centring (A) or dimension standardisation (B) (Sec. 5.1, Eq. 14).
  :data:`SIMCLR_VARIANTS` names each variant's keyword arguments.
* :func:`normalise_dimensions`: the per-dimension normalisations (A) and (B).
* :func:`spectral_contrastive_two_branch_loss`: :func:`spectral_contrastive_loss` on the
  stacked branches with the views relation (no second formula).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import MappingProxyType

import torch
import torch.nn.functional as F

from torch_impl.losses.spectral_contrastive import spectral_contrastive_loss
from torch_impl.relations import as_relation, views_relation
from torch_impl.validation import (
    Choice,
    Embedding,
    Flag,
    OrNone,
    SameDtype,
    SameShape,
    Scalar,
    validate_params,
)

__all__ = [
    "SIMILARITY_TRANSFORMS",
    "DIMENSION_NORMALISATIONS",
    "SIMCLR_VARIANTS",
    "normalise_dimensions",
    "simclr_two_branch_loss",
    "spectral_contrastive_two_branch_loss",
]

_TRANSFORMS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "identity": lambda s: s,
    "square": torch.square,
    "abs": torch.abs,
}
SIMILARITY_TRANSFORMS = tuple(_TRANSFORMS)
"""f applied to the similarities inside the LogSumExp: SimCLR, SimCLR-sq, SimCLR-abs."""

DIMENSION_NORMALISATIONS = ("none", "centre", "standardise")
"""Per-dimension normalisation before the loss: none, GA23's (A) and (B) (Sec. 5.1)."""

SIMCLR_VARIANTS = MappingProxyType(
    {
        "simclr": {},
        "simclr-sq": {"similarity_transform": "square"},
        "simclr-abs": {"similarity_transform": "abs"},
        "dcl": {"decoupled": True},
        "dcl-sq": {"decoupled": True, "similarity_transform": "square"},
        "dcl-abs": {"decoupled": True, "similarity_transform": "abs"},
        "simclr-centred": {"dimension_normalisation": "centre"},
        "simclr-standardised": {"dimension_normalisation": "standardise"},
    }
)
"""GA23's method name -> keyword arguments of :func:`simclr_two_branch_loss` (besides tau)."""

_BRANCH = Embedding(min_rows=2)
_BRANCH_CHECKS = (SameShape("z_a", "z_b"), SameDtype("z_a", "z_b"))


@validate_params(z=Embedding(), mode=Choice(DIMENSION_NORMALISATIONS))
def normalise_dimensions(z: torch.Tensor, mode: str) -> torch.Tensor:
    """GA23 Sec. 5.1's per-dimension normalisation of one branch, (N, M) -> (N, M).

    Acts on each dimension, i.e. each column of the batch-first z (a row of GA23's K):

    * "none": z unchanged;
    * "centre" (A): ``z_j - mean_i z_ij``, each column centred over the batch;
    * "standardise" (B, Eq. 14): centred, then rescaled to norm ``sqrt(N / M)``, so that
      ``||z||_F^2 = N`` (the mean squared embedding norm is 1, as after SimCLR's L2
      normalisation).

    Eq. 14 runs its index over ``K_{., i}, i in [1..M]``, which in GA23's own layout are
    embeddings, not dimensions; the text (centring and scaling "each dimension") fixes the
    operation as per dimension, which is what is implemented.

    Parameters
    ----------
    z : torch.Tensor of shape (N, M)
        One branch, rows are samples; floating and finite.
    mode : {"none", "centre", "standardise"}

    Returns
    -------
    torch.Tensor of shape (N, M)
        A new tensor except for "none". A column constant over the batch is centred to zero
        and left at zero by "standardise" (it has no direction to rescale).
    """
    if mode == "none":
        return z
    centred = z - z.mean(dim=0)
    if mode == "centre":
        return centred
    n, m = z.shape
    norm_m = torch.linalg.vector_norm(centred, dim=0)
    norm_m = torch.where(norm_m > 0, norm_m, torch.ones_like(norm_m))
    return centred * (math.sqrt(n / m) / norm_m)


@validate_params(
    *_BRANCH_CHECKS,
    z_a=_BRANCH,
    z_b=_BRANCH,
    tau=Scalar(low=0.0, low_inclusive=False),
    similarity_transform=Choice(SIMILARITY_TRANSFORMS),
    decoupled=Flag(),
    transform_positive=Flag(),
    dimension_normalisation=Choice(DIMENSION_NORMALISATIONS),
    cosine=OrNone(Flag()),
)
def simclr_two_branch_loss(
    z_a: torch.Tensor,
    z_b: torch.Tensor,
    *,
    tau: float,
    similarity_transform: str = "identity",
    decoupled: bool = False,
    transform_positive: bool = False,
    dimension_normalisation: str = "none",
    cosine: bool | None = None,
) -> torch.Tensor:
    """NT-Xent on two branches and GA23's variants of it (Sec. 3, Sec. 5.1), 0-d tensor.

    The 2N embeddings ``u = [z_a; z_b]`` (after :func:`normalise_dimensions` of each branch)
    give similarities ``s_ik`` (cosines by default); row i's positive is p(i) = i + N mod 2N and
    its 2N - 2 negatives are the k not in {i, p(i)}. With f the similarity transform::

        loss = 1/(2N) sum_i [ -g(s_ip) / tau
                              + log( [not decoupled] e^{g(s_ip) / tau}
                                     + sum_{k not in {i, p(i)}} e^{f(s_ik) / tau} ) ]

    g = identity unless ``transform_positive`` (then g = f). The mean over the 2N anchors is
    SimCLR's (Chen et al. 2020, l(2k-1, 2k) + l(2k, 2k-1) over 2N). For the identity transform
    and no normalisation it is BL22's :func:`~torch_impl.losses.simclr_loss` on the stacked
    branches with ``views_relation(N, 2)``, divided by 2N.

    Variants (:data:`SIMCLR_VARIANTS`):

    * SimCLR-sq / SimCLR-abs (GA23 Sec. 3): f(s) = s^2 / |s| on the negatives' similarities.
      Reading: only the negatives change, the positive keeps its signed similarity; whether
      GA23 also transforms the positive is in its supp. D, not seen. ``transform_positive=True``
      gives that other reading.
    * DCL (Yeh et al. 2021), DCL-sq / DCL-abs: ``decoupled=True`` drops the positive from the
      denominator (N >= 2 keeps it non-empty).
    * SimCLR (A) / (B) (GA23 Sec. 5.1): ``dimension_normalisation`` "centre" / "standardise".
      Reading: GA23's Table 1 gives (A) embedding norm 1 and (B) dimension norm sqrt(N / M)
      instead, so by default (A) uses cosines and (B) plain dot products of the standardised
      embeddings (rescaling each embedding to norm 1 would undo (B)'s dimension norms).
      ``cosine`` overrides that choice.

    Parameters
    ----------
    z_a, z_b : torch.Tensor of shape (N, M)
        The two branches (row i of each = the two views of sample i); N >= 2, same dtype.
    tau : float
        Temperature, finite and > 0.
    similarity_transform : {"identity", "square", "abs"}, default="identity"
        f on the negatives' similarities inside the LogSumExp.
    decoupled : bool, default=False
        DCL: no positive term in the denominator.
    transform_positive : bool, default=False
        Apply f to the positive's similarity too (numerator and denominator).
    dimension_normalisation : {"none", "centre", "standardise"}, default="none"
        Per-branch, per-dimension normalisation before the similarities.
    cosine : bool or None, default=None
        Similarities as cosines (True; ``F.normalize``, a zero row has cosine 0 with every row)
        or dot products (False). None: dot products for "standardise", cosines otherwise.

    Returns
    -------
    torch.Tensor
        0-d tensor, the mean over the 2N anchors.
    """
    transform = _TRANSFORMS[similarity_transform]
    if cosine is None:
        cosine = dimension_normalisation != "standardise"
    branches = [normalise_dimensions.unchecked(z, dimension_normalisation) for z in (z_a, z_b)]
    u = torch.cat(branches)
    if cosine:
        u = F.normalize(u, dim=1)
    n2 = u.shape[0]
    sim_nn = u @ u.T
    anchor = torch.arange(n2, device=u.device)
    positive = anchor.roll(n2 // 2)
    pos_sim_n = sim_nn[anchor, positive]
    pos_logit_n = (transform(pos_sim_n) if transform_positive else pos_sim_n) / tau
    # Self and positive masked AFTER the scaling (as simclr_loss): -inf / tau would give NaN
    # gradients; masked_fill passes zero gradient to the masked entries.
    not_negative_nn = torch.eye(n2, dtype=torch.bool, device=u.device)
    not_negative_nn[anchor, positive] = True
    neg_logit_nn = (transform(sim_nn) / tau).masked_fill(not_negative_nn, float("-inf"))
    if decoupled:
        lse_n = torch.logsumexp(neg_logit_nn, dim=1)
    else:
        lse_n = torch.logsumexp(torch.cat([pos_logit_n[:, None], neg_logit_nn], dim=1), dim=1)
    return (lse_n - pos_logit_n).mean()


@validate_params(*_BRANCH_CHECKS, z_a=Embedding(), z_b=Embedding())
def spectral_contrastive_two_branch_loss(z_a: torch.Tensor, z_b: torch.Tensor) -> torch.Tensor:
    """The spectral contrastive loss on two branches (HaoChen et al. 2021; GA23 Prop. 3.2).

    :func:`~torch_impl.losses.spectral_contrastive_loss` on ``Z = [z_a; z_b]`` (2N, M) with
    G = ``views_relation(N, 2)``: ``-2 tr(Z^T G Z) + ||Z^T Z||_F^2 = -4 sum_i z_a,i^T z_b,i
    + ||Z Z^T||_F^2`` (every ordered pair a negative, self-pairs included; no 1/N).

    Parameters
    ----------
    z_a, z_b : torch.Tensor of shape (N, M)
        The two branches (row i of each = the two views of sample i); same dtype.

    Returns
    -------
    torch.Tensor
        0-d tensor.
    """
    G = as_relation(views_relation.unchecked(z_a.shape[0], 2, dtype=z_a.dtype, device=z_a.device))
    return spectral_contrastive_loss.unchecked(torch.cat([z_a, z_b]), G)
