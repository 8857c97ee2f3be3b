"""SimCLR / InfoNCE (BL22 Sec. 2.3) against the seed snippet, the written formula and the
properties that real NT-Xent bugs broke (HobbitLong/SupContrast#106,
Lightning-Universe/lightning-bolts#609, NVIDIA-NeMo/Automodel PR#3850)."""

from __future__ import annotations

import math

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
    random_rotation,
)
from tests.torch_impl.losses.references import naive_simclr, seed_simclr, seed_views_relation
from torch_impl.losses import simclr_loss
from torch_impl.relations import views_relation

EXACT = {"rtol": 1e-12, "atol": 0.0}
CLOSE = {"rtol": 1e-10, "atol": 1e-10}


@pytest.mark.parametrize(("n_samples", "n_views", "k"), SEED_SIZES)
def test_matches_seed_snippet(n_samples, n_views, k):
    Z = random_embedding(n_samples * n_views, k, seed=k)
    G = seed_views_relation(n_samples, n_views)
    for tau in (0.1, 3.0):  # a sharp softmax and the seed's tau = 3
        assert_close(simclr_loss(Z, G, tau=tau), seed_simclr(Z, G, tau), **EXACT)


@pytest.mark.parametrize("kind", RELATION_KINDS)
def test_matches_seed_snippet_for_general_relations(kind):
    Z, G = random_embedding(60, 16, seed=3), random_relation(kind, 20, 3, seed=4)
    assert_close(simclr_loss(Z, G, tau=0.5), seed_simclr(Z, G, 0.5), **EXACT)


@pytest.mark.parametrize(("n_samples", "n_views", "k"), NAIVE_SIZES)
@pytest.mark.parametrize("kind", RELATION_KINDS)
def test_matches_written_formula(n_samples, n_views, k, kind):
    Z = random_embedding(n_samples * n_views, k, seed=5)
    G = random_relation(kind, n_samples, n_views, seed=6)
    expected = torch.tensor(naive_simclr(Z, G, 0.7), dtype=torch.float64)
    assert_close(simclr_loss(Z, G, tau=0.7), expected, rtol=1e-12, atol=1e-13)


def _case(seed: int, n_samples: int, n_views: int, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    return random_embedding(n_samples * n_views, k, seed), views_relation(n_samples, n_views)


SIZES = {
    "seed": st.integers(0, 2**16),
    "n_samples": st.integers(1, 12),
    "n_views": st.integers(2, 4),
    "k": st.integers(1, 8),
}


@given(**SIZES, tau=st.floats(0.05, 5.0))
@settings(max_examples=20, deadline=None, derandomize=True)
def test_invariant_to_positive_row_scaling(seed, n_samples, n_views, k, tau):
    Z, G = _case(seed, n_samples, n_views, k)
    log_scale = torch.empty(Z.shape[0], 1, dtype=Z.dtype).uniform_(-3, 3, generator=generator(seed))
    assert_close(simclr_loss(Z * log_scale.exp(), G, tau=tau), simclr_loss(Z, G, tau=tau), **CLOSE)


@given(**SIZES, tau=st.floats(0.05, 5.0))
@settings(max_examples=20, deadline=None, derandomize=True)
def test_invariant_to_rotation(seed, n_samples, n_views, k, tau):
    Z, G = _case(seed, n_samples, n_views, k)
    R = random_rotation(k, seed + 1)
    assert_close(simclr_loss(Z @ R, G, tau=tau), simclr_loss(Z, G, tau=tau), **CLOSE)


@given(**SIZES, tau=st.floats(1e-3, 1e3), kind=st.sampled_from(RELATION_KINDS))
@settings(max_examples=20, deadline=None, derandomize=True)
def test_collapse_value(seed, n_samples, n_views, k, tau, kind):
    # Identical directions: every Ghat_ij = 1/(N-1), so L = nnz(G) log(N-1) whatever tau
    # (the anchor of SupContrast#106 and the 1/T bug of lightning-bolts#609).
    n = n_samples * n_views
    row = random_embedding(1, k, seed)
    scales = torch.empty(n, 1, dtype=row.dtype).uniform_(0.5, 2.0, generator=generator(seed))
    G = random_relation(kind, n_samples, n_views, seed)
    expected = torch.tensor(G.count_nonzero().item() * math.log(n - 1), dtype=torch.float64)
    assert_close(simclr_loss(scales * row, G, tau=tau), expected, rtol=1e-12, atol=1e-12)


@given(
    seed=st.integers(0, 2**16),
    n_samples=st.integers(1, 12),
    k=st.integers(1, 8),
    tau=st.sampled_from([1e-4, 1e4]),
    collapsed=st.booleans(),
)
@settings(max_examples=20, deadline=None, derandomize=True)
def test_finite_loss_and_gradient_at_extreme_tau(seed, n_samples, k, tau, collapsed):
    # NeMo-Automodel#3850: a mask applied before the 1/tau scaling gave NaN gradients.
    Z, G = _case(seed, n_samples, 2, k)
    if collapsed:
        Z = Z[:1].expand_as(Z).clone()
    Z.requires_grad_()
    loss = simclr_loss(Z, G, tau=tau)
    (grad,) = torch.autograd.grad(loss, Z)
    assert torch.isfinite(loss)
    assert torch.isfinite(grad).all()


def test_gradcheck():
    Z = random_embedding(8, 3, seed=10).requires_grad_()
    G = views_relation(4, 2)
    assert torch.autograd.gradcheck(lambda z: simclr_loss(z, G, tau=0.5), (Z,))


@pytest.mark.parametrize("kind", RELATION_KINDS)
def test_sparse_relation_equals_dense(kind):
    Z, G = random_embedding(24, 5, seed=7), random_relation(kind, 8, 3, seed=8)
    assert_close(simclr_loss(Z, G.to_sparse(), tau=0.3), simclr_loss(Z, G, tau=0.3), **EXACT)


def test_empty_relation_gives_zero():
    Z = random_embedding(5, 3, seed=1)
    assert simclr_loss(Z, torch.zeros(5, 5), tau=1.0).item() == 0.0


def test_zero_row_is_not_nan():
    # F.normalize maps a zero row to zero: cosine 0 with every row, as the seed.
    Z = random_embedding(4, 3, seed=2)
    Z[0] = 0
    G = views_relation(2, 2)
    assert_close(simclr_loss(Z, G, tau=0.5), seed_simclr(Z, G, 0.5), **EXACT)
