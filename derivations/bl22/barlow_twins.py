"""BarlowTwins on a free Z with a general relation G (BL22 Sec. 2.4).

Catalogue: docs/catalogue/BL22.md#bl22-c6.

The paper lists every ordered positive pair (i, j) of G as a row of (Z_left, Z_right)
(``barlow_twins_loss_from_relation``). Then, column by column (D = diag(G 1), L = D - G):

    Z_left^T Z_right = Z^T G Z,      ||(Z_left)_k||^2 = ||(Z_right)_k||^2 = z_k^T D z_k,

so (eps -> 0) C = diag(Z^T D Z)^{-1/2} Z^T G Z diag(Z^T D Z)^{-1/2} and, since
z^T D z - z^T G z = z^T L z = (1/2) sum_ij G_ij (z_i - z_j)^2,

    C_kk = 1 - z_k^T L z_k / z_k^T D z_k:    C_kk = 1  iff  z_k is constant on every component.

Zero loss (BL22-C6a) therefore means: every column constant on the components and the columns
D-orthogonal; possible iff K <= c (c = #components). The component indicators (any orthogonal
combination, any column scales) reach it, and there the gradient vanishes.

K > c (BL22-C6b). Write the loss of a symmetric K x K matrix C as

    L(C) = sum_k (C_kk - 1)^2 + alpha sum_{k != k'} C_kk'^2
         = (1 - alpha) sum_k C_kk^2 - 2 tr C + K + alpha ||C||_F^2.

C = X^T S X with unit columns x_k and S = D^{-1/2} G D^{-1/2}, whose positive eigenvalues number
c for a clique-structured G (each component contributes one eigenvalue 1, the rest are
-1/(m-1) < 0), so by Sylvester's inertia C has at most c positive eigenvalues and
||C||_F^2 >= (sum of its positive eigenvalues)^2 / c >= T^2 / c for T = tr C >= 0; and
sum_k C_kk^2 >= T^2 / K. For 0 < alpha <= 1 both bounds enter with non-negative weights:

    L >= Q(T) = ((1 - alpha)/K + alpha/c) T^2 - 2 T + K >= min_T Q = EXCESS_LOSS
      = alpha K (K - c) / (c + alpha (K - c))  (> 0 for K > c: zero loss is unattainable),

attained exactly when C = (lambda K / c) Pi, Pi an orthogonal projector of rank c with constant
diagonal c/K (an equal-norm tight frame), every C_kk = lambda = DIAGONAL = c / (c + alpha (K-c)).
The optimum trades both terms: the diagonal falls short of 1 by 1 - lambda, and the off-diagonal
mass of the tight frame is lambda^2 K (K - c) / c. Equality in the inertia bound forces C to have
exactly c equal positive eigenvalues and the rows of Z to share one c-dimensional row space, so
rank(Z*) = c. On the views graph (S has eigenvalues 1 and -1/(V-1)) a unit column of Rayleigh
quotient lambda leaves span P at the angle theta with sin^2 theta = TILT_SIN2 =
(1 - lambda)(V - 1)/V: the optimum's c-dimensional span is span P tilted by theta (measured).
"""

from __future__ import annotations

import sympy as sp

from derivations.base import Derivation, symbolic_matrix

__all__ = [
    "ALPHA",
    "K",
    "C",
    "T",
    "LAM",
    "V",
    "LOWER_QUADRATIC",
    "T_STAR",
    "EXCESS_LOSS",
    "DIAGONAL",
    "OFFDIAGONAL_MASS",
    "TILT_SIN2",
    "edge_rows",
    "bt_loss_symbolic",
    "edge_listing_identities",
    "diagonal_dirichlet_identity",
    "zero_loss_at_indicators",
    "loss_as_matrix_function",
    "excess_loss_derivation",
    "lagrange_identity",
    "attainment_derivation",
    "tight_frame_example",
    "tilt_derivation",
]

ALPHA = sp.Symbol("alpha", positive=True)
"""BarlowTwins' off-diagonal weight (not VICReg's alpha)."""
K = sp.Symbol("K", positive=True)
"""Number of columns."""
C = sp.Symbol("c", positive=True)
"""Number of connected components of G."""
T = sp.Symbol("T", real=True)
"""tr C."""
LAM = sp.Symbol("lambda", positive=True)
"""The common diagonal value C_kk of the K > c optimum."""
V = sp.Symbol("V", positive=True)
"""Views per sample."""

LOWER_QUADRATIC = ((1 - ALPHA) / K + ALPHA / C) * T**2 - 2 * T + K
"""Q(T): a lower bound on L_BT over matrices C with tr C = T (0 < alpha <= 1)."""
T_STAR = sp.solve(sp.diff(LOWER_QUADRATIC, T), T)[0]
"""argmin_T Q(T), solved by sympy."""
EXCESS_LOSS = sp.factor(sp.simplify(LOWER_QUADRATIC.subs(T, T_STAR)))
"""min L_BT for K >= c and 0 < alpha <= 1: alpha K (K - c) / (c + alpha (K - c))."""
DIAGONAL = sp.simplify(T_STAR / K)
"""lambda = C_kk at the K > c optimum: c / (c + alpha (K - c))."""
OFFDIAGONAL_MASS = sp.simplify((DIAGONAL * K / C) ** 2 * (C - C**2 / K))
"""sum_{k != k'} C_kk'^2 at the optimum C = (lambda K / c) Pi: lambda^2 K (K - c) / c."""
_S = sp.Symbol("s", nonnegative=True)
TILT_SIN2 = sp.solve((1 - _S) * 1 + _S * (-1 / (V - 1)) - LAM, _S)[0]
"""sin^2 theta of a unit column whose Rayleigh quotient of D^-1 G on the views graph is lambda."""


def edge_rows(G: sp.Matrix) -> tuple[list[int], list[int]]:
    """Row and column index of every ordered positive pair of G, in row-major order."""
    n = G.shape[0]
    pairs = [(i, j) for i in range(n) for j in range(n) if G[i, j] != 0]
    return [i for i, _ in pairs], [j for _, j in pairs]


def _columns_cosine(Zl: sp.Matrix, Zr: sp.Matrix) -> sp.Matrix:
    k = Zl.shape[1]
    nl = [sp.sqrt((Zl.col(a).T * Zl.col(a))[0]) for a in range(k)]
    nr = [sp.sqrt((Zr.col(a).T * Zr.col(a))[0]) for a in range(k)]
    return sp.Matrix(k, k, lambda a, b: (Zl.col(a).T * Zr.col(b))[0] / (nl[a] * nr[b]))


def bt_loss_symbolic(Z: sp.Matrix, G: sp.Matrix, alpha: sp.Expr = ALPHA) -> sp.Expr:
    """L_BT of BL22 Sec. 2.4 for explicit Z and G, with exact column normalisation (eps -> 0)."""
    rows, cols = edge_rows(G)
    Zl = sp.Matrix([list(Z.row(i)) for i in rows])
    Zr = sp.Matrix([list(Z.row(j)) for j in cols])
    Cm = _columns_cosine(Zl, Zr)
    k = Z.shape[1]
    return (sum((Cm[a, a] - 1) ** 2 for a in range(k))
            + alpha * sum(Cm[a, b] ** 2 for a in range(k) for b in range(k) if a != b))


# A small clique-structured relation: a triangle {0, 1, 2} and a pair {3, 4} (c = 2).
TRIANGLE_AND_PAIR = sp.Matrix([
    [0, 1, 1, 0, 0],
    [1, 0, 1, 0, 0],
    [1, 1, 0, 0, 0],
    [0, 0, 0, 0, 1],
    [0, 0, 0, 1, 0],
])


def _indicators(G: sp.Matrix) -> sp.Matrix:
    """Component indicators (N, c) of an explicit G (components by reachability)."""
    n = G.shape[0]
    label = list(range(n))
    for _ in range(n):
        for i in range(n):
            for j in range(n):
                if G[i, j] != 0:
                    label[i] = label[j] = min(label[i], label[j])
    roots = sorted(set(label))
    return sp.Matrix(n, len(roots), lambda i, c: 1 if label[i] == roots[c] else 0)


def edge_listing_identities(G: sp.Matrix = TRIANGLE_AND_PAIR, k: int = 2) -> list[Derivation]:
    """Z_left^T Z_right = Z^T G Z and both views' squared column norms = diag(Z^T D Z)."""
    n = G.shape[0]
    Z = symbolic_matrix("z", n, k, real=True)
    rows, cols = edge_rows(G)
    Zl = sp.Matrix([list(Z.row(i)) for i in rows])
    Zr = sp.Matrix([list(Z.row(j)) for j in cols])
    D = sp.diag(*(G * sp.ones(n, 1)))
    gram_d = Z.T * D * Z
    norms_l = sp.Matrix([(Zl.col(a).T * Zl.col(a))[0] - gram_d[a, a] for a in range(k)])
    norms_r = sp.Matrix([(Zr.col(a).T * Zr.col(a))[0] - gram_d[a, a] for a in range(k)])
    return [
        Derivation(f"Z_left^T Z_right = Z^T G Z (edge listing, N={n}, K={k})",
                   Zl.T * Zr - Z.T * G * Z),
        Derivation(f"||(Z_left)_k||^2 = ||(Z_right)_k||^2 = z_k^T D z_k (N={n}, K={k})",
                   norms_l.col_join(norms_r)),
    ]


def diagonal_dirichlet_identity(G: sp.Matrix = TRIANGLE_AND_PAIR) -> list[Derivation]:
    """z^T D z - z^T G z = z^T L z = (1/2) sum_ij G_ij (z_i - z_j)^2: C_kk = 1 iff z constant
    on every component (a sum of squares vanishes iff each term does)."""
    n = G.shape[0]
    z = symbolic_matrix("z", n, 1, real=True)
    D = sp.diag(*(G * sp.ones(n, 1)))
    L = D - G
    quad = (z.T * L * z)[0]
    squares = sum(G[i, j] * (z[i] - z[j]) ** 2 for i in range(n) for j in range(n)) / 2
    return [
        Derivation("z^T D z (1 - C_kk) = z^T D z - z^T G z = z^T L z",
                   (z.T * D * z)[0] - (z.T * G * z)[0] - quad),
        Derivation("z^T L z = (1/2) sum_ij G_ij (z_i - z_j)^2", quad - squares),
    ]


def zero_loss_at_indicators(G: sp.Matrix = TRIANGLE_AND_PAIR) -> list[Derivation]:
    """At Z = P diag(s) (component indicators, any positive scales) C = I, L_BT = 0, grad = 0."""
    P = _indicators(G)
    n, k = P.shape
    scales = sp.symbols(f"s0:{k}", positive=True)
    at = P * sp.diag(*scales)
    Z = symbolic_matrix("z", n, k, real=True)
    loss = bt_loss_symbolic(Z, G)
    point = {Z[i, j]: at[i, j] for i in range(n) for j in range(k)}
    gradient = sp.Matrix(n, k, lambda i, j: sp.diff(loss, Z[i, j]).xreplace(point))
    return [
        Derivation(f"L_BT = 0 at the scaled component indicators (N={n}, c={k})",
                   loss.xreplace(point)),
        Derivation(f"grad L_BT = 0 at the scaled component indicators (N={n}, c={k})",
                   gradient, assumptions=["exact normalisation (eps -> 0)"]),
    ]


def loss_as_matrix_function(k: int = 3) -> Derivation:
    """sum (C_kk - 1)^2 + alpha sum_{k != k'} C_kk'^2 = (1-alpha) sum C_kk^2 - 2 tr C + K
    + alpha ||C||_F^2 for symmetric C (explicit K)."""
    Cm = sp.Matrix(k, k, lambda a, b: sp.Symbol(f"C_{min(a, b)}_{max(a, b)}", real=True))
    loss = (sum((Cm[a, a] - 1) ** 2 for a in range(k))
            + ALPHA * sum(Cm[a, b] ** 2 for a in range(k) for b in range(k) if a != b))
    rewritten = ((1 - ALPHA) * sum(Cm[a, a] ** 2 for a in range(k)) - 2 * Cm.trace() + k
                 + ALPHA * sum(e**2 for e in Cm))
    return Derivation(f"L_BT as a function of symmetric C (K={k})", loss - rewritten)


def excess_loss_derivation() -> list[Derivation]:
    """min_T Q(T): Q'(T*) = 0, Q'' > 0 for 0 < alpha <= 1, and Q(T*) = EXCESS_LOSS."""
    typed = ALPHA * K * (K - C) / (C + ALPHA * (K - C))
    return [
        Derivation("Q'(T*) = 0", sp.diff(LOWER_QUADRATIC, T).subs(T, T_STAR)),
        Derivation("Q''(T) = 2((1-alpha)/K + alpha/c) (> 0 for 0 < alpha <= 1)",
                   sp.diff(LOWER_QUADRATIC, T, 2) - 2 * ((1 - ALPHA) / K + ALPHA / C)),
        Derivation("min Q = alpha K (K - c)/(c + alpha (K - c)) (zero iff K = c)",
                   EXCESS_LOSS - typed, assumptions=["0 < alpha <= 1", "K >= c"],
                   closed_form=EXCESS_LOSS, closed_form_symbols=(ALPHA, K, C)),
        Derivation("lambda = T*/K = c/(c + alpha (K - c))",
                   DIAGONAL - C / (C + ALPHA * (K - C)),
                   closed_form=DIAGONAL, closed_form_symbols=(ALPHA, K, C)),
    ]


def lagrange_identity(m: int) -> Derivation:
    """m sum x_i^2 - (sum x_i)^2 = (1/2) sum_ij (x_i - x_j)^2 >= 0: sum x^2 >= (sum x)^2 / m,
    used for the diagonal (m = K) and for the c positive eigenvalues of C (m = c)."""
    x = sp.symbols(f"x0:{m}", real=True)
    return Derivation(f"Lagrange identity (m={m})",
                      m * sum(v**2 for v in x) - sum(x) ** 2
                      - sum((a - b) ** 2 for a in x for b in x) / 2)


def attainment_derivation() -> list[Derivation]:
    """C* = (lambda K / c) Pi (||Pi||_F^2 = c, Pi_kk = c/K) has loss EXCESS_LOSS; its off-diagonal
    mass is OFFDIAGONAL_MASS and its diagonal part K (1 - lambda)^2."""
    lam = DIAGONAL
    diag_part = K * (lam - 1) ** 2
    # ||C*||_F^2 - sum C*_kk^2 with C* = (lambda K/c) Pi: (lambda K/c)^2 (c - K (c/K)^2).
    off = (lam * K / C) ** 2 * (C - K * (C / K) ** 2)
    return [
        Derivation("L_BT(C*) = EXCESS_LOSS", diag_part + ALPHA * off - EXCESS_LOSS),
        Derivation("off-diagonal mass of C* = lambda^2 K (K - c)/c", off - OFFDIAGONAL_MASS,
                   closed_form=OFFDIAGONAL_MASS, closed_form_symbols=(ALPHA, K, C)),
    ]


def tight_frame_example() -> list[Derivation]:
    """An equal-norm tight frame exists (c = 2, K = 3): three unit vectors at 120 degrees,
    Pi = (c/K) Y^T Y is a projector of rank 2 with diagonal c/K."""
    Y = sp.Matrix([[sp.cos(2 * sp.pi * a / 3) for a in range(3)],
                   [sp.sin(2 * sp.pi * a / 3) for a in range(3)]])
    Pi = sp.Rational(2, 3) * Y.T * Y
    return [
        Derivation("Pi^2 = Pi (c=2, K=3)", (Pi * Pi - Pi).applyfunc(sp.nsimplify)),
        Derivation("tr Pi = c and Pi_kk = c/K (c=2, K=3)",
                   sp.Matrix([Pi.trace() - 2] + [Pi[a, a] - sp.Rational(2, 3)
                                                  for a in range(3)]).applyfunc(sp.nsimplify)),
    ]


def tilt_derivation(n_orig: int = 2, n_views: int = 2) -> list[Derivation]:
    """On the views graph, u = cos(theta) p + sin(theta) q (p in span P, q in its complement,
    unit) has Rayleigh quotient u^T G u / u^T D u = cos^2 - sin^2/(V-1); it equals lambda
    iff sin^2 theta = TILT_SIN2 = (1 - lambda)(V - 1)/V."""
    from derivations.bl22.simclr import views_relation_symbolic

    G = views_relation_symbolic(n_orig, n_views)
    n = G.shape[0]
    theta = sp.Symbol("theta", real=True)
    # p: the normalised indicator of sample 0; q: the difference of its first two views.
    p = sp.Matrix([1 if i % n_orig == 0 else 0 for i in range(n)]) / sp.sqrt(n_views)
    q = sp.zeros(n, 1)
    q[0], q[n_orig] = 1 / sp.sqrt(2), -1 / sp.sqrt(2)
    u = sp.cos(theta) * p + sp.sin(theta) * q
    D = sp.diag(*(G * sp.ones(n, 1)))
    rayleigh = (u.T * G * u)[0] / (u.T * D * u)[0]
    return [
        Derivation(f"u^T G u / u^T D u = cos^2 - sin^2/(V-1) (N'={n_orig}, V={n_views})",
                   sp.simplify(rayleigh - (sp.cos(theta) ** 2
                                           - sp.sin(theta) ** 2 / (n_views - 1)))),
        Derivation("sin^2 theta = (1 - lambda)(V - 1)/V solves the Rayleigh equation",
                   sp.simplify((1 - TILT_SIN2) - TILT_SIN2 / (V - 1) - LAM),
                   closed_form=TILT_SIN2, closed_form_symbols=(LAM, V)),
    ]
