"""The official / lightly / solo-learn VICReg and BarlowTwins conventions
(docs/catalogue/BL22.md#codebase-conventions): the written formulas, how the conventions relate,
and how they relate to the paper's losses."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.testing import assert_close

from tests.torch_impl.losses.data import random_embedding
from tests.torch_impl.losses.references import (
    naive_barlow_twins_official,
    naive_vicreg_convention,
)
from torch_impl.losses import (
    BARLOW_TWINS_CONVENTIONS,
    VICREG_CONVENTIONS,
    barlow_twins_loss,
    barlow_twins_loss_convention,
    branches_from_views,
    vicreg_loss_convention,
    vicreg_terms,
)
from torch_impl.relations import positive_pairs, views_relation

EXACT = {"rtol": 1e-12, "atol": 0.0}


def _branches(n: int, d: int, seed: int, scale: float = 0.8) -> tuple[torch.Tensor, ...]:
    base = random_embedding(n, d, seed, scale=scale)
    return base, base + 0.3 * random_embedding(n, d, seed + 1, scale=scale)


COEFFS = {"sim_coeff": 25.0, "std_coeff": 25.0, "cov_coeff": 1.0}


@pytest.mark.parametrize(("n", "d"), [(2, 1), (5, 3), (8, 4)])
@pytest.mark.parametrize("convention", VICREG_CONVENTIONS)
def test_vicreg_matches_written_formula(convention, n, d):
    z_a, z_b = _branches(n, d, seed=n + d)
    expected = naive_vicreg_convention(z_a, z_b, 2.0, 3.0, 0.5, halve_variance=convention != "solo")
    ours = vicreg_loss_convention(
        z_a, z_b, convention=convention, sim_coeff=2.0, std_coeff=3.0, cov_coeff=0.5
    )
    assert_close(ours, torch.tensor(expected, dtype=torch.float64), rtol=1e-12, atol=1e-14)


def test_vicreg_defaults_are_25_25_1():
    z_a, z_b = _branches(6, 3, seed=1)
    assert_close(
        vicreg_loss_convention(z_a, z_b, convention="official"),
        vicreg_loss_convention(z_a, z_b, convention="official", **COEFFS),
        **EXACT,
    )


SIZES = {
    "seed": st.integers(0, 2**16),
    "n": st.integers(2, 20),
    "d": st.integers(1, 8),
    "scale": st.floats(0.1, 3.0),
}


@given(**SIZES)
@settings(max_examples=20, deadline=None, derandomize=True)
def test_vicreg_official_equals_lightly(seed, n, d, scale):
    z_a, z_b = _branches(n, d, seed, scale)
    assert_close(
        vicreg_loss_convention(z_a, z_b, convention="official"),
        vicreg_loss_convention(z_a, z_b, convention="lightly"),
        rtol=0.0,
        atol=0.0,
    )


@given(**SIZES, std_coeff=st.floats(0.0, 50.0))
@settings(max_examples=20, deadline=None, derandomize=True)
def test_vicreg_solo_differs_only_by_the_halved_variance(seed, n, d, scale, std_coeff):
    # solo-learn sums the branches' variance terms where official / lightly average them
    # (facebookresearch/vicreg#8): solo(std_coeff) == official(2 * std_coeff), the rest equal.
    z_a, z_b = _branches(n, d, seed, scale)
    solo = vicreg_loss_convention(z_a, z_b, convention="solo", std_coeff=std_coeff)
    official = vicreg_loss_convention(z_a, z_b, convention="official", std_coeff=2 * std_coeff)
    assert_close(solo, official, rtol=1e-12, atol=1e-14)
    no_variance = {"sim_coeff": 3.0, "std_coeff": 0.0, "cov_coeff": 2.0}
    assert_close(
        vicreg_loss_convention(z_a, z_b, convention="solo", **no_variance),
        vicreg_loss_convention(z_a, z_b, convention="official", **no_variance),
        rtol=0.0,
        atol=0.0,
    )


def test_paper_invariance_is_K_times_mse_for_two_views():
    # The paper's (1/N) sum over ordered pairs, N = 2N', equals K * F.mse_loss(z_a, z_b).
    Z = random_embedding(20, 6, seed=2)
    z_a, z_b = branches_from_views(Z)
    invariance = vicreg_terms(Z, views_relation(10, 2)).invariance
    assert_close(invariance, 6 * F.mse_loss(z_a, z_b), **EXACT)


@pytest.mark.parametrize(("n", "d"), [(2, 1), (5, 3), (8, 4)])
def test_barlow_twins_official_matches_written_formula(n, d):
    z_a, z_b = _branches(n, d, seed=n * d)
    expected = naive_barlow_twins_official(z_a, z_b, 0.0051)
    assert_close(
        barlow_twins_loss_convention(z_a, z_b, convention="official"),
        torch.tensor(expected, dtype=torch.float64),
        rtol=1e-12,
        atol=1e-14,
    )


@given(**SIZES, lambd=st.floats(0.0, 1.0))
@settings(max_examples=20, deadline=None, derandomize=True)
def test_barlow_twins_solo_is_scaled_official(seed, n, d, scale, lambd):
    z_a, z_b = _branches(n, d, seed, scale)
    assert_close(
        barlow_twins_loss_convention(z_a, z_b, convention="solo", lambd=lambd),
        0.025 * barlow_twins_loss_convention(z_a, z_b, convention="official", lambd=lambd),
        rtol=1e-12,
        atol=1e-14,
    )


def test_barlow_twins_default_lambdas():
    z_a, z_b = _branches(6, 3, seed=3)
    for convention, lambd in (("official", 0.0051), ("solo", 5e-3)):
        assert_close(
            barlow_twins_loss_convention(z_a, z_b, convention=convention),
            barlow_twins_loss_convention(z_a, z_b, convention=convention, lambd=lambd),
            **EXACT,
        )


@given(
    seed=st.integers(0, 2**16),
    n=st.integers(2, 20),
    d=st.integers(1, 6),
    shift=st.floats(-10.0, 10.0),
    log_scale=st.floats(-1.0, 1.0),
)
@settings(max_examples=20, deadline=None, derandomize=True)
def test_barlow_twins_official_is_paper_loss_on_centred_columns(seed, n, d, shift, log_scale):
    # BN centres and standardises: on centred columns bn(z) / sqrt(N) is the paper's column
    # normalisation up to the BN eps, a relative 1e-5 / Var ~ 1e-9 at this scale; the official
    # loss is also invariant to per-column affine maps (lightly PR#1806).
    z_a, z_b = _branches(n, d, seed, scale=100.0)
    official = barlow_twins_loss_convention(z_a, z_b, convention="official", lambd=0.3)
    paper = barlow_twins_loss(z_a - z_a.mean(0), z_b - z_b.mean(0), alpha=0.3)
    assert_close(official, paper, rtol=1e-7, atol=1e-7)
    affine = barlow_twins_loss_convention(
        z_a * 10**log_scale + shift, z_b, convention="official", lambd=0.3
    )
    assert_close(affine, official, rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize("convention", VICREG_CONVENTIONS)
def test_vicreg_gradcheck(convention):
    z_a, z_b = (z.requires_grad_() for z in _branches(6, 3, seed=4))
    assert torch.autograd.gradcheck(
        lambda a, b: vicreg_loss_convention(a, b, convention=convention), (z_a, z_b)
    )


@pytest.mark.parametrize("convention", BARLOW_TWINS_CONVENTIONS)
def test_barlow_twins_gradcheck(convention):
    z_a, z_b = (z.requires_grad_() for z in _branches(6, 3, seed=5))
    assert torch.autograd.gradcheck(
        lambda a, b: barlow_twins_loss_convention(a, b, convention=convention), (z_a, z_b)
    )


@pytest.mark.parametrize("n_views", [2, 3, 4])
def test_branches_follow_views_relation(n_views):
    # Every positive pair (r, c) of views_relation joins row i of two different views.
    n_samples, k = 5, 3
    Z = random_embedding(n_samples * n_views, k, seed=6)
    views = branches_from_views(Z, n_views)
    assert len(views) == n_views
    assert all(v.shape == (n_samples, k) for v in views)
    assert_close(torch.cat(views), Z, rtol=0.0, atol=0.0)
    rows, cols = positive_pairs(views_relation(n_samples, n_views))
    assert torch.equal(rows % n_samples, cols % n_samples)
    assert bool((rows // n_samples != cols // n_samples).all())


# ---------------------------------------------------------------------------------------------
# The two-branch VICReg as smooth part + weighted hinges (for torch_impl.fit's HingeObjective)
# ---------------------------------------------------------------------------------------------

from torch_impl.losses import (  # noqa: E402
    vicreg_convention_hinge_arguments,
    vicreg_convention_hinge_weight,
    vicreg_convention_smooth_part,
)


@pytest.mark.parametrize("scale", [0.3, 1.0, 2.5])
@pytest.mark.parametrize(("n_orig", "k"), [(2, 1), (5, 3), (8, 6)])
@pytest.mark.parametrize("convention", VICREG_CONVENTIONS)
def test_vicreg_convention_split_equals_the_loss(convention, n_orig, k, scale):
    Z = random_embedding(2 * n_orig, k, seed=n_orig + k, scale=scale)
    coeffs = {"sim_coeff": 3.0, "cov_coeff": 0.7}
    smooth = vicreg_convention_smooth_part(Z, convention, **coeffs)
    weight = vicreg_convention_hinge_weight(convention, k, 11.0)
    assembled = smooth + weight * F.relu(vicreg_convention_hinge_arguments(Z)).sum()
    expected = vicreg_loss_convention(
        *branches_from_views(Z), convention=convention, std_coeff=11.0, **coeffs
    )
    assert_close(assembled, expected, **EXACT)


def test_vicreg_convention_hinge_arguments_per_branch():
    Z = random_embedding(8, 3, seed=5)
    z_a, z_b = Z[:4], Z[4:]
    args = vicreg_convention_hinge_arguments(Z)
    assert args.shape == (6,)
    assert torch.equal(args[:3], 1 - torch.sqrt(z_a.var(dim=0) + 1e-4))
    assert torch.equal(args[3:], 1 - torch.sqrt(z_b.var(dim=0) + 1e-4))


@pytest.mark.parametrize(
    ("convention", "expected"), [("official", 25.0 / 8), ("lightly", 25.0 / 8), ("solo", 25.0 / 4)]
)
def test_vicreg_convention_hinge_weight(convention, expected):
    assert vicreg_convention_hinge_weight(convention, 4) == expected


def test_vicreg_convention_smooth_part_is_loss_without_variance():
    Z = random_embedding(6, 2, seed=2)
    expected = vicreg_loss_convention(*branches_from_views(Z), convention="official", std_coeff=0.0)
    assert torch.equal(vicreg_convention_smooth_part(Z, "official"), expected)
