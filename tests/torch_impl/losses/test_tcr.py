"""GA23's total coding rate (TCR) against its written formula and a closed form."""

from __future__ import annotations

import math

import pytest
import torch
from torch.testing import assert_close

from tests.torch_impl.losses.data import random_embedding, random_rotation
from tests.torch_impl.losses.ga23_references import naive_tcr
from torch_impl.losses import total_coding_rate_loss

EXACT = {"rtol": 1e-12, "atol": 1e-14}


# N < M, N = M and N > M: both sides of the Sylvester shortcut.
@pytest.mark.parametrize(("n", "m"), [(1, 1), (1, 4), (3, 7), (5, 5), (9, 3), (12, 1)])
@pytest.mark.parametrize("eps", [0.1, 0.7])
@pytest.mark.parametrize("normalise", [True, False])
def test_matches_loop(n, m, eps, normalise):
    Z = random_embedding(n, m, seed=n * 10 + m)
    expected = naive_tcr(Z, eps, normalise=normalise)
    assert_close(
        total_coding_rate_loss(Z, eps=eps, normalise=normalise),
        torch.tensor(expected, dtype=torch.float64),
        **EXACT,
    )


def test_orthonormal_embeddings_closed_form():
    # N orthonormal embeddings in R^M (N <= M): Z Z^T = I_N, so the loss is
    # -(N/2) log(1 + M / (N eps^2)).
    n, m, eps = 4, 6, 0.3
    Z = random_rotation(m, seed=3)[:n]
    expected = -0.5 * n * math.log1p(m / (n * eps**2))
    assert_close(
        total_coding_rate_loss(Z, eps=eps), torch.tensor(expected, dtype=torch.float64), **EXACT
    )


def test_normalise_ignores_embedding_scales():
    Z = random_embedding(6, 4, seed=1)
    scales = torch.tensor([[0.1], [2.0], [3.0], [0.5], [7.0], [1.0]], dtype=torch.float64)
    assert_close(total_coding_rate_loss(scales * Z), total_coding_rate_loss(Z), **EXACT)


def test_collapse_is_above_spread():
    # One direction repeated N times has log det(I + M/eps^2 e e^T) = log(1 + M/eps^2),
    # above (less negative than) N orthonormal directions.
    n, m, eps = 4, 6, 0.3
    collapsed = torch.ones(n, m, dtype=torch.float64)
    expected = -0.5 * math.log1p(m / eps**2)
    assert_close(
        total_coding_rate_loss(collapsed, eps=eps),
        torch.tensor(expected, dtype=torch.float64),
        **EXACT,
    )
    assert total_coding_rate_loss(random_rotation(m, 0)[:n], eps=eps) < expected
