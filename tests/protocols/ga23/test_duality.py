"""tests/claims/ga23/protocols/duality.py: random families, normalisations, trained branches."""

from __future__ import annotations

import math

import pytest
import torch

from tests.claims.ga23.protocols import duality

F64 = torch.float64


@pytest.mark.parametrize("family", duality.FAMILIES)
def test_random_matrix_is_seeded_float64_of_the_asked_shape(family):
    a = duality.random_matrix(family, 3, 5, 7)
    assert a.shape == (3, 5)
    assert a.dtype == F64
    assert torch.equal(a, duality.random_matrix(family, 3, 5, 7))
    assert not torch.equal(a, duality.random_matrix(family, 3, 5, 8))


def test_integer_and_low_rank_families():
    K = duality.random_matrix("integer", 6, 4, 0)
    assert torch.equal(K, K.round())
    assert float(K.abs().max()) <= 9
    ranks = {int(torch.linalg.matrix_rank(duality.random_matrix("low_rank", 6, 5, s)))
             for s in range(20)}
    assert min(ranks) >= 1
    assert max(ranks) <= 5
    assert len(ranks) > 1


def test_random_matrix_rejects_bad_arguments():
    with pytest.raises(ValueError, match="family must be one of"):
        duality.random_matrix("uniform", 2, 2, 0)
    with pytest.raises(ValueError, match="m and n must be >= 1"):
        duality.random_matrix("gaussian", 0, 2, 0)


def test_normalisations_by_hand():
    K = torch.tensor([[3.0, 0.0], [4.0, 2.0]], dtype=F64)
    torch.testing.assert_close(duality.normalise_columns(K),
                               torch.tensor([[0.6, 0.0], [0.8, 1.0]], dtype=F64))
    torch.testing.assert_close(duality.normalise_rows(K, 2.0),
                               torch.tensor([[2.0, 0.0], [4 / math.sqrt(5), 2 / math.sqrt(5)]],
                                            dtype=F64))
    with pytest.raises(ValueError, match="zero column"):
        duality.normalise_columns(torch.zeros(2, 2, dtype=F64))
    with pytest.raises(ValueError, match="K must be a 2-d floating tensor"):
        duality.normalise_columns(torch.ones(3, dtype=F64))


@pytest.mark.parametrize(("m", "n"), [(1, 4), (4, 1), (3, 7), (7, 3), (5, 5)])
def test_doubly_normalise_reaches_both_norms(m, n):
    K = duality.random_matrix("gaussian", m, n, 1)
    out = duality.doubly_normalise(K, column_norm=2.0)
    assert out.row_norm == pytest.approx(2.0 * math.sqrt(n / m), rel=1e-15)
    torch.testing.assert_close(out.K.norm(dim=0), torch.full((n,), 2.0, dtype=F64),
                               rtol=1e-14, atol=0)
    torch.testing.assert_close(out.K.norm(dim=1), torch.full((m,), out.row_norm, dtype=F64),
                               rtol=1e-13, atol=0)
    assert out.deviation <= duality.SCALING_TOL
    # A positive diagonal scaling on each side: signs and rank are kept.
    assert torch.equal(out.K.sign(), K.sign())
    assert int(torch.linalg.matrix_rank(out.K)) == int(torch.linalg.matrix_rank(K))


def test_doubly_normalise_reports_non_convergence():
    # A zero entry pattern without a doubly stochastic support: [[1, 1], [0, 1]] squared has
    # no positive scaling to equal row and column sums, the scaling only creeps.
    K = torch.tensor([[1.0, 1.0], [0.0, 1.0]], dtype=F64)
    with pytest.raises(RuntimeError, match="doubly_normalise: row norms still"):
        duality.doubly_normalise(K, max_steps=200)


def test_duality_terms_by_hand():
    # K = [[1, 2]]: L_c = 2 * 2^2 = 8, L_nc = 0, col4 = 1 + 16, row4 = 5^2.
    terms = duality.duality_terms(torch.tensor([[1.0, 2.0]], dtype=F64))
    assert (terms.l_c, terms.l_nc, terms.col4, terms.row4) == (8.0, 0.0, 17.0, 25.0)
    assert terms.duality_error == 0.0


def test_duality_error_detects_a_broken_identity():
    broken = duality.DualityTerms(l_c=1.0, l_nc=1.0, col4=2.0, row4=1.0)
    assert broken.duality_error == pytest.approx(1 / 3)


def test_relative_difference_and_closed_form():
    assert duality.relative_difference(0.0, 0.0) == 0.0
    assert duality.relative_difference(1.0, 3.0) == pytest.approx(2 / 3)
    assert duality.closed_form(lambda m, n: n**2 / m, 4, 6) == 9.0


def test_equality_case_matrices():
    const = duality.constant_matrix(4, 3, 2.0)
    torch.testing.assert_close(const.norm(dim=0), torch.full((3,), 2.0, dtype=F64))
    one = duality.one_row_matrix(4, 3, 2.0)
    assert duality.duality_terms(one).row4 == 144.0  # (N a^2)^2
    assert duality.duality_terms(const).row4 == pytest.approx(36.0, rel=1e-15)  # N^2 a^4 / M
    assert int(torch.linalg.matrix_rank(one)) == 1 == int(torch.linalg.matrix_rank(const))


def test_interval_position():
    assert duality.interval_position(16 / 4, 4, 4) == 0.0
    assert duality.interval_position(16.0, 4, 4) == 1.0
    assert duality.interval_position(10.0, 4, 4) == pytest.approx(0.5)
    assert duality.interval_position(9.0, 1, 3) == 0.0


@pytest.mark.parametrize("method", duality.METHODS)
def test_train_branches_moves_k_and_is_seeded(method):
    K = duality.train_branches(method, 6, 3, 0, steps=5)
    assert K.shape == (3, 6)
    assert K.dtype == F64
    assert not K.requires_grad
    assert torch.equal(K, duality.train_branches(method, 6, 3, 0, steps=5))
    start = duality.train_branches(method, 6, 3, 0, steps=0)
    assert not torch.equal(K, start)


def test_train_branches_rejects_bad_arguments():
    with pytest.raises(ValueError, match="method must be one of"):
        duality.train_branches("moco", 6, 3, 0)
    with pytest.raises(ValueError, match="n and m must be >= 2"):
        duality.train_branches("simclr", 1, 3, 0)


@pytest.mark.parametrize(("m", "n"), [(2, 3), (3, 2), (4, 4)])
@pytest.mark.parametrize("criterion", ["l_c", "l_nc"])
def test_minimise_doubly_normalised_reaches_the_common_minimum(criterion, m, n):
    out = duality.minimise_doubly_normalised(criterion, duality.random_matrix("gaussian", m, n, 0))
    terms = duality.duality_terms(out.K)
    # Welch: min L_c = max(0, N^2/M - N); L_nc = L_c + N - N^2/M on the set.
    assert terms.l_c == pytest.approx(max(0.0, n * n / m - n), abs=1e-12)
    assert terms.l_nc == pytest.approx(max(0.0, n - n * n / m), abs=1e-12)
    torch.testing.assert_close(out.K.norm(dim=0), torch.ones(n, dtype=F64), rtol=1e-13, atol=0)
    assert out.steps >= 1


def test_minimise_doubly_normalised_reports_non_convergence_and_bad_criteria():
    from torch_impl.fit import NotConverged

    with pytest.raises(NotConverged, match="the step still moves K"):
        duality.minimise_doubly_normalised("l_c", duality.random_matrix("gaussian", 5, 7, 0),
                                           max_steps=2)
    with pytest.raises(ValueError, match="criterion must be one of"):
        duality.minimise_doubly_normalised("l_reg", torch.ones(2, 2, dtype=F64))


@pytest.mark.parametrize("criterion", ["l_c", "l_nc"])
def test_tangent_curvature_is_nonnegative_at_minima_and_negative_at_the_collapse(criterion):
    # A minimiser on the set has no negative curvature beyond rounding; the collapsed
    # K = 1 1^T / sqrt(M) (every column the same unit vector, rows of norm sqrt(N / M)) is the
    # criteria's maximum there, curved down in every tangent direction.
    m, n = 3, 5
    end = duality.minimise_doubly_normalised(criterion, duality.random_matrix("gaussian", m, n, 0))
    at_minimum = duality.tangent_curvature(criterion, end.K)
    assert at_minimum.relative >= -1e-9
    assert at_minimum.dimension == m * n - (m + n - 1)
    collapsed = torch.full((m, n), 1 / math.sqrt(m), dtype=F64)
    at_maximum = duality.tangent_curvature(criterion, collapsed)
    assert at_maximum.relative == pytest.approx(-1.0, rel=1e-12)
    with pytest.raises(ValueError, match="K must be doubly normalised"):
        duality.tangent_curvature(criterion, 2 * collapsed)
