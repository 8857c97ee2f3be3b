"""VICReg (BL22 Sec. 2.2) against the seed snippet, the written formula and its invariances."""

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
    random_embedding,
    random_relation,
)
from tests.torch_impl.losses.references import (
    naive_vicreg_terms,
    seed_vicreg,
    seed_vicreg_terms,
    seed_views_relation,
)
from torch_impl.losses import (
    vicreg_hinge_arguments,
    vicreg_loss,
    vicreg_smooth_part,
    vicreg_terms,
)
from torch_impl.relations import laplacian, views_relation

WEIGHTS = {"alpha": 25.0, "beta": 1.0, "gamma": 0.7}
EXACT = {"rtol": 1e-12, "atol": 0.0}


def _scalar(x: float) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float64)


@pytest.mark.parametrize(("n_samples", "n_views", "k"), SEED_SIZES)
def test_matches_seed_snippet(n_samples, n_views, k):
    Z = random_embedding(n_samples * n_views, k, seed=k)
    G = seed_views_relation(n_samples, n_views)
    assert_close(vicreg_loss(Z, G, **WEIGHTS), seed_vicreg(Z, G, **WEIGHTS), **EXACT)
    for ours, seed in zip(vicreg_terms(Z, G), seed_vicreg_terms(Z, G), strict=True):
        assert_close(ours, seed, **EXACT)


@pytest.mark.parametrize("kind", RELATION_KINDS)
def test_matches_seed_snippet_for_general_relations(kind):
    # Scale 0.8 puts some C_kk below 1 so that the hinge is active in the comparison.
    Z = random_embedding(60, 16, seed=3, scale=0.8)
    G = random_relation(kind, 20, 3, seed=4)
    assert_close(vicreg_loss(Z, G, **WEIGHTS), seed_vicreg(Z, G, **WEIGHTS), **EXACT)


@pytest.mark.parametrize(("n_samples", "n_views", "k"), NAIVE_SIZES)
@pytest.mark.parametrize("kind", RELATION_KINDS)
def test_matches_written_formula(n_samples, n_views, k, kind):
    Z = random_embedding(n_samples * n_views, k, seed=5, scale=0.8)
    G = random_relation(kind, n_samples, n_views, seed=6)
    for ours, naive in zip(vicreg_terms(Z, G), naive_vicreg_terms(Z, G), strict=True):
        assert_close(ours, _scalar(naive), rtol=1e-12, atol=1e-14)


def test_loss_is_weighted_sum_of_terms():
    Z, G = random_embedding(12, 4, seed=1, scale=0.7), views_relation(4, 3)
    var, cov, inv = vicreg_terms(Z, G)
    assert_close(vicreg_loss(Z, G, alpha=2.0, beta=3.0, gamma=5.0), 2 * var + 3 * cov + 5 * inv)


@given(
    seed=st.integers(0, 2**16),
    n_samples=st.integers(2, 12),
    k=st.integers(1, 8),
    scale=st.floats(0.1, 3.0),
)
@settings(max_examples=20, deadline=None, derandomize=True)
def test_hinge_decomposition(seed, n_samples, k, scale):
    # var == sum relu(hinge arguments), so loss == alpha * that + smooth part (used by `fit`).
    Z, G = random_embedding(2 * n_samples, k, seed, scale=scale), views_relation(n_samples, 2)
    args = vicreg_hinge_arguments(Z)
    assert args.shape == (k,)
    assert_close(vicreg_terms(Z, G).variance, torch.relu(args).sum(), rtol=1e-12, atol=1e-14)
    expected = 3.0 * torch.relu(args).sum() + vicreg_smooth_part(Z, G, beta=0.5, gamma=2.0)
    assert_close(vicreg_loss(Z, G, alpha=3.0, beta=0.5, gamma=2.0), expected)


def test_hinge_arguments_floor_collapsed_dimension():
    Z = random_embedding(6, 2, seed=2)
    Z[:, 1] = 4.0  # zero variance: the 1e-6 floor keeps the sqrt (and its gradient) finite
    assert_close(vicreg_hinge_arguments(Z)[1], _scalar(1 - 1e-3), **EXACT)


@given(
    seed=st.integers(0, 2**16),
    n_samples=st.integers(1, 10),
    n_views=st.integers(2, 4),
    k=st.integers(1, 6),
    kind=st.sampled_from(RELATION_KINDS),
)
@settings(max_examples=25, deadline=None, derandomize=True)
def test_invariance_is_dirichlet_energy(seed, n_samples, n_views, k, kind):
    # BL22-C0: (1/N) sum_ij G_ij ||Z_i - Z_j||^2 = (2/N) tr(Z^T L Z), L = D - G.
    n = n_samples * n_views
    Z, G = random_embedding(n, k, seed), random_relation(kind, n_samples, n_views, seed)
    expected = 2 / n * torch.trace(Z.T @ laplacian(G) @ Z)
    assert_close(vicreg_terms(Z, G).invariance, expected, rtol=1e-10, atol=1e-12)


@given(
    seed=st.integers(0, 2**16),
    n_samples=st.integers(1, 10),
    k=st.integers(1, 6),
    shift=st.floats(-50.0, 50.0),
)
@settings(max_examples=20, deadline=None, derandomize=True)
def test_invariant_to_common_shift(seed, n_samples, k, shift):
    # Every term depends on Z only through centred columns or row differences.
    Z, G = random_embedding(2 * n_samples, k, seed, scale=0.9), views_relation(n_samples, 2)
    offset = shift * random_embedding(1, k, seed + 1)
    assert_close(
        vicreg_loss(Z + offset, G, **WEIGHTS), vicreg_loss(Z, G, **WEIGHTS), rtol=1e-9, atol=1e-9
    )


@pytest.mark.parametrize("kind", RELATION_KINDS)
def test_sparse_relation_equals_dense(kind):
    Z, G = random_embedding(24, 5, seed=7, scale=0.8), random_relation(kind, 8, 3, seed=8)
    assert_close(vicreg_loss(Z, G.to_sparse(), **WEIGHTS), vicreg_loss(Z, G, **WEIGHTS), **EXACT)
    assert_close(
        vicreg_smooth_part(Z, G.to_sparse(), beta=1.0, gamma=2.0),
        vicreg_smooth_part(Z, G, beta=1.0, gamma=2.0),
        **EXACT,
    )


def test_views_relation_sparse_equals_dense():
    Z = random_embedding(30, 4, seed=9)
    sparse, dense = views_relation(10, 3, sparse=True), views_relation(10, 3)
    assert_close(vicreg_loss(Z, sparse, **WEIGHTS), vicreg_loss(Z, dense, **WEIGHTS), **EXACT)


def test_gradcheck():
    # Scale 0.6: every C_kk sits inside (1e-6, 1), away from both clamp kinks.
    Z = random_embedding(8, 3, seed=10, scale=0.6).requires_grad_()
    G = views_relation(4, 2)
    assert torch.autograd.gradcheck(lambda z: vicreg_loss(z, G, **WEIGHTS), (Z,))
    assert torch.autograd.gradcheck(vicreg_hinge_arguments, (Z,))


def test_float32_input_keeps_dtype():
    Z, G = random_embedding(8, 3, seed=11).float(), views_relation(4, 2)
    assert vicreg_loss(Z, G, **WEIGHTS).dtype == torch.float32
