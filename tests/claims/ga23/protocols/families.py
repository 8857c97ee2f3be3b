"""GA23 Prop. 3.2 (GA23-P2): the methods of GA23 Sec. 4 as two-branch losses, and their family.

Each method is a batch-first loss ``f(z_a, z_b)`` (z_a, z_b of shape (N, M)) built from
``torch_impl.losses``; :func:`torch_impl.family.loss_family` measures its invariance under
rotations of the dimensions (z -> z Q^T: sample-contrastive) and of the samples (z -> Q z:
dimension-contrastive), each in general and with Q 1 = 1. Two tables of expected outcomes:

* :data:`PAPER_FAMILY`: the family Prop. 3.2 gives each method it names (TEXT);
* :data:`DERIVED_INVARIANCE`: the four outcomes we derive from each loss's formula (DERIVED),
  with the reason in :data:`REASONS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

import torch

from torch_impl.family import LossFamily, loss_family
from torch_impl.losses import barlow_twins_loss_convention, vicreg_loss_convention
from torch_impl.losses.contrastive import (
    SIMCLR_VARIANTS,
    simclr_two_branch_loss,
    spectral_contrastive_two_branch_loss,
)
from torch_impl.losses.tcr import total_coding_rate_loss
from torch_impl.losses.vicreg_variants import vicreg_ctr_loss, vicreg_exp_loss

__all__ = [
    "TAU",
    "METHODS",
    "PAPER_FAMILY",
    "DERIVED_INVARIANCE",
    "REASONS",
    "OUTCOMES",
    "method_loss",
    "classify",
    "outcomes",
    "shapes",
    "trials",
]

TAU = 0.5
"""Temperature of every LogSumExp (InfoNCE, VICReg-exp/-ctr); invariance does not depend on it."""


def _infonce(variant: str) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    return lambda z_a, z_b: simclr_two_branch_loss(z_a, z_b, tau=TAU, **SIMCLR_VARIANTS[variant])


def _tcr(normalise: bool) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    # TCR is a regulariser of one branch; the two branches' values are summed.
    return lambda z_a, z_b: (total_coding_rate_loss(z_a, normalise=normalise)
                             + total_coding_rate_loss(z_b, normalise=normalise))


_LOSSES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    **{name: _infonce(name) for name in ("simclr-abs", "simclr-sq", "dcl-sq", "dcl-abs")},
    "spectral": spectral_contrastive_two_branch_loss,
    "barlow-twins-official": lambda z_a, z_b: barlow_twins_loss_convention(
        z_a, z_b, convention="official"),
    "barlow-twins-solo": lambda z_a, z_b: barlow_twins_loss_convention(
        z_a, z_b, convention="solo"),
    "vicreg-official": lambda z_a, z_b: vicreg_loss_convention(z_a, z_b, convention="official"),
    "vicreg-solo": lambda z_a, z_b: vicreg_loss_convention(z_a, z_b, convention="solo"),
    "tcr": _tcr(normalise=True),
    # Not in Prop. 3.2: the rest of GA23 Sec. 4-5's methods, and TCR without its normalisation.
    **{name: _infonce(name) for name in ("simclr", "dcl", "simclr-centred",
                                         "simclr-standardised")},
    "vicreg-exp": lambda z_a, z_b: vicreg_exp_loss(z_a, z_b, tau=TAU),
    "vicreg-ctr": lambda z_a, z_b: vicreg_ctr_loss(z_a, z_b, tau=TAU),
    "tcr-unnormalised": _tcr(normalise=False),
}

METHODS = tuple(_LOSSES)
"""Every audited method: Prop. 3.2's first (in its order), then the others."""

_SAMPLE, _DIMENSION = "sample-contrastive", "dimension-contrastive"
PAPER_FAMILY: Mapping[str, str] = MappingProxyType({
    "simclr-abs": _SAMPLE, "simclr-sq": _SAMPLE, "dcl-sq": _SAMPLE, "dcl-abs": _SAMPLE,
    "spectral": _SAMPLE,
    "barlow-twins-official": _DIMENSION, "barlow-twins-solo": _DIMENSION,
    "vicreg-official": _DIMENSION, "vicreg-solo": _DIMENSION, "tcr": _DIMENSION,
})
"""GA23 Prop. 3.2's family of each method it names."""

OUTCOMES = ("sample", "sample_centred", "dimension", "dimension_centred")
"""The four invariance tests of :func:`torch_impl.family.loss_family`, in this order."""

_ROWS_ONLY = (True, True, False, False)  # a function of the (normalised) Gram matrices
_CENTRED_COV = (False, False, False, True)  # a function of batch-centred (cross-)covariances
DERIVED_INVARIANCE: Mapping[str, tuple[bool, bool, bool, bool]] = MappingProxyType({
    **{name: _ROWS_ONLY for name in ("simclr", "simclr-abs", "simclr-sq", "dcl", "dcl-sq",
                                     "dcl-abs", "simclr-centred", "tcr")},
    "spectral": (True, True, True, True),
    "tcr-unnormalised": (True, True, True, True),
    **{name: _CENTRED_COV for name in ("barlow-twins-official", "barlow-twins-solo",
                                       "vicreg-official", "vicreg-solo", "vicreg-exp")},
    "vicreg-ctr": (False, True, False, False),
    "simclr-standardised": (False, False, False, False),
})
"""Expected outcome of each test in :data:`OUTCOMES` (True: invariant), from the formulas."""

REASONS: Mapping[str, str] = MappingProxyType({
    "infonce": "cosines of the 2N rows: z -> z Q^T keeps every inner product and norm",
    "simclr-centred": "centring the columns commutes with z -> z Q^T (the mean rotates too)",
    "simclr-standardised": "per-column scaling does not commute with rotating the columns, and "
                           "cosines of rows are not kept by mixing the rows",
    "spectral": "-4 tr(z_a z_b^T) + ||Z Z^T||_F^2 with every ordered pair, i = j included, a "
                "negative: ||Z Z^T||_F = ||Z^T Z||_F, so both rotations keep it",
    "centred-covariance": "the positive term ||z_a - z_b||_F^2 and the (cross-)covariances of "
                          "batch-centred columns are kept by z -> Q z iff Q 1 = 1 (Q^T P Q = P); "
                          "the per-dimension variances / diagonal are not kept by z -> z Q^T",
    "vicreg-ctr": "variance and c_exp of z^T: each embedding centred across its dimensions, kept "
                  "by z -> z Q^T iff Q 1 = 1",
    "tcr": "log det(I + a Zh^T Zh) = log det(I + a Zh Zh^T) of the row-normalised Zh: a "
           "function of the normalised Gram, kept by z -> z Q^T; z -> Q z changes the row norms",
    "tcr-unnormalised": "log det(I + a Z^T Z) = log det(I + a Z Z^T): a spectral function, "
                        "both rotations keep it",
})
"""Why each row of :data:`DERIVED_INVARIANCE` is what it is (keys: methods or groups)."""


def method_loss(method: str) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The two-branch loss ``f(z_a, z_b)`` of a method of :data:`METHODS`."""
    return _LOSSES[method]


def classify(method: str, n: int, m: int, seed: int, n_trials: int,
             device: torch.device | str) -> LossFamily:
    """:func:`torch_impl.family.loss_family` of one method at batch size n, dimension m."""
    return loss_family(method_loss(method), n=n, m=m, trials=n_trials, seed=seed, device=device)


def outcomes(report: LossFamily) -> tuple[bool, bool, bool, bool]:
    """The four tests of :data:`OUTCOMES` as decided by the report's tolerance."""
    errors = (report.sample_error, report.sample_centred_error, report.dimension_error,
              report.dimension_centred_error)
    return tuple(error <= report.tolerance for error in errors)


def shapes(profile: str) -> tuple[tuple[int, int], ...]:
    """(N, M) pairs: more samples than dimensions, and fewer (both >= 2 as VICReg needs)."""
    return ((6, 4),) if profile == "quick" else ((8, 5), (3, 7))


def trials(profile: str) -> int:
    """Orthogonal draws per (method, shape), each at fresh random inputs."""
    return 2 if profile == "quick" else 6
