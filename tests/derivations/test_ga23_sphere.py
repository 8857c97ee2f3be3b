"""derivations.ga23.sphere: each derivation holds, and a wrong law is refuted."""

from __future__ import annotations

import pytest
import sympy as sp

from derivations.base import Derivation, check_residual
from derivations.ga23 import sphere as sym


@pytest.mark.parametrize("derivation", [
    sym.density_normalisation, sym.beta_substitution, sym.odd_moment_vanishes,
    sym.second_moment, sym.fourth_moment, sym.eighth_moment, sym.negative_mean_bound,
    sym.tight_frame_variance,
])
def test_general_derivations_are_proved(derivation):
    assert derivation().check().holds


@pytest.mark.parametrize("group", [sym.rate_of_approach, sym.simplex_variance,
                                   sym.collapsed_simplex_bound])
def test_derivation_groups_are_proved(group):
    derivations = group()
    assert derivations
    assert all(isinstance(d, Derivation) and d.check().holds for d in derivations)


@pytest.mark.parametrize("m", [1, 2, 3, 4, 7])
def test_explicit_moments_are_proved(m):
    assert all(d.check().holds for d in sym.explicit_moments(m))


def test_sized_identities_are_proved():
    assert sym.negative_sum_identity(2, 1).check().holds
    assert sym.negative_sum_identity(3, 2).check().holds
    assert sym.frame_potential_identity(2).check().holds


def test_density_integrates_to_one_at_m_3():
    # M = 3: the cosine is uniform on (-1, 1) (Archimedes), density 1/2.
    density = sym.COSINE_DENSITY.subs(sym.M, 3)
    assert sp.simplify(density - sp.Rational(1, 2)) == 0
    assert sp.integrate(density, (sym.T, -1, 1)) == 1


def test_a_wrong_variance_is_refuted():
    # 1/(M + 1) instead of 1/M: the Beta ratio differs, a spot check finds a witness.
    wrong = sym.second_moment().residual + sym.COSINE_VARIANCE - 1 / (sym.M + 1)
    assert check_residual(wrong).refuted


def test_closed_forms_by_hand():
    law = sym.TIGHT_FRAME_VARIANCE.subs({sym.N: 8, sym.M: 3})
    assert law == sp.Rational(8 * 4, 49)
    assert sym.RATE.subs({sym.N: 8, sym.M: 3}) == sp.Rational(17, 49)
    assert sym.NEGATIVE_MEAN_BOUND.subs(sym.N, 5) == sp.Rational(-1, 4)
    assert sym.COSINE_FOURTH_MOMENT.subs(sym.M, 1) == 1
    # DCL at N = 2: log 2 - 2/tau (the two negatives are antipodal).
    assert sp.simplify(sym.DCL_MINIMUM.subs(sym.N, 2) - (sp.log(2) - 2 / sym.TAU)) == 0
