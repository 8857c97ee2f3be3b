"""The spectral contrastive loss (HaoChen et al. 2021) with a BL22 relation G."""

from __future__ import annotations

import pytest
import torch
from torch.testing import assert_close

from tests.torch_impl.losses.data import RELATION_KINDS, random_embedding, random_relation
from torch_impl.losses import spectral_contrastive_loss
from torch_impl.relations import as_relation


def support_formula(Z: torch.Tensor, G: torch.Tensor) -> torch.Tensor:
    """tests/claims/bl22/_simclr_support.spectral_contrastive_loss (and _linear_support's)."""
    return -2 * torch.trace(Z.T @ G @ Z) + (Z.T @ Z).square().sum()


def naive(Z: torch.Tensor, G: torch.Tensor) -> float:
    """-2 sum_ij G_ij z_i.z_j + sum_ij (z_i.z_j)^2 by loops over the ordered pairs."""
    z = Z.tolist()
    total = 0.0
    for i, zi in enumerate(z):
        for j, zj in enumerate(z):
            dot = sum(a * b for a, b in zip(zi, zj, strict=True))
            total += -2 * float(G[i, j]) * dot + dot * dot
    return total


@pytest.mark.parametrize("kind", RELATION_KINDS)
def test_equals_support_formula_bit_for_bit(kind):
    G = random_relation(kind, 5, 2, seed=3)
    Z = random_embedding(10, 4, seed=4)
    expected = support_formula(Z, G)
    assert torch.equal(spectral_contrastive_loss(Z, G), expected)
    assert torch.equal(spectral_contrastive_loss(Z, as_relation(G.to_sparse())), expected)


@pytest.mark.parametrize("kind", RELATION_KINDS)
def test_matches_double_sum_and_frobenius_identity(kind):
    G = random_relation(kind, 3, 3, seed=1)
    Z = random_embedding(9, 2, seed=2)
    value = spectral_contrastive_loss(Z, G)
    assert float(value) == pytest.approx(naive(Z, G), rel=1e-12)
    identity = (Z @ Z.T - G).square().sum() - G.square().sum()
    assert_close(value, identity, rtol=1e-12, atol=1e-12)


def test_float32_embedding_with_float64_relation():
    G = random_relation("views", 3, 2, seed=0)
    Z = random_embedding(6, 2, seed=1).float()
    assert spectral_contrastive_loss(Z, G).dtype == torch.float32
