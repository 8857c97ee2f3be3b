"""The duality between sample- and dimension-contrastive criteria (GA23 Sec. 3).

Notation (GA23 Sec. 3): K is (M, N), M the embedding dimension (rows j), N the batch size
(columns i); column K_{., i} is sample i's embedding, row K_{j, .} is dimension j over the batch.
Gram entries g_{ii'} = sum_j K_{ji} K_{ji'}, dimension entries c_{jj'} = sum_i K_{ji} K_{j'i}.

What is derived here:

* GA23-D2 (Def. 3.2): ``L_c = ||K^T K - diag(K^T K)||_F^2`` is the sum of g_{ii'}^2 over the
  ordered pairs i != i' (``L_nc`` likewise over j != j'): entrywise, with diag(A)_{ab} =
  delta_ab A_ab, (A_ab - delta_ab A_ab)^2 = (1 - delta_ab) A_ab^2 because delta^2 = delta.
* GA23-T1 (Thm. 3.3): ``L_nc + sum_j ||K_{j,.}||^4 = L_c + sum_i ||K_{.,i}||^4`` for every M, N.
  Both sides are the full squared Frobenius norms ||K K^T||_F^2 and ||K^T K||_F^2; writing the
  square of each inner sum as a double sum over a renamed dummy turns both into one quartic
  sum over the rectangular range (j, j', i, i'), with the same summand.
* GA23-C0: columns of norm a and rows of norm b force N a^2 = M b^2 (both are ||K||_F^2), and
  then ``L_nc - L_c = N a^4 - M b^4`` (``OFFSET``); unit columns give ``N - N^2 / M``
  (``OFFSET_UNIT_COLUMNS``), not the printed ``N - M`` (``PAPER_OFFSET``) unless M = N, the only
  sizes where unit rows and unit columns coexist (and where both offsets are 0). Over that
  set the minima are ``MIN_L_C = max(0, N^2/M - N)`` (Welch's bound) and
  ``MIN_L_NC = max(0, N - N^2/M)``, which differ by the same offset.
* GA23-L1 (Lemma 3.4): for r_j >= 0 with sum S, ``S^2 / M <= sum r_j^2 <= S^2``; the lower gap
  is Lagrange's ``M sum r_j^2 - S^2 = (1/2) sum_{j, j'} (r_j - r_j')^2`` (zero iff all r_j are
  equal), the upper gap ``sum_{j != j'} r_j r_j'`` (zero iff at most one r_j is nonzero). With
  r_j = ||K_{j,.}||^2 and unit-a columns, S = N a^2: ``LEMMA_LOWER`` and ``LEMMA_UPPER``.
* GA23-C1 (Cor. 3.4.1): with unit columns, T1 gives ``L_c = L_nc - N + sum_j ||K_{j,.}||^4``,
  so L1 places L_c in [L_nc - N + N^2 / M, L_nc - N + N^2], an interval of width
  ``INTERVAL_WIDTH = N^2 (1 - 1/M)``; with unit rows, the mirror statement (M and N swapped).
* GA23-E1 (Eqs. 8-10): VICReg's covariance term of the batch-first Z = K^T is
  ``c = (1/M) sum_{j != j'} Cov_jj'^2`` with Cov = (K H)(K H)^T / (N - 1), H = I_N - 1 1^T / N
  (each ROW of K, one dimension, centred over the batch), hence
  ``c = L_nc(K H) / (M (N-1)^2) = (L_c + L_reg)(K H) / (M (N-1)^2)`` (``VICREG_SCALE``). The
  same term applied to K^T (Eq. 8's c(K^T)) centres each COLUMN (one embedding) across its
  dimensions: ``c(K^T) = L_c(H_M K) / (N (M-1)^2)``.
"""

from __future__ import annotations

import itertools

import sympy as sp

from derivations.base import Derivation, symbolic_matrix

__all__ = [
    "M",
    "N",
    "A",
    "B",
    "OFFSET",
    "OFFSET_UNIT_COLUMNS",
    "PAPER_OFFSET",
    "LEMMA_LOWER",
    "LEMMA_UPPER",
    "INTERVAL_WIDTH",
    "MIN_L_C",
    "MIN_L_NC",
    "VICREG_SCALE",
    "VICREG_TRANSPOSED_SCALE",
    "criteria_explicit",
    "definition_explicit",
    "definition_general",
    "duality_general",
    "duality_explicit",
    "frobenius_general",
    "offset_general",
    "offset_against_paper",
    "literal_hypothesis",
    "minima_offset",
    "lagrange_identity_general",
    "lemma_bounds_explicit",
    "lemma_equality_cases",
    "collapse_counterexample",
    "sandwich",
    "vicreg_covariance_explicit",
    "literal_eq8",
]

M, N = sp.symbols("M N", integer=True, positive=True)
A, B = sp.symbols("a b", positive=True)
"""Column norm a and row norm b of a doubly normalised K."""

OFFSET = N * A**4 - M * B**4
"""L_nc - L_c for columns of norm a and rows of norm b (GA23-C0, general form)."""
OFFSET_UNIT_COLUMNS = N - N**2 / M
"""L_nc - L_c for unit columns (rows then of norm sqrt(N / M))."""
PAPER_OFFSET = N - M
"""The offset printed after GA23 Thm. 3.3."""
LEMMA_LOWER = N**2 * A**4 / M
"""GA23 Lemma 3.4 (a): lower bound of sum_j ||K_{j,.}||^4 for columns of norm a."""
LEMMA_UPPER = N**2 * A**4
"""GA23 Lemma 3.4 (a): upper bound."""
INTERVAL_WIDTH = N**2 * (1 - 1 / M)
"""Width of Cor. 3.4.1 (a)'s interval for L_c given L_nc (unit columns)."""
MIN_L_C = sp.Max(0, N**2 / M - N)
"""Minimum of L_c over unit-column K (hence over the doubly normalised K): N^2/M - N at a
unit-norm tight frame (K K^T = (N/M) I) when M < N, 0 at orthonormal columns when M >= N."""
MIN_L_NC = sp.Max(0, N - N**2 / M)
"""Minimum of L_nc over the doubly normalised K: MIN_L_C + (N - N^2/M), attained at the same K."""
VICREG_SCALE = M * (N - 1) ** 2
"""VICReg's c of the batch-first branch Z = K^T is (L_c + L_reg)(K H) / VICREG_SCALE."""
VICREG_TRANSPOSED_SCALE = N * (M - 1) ** 2
"""c applied to K itself (Eq. 8's c(K^T) in the paper's layout) = L_c(H_M K) / this."""

_I, _I2, _J, _J2 = sp.symbols("i i' j j'", integer=True, nonnegative=True)
_K = sp.IndexedBase("K", real=True)
_R = sp.IndexedBase("r", nonnegative=True)
_ROWS, _ROWS2 = (_J, 0, M - 1), (_J2, 0, M - 1)
_COLS, _COLS2 = (_I, 0, N - 1), (_I2, 0, N - 1)
_FUBINI = "finite sums over rectangular index ranges may be reordered (Fubini)"
_SQUARE = "the square of a finite sum is a double sum over a renamed dummy"


def _off_diagonal_square_sum(A_sq: sp.Matrix) -> sp.Expr:
    """||A - diag(A)||_F^2 of an explicit square matrix, in matrix form (GA23 Def. 3.1)."""
    off = A_sq - sp.diag(*[A_sq[k, k] for k in range(A_sq.shape[0])])
    return sum(e**2 for e in off)


def criteria_explicit(K: sp.Matrix) -> dict[str, sp.Expr]:
    """L_c, L_nc (matrix form), the column and row fourth-power norm sums, L_reg (Eq. 9).

    Parameters
    ----------
    K : sympy.Matrix of shape (m, n)

    Returns
    -------
    dict
        Keys ``l_c``, ``l_nc``, ``col4`` (sum_i ||K_{.,i}||^4), ``row4`` (sum_j ||K_{j,.}||^4),
        ``l_reg`` (col4 - row4).
    """
    col4 = sum(sum(K[j, i] ** 2 for j in range(K.rows)) ** 2 for i in range(K.cols))
    row4 = sum(sum(K[j, i] ** 2 for i in range(K.cols)) ** 2 for j in range(K.rows))
    return {"l_c": _off_diagonal_square_sum(K.T * K), "l_nc": _off_diagonal_square_sum(K * K.T),
            "col4": col4, "row4": row4, "l_reg": col4 - row4}


def definition_explicit(m: int, n: int) -> list[Derivation]:
    """GA23-D2 at explicit size: matrix form = sum over ordered off-diagonal pairs.

    L_c against sum_{i != i'} (sum_j K_ji K_ji')^2 and L_nc against
    sum_{j != j'} (sum_i K_ji K_j'i)^2, for a symbolic m x n K.
    """
    K = symbolic_matrix("k", m, n, real=True)
    crit = criteria_explicit(K)
    pairs_c = sum(sum(K[j, a] * K[j, b] for j in range(m)) ** 2
                  for a, b in itertools.permutations(range(n), 2))
    pairs_nc = sum(sum(K[a, i] * K[b, i] for i in range(n)) ** 2
                   for a, b in itertools.permutations(range(m), 2))
    return [Derivation(f"L_c = sum over i != i' of squared inner products (M={m}, N={n})",
                       crit["l_c"] - pairs_c),
            Derivation(f"L_nc = sum over j != j' of squared inner products (M={m}, N={n})",
                       crit["l_nc"] - pairs_nc)]


def definition_general() -> Derivation:
    """GA23-D2 for every size: ||A - diag A||_F^2 = sum_{a != b} A_ab^2, summand by summand.

    diag(A)_{ab} = delta_ab A_ab, so the matrix form's summand is (A_ab - delta_ab A_ab)^2 and
    the pair sum's is (1 - delta_ab) A_ab^2 (the indicator of a != b); they agree since
    delta^2 = delta. Applied to A = K^T K (L_c, size N) and A = K K^T (L_nc, size M).
    """
    a, b = sp.symbols("a b", integer=True, nonnegative=True)
    size = sp.Symbol("n", integer=True, positive=True)
    Ab, delta = sp.IndexedBase("A", real=True), sp.KroneckerDelta(a, b)
    limits = ((a, 0, size - 1), (b, 0, size - 1))
    matrix_form = sp.Sum(sp.expand((Ab[a, b] - delta * Ab[a, b]) ** 2), *limits)
    pair_sum = sp.Sum(sp.expand((1 - delta) * Ab[a, b] ** 2), *limits)
    return Derivation("||A - diag(A)||_F^2 = sum_{a != b} A_ab^2 for every size n",
                      matrix_form - pair_sum, assumptions=["diag(A)_ab = delta_ab A_ab"])


def _canonical_sum(summand: sp.Expr, *limits: tuple) -> sp.Sum:
    """Sum of the expanded summand with the limits sorted by dummy name (Fubini)."""
    return sp.Sum(sp.expand(summand), *sorted(limits, key=lambda lim: str(lim[0])))


def duality_general() -> Derivation:
    """GA23-T1 for symbolic M, N: both sides as one quartic sum over (j, j', i, i').

    ``L_c + sum_i ||K_{.,i}||^4 = sum_{i,i'} g_{ii'}^2`` (D2: L_c drops exactly the diagonal
    g_ii = ||K_{.,i}||^2) and ``(sum_j K_ji K_ji')^2 = sum_{j,j'} K_ji K_ji' K_j'i K_j'i'``;
    likewise for L_nc with c_{jj'}. The residual is the difference of the two quartic sums
    written over the same sorted ranges: zero once the summands are expanded.
    """
    col_sq = sp.Sum(_K[_J, _I] ** 2, _ROWS)  # ||K_{., i}||^2
    row_sq = sp.Sum(_K[_J, _I] ** 2, _COLS)  # ||K_{j, .}||^2
    gram_fro = _canonical_sum(_K[_J, _I] * _K[_J, _I2] * _K[_J2, _I] * _K[_J2, _I2],
                              _COLS, _COLS2, _ROWS, _ROWS2)
    cov_fro = _canonical_sum(_K[_J, _I] * _K[_J2, _I] * _K[_J, _I2] * _K[_J2, _I2],
                             _ROWS, _ROWS2, _COLS, _COLS2)
    col4, row4 = sp.Sum(col_sq**2, _COLS), sp.Sum(row_sq**2, _ROWS)
    l_c, l_nc = gram_fro - col4, cov_fro - row4
    return Derivation("L_nc + sum_j ||K_j.||^4 = L_c + sum_i ||K_.i||^4 for all M, N",
                      (l_nc + row4) - (l_c + col4),
                      assumptions=["K real", _SQUARE, _FUBINI,
                                   "D2: L_c = ||K^T K||_F^2 - sum_i ||K_.i||^4 (diagonal split)"])


def duality_explicit(m: int, n: int) -> Derivation:
    """GA23-T1 for an explicit symbolic m x n K, matrix forms expanded."""
    crit = criteria_explicit(symbolic_matrix("k", m, n, real=True))
    return Derivation(f"L_nc + row4 = L_c + col4 (M={m}, N={n})",
                      crit["l_nc"] + crit["row4"] - crit["l_c"] - crit["col4"])


def frobenius_general() -> list[Derivation]:
    """sum_i ||K_{.,i}||^2 = sum_j ||K_{j,.}||^2 (= ||K||_F^2) for every M, N; so columns of
    norm a and rows of norm b need N a^2 = M b^2 (GA23-C0's feasibility condition)."""
    by_columns = _canonical_sum(_K[_J, _I] ** 2, _COLS, _ROWS)
    by_rows = _canonical_sum(_K[_J, _I] ** 2, _ROWS, _COLS)
    constant = sp.Sum(A**2, _COLS).doit() - sp.Sum(B**2, _ROWS).doit()
    return [Derivation("sum_i ||K_.i||^2 = sum_j ||K_j.||^2 for all M, N", by_columns - by_rows,
                       assumptions=[_FUBINI]),
            Derivation("constant norms a, b: the two sums are N a^2 and M b^2",
                       constant - (N * A**2 - M * B**2))]


def offset_general() -> list[Derivation]:
    """GA23-C0's offset from T1: columns of norm a, rows of norm b (N a^2 = M b^2).

    L_nc - L_c = sum_i a^4 - sum_j b^4 = N a^4 - M b^4; with a = 1, b^2 = N / M this is
    N - N^2 / M.
    """
    from_t1 = sp.Sum(A**4, _COLS).doit() - sp.Sum(B**4, _ROWS).doit()
    unit_columns = OFFSET.subs({A: 1, B: sp.sqrt(N / M)})
    return [Derivation("L_nc - L_c = N a^4 - M b^4 (columns norm a, rows norm b)",
                       from_t1 - OFFSET, assumptions=["GA23-T1"]),
            Derivation("unit columns (rows of norm sqrt(N/M)): L_nc - L_c = N - N^2/M",
                       unit_columns - OFFSET_UNIT_COLUMNS,
                       assumptions=["N a^2 = M b^2 (frobenius_general)"])]


def offset_against_paper() -> Derivation:
    """The printed offset N - M against the derived N - N^2/M (unit columns): their difference
    (M^2 - N^2) / M vanishes only at M = N. A nonzero residual: a witness (M, N)."""
    return Derivation("doubly normalised (unit columns): L_nc - L_c = N - M as printed",
                      OFFSET_UNIT_COLUMNS - PAPER_OFFSET,
                      assumptions=["columns of norm 1, rows of the common norm sqrt(N/M)"])


def minima_offset() -> list[Derivation]:
    """The two criteria's minima over the doubly normalised K differ by the offset N - N^2/M,
    on each side of M = N (Max(0, x) - Max(0, -x) = x, checked with x's sign fixed)."""
    below = {M: N + sp.Symbol("d", positive=True)}  # M > N: orthonormal columns
    above = {N: M + sp.Symbol("d", positive=True)}  # M < N: tight frame
    return [Derivation(f"MIN_L_NC - MIN_L_C = N - N^2/M ({label})",
                       sp.simplify((MIN_L_NC - MIN_L_C - OFFSET_UNIT_COLUMNS).xreplace(at)))
            for label, at in (("M > N", below), ("M < N", above), ("M = N", {M: N}))]


def literal_hypothesis() -> list[Derivation]:
    """Unit rows AND unit columns: N = M (Frobenius), and there the printed offset is exact
    (both are 0): the printed statement is true only where it is vacuous."""
    forced = sp.solve(sp.Eq(N * A**2, M * B**2).subs({A: 1, B: 1}), M)
    return [Derivation("unit rows and unit columns force M = N", forced[0] - N),
            Derivation("at M = N with unit rows and columns: N a^4 - M b^4 = N - M = 0",
                       (OFFSET - PAPER_OFFSET).subs({A: 1, B: 1, M: N}))]


def lagrange_identity_general() -> Derivation:
    """Lemma 3.4's lower gap for every M: M sum_j r_j^2 - (sum_j r_j)^2
    = (1/2) sum_{j, j'} (r_j - r_j')^2, as double sums over [M]^2 (M sum_j r_j^2 =
    sum_{j,j'} r_j^2). Over identical ranges the dummies j <-> j' may be swapped, so each
    summand is compared in its symmetrised form."""
    def symmetrised(f: sp.Expr) -> sp.Expr:
        return sp.expand((f + f.xreplace({_J: _J2, _J2: _J})) / 2)

    gap = _R[_J] ** 2 - _R[_J] * _R[_J2]
    lagrange = (_R[_J] - _R[_J2]) ** 2 / 2
    return Derivation("M sum r^2 - (sum r)^2 = (1/2) sum_{j,j'} (r_j - r_j')^2 for all M",
                      sp.Sum(symmetrised(gap), _ROWS, _ROWS2)
                      - sp.Sum(symmetrised(lagrange), _ROWS, _ROWS2),
                      assumptions=["sums over identical ranges may swap dummy names"])


def lemma_bounds_explicit(m: int) -> list[Derivation]:
    """Lemma 3.4's two gaps at explicit M = m, for nonnegative r_1..r_m:
    M sum r^2 - S^2 = sum_{j < j'} (r_j - r_j')^2 and S^2 - sum r^2 = 2 sum_{j < j'} r_j r_j'."""
    r = [sp.Symbol(f"r_{j}", nonnegative=True) for j in range(m)]
    s, q = sum(r), sum(x**2 for x in r)
    pairs = list(itertools.combinations(range(m), 2))
    return [Derivation(f"lower gap is a sum of squares (M={m})",
                       m * q - s**2 - sum((r[a] - r[b]) ** 2 for a, b in pairs)),
            Derivation(f"upper gap is a sum of nonnegative products (M={m})",
                       s**2 - q - 2 * sum(r[a] * r[b] for a, b in pairs))]


def lemma_equality_cases() -> list[Derivation]:
    """The equality cases of Lemma 3.4 (a) for symbolic M, N, a: equal row norms (each
    ||K_{j,.}||^2 = N a^2 / M: the constant matrix, but also any doubly normalised K) give the
    lower bound; all mass in one row (rank one, collapsed) gives the upper bound."""
    equal_rows = sp.Sum((N * A**2 / M) ** 2, _ROWS).doit()
    one_row = (N * A**2) ** 2
    return [Derivation("equal row norms attain N^2 a^4 / M", equal_rows - LEMMA_LOWER),
            Derivation("one nonzero row attains N^2 a^4", one_row - LEMMA_UPPER)]


def collapse_counterexample(m: int) -> list[Derivation]:
    """The identity I_m (M = N = m): unit columns and rows, so it attains Lemma 3.4 (a)'s lower
    bound N^2 / M = m, yet its rank is m. The second residual, rank - 1, is the claim "a K at
    the lower bound is collapsed" and is nonzero for m >= 2."""
    K = sp.eye(m)
    row4 = criteria_explicit(K)["row4"]
    return [Derivation(f"I_{m} attains the lower bound N^2/M", row4 - LEMMA_LOWER.subs(
                {M: m, N: m, A: 1})),
            Derivation(f"I_{m}, at the lower bound, is collapsed (rank 1)",
                       sp.Integer(K.rank() - 1))]


def sandwich() -> list[Derivation]:
    """GA23 Cor. 3.4.1 from T1 and Lemma 3.4, both parts, against the printed endpoints.

    (a) unit columns: L_c = L_nc - N + row4, row4 in [N^2/M, N^2];
    (b) unit rows: L_nc = L_c - M + col4, col4 in [M^2/N, M^2].
    """
    l_nc, l_c = sp.symbols("L_nc L_c", nonnegative=True)
    derived_a = [l_nc - N + LEMMA_LOWER.subs(A, 1), l_nc - N + LEMMA_UPPER.subs(A, 1)]
    printed_a = [l_nc - N + N**2 / M, l_nc - N + N**2]
    mirror = {M: N, N: M}
    derived_b = [l_c - M + LEMMA_LOWER.subs(A, 1).xreplace(mirror),
                 l_c - M + LEMMA_UPPER.subs(A, 1).xreplace(mirror)]
    printed_b = [l_c - M + M**2 / N, l_c - M + M**2]
    return [Derivation("Cor. 3.4.1 (a) endpoints as printed",
                       sp.Matrix(derived_a) - sp.Matrix(printed_a)),
            Derivation("Cor. 3.4.1 (b) endpoints as printed",
                       sp.Matrix(derived_b) - sp.Matrix(printed_b)),
            Derivation("Cor. 3.4.1 (a) interval width N^2 (1 - 1/M)",
                       derived_a[1] - derived_a[0] - INTERVAL_WIDTH)]


def vicreg_covariance_explicit(m: int, n: int) -> list[Derivation]:
    """GA23-E1 at explicit size: VICReg's covariance term as L_c + L_reg of the centred K.

    c(K^T) in batch-first terms (Z = K^T, N samples): K H with H = I_N - 1 1^T / N centres each
    row, Cov = (K H)(K H)^T / (N - 1), c = (1/M) sum_{j != j'} Cov_jj'^2; then
    c = (L_c + L_reg)(K H) / (M (N - 1)^2). Mirror (c applied to K, M samples): H_M K,
    Cov' = (H_M K)^T (H_M K) / (M - 1), c' = L_c(H_M K) / (N (M - 1)^2).
    """
    K = symbolic_matrix("k", m, n, real=True)
    h_n = sp.eye(n) - sp.ones(n, n) / n
    h_m = sp.eye(m) - sp.ones(m, m) / m
    centred_rows, centred_cols = K * h_n, h_m * K
    cov_mm = centred_rows * centred_rows.T / (n - 1)
    cov_nn = centred_cols.T * centred_cols / (m - 1)
    c_rows = _off_diagonal_square_sum(cov_mm) / m
    c_cols = _off_diagonal_square_sum(cov_nn) / n
    crit = criteria_explicit(centred_rows)
    scale = VICREG_SCALE.subs({M: m, N: n})
    return [Derivation(f"c = (L_c + L_reg)(K H) / (M (N-1)^2) (M={m}, N={n})",
                       c_rows - (crit["l_c"] + crit["l_reg"]) / scale),
            Derivation(f"c applied to K = L_c(H_M K) / (N (M-1)^2) (M={m}, N={n})",
                       c_cols - criteria_explicit(centred_cols)["l_c"]
                       / VICREG_TRANSPOSED_SCALE.subs({M: m, N: n}))]


def literal_eq8(m: int, n: int) -> Derivation:
    """Eq. 8 read with VICReg's own c: c(K^T) - L_c(K) at explicit size. c(K^T) centres each
    embedding across its dimensions and divides by N (M-1)^2, so the residual is nonzero."""
    K = symbolic_matrix("k", m, n, real=True)
    centred_cols = (sp.eye(m) - sp.ones(m, m) / m) * K
    c_transposed = _off_diagonal_square_sum(centred_cols.T * centred_cols / (m - 1)) / n
    return Derivation(f"c(K^T) = L_c(K) with VICReg's c (M={m}, N={n})",
                      c_transposed - criteria_explicit(K)["l_c"])
