"""Losses called with a prebuilt Relation: the same values as with the tensor G, and no O(N^2)
validation work per call."""

from __future__ import annotations

import pytest
import torch
from torch.overrides import TorchFunctionMode

import torch_impl.relations as relations_module
from tests.torch_impl.losses.data import RELATION_KINDS, random_embedding, random_relation
from torch_impl.losses import (
    barlow_twins_correlation,
    barlow_twins_loss_from_relation,
    simclr_loss,
    spectral_contrastive_loss,
    vicreg_loss,
    vicreg_smooth_part,
    vicreg_terms,
)
from torch_impl.relations import as_relation

CALLS = {
    "vicreg_loss": lambda Z, G: vicreg_loss(Z, G, alpha=2.0, beta=0.5, gamma=3.0),
    "vicreg_terms": lambda Z, G: torch.stack(vicreg_terms(Z, G)),
    "vicreg_smooth_part": lambda Z, G: vicreg_smooth_part(Z, G, beta=0.5, gamma=3.0),
    "simclr_loss": lambda Z, G: simclr_loss(Z, G, tau=0.3),
    "barlow_twins_loss_from_relation": lambda Z, G: barlow_twins_loss_from_relation(
        Z, G, alpha=0.2
    ),
    "barlow_twins_correlation": barlow_twins_correlation,
    "spectral_contrastive_loss": spectral_contrastive_loss,
}
# Losses whose formula itself never forms an (N, N) matrix.
LINEAR_IN_PAIRS = [
    "vicreg_loss",
    "vicreg_terms",
    "vicreg_smooth_part",
    "barlow_twins_loss_from_relation",
    "barlow_twins_correlation",
]


@pytest.mark.parametrize("kind", RELATION_KINDS)
@pytest.mark.parametrize("name", sorted(CALLS))
def test_relation_gives_the_same_bits_as_the_tensor(name, kind):
    G = random_relation(kind, 4, 3, seed=7)
    Z = random_embedding(12, 3, seed=8)
    expected = CALLS[name](Z, G)
    assert torch.equal(CALLS[name](Z, as_relation(G)), expected)
    assert torch.equal(CALLS[name](Z, as_relation(G.to_sparse())), expected)


class _LargestOperand(TorchFunctionMode):
    """Records the largest number of elements of any tensor a torch function receives."""

    def __init__(self):
        super().__init__()
        self.largest = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        for x in (*args, *kwargs.values()):
            if isinstance(x, torch.Tensor):
                self.largest = max(self.largest, x.numel())
        return func(*args, **kwargs)


def _forbid_relation_check(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("the relation was validated again")

    monkeypatch.setattr(relations_module, "checked_relation_pairs", fail)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_relation_is_not_revalidated(name, monkeypatch):
    n = 40
    rel = as_relation(random_relation("knn", n, 1, seed=1))
    Z = random_embedding(n, 3, seed=2)
    _forbid_relation_check(monkeypatch)
    CALLS[name](Z, rel)


@pytest.mark.parametrize("name", LINEAR_IN_PAIRS)
def test_relation_call_touches_no_n_by_n_tensor(name):
    n, k = 64, 3
    rel = as_relation(random_relation("knn", n, 1, seed=1))
    Z = random_embedding(n, k, seed=2).requires_grad_()
    with _LargestOperand() as spy:
        CALLS[name](Z, rel).sum().backward()
    assert spy.largest < n * n // 4, spy.largest
    # The same call with the tensor G validates it: an (N, N) operand.
    with _LargestOperand() as spy:
        CALLS[name](Z, rel.dense())
    assert spy.largest >= n * n
