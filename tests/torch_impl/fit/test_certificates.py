"""Tests of torch_impl.fit.certificates: the minimum-norm subgradient and the kink certificate."""

from __future__ import annotations

import math

import pytest
import torch

from tests.torch_impl.fit.data import F64
from torch_impl.fit import HingeObjective, min_norm_subgradient, optimality_certificate


def test_min_norm_subgradient_zero_when_kink_is_stationary():
    # f(x) = relu(x) - 0.5 x at x = 0: subdifferential [-0.5, 0.5] contains 0.
    one = torch.tensor([[1.0]], dtype=F64)
    norm, c = min_norm_subgradient(torch.tensor([-0.5], dtype=F64), one)
    assert norm == 0.0
    assert c.tolist() == [0.5]


def test_min_norm_subgradient_exact_distance_when_not_stationary():
    # f(x) = relu(x) + 0.5 x at 0: subdifferential [0.5, 1.5], distance to 0 is 0.5.
    one = torch.tensor([[1.0]], dtype=F64)
    norm, c = min_norm_subgradient(torch.tensor([0.5], dtype=F64), one)
    assert norm == pytest.approx(0.5, abs=1e-15)
    assert c.tolist() == [0.0]
    # Two kinks: the first can cancel its coordinate (c = 0.5), the second saturates at c = 1
    # leaving 1 - 0.5 = 0.5 in the other coordinate.
    base = torch.tensor([1.0, 1.0], dtype=F64)
    grads = torch.tensor([[-2.0, 0.0], [0.0, -0.5]], dtype=F64)
    norm, c = min_norm_subgradient(base, grads)
    assert norm == pytest.approx(0.5, abs=1e-15)
    assert c.tolist() == pytest.approx([0.5, 1.0], abs=1e-15)
    # Linearly dependent kink gradients and an empty kink set.
    norm, _ = min_norm_subgradient(base, torch.tensor([[-0.5, -0.5], [-0.5, -0.5]], dtype=F64))
    assert norm == pytest.approx(0.0, abs=1e-15)
    norm, c = min_norm_subgradient(base, torch.zeros(0, 2, dtype=F64))
    assert norm == pytest.approx(math.sqrt(2))
    assert c.numel() == 0


def test_hinge_objective_certificate_on_hand_made_kink():
    # smooth = 0.5 ||z||^2 - 0.5 z_0; hinge h(z) = z_0 with weight 1, at z = 0: kink, the
    # subgradient -0.5 + c is 0 at c = 0.5.
    obj = HingeObjective(lambda z: 0.5 * z.square().sum() - 0.5 * z[0], lambda z: z[:1], 1.0)
    loss, cert, criterion = optimality_certificate(obj, torch.zeros(2, dtype=F64))
    assert (loss, cert, criterion) == (0.0, 0.0, "min-norm-subgradient")
    loss, cert, _ = optimality_certificate(obj, torch.tensor([0.0, 0.25], dtype=F64))
    assert cert == pytest.approx(0.25)
