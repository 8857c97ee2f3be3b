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

Both tests need ``f`` to be a *function* of its inputs. Every evaluation therefore starts from
the same state and the same random draws: an ``nn.Module`` loss (or a bound method of one) is
deep-copied from a pristine copy before each evaluation, so running statistics (TiCo's running
covariance) cannot leak from one evaluation into the next, and torch's random generators (CPU,
and the CUDA devices on CUDA) are forked and seeded identically before each evaluation, so a
loss drawing random projections inside (sliced regularisers) sees the same draw at ``z`` and at
the moved ``T z``. Each trial evaluates its original inputs twice; a loss that still differs
(state outside what can be reset, randomness not drawn from torch's generator) raises
:class:`LossNotAFunctionError` instead of reading "neither".

Invariance says what the repulsion acts on, not whether there is one: a loss with no repulsive
term at all (an alignment-only MSE, a constant, weight decay, BYOL / SimSiam's negative cosine)
is invariant under both rotations or acts on the Gram matrix through the positive pair only.
:func:`loss_repulsion` measures whether the loss penalises collapse, and :func:`loss_family`
reports it beside the family.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import math
import random
import types
from collections.abc import Callable, Iterator

import numpy as np
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

__all__ = [
    "LossFamily",
    "LossRepulsion",
    "LossNotAFunctionError",
    "loss_family",
    "loss_repulsion",
    "FAMILIES",
    "REPULSIONS",
    "DEFAULT_TOLERANCE",
]

FAMILIES = ("sample-contrastive", "dimension-contrastive", "both", "neither")

REPULSIONS = ("repulsive", "no repulsion", "attracts collapse", "mixed", "undefined at collapse")
"""Outcomes of :func:`loss_repulsion` (its docstring gives the rule)."""

DEFAULT_TOLERANCE = 1e-10
"""Relative change of the loss that still counts as invariant: float64 round-off scale, well
above the ~1e-15 of an exactly invariant loss and far below an actual dependence."""

SCALE_FLOOR = 1e-3
"""Smallest scale of a relative change: ``|f' - f| / max(|f|, |f'|, SCALE_FLOOR)``. A loss that
is 0 (or round-off, e.g. ``1 - cos(z, z)``) at both points is compared by its absolute change,
so a change below ``tolerance * SCALE_FLOOR`` (1e-13 by default) counts as none; the inputs are
unit-scale, where a genuine dependence of any loss changes it by far more."""

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
    state_reset : str
        What was reset before each evaluation (a deep copy of an ``nn.Module`` loss; nothing
        for a plain function, whose closures and globals cannot be reset).
    randomness : str
        How torch's random generators were controlled during each evaluation.
    repulsion : LossRepulsion
        :func:`loss_repulsion` with the same n, m, trials, seed and tolerance: whether the
        loss penalises collapse at all (a family says what a repulsion acts on, not that
        there is one).
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
    state_reset: str
    randomness: str
    repulsion: LossRepulsion

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
        lines.append(f"  {self.repulsion.summary()}")
        lines.append(f"  each evaluation: {self.state_reset}; {self.randomness}")
        return "\n".join(lines)


@dataclasses.dataclass(frozen=True)
class LossRepulsion:
    """Report of :func:`loss_repulsion`: does the loss penalise collapse?

    Attributes
    ----------
    repulsion : {"repulsive", "no repulsion", "attracts collapse", "mixed", "undefined at collapse"}
        The verdict; :func:`loss_repulsion` gives the rule.
    min_excess, max_excess : float or None
        Smallest and largest relative excess of the loss at the collapsed inputs over the
        spread ones, ``(f(C) - f(S)) / max(|f(C)|, |f(S)|, SCALE_FLOOR)``, over the trials;
        None when the loss is undefined at collapse.
    detail : str
        Why the loss is undefined at collapse (the error or the value); "" otherwise.
    tolerance : float
        Largest relative excess counted as none.
    n, m, trials, seed : int
        Batch size N, embedding dimension M, number of trials, seed of the draws.
    state_reset, randomness : str
        What was reset and how torch's random generators were controlled per evaluation.
    """

    repulsion: str
    min_excess: float | None
    max_excess: float | None
    detail: str
    tolerance: float
    n: int
    m: int
    trials: int
    seed: int
    state_reset: str
    randomness: str

    def summary(self) -> str:
        """One line: the verdict and the measured excess of the loss at collapse."""
        if self.min_excess is None or self.max_excess is None:
            return f"repulsion: {self.repulsion} ({self.detail})"
        return (
            f"repulsion: {self.repulsion} (loss at collapse vs spread, z_b = z_a: relative "
            f"excess min {self.min_excess:.3e}, max {self.max_excess:.3e})"
        )

    def __str__(self) -> str:
        return (
            f"{self.summary()}\n  N={self.n}, M={self.m}, {self.trials} trials, seed {self.seed}, "
            f"tolerance {self.tolerance:.1e} relative\n"
            f"  each evaluation: {self.state_reset}; {self.randomness}"
        )


class LossNotAFunctionError(InvalidInputError):
    """The loss gave two different values for the same inputs, state reset and torch's random
    generators seeded alike: an invariance test of it would measure noise, not the loss."""


# The arguments loss_family and loss_repulsion share, declared once.
_PROBE_PARAMS = {"loss_fn": IsCallable(), "n": Int(low=2), "m": Int(low=2), "trials": Int(low=1),
                 "seed": Int(low=0), "tolerance": Scalar(low=0.0, low_inclusive=False),
                 "device": Device()}


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


def _scalar(out: object) -> float:
    """A loss's output as a float; a non-scalar or non-finite value is the loss's fault."""
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
    """``|after - before| / max(|before|, |after|, SCALE_FLOOR)``: symmetric, so a loss that is
    0 (or negative) on one side still shows its change; the floor keeps round-off of a loss
    that is 0 at both points from reading as a dependence."""
    return abs(after - before) / max(abs(before), abs(after), SCALE_FLOOR)


@contextlib.contextmanager
def _foreign_rng_seeded(seed: int) -> Iterator[None]:
    """Python's and numpy's global generators seeded, and restored afterwards (diagnosis only:
    the tests do not control them, a loss drawing from them is rejected)."""
    py_state, np_state = random.getstate(), np.random.get_state()
    random.seed(seed)
    np.random.seed(seed)
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)


class _Evaluator:
    """``loss_fn(z_a, z_b)`` as a float, every evaluation from the same state and random draws.

    An ``nn.Module`` (or a bound method of one) is deep-copied from a pristine copy per
    evaluation: running statistics, buffers and plain attributes (TiCo keeps its covariance in
    one) start where they started. Torch's generators are forked and seeded with ``seed`` per
    evaluation, so random projections drawn inside the loss are the same at z and at T z.
    """

    def __init__(self, loss_fn: Callable, seed: int, dev: torch.device) -> None:
        self.seed = seed
        owner = loss_fn.__self__ if isinstance(loss_fn, types.MethodType) else loss_fn
        self._module = None
        if isinstance(owner, torch.nn.Module):
            # The caller's module is never called: its state stays as it was handed over.
            self._module = copy.deepcopy(owner)
            self._method = loss_fn.__func__ if owner is not loss_fn else None
            kind = "nn.Module" if owner is loss_fn else "nn.Module's bound method"
            self.state_reset = f"{kind} deep-copied from a pristine copy (state reset)"
        else:
            self._loss_fn = loss_fn
            self.state_reset = "a function: no state to reset"
        # Every CUDA device: torch.manual_seed seeds them all, so all are restored afterwards.
        self._cuda = list(range(torch.cuda.device_count())) if dev.type == "cuda" else []
        where = "CPU and CUDA generators" if self._cuda else "CPU generator"
        self.randomness = f"torch's {where} forked and seeded {seed}"

    def _fresh(self) -> Callable:
        if self._module is None:
            return self._loss_fn
        module = copy.deepcopy(self._module)
        return module if self._method is None else types.MethodType(self._method, module)

    def __call__(self, z_a: torch.Tensor, z_b: torch.Tensor, *, foreign: bool = False) -> float:
        loss_fn = self._fresh()
        with torch.random.fork_rng(devices=self._cuda):
            torch.manual_seed(self.seed)
            # Copies: a loss editing its inputs in place must not change the next evaluation's.
            if foreign:
                with _foreign_rng_seeded(self.seed):
                    out = loss_fn(z_a.clone(), z_b.clone())
            else:
                out = loss_fn(z_a.clone(), z_b.clone())
        return _scalar(out)

    def checked(self, z_a: torch.Tensor, z_b: torch.Tensor, tolerance: float) -> float:
        """The value at (z_a, z_b), evaluated twice: LossNotAFunctionError when they differ."""
        first, second = self(z_a, z_b), self(z_a, z_b)
        change = _relative_change(first, second)
        if change <= tolerance:
            return first
        seeded_alike = (self(z_a, z_b, foreign=True), self(z_a, z_b, foreign=True))
        if _relative_change(*seeded_alike) <= tolerance:
            cause = ("it draws from numpy's or python's global random generator (agrees with "
                     "them seeded alike): draw from torch's generator, which is controlled")
        elif self._module is not None:
            cause = ("state that survives the reset of the module (a global, a closure, an "
                     "object shared with the copy) or randomness not from torch's generator "
                     "(e.g. numpy.random.default_rng(), os entropy)")
        else:
            cause = ("state kept between calls (a closure, a global, an attribute: wrap it in "
                     "an nn.Module, which is reset per evaluation) or randomness not from torch's "
                     "generator (e.g. numpy.random.default_rng(), os entropy)")
        raise LossNotAFunctionError(
            f"loss_fn is not a function of its inputs: two evaluations at the same inputs gave "
            f"{first!r} and {second!r} (relative change {change:.3e} > tolerance "
            f"{tolerance:.1e}) with {self.state_reset} and {self.randomness}; cause: {cause}"
        )


@validate_params(**_PROBE_PARAMS)
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

        error = max_trials |f(T z) - f(z)| / max(|f(z)|, |f(T z)|, 1e-3)    (z = (z_a, z_b))

    (the floor :data:`SCALE_FLOOR` = 1e-3: a loss that is 0 before a move still shows the change
    after it, and round-off of a loss that is 0 at both points is not a dependence), and a test
    passes when ``error <= tolerance``. Every evaluation starts from a deep copy of an
    ``nn.Module`` loss and with torch's random generators forked and seeded ``seed``; each
    trial's original inputs are evaluated twice, and a loss whose two values differ by more than
    the tolerance is rejected (:class:`LossNotAFunctionError`). The report also carries
    :func:`loss_repulsion` of the loss with the same settings.

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(z_a, z_b)`` with z_a, z_b float64 tensors of shape (N, M), row i of each
        the two views of sample i; returns a finite scalar (0-d tensor or float). An
        ``nn.Module`` (or a bound method of one) is deep-copied per evaluation, so its state
        is reset; the module handed over is never called.
    n : int, default=8
        Batch size N >= 2.
    m : int, default=5
        Embedding dimension M >= 2.
    trials : int, default=8
        Number of draws (fresh inputs and fresh rotations each) >= 1.
    seed : int, default=0
        Seed of every draw (inputs and rotations), >= 0, and of torch's generators before
        each evaluation.
    tolerance : float, default=1e-10
        Largest relative change of the loss counted as invariant (float64 round-off scale).
    device : str or torch.device, default="cpu"
        Where the inputs live ("auto": CUDA when present); the draws are made on the CPU, so
        the inputs do not depend on it.

    Returns
    -------
    LossFamily
        Frozen report: the family, the four measured errors, the repulsion, what was reset and
        controlled, and the settings.

    Raises
    ------
    InvalidInputError
        ``loss_fn`` returned a non-scalar or non-finite value.
    LossNotAFunctionError
        ``loss_fn`` gave two values at the same inputs (a subclass of InvalidInputError); the
        message names the likely cause.
    """
    dev = resolve_device.unchecked(device)
    evaluate = _Evaluator(loss_fn, seed, dev)
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
        before = evaluate.checked(z_a, z_b, tolerance)
        for kind, (side, q) in moves.items():
            q = q.to(dev)
            if side == "right":
                after = evaluate(z_a @ q.T, z_b @ q.T)
            else:
                after = evaluate(q @ z_a, q @ z_b)
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
        state_reset=evaluate.state_reset,
        randomness=evaluate.randomness,
        repulsion=_repulsion(evaluate, n, m, trials, seed, tolerance, dev),
    )


def _spread_and_collapsed(
    n: int, m: int, gen: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """S (n, m) spread: ``sqrt(n) U V^T`` of the centred Gaussian ``P G = U Sigma V^T``
    (centred columns, ``S^T S = n I`` when n - 1 >= m); C (n, m) collapsed onto one Haar
    direction u: ``C_i = ||S_i|| u``, each row's norm kept."""
    g_nm = torch.randn(n, m, generator=gen, dtype=torch.float64)
    u_nk, _, vh_km = torch.linalg.svd(g_nm - g_nm.mean(dim=0), full_matrices=False)
    rank = min(n - 1, m)  # centring removes one dimension of the columns' span
    spread = math.sqrt(n) * u_nk[:, :rank] @ vh_km[:rank]
    direction = torch.randn(m, generator=gen, dtype=torch.float64)
    direction = direction / torch.linalg.vector_norm(direction)
    collapsed = torch.linalg.vector_norm(spread, dim=1, keepdim=True) * direction
    return spread, collapsed


def _repulsion(evaluate: _Evaluator, n: int, m: int, trials: int, seed: int,
               tolerance: float, dev: torch.device) -> LossRepulsion:
    gen = torch.Generator().manual_seed(seed)
    excess: list[float] = []
    detail = ""
    for _ in range(trials):
        spread, collapsed = (z.to(dev) for z in _spread_and_collapsed(n, m, gen))
        at_spread = evaluate.checked(spread, spread, tolerance)
        try:
            at_collapse = evaluate(collapsed, collapsed)
        except Exception as exc:  # noqa: BLE001 - a loss may raise at a singular input
            # Whitening losses (Cholesky of a rank-one covariance) have no value at collapse.
            detail = f"loss_fn fails at collapsed inputs: {type(exc).__name__}: {exc}"
            break
        excess.append(_relative_change(at_spread, at_collapse) * (1 if at_collapse >= at_spread
                                                                  else -1))
    if detail:
        verdict, low, high = "undefined at collapse", None, None
    else:
        low, high = min(excess), max(excess)
        if max(abs(low), abs(high)) <= tolerance:
            verdict = "no repulsion"
        elif low > tolerance:
            verdict = "repulsive"
        elif high < -tolerance:
            verdict = "attracts collapse"
        else:
            verdict = "mixed"
    return LossRepulsion(
        repulsion=verdict, min_excess=low, max_excess=high, detail=detail, tolerance=tolerance,
        n=n, m=m, trials=trials, seed=seed, state_reset=evaluate.state_reset,
        randomness=evaluate.randomness,
    )


@validate_params(**_PROBE_PARAMS)
def loss_repulsion(
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor | float],
    *,
    n: int = 8,
    m: int = 5,
    trials: int = 8,
    seed: int = 0,
    tolerance: float = DEFAULT_TOLERANCE,
    device: str | torch.device | None = "cpu",
) -> LossRepulsion:
    """Does a two-branch loss penalise collapse? The loss at collapsed vs spread embeddings.

    Each trial draws G (N, M) Gaussian and a Haar unit vector u in R^M (float64, seeded) and
    evaluates the loss at two inputs with the *same* alignment, both branches equal
    (``z_b = z_a``, every positive pair perfectly aligned), and the same row norms:

    * spread: ``S = sqrt(N) U V^T`` from the SVD ``P G = U Sigma V^T`` of the batch-centred G
      (centred, whitened columns: ``S^T S = N I_M`` when N - 1 >= M);
    * collapsed: ``C_i = ||S_i|| u`` for every row i (all embeddings on one line through 0,
      one direction after normalisation: complete collapse for a cosine loss, rank one for a
      covariance loss).

    The relative excess of the loss at collapse is ::

        e_t = sign(f(C, C) - f(S, S)) |f(C, C) - f(S, S)| / max(|f(C, C)|, |f(S, S)|, 1e-3)

    (floor :data:`SCALE_FLOOR`), and over the trials

    * "repulsive": ``min_t e_t > tolerance`` (collapse strictly worse in every trial);
    * "no repulsion": ``max_t |e_t| <= tolerance`` (the value does not see the spread: an
      alignment-only MSE, a constant, weight decay, BYOL / SimSiam's negative cosine);
    * "attracts collapse": ``max_t e_t < -tolerance`` (collapse strictly better);
    * "mixed": otherwise (better in some trials, worse or equal in others);
    * "undefined at collapse": the loss raised at C (a whitening loss's Cholesky of a rank-one
      covariance); its non-scalar or non-finite value at S still raises.

    Evaluations are controlled as in :func:`loss_family` (a deep copy of an ``nn.Module`` per
    evaluation, torch's generators forked and seeded ``seed``; the spread input is evaluated
    twice and a loss differing there raises :class:`LossNotAFunctionError`). Only the
    direction of the penalty is measured, not its strength or where the loss is minimised.

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(z_a, z_b)``, as in :func:`loss_family`.
    n : int, default=8
        Batch size N >= 2.
    m : int, default=5
        Embedding dimension M >= 2.
    trials : int, default=8
        Number of draws (fresh G and u each) >= 1.
    seed : int, default=0
        Seed of the draws and of torch's generators before each evaluation, >= 0.
    tolerance : float, default=1e-10
        Largest relative excess counted as none (float64 round-off scale).
    device : str or torch.device, default="cpu"
        Where the inputs live ("auto": CUDA when present); the draws are made on the CPU.

    Returns
    -------
    LossRepulsion
        Frozen report: the verdict, the smallest and largest excess, and the settings.

    Raises
    ------
    InvalidInputError
        ``loss_fn`` returned a non-scalar or non-finite value at the spread input.
    LossNotAFunctionError
        ``loss_fn`` gave two values at the same inputs.
    """
    dev = resolve_device.unchecked(device)
    return _repulsion(_Evaluator(loss_fn, seed, dev), n, m, trials, seed, tolerance, dev)
