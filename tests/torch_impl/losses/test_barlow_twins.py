"""BarlowTwins (BL22 Sec. 2.4) against the seed snippet, the written formula and its invariances."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.testing import assert_close

from tests.torch_impl.losses.data import (
    BAD_EMBEDDINGS,
    BAD_HYPERPARAMETERS,
    BAD_POSITIVE_HYPERPARAMETERS,
    BAD_RELATIONS,
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


# Invalid inputs: each must raise an error that names the argument.


@pytest.mark.parametrize(("make", "error"), BAD_EMBEDDINGS)
@pytest.mark.parametrize("name", ["Z_left", "Z_right"])
def test_rejects_bad_view(name, make, error):
    views = {"Z_left": random_embedding(4, 3, seed=0), "Z_right": random_embedding(4, 3, seed=1)}
    views[name] = make()
    with pytest.raises(error, match=rf"^{name} must"):
        barlow_twins_loss(**views, alpha=0.1)


@pytest.mark.parametrize(("make", "error"), BAD_EMBEDDINGS)
def test_from_relation_rejects_bad_embedding(make, error):
    with pytest.raises(error, match=r"^Z must"):
        barlow_twins_loss_from_relation(make(), views_relation(2, 2), alpha=0.1)


@pytest.mark.parametrize("shape", [(5, 3), (4, 2)])
def test_rejects_view_shape_mismatch(shape):
    with pytest.raises(ValueError, match=r"^Z_left and Z_right must have the same shape"):
        barlow_twins_loss(
            random_embedding(4, 3, seed=0), torch.ones(shape, dtype=torch.float64), alpha=0.1
        )


def test_rejects_view_dtype_mismatch():
    with pytest.raises(TypeError, match=r"^Z_left and Z_right must have the same dtype"):
        barlow_twins_loss(random_embedding(4, 3, seed=0), torch.ones(4, 3), alpha=0.1)


@pytest.mark.parametrize(("make", "error"), BAD_RELATIONS)
def test_rejects_bad_relation(make, error):
    with pytest.raises(error, match=r"^G must"):
        barlow_twins_loss_from_relation(random_embedding(4, 3, seed=0), make(), alpha=0.1)


@pytest.mark.parametrize(("value", "error"), BAD_HYPERPARAMETERS)
def test_rejects_bad_alpha(value, error):
    Z = random_embedding(4, 3, seed=0)
    with pytest.raises(error, match=r"^alpha must"):
        barlow_twins_loss(Z, Z, alpha=value)
    with pytest.raises(error, match=r"^alpha must"):
        barlow_twins_loss_from_relation(Z, views_relation(2, 2), alpha=value)


@pytest.mark.parametrize(("value", "error"), BAD_POSITIVE_HYPERPARAMETERS)
def test_rejects_bad_eps(value, error):
    Z = random_embedding(4, 3, seed=0)
    with pytest.raises(error, match=r"^eps must"):
        barlow_twins_loss(Z, Z, alpha=0.1, eps=value)
    with pytest.raises(error, match=r"^eps must"):
        barlow_twins_loss_from_relation(Z, views_relation(2, 2), alpha=0.1, eps=value)
