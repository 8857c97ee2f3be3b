"""BL22-C3, C4-linear, C6-linear: optimal linear maps Z = X W (BL22 abstract item (ii)).

Notation (docs/catalogue/BL22.md#notation): X (N, D) data, W (D, K), Z = X W; G the relation
(symmetric, binary, zero diagonal), D_G = diag(G 1), L = D_G - G, H = I - 1 1^T / N. Every linear
problem below sees X only through a D x D pencil, so it is the corresponding free-Z problem
restricted to span(X) (our DERIVED reading; the paper's theorem texts were not available):

* VICReg (BL22-C3). For Z = X W the covariance is W^T (X^T H X) W / (N-1) and the invariance
  (2 gamma / N) tr(W^T X^T L X W) (BL22-C0). A column z = sqrt(N-1) t X v with v^T (X^T H X) v = 1
  has variance t^2 and Dirichlet energy (N-1) rho t^2 with rho = v^T (X^T L X) v
  (:func:`vicreg_column_reduction`): exactly the free-Z column of BL22-C2 with the Laplacian
  eigenvalue lambda replaced by the generalized eigenvalue rho of (X^T L X, X^T H X). Hence the
  candidate W* = sqrt(N-1) V_K diag(t(rho_k)), V_K the K smallest generalized eigenvectors
  (:func:`pencil_kkt`: they are the KKT points of min tr(W^T A W) s.t. W^T B W = c I), with t from
  :data:`derivations.bl22.vicreg_closed_form.COLUMN_STD` and the same beta regime.
* LPP. He & Niyogi's pencil is (X^T L X, X^T D_G X); :func:`lpp_pencil_decomposition` writes
  X^T D_G X = dbar X^T H X + dbar N xbar xbar^T + X^T (D_G - dbar I) X: the pencils coincide iff
  the degree spread and the mean term vanish (regular G, centred X).
* BarlowTwins (BL22-C6, linear). With every ordered edge listed, Z_left^T Z_right = Z^T G Z and
  the squared column norms are diag(Z^T D_G Z) (:func:`bt_cross_correlation`), so for Z = X W
  C = diag(W^T b W)^{-1/2} W^T a W diag(W^T b W)^{-1/2} with a = X^T G X, b = X^T D_G X
  (eps -> 0). In b-orthonormal eigencoordinates of the pencil (a w = rho b w) C = U^T diag(rho) U
  with unit columns U. :func:`bt_subspace_stationary`: every span of K eigenvectors is
  stationary (the gradient has no component outside it). :func:`bt_eigenbasis_saddle`: the
  eigenvectors themselves (C = diag(rho)) are a SADDLE whenever two kept rho's satisfy
  h(rho_k) < h(rho_l), h(rho) = rho^2 (1 - rho), rho_k > rho_l: tilting the two columns while
  keeping C_kl = 0 lowers the loss at second order, for every alpha. :func:`bt_zero_loss`:
  C = I iff each column has w^T X^T L X w = 0 (columns of X W constant on G's components) and
  the columns are b-orthogonal; :func:`bt_identical_features_reach_identity`: K features
  constant on the components, b-orthogonalised, attain C = I (the zero floor).
* SimCLR relaxation (BL22-C4, linear). The spectral contrastive loss of BL22-C4d,
  -2 tr(Z^T G Z) + ||Z^T Z||_F^2, for Z = X W equals -2 tr(W^T a W) + ||W^T B W||_F^2 with
  a = X^T G X, B = X^T X (:func:`spectral_linear_reduction`); in coordinates with B = I it is
  C4d's loss with G replaced by B^{-1/2} a B^{-1/2} (:func:`spectral_linear_whitening`, with
  the pencil's eigenpairs as that matrix's), minimised (Eckart-Young) at
  W* = V_K diag(max(mu_K, 0))^{1/2} R, (a, B) V = B V diag(mu), V^T B V = I.
* SimCLR (cosine InfoNCE, linear): :func:`cosine_scale_invariance`: the loss is invariant to
  W -> c W, so <grad, W> = 0 and ||grad|| ||W|| is a scale-free stationarity measure.
"""

from __future__ import annotations

import sympy as sp

from derivations.base import Derivation, symbolic_matrix, symmetric_relation

__all__ = [
    "RHO",
    "RHO_K",
    "RHO_L",
    "BT_ALPHA",
    "SADDLE_CURVATURE",
    "SADDLE_TILT",
    "pencil_kkt",
    "vicreg_column_reduction",
    "lpp_pencil_decomposition",
    "lpp_regular_centred",
    "bt_cross_correlation",
    "bt_subspace_stationary",
    "bt_eigenbasis_saddle",
    "bt_zero_loss",
    "bt_identical_features_reach_identity",
    "spectral_linear_reduction",
    "spectral_linear_whitening",
    "cosine_scale_invariance",
]

RHO = sp.Symbol("rho", real=True)
"""A generalized eigenvalue of a pencil (A, B)."""
RHO_K, RHO_L = sp.symbols("rho_k rho_l", positive=True)
"""Two kept BarlowTwins eigenvalues of (X^T G X, X^T D_G X), rho_k > rho_l, both in (0, 1)."""
BT_ALPHA = sp.Symbol("alpha", positive=True)
"""BarlowTwins' off-diagonal weight (not VICReg's alpha)."""
_B_TILT = sp.Symbol("b", real=True)

SADDLE_TILT = -RHO_K / RHO_L
"""a / b along the saddle direction: column k tilts by a toward v_l, column l by b toward v_k,
with a rho_l + b rho_k = 0 so that C_kl stays 0 to first order."""

SADDLE_CURVATURE = 2 * (RHO_K - RHO_L) * (RHO_K**2 * (1 - RHO_K) / RHO_L**2 - (1 - RHO_L))
"""Second variation / b^2 of the BarlowTwins loss at its eigenbasis along the saddle direction:
negative iff rho_k^2 (1 - rho_k) < rho_l^2 (1 - rho_l) (rho_k > rho_l), independent of alpha."""


# -------------------------------------------------------------------------------------------
# Pencils: KKT of the constrained linear problems
# -------------------------------------------------------------------------------------------


def pencil_kkt() -> list[Derivation]:
    """KKT of min w^T A w s.t. w^T B w = 1 (2 x 2 symbolic symmetric A, B): A w = mu B w.

    The Lagrangian w^T A w - mu (w^T B w - 1) has gradient 2 (A - mu B) w; the cofactor vector
    w = (-(A - mu B)_12, (A - mu B)_11) satisfies (A - mu B) w = (0, det(A - mu B)), which
    vanishes exactly when mu is a root of det(A - mu B) (a generalized eigenvalue). At such a
    point the Rayleigh quotient w^T A w / w^T B w equals mu (so the K smallest roots give the
    K smallest objective values on the constraint set).
    """
    a11, a12, a22, b11, b12, b22, mu = sp.symbols("a11 a12 a22 b11 b12 b22 mu", real=True)
    A = sp.Matrix([[a11, a12], [a12, a22]])
    B = sp.Matrix([[b11, b12], [b12, b22]])
    M = A - mu * B
    w = sp.Matrix([-M[0, 1], M[0, 0]])
    ws = sp.Matrix(sp.symbols("w0 w1", real=True))
    lagrangian = (ws.T * A * ws)[0] - mu * ((ws.T * B * ws)[0] - 1)
    gradient = sp.Matrix([sp.diff(lagrangian, s) for s in ws])
    return [
        Derivation("grad_w [w^T A w - mu (w^T B w - 1)] = 2 (A - mu B) w",
                   gradient - 2 * M * ws, assumptions=["A, B symmetric"]),
        Derivation("(A - mu B) cof(w) = (0, det(A - mu B)): a KKT point iff det(A - mu B) = 0",
                   M * w - sp.Matrix([0, M.det()]), assumptions=["A, B symmetric"]),
        Derivation("w^T A w - mu w^T B w = w^T (A - mu B) w = det(A - mu B) w_2 (0 at a root)",
                   (w.T * A * w)[0] - mu * (w.T * B * w)[0] - M.det() * w[1],
                   assumptions=["A, B symmetric"]),
    ]


def vicreg_column_reduction(n: int = 3, d: int = 2) -> list[Derivation]:
    """The column z = s X v of a linear VICReg map: variance and Dirichlet energy via the pencil.

    For explicit X (n, d), v (d,), symmetric G (n, n) and s = sqrt(N-1) t:
    z^T H z / (N-1) = t^2 v^T (X^T H X) v and (2/N) z^T L z = (2/N)(N-1) t^2 v^T (X^T L X) v. With
    the normalisation v^T X^T H X v = 1 and rho = v^T X^T L X v this is BL22-C2's column problem
    alpha (1 - t) + (2 gamma (N-1)/N) rho t^2 with lambda -> rho.
    """
    X = symbolic_matrix("x", n, d, real=True)
    v = symbolic_matrix("v", d, 1, real=True)
    G = symmetric_relation("g", n)
    t = sp.Symbol("t", nonnegative=True)
    Lap = sp.diag(*(G * sp.ones(n, 1))) - G
    H = sp.eye(n) - sp.ones(n, n) / n
    z = sp.sqrt(n - 1) * t * X * v
    variance = (z.T * H * z)[0] / (n - 1)
    energy = sp.Rational(2, n) * (z.T * Lap * z)[0]
    return [
        Derivation(f"Var(X v sqrt(N-1) t) = t^2 v^T X^T H X v (N={n}, D={d})",
                   variance - t**2 * (v.T * X.T * H * X * v)[0],
                   assumptions=["Cov centred with 1/(N-1) (torch.cov)"]),
        Derivation(f"(2/N) z^T L z = (2/N)(N-1) t^2 v^T X^T L X v (N={n}, D={d})",
                   energy - sp.Rational(2, n) * (n - 1) * t**2 * (v.T * X.T * Lap * X * v)[0],
                   assumptions=["G symmetric, zero diagonal"]),
    ]


def lpp_pencil_decomposition(n: int = 3, d: int = 2) -> Derivation:
    """X^T D_G X = dbar X^T H X + dbar N xbar xbar^T + X^T (D_G - dbar I) X (explicit n, d).

    dbar = mean degree, xbar = column means of X. LPP's constraint matrix differs from VICReg's
    (X^T H X, up to the scale dbar) by the mean term (zero iff X is centred) and by the degree
    spread (zero iff G is regular).
    """
    X = symbolic_matrix("x", n, d, real=True)
    G = symmetric_relation("g", n)
    deg = G * sp.ones(n, 1)
    Dg = sp.diag(*deg)
    dbar = sum(deg) / n
    H = sp.eye(n) - sp.ones(n, n) / n
    xbar = X.T * sp.ones(n, 1) / n
    rhs = dbar * X.T * H * X + dbar * n * xbar * xbar.T + X.T * (Dg - dbar * sp.eye(n)) * X
    return Derivation(f"X^T D X = dbar X^T H X + dbar N xbar xbar^T + X^T (D - dbar I) X "
                      f"(N={n}, D={d})", X.T * Dg * X - rhs,
                      assumptions=["G symmetric, zero diagonal"])


def lpp_regular_centred() -> Derivation:
    """Regular G (the 4-cycle, degree 2) and centred X (4 x 2): X^T D_G X = 2 X^T H X exactly."""
    n, d = 4, 2
    X = symbolic_matrix("x", n - 1, d, real=True)
    X = X.col_join(-sp.ones(1, n - 1) * X)  # last row makes every column sum to 0
    G = sp.Matrix(n, n, lambda i, j: 1 if (i - j) % n in (1, n - 1) else 0)
    Dg = sp.diag(*(G * sp.ones(n, 1)))
    H = sp.eye(n) - sp.ones(n, n) / n
    return Derivation("regular G (4-cycle), centred X: X^T D X = d X^T H X, so LPP's pencil "
                      "(X^T L X, X^T D X) = VICReg's up to the factor d",
                      X.T * Dg * X - 2 * X.T * H * X,
                      assumptions=["D_G = d I", "1^T X = 0"])


# -------------------------------------------------------------------------------------------
# BarlowTwins
# -------------------------------------------------------------------------------------------


def bt_cross_correlation() -> list[Derivation]:
    """Listing every ordered edge: Z_left^T Z_right = Z^T G Z, column norms^2 = diag(Z^T D_G Z).

    Explicit path graph on 3 nodes (degrees 1, 2, 1: irregular) and Z (3, 2) symbols.
    """
    G = sp.Matrix([[0, 1, 0], [1, 0, 1], [0, 1, 0]])
    Z = symbolic_matrix("z", 3, 2, real=True)
    rows, cols = zip(*[(i, j) for i in range(3) for j in range(3) if G[i, j]], strict=True)
    left = sp.Matrix([Z.row(i) for i in rows])
    right = sp.Matrix([Z.row(j) for j in cols])
    Dg = sp.diag(*(G * sp.ones(3, 1)))
    norms = sp.Matrix([(left.col(k).T * left.col(k))[0] for k in range(2)])
    return [
        Derivation("Z_left^T Z_right = Z^T G Z (path graph)", left.T * right - Z.T * G * Z),
        Derivation("||Z_left[:, k]||^2 = (Z^T D Z)_kk (path graph)",
                   norms - sp.Matrix([(Z.T * Dg * Z)[k, k] for k in range(2)])),
    ]


def _bt_loss(W: sp.Matrix, rho: list[sp.Expr], alpha: sp.Expr) -> sp.Expr:
    """BT loss of C = U^T diag(rho) U, U = W with unit columns (b = I eigencoordinates)."""
    A = sp.diag(*rho)
    k = W.shape[1]
    norms = [sp.sqrt((W.col(i).T * W.col(i))[0]) for i in range(k)]
    C = sp.Matrix(k, k, lambda i, j: (W.col(i).T * A * W.col(j))[0] / (norms[i] * norms[j]))
    return (sum((C[i, i] - 1) ** 2 for i in range(k))
            + alpha * sum(C[i, j] ** 2 for i in range(k) for j in range(k) if i != j))


def bt_subspace_stationary() -> Derivation:
    """D = 3, K = 2, eigencoordinates: d L / d W[2, :] = 0 whenever W[2, :] = 0.

    W's first two rows are free symbols (any basis of the span of v_1, v_2, not just the
    eigenvectors); the third eigen-direction enters C only at second order, because
    v_3^T diag(rho) w = rho_3 (w)_3 = 0 for w in span(v_1, v_2). So the span of any K
    eigenvectors of (X^T G X, X^T D X) is a stationary subspace of the linear BT loss.
    """
    rho = list(sp.symbols("rho_1:4", real=True))
    top = symbolic_matrix("w", 2, 2, real=True)
    eps = sp.symbols("e0 e1", real=True)
    W = top.col_join(sp.Matrix([list(eps)]))
    loss = _bt_loss(W, rho, BT_ALPHA)
    gradient = sp.Matrix([sp.diff(loss, e) for e in eps]).subs({e: 0 for e in eps})
    return Derivation("BT, D=3, K=2: the gradient outside span(v_1, v_2) vanishes on it",
                      gradient, assumptions=["b-orthonormal eigencoordinates (b = I, a = diag)",
                                             "columns of W nonzero"])


def bt_eigenbasis_saddle() -> list[Derivation]:
    """Second variation of the BT loss at the eigenbasis (C = diag(rho)) in the (v_k, v_l) plane.

    u_k = v_k + a v_l, u_l = v_l + b v_k (normalised inside C): C_kk = rho_k - a^2 (rho_k - rho_l),
    C_ll = rho_l + b^2 (rho_k - rho_l), C_kl = b rho_k + a rho_l, to second order, so the second
    variation is 2 [P a^2 - Q b^2 + alpha (b rho_k + a rho_l)^2], P = (1 - rho_k)(rho_k - rho_l),
    Q = (1 - rho_l)(rho_k - rho_l). Along a = SADDLE_TILT b (C_kl = 0) it is
    SADDLE_CURVATURE b^2, independent of alpha.
    """
    a = sp.Symbol("a", real=True)
    s = sp.Symbol("s", real=True)  # path parameter
    W = sp.Matrix([[1, s * _B_TILT], [s * a, 1]])
    loss = _bt_loss(W, [RHO_K, RHO_L], BT_ALPHA)
    second = sp.diff(loss, s, 2).subs(s, 0) / 2
    P = (1 - RHO_K) * (RHO_K - RHO_L)
    Q = (1 - RHO_L) * (RHO_K - RHO_L)
    quadratic = 2 * (P * a**2 - Q * _B_TILT**2 + BT_ALPHA * (_B_TILT * RHO_K + a * RHO_L) ** 2)
    first = sp.diff(loss, s).subs(s, 0)
    along = quadratic.subs(a, SADDLE_TILT * _B_TILT) / _B_TILT**2
    return [
        Derivation("BT eigenbasis: first variation in the (v_k, v_l) plane is 0", first,
                   assumptions=["rho_k, rho_l in (0, 1)"]),
        Derivation("BT eigenbasis: second variation = 2 [P a^2 - Q b^2 + alpha (b rho_k + a "
                   "rho_l)^2]", second - quadratic, assumptions=["rho_k, rho_l in (0, 1)"]),
        Derivation("along a = -(rho_k / rho_l) b: second variation / b^2 = SADDLE_CURVATURE "
                   "(alpha-free; < 0 iff rho_k^2 (1 - rho_k) < rho_l^2 (1 - rho_l))",
                   along - SADDLE_CURVATURE, assumptions=["rho_k > rho_l > 0"],
                   closed_form=SADDLE_CURVATURE, closed_form_symbols=(RHO_K, RHO_L)),
    ]


def bt_zero_loss() -> list[Derivation]:
    """C = I: b - a = X^T L X (explicit X 3x2, path graph), and L_BT(C = I) = 0.

    C_kk = 1 iff w^T a w = w^T b w iff w^T X^T L X w = ||grad of X w on G||^2 / 2 = 0 (X w constant
    on G's components); off-diagonals vanish iff the columns are a-orthogonal, which for such
    columns is b-orthogonality.
    """
    X = symbolic_matrix("x", 3, 2, real=True)
    G = sp.Matrix([[0, 1, 0], [1, 0, 1], [0, 1, 0]])
    Dg = sp.diag(*(G * sp.ones(3, 1)))
    Lap = Dg - G
    eye = sp.eye(2)
    loss_at_identity = (sum((eye[i, i] - 1) ** 2 for i in range(2))
                        + BT_ALPHA * sum(eye[i, j] ** 2 for i in range(2) for j in range(2)
                                         if i != j))
    return [
        Derivation("X^T D X - X^T G X = X^T L X (path graph)",
                   X.T * Dg * X - X.T * G * X - X.T * Lap * X),
        Derivation("L_BT(C = I) = 0", loss_at_identity),
    ]


def bt_identical_features_reach_identity() -> Derivation:
    """K features constant on G's components (identical across views) reach C = I.

    G: a triangle plus a pair with symbolic nonnegative weights (c = 2 components, irregular
    degrees), X = [F, A] with F (N, 2) constant on each component (values u_c, v_c) and A any
    further feature. W picks F's columns, Gram-Schmidt orthogonalised in the D metric
    (z_2 = f_2 - (f_1^T D f_2 / f_1^T D f_1) f_1): then L Z = 0 gives Z^T G Z = Z^T D Z, and
    both are diagonal, so C = diag(Z^T D Z)^{-1/2} Z^T G Z diag(Z^T D Z)^{-1/2} = I. As
    L_BT >= 0 with equality iff C = I, every optimum has C = I; each column then has
    z^T L z = 0 (bt_zero_loss), i.e. lies in the rho = 1 eigenspace, and C = I makes the K
    columns independent: span(X W*) is that eigenspace.
    """
    from derivations.bl22.barlow_twins import TRIANGLE_AND_PAIR

    pattern = TRIANGLE_AND_PAIR.tolist()
    G = symmetric_relation("g", 5, pattern)
    Dg = sp.diag(*(G * sp.ones(5, 1)))
    u, v = sp.symbols("u_0:2", real=True), sp.symbols("v_0:2", real=True)
    component = [0, 0, 0, 1, 1]
    F = sp.Matrix([[u[c], v[c]] for c in component])
    f1, f2 = F.col(0), F.col(1)
    Z = f1.row_join(f2 - (f1.T * Dg * f2)[0] / (f1.T * Dg * f1)[0] * f1)
    cross, norms = Z.T * G * Z, Z.T * Dg * Z
    # C = I iff Z^T G Z = Z^T D Z and both are diagonal (C_kk = n_kk / sqrt(n_kk^2) = 1).
    offdiagonal = sp.Matrix(2, 2, lambda i, j: 0 if i == j else norms[i, j])
    return Derivation("K = c = 2 component-constant features, D-Gram-Schmidt W: Z^T G Z = "
                      "Z^T D Z diagonal, so C(X W) = I (triangle + pair, symbolic weights)",
                      (cross - norms).col_join(offdiagonal).applyfunc(sp.cancel),
                      assumptions=["f_1 != 0 and f_2 not parallel to f_1 (K identical features)"])


# -------------------------------------------------------------------------------------------
# SimCLR: the spectral contrastive relaxation and the cosine loss
# -------------------------------------------------------------------------------------------


def spectral_linear_reduction(n: int = 3, d: int = 2, k: int = 2) -> Derivation:
    """-2 sum_ij G_ij z_i.z_j + sum_ij (z_i.z_j)^2 at Z = X W = -2 tr(W^T a W) + ||W^T B W||_F^2."""
    X = symbolic_matrix("x", n, d, real=True)
    W = symbolic_matrix("w", d, k, real=True)
    G = symmetric_relation("g", n)
    Z = X * W
    gram = Z * Z.T
    lhs = (-2 * sum(G[i, j] * gram[i, j] for i in range(n) for j in range(n))
           + sum(e**2 for e in gram))
    a, B = X.T * G * X, X.T * X
    rhs = -2 * (W.T * a * W).trace() + sum(e**2 for e in W.T * B * W)
    return Derivation(f"spectral contrastive loss of X W through (X^T G X, X^T X) "
                      f"(N={n}, D={d}, K={k})", lhs - rhs,
                      assumptions=["all ordered pairs, i = j included (BL22-C4d)"])


def spectral_linear_whitening(d: int = 2, k: int = 2) -> list[Derivation]:
    """The linear spectral loss is BL22-C4d's Eckart-Young problem in whitened coordinates.

    With S symmetric, S^2 = B = X^T X (invertible), Y = S W and A = S^-1 a S^-1 (a = X^T G X):

        -2 tr(W^T a W) + ||W^T B W||_F^2 = ||Y Y^T - A||_F^2 - ||A||_F^2,

    so Y* Y*^T is the best rank-K PSD approximation of A (Eckart-Young, BL22-C4d), and an
    eigenpair A u = mu u is a generalized one of the pencil, a v = mu B v with v = S^-1 u,
    because a S^-1 - mu B S^-1 = S (A - mu I). Hence Z* Z*^T = X S^-1 Y* Y*^T S^-1 X^T =
    X V_K diag(max(mu_K, 0)) V_K^T X^T with V_K = S^-1 U_K B-orthonormal (BL22-C4-linear).
    Explicit d x d symmetric S and A, d x k W (a = S A S parametrises every symmetric a).
    """
    S = sp.Matrix(d, d, lambda i, j: sp.Symbol(f"s_{min(i, j)}_{max(i, j)}", real=True))
    A = sp.Matrix(d, d, lambda i, j: sp.Symbol(f"A_{min(i, j)}_{max(i, j)}", real=True))
    W = symbolic_matrix("w", d, k, real=True)
    mu = sp.Symbol("mu", real=True)
    a, B, Y = S * A * S, S * S, S * W
    lhs = -2 * (W.T * a * W).trace() + sum(e**2 for e in W.T * B * W)
    rhs = sum(e**2 for e in Y * Y.T - A) - sum(e**2 for e in A)
    s_inv = S.inv()
    return [
        Derivation(f"-2 tr(W^T a W) + ||W^T B W||^2 = ||Y Y^T - A||^2 - ||A||^2, Y = S W "
                   f"(D={d}, K={k})", lhs - rhs,
                   assumptions=["S symmetric, S^2 = B = X^T X", "a = S A S"]),
        Derivation(f"a S^-1 - mu B S^-1 = S (A - mu I): eigenpairs of A are the pencil's (D={d})",
                   (a * s_inv - mu * B * s_inv - S * (A - mu * sp.eye(d))).applyfunc(sp.cancel),
                   assumptions=["S invertible"]),
    ]


def cosine_scale_invariance() -> Derivation:
    """Cosine similarities of c Z equal those of Z (c > 0): the loss is 0-homogeneous in W.

    Hence <grad L(W), W> = d/dc L(c W) at c = 1 = 0 and ||grad L(c W)|| = ||grad L(W)|| / c:
    ||grad|| ||W|| is the scale-free stationarity measure of the linear SimCLR fit.
    """
    c = sp.Symbol("c", positive=True)
    Z = symbolic_matrix("z", 3, 2, real=True)

    def cos(M: sp.Matrix, i: int, j: int) -> sp.Expr:
        ri, rj = M.row(i), M.row(j)
        return (ri * rj.T)[0] / sp.sqrt((ri * ri.T)[0] * (rj * rj.T)[0])

    residual = sp.Matrix(3, 3, lambda i, j: cos(c * Z, i, j) - cos(Z, i, j))
    return Derivation("CoSim(c z_i, c z_j) = CoSim(z_i, z_j) for c > 0", residual,
                      assumptions=["c > 0", "rows nonzero"])
