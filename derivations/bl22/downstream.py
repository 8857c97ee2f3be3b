"""BL22-K2: linear probes on SSL optima (BL22 Sec. 2 finding (3), contribution (4), abstract).

Notation: Z (N, K) an SSL optimum, Y (N, C) one-hot labels, the probe min_B ||Y - [Z 1] B||_F^2
(least squares with intercept) and its fitted values P Y, P the orthogonal projector onto
span([Z 1]). Our DERIVED statements (the paper's theorems were not available):

* :func:`component_mean_fit` / :func:`component_residual`: when span([Z 1]) is the span of the
  indicators of G's connected components (the BarlowTwins optimum with C = I and K = #components,
  BL22-C6), the probe predicts each component's mean label, and the squared residual of a
  component with class counts n_1..n_C is :data:`COMPONENT_RESIDUAL` = n - sum_k n_k^2 / n =
  2 sum_{k<l} n_k n_l / n: zero iff the component holds one class. Summed over components the
  training residual is zero iff the labels are constant on G's components.
* :func:`probe_span_invariance`: the fitted values depend on Z only through span([Z 1]), so
  VICReg's per-column scales t_k (the only place gamma enters its linear optimum, BL22-C3) and
  BarlowTwins' free column scales do not change an unregularised least-squares probe.
* :func:`probe_recovers_supervised`: if span([Z 1]) lies in span([X 1]) and contains the
  supervised fit P_[X 1] Y, the probe on Z reproduces the supervised least-squares classifier.
* :func:`clique_laplacian`: for a class graph of equal cliques of size n, X^T L X = n S_w (the
  within-class scatter), so linear VICReg's pencil (S_w, S_t) is LDA's.
"""

from __future__ import annotations

import sympy as sp

from derivations.base import Derivation, symbolic_matrix

__all__ = [
    "N_CLASSES_MAX",
    "COUNTS",
    "COMPONENT_RESIDUAL",
    "component_mean_fit",
    "component_residual",
    "probe_span_invariance",
    "probe_recovers_supervised",
    "clique_laplacian",
]

N_CLASSES_MAX = 4
"""Classes the closed form is written for (a component's counts, zero-padded)."""
COUNTS = sp.symbols(f"n_1:{N_CLASSES_MAX + 1}", nonnegative=True)
"""n_k: how many samples of class k a connected component holds."""
_TOTAL = sum(COUNTS)

COMPONENT_RESIDUAL = _TOTAL - sum(c**2 for c in COUNTS) / _TOTAL
"""Squared least-squares residual of one component (features constant on it): n - sum n_k^2 / n."""


def component_mean_fit() -> Derivation:
    """Constant features on a component: the best constant m minimises sum_i ||y_i - m||^2.

    d/dm_k of sum_k [n_k (1 - m_k)^2 + (n - n_k) m_k^2] vanishes at m_k = n_k / n (the class
    frequencies): the probe predicts the component's mean one-hot label.
    """
    m = sp.symbols(f"m_1:{N_CLASSES_MAX + 1}", real=True)
    sse = sum(c * (1 - mk) ** 2 + (_TOTAL - c) * mk**2 for c, mk in zip(COUNTS, m, strict=True))
    gradient = sp.Matrix([sp.diff(sse, mk) for mk in m])
    frequencies = {mk: c / _TOTAL for mk, c in zip(m, COUNTS, strict=True)}
    return Derivation("constant features: the least-squares constant is the class frequency "
                      "vector n_k / n", gradient.subs(frequencies),
                      assumptions=["n = sum_k n_k > 0", "one-hot labels"])


def component_residual() -> list[Derivation]:
    """Residual at the mean: n - sum n_k^2 / n = 2 sum_{k<l} n_k n_l / n (0 iff one class)."""
    sse = sum(c * (1 - c / _TOTAL) ** 2 + (_TOTAL - c) * (c / _TOTAL) ** 2 for c in COUNTS)
    pairs = 2 * sum(COUNTS[k] * COUNTS[j] for k in range(N_CLASSES_MAX)
                    for j in range(k + 1, N_CLASSES_MAX)) / _TOTAL
    return [
        Derivation("sum_i ||y_i - ybar||^2 = n - sum_k n_k^2 / n", sse - COMPONENT_RESIDUAL,
                   assumptions=["n > 0"], closed_form=COMPONENT_RESIDUAL,
                   closed_form_symbols=COUNTS),
        Derivation("n - sum_k n_k^2 / n = 2 sum_{k<l} n_k n_l / n (zero iff one class present)",
                   COMPONENT_RESIDUAL - pairs, assumptions=["n > 0"]),
    ]


def probe_span_invariance() -> list[Derivation]:
    """Normal equations under Z -> Z M (N = 4, K = 2, symbolic Z, M, coefficients B, targets y).

    With A = [Z 1] and T = blockdiag(M, 1): (A T)(T^{-1} B) = A B, and
    (A T)^T ((A T)(T^{-1} B) - y) = T^T A^T (A B - y). So B solves the normal equations of [Z 1]
    iff T^{-1} B solves those of [Z M 1], with the same fitted values: the probe sees only
    span([Z 1]).
    """
    Z = symbolic_matrix("z", 4, 2, real=True)
    M = symbolic_matrix("m", 2, 2, real=True)
    B = symbolic_matrix("b", 3, 1, real=True)
    y = symbolic_matrix("y", 4, 1, real=True)
    A = Z.row_join(sp.ones(4, 1))
    T = sp.diag(M, sp.Integer(1))
    B2 = T.inv() * B
    return [
        Derivation("[Z M 1] T^{-1} B = [Z 1] B (same fitted values)",
                   ((A * T) * B2 - A * B).applyfunc(sp.cancel), assumptions=["det M != 0"]),
        Derivation("normal equations: (A T)^T ((A T) T^{-1} B - y) = T^T A^T (A B - y)",
                   ((A * T).T * ((A * T) * B2 - y) - T.T * A.T * (A * B - y)).applyfunc(
                       sp.cancel), assumptions=["det M != 0"]),
    ]


def probe_recovers_supervised() -> Derivation:
    """F = [X 1] beta with beta solving the supervised normal equations: (1, 0) solves the probe's.

    A = [X 1] (N = 4, D = 2). The identity [F 1]^T (F - y) = [beta, e_last]^T A^T (A beta - y)
    shows that when A^T (A beta - y) = 0 (beta the supervised least-squares solution) the probe
    on features spanning F (with the intercept) fits exactly F: it reproduces the supervised
    classifier whenever span([Z 1]) inside span([X 1]) contains F.
    """
    X = symbolic_matrix("x", 4, 2, real=True)
    y = symbolic_matrix("y", 4, 1, real=True)
    beta = symbolic_matrix("beta", 3, 1, real=True)
    A = X.row_join(sp.ones(4, 1))
    F = A * beta
    coefficients = beta.row_join(sp.Matrix([0, 0, 1]))  # [F 1] = A [beta, e_last]
    residual = F.row_join(sp.ones(4, 1)).T * (F - y) - coefficients.T * A.T * (A * beta - y)
    return Derivation("[F 1]^T (F - y) = [beta e]^T A^T (A beta - y): the supervised normal "
                      "equations imply the probe's, with fitted values F", residual,
                      assumptions=["beta solves A^T (A beta - y) = 0"])


def clique_laplacian(n: int = 3, classes: int = 2) -> Derivation:
    """Equal cliques of size n: X^T L X = n sum_c X_c^T H_n X_c (= n S_w), explicit X."""
    X = symbolic_matrix("x", classes * n, 2, real=True)
    N = classes * n
    G = sp.Matrix(N, N, lambda i, j: 1 if i != j and i // n == j // n else 0)
    Lap = sp.diag(*(G * sp.ones(N, 1))) - G
    Hn = sp.eye(n) - sp.ones(n, n) / n
    within = sp.zeros(2, 2)
    for c in range(classes):
        Xc = X[c * n:(c + 1) * n, :]
        within += Xc.T * Hn * Xc
    return Derivation(f"class cliques of size {n}: X^T L X = {n} S_w", X.T * Lap * X - n * within,
                      assumptions=["equal class sizes", "G = same-label relation"])
