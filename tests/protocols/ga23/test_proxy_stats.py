"""Tests of tests/claims/ga23/protocols/proxy_stats.py (Student t and the paired decisions)."""

from __future__ import annotations

import math

import pytest

from tests.claims.ga23.protocols.proxy_stats import paired_comparison, t_cdf, t_quantile

# Student t quantiles P(T <= q) = p, tabulated to 10 digits (standard t tables).
_QUANTILES = [
    (0.975, 1, 12.7062047362),
    (0.95, 1, 6.3137515147),
    (0.975, 4, 2.7764451052),
    (0.95, 4, 2.1318467863),
    (0.8, 4, 0.9409645772),
    (0.95, 2, 2.9199855804),
    (0.975, 10, 2.2281388520),
]


@pytest.mark.parametrize(("p", "dof", "expected"), _QUANTILES)
def test_t_quantile_matches_tables(p, dof, expected):
    assert t_quantile(p, dof) == pytest.approx(expected, rel=1e-10)
    assert t_cdf(expected, dof) == pytest.approx(p, abs=1e-10)


@pytest.mark.parametrize("t", [-7.5, -1.0, -0.2, 0.0, 0.3, 2.0, 40.0])
def test_t_cdf_closed_forms_for_one_and_two_dof(t):
    # nu = 1 is the Cauchy CDF, nu = 2 has the algebraic form 1/2 + t / (2 sqrt(2 + t^2)).
    assert t_cdf(t, 1) == pytest.approx(0.5 + math.atan(t) / math.pi, abs=1e-15)
    assert t_cdf(t, 2) == pytest.approx(0.5 + t / (2 * math.sqrt(2 + t * t)), abs=1e-15)


@pytest.mark.parametrize("dof", [1, 2, 3, 6, 9])
def test_t_cdf_is_symmetric_with_infinite_limits(dof):
    assert t_cdf(1.3, dof) + t_cdf(-1.3, dof) == pytest.approx(1.0, abs=1e-15)
    assert t_cdf(0.0, dof) == 0.5
    assert t_cdf(math.inf, dof) == 1.0
    assert t_cdf(-math.inf, dof) == 0.0


def test_t_cdf_for_many_dof_stays_exact_and_tends_to_the_normal():
    # P(T_2000 <= 1.96) = 0.9749327694 (scipy.stats.t.cdf); Phi(1.96) = 0.9750021 is O(1/nu) away.
    assert t_cdf(1.96, 2000) == pytest.approx(0.9749327694, abs=1e-10)
    assert abs(t_cdf(1.96, 2000) - 0.9750021) < 1e-4


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"t": 1.0, "dof": 0}, "dof"),
    ({"t": 1.0, "dof": 2.0}, "dof"),
    ({"t": math.nan, "dof": 3}, "t must not be NaN"),
])
def test_t_cdf_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        t_cdf(**kwargs)


@pytest.mark.parametrize("p", [0.0, 1.0, -0.1])
def test_t_quantile_rejects_a_non_probability(p):
    with pytest.raises(ValueError, match="p must be a probability"):
        t_quantile(p, 3)


# Differences d = a - b = (1, 2, 3, 4, 5) - (0.5, 1, 2, 2, 4) = (0.5, 1, 1, 2, 1):
# mean 1.1, sd sqrt(0.3) = 0.5477, se 0.2449, t = 4.4907 on 4 dof.
_A, _B = [1.0, 2.0, 3.0, 4.0, 5.0], [0.5, 1.0, 2.0, 2.0, 4.0]


def test_paired_comparison_one_sided_test_by_hand():
    result = paired_comparison(_A, _B, alpha=0.05, margin=2.0)
    se = math.sqrt(0.3 / 5)
    assert result.n == 5
    assert result.mean_diff == pytest.approx(1.1, rel=1e-14)
    assert result.sd_diff == pytest.approx(math.sqrt(0.3), rel=1e-14)
    assert result.p_greater == pytest.approx(1 - t_cdf(1.1 / se, 4), rel=1e-12)
    assert result.p_greater == pytest.approx(0.0054498493, rel=1e-8)  # scipy.stats.ttest_rel
    assert result.ci_low == pytest.approx(1.1 - 2.1318467863 * se, rel=1e-9)
    assert result.ci_high == pytest.approx(1.1 + 2.1318467863 * se, rel=1e-9)
    assert result.cohen_dz == pytest.approx(1.1 / math.sqrt(0.3), rel=1e-14)
    assert result.detectable == pytest.approx((2.1318467863 + 0.9409645772) * se, rel=1e-9)


def test_tost_p_value_is_the_larger_one_sided_p_and_agrees_with_the_interval():
    se = math.sqrt(0.3 / 5)
    inside = paired_comparison(_A, _B, alpha=0.05, margin=2.0)
    # upper bound 1.1 + 2.13 se = 1.62 < 2: equivalent; the binding side is mean <= margin.
    assert inside.p_equivalent == pytest.approx(1 - t_cdf((2.0 - 1.1) / se, 4), rel=1e-12)
    assert inside.p_equivalent <= 0.05
    assert inside.ci_high < 2.0
    outside = paired_comparison(_A, _B, alpha=0.05, margin=1.5)
    # upper bound 1.62 > 1.5: not shown equivalent.
    assert outside.p_equivalent > 0.05
    assert outside.ci_high > 1.5


def test_equal_outcomes_are_equivalent_and_not_better():
    result = paired_comparison([3.0, 4.0, 5.0], [3.0, 4.0, 5.0], alpha=0.05, margin=1.0)
    assert result.mean_diff == 0.0
    assert result.sd_diff == 0.0
    assert result.p_greater == 0.5
    assert result.p_equivalent == 0.0
    assert result.cohen_dz == 0.0


def test_a_constant_positive_difference_is_certainly_better():
    result = paired_comparison([2.0, 3.0], [1.0, 2.0], alpha=0.05, margin=0.5)
    assert result.p_greater == 0.0
    assert result.p_equivalent == 1.0
    assert result.cohen_dz == math.inf


def test_swapping_the_arms_mirrors_the_one_sided_p_value():
    forward = paired_comparison(_A, _B, alpha=0.05, margin=2.0)
    backward = paired_comparison(_B, _A, alpha=0.05, margin=2.0)
    assert forward.p_greater + backward.p_greater == pytest.approx(1.0, abs=1e-14)
    assert forward.p_equivalent == pytest.approx(backward.p_equivalent, abs=1e-14)


@pytest.mark.parametrize(("a", "b", "kwargs", "match"), [
    ([1.0], [1.0], {}, "same length >= 2"),
    ([1.0, 2.0], [1.0], {}, "same length >= 2"),
    (_A, _B, {"alpha": 0.5}, "alpha"),
    (_A, _B, {"margin": 0.0}, "margin"),
    (_A, _B, {"power": 0.4}, "power"),
])
def test_paired_comparison_rejects_bad_input(a, b, kwargs, match):
    options = {"alpha": 0.05, "margin": 1.0, **kwargs}
    with pytest.raises(ValueError, match=match):
        paired_comparison(a, b, **options)
