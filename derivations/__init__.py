"""derivations: the symbolic side of the audit (sympy).

:mod:`derivations.base` holds the result type :class:`~derivations.base.Derivation` and the
helpers every derivation uses; one module per group of claims builds on it.
"""

from derivations.base import (
    Derivation,
    ResidualCheck,
    check_residual,
    lambdify_torch,
    matrix_identity,
    symbolic_matrix,
    symmetric_relation,
)

__all__ = [
    "Derivation",
    "ResidualCheck",
    "check_residual",
    "lambdify_torch",
    "matrix_identity",
    "symbolic_matrix",
    "symmetric_relation",
]
