"""Tests of tests/claims/bl22/protocols/simclr.py (tiny problems, hand-computed values)."""

from __future__ import annotations

import math

import pytest
import torch

from tests.claims.bl22.protocols import simclr
from torch_impl.losses import simclr_loss
from torch_impl.relations import class_relation, path_relation, views_relation

F64 = torch.float64


def test_gibbs_bound_by_hand():
    # views graph N' = 3, V = 3: 9 nodes of degree 2 -> 9 * 2 log 2.
    assert simclr.gibbs_bound(views_relation(3, 3)) == pytest.approx(18 * math.log(2), abs=1e-12)
    # path P_3: degrees 1, 2, 1 -> 2 log 2; degree-1 nodes contribute 0.
    assert simclr.gibbs_bound(path_relation(3)) == pytest.approx(2 * math.log(2), abs=1e-12)
    # an isolated node contributes 0 (not nan).
    G = torch.zeros(3, 3, dtype=F64)
    G[0, 1] = G[1, 0] = 1.0
    assert simclr.gibbs_bound(G) == 0.0


def test_ghat_is_the_softmax_over_the_other_rows_by_hand():
    Z = torch.tensor([[1.0, 0.0], [-2.0, 0.0], [0.0, 3.0]], dtype=F64)
    q = simclr.ghat(Z, tau=1.0)
    # row 0: cosines -1 (row 1) and 0 (row 2).
    e = math.exp(-1.0)
    expected_row0 = torch.tensor([0.0, e / (e + 1), 1 / (e + 1)], dtype=F64)
    torch.testing.assert_close(q[0], expected_row0, rtol=0, atol=1e-15)
    torch.testing.assert_close(q.sum(dim=1), torch.ones(3, dtype=F64), rtol=0, atol=1e-15)
    assert float(q.diagonal().abs().max()) == 0.0


@pytest.mark.parametrize("tau", [0.1, 1.0])
def test_gibbs_certificate_is_loss_minus_bound_and_nonnegative(tau):
    G = class_relation((2, 2, 4))
    Z = torch.randn(G.shape[0], 3, generator=torch.Generator().manual_seed(2), dtype=F64)
    loss = float(simclr_loss(Z, G, tau=tau))
    certificate = simclr.gibbs_certificate(Z, G, tau)
    assert certificate > 0
    assert certificate == pytest.approx(loss - simclr.gibbs_bound(G), rel=1e-12, abs=1e-12)
    assert simclr.cross_entropy(simclr.ghat(Z, tau), G) == pytest.approx(loss, rel=1e-12)


def test_cross_entropy_attains_the_bound_only_at_the_row_normalised_relation():
    # BL22-C4a's equality half: q = D^{-1} G gives B with a zero certificate; any other
    # right-stochastic q (here: mass 0.1 moved onto non-positives) a positive one.
    G = class_relation((2, 3))
    target = G / G.sum(dim=1, keepdim=True)
    assert simclr.cross_entropy(target, G) == pytest.approx(simclr.gibbs_bound(G), rel=1e-14)
    assert simclr.certificate_of(target, G) == 0.0
    off = ((1 - G - torch.eye(5, dtype=F64)) / (1 - G - torch.eye(5, dtype=F64)).sum(1, True))
    moved = 0.9 * target + 0.1 * off
    gap = simclr.cross_entropy(moved, G) - simclr.gibbs_bound(G)
    assert gap > 0.1
    assert simclr.certificate_of(moved, G) == pytest.approx(gap, rel=1e-12)
    # Pinsker: every row moved 0.1 of its mass, ||.||_1 = 0.2 per row -> 5 * 0.04 / 2.
    assert simclr.pinsker_gap(moved, G) == pytest.approx(0.1, rel=1e-12)
    assert simclr.pinsker_gap(moved, G) <= gap
    assert simclr.pinsker_gap(target, G) == 0.0


def test_gap_bound_by_hand():
    # N' = 2, V = 2, simplex: delta = N'/(N'-1) = 2 -> 4 log(1 + 2 e^{-2/tau}).
    tau = 0.5
    assert simclr.gap_bound(2, 2, tau, simplex=True) == pytest.approx(
        4 * math.log(1 + 2 * math.exp(-2 / tau)), rel=1e-14)
    # circle of N' = 4: delta = 1 - cos(pi / 2) = 1
    # -> N' V (V-1) log(1 + V (N'-1)/(V-1) e^{-1/tau}).
    assert simclr.gap_bound(4, 2, tau, simplex=False) == pytest.approx(
        8 * math.log(1 + 6 * math.exp(-1 / tau)), rel=1e-14)


@pytest.mark.parametrize(("n_orig", "n_views"), [(3, 2), (4, 3)])
def test_collapsed_simplex_attains_the_gap_bound(n_orig, n_views):
    # BL22-C4b: the collapsed regular simplex's loss minus B IS GAP_BOUND (simplex delta).
    G = views_relation(n_orig, n_views)
    Z = simclr.collapsed_configuration(n_orig, n_views, n_orig - 1, simplex=True, device="cpu")
    tau = 0.3
    gap = float(simclr_loss(Z, G, tau=tau)) - simclr.gibbs_bound(G)
    assert gap == pytest.approx(simclr.gap_bound(n_orig, n_views, tau, simplex=True), rel=1e-12)


def test_collapsed_configurations_by_hand():
    simplex = simclr.collapsed_configuration(3, 2, 3, simplex=True, device="cpu")
    gram = simclr.normalized_gram(simplex)
    # views of a sample coincide (cosine 1), samples at cosine -1/(N'-1) = -1/2; third column 0.
    expected = 1.5 * simclr.component_kernel(views_relation(3, 2)) - 0.5
    torch.testing.assert_close(gram, expected, rtol=0, atol=1e-12)
    assert float(simplex[:, 2].abs().max()) == 0.0
    circle = simclr.collapsed_configuration(4, 2, 2, simplex=False, device="cpu")
    quarter = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]], dtype=F64)
    torch.testing.assert_close(circle, quarter.repeat(2, 1), rtol=0, atol=1e-15)


def test_component_kernel_and_normalized_gram():
    G = views_relation(2, 2)
    assert torch.equal(simclr.component_kernel(G), G + torch.eye(4, dtype=F64))
    Z = torch.tensor([[3.0, 0.0], [0.0, 2.0]], dtype=F64)
    assert torch.equal(simclr.normalized_gram(Z), torch.eye(2, dtype=F64))


def test_fit_simclr_reaches_the_simplex_on_a_tiny_views_graph():
    G = views_relation(3, 2)
    fit = simclr.fit_simclr(G, 2, 1.0, seed=0)
    torch.testing.assert_close(fit.z.norm(dim=1), torch.ones(6, dtype=F64), rtol=0, atol=1e-12)
    assert fit.grad_norm <= 1e-10  # GRAD_TOL by fit's margin 100
    simplex = simclr.collapsed_configuration(3, 2, 2, simplex=True, device="cpu")
    compared = simclr.candidate_comparison(G, 1.0, fit, simplex)
    assert compared.gram_error < 1e-6
    assert abs(compared.loss_excess) < 1e-10
    # a perturbed candidate is not a minimiser: its loss is strictly higher.
    perturbed = simplex + 0.1 * torch.eye(6, 2, dtype=F64)
    worse = simclr.candidate_comparison(G, 1.0, fit, perturbed)
    assert worse.loss_excess > 1e-6
    assert worse.gram_error > 1e-3


def test_one_d_minimum_matches_the_limit_by_hand():
    # N' = 3, V = 2 (B = 0): the limit gap is 4 log 3 (BL22-C4b-1D), reached to float64
    # resolution at tau = 0.02 (e^{-100} terms vanish).
    assert simclr.one_d_limit_gap(3, 2) == pytest.approx(4 * math.log(3), rel=1e-14)
    loss, pattern = simclr.one_d_exact_minimum(views_relation(3, 2), 0.02)
    assert loss == pytest.approx(4 * math.log(3), rel=1e-12)
    assert pattern.shape == (6, 1)
    assert float(pattern[0, 0]) == 1.0
    # two components at +-1: the limit gap is 0.
    assert simclr.one_d_limit_gap(2, 3) == 0.0


def test_fit_simclr_certifies_where_free_row_scales_left_the_iterate_bound():
    # Path N = 21, K = 2, tau = 0.2: without the gauge term a restart inflated its rows until
    # it "diverged"; with it the fit certifies, at unit rows, with positive curvature.
    fit = simclr.fit_simclr(path_relation(21), 2, 0.2, seed=141)
    assert fit.converged
    torch.testing.assert_close(fit.z.norm(dim=1), torch.ones(21, dtype=F64), rtol=0, atol=1e-12)
    assert fit.min_tangent_eig > 0


def test_views_specs_meet_the_size_and_sample_ranges():
    from hypothesis import given, settings

    from tests.claims import graphs

    @settings(max_examples=30, derandomize=True, database=None)
    @given(simclr.views_specs((20, 64), (3, 8)))
    def check(spec):
        graph = graphs.build(spec)
        assert 20 <= graph.n <= 64
        assert 3 <= graph.n_components <= 8
        assert graph.family == "views"

    check()
