"""Cosines of negative pairs: on the uniform sphere and at a finite batch (GA23 Sec. 3, Prop. 3.1).

Notation: M the embedding dimension, t = x^T y the cosine of two unit vectors of R^M, N the
number of samples of a two-view batch (2N embeddings, each with one positive and 2N - 2
negatives), tau the temperature.

What is derived here:

* The population law (GA23-P1). For independent x, y uniform on S^{M-1}, t has the law of one
  coordinate of a uniform unit vector (rotation invariance), with density
  ``COSINE_DENSITY = (1 - t^2)^((M-3)/2) / B(1/2, (M-1)/2)`` on (-1, 1) for M >= 2 (the slice
  at height t is a sphere S^{M-2} of radius sqrt(1 - t^2), and the arc element adds
  1 / sqrt(1 - t^2)); :func:`density_normalisation` checks the constant against the sphere
  areas, |S^{M-1}| = |S^{M-2}| B(1/2, (M-1)/2). With u = t^2 (:func:`beta_substitution`),
  E[t^{2k}] = B(k + 1/2, (M-1)/2) / B(1/2, (M-1)/2) (Euler's Beta integral), so
  ``E[t] = 0`` (odd integrand), ``E[t^2] = 1/M`` and ``E[t^4] = 3 / (M (M + 2))`` for every
  M > 1; M = 1 is the two-point law t = +-1 (no density), also mean 0 and variance 1 = 1/M.
  :func:`explicit_moments` integrates the density for given M.
* The finite batch (GA23-P1-simplex, P1-finite). For 2N unit vectors u_k with positive pairs
  (k, p(k)), the sum over ordered negative pairs is ``||sum u||^2 - 2N - sum_k u_k^T u_p(k)``
  (:func:`negative_sum_identity`), so the mean negative cosine is >= ``-1/(N-1)``
  (``NEGATIVE_MEAN_BOUND``, :func:`negative_mean_bound`), with equality iff the positives are
  aligned and the embeddings centred. With aligned positives the negatives are the ordered
  pairs of N unit vectors v_i (each pair four times); sum_{i != j} (v_i^T v_j)^2 =
  ||V^T V||_F^2 - N >= N^2 / M - N (frame potential, :func:`frame_potential_identity`;
  equality iff V^T V = (N/M) I, a tight frame), so whenever |mean| <= 1/(N-1):
  ``M Var >= TIGHT_FRAME_VARIANCE = N (N - 1 - M) / (N - 1)^2`` (:func:`tight_frame_variance`),
  whose distance to the population value 1 is ``RATE = ((M - 1) N + 1) / (N - 1)^2 ~ (M-1)/N``
  (:func:`rate_of_approach`). At N = M + 1 the bound is 0: the regular simplex, every negative
  cosine -1/(N-1) (:func:`simplex_variance`).
* Global optimality of the collapsed regular simplex for N <= M + 1 (SimCLR and DCL, every tau;
  :func:`collapsed_simplex_bound`): per anchor, with x_k = (mean negative cosine) - (positive
  cosine), Jensen gives SimCLR's term >= log(1 + (2N-2) e^{x_k/tau}) and DCL's
  >= log(2N - 2) + x_k / tau, both convex increasing in x_k; the mean of x_k is
  >= -N/(N-1) by the negative-sum identity and u_k^T u_p(k) <= 1. So the mean loss is
  >= ``SIMCLR_MINIMUM`` resp. ``DCL_MINIMUM``, attained exactly when every positive pair is
  aligned and every negative cosine equals -1/(N-1): the collapsed regular simplex, which
  exists iff N <= M + 1.
"""

from __future__ import annotations

import sympy as sp

from derivations.base import Derivation, symbolic_matrix

__all__ = [
    "M",
    "N",
    "T",
    "TAU",
    "COSINE_DENSITY",
    "COSINE_MEAN",
    "COSINE_VARIANCE",
    "COSINE_FOURTH_MOMENT",
    "COSINE_EIGHTH_MOMENT",
    "NEGATIVE_MEAN_BOUND",
    "TIGHT_FRAME_VARIANCE",
    "RATE",
    "SIMCLR_MINIMUM",
    "DCL_MINIMUM",
    "density_normalisation",
    "beta_substitution",
    "odd_moment_vanishes",
    "second_moment",
    "fourth_moment",
    "eighth_moment",
    "explicit_moments",
    "negative_sum_identity",
    "negative_mean_bound",
    "frame_potential_identity",
    "tight_frame_variance",
    "rate_of_approach",
    "simplex_variance",
    "collapsed_simplex_bound",
]

M = sp.Symbol("M", positive=True)
"""Embedding dimension (M > 1 where a density is used)."""
N = sp.Symbol("N", positive=True)
"""Number of samples of the two-view batch (N >= 2)."""
T = sp.Symbol("t", real=True)
"""Cosine of two unit vectors, in [-1, 1]."""
TAU = sp.Symbol("tau", positive=True)
"""Temperature."""

_U = sp.Symbol("u", positive=True)
_K = sp.Symbol("k", nonnegative=True)
_HALF = sp.Rational(1, 2)


def _beta(p: sp.Expr, q: sp.Expr) -> sp.Expr:
    """Euler's B(p, q) = int_0^1 u^{p-1} (1-u)^{q-1} du = Gamma(p) Gamma(q) / Gamma(p + q)."""
    return sp.gamma(p) * sp.gamma(q) / sp.gamma(p + q)


def _sphere_area(dim: sp.Expr) -> sp.Expr:
    """|S^{dim-1}| = 2 pi^{dim/2} / Gamma(dim/2), the area of the unit sphere of R^dim."""
    return 2 * sp.pi ** (dim / 2) / sp.gamma(dim / 2)


def _even_moment(k: int) -> sp.Expr:
    """E[t^{2k}] = B(k + 1/2, (M-1)/2) / B(1/2, (M-1)/2) under COSINE_DENSITY (M > 1)."""
    return _beta(k + _HALF, (M - 1) / 2) / _beta(_HALF, (M - 1) / 2)


COSINE_DENSITY = (1 - T**2) ** ((M - 3) / 2) / _beta(_HALF, (M - 1) / 2)
"""Density of t = x^T y for independent uniform unit x, y in R^M, on (-1, 1), M > 1."""
COSINE_MEAN = sp.Integer(0)
"""E[x^T y] (GA23 Prop. 3.1)."""
COSINE_VARIANCE = 1 / M
"""Var[x^T y] = E[(x^T y)^2] (GA23 Prop. 3.1)."""
COSINE_FOURTH_MOMENT = 3 / (M * (M + 2))
"""E[(x^T y)^4]: fixes the standard error of a variance estimate."""
COSINE_EIGHTH_MOMENT = 105 / (M * (M + 2) * (M + 4) * (M + 6))
"""E[(x^T y)^8]: fixes the standard error of a fourth-moment estimate."""
NEGATIVE_MEAN_BOUND = -1 / (N - 1)
"""Lower bound of the mean negative cosine of any 2N unit vectors (two views of N samples)."""
TIGHT_FRAME_VARIANCE = N * (N - 1 - M) / (N - 1) ** 2
"""Lower bound of M Var over the negatives (aligned positives, |mean| <= 1/(N-1), N > M);
attained by centred tight frames."""
RATE = ((M - 1) * N + 1) / (N - 1) ** 2
"""1 - TIGHT_FRAME_VARIANCE: the finite-batch distance of M Var from its limit 1."""
SIMCLR_MINIMUM = sp.log(1 + (2 * N - 2) * sp.exp(-N / ((N - 1) * TAU)))
"""Minimum of SimCLR's mean per-anchor loss for N <= M + 1 (the collapsed regular simplex)."""
DCL_MINIMUM = sp.log(2 * N - 2) - N / ((N - 1) * TAU)
"""Minimum of DCL's mean per-anchor loss for N <= M + 1 (the collapsed regular simplex)."""


def density_normalisation() -> Derivation:
    """|S^{M-1}| = |S^{M-2}| int_{-1}^{1} (1 - t^2)^((M-3)/2) dt, for every M > 1.

    The integral is B(1/2, (M-1)/2) (:func:`beta_substitution`); the identity is the slice
    (co-area) argument behind COSINE_DENSITY and fixes its normalising constant.
    """
    residual = _sphere_area(M) - _sphere_area(M - 1) * _beta(_HALF, (M - 1) / 2)
    return Derivation("|S^{M-1}| = |S^{M-2}| B(1/2, (M-1)/2): the cosine density is normalised",
                      sp.gammasimp(residual), assumptions=["M > 1"])


def beta_substitution() -> Derivation:
    """t = sqrt(u) on (0, 1): t^{2k} (1 - t^2)^a dt = (1/2) u^{k - 1/2} (1 - u)^a du.

    The integrand is even in t, so int_{-1}^{1} is twice int_0^1, and E[t^{2k}] is a ratio of
    Beta functions; the residual compares the two integrands after the change of variable.
    """
    a = (M - 3) / 2
    t_of_u = sp.sqrt(_U)
    left = t_of_u ** (2 * _K) * (1 - t_of_u**2) ** a * sp.diff(t_of_u, _U)
    right = _HALF * _U ** (_K - _HALF) * (1 - _U) ** a
    return Derivation("t = sqrt(u) turns the even moments into Beta integrals",
                      sp.powsimp(sp.expand_power_base(left / right, force=True)) - 1,
                      assumptions=["0 < u < 1", "k >= 0"])


def odd_moment_vanishes() -> Derivation:
    """E[t] = 0: t * density is odd, its integral over (-1, 1) vanishes (for every M > 1)."""
    integrand = T * COSINE_DENSITY
    return Derivation("t * density(t) is odd, so E[x^T y] = 0",
                      integrand + integrand.subs(T, -T), assumptions=["M > 1"])


def second_moment() -> Derivation:
    """E[t^2] = B(3/2, (M-1)/2) / B(1/2, (M-1)/2) = 1/M for every M > 1 (GA23 Prop. 3.1)."""
    return Derivation("E[(x^T y)^2] = 1/M (symbolic M, Beta integrals)",
                      _even_moment(1) - COSINE_VARIANCE, assumptions=["M > 1"],
                      closed_form=COSINE_VARIANCE, closed_form_symbols=[M])


def fourth_moment() -> Derivation:
    """E[t^4] = B(5/2, (M-1)/2) / B(1/2, (M-1)/2) = 3 / (M (M + 2)) for every M > 1."""
    return Derivation("E[(x^T y)^4] = 3/(M (M+2)) (symbolic M, Beta integrals)",
                      _even_moment(2) - COSINE_FOURTH_MOMENT, assumptions=["M > 1"],
                      closed_form=COSINE_FOURTH_MOMENT, closed_form_symbols=[M])


def eighth_moment() -> Derivation:
    """E[t^8] = B(9/2, (M-1)/2) / B(1/2, (M-1)/2) = 105 / (M (M+2) (M+4) (M+6)), M > 1."""
    return Derivation("E[(x^T y)^8] = 105/(M (M+2) (M+4) (M+6)) (symbolic M, Beta integrals)",
                      _even_moment(4) - COSINE_EIGHTH_MOMENT, assumptions=["M > 1"],
                      closed_form=COSINE_EIGHTH_MOMENT, closed_form_symbols=[M])


def explicit_moments(m: int) -> list[Derivation]:
    """E[t] = 0 and E[t^2] = 1/m by integrating the density itself, for one given m >= 1.

    m = 1: t = +-1 with probability 1/2 each (no density). Odd m: the density is a polynomial;
    even m: t = sin(theta) turns (1 - t^2)^((m-3)/2) dt into cos(theta)^(m-2) dtheta.

    Parameters
    ----------
    m : int
        Dimension, >= 1.

    Returns
    -------
    list of Derivation
        [mean, second moment].
    """
    if m == 1:
        values = (sp.Integer(1), sp.Integer(-1))
        mean = sum(values) / 2
        second = sum(v**2 for v in values) / 2
    else:
        theta = sp.Symbol("theta", real=True)
        if m % 2:
            weight, var, low, high = sp.expand((1 - T**2) ** ((m - 3) // 2)), T, -1, 1
            cosine = T
        else:
            weight, var, low, high = sp.cos(theta) ** (m - 2), theta, -sp.pi / 2, sp.pi / 2
            cosine = sp.sin(theta)
        total = sp.integrate(weight, (var, low, high))
        mean = sp.integrate(sp.expand(cosine * weight), (var, low, high)) / total
        second = sp.integrate(sp.expand(cosine**2 * weight), (var, low, high)) / total
    return [Derivation(f"E[x^T y] = 0 at M = {m} (density integrated)", mean),
            Derivation(f"E[(x^T y)^2] = 1/{m} at M = {m} (density integrated)",
                       second - sp.Rational(1, m))]


def negative_sum_identity(n: int, m: int) -> Derivation:
    """sum over ordered negative pairs of u_k^T u_l = ||sum u||^2 - sum ||u_k||^2 - sum_k
    u_k^T u_p(k), explicit 2n vectors of R^m (rows of a symbolic matrix), p(k) = k + n mod 2n.

    Parameters
    ----------
    n, m : int
        Samples (2n embeddings) and dimension.
    """
    U = symbolic_matrix("u", 2 * n, m, real=True)
    gram = U * U.T
    partner = [(k + n) % (2 * n) for k in range(2 * n)]
    negatives = sum(gram[k, j] for k in range(2 * n) for j in range(2 * n)
                    if j not in (k, partner[k]))
    total = sp.ones(1, 2 * n) * U
    rhs = ((total * total.T)[0, 0] - gram.trace()
           - sum(gram[k, partner[k]] for k in range(2 * n)))
    return Derivation(f"sum over negatives = ||sum u||^2 - sum ||u||^2 - sum positives "
                      f"(N={n}, M={m})", negatives - rhs)


def negative_mean_bound() -> Derivation:
    """The smallest value of (||sum u||^2 - 2N - P) / (2N (2N-2)) over P <= 2N is -1/(N-1).

    Unit vectors give sum ||u_k||^2 = 2N; the positive cosines sum to P <= 2N, and
    ||sum u||^2 >= 0: the mean negative cosine is >= (-2N - 2N) / (2N (2N - 2)).
    """
    bound = (-2 * N - 2 * N) / (2 * N * (2 * N - 2))
    return Derivation("mean negative cosine >= -1/(N-1)", bound - NEGATIVE_MEAN_BOUND,
                      assumptions=["unit embeddings", "N >= 2"],
                      closed_form=NEGATIVE_MEAN_BOUND, closed_form_symbols=[N])


def frame_potential_identity(m: int) -> Derivation:
    """||F - (tr F / m) I||_F^2 = ||F||_F^2 - (tr F)^2 / m for a symmetric m x m F.

    With F = V^T V (N unit rows, tr F = N) and ||V^T V||_F = ||V V^T||_F: sum_{i != j}
    (v_i^T v_j)^2 = ||F||_F^2 - N >= N^2 / m - N, equality iff F = (N/m) I (a tight frame).

    Parameters
    ----------
    m : int
        Dimension.
    """
    F = sp.Matrix(m, m, lambda i, j: sp.Symbol(f"f_{min(i, j)}{max(i, j)}", real=True))
    trace = F.trace()
    deviation = F - trace / m * sp.eye(m)
    residual = ((deviation.T * deviation).trace() - (F.T * F).trace() + trace**2 / m)
    return Derivation(f"frame potential: ||F - (tr F/M) I||^2 = ||F||^2 - (tr F)^2/M (M={m})",
                      residual, assumptions=["F symmetric"])


def tight_frame_variance() -> Derivation:
    """M (E[s^2] - mean^2) at E[s^2] = (N - M) / (M (N - 1)) and mean = -1/(N-1).

    E[s^2] over the ordered pairs of N unit vectors is (||F||_F^2 - N) / (N (N - 1)), at least
    (N^2/M - N) / (N (N - 1)); subtracting the largest mean^2 allowed, 1/(N-1)^2, leaves
    TIGHT_FRAME_VARIANCE.
    """
    second = (N**2 / M - N) / (N * (N - 1))
    return Derivation("M Var >= N (N-1-M)/(N-1)^2 (tight frame, centred)",
                      M * (second - NEGATIVE_MEAN_BOUND**2) - TIGHT_FRAME_VARIANCE,
                      assumptions=["aligned positives", "|mean| <= 1/(N-1)", "N > M"],
                      closed_form=TIGHT_FRAME_VARIANCE, closed_form_symbols=[N, M])


def rate_of_approach() -> list[Derivation]:
    """1 - TIGHT_FRAME_VARIANCE = RATE, RATE * N -> M - 1 and the bounds -> (0, 1) as N -> oo."""
    return [
        Derivation("1 - N (N-1-M)/(N-1)^2 = ((M-1) N + 1)/(N-1)^2",
                   1 - TIGHT_FRAME_VARIANCE - RATE,
                   closed_form=RATE, closed_form_symbols=[N, M]),
        Derivation("N ((M-1) N + 1)/(N-1)^2 -> M - 1 as N -> oo",
                   sp.limit(N * RATE, N, sp.oo) - (M - 1)),
        Derivation("mean bound -1/(N-1) -> 0 as N -> oo", sp.limit(NEGATIVE_MEAN_BOUND, N, sp.oo)),
        Derivation("M Var bound -> 1 as N -> oo", sp.limit(TIGHT_FRAME_VARIANCE, N, sp.oo) - 1),
    ]


def simplex_variance() -> list[Derivation]:
    """The regular simplex (N = M + 1, Gram (N I - 1 1^T)/(N - 1)): the variance bound is 0,
    and explicit simplices have unit diagonal, centred rows and every off-diagonal -1/(N-1)."""
    out = [Derivation("N (N-1-M)/(N-1)^2 = 0 at N = M + 1",
                      TIGHT_FRAME_VARIANCE.subs(N, M + 1))]
    for n in (2, 3, 4, 5):
        gram = (n * sp.eye(n) - sp.ones(n, n)) / (n - 1)
        off = [gram[i, j] - NEGATIVE_MEAN_BOUND.subs(N, n)
               for i in range(n) for j in range(n) if i != j]
        residual = sp.Matrix([*(gram[i, i] - 1 for i in range(n)), *(gram * sp.ones(n, 1)), *off])
        out.append(Derivation(f"regular simplex N={n}: unit, centred, cosines -1/(N-1)",
                              residual))
    return out


def collapsed_simplex_bound() -> list[Derivation]:
    """The pieces of the lower bound on SimCLR's and DCL's loss (module docstring).

    * the mean of x_k = (mean negative cosine of k) - (positive cosine of k) is
      (||sum u||^2 - 2N - P) / (2N (2N - 2)) - P / (2N) with P the sum of the positive
      cosines; at ||sum u|| = 0 it decreases in P, to -N/(N-1) at P = 2N;
    * phi_SimCLR(x) = log(1 + (2N-2) e^{x/tau}) has phi'' = c e^{x/tau} / (tau^2 (1 + c
      e^{x/tau})^2) > 0, c = 2N - 2; phi_DCL(x) = log(2N-2) + x/tau is affine;
    * at x = -N/(N-1) they equal SIMCLR_MINIMUM and DCL_MINIMUM.
    """
    x, total = sp.symbols("x P", real=True)
    mean_x = (-2 * N - total) / (2 * N * (2 * N - 2)) - total / (2 * N)
    c = 2 * N - 2
    phi_simclr = sp.log(1 + c * sp.exp(x / TAU))
    phi_dcl = sp.log(c) + x / TAU
    extreme = -N / (N - 1)
    return [
        Derivation("mean of x_k at P = 2N is -N/(N-1)", mean_x.subs(total, 2 * N) - extreme),
        Derivation("d(mean of x_k)/dP = -(2N-1)/(2N (2N-2)) < 0",
                   sp.diff(mean_x, total) + (2 * N - 1) / (2 * N * (2 * N - 2))),
        Derivation("phi_SimCLR'' = c e^{x/tau} / (tau^2 (1 + c e^{x/tau})^2) > 0",
                   sp.diff(phi_simclr, x, 2)
                   - c * sp.exp(x / TAU) / (TAU**2 * (1 + c * sp.exp(x / TAU)) ** 2)),
        Derivation("phi_DCL'' = 0 (affine)", sp.diff(phi_dcl, x, 2)),
        Derivation("phi_SimCLR(-N/(N-1)) = SIMCLR_MINIMUM",
                   phi_simclr.subs(x, extreme) - SIMCLR_MINIMUM,
                   closed_form=SIMCLR_MINIMUM, closed_form_symbols=[N, TAU]),
        Derivation("phi_DCL(-N/(N-1)) = DCL_MINIMUM", phi_dcl.subs(x, extreme) - DCL_MINIMUM,
                   closed_form=DCL_MINIMUM, closed_form_symbols=[N, TAU]),
    ]
