"""derivations.bl22.simclr, in the sympy style: small exact cases, bare asserts."""

from __future__ import annotations

import sympy as sp
import torch

from derivations.base import check_residual, lambdify_torch
from derivations.bl22 import simclr as sym


def test_simclr_loss_symbolic_of_collapsed_pairs_is_the_sum_of_row_terms():
    # Two views of one sample, both at the same point: each row is log(e^s) - s = 0.
    G = sym.views_relation_symbolic(1, 2)
    s = sp.Symbol("s", real=True)
    assert sp.simplify(sym.simclr_loss_symbolic(G, sp.Matrix([[0, s], [s, 0]]))) == 0


def test_simclr_loss_symbolic_uniform_similarities():
    # All similarities equal: every positive pair costs log(N - 1).
    G = sym.views_relation_symbolic(2, 2)
    S = sp.zeros(4, 4)
    assert sym.simclr_loss_symbolic(G, S) == 4 * sp.log(3)


def test_views_relation_symbolic_is_the_kronecker_form():
    G = sym.views_relation_symbolic(2, 3)
    kron = sp.kronecker_product(sp.ones(3, 3) - sp.eye(3), sp.eye(2))
    assert G == kron


def test_gibbs_certificate_vanishes_only_for_zero_mass_on_non_positives():
    # A single positive pair in a 3-node graph: the certificate is the non-positive's mass.
    G = sp.Matrix([[0, 1, 0], [1, 0, 0], [0, 0, 0]])
    S = sp.Matrix([[0, 0, 0], [0, 0, 0], [0, 0, 0]])
    # Rows 0 and 1: phi(1/2) + 1/2 each; row 2 has degree 0 and contributes nothing.
    expected = 2 * (sym.PHI.subs(sym.RATIO, sp.Rational(1, 2)) + sp.Rational(1, 2))
    assert sp.simplify(sym.gibbs_certificate_symbolic(G, S) - expected) == 0


def test_phi_is_zero_at_one_and_positive_elsewhere():
    assert sym.PHI.subs(sym.RATIO, 1) == 0
    assert sym.PHI.subs(sym.RATIO, 2).evalf() > 0
    assert sym.PHI.subs(sym.RATIO, sp.Rational(1, 3)).evalf() > 0


def test_gibbs_row_identity_holds():
    assert sym.gibbs_row_identity(2, 1).holds


def test_gap_bound_at_the_simplex_matches_the_explicit_triangle():
    assert sym.simplex_loss_explicit().holds
    assert sym.simplex_row_gap().holds


def test_gap_bound_limit_is_zero():
    assert sym.gap_bound_limit().holds


def test_one_d_limit_block_values():
    # m = 1: a lone component at its sign has no gap; N' = 3, V = 2 split 2 + 1: 4 log 3.
    block = sym.ONE_D_LIMIT_BLOCK.subs(sym.N_VIEWS, 2)
    assert block.subs(sym.SAME_SIGN, 1) == 0
    assert sp.simplify(block.subs(sym.SAME_SIGN, 2) - 4 * sp.log(3)) == 0
    assert sym.one_d_row_limit().holds


def test_simplex_gram_entries():
    n = 4
    on = sym.SIMPLEX_GRAM_ENTRY.subs({sym.N_ORIG: n, sym.SAME_COMPONENT: 1})
    across = sym.SIMPLEX_GRAM_ENTRY.subs({sym.N_ORIG: n, sym.SAME_COMPONENT: 0})
    assert on == 1
    assert across == sp.Rational(-1, n - 1)


def test_views_kernel_and_mds_identities():
    assert all(d.holds for d in sym.views_kernel_centring(2, 2))
    assert sym.classical_mds_of_components(2, 2).holds
    assert all(d.holds for d in sym.simplex_gram_spectrum(2, 2))


def test_simplex_global_bound_holds_for_every_size():
    assert all(d.check().status == "zero" for d in sym.simplex_global_bound())


def test_simplex_minimum_is_the_gibbs_bound_plus_the_simplex_gap():
    # B = N (V-1) log(V-1), the views graph's Gibbs bound, plus GAP_BOUND at the simplex.
    n, v = sym.N_ORIG, sym.N_VIEWS
    bound = n * v * (v - 1) * sp.log(v - 1)
    gap = sym.GAP_BOUND.subs(sym.SEPARATION, sym.SIMPLEX_SEPARATION)
    point = {n: 3, v: 2, sym.TAU: sp.Rational(1, 2)}
    assert sp.N((bound + gap - sym.SIMPLEX_MINIMUM).subs(point), 30) == 0


def test_simplex_minimum_is_the_loss_formula_at_the_collapsed_triangle():
    # N' = 3, V = 2: every view of a sample at one vertex of a triangle (cosines 1 and -1/2).
    G = sym.views_relation_symbolic(3, 2)
    cos = sp.Matrix(6, 6, lambda i, j: 1 if i % 3 == j % 3 else sp.Rational(-1, 2))
    tau = sp.Rational(1, 3)
    loss = sym.simclr_loss_symbolic(G, cos / tau)
    value = sym.SIMPLEX_MINIMUM.subs({sym.N_ORIG: 3, sym.N_VIEWS: 2, sym.TAU: tau})
    assert abs(sp.N(loss - value, 40)) < 1e-35


def test_a_wrong_simplex_cosine_is_refuted():
    # Claiming the bound at mean cosine gap -1 (orthogonal components) instead of -N'/(N'-1).
    n, v = sym.N_ORIG, sym.N_VIEWS
    p, m = v - 1, v * (n - 1)
    wrong = n * v * p * sp.log(p + m * sp.exp(-1 / sym.TAU)) - sym.SIMPLEX_MINIMUM
    assert check_residual(wrong).status == "nonzero"


def test_ring_isomap_circle_small():
    assert all(d.holds for d in sym.ring_isomap_circle(6))


def test_ring_circle_stationary_square():
    assert sym.ring_circle_stationary(4).holds


def test_psd_part_lambdifies_to_the_positive_part():
    f = lambdify_torch(sym.PSD_PART, [sym.EIGENVALUE])
    out = f(torch.tensor([-2.0, 0.0, 3.0], dtype=torch.float64))
    assert torch.equal(out, torch.tensor([0.0, 0.0, 3.0], dtype=torch.float64))


def test_spectral_identities():
    assert sym.spectral_loss_identity(2, 1).holds
    assert all(d.holds for d in sym.psd_part_cases())
    assert all(d.holds for d in sym.spectral_scalar_kkt())
    assert sym.spectral_stationary_eigenbasis(3, 1).holds
    assert sym.inner_product_is_cosine_at_rescaled_tau().holds


def test_a_wrong_gap_is_detected():
    # The simplex gap with the wrong separation (the circle's) must not pass.
    wrong = sym.GAP_BOUND.subs(sym.SEPARATION, 1)
    right = sym.GAP_BOUND.subs(sym.SEPARATION, sym.SIMPLEX_SEPARATION)
    point = {sym.N_ORIG: 3, sym.N_VIEWS: 2, sym.TAU: 1}
    assert (wrong - right).subs(point).evalf() != 0


def test_kernel_pca_candidate_is_stationary_only_for_equal_sizes():
    assert all(d.holds for d in sym.centred_indicator_rows((1, 2)))
    assert sym.kernel_pca_candidate_stationary((2, 2, 2)).holds
    assert sym.kernel_pca_candidate_stationary((1, 1, 2)).check().status == "nonzero"
