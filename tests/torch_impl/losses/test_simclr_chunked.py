"""Row-chunked SimCLR (``simclr_loss(..., chunk_size=c)``) against the dense path (BL22 Sec. 2.3).

The chunked path never holds the (N, N) score matrix and computes its own backward, so every
test compares the loss AND the gradient with the dense autograd result.
"""

from __future__ import annotations

import math

import pytest
import torch
from torch.testing import assert_close

from tests.torch_impl.losses.data import random_embedding
from tests.torch_impl.losses.references import seed_simclr, seed_views_relation
from torch_impl.losses import simclr_loss
from torch_impl.relations import as_relation, class_relation, views_relation

# N = 30 for both: chunk 1 and 7 do not divide it, 10 and 30 do, 64 exceeds it.
CHUNKS = (1, 7, 10, 30, 64)
RELATIONS = {
    "views": lambda: views_relation(10, 3, sparse=True),
    # Unequal classes and a singleton (degree 0) so row degrees differ within a block.
    "classes": lambda: class_relation((1, 4, 9, 2, 14), sparse=True),
}


def _loss_and_grad(Z: torch.Tensor, G, tau: float, chunk_size: int | None):
    Z = Z.detach().clone().requires_grad_()
    loss = simclr_loss(Z, G, tau=tau, chunk_size=chunk_size)
    (grad,) = torch.autograd.grad(loss, Z)
    return loss.detach(), grad


@pytest.mark.parametrize("chunk_size", CHUNKS)
@pytest.mark.parametrize("kind", sorted(RELATIONS))
@pytest.mark.parametrize("tau", [0.1, 2.0])
def test_float64_equals_dense(kind, chunk_size, tau):
    Z, G = random_embedding(30, 6, seed=chunk_size), as_relation(RELATIONS[kind]())
    loss, grad = _loss_and_grad(Z, G, tau, chunk_size)
    dense_loss, dense_grad = _loss_and_grad(Z, G, tau, None)
    assert_close(loss, dense_loss, rtol=1e-12, atol=0.0)
    assert_close(grad, dense_grad, rtol=1e-12, atol=1e-12 * dense_grad.abs().max().item())


@pytest.mark.parametrize("chunk_size", CHUNKS)
@pytest.mark.parametrize("kind", sorted(RELATIONS))
def test_float32_equals_dense(kind, chunk_size):
    Z = random_embedding(30, 6, seed=11).float()
    G = as_relation(RELATIONS[kind]().float())
    loss, grad = _loss_and_grad(Z, G, 0.5, chunk_size)
    dense_loss, dense_grad = _loss_and_grad(Z, G, 0.5, None)
    assert_close(loss, dense_loss, rtol=1e-6, atol=0.0)
    assert_close(grad, dense_grad, rtol=1e-5, atol=1e-6 * dense_grad.abs().max().item())


def test_dense_and_sparse_relation_give_the_same_chunked_loss():
    Z, G = random_embedding(30, 6, seed=2), RELATIONS["classes"]()
    assert_close(
        simclr_loss(Z, G.to_dense(), tau=0.3, chunk_size=4),
        simclr_loss(Z, G, tau=0.3, chunk_size=4),
        rtol=0.0,
        atol=0.0,
    )


@pytest.mark.parametrize(("n_samples", "n_views"), [(4, 2), (5, 3)])
def test_matches_seed_snippet(n_samples, n_views):
    Z = random_embedding(n_samples * n_views, 5, seed=n_views)
    G = seed_views_relation(n_samples, n_views)
    expected = seed_simclr(Z, G, 0.2)
    assert_close(simclr_loss(Z, G, tau=0.2, chunk_size=3), expected, rtol=1e-12, atol=0.0)


def test_gradcheck():
    Z = random_embedding(9, 3, seed=10).requires_grad_()
    G = as_relation(class_relation((2, 3, 4), sparse=True))
    assert torch.autograd.gradcheck(lambda z: simclr_loss(z, G, tau=0.5, chunk_size=4), (Z,))


@pytest.mark.parametrize("tau", [1e-4, 1e4])
@pytest.mark.parametrize("collapsed", [False, True])
def test_finite_loss_and_gradient_at_extreme_tau(tau, collapsed):
    # The dense path's NeMo-Automodel#3850 guard must hold for the hand-written backward too.
    Z, G = random_embedding(12, 4, seed=3), views_relation(6, 2, sparse=True)
    if collapsed:
        Z = Z[:1].expand_as(Z).clone()
    loss, grad = _loss_and_grad(Z, G, tau, 5)
    assert torch.isfinite(loss)
    assert torch.isfinite(grad).all()


def test_collapse_value():
    # Identical directions: every Ghat_ij = 1/(N-1), so L = nnz(G) log(N-1).
    scales = torch.linspace(0.5, 2.0, 30, dtype=torch.float64)[:, None]
    Z = random_embedding(1, 4, seed=4).expand(30, 4) * scales
    G = as_relation(RELATIONS["classes"]())
    expected = torch.tensor(G.nnz * math.log(29), dtype=torch.float64)
    assert_close(simclr_loss(Z, G, tau=0.01, chunk_size=7), expected, rtol=1e-12, atol=1e-12)


def test_empty_relation_gives_zero_loss_and_gradient():
    Z = random_embedding(5, 3, seed=1)
    loss, grad = _loss_and_grad(Z, torch.zeros(5, 5).to_sparse(), 1.0, 2)
    assert loss.item() == 0.0
    assert torch.count_nonzero(grad).item() == 0
