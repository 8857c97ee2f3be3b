"""Symbolic derivations of the GA23 claims (Garrido et al., ICLR 2023), one module per family.

Each function returns :class:`derivations.base.Derivation` objects (statement, assumptions,
residual, optional closed form); the claim modules in ``tests/claims/ga23/`` check them and
lambdify the closed forms.

Modules
-------
- :mod:`.duality` (GA23-D2, T1, C0, L1, C1, E1): the criteria L_c, L_nc as explicit sums, the
  duality identity of Theorem 3.3 for general sizes, the doubly normalised offset, Lemma 3.4's
  bounds and their equality cases, Corollary 3.4.1's interval and VICReg's covariance term as
  L_c + L_reg of the centred embedding.
- :mod:`.sphere` (GA23-P1): moments of the cosine of independent uniform unit vectors.
"""
