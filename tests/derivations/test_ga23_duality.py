"""derivations.ga23.duality: every derivation decided as intended, closed forms by hand."""

from __future__ import annotations

import sympy as sp

from derivations.base import symbolic_matrix
from derivations.ga23 import duality as sym


def test_general_size_derivations_are_proved():
    derivations = ([sym.definition_general(), sym.duality_general(),
                    sym.lagrange_identity_general()]
                   + sym.frobenius_general() + sym.offset_general() + sym.literal_hypothesis()
                   + sym.lemma_equality_cases() + sym.sandwich() + sym.minima_offset())
    assert all(d.check().status == "zero" for d in derivations)


def test_explicit_size_derivations_are_proved():
    derivations = (sym.definition_explicit(2, 3) + sym.definition_explicit(1, 2)
                   + [sym.duality_explicit(1, 1), sym.duality_explicit(3, 2)]
                   + sym.lemma_bounds_explicit(4) + sym.vicreg_covariance_explicit(2, 3))
    assert all(d.holds for d in derivations)


def test_printed_offset_is_refuted_with_a_witness_off_the_diagonal():
    check = sym.offset_against_paper().check()
    assert check.refuted
    assert check.witness["M"] != check.witness["N"]
    assert sp.simplify(sym.OFFSET_UNIT_COLUMNS - sym.PAPER_OFFSET
                       - (sym.M**2 - sym.N**2) / sym.M) == 0


def test_collapse_counterexample_attains_the_bound_and_is_not_rank_one():
    attains, collapsed = sym.collapse_counterexample(3)
    assert attains.holds
    assert collapsed.check().refuted
    assert collapsed.residual == 2


def test_literal_eq8_is_refuted():
    assert sym.literal_eq8(2, 2).check().refuted


def test_criteria_explicit_by_hand():
    # K = [[1, 2]]: Gram [[1, 2], [2, 4]] -> L_c = 8; K K^T = [[5]] -> L_nc = 0;
    # column norms^2 1, 4 -> col4 = 17; row norm^2 5 -> row4 = 25 (0 + 25 = 8 + 17).
    crit = sym.criteria_explicit(sp.Matrix([[1, 2]]))
    assert (crit["l_c"], crit["l_nc"], crit["col4"], crit["row4"], crit["l_reg"]) == (
        8, 0, 17, 25, -8)


def test_closed_forms_by_hand():
    at = {sym.M: 2, sym.N: 4, sym.A: 1}
    assert sym.OFFSET_UNIT_COLUMNS.subs(at) == -4
    assert sym.PAPER_OFFSET.subs(at) == 2
    assert sym.LEMMA_LOWER.subs(at) == 8
    assert sym.LEMMA_UPPER.subs(at) == 16
    assert sym.INTERVAL_WIDTH.subs(at) == 8
    assert sym.VICREG_SCALE.subs(at) == 18
    assert sym.VICREG_TRANSPOSED_SCALE.subs(at) == 4


def test_a_wrong_duality_is_not_proved():
    # Pairing row norms with L_c (the wrong way round) must not simplify to zero.
    crit = sym.criteria_explicit(symbolic_matrix("k", 2, 3, real=True))
    residual = crit["l_nc"] + crit["col4"] - crit["l_c"] - crit["row4"]
    assert sp.expand(residual) != 0
