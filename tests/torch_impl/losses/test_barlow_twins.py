"""BarlowTwins (BL22 Sec. 2.4) against the seed snippet, the written formula and its invariances."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.testing import assert_close

from tests.torch_impl.losses.data import (
    NAIVE_SIZES,
    RELATION_KINDS,
    SEED_SIZES,
    generator,
    random_embedding,
    random_relation,
)
from tests.torch_impl.losses.references import (
    naive_barlow_twins,
    seed_barlow_twins,
    seed_barlow_twins_from_relation,
    seed_views_relation,
)
from torch_impl.losses import barlow_twins_loss, barlow_twins_loss_from_relation
from torch_impl.relations import views_relation

EXACT = {"rtol": 1e-12, "atol": 0.0}
SEED_ALPHA, SEED_EPS = 0.1, 1e-6


def _pair(n: int, k: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    # Correlated views, as two augmentations of one sample would be.
    base = random_embedding(n, k, seed)
    return base + 0.3 * random_embedding(n, k, seed + 1), base + 0.3 * random_embedding(
        n, k, seed + 2
    )


@pytest.mark.parametrize(("n_samples", "n_views", "k"), SEED_SIZES)
def test_matches_seed_snippet(n_samples, n_views, k):
    Z_left, Z_right = _pair(n_samples * n_views, k, seed=k)
    ours = barlow_twins_loss(Z_left, Z_right, alpha=SEED_ALPHA, eps=SEED_EPS)
    assert_close(ours, seed_barlow_twins(Z_left, Z_right, SEED_ALPHA, SEED_EPS), **EXACT)


@pytest.mark.parametrize(("n_samples", "n_views", "k"), SEED_SIZES)
def test_from_relation_matches_seed_snippet(n_samples, n_views, k):
    Z = random_embedding(n_samples * n_views, k, seed=k)
    G = seed_views_relation(n_samples, n_views)
    ours = barlow_twins_loss_from_relation(Z, G, alpha=SEED_ALPHA, eps=SEED_EPS)
    assert_close(ours, seed_barlow_twins_from_relation(Z, G, SEED_ALPHA, SEED_EPS), **EXACT)


@pytest.mark.parametrize("kind", RELATION_KINDS)
def test_from_relation_matches_seed_for_general_relations(kind):
    Z, G = random_embedding(60, 16, seed=3), random_relation(kind, 20, 3, seed=4)
    ours = barlow_twins_loss_from_relation(Z, G, alpha=0.3)
    assert_close(ours, seed_barlow_twins_from_relation(Z, G, 0.3, 1e-6), **EXACT)


def test_from_relation_is_loss_on_gathered_views():
    # The seed's example: a, b, c mutually related, d, e related ->
    # left = [a, a, b, b, c, c, d, e], right = [b, c, a, c, a, b, e, d].
    Z = random_embedding(5, 4, seed=12)
    G = torch.zeros(5, 5, dtype=torch.float64)
    G[:3, :3] = 1 - torch.eye(3, dtype=torch.float64)
    G[3, 4] = G[4, 3] = 1
    left, right = Z[[0, 0, 1, 1, 2, 2, 3, 4]], Z[[1, 2, 0, 2, 0, 1, 4, 3]]
    assert_close(
        barlow_twins_loss_from_relation(Z, G, alpha=0.2),
        barlow_twins_loss(left, right, alpha=0.2),
        **EXACT,
    )


@pytest.mark.parametrize(("n_samples", "n_views", "k"), NAIVE_SIZES)
def test_matches_written_formula(n_samples, n_views, k):
    Z_left, Z_right = _pair(n_samples * n_views, k, seed=5)
    ours = barlow_twins_loss(Z_left, Z_right, alpha=0.4, eps=1e-6)
    # F.normalize's max(||.||, eps) exactly ...
    normalize_eps = naive_barlow_twins(Z_left, Z_right, 0.4, 1e-6, printed_eps=False)
    assert_close(ours, torch.tensor(normalize_eps, dtype=torch.float64), rtol=1e-12, atol=1e-14)
    # ... and the printed ||a|| ||b|| + eps up to O(eps / (||a|| ||b||)).
    printed_eps = naive_barlow_twins(Z_left, Z_right, 0.4, 1e-6, printed_eps=True)
    assert_close(ours, torch.tensor(printed_eps, dtype=torch.float64), rtol=1e-5, atol=1e-5)


@given(
    seed=st.integers(0, 2**16),
    n=st.integers(1, 30),
    k=st.integers(1, 8),
    alpha=st.floats(0.0, 2.0),
    side=st.sampled_from(["left", "right", "both"]),
)
@settings(max_examples=25, deadline=None, derandomize=True)
def test_invariant_to_positive_column_scaling(seed, n, k, alpha, side):
    # The per-view invariance that lightly PR#1806 restored (scaling only: no centring here).
    Z_left, Z_right = _pair(n, k, seed)
    scale = torch.empty(k, dtype=Z_left.dtype).uniform_(-2, 2, generator=generator(seed)).exp()
    scaled_left = Z_left * scale if side in ("left", "both") else Z_left
    scaled_right = Z_right * scale.flip(0) if side in ("right", "both") else Z_right
    assert_close(
        barlow_twins_loss(scaled_left, scaled_right, alpha=alpha),
        barlow_twins_loss(Z_left, Z_right, alpha=alpha),
        rtol=1e-10,
        atol=1e-12,
    )


def test_not_invariant_to_column_shift():
    # Columns are normalised but not centred (unlike the official BatchNorm convention).
    Z_left, Z_right = _pair(20, 3, seed=13)
    shifted = barlow_twins_loss(Z_left + 5.0, Z_right, alpha=0.1)
    assert not torch.isclose(shifted, barlow_twins_loss(Z_left, Z_right, alpha=0.1))


def test_identical_orthogonal_columns_give_zero():
    Z = torch.linalg.qr(random_embedding(10, 4, seed=14)).Q
    assert barlow_twins_loss(Z, Z, alpha=1.0).item() == pytest.approx(0.0, abs=1e-24)


def test_zero_column_is_not_nan():
    Z_left, Z_right = _pair(6, 3, seed=15)
    Z_left[:, 1] = 0
    ours = barlow_twins_loss(Z_left, Z_right, alpha=0.1)
    assert_close(ours, seed_barlow_twins(Z_left, Z_right, 0.1, 1e-6), **EXACT)


def test_empty_relation_gives_K():
    # No positive pairs: empty views, C = 0, only the K diagonal terms (0 - 1)^2 remain.
    Z = random_embedding(5, 3, seed=16)
    assert barlow_twins_loss_from_relation(Z, torch.zeros(5, 5), alpha=0.1).item() == 3.0


def test_gradcheck():
    Z_left, Z_right = (z.requires_grad_() for z in _pair(8, 3, seed=10))
    assert torch.autograd.gradcheck(
        lambda a, b: barlow_twins_loss(a, b, alpha=0.3), (Z_left, Z_right)
    )
    Z, G = random_embedding(8, 3, seed=11).requires_grad_(), views_relation(4, 2)
    assert torch.autograd.gradcheck(
        lambda z: barlow_twins_loss_from_relation(z, G, alpha=0.3), (Z,)
    )


@pytest.mark.parametrize("kind", RELATION_KINDS)
def test_sparse_relation_equals_dense(kind):
    Z, G = random_embedding(24, 5, seed=7), random_relation(kind, 8, 3, seed=8)
    assert_close(
        barlow_twins_loss_from_relation(Z, G.to_sparse(), alpha=0.2),
        barlow_twins_loss_from_relation(Z, G, alpha=0.2),
        **EXACT,
    )


# ---------------------------------------------------------------------------------------------
# The cross-correlation C itself
# ---------------------------------------------------------------------------------------------

import torch.nn.functional as F  # noqa: E402

from torch_impl.losses import barlow_twins_correlation  # noqa: E402


def _support_bt_correlation(z: torch.Tensor, G: torch.Tensor, eps: float) -> torch.Tensor:
    """tests/claims/bl22/_rank_support.bt_correlation (eps 1e-6) and
    _linear_support.cross_correlation (F.normalize's default eps 1e-12)."""
    rows, cols = G.nonzero(as_tuple=True)
    return F.normalize(z[rows], dim=0, eps=eps).T @ F.normalize(z[cols], dim=0, eps=eps)


@pytest.mark.parametrize("kind", RELATION_KINDS)
def test_correlation_equals_support_formulas(kind):
    G = random_relation(kind, 4, 3, seed=2)
    Z = random_embedding(12, 5, seed=3)
    C = barlow_twins_correlation(Z, G)
    assert torch.equal(C, _support_bt_correlation(Z, G, 1e-6))
    # Column norms far above both eps: the eps-free variant gives the same bits.
    assert torch.equal(C, _support_bt_correlation(Z, G, 1e-12))


def test_loss_is_function_of_correlation():
    G = random_relation("labels", 4, 2, seed=5)
    Z = random_embedding(8, 3, seed=6)
    C = barlow_twins_correlation(Z, G)
    off = C - torch.diag(torch.diagonal(C))
    expected = (torch.diagonal(C) - 1).square().sum() + 0.3 * off.square().sum()
    assert_close(barlow_twins_loss_from_relation(Z, G, alpha=0.3), expected, rtol=1e-12, atol=1e-14)


def test_correlation_of_empty_relation_is_zero():
    C = barlow_twins_correlation(random_embedding(4, 2, seed=0), torch.zeros(4, 4))
    assert torch.equal(C, torch.zeros(2, 2, dtype=torch.float64))
