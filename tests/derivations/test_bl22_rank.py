"""derivations.bl22.rank, in the sympy style: small exact cases, bare asserts."""

from __future__ import annotations

import sympy as sp
import torch

from derivations.base import lambdify_torch
from derivations.bl22 import rank as sym
from derivations.bl22.simclr import views_relation_symbolic


def test_views_relation_has_full_rank_and_components_rank_n_orig():
    G = views_relation_symbolic(3, 2)
    assert G.rank() == 6
    assert (G + sp.eye(6)).rank() == 3


def test_every_views_relation_derivation_holds():
    for n_orig, n_views in ((2, 2), (3, 3)):
        derivations = (sym.views_relation_inverse(n_orig, n_views)
                       + sym.views_relation_components(n_orig, n_views)
                       + sym.top_eigenspace(n_orig, n_views))
        assert all(d.holds for d in derivations)


def test_indicators_sum_to_the_constant_vector():
    P = sym.indicators_symbolic(3, 2)
    assert P * sp.ones(3, 1) == sp.ones(6, 1)


def test_rank_laws_lambdify_elementwise():
    k, c, n = (torch.tensor(v, dtype=torch.float64) for v in ([2.0, 4.0, 6.0], 4.0, 8.0))
    assert lambdify_torch(sym.RANK_COMPONENTS, [sym.K, sym.C, sym.N])(k, c, n).tolist() == [
        2.0, 4.0, 4.0]
    assert lambdify_torch(sym.RANK_CENTRED, [sym.K, sym.C, sym.N])(k, c, n).tolist() == [
        2.0, 3.0, 3.0]
    assert lambdify_torch(sym.RANK_FULL, [sym.K, sym.C, sym.N])(k, c, n).tolist() == [
        2.0, 4.0, 6.0]


def test_regular_simplex_sums_to_zero():
    # Three unit vectors at 120 degrees: the centring identity gives ||sum||^2 = 3 + 6(-1/2) = 0.
    rows = [sp.Matrix([[sp.cos(2 * sp.pi * a / 3), sp.sin(2 * sp.pi * a / 3)]]) for a in range(3)]
    total = rows[0] + rows[1] + rows[2]
    assert sp.simplify((total * total.T)[0]) == 0
    assert sym.simplex_centring(3).holds


def test_cayley_rotation_is_orthogonal_and_preserves_gram():
    assert sym.rotation_orthogonal(3).holds
    assert sym.simclr_rotation_invariance(2, 2).holds


def test_rotation_of_an_anisotropic_covariance_creates_covariance():
    a, d = sp.symbols("a d", positive=True)  # the module's symbols (same name, assumptions)
    value = sym.COV_TERM_ROTATED.subs({a: 2, d: 1, sym.PHI: sp.pi / 4})
    assert value == sp.Rational(1, 2)
    assert sym.covariance_term_rotation().holds


def test_bt_rotated_offdiagonal_vanishes_only_for_equal_norms():
    n1, n2 = sp.symbols("n_1 n_2", positive=True)
    at = {sym.PHI: sp.pi / 4}
    assert sp.simplify(sym.BT_ROTATED_OFFDIAG.subs({**at, n1: 3, n2: 3})) == 0
    assert sp.simplify(sym.BT_ROTATED_OFFDIAG.subs({**at, n1: 1, n2: 3})) == sp.Rational(1, 2)


def test_row_scale_invariance_holds():
    assert sym.row_scale_invariance().holds


def test_views_relation_is_invertible_for_every_size():
    assert all(d.check().status == "zero" for d in sym.views_relation_inverse_general())


def test_a_wrong_inverse_is_refuted():
    # G (G - (V-3) I) = (V-1) I is false: the remainder modulo J^2 = V J is nonzero.
    from derivations.base import check_residual

    v, j = sp.Symbol("V", integer=True, positive=True), sp.Symbol("J")
    wrong = sp.rem(sp.expand((j - 1) * (j - 1 - (v - 3)) - (v - 1)), j**2 - v * j, j)
    assert check_residual(wrong).status == "nonzero"


def test_vicreg_rotation_counterexample_changes_the_loss():
    assert all(d.check().status == "zero" for d in sym.vicreg_rotation_counterexample())


def test_claiming_vicreg_rotation_invariance_is_refuted():
    # The same Z and R, residual L(Z R) - L(Z) (the invariance the claim asserts): a witness.
    from derivations.base import check_residual, symmetric_relation

    Z = sp.Matrix([[2, 1], [0, -2], [-2, 1]])
    R = sp.Matrix([[3, -4], [4, 3]]) / 5
    G = symmetric_relation("g", 3)
    residual = sym._pooled_vicreg_symbolic(Z * R, G) - sym._pooled_vicreg_symbolic(Z, G)
    assert check_residual(residual).status == "nonzero"
