"""Every derivation of derivations/bl22/downstream.py reduces to a zero residual."""

from __future__ import annotations

import pytest
import sympy as sp

from derivations.bl22 import downstream as ds

_DERIVATIONS = [
    ds.component_mean_fit,
    ds.component_residual,
    ds.probe_span_invariance,
    ds.probe_recovers_supervised,
    ds.clique_laplacian,
]


@pytest.mark.parametrize("make", _DERIVATIONS, ids=lambda f: f.__name__)
def test_derivation_holds(make):
    result = make()
    for derivation in result if isinstance(result, list) else [result]:
        assert derivation.holds, (derivation.statement, derivation.check().residual_text())


def test_component_residual_values():
    one_class = ds.COMPONENT_RESIDUAL.subs(dict(zip(ds.COUNTS, (3, 0, 0, 0), strict=True)))
    assert one_class == 0
    mixed = ds.COMPONENT_RESIDUAL.subs(dict(zip(ds.COUNTS, (2, 3, 0, 0), strict=True)))
    assert mixed == sp.Rational(12, 5)  # 5 - (4 + 9) / 5
