"""Ranks and singular vectors of the SSL optima on clique-structured relations (BL22-C5, BL22-K1).

Notation (BL22 Sec. 2.1): the views graph G = (1_V 1_V^T - I_V) kron I_{N'} of N = V N' rows,
c = N' connected components (one per original sample, each a V-clique), P (N, c) the component
indicators, L = D - G = (V - 1) I - G, H = I - 1 1^T / N.

What is derived here:

* The literal reading of "rank(Z) = rank(G)" (BL22-C5a): (G - (V-1) I)(G + I) = 0, so G's only
  eigenvalues are V - 1 (on span P) and -1 (on its complement), never 0: G is invertible,
  G^{-1} = (G - (V-2) I) / (V-1), and rank G = N for every V >= 2 (explicit sizes, and for
  symbolic V, N' through G = J - I, J^2 = V J: :func:`views_relation_inverse_general`). A
  representation with K < N columns can never have rank N.
* The charitable reading (BL22-C5b): (G + I)^2 = V (G + I) and tr (G + I) = N, so (G + I) / V
  is the orthogonal projector onto span P, of rank N' = c = #components: rank(G + I) = c.
* The top eigenspace of G (BL22-K1a): G P = (V-1) P and L P = 0; H P (its part orthogonal to
  the constant vector, dimension c - 1) is what a centred representation can use.
* The rank laws audited, as closed forms in K, c and N (lambdified by the claim modules):
  RANK_COMPONENTS = min(K, c) (the charitable reading), RANK_CENTRED = min(K, c - 1)
  (what a centred optimum can reach: SimCLR's simplex, the BatchNorm BarlowTwins) and
  RANK_FULL = min(K, N - 1) (a centred representation of full rank, VICReg's claim).
* SimCLR's simplex is centred (BL22-C5b): for unit vectors ||sum_c u_c||^2 = c +
  sum_{c != c'} u_c^T u_c', so the mean pairwise cosine is >= -1/(c-1), with equality iff
  sum_c u_c = 0, i.e. iff the c directions are linearly dependent: the regular simplex that
  minimises the loss for K >= c - 1 (BL22-C4c) spans c - 1 dimensions, not c.
* Right rotations Z -> Z R (BL22-K1b): with R orthogonal (Cayley-parametrised, exact),
  (Z R)(Z R)^T = Z Z^T, so row norms and cosines (everything SimCLR sees) are unchanged;
  Cov(Z R) = R^T Cov(Z) R, which equals Cov(Z) when Cov(Z) = s I (VICReg is invariant at
  isotropic Z) but otherwise moves mass off the diagonal: for Cov = diag(a, d) and a rotation by
  phi the covariance term becomes (a - d)^2 sin^2(2 phi) / 2; BarlowTwins' C(Z R) is the
  correlation matrix of R^T (Z^T G Z) R against diag(R^T (Z^T D Z) R): unchanged when both
  Gram matrices are multiples of I, but at a zero-loss optimum with column norms n_1 != n_2 the
  rotated C has the off-diagonal entry BT_ROTATED_OFFDIAG (nonzero unless n_1 = n_2 or
  sin 2 phi = 0). :func:`vicreg_rotation_counterexample`: an explicit Z with Cov(Z) =
  diag(4, 3) and a rational rotation change the paper's VICReg and the official one exactly by
  their covariance terms' 288/625 (times beta, resp. cov_coeff).
"""

from __future__ import annotations

import sympy as sp
from sympy.matrices.expressions.kronecker import KroneckerProduct, combine_kronecker

from derivations.base import Derivation, symbolic_matrix
from derivations.bl22.simclr import views_relation_symbolic

__all__ = [
    "K",
    "C",
    "N",
    "PHI",
    "RANK_COMPONENTS",
    "RANK_CENTRED",
    "RANK_FULL",
    "COV_TERM_ROTATED",
    "BT_ROTATED_OFFDIAG",
    "indicators_symbolic",
    "views_relation_inverse",
    "views_relation_inverse_general",
    "views_relation_components",
    "top_eigenspace",
    "rank_laws",
    "simplex_centring",
    "row_scale_invariance",
    "cayley_rotation",
    "rotation_orthogonal",
    "simclr_rotation_invariance",
    "covariance_rotation",
    "isotropic_rotation",
    "covariance_term_rotation",
    "bt_rotation_at_optimum",
    "vicreg_rotation_counterexample",
]

K = sp.Symbol("K", integer=True, positive=True)
"""Number of columns of Z."""
C = sp.Symbol("c", integer=True, positive=True)
"""Number of connected components of G (N' for the views graph)."""
N = sp.Symbol("N", integer=True, positive=True)
"""Number of rows of Z (samples, V N' for the views graph)."""
PHI = sp.Symbol("phi", real=True)
"""A rotation angle."""

RANK_COMPONENTS = sp.Min(K, C)
"""min(K, c): the charitable reading rank(Z*) = rank(G + I) of BL22-C5."""
RANK_CENTRED = sp.Min(K, C - 1)
"""min(K, c - 1): the most a representation constant on components and centred can reach."""
RANK_FULL = sp.Min(K, N - 1)
"""min(K, N - 1): full rank of a centred N x K representation (VICReg's claim, BL22-C5c)."""

_A, _D, _N1, _N2 = sp.symbols("a d n_1 n_2", positive=True)
COV_TERM_ROTATED = (_A - _D) ** 2 * sp.sin(2 * PHI) ** 2 / 2
"""sum_{k != j} Cov(Z R)_kj^2 for Cov(Z) = diag(a, d) and R the rotation by phi (K = 2)."""
_COS, _SIN = sp.cos(PHI), sp.sin(PHI)
BT_ROTATED_OFFDIAG = (_N2 - _N1) * _SIN * _COS / sp.sqrt(
    (_N1 * _COS**2 + _N2 * _SIN**2) * (_N1 * _SIN**2 + _N2 * _COS**2))
"""C(Z R)_12 at a zero-loss BarlowTwins optimum with column Gram diag(n_1, n_2) (K = 2)."""


def indicators_symbolic(n_orig: int, n_views: int) -> sp.Matrix:
    """Component indicators P (V N', N') of the views graph: P_ic = 1 iff row i is a view of c."""
    return sp.Matrix(n_orig * n_views, n_orig, lambda i, c: 1 if i % n_orig == c else 0)


def views_relation_inverse(n_orig: int, n_views: int) -> list[Derivation]:
    """(G - (V-1) I)(G + I) = 0 and G (G - (V-2) I) / (V-1) = I: rank G = N (explicit sizes)."""
    G = views_relation_symbolic(n_orig, n_views)
    n, eye = G.shape[0], sp.eye(G.shape[0])
    tag = f"N'={n_orig}, V={n_views}"
    return [
        Derivation(f"(G - (V-1) I)(G + I) = 0: eigenvalues V-1 and -1 only ({tag})",
                   (G - (n_views - 1) * eye) * (G + eye)),
        Derivation(f"G^-1 = (G - (V-2) I)/(V-1): G invertible, rank G = N = {n} ({tag})",
                   G * (G - (n_views - 2) * eye) / (n_views - 1) - eye),
    ]


def views_relation_inverse_general() -> list[Derivation]:
    """rank G = N for every views graph (V >= 2 views of N' samples), symbolic V and N'.

    G = J - I with J = (1_V 1_V^T) kron I_N' (same-sample indicator). J^2 = V J (the
    mixed-product rule and 1_V^T 1_V = V), so in the commutative algebra of J, reducing modulo
    J^2 - V J, G (G - (V-2) I) = (V-1) I: G is invertible and rank G = N = V N'. Hence the
    literal "rank(Z*) = rank(G)" fails for every N x K embedding with K < N (rank Z* <= K).
    """
    v = sp.Symbol("V", integer=True, positive=True)
    n_orig = sp.Symbol("N'", integer=True, positive=True)
    same = KroneckerProduct(sp.OneMatrix(v, v), sp.Identity(n_orig))
    j = sp.Symbol("J")
    inverse = sp.expand((j - 1) * (j - 1 - (v - 2)) - (v - 1))
    return [
        Derivation("J^2 = V J for J = 1_V 1_V^T kron I_N' (every V, N')",
                   combine_kronecker(same * same) - v * same),
        Derivation("G (G - (V-2) I) = (V-1) I modulo J^2 = V J, G = J - I: rank G = N for "
                   "every V >= 2, N' (so rank Z* <= K < N = rank G)",
                   sp.rem(inverse, j**2 - v * j, j), assumptions=["V >= 2"]),
    ]


def views_relation_components(n_orig: int, n_views: int) -> list[Derivation]:
    """(G + I)^2 = V (G + I), tr (G + I) = N and G + I = P P^T: rank(G + I) = N' = c."""
    G = views_relation_symbolic(n_orig, n_views)
    n = G.shape[0]
    kernel = G + sp.eye(n)
    P = indicators_symbolic(n_orig, n_views)
    tag = f"N'={n_orig}, V={n_views}"
    return [
        Derivation(f"(G + I)^2 = V (G + I): (G + I)/V is a projector ({tag})",
                   kernel * kernel - n_views * kernel),
        Derivation(f"tr (G + I) / V = N': rank(G + I) = N' = #components ({tag})",
                   kernel.trace() / n_views - n_orig),
        Derivation(f"G + I = P P^T with P the component indicators ({tag})", kernel - P * P.T),
    ]


def top_eigenspace(n_orig: int, n_views: int) -> list[Derivation]:
    """G P = (V-1) P and L P = 0: span P is G's top eigenspace (the null space of L)."""
    G = views_relation_symbolic(n_orig, n_views)
    n = G.shape[0]
    P = indicators_symbolic(n_orig, n_views)
    L = sp.diag(*(G * sp.ones(n, 1))) - G
    tag = f"N'={n_orig}, V={n_views}"
    return [
        Derivation(f"G P = (V-1) P ({tag})", G * P - (n_views - 1) * P),
        Derivation(f"L P = 0: the component indicators span the null space of L ({tag})", L * P),
    ]


def rank_laws() -> list[Derivation]:
    """The three rank laws at K below, at and above c (their values, exact)."""
    cases = [(2, 4, 8), (4, 4, 8), (5, 4, 8), (6, 3, 9)]
    out = []
    for k, c, n in cases:
        at = {K: k, C: c, N: n}
        out.append(Derivation(
            f"min(K, c), min(K, c-1), min(K, N-1) at K={k}, c={c}, N={n}",
            sp.Matrix([RANK_COMPONENTS.subs(at) - min(k, c), RANK_CENTRED.subs(at) - min(k, c - 1),
                       RANK_FULL.subs(at) - min(k, n - 1)])))
    return out


def simplex_centring(n_points: int) -> Derivation:
    """||sum_c u_c||^2 = c + sum_{c != c'} u_c^T u_c' for unit u_c (explicit c, 3-d vectors).

    So the mean pairwise cosine of c unit vectors is >= -1/(c-1), with equality iff
    sum_c u_c = 0: the c directions of the regular simplex are linearly dependent (rank c-1).
    """
    U = symbolic_matrix("u", n_points, 3, real=True)
    rows = [U.row(i) for i in range(n_points)]
    total = sum(rows, sp.zeros(1, 3))
    cross = sum((rows[i] * rows[j].T)[0] for i in range(n_points) for j in range(n_points)
                if i != j)
    norms = sum((r * r.T)[0] for r in rows)
    # On the sphere every ||u_c||^2 = 1, so sum_c ||u_c||^2 = c: the identity with c substituted.
    return Derivation(
        f"||sum u_c||^2 = sum ||u_c||^2 + sum_(c != c') u_c.u_c' (c={n_points})",
        (total * total.T)[0] - norms - cross,
        assumptions=["||u_c|| = 1 turns sum ||u_c||^2 into c"],
    )


def row_scale_invariance() -> Derivation:
    """normalize(s z) = normalize(z) for s > 0: L_simCLR is constant on Z -> diag(s) Z, so the
    optimal set is a cone and the rows' norms (hence Z's left singular vectors) are free."""
    z = symbolic_matrix("z", 1, 3, real=True)
    s = sp.Symbol("s", positive=True)
    norm = sp.sqrt((z * z.T)[0])
    scaled = s * z
    return Derivation("normalize(s z) = normalize(z) for every s > 0 (3-d row)",
                      (scaled / sp.sqrt((scaled * scaled.T)[0]) - z / norm).applyfunc(
                          sp.simplify))


def cayley_rotation(k: int) -> tuple[sp.Matrix, list[sp.Symbol]]:
    """R = (I - A)(I + A)^{-1}, A skew-symmetric with free entries: a generic rotation, (k, k)."""
    symbols = [sp.Symbol(f"a_{i}_{j}", real=True) for i in range(k) for j in range(i + 1, k)]
    A = sp.zeros(k, k)
    it = iter(symbols)
    for i in range(k):
        for j in range(i + 1, k):
            a = next(it)
            A[i, j], A[j, i] = a, -a
    eye = sp.eye(k)
    return (eye - A) * (eye + A).inv(), symbols


def rotation_orthogonal(k: int) -> Derivation:
    """R^T R = I for the Cayley rotation (exact rational identity)."""
    R, _ = cayley_rotation(k)
    return Derivation(f"Cayley R is orthogonal (K={k})", (R.T * R - sp.eye(k)).applyfunc(
        sp.cancel))


def simclr_rotation_invariance(n: int, k: int) -> Derivation:
    """(Z R)(Z R)^T = Z Z^T: row norms and cosines, hence L_simCLR, are unchanged by R."""
    R, _ = cayley_rotation(k)
    Z = symbolic_matrix("z", n, k, real=True)
    # Z R R^T Z^T - Z Z^T = Z (R R^T - I) Z^T; cancel first so the rational entries reduce.
    return Derivation(
        f"(Z R)(Z R)^T = Z Z^T for every rotation R (N={n}, K={k})",
        Z * (R * R.T).applyfunc(sp.cancel) * Z.T - Z * Z.T,
        assumptions=["L_simCLR depends on Z only through the Gram of the normalised rows"],
    )


def covariance_rotation(n: int, k: int) -> Derivation:
    """Cov(Z M) = M^T Cov(Z) M for every K x K matrix M (rotations included), with
    Cov(Z) = Z^T H Z / (N-1) (VICReg's torch.cov): centring commutes with right products."""
    M = symbolic_matrix("m", k, k, real=True)
    Z = symbolic_matrix("z", n, k, real=True)
    H = sp.eye(n) - sp.ones(n, n) / n
    cov = Z.T * H * Z / (n - 1)
    rotated = (Z * M).T * H * (Z * M) / (n - 1)
    return Derivation(f"Cov(Z M) = M^T Cov(Z) M (N={n}, K={k})", rotated - M.T * cov * M)


def isotropic_rotation(k: int) -> Derivation:
    """R^T (s I) R = s I: at Cov(Z) = s I (or Z^T D Z, Z^T G Z multiples of I) R changes nothing."""
    R, _ = cayley_rotation(k)
    s = sp.Symbol("s", positive=True)
    return Derivation(f"R^T (s I) R = s I (K={k})",
                      (R.T * (s * sp.eye(k)) * R - s * sp.eye(k)).applyfunc(sp.cancel))


def _rotation(phi: sp.Expr) -> sp.Matrix:
    return sp.Matrix([[sp.cos(phi), -sp.sin(phi)], [sp.sin(phi), sp.cos(phi)]])


def covariance_term_rotation() -> Derivation:
    """For Cov = diag(a, d), sum_{k != j} (R^T Cov R)_kj^2 = COV_TERM_ROTATED (K = 2)."""
    rotated = _rotation(PHI).T * sp.diag(_A, _D) * _rotation(PHI)
    return Derivation(
        "offdiag(R^T diag(a, d) R)^2 summed = (a - d)^2 sin^2(2 phi)/2 (> 0 unless a = d)",
        sp.simplify(rotated[0, 1] ** 2 + rotated[1, 0] ** 2 - COV_TERM_ROTATED),
        closed_form=COV_TERM_ROTATED, closed_form_symbols=(_A, _D, PHI),
    )


def _pooled_vicreg_symbolic(Z: sp.Matrix, G: sp.Matrix) -> sp.Expr:
    """BL22 Sec. 2.2's VICReg of an explicit Z (N, K) and relation G: alpha sum_k
    relu(1 - sqrt(C_kk)) + beta sum_{k != j} C_kj^2 + (gamma/N) sum_ij G_ij ||z_i - z_j||^2,
    C = Z_c^T Z_c / (N - 1) (torch.cov)."""
    alpha, beta, gamma = sp.symbols("alpha beta gamma", positive=True)
    n, k = Z.shape
    centred = Z - sp.ones(n, 1) * (sp.ones(1, n) * Z) / n
    cov = centred.T * centred / (n - 1)
    variance = sum(sp.Max(0, 1 - sp.sqrt(cov[c, c])) for c in range(k))
    covariance = sum(cov[i, j] ** 2 for i in range(k) for j in range(k) if i != j)
    invariance = sum(G[i, j] * sum((Z[i, c] - Z[j, c]) ** 2 for c in range(k))
                     for i in range(n) for j in range(n)) / n
    return alpha * variance + beta * covariance + gamma * invariance


def vicreg_rotation_counterexample() -> list[Derivation]:
    """An explicit Z and rotation R with L(Z R) != L(Z), for the paper's pooled VICReg (every
    relation G on 3 nodes, symbolic weights) and the official two-branch VICReg (z_a = z_b = Z).

    Z = [2 (1, 0, -1); (1, -2, 1)]^T has Cov(Z) = diag(4, 3); R is the rotation with
    cos = 3/5, sin = 4/5. Every variance stays above 1 (no hinge), the invariance term and the
    MSE are rotation-invariant, so the change is the covariance term's: beta COV_TERM_ROTATED
    (pooled) and 2 cov_coeff COV_TERM_ROTATED / K (official, two branches), both > 0 (a != d).
    """
    from derivations.base import symmetric_relation
    from derivations.bl22.laplacian import convention_loss_symbolic

    Z = sp.Matrix([[2, 1], [0, -2], [-2, 1]])
    R = sp.Matrix([[sp.Rational(3, 5), -sp.Rational(4, 5)], [sp.Rational(4, 5), sp.Rational(3, 5)]])
    change = sp.simplify(sp.expand_trig(COV_TERM_ROTATED.subs({_A: 4, _D: 3,
                                                               PHI: sp.atan2(4, 3)})))
    G = symmetric_relation("g", 3)
    beta, cov_coeff = sp.Symbol("beta", positive=True), sp.Symbol("cov_coeff", positive=True)
    eps = {sp.Symbol("epsilon", positive=True): sp.Rational(1, 10**4)}

    def official(M: sp.Matrix) -> sp.Expr:
        return convention_loss_symbolic(M, M, sp.Rational(1, 2)).subs(eps)

    return [
        Derivation(f"pooled VICReg: L(Z R) - L(Z) = beta (4 - 3)^2 sin^2(2 phi)/2 = {change} "
                   "beta > 0 at Cov(Z) = diag(4, 3), cos phi = 3/5 (every G on 3 nodes)",
                   _pooled_vicreg_symbolic(Z * R, G) - _pooled_vicreg_symbolic(Z, G)
                   - beta * change),
        Derivation(f"official VICReg (z_a = z_b = Z): L(Z R) - L(Z) = 2 cov_coeff {change} / K "
                   "> 0 (K = 2)", official(Z * R) - official(Z) - cov_coeff * change),
    ]


def bt_rotation_at_optimum() -> Derivation:
    """C(Z R)_12 at a zero-loss BT optimum with Z^T G Z = Z^T D Z = diag(n_1, n_2) (K = 2).

    C(Z R) = N_R^{-1/2} R^T M R N_R^{-1/2}, M = diag(n_1, n_2), N_R = diag(R^T M R): its
    off-diagonal entry is BT_ROTATED_OFFDIAG, so the rotated point has loss
    2 alpha BT_ROTATED_OFFDIAG^2 > 0 unless n_1 = n_2 (or phi a multiple of pi/2).
    """
    M = _rotation(PHI).T * sp.diag(_N1, _N2) * _rotation(PHI)
    c12 = M[0, 1] / sp.sqrt(M[0, 0] * M[1, 1])
    return Derivation(
        "C(Z R)_12 = (n_2 - n_1) sin(phi) cos(phi) / sqrt(...) at a zero-loss optimum",
        sp.simplify(c12 - BT_ROTATED_OFFDIAG),
        assumptions=["Z^T G Z = Z^T D Z = diag(n_1, n_2): columns constant on components and "
                     "orthogonal (BL22-C6a) with unequal norms"],
        closed_form=BT_ROTATED_OFFDIAG, closed_form_symbols=(_N1, _N2, PHI),
    )
