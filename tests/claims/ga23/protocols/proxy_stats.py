"""Paired tests over seeds that decide GA23's empirical proxy claims (GA23-X1 ... X8).

Every compared pair of methods is trained on the same seeds (same data, same initial weights,
same augmentations), so the unit of analysis is the per-seed difference d_s = a_s - b_s
(n seeds, n - 1 degrees of freedom). Two decisions, both Student t tests on the d_s:

* "A better than B": one-sided test of H0: mean d <= 0 against H1: mean d > 0; its p-value is
  P(T_{n-1} >= t) with t = mean(d) / (sd(d) / sqrt(n)).
* "A and B do not differ" (equivalence within a declared margin m): TOST, two one-sided tests
  of H0: mean d <= -m and H0: mean d >= m; the p-value is the larger of the two, and
  p <= alpha exactly when the (1 - 2 alpha) confidence interval of mean d lies inside (-m, m).

Effect size: Cohen's d_z = mean(d) / sd(d). Power statement: the smallest true mean
difference the one-sided test detects with power 1 - beta at the observed sd, the usual
(t_{1-alpha, n-1} + t_{1-beta, n-1}) sd / sqrt(n).

Only ``math``: the Student t CDF for an integer number of degrees of freedom has a finite
closed form in theta = atan(t / sqrt(nu)) (Abramowitz & Stegun 26.7.3-4), and its quantile is
found by bisection, so no scipy dependency is needed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["ALPHA", "MARGIN_POINTS", "POWER", "t_cdf", "t_quantile", "PairedComparison",
           "paired_comparison"]

ALPHA = 0.05
"""Level of every one-sided test (TOST runs two of them at this level)."""

MARGIN_POINTS = 2.0
"""Equivalence margin, probe accuracy points: "no difference" means |true mean difference| < 2.
The paper's "no difference" gaps are 0.1-0.2 points at ImageNet scale, but the proxy's paired
seed-to-seed spread is about a point: 2 is the smallest margin the design can confirm."""

POWER = 0.8
"""Power of the detectable-difference statement recorded with each comparison."""

_QUANTILE_ITERATIONS = 200


def _check_dof(dof: int) -> None:
    if isinstance(dof, bool) or not isinstance(dof, int) or dof < 1:
        raise ValueError(f"dof must be an integer >= 1, got {dof!r}")


def t_cdf(t: float, dof: int) -> float:
    """P(T <= t) for Student's t with ``dof`` degrees of freedom (integer, exact form).

    With theta = atan(t / sqrt(nu)), A(t) = P(|T| <= |t|) is
    (2 / pi) (theta + sin(theta) sum_{k=0}^{(nu-3)/2} a_k cos(theta)^{2k+1}) for odd nu
    (a_0 = 1, a_k = a_{k-1} 2k / (2k + 1)) and
    sin(theta) sum_{k=0}^{(nu-2)/2} b_k cos(theta)^{2k} for even nu
    (b_0 = 1, b_k = b_{k-1} (2k - 1) / (2k)); then P(T <= t) = (1 + sign(t) A) / 2.

    Parameters
    ----------
    t : float
        Finite or infinite real.
    dof : int
        Degrees of freedom, >= 1.

    Returns
    -------
    float
        The CDF, in [0, 1].
    """
    _check_dof(dof)
    if math.isnan(t):
        raise ValueError("t must not be NaN")
    if math.isinf(t):
        return 1.0 if t > 0 else 0.0
    theta = math.atan(abs(t) / math.sqrt(dof))
    sin, cos = math.sin(theta), math.cos(theta)
    if dof % 2 == 1:
        term, total = cos, 0.0
        for k in range((dof - 1) // 2):
            if k > 0:
                term *= cos * cos * (2 * k) / (2 * k + 1)
            total += term
        inside = 2.0 / math.pi * (theta + sin * total)
    else:
        term, total = 1.0, 0.0
        for k in range(dof // 2):
            if k > 0:
                term *= cos * cos * (2 * k - 1) / (2 * k)
            total += term
        inside = sin * total
    return 0.5 + math.copysign(0.5 * inside, t)


def t_quantile(p: float, dof: int) -> float:
    """The t with P(T <= t) = p (Student's t, ``dof`` degrees of freedom), by bisection.

    Parameters
    ----------
    p : float
        Probability in (0, 1).
    dof : int
        Degrees of freedom, >= 1.

    Returns
    -------
    float
        The quantile, to ~1e-13 relative (200 bisection steps on a bracket of [-1e6, 1e6]).
    """
    _check_dof(dof)
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be a probability in (0, 1), got {p!r}")
    low, high = -1e6, 1e6
    for _ in range(_QUANTILE_ITERATIONS):
        mid = 0.5 * (low + high)
        if t_cdf(mid, dof) < p:
            low = mid
        else:
            high = mid
    return 0.5 * (low + high)


@dataclass(frozen=True)
class PairedComparison:
    """The paired t analysis of a - b over n seeds (accuracy points).

    Attributes
    ----------
    n : int
        Number of seeds (pairs).
    mean_diff, sd_diff : float
        Mean and sample standard deviation (1 / (n - 1)) of d_s = a_s - b_s.
    ci_low, ci_high : float
        The (1 - 2 alpha) two-sided confidence interval of mean d (the TOST interval).
    p_greater : float
        One-sided p-value of H1: mean d > 0.
    p_equivalent : float
        TOST p-value of H1: |mean d| < margin.
    cohen_dz : float
        mean_diff / sd_diff (inf with the sign of mean_diff when sd_diff = 0, 0 if both are 0).
    detectable : float
        Smallest true mean difference the one-sided test detects with the declared power.
    """

    n: int
    mean_diff: float
    sd_diff: float
    ci_low: float
    ci_high: float
    p_greater: float
    p_equivalent: float
    cohen_dz: float
    detectable: float

    def as_extra(self) -> dict[str, float]:
        """The numbers a claim records next to its error (``verify.Measurement.extra``)."""
        return {"mean_diff": self.mean_diff, "sd_diff": self.sd_diff, "ci_low": self.ci_low,
                "ci_high": self.ci_high, "cohen_dz": self.cohen_dz,
                "detectable_80": self.detectable}


def _upper_tail(statistic: float, dof: int) -> float:
    """P(T >= statistic); a zero-variance sample gives +-inf statistics (p 0 or 1)."""
    return 1.0 - t_cdf(statistic, dof)


def _statistic(shift: float, se: float) -> float:
    """shift / se, with se = 0 read as an exact sample (the sign of shift decides)."""
    if se > 0:
        return shift / se
    if shift == 0:
        return 0.0
    return math.copysign(math.inf, shift)


def paired_comparison(a: Sequence[float], b: Sequence[float], *, alpha: float, margin: float,
                      power: float = 0.8) -> PairedComparison:
    """Paired t analysis of the per-seed differences a_s - b_s (see the module docstring).

    Parameters
    ----------
    a, b : sequence of float, same length n >= 2
        The two methods' outcomes on the same seeds, in the same order.
    alpha : float
        Level of each one-sided test, in (0, 0.5).
    margin : float
        Equivalence margin m > 0 (same unit as a and b).
    power : float, default=0.8
        Power of the detectable-difference statement, in (0.5, 1).

    Returns
    -------
    PairedComparison
    """
    if len(a) != len(b) or len(a) < 2:
        raise ValueError(f"a and b must have the same length >= 2, got {len(a)} and {len(b)}")
    if not 0.0 < alpha < 0.5:
        raise ValueError(f"alpha must lie in (0, 0.5), got {alpha!r}")
    if not margin > 0:
        raise ValueError(f"margin must be > 0, got {margin!r}")
    if not 0.5 < power < 1.0:
        raise ValueError(f"power must lie in (0.5, 1), got {power!r}")
    diffs = [float(x) - float(y) for x, y in zip(a, b, strict=True)]
    n, dof = len(diffs), len(diffs) - 1
    mean = math.fsum(diffs) / n
    sd = math.sqrt(math.fsum((d - mean) ** 2 for d in diffs) / dof)
    se = sd / math.sqrt(n)
    t_alpha = t_quantile(1.0 - alpha, dof)
    p_lower_margin = _upper_tail(_statistic(mean + margin, se), dof)
    p_upper_margin = _upper_tail(_statistic(margin - mean, se), dof)
    return PairedComparison(
        n=n, mean_diff=mean, sd_diff=sd,
        ci_low=mean - t_alpha * se, ci_high=mean + t_alpha * se,
        p_greater=_upper_tail(_statistic(mean, se), dof),
        p_equivalent=max(p_lower_margin, p_upper_margin),
        cohen_dz=_statistic(mean, sd),
        detectable=(t_alpha + t_quantile(power, dof)) * se,
    )
