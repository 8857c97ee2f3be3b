"""BL22-C1: which spectral problem free-Z VICReg solves (VICReg -> Laplacian Eigenmaps).

Notation (docs/catalogue/BL22.md#notation): Z (N, K), H = I - 1 1^T / N, Z_c = H Z,
C = Z_c^T Z_c / (N-1) (the paper's torch.cov), P = Z_c Z_c^T / (N-1), L = D - G. Our derivation
(DERIVED, not the paper's text, which was not available) of the subspace statement, for EVERY
alpha, beta, gamma:

1. ``dirichlet_centring``: tr(Z^T L Z) = (N-1) tr(L P) because L 1 = 0. So VICReg's loss is
   F(C) + (2 gamma (N-1) / N) tr(L P): variance and covariance see only C, invariance only P.
2. ``shared_spectrum``: P and C have the same non-zero eigenvalues p_1 >= ... >= p_r (Sylvester),
   so for a fixed C the eigenvectors V of P are free (Z_c = sqrt(N-1) V diag(sqrt p) R^T).
3. ``trace_as_transport`` + ``rearrangement_certificate``: tr(L P) = sum_i lambda_i q_i with
   q = S p, S_ij = (u_i . v_j)^2 doubly stochastic, and an Abel-summation identity shows
   sum_i lambda_i q_i - sum_i lambda_i p_i is a sum of (lambda_{k+1} - lambda_k) times
   (P_k - Q_k) >= 0 (partial sums; q is majorised by p). Equality, i.e. the minimum over V,
   forces q_i = 0 beyond the eigengap after r: the optimum's centred span is the bottom-r
   eigenspace of L among the vectors orthogonal to 1 (r = rank Z_c), whatever F is.
4. ``centring_multiplier`` / ``eigenmaps_multiplier``: the Lagrangian of the constrained forms
   (z^T z = c, 1^T z = 0) and (z^T D z = 1, 1^T D z = 0): both centring multipliers vanish, so
   stationary points solve L z = mu z (VICReg) and L z = mu D z (Laplacian Eigenmaps proper).
   ``regular_pencil``: the two coincide when D = d I (regular G).
5. ``clique_eigenpairs`` / ``clique_order`` / ``two_cliques_counterexample``: on a clique of
   size m, L's eigenvalue is m and (L, D)'s is m / (m - 1): they order cliques oppositely, so
   on a class graph with unequal classes the two problems select different eigenvectors as
   soon as K exceeds #classes - 1; smallest case: cliques of sizes 2 and 3, K = 2.
6. ``two_branch_invariance`` / ``view_invariant_null``: the reference codebases' invariance
   F.mse_loss(z_a, z_b) is tr(Z^T L Z) / (N' K) on the stacked two-view Z, and view-invariant
   Z = [z; z] lies in the null space of L. ``view_invariant_optimum``: their variance and
   covariance are per branch, so loss(z_a, z_b) = [loss(z_a, z_a) + loss(z_b, z_b)] / 2 +
   sim mse(z_a, z_b) and every optimum is view-invariant: its stacked Z lies in the null space
   of L (the bottom eigenspace), and ``centred_branch_rank``: its centred rank is <= N' - 1.
"""

from __future__ import annotations

import sympy as sp

from derivations.base import Derivation, symbolic_matrix, symmetric_relation

__all__ = [
    "CLIQUE_SIZE",
    "CLIQUE_LAPLACIAN_EIGENVALUE",
    "CLIQUE_EIGENMAPS_EIGENVALUE",
    "dirichlet_centring",
    "shared_spectrum",
    "trace_as_transport",
    "rearrangement_certificate",
    "centring_multiplier",
    "eigenmaps_multiplier",
    "regular_pencil",
    "clique_eigenpairs",
    "clique_order",
    "two_cliques_counterexample",
    "two_branch_invariance",
    "view_invariant_null",
    "convention_loss_symbolic",
    "view_invariant_optimum",
    "centred_branch_rank",
    "subspace_derivations",
]

CLIQUE_SIZE = sp.Symbol("m", integer=True, positive=True)
#: Non-trivial eigenvalue of L on a clique of size m (multiplicity m - 1), see clique_eigenpairs.
CLIQUE_LAPLACIAN_EIGENVALUE = CLIQUE_SIZE
#: Non-trivial generalized eigenvalue of (L, D) on a clique of size m (degree m - 1).
CLIQUE_EIGENMAPS_EIGENVALUE = CLIQUE_SIZE / (CLIQUE_SIZE - 1)


def _laplacian(G: sp.Matrix) -> tuple[sp.Matrix, sp.Matrix]:
    """(L, D) of a symbolic relation."""
    D = sp.diag(*(G * sp.ones(G.shape[0], 1)))
    return D - G, D


def _centring(n: int) -> sp.Matrix:
    return sp.eye(n) - sp.ones(n, n) / n


def dirichlet_centring(n: int, k: int) -> Derivation:
    """tr(Z^T L Z) = (N-1) tr(L P), P = Z_c Z_c^T / (N-1): the mean of Z is invisible to L.

    Generic symmetric weighted G (zero diagonal) and generic Z, explicit n x k.
    """
    G = symmetric_relation("g", n)
    L, _ = _laplacian(G)
    Z = symbolic_matrix("z", n, k, real=True)
    Zc = _centring(n) * Z
    P = Zc * Zc.T / (n - 1)
    return Derivation(
        f"tr(Z^T L Z) = (N-1) tr(L P) with P = Z_c Z_c^T/(N-1) (N={n}, K={k})",
        (Z.T * L * Z).trace() - (n - 1) * (L * P).trace(),
        assumptions=["G symmetric with zero diagonal, so L 1 = 0"],
    )


def shared_spectrum(n: int, k: int) -> Derivation:
    """det(x I_N - A A^T) = x^(N-K) det(x I_K - A^T A): P and C share their non-zero spectrum."""
    A = symbolic_matrix("a", n, k, real=True)
    x = sp.Symbol("x")
    lhs = (x * sp.eye(n) - A * A.T).det(method="berkowitz")
    rhs = x ** (n - k) * (x * sp.eye(k) - A.T * A).det(method="berkowitz")
    return Derivation(f"charpoly(A A^T) = x^(N-K) charpoly(A^T A) (N={n}, K={k})", lhs - rhs,
                      assumptions=["N >= K (Sylvester's determinant identity)"])


def trace_as_transport(n: int) -> Derivation:
    """tr(Lambda V diag(p) V^T) = sum_ij lambda_i p_j V_ij^2 for every V.

    With L = U Lambda U^T and P = W diag(p) W^T, V = U^T W is orthogonal, so S_ij = V_ij^2 is
    doubly stochastic and tr(L P) = sum_i lambda_i q_i, q = S p.
    """
    lam = sp.symbols(f"lambda_0:{n}", real=True)
    p = sp.symbols(f"p_0:{n}", real=True)
    V = symbolic_matrix("v", n, n, real=True)
    lhs = (sp.diag(*lam) * V * sp.diag(*p) * V.T).trace()
    rhs = sum(lam[i] * p[j] * V[i, j] ** 2 for i in range(n) for j in range(n))
    return Derivation(f"tr(Lambda V diag(p) V^T) = sum_ij lambda_i p_j V_ij^2 (n={n})", lhs - rhs)


def rearrangement_certificate(n: int) -> Derivation:
    """sum_i lambda_i (q_i - p_i) = sum_k (lambda_{k+1} - lambda_k) (P_k - Q_k) if sum q = sum p.

    P_k, Q_k are partial sums of the first k entries. With lambda ascending, p descending and
    q = S p (S doubly stochastic), Q_k <= P_k, so the right side is a sum of non-negative
    terms: the certificate that the bottom eigenvectors minimise tr(L P) for a given spectrum
    p, with equality only if P_k = Q_k wherever lambda_{k+1} > lambda_k.
    """
    lam = sp.symbols(f"lambda_0:{n}", real=True)
    p = sp.symbols(f"p_0:{n}", real=True)
    q_free = sp.symbols(f"q_0:{n - 1}", real=True)
    q = (*q_free, sum(p) - sum(q_free))  # the constraint sum q = sum p, solved for q_{n-1}
    lhs = sum(lam[i] * (q[i] - p[i]) for i in range(n))
    rhs = sum((lam[k + 1] - lam[k]) * (sum(p[: k + 1]) - sum(q[: k + 1])) for k in range(n - 1))
    return Derivation(
        f"Abel summation: sum lambda (q - p) = sum dlambda_k (P_k - Q_k) (n={n})", lhs - rhs,
        assumptions=["sum_i q_i = sum_i p_i (S doubly stochastic)",
                     "lambda ascending, p descending, q = S p => Q_k <= P_k (majorisation)"],
    )


def _multiplier(n: int, metric: str) -> Derivation:
    """The centring multiplier nu of min z^T L z s.t. z^T M z = c, 1^T M z = 0 vanishes."""
    G = symmetric_relation("g", n)
    L, D = _laplacian(G)
    M = sp.eye(n) if metric == "identity" else D
    z = symbolic_matrix("z", n, 1, real=True)
    mu, nu = sp.symbols("mu nu", real=True)
    ones = sp.ones(n, 1)
    lagrangian = (z.T * L * z)[0] - mu * (z.T * M * z)[0] - nu * (ones.T * M * z)[0]
    grad = sp.Matrix([sp.diff(lagrangian, zi) for zi in z])
    # 1^T grad = 0 is linear in nu: solve, then impose the centring constraint 1^T M z = 0.
    nu_star = sp.solve((ones.T * grad)[0], nu)[0]
    w = (M * ones)
    on_constraint = {z[n - 1]: -sum(w[i] * z[i] for i in range(n - 1)) / w[n - 1]}
    name = "z^T z = c, 1^T z = 0" if metric == "identity" else "z^T D z = 1, 1^T D z = 0"
    return Derivation(
        f"min z^T L z s.t. {name}: centring multiplier nu = 0 (n={n})",
        nu_star.subs(on_constraint),
        assumptions=["G symmetric, zero diagonal, so 1^T L = 0",
                     "hence stationarity is L z = mu M z"],
    )


def centring_multiplier(n: int) -> Derivation:
    """VICReg's hard-constraint form: stationary points are eigenvectors of L orthogonal to 1."""
    return _multiplier(n, "identity")


def eigenmaps_multiplier(n: int) -> Derivation:
    """Laplacian Eigenmaps proper: stationary points solve L z = mu D z, D-orthogonal to 1."""
    return _multiplier(n, "degree")


def regular_pencil(pattern: list[list[int]]) -> Derivation:
    """L z - mu D z = L z - (mu d) z for every z iff D = d I: LE = eigenvectors of L when regular.

    Residual mu (d I - D) with d the mean degree: zero exactly for a regular ``pattern``.
    """
    n = len(pattern)
    G = symmetric_relation("g", n, pattern, binary=True)
    L, D = _laplacian(G)
    mu = sp.Symbol("mu", real=True)
    d = D.trace() / n
    return Derivation(f"(L - mu D) = (L - mu d I) on a {n}-node graph", (L - mu * D) - (
        L - mu * d * sp.eye(n)), assumptions=["D = d I (regular G)"])


def clique_eigenpairs(m: int) -> list[Derivation]:
    """On K_m, v = e_0 - e_j: L v = m v and L v = (m / (m-1)) D v (v orthogonal to 1)."""
    G = symmetric_relation("g", m, binary=True)
    L, D = _laplacian(G)
    out = []
    for j in range(1, m):
        v = sp.zeros(m, 1)
        v[0], v[j] = 1, -1
        lam_l = CLIQUE_LAPLACIAN_EIGENVALUE.subs(CLIQUE_SIZE, m)
        lam_le = CLIQUE_EIGENMAPS_EIGENVALUE.subs(CLIQUE_SIZE, m)
        out.append(Derivation(f"K_{m}: L v = m v, v = e_0 - e_{j}", L * v - lam_l * v))
        out.append(Derivation(f"K_{m}: L v = m/(m-1) D v, v = e_0 - e_{j}",
                              L * v - lam_le * D * v))
    return out


def clique_order() -> list[Derivation]:
    """d/dm m = 1 > 0 but d/dm m/(m-1) = -1/(m-1)^2 < 0: L and (L, D) rank cliques oppositely."""
    m = CLIQUE_SIZE
    return [
        Derivation("d/dm lambda_L(m) = 1", sp.diff(CLIQUE_LAPLACIAN_EIGENVALUE, m) - 1),
        Derivation("d/dm lambda_LE(m) = -1/(m-1)^2",
                   sp.diff(CLIQUE_EIGENMAPS_EIGENVALUE, m) + 1 / (m - 1) ** 2,
                   assumptions=["m >= 2"]),
    ]


def _two_cliques() -> tuple[sp.Matrix, sp.Matrix, sp.Matrix]:
    """(G, L, D) of disjoint cliques of sizes 2 (nodes 0, 1) and 3 (nodes 2, 3, 4)."""
    pattern = [[int(i != j and (i < 2) == (j < 2)) for j in range(5)] for i in range(5)]
    G = symmetric_relation("g", 5, pattern, binary=True)
    L, D = _laplacian(G)
    return G, L, D


def two_cliques_counterexample() -> list[Derivation]:
    """Smallest class graph where VICReg's problem and LE proper disagree (sizes 2, 3; K = 2).

    spec(L) = {0, 0, 2, 3, 3}, spec(L, D) = {0, 0, 3/2, 3/2, 2}. Bottom-2 non-trivial:
    L takes the class contrast c and w = e_0 - e_1 (eigenvalue 2, gap 1 to 3); (L, D) takes
    c and a vector of the size-3 clique (eigenvalue 3/2). w is an eigenvector of L, and it is
    orthogonal to the whole (L, D) prediction (the contrast and the size-3 clique's
    differences), so the two spans are at angle pi/2.
    """
    _, L, D = _two_cliques()
    x = sp.Symbol("x")
    half = sp.Rational(3, 2)
    w = sp.Matrix([1, -1, 0, 0, 0])
    contrast = sp.Matrix([3, 3, -2, -2, -2])  # centred class indicator difference
    clique3 = sp.Matrix([[0, 0], [0, 0], [1, 1], [-1, 0], [0, -1]])
    le_span = contrast.row_join(clique3)  # contains the bottom-2 of (L, D), centred
    return [
        Derivation("two cliques (2, 3): charpoly(L) = x^2 (x-2) (x-3)^2",
                   (x * sp.eye(5) - L).det() - x**2 * (x - 2) * (x - 3) ** 2),
        Derivation("two cliques (2, 3): det(x D - L) = det(D) x^2 (x-3/2)^2 (x-2)",
                   (x * D - L).det() - D.det() * x**2 * (x - half) ** 2 * (x - 2)),
        Derivation("L w = 2 w, w = e_0 - e_1 (L's 2nd non-trivial eigenvector)", L * w - 2 * w),
        Derivation("the (L, D) bottom-2 directions are generalized eigenvectors (0, 3/2)",
                   (L * contrast).row_join(L * clique3 - half * D * clique3)),
        Derivation("w is orthogonal to every centred (L, D) bottom-2 direction",
                   le_span.T * w),
    ]


def _views_relation(n_samples: int) -> sp.Matrix:
    """BL22's two-view relation [[0, I], [I, 0]] (view-major rows), explicit."""
    n = 2 * n_samples
    pattern = [[int(abs(i - j) == n_samples) for j in range(n)] for i in range(n)]
    return symmetric_relation("g", n, pattern, binary=True)


def two_branch_invariance(n_samples: int, k: int) -> Derivation:
    """F.mse_loss(z_a, z_b) = tr(Z^T L Z) / (N' K) for the stacked Z = [z_a; z_b], two views."""
    L, _ = _laplacian(_views_relation(n_samples))
    Z = symbolic_matrix("z", 2 * n_samples, k, real=True)
    za, zb = Z[:n_samples, :], Z[n_samples:, :]
    mse = sum((za[i, c] - zb[i, c]) ** 2 for i in range(n_samples) for c in range(k)) / (
        n_samples * k)
    return Derivation(f"mse(z_a, z_b) = tr(Z^T L Z)/(N' K) (N'={n_samples}, K={k})",
                      mse - (Z.T * L * Z).trace() / (n_samples * k))


def view_invariant_null(n_samples: int, k: int) -> Derivation:
    """L [z; z] = 0: a view-invariant embedding lies in the null space of the views graph's L."""
    L, _ = _laplacian(_views_relation(n_samples))
    z = symbolic_matrix("z", n_samples, k, real=True)
    return Derivation(f"L [z; z] = 0 (N'={n_samples}, K={k})", L * z.col_join(z))


def _convention_branch_terms(z: sp.Matrix, branch_scale: sp.Expr) -> sp.Expr:
    """The reference codebases' per-branch VICReg terms of one branch z (N', K), symbolic:
    std_coeff s mean_k relu(1 - sqrt(Var(z_k) + eps)) + cov_coeff sum_{k != j} Cov_kj^2 / K,
    Var and Cov unbiased (1/(N'-1)) after centring, as ``vicreg_loss_convention``."""
    std, cov, eps = sp.symbols("std_coeff cov_coeff epsilon", positive=True)
    n, k = z.shape
    centred = z - sp.ones(n, 1) * (sp.ones(1, n) * z) / n
    cov_kk = centred.T * centred / (n - 1)
    hinge = sum(sp.Max(0, 1 - sp.sqrt(cov_kk[c, c] + eps)) for c in range(k)) / k
    off = sum(cov_kk[i, j] ** 2 for i in range(k) for j in range(k) if i != j) / k
    return std * branch_scale * hinge + cov * off


def convention_loss_symbolic(za: sp.Matrix, zb: sp.Matrix, branch_scale: sp.Expr) -> sp.Expr:
    """The official (``branch_scale`` 1/2) or solo (1) VICReg loss of two explicit branches:
    sim_coeff mse(z_a, z_b) + f(z_a) + f(z_b), f the per-branch variance and covariance terms."""
    sim = sp.Symbol("sim_coeff", positive=True)
    n, k = za.shape
    mse = sum((za[i, c] - zb[i, c]) ** 2 for i in range(n) for c in range(k)) / (n * k)
    return (sim * mse + _convention_branch_terms(za, branch_scale)
            + _convention_branch_terms(zb, branch_scale))


def view_invariant_optimum(n_samples: int, k: int, branch_scale: sp.Expr) -> Derivation:
    """Every optimum of the codebases' two-branch VICReg has z_a = z_b (sim_coeff > 0).

    The residual is the midpoint identity

        loss(z_a, z_b) - [loss(z_a, z_a) + loss(z_b, z_b)] / 2 - sim mse(z_a, z_b) = 0

    for the loss written out term by term (:func:`convention_loss_symbolic`): variance and
    covariance are per branch, so they average out, and mse(z, z) = 0. Hence loss(z_a, z_b) >=
    min(loss(z_a, z_a), loss(z_b, z_b)) + sim mse(z_a, z_b), and mse is a sum of squares, zero
    only at z_a = z_b: a pair with z_a != z_b is beaten by one of its view-invariant copies.
    The paper's pooled VICReg, whose statistics mix the two branches, has no such identity
    (its residual is nonzero: tests/derivations/test_bl22_laplacian.py).
    """
    za = symbolic_matrix("a", n_samples, k, real=True)
    zb = symbolic_matrix("b", n_samples, k, real=True)
    sim = sp.Symbol("sim_coeff", positive=True)
    mse = sum((za[i, c] - zb[i, c]) ** 2 for i in range(n_samples) for c in range(k)) / (
        n_samples * k)
    loss = convention_loss_symbolic
    residual = (loss(za, zb, branch_scale) - (loss(za, za, branch_scale)
                                              + loss(zb, zb, branch_scale)) / 2 - sim * mse)
    return Derivation(
        f"codebase VICReg (s={branch_scale}, N'={n_samples}, K={k}): loss(z_a, z_b) = "
        "[loss(z_a, z_a) + loss(z_b, z_b)]/2 + sim mse(z_a, z_b), so every optimum has z_a = z_b",
        residual, assumptions=["sim_coeff > 0", "variance and covariance taken per branch"])


def centred_branch_rank(n_samples: int, k: int) -> Derivation:
    """1^T (H z) = 0: a centred branch of N' rows has rank <= N' - 1, so a view-invariant
    stacked representation [H z; H z] has rank <= N' - 1 whatever K."""
    z = symbolic_matrix("z", n_samples, k, real=True)
    centred = z - sp.ones(n_samples, 1) * (sp.ones(1, n_samples) * z) / n_samples
    return Derivation(f"1^T H z = 0 (N'={n_samples}, K={k}): rank(H z) <= N' - 1",
                      sp.ones(1, n_samples) * centred)


def subspace_derivations() -> list[Derivation]:
    """Steps 1-4 of the module docstring at small explicit sizes: the span statement."""
    out = [dirichlet_centring(n, k) for n, k in ((3, 1), (3, 2), (4, 2))]
    out += [shared_spectrum(3, 1), shared_spectrum(3, 2)]
    out += [trace_as_transport(n) for n in (2, 3)]
    out += [rearrangement_certificate(n) for n in range(2, 6)]
    out += [centring_multiplier(n) for n in (3, 4)]
    return out

