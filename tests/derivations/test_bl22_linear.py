"""Every derivation of derivations/bl22/linear.py reduces to a zero residual."""

from __future__ import annotations

import pytest
import sympy as sp

from derivations.bl22 import linear as lin

_DERIVATIONS = [
    lin.pencil_kkt,
    lin.vicreg_column_reduction,
    lin.lpp_pencil_decomposition,
    lin.lpp_regular_centred,
    lin.bt_cross_correlation,
    lin.bt_subspace_stationary,
    lin.bt_eigenbasis_saddle,
    lin.bt_zero_loss,
    lin.bt_identical_features_reach_identity,
    lin.spectral_linear_reduction,
    lin.spectral_linear_whitening,
    lin.cosine_scale_invariance,
]


@pytest.mark.parametrize("make", _DERIVATIONS, ids=lambda f: f.__name__)
def test_derivation_holds(make):
    result = make()
    for derivation in result if isinstance(result, list) else [result]:
        assert derivation.holds, (derivation.statement, derivation.check().residual_text())


def test_saddle_curvature_sign():
    # rho_k = 0.95 > rho_l = 0.9: h(0.95) = 0.045 < h(0.9) = 0.081, a saddle.
    curvature = sp.Lambda((lin.RHO_K, lin.RHO_L), lin.SADDLE_CURVATURE)
    assert curvature(sp.Rational(95, 100), sp.Rational(9, 10)) < 0
    # rho_k = 0.6 > rho_l = 0.3: h(0.6) = 0.144 > h(0.3) = 0.063, positive curvature.
    assert curvature(sp.Rational(6, 10), sp.Rational(3, 10)) > 0


def test_lpp_irregular_differs():
    # Path graph (degrees 1, 2, 1) and a centred X: the degree-spread term is not zero.
    X = sp.Matrix([[1, 0], [0, 1], [-1, -1]])
    G = sp.Matrix([[0, 1, 0], [1, 0, 1], [0, 1, 0]])
    D = sp.diag(*(G * sp.ones(3, 1)))
    dbar = sp.Rational(4, 3)
    assert X.T * (D - dbar * sp.eye(3)) * X != sp.zeros(2, 2)


def test_whitening_fixes_eckart_youngs_target():
    # With Y = S W the target is S^-1 a S^-1; S^-1 a S^-1 with the wrong side (a S^-2) is not
    # symmetric in general, and the identity with it fails at a witness point.
    from derivations.base import check_residual, symbolic_matrix

    S = sp.Matrix([[2, 1], [1, 3]])
    a = sp.Matrix([[1, 4], [4, -2]])
    W = symbolic_matrix("w", 2, 1, real=True)
    Y = S * W
    loss = -2 * (W.T * a * W)[0] + sum(e**2 for e in W.T * S * S * W)
    right, wrong = S.inv() * a * S.inv(), a * S.inv() ** 2
    assert check_residual(loss - sum(e**2 for e in Y * Y.T - right)
                          + sum(e**2 for e in right)).status == "zero"
    assert check_residual(loss - sum(e**2 for e in Y * Y.T - wrong)
                          + sum(e**2 for e in wrong)).status == "nonzero"


def test_features_not_constant_on_components_do_not_reach_identity():
    # A free feature on the triangle + pair: Z^T G Z - Z^T D Z = -z^T L z, not identically 0.
    from derivations.base import check_residual, symbolic_matrix, symmetric_relation
    from derivations.bl22.barlow_twins import TRIANGLE_AND_PAIR

    G = symmetric_relation("g", 5, TRIANGLE_AND_PAIR.tolist())
    z = symbolic_matrix("z", 5, 1, real=True)
    assert check_residual(z.T * G * z - z.T * sp.diag(*(G * sp.ones(5, 1))) * z).status == \
        "nonzero"
