"""GA23's two-branch contrastive losses (NT-Xent, SimCLR-sq/-abs, DCL and its variants, SimCLR
(A)/(B), the two-branch spectral contrastive loss) against their written formulas."""

from __future__ import annotations

import math

import pytest
import torch
from torch.testing import assert_close

from tests.torch_impl.losses.data import random_embedding
from tests.torch_impl.losses.ga23_references import (
    naive_normalise_dimensions,
    naive_nt_xent,
    naive_spectral_two_branch,
)
from torch_impl.losses import (
    DIMENSION_NORMALISATIONS,
    SIMCLR_VARIANTS,
    SIMILARITY_TRANSFORMS,
    normalise_dimensions,
    simclr_loss,
    simclr_two_branch_loss,
    spectral_contrastive_loss,
    spectral_contrastive_two_branch_loss,
)
from torch_impl.relations import views_relation
from torch_impl.validation import InvalidInputError

EXACT = {"rtol": 1e-12, "atol": 1e-14}
SIZES = [(2, 1), (2, 3), (5, 4), (7, 16)]


def _branches(n: int, m: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    z_a = random_embedding(n, m, seed)
    return z_a, z_a + 0.5 * random_embedding(n, m, seed + 1)


def _close(value: torch.Tensor, expected: float) -> None:
    assert_close(value, torch.tensor(expected, dtype=torch.float64), **EXACT)


@pytest.mark.parametrize(("n", "m"), SIZES)
@pytest.mark.parametrize("transform", SIMILARITY_TRANSFORMS)
@pytest.mark.parametrize("decoupled", [False, True])
@pytest.mark.parametrize("transform_positive", [False, True])
def test_matches_loop(n, m, transform, decoupled, transform_positive):
    z_a, z_b = _branches(n, m, seed=10 * n + m)
    options = {
        "similarity_transform": transform,
        "decoupled": decoupled,
        "transform_positive": transform_positive,
    }
    for tau in (0.1, 0.7):
        expected = naive_nt_xent(
            z_a,
            z_b,
            tau,
            transform=transform,
            decoupled=decoupled,
            transform_positive=transform_positive,
        )
        _close(simclr_two_branch_loss(z_a, z_b, tau=tau, **options), expected)


@pytest.mark.parametrize("normalisation", DIMENSION_NORMALISATIONS)
@pytest.mark.parametrize("cosine", [None, True, False])
def test_normalised_variants_match_loop(normalisation, cosine):
    z_a, z_b = _branches(6, 3, seed=4)
    z_b = z_b + 2.0  # a branch offset, which centring removes
    expected = naive_nt_xent(
        z_a, z_b, 0.3, dimension_normalisation=normalisation, cosine=cosine, transform="abs"
    )
    loss = simclr_two_branch_loss(
        z_a,
        z_b,
        tau=0.3,
        similarity_transform="abs",
        dimension_normalisation=normalisation,
        cosine=cosine,
    )
    _close(loss, expected)


@pytest.mark.parametrize(("n", "m"), SIZES)
def test_is_bl22_simclr_on_the_views_relation_over_2n(n, m):
    z_a, z_b = _branches(n, m, seed=3)
    stacked = simclr_loss(torch.cat([z_a, z_b]), views_relation(n, 2), tau=0.4)
    assert_close(simclr_two_branch_loss(z_a, z_b, tau=0.4), stacked / (2 * n), **EXACT)


@pytest.mark.parametrize("transform", SIMILARITY_TRANSFORMS)
def test_collapse_values(transform):
    # Every embedding the same direction: all similarities 1, so each anchor has 2N - 1 equal
    # logits (SimCLR: log(2N - 1)) or 2N - 2 negatives only (DCL: log(2N - 2)).
    n = 4
    z = torch.ones(n, 3, dtype=torch.float64)
    simclr = simclr_two_branch_loss(z, 2 * z, tau=0.5, similarity_transform=transform)
    dcl = simclr_two_branch_loss(z, 2 * z, tau=0.5, similarity_transform=transform, decoupled=True)
    _close(simclr, math.log(2 * n - 1))
    _close(dcl, math.log(2 * n - 2))


def test_decoupled_is_below_simclr_and_abs_above_identity():
    z_a, z_b = _branches(5, 4, seed=8)
    simclr = simclr_two_branch_loss(z_a, z_b, tau=0.5)
    assert simclr_two_branch_loss(z_a, z_b, tau=0.5, decoupled=True) < simclr
    assert simclr_two_branch_loss(z_a, z_b, tau=0.5, similarity_transform="abs") > simclr


def test_transform_positive_is_irrelevant_for_identity():
    z_a, z_b = _branches(5, 4, seed=9)
    assert_close(
        simclr_two_branch_loss(z_a, z_b, tau=0.5, transform_positive=True),
        simclr_two_branch_loss(z_a, z_b, tau=0.5),
        rtol=0.0,
        atol=0.0,
    )


def test_variants_table_names_each_option_set_once():
    assert set(SIMCLR_VARIANTS) == {
        "simclr",
        "simclr-sq",
        "simclr-abs",
        "dcl",
        "dcl-sq",
        "dcl-abs",
        "simclr-centred",
        "simclr-standardised",
    }
    z_a, z_b = _branches(5, 4, seed=12)
    values = [simclr_two_branch_loss(z_a, z_b, tau=0.5, **kw) for kw in SIMCLR_VARIANTS.values()]
    assert len({round(float(v), 12) for v in values}) == len(values)
    with pytest.raises(TypeError):
        SIMCLR_VARIANTS["new"] = {}  # read-only


def test_centred_variant_ignores_per_branch_offsets():
    z_a, z_b = _branches(6, 3, seed=5)
    shift_a, shift_b = random_embedding(1, 3, 6), random_embedding(1, 3, 7)
    for mode in ("centre", "standardise"):
        assert_close(
            simclr_two_branch_loss(
                z_a + shift_a, z_b + shift_b, tau=0.5, dimension_normalisation=mode
            ),
            simclr_two_branch_loss(z_a, z_b, tau=0.5, dimension_normalisation=mode),
            **EXACT,
        )


@pytest.mark.parametrize(("n", "m"), [(2, 1), (5, 3), (6, 9)])
@pytest.mark.parametrize("mode", DIMENSION_NORMALISATIONS)
def test_normalise_dimensions_matches_loop(n, m, mode):
    z = random_embedding(n, m, seed=n + m)
    expected = torch.tensor(naive_normalise_dimensions(z, mode), dtype=torch.float64)
    assert_close(normalise_dimensions(z, mode), expected, **EXACT)


def test_standardised_dimensions_have_norm_sqrt_n_over_m():
    n, m = 7, 3
    z = random_embedding(n, m, seed=1, scale=3.0) + 5.0
    out = normalise_dimensions(z, "standardise")
    assert_close(out.mean(dim=0), torch.zeros(m, dtype=torch.float64), rtol=0.0, atol=1e-15)
    assert_close(
        torch.linalg.vector_norm(out, dim=0),
        torch.full((m,), math.sqrt(n / m), dtype=torch.float64),
        **EXACT,
    )
    assert_close(out.square().sum(), torch.tensor(float(n), dtype=torch.float64), **EXACT)


def test_constant_dimension_stays_zero():
    z = random_embedding(4, 3, seed=2)
    z[:, 1] = 2.5
    out = normalise_dimensions(z, "standardise")
    assert torch.equal(out[:, 1], torch.zeros(4, dtype=torch.float64))


def test_none_returns_its_input():
    z = random_embedding(4, 3, seed=2)
    assert normalise_dimensions(z, "none") is z


def test_small_tau_gradient_is_finite():
    z_a, z_b = _branches(4, 3, seed=11)
    z_a.requires_grad_(True)
    for kw in SIMCLR_VARIANTS.values():
        loss = simclr_two_branch_loss(z_a, z_b, tau=1e-3, **kw)
        (grad,) = torch.autograd.grad(loss, z_a)
        assert torch.isfinite(loss)
        assert bool(torch.isfinite(grad).all())


def test_single_sample_rejected():
    z = random_embedding(1, 3, seed=0)
    with pytest.raises(InvalidInputError, match="z_a"):
        simclr_two_branch_loss(z, z, tau=0.5)


@pytest.mark.parametrize(("n", "m"), [(1, 1), (2, 3), (5, 4)])
def test_spectral_two_branch_matches_loop_and_relation_form(n, m):
    z_a, z_b = _branches(n, m, seed=20 + n)
    value = spectral_contrastive_two_branch_loss(z_a, z_b)
    _close(value, naive_spectral_two_branch(z_a, z_b))
    stacked = spectral_contrastive_loss(torch.cat([z_a, z_b]), views_relation(n, 2))
    assert_close(value, stacked, rtol=0.0, atol=0.0)
