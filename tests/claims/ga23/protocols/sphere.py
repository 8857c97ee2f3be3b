"""GA23-P1 protocols: cosines of negative pairs, on the uniform sphere and at trained optima.

What the P1 claim modules share: Monte-Carlo moments of x^T y for independent uniform unit
vectors with their standard errors under the claimed law (:func:`sphere_moments`), the certified
free-embedding optimum of SimCLR or DCL on a two-view batch (:func:`fit_two_branch`, cached per
run), the statistics of its negatives' cosines (:func:`negative_statistics`) and the closed forms
of :mod:`derivations.ga23.sphere` (:func:`finite_batch_law`, :func:`collapsed_minimum`).
Everything is float64; draws are made on CPU (same numbers on every device), then moved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from derivations.base import lambdify_torch
from derivations.ga23 import sphere as sym
from torch_impl.fit import FitResult, cached_fit, fit_free
from torch_impl.fit.symmetries import combine, right_rotations, row_scalings
from torch_impl.losses import SIMCLR_VARIANTS, simclr_two_branch_loss

__all__ = [
    "DTYPE",
    "METHODS",
    "uniform_cosines",
    "SphereMoments",
    "sphere_moments",
    "fit_two_branch",
    "NegativeStatistics",
    "negative_statistics",
    "FiniteBatchLaw",
    "finite_batch_law",
    "collapsed_minimum",
]

DTYPE = torch.float64
METHODS = ("simclr", "dcl")
"""The methods of GA23 Prop. 3.1, as keys of :data:`torch_impl.losses.SIMCLR_VARIANTS`."""

_variance = lambdify_torch(sym.COSINE_VARIANCE, [sym.M])
_fourth = lambdify_torch(sym.COSINE_FOURTH_MOMENT, [sym.M])
_eighth = lambdify_torch(sym.COSINE_EIGHTH_MOMENT, [sym.M])
_mean_bound = lambdify_torch(sym.NEGATIVE_MEAN_BOUND, [sym.N])
_tight = lambdify_torch(sym.TIGHT_FRAME_VARIANCE, [sym.N, sym.M])
_rate = lambdify_torch(sym.RATE, [sym.N, sym.M])
_minima = {
    "simclr": lambdify_torch(sym.SIMCLR_MINIMUM, [sym.N, sym.TAU]),
    "dcl": lambdify_torch(sym.DCL_MINIMUM, [sym.N, sym.TAU]),
}


def _scalar(value: float) -> torch.Tensor:
    return torch.tensor(float(value), dtype=DTYPE)


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def uniform_cosines(m: int, n_pairs: int, *, seed: int,
                    device: torch.device | str = "cpu") -> torch.Tensor:
    """Cosines x_i^T y_i of ``n_pairs`` independent pairs of uniform unit vectors of R^m.

    x = g / ||g|| with g standard Gaussian is uniform on S^{m-1}; x and y are drawn
    independently (GA23's negatives are independent draws).

    Parameters
    ----------
    m : int
        Dimension M >= 1.
    n_pairs : int
        Number of pairs n >= 2.
    seed : int
    device : torch.device or str, default="cpu"

    Returns
    -------
    torch.Tensor of shape (n_pairs,)
    """
    if m < 1 or n_pairs < 2:
        raise ValueError(f"m must be >= 1 and n_pairs >= 2, got m={m}, n_pairs={n_pairs}")
    gen = torch.Generator().manual_seed(seed)
    x_nm = F.normalize(torch.randn(n_pairs, m, generator=gen, dtype=DTYPE), dim=1)
    y_nm = F.normalize(torch.randn(n_pairs, m, generator=gen, dtype=DTYPE), dim=1)
    return (x_nm * y_nm).sum(dim=1).to(device)


@dataclass(frozen=True)
class SphereMoments:
    """Monte-Carlo moments of t = x^T y and their distance to GA23 Prop. 3.1's law.

    Attributes
    ----------
    mean : float
        Sample mean of t.
    m_variance : float
        M times the unbiased sample variance s^2 of t (1 under the law).
    z_mean : float
        |mean| / se(mean), se(mean) = sqrt(1 / (M n)) under the law.
    z_variance : float
        |M s^2 - 1| / (M se(s^2)), se(s^2) = sqrt((mu4 - sigma^4 (n-3)/(n-1)) / n), the exact
        standard error of the unbiased variance with sigma^2 = 1/M, mu4 = 3/(M (M+2)).
    z_fourth : float
        |mean(t^4) - mu4| / se, se = sqrt((mu8 - mu4^2) / n), mu8 = E[t^8] =
        105 / (M (M+2) (M+4) (M+6)) (a check of the density beyond the two claimed moments).
    """

    mean: float
    m_variance: float
    z_mean: float
    z_variance: float
    z_fourth: float


def sphere_moments(m: int, n_pairs: int, *, seed: int,
                   device: torch.device | str = "cpu") -> SphereMoments:
    """Moments of :func:`uniform_cosines` in standard errors of the claimed law (M >= 2).

    Parameters
    ----------
    m : int
        Dimension M >= 2 (M = 1 is the two-point law t = +-1: s^2 is not asymptotically normal
        there, and the symbolic check covers it exactly).
    n_pairs : int
    seed : int
    device : torch.device or str, default="cpu"

    Returns
    -------
    SphereMoments
    """
    if m < 2:
        raise ValueError(f"m must be >= 2 (M = 1 is the exact two-point law), got {m}")
    t = uniform_cosines(m, n_pairs, seed=seed, device=device).cpu()
    n = float(n_pairs)
    sigma2, mu4 = float(_variance(_scalar(m))), float(_fourth(_scalar(m)))
    mu8 = float(_eighth(_scalar(m)))
    var = float(t.var(unbiased=True))
    se_var = math.sqrt((mu4 - sigma2**2 * (n - 3) / (n - 1)) / n)
    return SphereMoments(
        mean=float(t.mean()),
        m_variance=m * var,
        z_mean=abs(float(t.mean())) / math.sqrt(sigma2 / n),
        z_variance=abs(m * var - 1.0) / (m * se_var),
        z_fourth=abs(float((t**4).mean()) - mu4) / math.sqrt((mu8 - mu4**2) / n),
    )


def _unit_rows(z: torch.Tensor) -> torch.Tensor:
    """Rows scaled to unit norm: a symmetry of the cosine losses."""
    return F.normalize(z, dim=1)


_COSINE_SYMMETRIES = combine(right_rotations, row_scalings)
"""The symmetries of SimCLR / DCL of z (2N, M): the loss depends on z only through the cosines
of its rows, unchanged by z -> z R (R orthogonal) and by scaling each row; the curvature
certificate of :func:`fit_two_branch` is taken modulo them."""


@cached_fit
def fit_two_branch(method: str, n: int, m: int, tau: float, *, seed: int,
                   device: torch.device | str = "cpu", restarts: int = 2) -> FitResult:
    """Certified free-embedding minimum of SimCLR or DCL on N samples x 2 views in R^M.

    Minimises :func:`torch_impl.losses.simclr_two_branch_loss` (``SIMCLR_VARIANTS[method]``)
    over z of shape (2N, M), branches z[:N] and z[N:], with :func:`torch_impl.fit.fit_free`
    (seeded L-BFGS restarts, ``max_iter`` 3000, the default certificate 1e-8 reached 100x
    below), certified and returned at unit rows (the loss depends on z only through them),
    with its curvature certificate modulo rotations and row scalings
    (``FitResult.min_tangent_eig``). Cached per run (:func:`torch_impl.fit.cached_fit`).

    Parameters
    ----------
    method : {"simclr", "dcl"}
    n, m : int
        Samples N >= 2 and dimension M >= 1.
    tau : float
        Temperature > 0.
    seed : int
    device : torch.device or str, default="cpu"
    restarts : int, default=2

    Returns
    -------
    FitResult
        ``z`` of shape (2N, M) with unit rows.

    Raises
    ------
    torch_impl.fit.NotConverged
    """
    _check_method(method)
    options = SIMCLR_VARIANTS[method]
    loss_of = simclr_two_branch_loss.unchecked

    def loss(z: torch.Tensor) -> torch.Tensor:
        return loss_of(z[:n], z[n:], tau=tau, **options)

    return fit_free(loss, (2 * n, m), seed=seed, restarts=restarts, max_iter=3000,
                    normalise=_unit_rows, symmetries=_COSINE_SYMMETRIES, device=device,
                    progress=False).require_converged()


@dataclass(frozen=True)
class NegativeStatistics:
    """The cosines of a two-view batch's negative pairs.

    Attributes
    ----------
    mean : float
        Mean cosine over the 2N (2N - 2) ordered (anchor, negative) pairs.
    m_variance : float
        M times their variance (divisor: the number of pairs).
    positive_gap : float
        1 - the smallest positive cosine (0: every positive pair aligned).
    simplex_deviation : float
        max over the negatives of |cosine + 1/(N - 1)| (0 at the collapsed regular simplex).
    centroid_excess : float
        mean + 1/(N - 1) (>= 0 always; 0 iff aligned and centred).
    """

    mean: float
    m_variance: float
    positive_gap: float
    simplex_deviation: float
    centroid_excess: float


def negative_statistics(z: torch.Tensor) -> NegativeStatistics:
    """Statistics of the negatives' cosines of stacked branches z = [z_a; z_b].

    Row k's positive is p(k) = k + N mod 2N; its negatives are the 2N - 2 rows not in
    {k, p(k)} (SimCLR's convention).

    Parameters
    ----------
    z : torch.Tensor of shape (2N, M)
        N >= 2.

    Returns
    -------
    NegativeStatistics
    """
    if z.ndim != 2 or z.shape[0] % 2 or z.shape[0] < 4:
        raise ValueError(f"z must have shape (2N, M) with N >= 2, got {tuple(z.shape)}")
    n2, m = z.shape
    n = n2 // 2
    u = F.normalize(z.to(DTYPE), dim=1)
    gram_kk = u @ u.T
    anchor = torch.arange(n2, device=u.device)
    partner = anchor.roll(n)
    negative = ~torch.eye(n2, dtype=torch.bool, device=u.device)
    negative[anchor, partner] = False
    cosines = gram_kk[negative]
    bound = float(_mean_bound(_scalar(n)))
    mean = float(cosines.mean())
    return NegativeStatistics(
        mean=mean,
        m_variance=m * float(cosines.var(unbiased=False)),
        positive_gap=float(1 - gram_kk[anchor, partner].min()),
        simplex_deviation=float((cosines - bound).abs().max()),
        centroid_excess=mean - bound,
    )


@dataclass(frozen=True)
class FiniteBatchLaw:
    """The finite-batch bounds of :mod:`derivations.ga23.sphere` at (N, M).

    Attributes
    ----------
    mean_bound : float
        -1/(N - 1): no 2N unit vectors have a lower mean negative cosine.
    variance_bound : float
        max(0, N (N - 1 - M) / (N - 1)^2): the least M Var over negatives (aligned positives,
        |mean| <= 1/(N-1)).
    rate : float
        1 - variance_bound.
    """

    mean_bound: float
    variance_bound: float
    rate: float


def finite_batch_law(n: int, m: int) -> FiniteBatchLaw:
    """:class:`FiniteBatchLaw` at N samples, dimension M (closed forms lambdified).

    Parameters
    ----------
    n, m : int
        N >= 2, M >= 1.

    Returns
    -------
    FiniteBatchLaw
    """
    if n < 2 or m < 1:
        raise ValueError(f"n must be >= 2 and m >= 1, got n={n}, m={m}")
    n_t, m_t = _scalar(n), _scalar(m)
    variance = max(0.0, float(_tight(n_t, m_t)))
    return FiniteBatchLaw(mean_bound=float(_mean_bound(n_t)), variance_bound=variance,
                          rate=1.0 - variance)


def collapsed_minimum(method: str, n: int, tau: float) -> float:
    """Least mean per-anchor loss of SimCLR / DCL, reached by the collapsed regular simplex.

    A lower bound for every N; attained iff N <= M + 1 (``SIMCLR_MINIMUM``, ``DCL_MINIMUM``).

    Parameters
    ----------
    method : {"simclr", "dcl"}
    n : int
        N >= 2.
    tau : float

    Returns
    -------
    float
    """
    _check_method(method)
    return float(_minima[method](_scalar(n), _scalar(tau)))
