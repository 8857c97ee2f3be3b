"""Symbolic derivations of the BL22 claims, one module per claim family.

Each function returns a :class:`derivations.base.Derivation` (statement, assumptions, residual,
optional closed form); claim modules in ``tests/claims/bl22/`` lambdify the closed forms.
"""
