"""GA23 Definition 3.2 criteria and Eq. (9) against their double sums and Theorem 3.3."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.testing import assert_close

from tests.torch_impl.losses.data import random_embedding
from tests.torch_impl.losses.references import naive_contrastive_criteria
from torch_impl.losses import (
    dimension_contrastive_criterion,
    regularization_criterion,
    sample_contrastive_criterion,
)

CRITERIA = [sample_contrastive_criterion, dimension_contrastive_criterion, regularization_criterion]


@pytest.mark.parametrize(("m", "n"), [(1, 1), (1, 7), (7, 1), (3, 5), (8, 8), (16, 4)])
def test_matches_double_sums(m, n):
    K = random_embedding(m, n, seed=m * 100 + n)
    l_c, l_nc = naive_contrastive_criteria(K)
    assert_close(
        sample_contrastive_criterion(K), torch.tensor(l_c, dtype=K.dtype), rtol=1e-12, atol=1e-13
    )
    assert_close(
        dimension_contrastive_criterion(K),
        torch.tensor(l_nc, dtype=K.dtype),
        rtol=1e-12,
        atol=1e-13,
    )


@pytest.mark.parametrize(("m", "n"), [(3, 5), (128, 256), (256, 64)])
def test_matches_frobenius_form(m, n):
    K = random_embedding(m, n, seed=1)
    gram_nn, cov_mm = K.T @ K, K @ K.T
    expected_c = torch.linalg.matrix_norm(gram_nn - torch.diag(torch.diagonal(gram_nn))) ** 2
    expected_nc = torch.linalg.matrix_norm(cov_mm - torch.diag(torch.diagonal(cov_mm))) ** 2
    assert_close(sample_contrastive_criterion(K), expected_c, rtol=1e-12, atol=0.0)
    assert_close(dimension_contrastive_criterion(K), expected_nc, rtol=1e-12, atol=0.0)


@pytest.mark.parametrize("criterion", CRITERIA)
def test_samples_as_rows_is_the_transpose(criterion):
    K = random_embedding(5, 9, seed=2)  # (M, N) = (5, 9)
    assert_close(criterion(K.T, samples_as_rows=True), criterion(K), rtol=0.0, atol=0.0)


def test_orientation_matters():
    # (M, N) = (2, 6): the N x N Gram and the M x M matrix give different criteria.
    K = random_embedding(2, 6, seed=3)
    assert not torch.isclose(sample_contrastive_criterion(K), dimension_contrastive_criterion(K))
    assert_close(
        sample_contrastive_criterion(K), dimension_contrastive_criterion(K, samples_as_rows=True)
    )


@given(
    seed=st.integers(0, 2**16),
    m=st.integers(1, 12),
    n=st.integers(1, 12),
    scale=st.floats(1e-2, 1e2),
)
@settings(max_examples=25, deadline=None, derandomize=True)
def test_theorem_3_3_duality(seed, m, n, scale):
    # GA23 Thm 3.3: L_nc = L_c + L_reg for every K.
    K = random_embedding(m, n, seed, scale=scale)
    lhs = dimension_contrastive_criterion(K)
    rhs = sample_contrastive_criterion(K) + regularization_criterion(K)
    assert_close(lhs, rhs, rtol=1e-10, atol=1e-10 * scale**4 * m * n)


def test_regularization_criterion_by_norms():
    K = random_embedding(4, 6, seed=4)
    expected = (K.norm(dim=0) ** 4).sum() - (K.norm(dim=1) ** 4).sum()
    assert_close(regularization_criterion(K), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("criterion", CRITERIA)
def test_gradcheck(criterion):
    K = random_embedding(4, 5, seed=5).requires_grad_()
    assert torch.autograd.gradcheck(criterion, (K,))
