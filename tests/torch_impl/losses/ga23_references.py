"""GA23's method losses as their written formulas, in plain Python loops over floats (test data).

Inputs are two branches given as tensors (N, M) and converted to lists of rows; every sum is a
loop, so the references share no code with torch_impl. Small sizes only.
"""

from __future__ import annotations

import math

import torch

Matrix = list[list[float]]


def _rows(z: torch.Tensor) -> Matrix:
    return [[float(x) for x in row] for row in z]


def _columns(rows: Matrix) -> Matrix:
    return [list(col) for col in zip(*rows, strict=True)]


def _dot(a: list[float], b: list[float]) -> float:
    return math.fsum(x * y for x, y in zip(a, b, strict=True))


def _mean(values: list[float]) -> float:
    return math.fsum(values) / len(values)


def _log_sum_exp(values: list[float]) -> float:
    top = max(values)
    return top + math.log(math.fsum(math.exp(v - top) for v in values))


def naive_normalise_dimensions(z: torch.Tensor, mode: str) -> Matrix:
    """GA23 Sec. 5.1: each column centred ("centre"), then scaled to norm sqrt(N/M)
    ("standardise"); a zero column stays zero. Returns rows."""
    rows = _rows(z)
    if mode == "none":
        return rows
    n, m = len(rows), len(rows[0])
    columns = []
    for col in _columns(rows):
        mu = _mean(col)
        centred = [x - mu for x in col]
        if mode == "standardise":
            norm = math.sqrt(math.fsum(x * x for x in centred))
            scale = math.sqrt(n / m) / norm if norm > 0 else 1.0
            centred = [x * scale for x in centred]
        columns.append(centred)
    return _columns(columns)


def naive_nt_xent(
    z_a: torch.Tensor,
    z_b: torch.Tensor,
    tau: float,
    *,
    transform: str = "identity",
    decoupled: bool = False,
    transform_positive: bool = False,
    dimension_normalisation: str = "none",
    cosine: bool | None = None,
) -> float:
    """(1/2N) sum_i [-g(s_ip)/tau + log([not decoupled] e^{g(s_ip)/tau}
    + sum_{k not in {i, p(i)}} e^{f(s_ik)/tau})], p(i) = i + N mod 2N."""
    f = {"identity": lambda s: s, "square": lambda s: s * s, "abs": abs}[transform]
    g = f if transform_positive else (lambda s: s)
    if cosine is None:
        cosine = dimension_normalisation != "standardise"
    u = naive_normalise_dimensions(z_a, dimension_normalisation) + naive_normalise_dimensions(
        z_b, dimension_normalisation
    )
    if cosine:
        norms = [math.sqrt(_dot(v, v)) for v in u]
        u = [[x / norm for x in v] if norm > 0 else v for v, norm in zip(u, norms, strict=True)]
    n2 = len(u)
    total = []
    for i in range(n2):
        p = (i + n2 // 2) % n2
        pos = g(_dot(u[i], u[p])) / tau
        logits = [] if decoupled else [pos]
        logits += [f(_dot(u[i], u[k])) / tau for k in range(n2) if k not in (i, p)]
        total.append(_log_sum_exp(logits) - pos)
    return math.fsum(total) / n2


def naive_spectral_two_branch(z_a: torch.Tensor, z_b: torch.Tensor) -> float:
    """-2 sum_{i,j} G_ij z_i.z_j + sum_{i,j} (z_i.z_j)^2 over the 2N stacked rows, G_ij = 1
    exactly for j = i + N mod 2N."""
    u = _rows(z_a) + _rows(z_b)
    n2 = len(u)
    attract = math.fsum(_dot(u[i], u[(i + n2 // 2) % n2]) for i in range(n2))
    repel = math.fsum(_dot(u[i], u[j]) ** 2 for i in range(n2) for j in range(n2))
    return -2 * attract + repel


def _log_det(A: Matrix) -> float:
    """log det of a positive-definite matrix by Gaussian elimination with partial pivoting."""
    A = [row[:] for row in A]
    n = len(A)
    log_det = 0.0
    for c in range(n):
        pivot = max(range(c, n), key=lambda r: abs(A[r][c]))
        A[c], A[pivot] = A[pivot], A[c]
        log_det += math.log(abs(A[c][c]))
        for r in range(c + 1, n):
            factor = A[r][c] / A[c][c]
            A[r] = [x - factor * y for x, y in zip(A[r], A[c], strict=True)]
    return log_det


def naive_tcr(Z: torch.Tensor, eps: float, *, normalise: bool = True) -> float:
    """-(1/2) log det(I_M + M/(N eps^2) K K^T), K = Z^T (M, N), columns L2-normalised first."""
    rows = _rows(Z)
    if normalise:
        rows = [[x / math.sqrt(_dot(r, r)) for x in r] for r in rows]
    n, m = len(rows), len(rows[0])
    K = _columns(rows)  # (M, N): K[j] is dimension j across the batch
    a = m / (n * eps**2)
    A = [[(j == k) + a * _dot(K[j], K[k]) for k in range(m)] for j in range(m)]
    return -0.5 * _log_det(A)


def _covariance(variables: Matrix) -> Matrix:
    """C_jk = sum_o (x_jo - mean x_j)(x_ko - mean x_k) / (n_obs - 1), one list per variable."""
    centred = [[x - _mean(v) for x in v] for v in variables]
    n_obs = len(variables[0])
    return [[_dot(a, b) / (n_obs - 1) for b in centred] for a in centred]


def naive_c_exp(variables: Matrix, tau: float, d: float | None = None) -> float:
    """GA23 Eq. 11 over the given variables: (1/d) sum_i log sum_{j != i} exp(C_ij / tau),
    d = the number of variables unless given."""
    C = _covariance(variables)
    k = len(C)
    lse = [_log_sum_exp([C[i][j] / tau for j in range(k) if j != i]) for i in range(k)]
    return math.fsum(lse) / (k if d is None else d)


def _hinge_mean(variables: Matrix) -> float:
    """mean_j max(0, 1 - sqrt(Var(x_j) + 1e-4)), Var unbiased."""
    terms = []
    for v in variables:
        mu = _mean(v)
        var = math.fsum((x - mu) ** 2 for x in v) / (len(v) - 1)
        terms.append(max(0.0, 1.0 - math.sqrt(var + 1e-4)))
    return _mean(terms)


def _mse(a: Matrix, b: Matrix) -> float:
    diffs = [(x - y) ** 2 for ra, rb in zip(a, b, strict=True) for x, y in zip(ra, rb, strict=True)]
    return _mean(diffs)


_BRANCH_SCALE = {"official": 0.5, "lightly": 0.5, "solo": 1.0}


def naive_vicreg_variant(
    z_a: torch.Tensor,
    z_b: torch.Tensor,
    tau: float,
    *,
    contrast: str,
    sim_coeff: float = 25.0,
    std_coeff: float = 25.0,
    cov_coeff: float = 1.0,
    d: float | None = None,
    convention: str = "official",
) -> float:
    """GA23 Eq. 12 (contrast="dimensions": the variables are z's columns, VICReg-exp) or Eq. 13
    (contrast="samples": the variables are z's rows, the embeddings, VICReg-ctr):
    sim * mse + std * s * (v_a + v_b) + cov * (c_exp_a + c_exp_b)."""
    rows_a, rows_b = _rows(z_a), _rows(z_b)
    if contrast == "dimensions":
        var_a, var_b = _columns(rows_a), _columns(rows_b)
    else:
        var_a, var_b = rows_a, rows_b
    variance = _BRANCH_SCALE[convention] * (_hinge_mean(var_a) + _hinge_mean(var_b))
    c_exp = naive_c_exp(var_a, tau, d) + naive_c_exp(var_b, tau, d)
    return sim_coeff * _mse(rows_a, rows_b) + std_coeff * variance + cov_coeff * c_exp
