"""Subspace, rank and error metrics: exact small cases, scipy oracles and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from torch_impl.metrics import (
    effective_rank,
    numerical_rank,
    principal_angles,
    projector_distance,
    relative_error,
    subspace_distance,
)
from torch_impl.validation import InvalidInputError

PROPERTY = settings(max_examples=30, deadline=None, derandomize=True)


def _gaussian(rng: np.random.Generator, *shape: int) -> torch.Tensor:
    return torch.from_numpy(rng.standard_normal(shape))


def _plane_pair(t: float) -> tuple[torch.Tensor, torch.Tensor]:
    """span(e1, e2) and span(e1, cos t e2 + sin t e3) in R^3: principal angles (0, t)."""
    A = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]], dtype=torch.float64)
    B = torch.tensor([[1.0, 0.0], [0.0, math.cos(t)], [0.0, math.sin(t)]], dtype=torch.float64)
    return A, B


# --------------------------------------------------------------------------- principal angles
@pytest.mark.parametrize("t", [0.3, 1.2, math.pi / 2])
def test_angles_between_known_planes(t):
    A, B = _plane_pair(t)
    torch.testing.assert_close(
        principal_angles(A, B), torch.tensor([0.0, t], dtype=torch.float64), rtol=0, atol=1e-15
    )
    assert subspace_distance(A, B) == pytest.approx(t, abs=1e-15)


@pytest.mark.parametrize("t", [1e-6, 1e-10, 1e-14])
def test_tiny_angles_keep_relative_accuracy(t):
    # arccos(cos t) would return 0 for t < 1e-8: the sine branch must resolve it.
    A, B = _plane_pair(t)
    assert subspace_distance(A, B) == pytest.approx(t, rel=1e-6)


def test_unequal_dimensions_measure_containment():
    rng = np.random.default_rng(0)
    A = _gaussian(rng, 10, 4)
    B = A @ _gaussian(rng, 4, 2)  # span(B) inside span(A)
    angles = principal_angles(A, B)
    assert angles.shape == (2,)
    torch.testing.assert_close(angles, torch.zeros(2, dtype=torch.float64), rtol=0, atol=1e-14)
    assert projector_distance(A, B) == pytest.approx(math.sqrt(2), rel=1e-12)
    assert projector_distance(A, B, norm="spectral") == 1.0


def test_principal_angles_match_scipy():
    rng = np.random.default_rng(1)
    A, B = _gaussian(rng, 20, 3), _gaussian(rng, 20, 5)
    expected = np.sort(scipy.linalg.subspace_angles(A.numpy(), B.numpy()))
    np.testing.assert_allclose(principal_angles(A, B).numpy(), expected, rtol=1e-12, atol=1e-14)


def test_projector_distances_match_dense_projectors():
    rng = np.random.default_rng(2)
    A, B = _gaussian(rng, 15, 3), _gaussian(rng, 15, 3)
    Qa, Qb = np.linalg.qr(A.numpy())[0], np.linalg.qr(B.numpy())[0]
    diff = Qa @ Qa.T - Qb @ Qb.T
    assert projector_distance(A, B) == pytest.approx(np.linalg.norm(diff, "fro"), rel=1e-12)
    spectral = projector_distance(A, B, norm="spectral")
    assert spectral == pytest.approx(np.linalg.norm(diff, 2), rel=1e-12)
    assert spectral == pytest.approx(math.sin(subspace_distance(A, B)), rel=1e-12)


@st.composite
def _subspace_pair(draw, equal_dims: bool):
    n = draw(st.integers(3, 12))
    p = draw(st.integers(1, n))
    q = p if equal_dims else draw(st.integers(1, n))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return rng, _gaussian(rng, n, p), _gaussian(rng, n, q)


@PROPERTY
@given(_subspace_pair(equal_dims=False))
def test_angles_are_sorted_and_in_range(pair):
    _, A, B = pair
    angles = principal_angles(A, B)
    assert angles.shape == (min(A.shape[1], B.shape[1]),)
    assert (angles >= 0).all()
    assert (angles <= math.pi / 2).all()
    assert (angles.diff() >= 0).all()


@PROPERTY
@given(_subspace_pair(equal_dims=True))
def test_angles_are_symmetric_for_equal_dims(pair):
    _, A, B = pair
    torch.testing.assert_close(principal_angles(A, B), principal_angles(B, A), rtol=0, atol=1e-12)
    assert projector_distance(A, B) == pytest.approx(projector_distance(B, A), abs=1e-12)


@PROPERTY
@given(_subspace_pair(equal_dims=False))
def test_angles_ignore_the_choice_of_basis(pair):
    rng, A, B = pair
    # A well-conditioned change of basis: orthogonal times a diagonal in [1, 2].
    Q = torch.from_numpy(scipy.linalg.qr(rng.standard_normal((A.shape[1],) * 2))[0])
    R = Q * torch.from_numpy(1 + rng.random(A.shape[1]))
    torch.testing.assert_close(
        principal_angles(A @ R, B), principal_angles(A, B), rtol=0, atol=1e-9
    )


def test_rank_deficient_basis_is_rejected():
    A = torch.ones(5, 2, dtype=torch.float64)
    with pytest.raises(InvalidInputError, match="A must have linearly independent columns"):
        principal_angles(A, torch.eye(5, 2, dtype=torch.float64))


# --------------------------------------------------------------------------- ranks
def _with_singular_values(s, n: int = 20, k: int = 8, seed: int = 3) -> torch.Tensor:
    rng = np.random.default_rng(seed)
    U = np.linalg.qr(rng.standard_normal((n, k)))[0]
    V = np.linalg.qr(rng.standard_normal((k, k)))[0]
    return torch.from_numpy(U @ np.diag(s) @ V.T)


def test_numerical_rank_tolerances():
    A = _with_singular_values([1.0, 1e-3, 1e-6, 1e-9, 0, 0, 0, 0])
    # Default rtol = max(N, K) eps = 20 * 2.2e-16: every designed singular value counts.
    assert numerical_rank(A) == 4
    assert numerical_rank(A, rtol=1e-4) == 2
    assert numerical_rank(A, atol=1e-7) == 3  # a positive atol alone sets rtol to 0
    assert numerical_rank(A, rtol=1e-2, atol=1e-7) == 1  # the larger threshold wins
    assert numerical_rank(torch.zeros(3, 2, dtype=torch.float64)) == 0
    # 1e-15 lies between eps (2.2e-16) and the default max(N, K) eps (2.2e-15): the size factor
    # decides it.
    assert (
        numerical_rank(torch.diag(torch.tensor([1.0, 1e-15] + [0.0] * 8, dtype=torch.float64))) == 1
    )


def test_numerical_rank_uses_the_input_dtype_epsilon():
    rng = np.random.default_rng(4)
    low_rank = rng.standard_normal((30, 3)) @ rng.standard_normal((3, 10))
    # float32 rounding leaves singular values ~1e-7 s_max that float64's eps would count.
    assert numerical_rank(torch.from_numpy(low_rank).float()) == 3
    assert numerical_rank(torch.from_numpy(low_rank)) == 3


def test_effective_rank_exact_cases():
    assert effective_rank(torch.eye(5, dtype=torch.float64)) == pytest.approx(5.0, rel=1e-14)
    assert effective_rank(torch.ones(4, 3, dtype=torch.float64)) == pytest.approx(1.0, rel=1e-12)
    two = torch.diag(torch.tensor([3.0, 3.0, 0.0], dtype=torch.float64))
    assert effective_rank(two) == pytest.approx(2.0, rel=1e-14)
    with pytest.raises(InvalidInputError, match="zero matrix"):
        effective_rank(torch.zeros(2, 2))


@PROPERTY
@given(st.integers(1, 10), st.integers(1, 10), st.integers(0, 2**32 - 1))
def test_effective_rank_bounds_and_scale_invariance(n, k, seed):
    A = _gaussian(np.random.default_rng(seed), n, k)
    erank = effective_rank(A)
    assert 1.0 - 1e-12 <= erank <= min(n, k) + 1e-12
    assert effective_rank(7.5 * A) == pytest.approx(erank, rel=1e-12)


# --------------------------------------------------------------------------- relative error
def test_relative_error_exact_cases():
    expected = torch.tensor([3.0, 4.0], dtype=torch.float64)
    actual = torch.tensor([3.0, 4.5], dtype=torch.float64)
    assert relative_error(actual, expected) == pytest.approx(0.1, rel=1e-15)
    assert relative_error(actual, expected, scale=2.0) == pytest.approx(0.25, rel=1e-15)
    assert relative_error(expected, expected) == 0.0
    # expected = 0: the scale falls back to float64's tiny, finite but huge.
    zero = torch.zeros(2, dtype=torch.float64)
    assert relative_error(actual, zero) == pytest.approx(
        float(actual.norm()) / torch.finfo(torch.float64).tiny
    )


# ---------------------------------------------------------------------------------------------
# Ranks at an explicit threshold, spans of rank-deficient matrices, relative gaps
# ---------------------------------------------------------------------------------------------

from tests.torch_impl.metrics_data import (  # noqa: E402
    RANK_CASES,
    old_containment_angle,
    old_rank_report,
    old_relative_gap,
    old_span_basis,
    with_singular_values,
)
from torch_impl.metrics import (  # noqa: E402
    RankReport,
    containment_angle,
    largest_principal_angle,
    rank_decades,
    rank_report,
    relative_difference,
    relative_eigengap,
    span_basis,
)


def test_largest_principal_angle_of_known_planes():
    e = torch.eye(3, dtype=torch.float64)
    theta = 0.3
    tilted = torch.stack([e[0], math.cos(theta) * e[1] + math.sin(theta) * e[2]], dim=1)
    assert largest_principal_angle(e[:, :2], tilted) == pytest.approx(theta, rel=1e-14)
    assert largest_principal_angle(e[:, :2], e[:, :1]) == 0.0


@pytest.mark.parametrize(("s", "rtol", "rank", "kept", "dropped"), RANK_CASES)
def test_rank_report_known_cases(s, rtol, rank, kept, dropped):
    report = rank_report(with_singular_values(s), rtol)
    assert report.rank == rank
    assert report.kept == pytest.approx(kept, rel=1e-6)
    assert report.dropped == pytest.approx(dropped, rel=1e-6, abs=1e-15)
    assert report.singular[0] == 1.0
    assert len(report.singular) == len(s)


@pytest.mark.parametrize("seed", range(4))
def test_rank_report_span_basis_and_containment_equal_support_versions(seed):
    A = with_singular_values([3.0, 1.0, 1e-3, 1e-10], seed=seed)
    B = with_singular_values([1.0, 1.0, 1.0], seed=seed + 10)
    report = rank_report(A, 1e-6)
    assert (report.rank, report.kept, report.dropped, report.singular) == old_rank_report(A, 1e-6)
    assert torch.equal(span_basis(A, 1e-6), old_span_basis(A, 1e-6))
    assert containment_angle(A, B, 1e-6) == old_containment_angle(A, B, 1e-6)


def test_containment_angle_is_zero_for_a_contained_range():
    A = with_singular_values([2.0, 1.0, 1e-12], seed=1)
    B = torch.cat([span_basis(A, 1e-6), with_singular_values([1.0], seed=2)], dim=1)
    assert containment_angle(A, B, 1e-6) < 1e-14


@pytest.mark.parametrize(
    ("report", "predicted", "expected"),
    [
        (RankReport(2, 1e-2, 1e-10, (1.0, 1e-2, 1e-10)), 2, 4.0),  # min(4, 4) decades
        (RankReport(2, 1e-5, 1e-10, (1.0, 1e-5, 1e-10)), 2, 1.0),  # kept is 1 decade above
        (RankReport(2, 1e-2, 1e-8, (1.0, 1e-2, 1e-8)), 2, 2.0),  # dropped is 2 decades below
        (RankReport(3, 1e-3, 0.0, (1.0, 1e-1, 1e-3)), 2, 3.0),  # s_3 must drop 3 decades
        (RankReport(1, 1.0, 1e-9, (1.0, 1e-9)), 2, 3.0),  # s_2 must rise 3 decades
        (RankReport(2, 0.5, 0.0, (1.0, 0.5)), 3, math.inf),  # rank 3 impossible
    ],
)
def test_rank_decades(report, predicted, expected):
    assert rank_decades(report, predicted, 1e-6) == pytest.approx(expected, rel=1e-12)


def test_rank_report_rejects_the_zero_matrix():
    with pytest.raises(InvalidInputError, match="A must not be the zero matrix"):
        rank_report(torch.zeros(3, 2, dtype=torch.float64), 1e-6)


@pytest.mark.parametrize(
    ("measured", "predicted", "expected"),
    [(1.5, 2.0, 0.25), (-3.0, -2.0, 0.5), (0.25, 0.0, 0.25), (0.0, 0.0, 0.0)],
)
def test_relative_difference(measured, predicted, expected):
    assert relative_difference(measured, predicted) == expected


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_relative_eigengap_equals_support_version(k):
    values = torch.tensor([4.0, 3.0, 3.0, -8.0], dtype=torch.float64)
    assert relative_eigengap(values, k) == old_relative_gap(values, k)
    assert relative_eigengap(values, 3) == 11.0 / 8.0


def test_relative_eigengap_rejects_a_zero_spectrum():
    with pytest.raises(InvalidInputError, match="values must not all be zero"):
        relative_eigengap(torch.zeros(3, dtype=torch.float64), 1)
