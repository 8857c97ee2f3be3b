"""VICReg's closed-form optimum for a free embedding Z, symbolically.

Catalogue: docs/catalogue/BL22.md#bl22-c2.

With C = Cov(Z) (centred, 1/(N-1)) and the invariance term written as a Dirichlet energy
(BL22-C0), BL22's VICReg (Sec. 2.2) reads

    L(Z) = alpha sum_k max(0, 1 - sqrt(C_kk)) + beta sum_{k != j} C_kj^2
         + (2 gamma / N) tr(Z^T L Z).

The candidate optimum (our DERIVED reading of the paper's closed form) is

    Z* = sqrt(N-1) [u_1 .. u_K] diag(t_1 .. t_K) + 1 m^T,
    t_k = min(1, alpha N / (4 gamma lambda_k (N-1)))        (t_k = 1 when lambda_k = 0),

u_k the unit eigenvectors of the graph Laplacian L orthogonal to 1 with the K smallest
eigenvalues lambda_k. With Cov(Z*) diagonal the loss separates into one scalar problem per column,

    f(t) = alpha (1 - t) + c lambda t^2,    c = 2 gamma (N - 1) / N,   t in [0, 1],

(a column sqrt(N-1) t u has variance t^2 and Dirichlet energy (N-1) lambda t^2), whose minimiser
is t_k above (:func:`column_std_derivation`).

Whether the decoupled point is the GLOBAL optimum depends on beta: two columns k, j
(lambda_k < lambda_j) may correlate, C_kj = r, which costs 2 beta r^2 and gains invariance
because the spectrum of the Gram matrix diag(t_k^2, t_j^2) + r (e_k e_j^T + e_j e_k^T) spreads
(:func:`pair_threshold_derivation`):

    second order in r:  2 beta - c (lambda_j - lambda_k) / (t_k^2 - t_j^2)   (t_k > t_j),

so the decoupled point is a local minimum in that direction iff beta >= beta*_kj with

    beta*_kj = c (lambda_j - lambda_k) / (2 (t_k^2 - t_j^2)),

and when t_k = t_j (both columns on the hinge, t = 1) with lambda_k != lambda_j the gain is
FIRST order in |r| (:func:`equal_std_pair_derivation`): the loss along that direction is
c (lambda_k + lambda_j) - c (lambda_j - lambda_k) |r| + 2 beta r^2, minimised at
|r*| = min(1, c (lambda_j - lambda_k) / (4 beta)) > 0, so the closed form is then not optimal
for ANY finite beta (it is only the beta -> infinity limit).

The official / lightly / solo-learn VICReg (two branches, eps 1e-4 inside the sqrt, variance
averaged over D and halved by official/lightly, covariance divided by D, MSE invariance) takes
variance and covariance per branch, which caps the rank at N' - 1 for every choice of weights
(:func:`convention_derivation`).
"""

from __future__ import annotations

import sympy as sp

from derivations.base import Derivation, lambdify_torch

__all__ = [
    "ALPHA",
    "BETA",
    "GAMMA",
    "N",
    "LAM",
    "T",
    "INVARIANCE_FACTOR",
    "T_STAR",
    "COLUMN_STD",
    "COLUMN_LOSS",
    "column_std_derivation",
    "column_std_torch",
    "column_loss_torch",
    "stationarity_derivation",
    "pair_threshold_derivation",
    "equal_std_pair_derivation",
    "PAIR_BETA_THRESHOLD",
    "pair_beta_threshold_torch",
    "pair_hessian_derivation",
    "convention_derivation",
    "COUPLED_MU",
    "COUPLED_NU",
    "coupled_derivation",
    "coupled_torch",
    "full_rank_threshold_derivation",
]

ALPHA, BETA, GAMMA = sp.symbols("alpha beta gamma", positive=True)
N = sp.Symbol("N", integer=True, positive=True)
LAM = sp.Symbol("lambda", nonnegative=True)
T = sp.Symbol("t", nonnegative=True)

# c in f(t) = alpha (1 - t) + c lambda t^2: the Dirichlet energy (2 gamma / N) z^T L z of the
# column z = sqrt(N-1) t u (L u = lambda u, |u| = 1) is c lambda t^2.
INVARIANCE_FACTOR = 2 * GAMMA * (N - 1) / N
# The per-column objective for t in [0, 1] (the hinge is active below std 1).
COLUMN_OBJECTIVE = ALPHA * (1 - T) + INVARIANCE_FACTOR * LAM * T**2
# Its stationary point, solved by sympy (not typed): alpha N / (4 gamma lambda (N-1)).
T_STAR = sp.solve(sp.diff(COLUMN_OBJECTIVE, T), T)[0]
# min(1, t*), written as a Piecewise so that sympy's torch printer emits torch.where (its Min
# printer cannot mix a Python 1 with a tensor); lambda = 0 falls in the first branch (t = 1).
COLUMN_STD = sp.Piecewise((1, ALPHA * N >= 4 * GAMMA * LAM * (N - 1)), (T_STAR, True))
# The optimal per-column loss f(t_k).
COLUMN_LOSS = COLUMN_OBJECTIVE.subs(T, COLUMN_STD)

_CLOSED_FORM_SYMBOLS = (LAM, ALPHA, GAMMA, N)


def _as_float64(*values):
    """float64 tensors (sympy's torch printer calls torch.ge, which needs a tensor first)."""
    import torch

    return tuple(torch.as_tensor(v, dtype=torch.float64) for v in values)


def column_std_derivation() -> list[Derivation]:
    """The per-column problem f(t) = alpha (1 - t) + c lambda t^2 on [0, 1] and its minimiser.

    Returns
    -------
    list of Derivation
        (1) the solved stationary point equals alpha N / (4 gamma lambda (N-1)) and zeroes f';
        (2) the factorisation f'(t) = 2 c lambda (t - t*): f' < 0 below t*, > 0 above, so the
        minimiser on [0, 1] is min(1, t*) (t = 1 when lambda = 0: f' = -alpha < 0);
        (3) f'' = 2 c lambda >= 0 (convex). The first carries the closed form t_k.
    """
    df = sp.diff(COLUMN_OBJECTIVE, T)
    typed = ALPHA * N / (4 * GAMMA * LAM * (N - 1))
    stationary = Derivation(
        "f'(t*) = 0 at t* = alpha N / (4 gamma lambda (N-1)), c = 2 gamma (N-1)/N",
        sp.Matrix([T_STAR - typed, df.subs(T, T_STAR)]),
        assumptions=["lambda > 0 (for lambda = 0 the column keeps t = 1)", "N >= 2",
                     "Cov(Z*) diagonal (columns decouple)"],
        closed_form=COLUMN_STD,
        closed_form_symbols=_CLOSED_FORM_SYMBOLS,
    )
    factorised = Derivation(
        "f'(t) = 2 c lambda (t - t*): the minimiser on [0, 1] is min(1, t*)",
        df - 2 * INVARIANCE_FACTOR * LAM * (T - T_STAR),
        assumptions=["lambda > 0"],
    )
    convex = Derivation(
        "f''(t) = 2 c lambda = 4 gamma (N-1) lambda / N >= 0",
        sp.diff(COLUMN_OBJECTIVE, T, 2) - 4 * GAMMA * (N - 1) * LAM / N,
        assumptions=["lambda >= 0", "gamma > 0"],
    )
    return [stationary, factorised, convex]


def column_std_torch():
    """t_k as a torch function ``(lam, alpha, gamma, n) -> tensor``, lambdified from COLUMN_STD.

    Eigenvalues computed as tiny negatives (rounding of a zero eigenvalue) are clamped at 0.
    """
    fn = lambdify_torch(COLUMN_STD, _CLOSED_FORM_SYMBOLS)

    def column_std(lam, alpha, gamma, n):

        lam, alpha, gamma, n = _as_float64(lam, alpha, gamma, n)
        return fn(lam.clamp_min(0.0), alpha, gamma, n).expand_as(lam)

    return column_std


def column_loss_torch():
    """f(t_k) (the optimal per-column loss) as a torch function ``(lam, alpha, gamma, n)``."""
    fn = lambdify_torch(COLUMN_LOSS, _CLOSED_FORM_SYMBOLS)

    def column_loss(lam, alpha, gamma, n):

        lam, alpha, gamma, n = _as_float64(lam, alpha, gamma, n)
        return fn(lam.clamp_min(0.0), alpha, gamma, n).expand_as(lam)

    return column_loss


def stationarity_derivation() -> Derivation:
    """The closed form is a stationary point of the full VICReg loss for every beta (P3, K = 2).

    Path graph on 3 nodes: L has eigenpairs (1, (1, 0, -1)/sqrt 2) and (3, (1, -2, 1)/sqrt 6)
    orthogonal to 1, so Z* = sqrt 2 [t_1 u_1, t_2 u_2] with t_k = t*(lambda_k). Both columns
    are taken strictly inside the hinge (t_k < 1, i.e. gamma > 3 alpha / 8), where the loss is
    smooth: alpha sum_k (1 - sqrt(C_kk)) + beta sum_{k != j} C_kj^2 + (gamma/N) sum_ij G_ij
    ||Z_i - Z_j||^2, with C = Cov(Z) (centred, 1/(N-1)). The residual is the gradient at Z*
    (the mean m is free: the loss is translation invariant, so m = 0 here).
    """
    n, k = 3, 2
    Z = sp.Matrix(n, k, lambda i, j: sp.Symbol(f"z_{i}_{j}", real=True))
    G = sp.Matrix([[0, 1, 0], [1, 0, 1], [0, 1, 0]])
    centred = Z - sp.ones(n, 1) * (sp.ones(1, n) * Z) / n
    C = centred.T * centred / (n - 1)
    invariance = sum(G[i, j] * (Z[i, c] - Z[j, c]) ** 2
                     for i in range(n) for j in range(n) for c in range(k)) / n
    loss = (ALPHA * sum(1 - sp.sqrt(C[c, c]) for c in range(k))
            + BETA * sum(C[a, b] ** 2 for a in range(k) for b in range(k) if a != b)
            + GAMMA * invariance)
    u = [sp.Matrix([1, 0, -1]) / sp.sqrt(2), sp.Matrix([1, -2, 1]) / sp.sqrt(6)]
    t = [T_STAR.subs({LAM: lam, N: n}) for lam in (1, 3)]
    z_star = sp.Matrix.hstack(*[sp.sqrt(n - 1) * t[c] * u[c] for c in range(k)])
    point = {Z[i, c]: z_star[i, c] for i in range(n) for c in range(k)}
    gradient = sp.Matrix(n, k, lambda i, c: sp.diff(loss, Z[i, c]).xreplace(point))
    return Derivation(
        "grad VICReg(Z*) = 0 on the path P3, K = 2, t_k = alpha N / (4 gamma lambda_k (N-1)) < 1",
        gradient,
        assumptions=["t_1, t_2 < 1 (gamma > 3 alpha / 8): both hinges strictly active",
                     "any beta: Cov(Z*) is diagonal, so the covariance term has zero gradient"],
    )


# -- the beta regime ---------------------------------------------------------------------------
_A, _B = sp.symbols("a b", positive=True)  # t_k^2 > t_j^2: the two columns' variances
_LK, _LJ = sp.symbols("lambda_k lambda_j", nonnegative=True)  # lambda_k < lambda_j
_R = sp.Symbol("r", real=True)  # the covariance C_kj the perturbation introduces
_C = sp.Symbol("c", positive=True)  # the invariance factor 2 gamma (N-1)/N

PAIR_BETA_THRESHOLD = _C * (_LJ - _LK) / (2 * (_A - _B))
"""beta*_kj = c (lambda_j - lambda_k) / (2 (t_k^2 - t_j^2)); arguments (c, l_k, l_j, a, b)."""


def _pair_loss(a: sp.Expr, b: sp.Expr, disc: sp.Expr) -> sp.Expr:
    """Covariance + invariance of two columns whose Gram has eigenvalues (a+b)/2 +- disc.

    The invariance of Y with Y^T Y = C, minimised over Y's left singular vectors (Ky Fan), puts
    the larger eigenvalue of C on the smaller lambda: c (lambda_k mu_max + lambda_j mu_min).
    """
    mu_max, mu_min = (a + b) / 2 + disc, (a + b) / 2 - disc
    return _C * (_LK * mu_max + _LJ * mu_min) + 2 * BETA * _R**2


def pair_threshold_derivation() -> Derivation:
    """Second-order coefficient in r of the pair loss at r = 0, distinct variances a > b.

    The Gram [[a, r], [r, b]] has eigenvalues (a+b)/2 +- sqrt(((a-b)/2)^2 + r^2); the variances
    (and so the hinges) are unchanged. The residual is the r^2 coefficient minus
    2 beta - c (lambda_j - lambda_k) / (a - b); the closed form is the threshold beta* that
    zeroes that coefficient.
    """
    gap = sp.Symbol("delta", positive=True)  # a - b > 0, so that sqrt((a - b)^2) = a - b
    loss = _pair_loss(_B + gap, _B, sp.sqrt((gap / 2) ** 2 + _R**2))
    coeff = sp.series(loss, _R, 0, 3).removeO().coeff(_R, 2).subs(gap, _A - _B)
    expected = 2 * BETA - _C * (_LJ - _LK) / (_A - _B)
    threshold = sp.solve(sp.Eq(expected, 0), BETA)[0]
    return Derivation(
        "pair (k, j), t_k^2 = a > t_j^2 = b: d^2L/dr^2 / 2 = 2 beta - c (lambda_j - lambda_k)"
        " / (a - b), zero at beta* = c (lambda_j - lambda_k) / (2 (a - b))",
        sp.Matrix([coeff - expected, threshold - PAIR_BETA_THRESHOLD]),
        assumptions=["a > b (distinct variances)", "lambda_k <= lambda_j",
                     "diagonal of the Gram (hence the hinges) held fixed"],
        closed_form=PAIR_BETA_THRESHOLD,
        closed_form_symbols=(_C, _LK, _LJ, _A, _B),
    )


def equal_std_pair_derivation() -> Derivation:
    """Two columns both on the hinge (t = 1), lambda_k < lambda_j: the gain is first order in r.

    With a = b = 1 the Gram's eigenvalues are 1 +- |r| (r >= 0 below), so the pair loss is
    c (lambda_k + lambda_j) - c (lambda_j - lambda_k) r + 2 beta r^2 exactly, minimised at
    r* = c (lambda_j - lambda_k) / (4 beta) (capped at 1 by positive semi-definiteness), where it
    is lower than the decoupled r = 0 by c^2 (lambda_j - lambda_k)^2 / (8 beta) > 0.
    """
    r = sp.Symbol("r", nonnegative=True)
    loss = _pair_loss(sp.Integer(1), sp.Integer(1), r).subs(_R, r)
    exact = _C * (_LK + _LJ) - _C * (_LJ - _LK) * r + 2 * BETA * r**2
    r_star = sp.solve(sp.diff(exact, r), r)[0]
    deficit = loss.subs(r, 0) - loss.subs(r, r_star)
    return Derivation(
        "t_k = t_j = 1, lambda_k < lambda_j: pair loss c(l_k + l_j) - c(l_j - l_k) r + 2 beta r^2,"
        " r* = c (l_j - l_k) / (4 beta), gain c^2 (l_j - l_k)^2 / (8 beta)",
        sp.Matrix([loss - exact, r_star - _C * (_LJ - _LK) / (4 * BETA),
                   deficit - _C**2 * (_LJ - _LK) ** 2 / (8 * BETA)]),
        assumptions=["t_k = t_j = 1 (both hinges at their kink)", "0 <= r <= 1"],
        closed_form=_C * (_LJ - _LK) / (4 * BETA),
        closed_form_symbols=(_C, _LK, _LJ, BETA),
    )


def pair_hessian_derivation() -> Derivation:
    """Hessian of the loss along the pair's two tilt angles at the decoupled point.

    Columns k and j (variances a > b, eigenvalues lambda_k < lambda_j, in units of
    Y = Z_c / sqrt(N-1)) tilt towards each other: y_k = sqrt(a) (cos phi u_k + sin phi u_j),
    y_j = sqrt(b) (cos theta u_j + sin theta u_k). Norms (so variances, so hinges) are fixed;
    C_kj = sqrt(ab) sin(phi + theta). The Hessian in (phi, theta) at 0 is the closed form; its
    determinant 4 a b c (lambda_j - lambda_k) (2 beta (a - b) - c (lambda_j - lambda_k)) changes
    sign exactly at beta* (for b = a it is negative whenever lambda_j > lambda_k).
    """
    phi, theta = sp.symbols("phi theta", real=True)
    dl = _LJ - _LK
    loss = (_C * (_A * (_LK * sp.cos(phi) ** 2 + _LJ * sp.sin(phi) ** 2)
                  + _B * (_LJ * sp.cos(theta) ** 2 + _LK * sp.sin(theta) ** 2))
            + 2 * BETA * _A * _B * sp.sin(phi + theta) ** 2)
    hessian = sp.hessian(loss, (phi, theta)).subs({phi: 0, theta: 0})
    expected_det = 4 * _A * _B * _C * dl * (2 * BETA * (_A - _B) - _C * dl)
    return Derivation(
        "pair tilt Hessian at the closed form: det = 4 a b c dl (2 beta (a - b) - c dl), "
        "dl = lambda_j - lambda_k",
        hessian.det() - expected_det,
        assumptions=["u_k, u_j orthonormal eigenvectors of L, orthogonal to 1 and to the "
                     "other columns", "the other columns untouched"],
        closed_form=hessian,
        closed_form_symbols=(_C, _LK, _LJ, _A, _B, BETA),
    )


def pair_beta_threshold_torch():
    """beta*_kj as a torch function ``(c, lambda_k, lambda_j, t_k^2, t_j^2)`` (inf when equal)."""
    return lambdify_torch(PAIR_BETA_THRESHOLD, (_C, _LK, _LJ, _A, _B))


# -- the hinge regime: every column on its kink, columns coupled through the covariance -------
_K, _M = sp.symbols("K m", integer=True, positive=True)  # columns, columns kept (mu > 0)
_LBAR = sp.Symbol("lambdabar", nonnegative=True)  # mean of the m smallest lambda's

COUPLED_MU = _K / _M - _C * (LAM - _LBAR) / (2 * BETA)
"""mu_i = K/m - c (lambda_i - lambdabar_m) / (2 beta): the Gram spectrum in the hinge regime."""
COUPLED_NU = 2 * BETA * (_K / _M - 1) + _C * _LBAR
"""nu = multiplier of sum(mu) = K (marginal loss of variance); the regime needs nu <= alpha/2."""


def coupled_derivation(k: int = 3) -> list[Derivation]:
    """The optimum when every column sits on its hinge kink (Cov(Z)_kk = 1), k columns.

    With diag(C) = 1 the hinge vanishes and sum_{i != j} C_ij^2 = ||C||_F^2 - K = sum mu_i^2 - K
    (mu = spectrum of C); the invariance of a Y with Y^T Y = C is at least c sum mu_i lambda_i
    (mu decreasing, lambda increasing; Ky Fan), attained with Y's left singular vectors on the
    u_i. By Schur-Horn a C with unit diagonal and spectrum mu exists iff mu >= 0 and
    sum mu = K, so the problem is

        min_mu  sum_i [c lambda_i mu_i + beta (mu_i - 1)^2]   s.t. mu >= 0, sum mu = K,

    the Euclidean projection of 1 - c lambda / (2 beta) onto that simplex: the m columns with the
    smallest lambda keep mu_i = K/m - c (lambda_i - lambdabar_m)/(2 beta) > 0, the others 0.
    The multiplier nu of sum mu = K is the loss saved per unit of variance removed; lowering
    one C_kk below 1 costs alpha/2 per unit (d/dC_kk of alpha (1 - sqrt(C_kk)) at 1), so the
    kink is kept iff nu <= alpha/2.

    Returns
    -------
    list of Derivation
        For each active-set size m = k, ..., 1 (explicit lambda_1..lambda_k): stationarity
        c lambda_i + 2 beta (mu_i - 1) - nu = 0 on the active set and sum mu = K; then the
        marginal-variance identity d/d delta [alpha (1 - sqrt(1 - delta)) - nu delta] at 0 =
        alpha/2 - nu. The first carries the closed form mu_i (symbols c, lambda, lambdabar,
        K, m, beta) for the numeric side.
    """
    lams = sp.symbols(f"lambda_1:{k + 1}", nonnegative=True)
    out = []
    for m in range(k, 0, -1):
        lbar = sum(lams[:m]) / m
        subs = {_K: k, _M: m, _LBAR: lbar}
        mus = [COUPLED_MU.subs(subs).subs(LAM, lam) for lam in lams[:m]]
        nu = COUPLED_NU.subs(subs)
        residual = sp.Matrix([_C * lam + 2 * BETA * (mu - 1) - nu
                              for lam, mu in zip(lams, mus, strict=False)]
                             + [sum(mus) - k])
        out.append(Derivation(
            f"hinge regime, K={k}, m={m} columns kept: KKT of sum c l_i mu_i + beta (mu_i - 1)^2,"
            " sum mu = K",
            residual,
            assumptions=["Cov(Z)_kk = 1 for every column (hinge at its kink)",
                         "mu_i > 0 exactly for the m smallest lambda (projection's active set)",
                         "invariance at its Ky Fan minimum over Y with Y^T Y = C"],
            closed_form=COUPLED_MU,
            closed_form_symbols=(_C, LAM, _LBAR, _K, _M, BETA),
        ))
    delta = sp.Symbol("delta", nonnegative=True)
    nu = sp.Symbol("nu", real=True)
    marginal = sp.diff(ALPHA * (1 - sp.sqrt(1 - delta)) - nu * delta, delta).subs(delta, 0)
    out.append(Derivation(
        "lowering C_kk by delta from the kink: d/d delta [alpha (1 - sqrt(1-delta)) - nu delta]"
        " = alpha/2 - nu at delta = 0 (kink kept iff nu <= alpha/2)",
        marginal - (ALPHA / 2 - nu),
        assumptions=["nu = the multiplier of sum mu = K (loss saved per unit of variance)"],
    ))
    return out


def coupled_torch():
    """(mu_i, nu) of the hinge regime as torch functions of (c, lambda, lambdabar, K, m, beta)."""
    args = (_C, LAM, _LBAR, _K, _M, BETA)
    mu = lambdify_torch(COUPLED_MU, args)
    nu = lambdify_torch(COUPLED_NU, (_C, _LBAR, _K, _M, BETA))
    return mu, nu


def full_rank_threshold_derivation() -> Derivation:
    """Hinge regime, views graph: every column kept (rank K) iff gamma < gamma_full.

    With K0 columns on lambda = 0 (the N' - 1 component directions orthogonal to 1) and
    K - K0 on lambda = V, lambdabar = V (K - K0)/K and the smallest mu is
    1 - c V K0 / (2 beta K) (m = K); it is positive iff gamma < beta K N / (V K0 (N - 1)).
    """
    v, k0 = sp.symbols("V K_0", positive=True)
    lbar = v * (_K - k0) / _K
    mu_min = COUPLED_MU.subs({_M: _K, _LBAR: lbar, LAM: v}).subs(_C, INVARIANCE_FACTOR)
    gamma_full = sp.solve(sp.Eq(mu_min, 0), GAMMA)[0]
    expected = BETA * _K * N / (v * k0 * (N - 1))
    return Derivation(
        "views graph, hinge regime: rank K iff gamma < gamma_full = beta K N / (V K0 (N-1))",
        sp.Matrix([gamma_full - expected, sp.simplify(mu_min.subs(GAMMA, expected))]),
        assumptions=["hinge regime nu <= alpha/2", "K0 = N' - 1 < K <= N - 1"],
        closed_form=expected,
        closed_form_symbols=(BETA, _K, N, v, k0),
    )


# -- the codebases' conventions ----------------------------------------------------------------
def convention_derivation(branch_scale: sp.Expr) -> list[Derivation]:
    """Free-Z optimum of the official / lightly (branch_scale 1/2) or solo (1) VICReg, K > N'-1.

    Two branches z_a, z_b (N' rows, K columns); loss = sim mse(z_a, z_b) + std s (v(z_a) + v(z_b)) +
    cov (c(z_a) + c(z_b)), v(z) = mean_k relu(1 - sqrt(Var(z_k) + eps)), c(z) = sum_{k != j}
    Cov(z)_kj^2 / K (docs/catalogue/BL22.md#codebase-conventions). Variance and covariance are taken
    PER BRANCH, each a function of a Gram of rank <= r = N' - 1, so their sum is at least twice the
    per-branch minimum, which z_a = z_b attains with zero invariance: every optimum has z_a = z_b
    (sim > 0), and rank(Z) <= r whatever the weights. The per-branch minimum with every variance on
    the kink (Var = 1 - eps) spreads the trace T = K (1 - eps) evenly over r eigenvalues mu = T / r
    (sum mu^2 - sum d^2 is the off-diagonal energy), so

        loss* = 2 cov (1 - eps)^2 (K / r - 1),

    and lowering the trace costs std s / (2K) per unit through the hinge and saves
    2 cov (1 - eps) (1/r - 1/K) through the covariance: the kink holds iff
    4 cov (1 - eps) (K/r - 1) <= std s.

    Parameters
    ----------
    branch_scale : sympy number
        s = 1/2 (official, lightly) or 1 (solo).

    Returns
    -------
    list of Derivation
        (1) loss* from the per-branch loss at T = K (1 - eps); (2) d(per-branch loss)/dT at the
        kink equals 2 cov (1 - eps)(1/r - 1/K) - std s / (2K); its closed form is the per-branch
        eigenvalue mu = K (1 - eps) / r.
    """
    std, cov, eps, total = sp.symbols("std_coeff cov_coeff epsilon T", positive=True)
    k, r = sp.symbols("K r", integer=True, positive=True)
    d = total / k  # every column's variance
    branch = (std * branch_scale * (1 - sp.sqrt(d + eps))
              + cov * ((total / r) ** 2 * r - k * d**2) / k)
    kink = {total: k * (1 - eps)}
    loss_star = 2 * cov * (1 - eps) ** 2 * (k / r - 1)
    marginal = sp.diff(branch, total).subs(kink)
    expected = 2 * cov * (1 - eps) * (1 / r - 1 / k) - std * branch_scale / (2 * k)
    assumptions = ["K > r = N' - 1", "z_a = z_b (forced: per-branch terms, rank <= r)",
                   "every branch variance on the kink Var = 1 - eps",
                   "trace spread evenly over r eigenvalues (minimises sum mu^2)"]
    return [
        Derivation(f"convention s={branch_scale}: loss* = 2 cov (1-eps)^2 (K/r - 1)",
                   2 * branch.subs(kink) - loss_star, assumptions=assumptions,
                   closed_form=k * (1 - eps) / r, closed_form_symbols=(k, r, eps)),
        Derivation(f"convention s={branch_scale}: d loss_branch / dT at the kink = "
                   "2 cov (1-eps)(1/r - 1/K) - std s/(2K) (kink kept iff <= 0)",
                   marginal - expected, assumptions=assumptions),
    ]
