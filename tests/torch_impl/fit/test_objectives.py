"""Tests of torch_impl.fit.objectives: VICReg (BL22's and the codebases') as hinge objectives."""

from __future__ import annotations

import math

import pytest
import torch

from tests.torch_impl.fit.data import (
    CPU,
    F64,
    G_VIEWS,
    N,
    seed_vicreg,
    support_convention_objective,
)
from torch_impl import relations, validation
from torch_impl.fit import (
    HingeObjective,
    fit_free,
    vicreg_convention_objective,
    vicreg_objective,
)
from torch_impl.losses import (
    VICREG_CONVENTIONS,
    branches_from_views,
    vicreg_loss,
    vicreg_loss_convention,
)
from torch_impl.relations import as_relation
from torch_impl.validation import InvalidInputError


def test_vicreg_objective_matches_seed_formula():
    pytest.importorskip("torch_impl.losses")
    obj = vicreg_objective(G_VIEWS, alpha=1.5, beta=3.0, gamma=0.7)
    Z = torch.randn(N, 4, generator=torch.Generator().manual_seed(3), dtype=F64)
    Z[:, 0] *= 3  # one column above the hinge threshold, the others below
    expected = seed_vicreg(Z, G_VIEWS, 1.5, 3.0, 0.7)
    assert float(obj(Z)) == pytest.approx(float(expected), rel=1e-13)


def test_hinge_objective_rejects_a_non_positive_weight():
    with pytest.raises(InvalidInputError, match="hinge_weight"):
        HingeObjective(lambda z: z.sum(), lambda z: z, 0.0)


def test_vicreg_objective_accepts_a_relation_and_gives_the_same_values():
    Z = torch.randn(N, 3, generator=torch.Generator().manual_seed(4), dtype=F64)
    from_tensor = vicreg_objective(G_VIEWS, alpha=2.0, beta=1.0, gamma=0.5)
    from_relation = vicreg_objective(as_relation(G_VIEWS), alpha=2.0, beta=1.0, gamma=0.5)
    assert torch.equal(from_tensor(Z), from_relation(Z))
    assert torch.equal(from_tensor(Z), vicreg_loss(Z, G_VIEWS, alpha=2.0, beta=1.0, gamma=0.5))


def test_vicreg_objective_validates_once_not_per_evaluation(monkeypatch):
    # The relation and the weights are checked when the objective is built; evaluating it (what
    # the optimiser does thousands of times) runs no validation of Z or G.
    obj = vicreg_objective(G_VIEWS, alpha=2.0, beta=1.0, gamma=0.5)
    Z = torch.randn(N, 3, generator=torch.Generator().manual_seed(5), dtype=F64)
    expected = obj(Z)

    def forbidden(*args, **kwargs):
        raise AssertionError("validation ran inside the objective")

    for name in ("check_embedding", "check_relation", "check_tensor"):
        monkeypatch.setattr(validation, name, forbidden)
    monkeypatch.setattr(relations, "as_relation", forbidden)
    assert torch.equal(obj(Z), expected)


def test_vicreg_objective_rejects_bad_input():
    with pytest.raises(InvalidInputError, match="G must be symmetric"):
        vicreg_objective(torch.triu(G_VIEWS), alpha=1.0, beta=1.0, gamma=1.0)
    with pytest.raises(InvalidInputError, match="alpha"):
        vicreg_objective(G_VIEWS, alpha=0.0, beta=1.0, gamma=1.0)
    with pytest.raises(InvalidInputError, match="beta"):
        vicreg_objective(G_VIEWS, alpha=1.0, beta=-1.0, gamma=1.0)
    obj = vicreg_objective(G_VIEWS, alpha=1.0, beta=1.0, gamma=1.0)
    # A Z whose rows do not match G is caught at evaluation, in O(1), naming G.
    with pytest.raises(InvalidInputError, match=r"G must be \(10, 10\)"):
        obj(torch.randn(10, 3, dtype=F64))


@pytest.mark.parametrize("convention", VICREG_CONVENTIONS)
@pytest.mark.parametrize(("n_prime", "k"), [(4, 2), (5, 7), (16, 3)])
def test_vicreg_convention_objective_equals_the_codebases_loss(convention, n_prime, k):
    # Random stacked views with columns on both sides of the hinge (std below and above 1).
    gen = torch.Generator().manual_seed(10 * n_prime + k)
    weights = {"sim_coeff": 25.0, "std_coeff": 25.0, "cov_coeff": 1.0}
    obj = vicreg_convention_objective(convention, k, **weights)
    for scale in (0.3, 1.0, 3.0):
        Z = scale * torch.randn(2 * n_prime, k, generator=gen, dtype=F64)
        Z[:, 0] *= 4
        expected = vicreg_loss_convention(*branches_from_views(Z), convention=convention,
                                          **weights)
        assert float(obj(Z)) == pytest.approx(float(expected), rel=1e-12, abs=0)


@pytest.mark.parametrize("convention", VICREG_CONVENTIONS)
def test_vicreg_convention_objective_is_the_claims_composition(convention):
    # Bitwise the split the claims' support modules assembled by hand, so that moving a claim
    # to it moves no iterate.
    weights = {"sim": 3.0, "std": 7.0, "cov": 0.5}
    obj = vicreg_convention_objective(convention, 3, sim_coeff=3.0, std_coeff=7.0,
                                      cov_coeff=0.5)
    smooth, hinge_args, weight = support_convention_objective(convention, 3, **weights)
    Z = torch.randn(8, 3, generator=torch.Generator().manual_seed(6), dtype=F64)
    assert obj.hinge_weight == weight
    assert torch.equal(obj.smooth(Z), smooth(Z))
    assert torch.equal(obj.hinge_args(Z), hinge_args(Z))


def test_vicreg_convention_objective_rejects_bad_input():
    with pytest.raises(InvalidInputError, match="convention"):
        vicreg_convention_objective("facebook", 2)
    with pytest.raises(InvalidInputError, match="n_components"):
        vicreg_convention_objective("official", 0)
    with pytest.raises(InvalidInputError, match="std_coeff"):
        vicreg_convention_objective("official", 2, std_coeff=0.0)
    with pytest.raises(InvalidInputError, match="sim_coeff"):
        vicreg_convention_objective("official", 2, sim_coeff=math.nan)
    obj = vicreg_convention_objective("solo", 2)
    with pytest.raises(InvalidInputError, match=r"n_components=2"):
        obj(torch.randn(8, 3, dtype=F64))
    with pytest.raises(InvalidInputError, match=r"stacked views"):
        obj(torch.randn(7, 2, dtype=F64))


def test_vicreg_convention_fit_reaches_the_zero_loss_optimum():
    # K = 2 <= N' - 1 = 3: both branches equal, per-branch covariance diagonal with std >= 1
    # reaches loss 0 (BL22-C1's codebase case), certified by the min-norm subgradient.
    obj = vicreg_convention_objective("official", 2)
    result = fit_free(obj, (8, 2), restarts=1, **CPU)
    assert result.converged, result.status
    assert result.criterion == "min-norm-subgradient"
    assert abs(result.loss) <= 1e-12
    z_a, z_b = branches_from_views(result.z)
    assert torch.allclose(z_a, z_b, rtol=0, atol=1e-6)
