"""derivations.bl22.barlow_twins, in the sympy style: small exact cases, bare asserts."""

from __future__ import annotations

import sympy as sp

from derivations.bl22 import barlow_twins as bt


def test_edge_rows_list_every_ordered_pair():
    G = sp.Matrix([[0, 1, 0], [1, 0, 1], [0, 1, 0]])
    assert bt.edge_rows(G) == ([0, 1, 1, 2], [1, 0, 2, 1])


def test_loss_is_zero_at_indicators_and_positive_off_them():
    G = bt.TRIANGLE_AND_PAIR
    indicators = sp.Matrix([[1, 0], [1, 0], [1, 0], [0, 1], [0, 1]])
    assert sp.simplify(bt.bt_loss_symbolic(indicators, G)) == 0
    # A column not constant on the pair: C_11 = 1 - z^T L z / z^T D z < 1.
    bent = sp.Matrix([[1, 0], [1, 0], [1, 0], [0, 1], [0, 2]])
    assert sp.simplify(bt.bt_loss_symbolic(bent, G)) > 0


def test_edge_listing_and_dirichlet_identities_hold():
    assert all(d.holds for d in bt.edge_listing_identities() + bt.diagonal_dirichlet_identity())


def test_excess_loss_values():
    at = {bt.ALPHA: 1, bt.K: 5, bt.C: 4}
    assert bt.EXCESS_LOSS.subs(at) == 1
    assert bt.EXCESS_LOSS.subs({bt.ALPHA: sp.Rational(1, 10), bt.K: 5, bt.C: 4}) == sp.Rational(
        5, 41)
    assert bt.EXCESS_LOSS.subs({bt.ALPHA: sp.Rational(1, 10), bt.K: 4, bt.C: 4}) == 0
    assert bt.DIAGONAL.subs(at) == sp.Rational(4, 5)


def test_tilt_of_a_full_diagonal_is_zero():
    assert bt.TILT_SIN2.subs({bt.LAM: 1, bt.V: 2}) == 0
    assert bt.TILT_SIN2.subs({bt.LAM: 0, bt.V: 2}) == sp.Rational(1, 2)


def test_bound_and_attainment_hold():
    derivations = (bt.excess_loss_derivation() + bt.attainment_derivation()
                   + bt.tight_frame_example() + [bt.loss_as_matrix_function(2),
                                                 bt.lagrange_identity(2)])
    assert all(d.holds for d in derivations)


def test_gradient_vanishes_at_scaled_indicators():
    assert all(d.holds for d in bt.zero_loss_at_indicators())
