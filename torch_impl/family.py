"""Which family is a two-branch SSL loss? GA23 Prop. 3.2 as an invariance test.

GA23 (Sec. 3, Def. 3.2, Prop. 3.2) calls a method *sample-contrastive* when its repulsive term
acts on the (N, N) Gram matrix of the samples, K^T K, and *dimension-contrastive* when it acts
on the (M, M) matrix of the dimensions, K K^T (K is (M, N), columns = samples). A function of
K depends on K only through K^T K exactly when it is invariant under K -> Q K for every
orthogonal (M, M) Q, and only through K K^T exactly when it is invariant under K -> K Q for
every orthogonal (N, N) Q (the first fundamental theorem of invariant theory for O(n)). For a
batch-first loss ``f(z_a, z_b)`` with z = K^T of shape (N, M) the two tests read::

    sample-contrastive:     f(z_a Q^T, z_b Q^T) = f(z_a, z_b)   for Q in O(M)   (dimensions)
    dimension-contrastive:  f(Q z_a, Q z_b)     = f(z_a, z_b)   for Q in O(N)   (samples)

The same Q acts on both branches, so cross-branch matrices (z_a z_b^T, z_a^T z_b) are allowed,
as BarlowTwins' cross-correlation needs. A method that centres over the batch (VICReg's and
BarlowTwins' covariances) is invariant only when Q also fixes the all-ones vector, Q 1 = 1:
centring, ``P = I - 1 1^T / N``, satisfies ``Q^T P Q = P`` exactly for those Q. Both variants
are measured on each side (the centred sample-side variant covers losses that centre each
embedding across its dimensions, like VICReg-ctr, GA23 Eq. 13).

The invariance (positive-pair) term, e.g. ``||z_a - z_b||_F^2`` or the cosine of the positive
pair, is usually invariant under both groups: the test then classifies the regulariser, as
Prop. 3.2 does. A spectral function of K K^T (TCR's log det) is a function of K^T K as well,
hence "both". The test decides invariance only; whether the loss is *minimised* where the
off-diagonal entries vanish (Def. 3.2's "minimises L_c / L_nc") is not tested.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import torch

from torch_impl.device import resolve_device
from torch_impl.validation import (
    Device,
    Int,
    InvalidInputError,
    IsCallable,
    Scalar,
    validate_params,
)

__all__ = ["LossFamily", "loss_family", "FAMILIES", "DEFAULT_TOLERANCE"]

FAMILIES = ("sample-contrastive", "dimension-contrastive", "both", "neither")

DEFAULT_TOLERANCE = 1e-10
"""Relative change of the loss that still counts as invariant: float64 round-off scale, well
above the ~1e-15 of an exactly invariant loss and far below an actual dependence."""

# Branch z_b = z_a + this * noise: correlated positive pairs, as a trained encoder gives.
_VIEW_NOISE = 0.5


@dataclasses.dataclass(frozen=True)
class LossFamily:
    """Report of :func:`loss_family`: the measured invariances of one loss.

    Each ``*_error`` is the largest relative change ``|f(T z) - f(z)| / max(|f(z)|, |f(T z)|)``
    over the trials (fresh inputs and a fresh seeded orthogonal draw each).

    Attributes
    ----------
    family : {"sample-contrastive", "dimension-contrastive", "both", "neither"}
    sample_contrastive : bool
        ``sample_centred_error <= tolerance``: invariant under rotations of the embedding
        dimensions fixing the all-ones vector (every rotation, when ``sample_error`` is small
        too), i.e. a function of the Gram matrices (and of each embedding's mean).
    dimension_contrastive : bool
        ``dimension_centred_error <= tolerance``: invariant under rotations of the samples
        fixing the all-ones vector, i.e. a function of the (cross-)covariances.
    sample_error : float
        z -> z Q^T, Q Haar-distributed in O(M).
    sample_centred_error : float
        z -> z Q^T, Q in O(M) with Q 1 = 1.
    dimension_error : float
        z -> Q z, Q Haar-distributed in O(N).
    dimension_centred_error : float
        z -> Q z, Q in O(N) with Q 1 = 1 (the batch mean is kept).
    tolerance : float
        Largest relative change counted as invariant.
    n, m, trials, seed : int
        Batch size N, embedding dimension M, number of trials, seed of the draws.
    """

    family: str
    sample_contrastive: bool
    dimension_contrastive: bool
    sample_error: float
    sample_centred_error: float
    dimension_error: float
    dimension_centred_error: float
    tolerance: float
    n: int
    m: int
    trials: int
    seed: int

    def __str__(self) -> str:
        rows = [
            ("sample (z -> z Q^T, Q in O(M))", self.sample_error),
            ("sample, Q 1 = 1", self.sample_centred_error),
            ("dimension (z -> Q z, Q in O(N))", self.dimension_error),
            ("dimension, Q 1 = 1", self.dimension_centred_error),
        ]
        lines = [
            f"family: {self.family} (N={self.n}, M={self.m}, {self.trials} trials, "
            f"seed {self.seed}, tolerance {self.tolerance:.1e} relative)"
        ]
        for label, error in rows:
            verdict = "invariant" if error <= self.tolerance else "not invariant"
            lines.append(f"  {label:<34} max relative change {error:.3e}  {verdict}")
        return "\n".join(lines)


def _haar_orthogonal(n: int, gen: torch.Generator) -> torch.Tensor:
    """Q (n, n) Haar-distributed on O(n): QR of a Gaussian, signs fixed by diag(R)."""
    q_nn, r_nn = torch.linalg.qr(torch.randn(n, n, generator=gen, dtype=torch.float64))
    return q_nn * torch.sign(torch.diagonal(r_nn))


def _orthogonal_fixing_ones(n: int, gen: torch.Generator) -> torch.Tensor:
    """Q (n, n) orthogonal with Q 1 = 1: ``1 1^T / n + B H B^T``, B (n, n-1) an orthonormal
    basis of 1's complement and H Haar on O(n - 1)."""
    ones_n1 = torch.ones(n, 1, dtype=torch.float64)
    seed_nn = torch.cat([ones_n1, torch.randn(n, n - 1, generator=gen, dtype=torch.float64)], 1)
    basis_nn, _ = torch.linalg.qr(seed_nn)
    complement = basis_nn[:, 1:]
    rotation = _haar_orthogonal(n - 1, gen)
    return ones_n1 @ ones_n1.T / n + complement @ rotation @ complement.T


def _value(loss_fn: Callable, z_a: torch.Tensor, z_b: torch.Tensor) -> float:
    """loss_fn(z_a, z_b) as a float; a non-scalar or non-finite value is the loss's fault."""
    # Copies: a loss that edits its inputs in place must not change the next evaluation's.
    out = loss_fn(z_a.clone(), z_b.clone())
    if isinstance(out, torch.Tensor):
        if out.numel() != 1:
            raise InvalidInputError(
                f"loss_fn must return a scalar, got a tensor of shape {tuple(out.shape)}"
            )
        out = out.item()
    if not isinstance(out, (int, float)) or isinstance(out, bool) or not math.isfinite(out):
        raise InvalidInputError(f"loss_fn must return a finite real scalar, got {out!r}")
    return float(out)


def _relative_change(before: float, after: float) -> float:
    scale = max(abs(before), abs(after))
    return abs(after - before) / scale if scale > 0 else 0.0


@validate_params(
    loss_fn=IsCallable(),
    n=Int(low=2),
    m=Int(low=2),
    trials=Int(low=1),
    seed=Int(low=0),
    tolerance=Scalar(low=0.0, low_inclusive=False),
    device=Device(),
)
def loss_family(
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor | float],
    *,
    n: int = 8,
    m: int = 5,
    trials: int = 8,
    seed: int = 0,
    tolerance: float = DEFAULT_TOLERANCE,
    device: str | torch.device | None = "cpu",
) -> LossFamily:
    """Classify a two-branch loss as sample- or dimension-contrastive (GA23 Prop. 3.2).

    With K = z^T (M, N), GA23 Def. 3.2 contrasts samples through the Gram matrix K^T K and
    dimensions through K K^T. The loss is evaluated at random float64 inputs and again after

    * ``z -> z Q^T`` on both branches, Q orthogonal (M, M): unchanged iff the loss depends on
      K only through the Gram matrices K^T K, within and across the branches
      (sample-contrastive);
    * ``z -> Q z`` on both branches, Q orthogonal (N, N): unchanged iff it depends only through
      K K^T, within and across the branches (dimension-contrastive);

    each also with Q restricted to ``Q 1 = 1``, the rotations that commute with centring (the
    batch for the dimension test, the embedding's coordinates for the sample test). A family
    is granted on the centred variant, the weaker requirement; the general variant's error
    says whether the centring is needed. The positive-pair term is usually invariant under
    both, so the classification is the regulariser's. Each test's error is the largest
    relative change over the trials::

        error = max_trials |f(T z_a, T z_b) - f(z_a, z_b)| / max(|f(z_a, z_b)|, |f(T z_a, T z_b)|)

    (0 when both values are 0), and a test passes when ``error <= tolerance``.

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(z_a, z_b)`` with z_a, z_b float64 tensors of shape (N, M), row i of each
        the two views of sample i; returns a finite scalar (0-d tensor or float). An
        ``nn.Module`` works.
    n : int, default=8
        Batch size N >= 2.
    m : int, default=5
        Embedding dimension M >= 2.
    trials : int, default=8
        Number of draws (fresh inputs and fresh rotations each) >= 1.
    seed : int, default=0
        Seed of every draw (inputs and rotations), >= 0.
    tolerance : float, default=1e-10
        Largest relative change of the loss counted as invariant (float64 round-off scale).
    device : str or torch.device, default="cpu"
        Where the inputs live ("auto": CUDA when present); the draws are made on the CPU, so
        the inputs do not depend on it.

    Returns
    -------
    LossFamily
        Frozen report: the family, the four measured errors and the settings.

    Raises
    ------
    InvalidInputError
        ``loss_fn`` returned a non-scalar or non-finite value.
    """
    dev = resolve_device.unchecked(device)
    gen = torch.Generator().manual_seed(seed)
    errors = {"sample": 0.0, "sample_centred": 0.0, "dimension": 0.0, "dimension_centred": 0.0}
    for _ in range(trials):
        mean_1m = torch.randn(1, m, generator=gen, dtype=torch.float64)
        z_a = mean_1m + torch.randn(n, m, generator=gen, dtype=torch.float64)
        z_b = z_a + _VIEW_NOISE * torch.randn(n, m, generator=gen, dtype=torch.float64)
        moves = {
            "sample": ("right", _haar_orthogonal(m, gen)),
            "sample_centred": ("right", _orthogonal_fixing_ones(m, gen)),
            "dimension": ("left", _haar_orthogonal(n, gen)),
            "dimension_centred": ("left", _orthogonal_fixing_ones(n, gen)),
        }
        z_a, z_b = z_a.to(dev), z_b.to(dev)
        before = _value(loss_fn, z_a, z_b)
        for kind, (side, q) in moves.items():
            q = q.to(dev)
            if side == "right":
                after = _value(loss_fn, z_a @ q.T, z_b @ q.T)
            else:
                after = _value(loss_fn, q @ z_a, q @ z_b)
            errors[kind] = max(errors[kind], _relative_change(before, after))
    sample = errors["sample_centred"] <= tolerance
    dimension = errors["dimension_centred"] <= tolerance
    if sample and dimension:
        family = "both"
    elif sample or dimension:
        family = "sample-contrastive" if sample else "dimension-contrastive"
    else:
        family = "neither"
    return LossFamily(
        family=family,
        sample_contrastive=sample,
        dimension_contrastive=dimension,
        sample_error=errors["sample"],
        sample_centred_error=errors["sample_centred"],
        dimension_error=errors["dimension"],
        dimension_centred_error=errors["dimension_centred"],
        tolerance=tolerance,
        n=n,
        m=m,
        trials=trials,
        seed=seed,
    )
