"""Reference implementations the losses are tested against (test data, no test logic).

Two kinds:

* ``seed_*``: the paper's PyTorch snippets (BL22 Sec. 2), kept as printed apart from
  turning globals into arguments. Where a snippet hard-codes the views relation's (i, j), the
  general form ``G.nonzero(as_tuple=True)`` of the seed's BarlowTwins section is used.
* ``naive_*``: the written formulas as plain Python loops over floats, for small sizes.
"""

from __future__ import annotations

import math

import torch


def seed_views_relation(N_original: int, V: int) -> torch.Tensor:
    """The seed's construction of G (BL22 Sec. 2.1), dense float64."""
    G = torch.zeros(N_original * V, N_original * V, dtype=torch.float64)
    i = torch.arange(0, N_original * V).repeat_interleave(V - 1)
    j = (i + torch.arange(1, V).repeat(N_original * V) * N_original).remainder(N_original * V)
    G[i, j] = 1
    return G


def seed_vicreg_terms(Z: torch.Tensor, G: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """(var_loss, cov_loss, inv_loss) of the seed's VICReg snippet (BL22 Sec. 2.2)."""
    N, dim = Z.shape
    i, j = G.nonzero(as_tuple=True)
    C = torch.cov(Z.t())
    var_loss = dim - torch.diag(C).clamp(1e-6, 1).sqrt().sum()
    cov_loss = 2 * torch.triu(C, diagonal=1).square().sum()
    inv_loss = (Z[i] - Z[j]).square().sum(1).inner(G[i, j]) / N
    return var_loss, cov_loss, inv_loss


def seed_vicreg(Z: torch.Tensor, G: torch.Tensor, alpha, beta, gamma) -> torch.Tensor:
    var_loss, cov_loss, inv_loss = seed_vicreg_terms(Z, G)
    return alpha * var_loss + beta * cov_loss + gamma * inv_loss


def seed_simclr(Z: torch.Tensor, G: torch.Tensor, tau) -> torch.Tensor:
    """The seed's SimCLR snippet (BL22 Sec. 2.3)."""
    N = Z.shape[0]
    I = torch.eye(N, N)  # noqa: E741 (the seed's name)
    Z_renorm = torch.nn.functional.normalize(Z, dim=1)
    cosim = Z_renorm @ Z_renorm.t() / tau
    off_diag = cosim[~I.bool()].reshape(N, N - 1)
    return (G * (torch.logsumexp(off_diag, dim=1, keepdim=True) - cosim)).sum()


def seed_barlow_twins(Z_left: torch.Tensor, Z_right: torch.Tensor, alpha, eps) -> torch.Tensor:
    """The seed's BarlowTwins snippet (BL22 Sec. 2.4)."""
    dim = Z_left.shape[1]
    I = torch.eye(dim, dim)  # noqa: E741 (the seed's name)
    Z_rrenorm = torch.nn.functional.normalize(Z_right, dim=0, eps=eps)
    Z_lrenorm = torch.nn.functional.normalize(Z_left, dim=0, eps=eps)
    C = Z_lrenorm.t() @ Z_rrenorm
    return (C.diag() - 1).square().sum() + alpha * C[~I.bool()].square().sum()


def seed_barlow_twins_from_relation(Z: torch.Tensor, G: torch.Tensor, alpha, eps):
    """The seed's recovery of (left, right) views from G, then its BarlowTwins snippet."""
    row_indices, col_indices = G.nonzero(as_tuple=True)
    return seed_barlow_twins(Z[row_indices], Z[col_indices], alpha, eps)


def _rows(Z: torch.Tensor) -> list[list[float]]:
    return Z.detach().tolist()


def _covariance(z: list[list[float]]) -> list[list[float]]:
    n, k = len(z), len(z[0])
    mean = [sum(row[a] for row in z) / n for a in range(k)]
    return [
        [sum((row[a] - mean[a]) * (row[b] - mean[b]) for row in z) / (n - 1) for b in range(k)]
        for a in range(k)
    ]


def naive_vicreg_terms(Z: torch.Tensor, G: torch.Tensor) -> tuple[float, float, float]:
    """BL22 Sec. 2.2 as written: sum_k max(0, 1 - sqrt(C_kk)), sum_{k != j} C_kj^2 and
    (1/N) sum_ij G_ij ||Z_i - Z_j||^2 (no clamp: the inputs keep C_kk well above 1e-6)."""
    z, g = _rows(Z), G.tolist()
    n, k = len(z), len(z[0])
    C = _covariance(z)
    var = sum(max(0.0, 1 - math.sqrt(C[a][a])) for a in range(k))
    cov = sum(C[a][b] ** 2 for a in range(k) for b in range(k) if b != a)
    inv = 0.0
    for i in range(n):
        for j in range(n):
            inv += g[i][j] * sum((z[i][a] - z[j][a]) ** 2 for a in range(k))
    return var, cov, inv / n


def naive_simclr(Z: torch.Tensor, G: torch.Tensor, tau: float) -> float:
    """BL22 Sec. 2.3 as written (with 1_{i != j}): -sum_ij G_ij log Ghat(Z)_ij."""
    z, g = _rows(Z), G.tolist()
    n = len(z)
    norms = [math.sqrt(sum(x * x for x in row)) for row in z]

    def cosim(i: int, j: int) -> float:
        return sum(a * b for a, b in zip(z[i], z[j], strict=True)) / (norms[i] * norms[j])

    loss = 0.0
    for i in range(n):
        denominator = sum(math.exp(cosim(i, k) / tau) for k in range(n) if k != i)
        for j in range(n):
            if j != i and g[i][j]:
                loss -= g[i][j] * math.log(math.exp(cosim(i, j) / tau) / denominator)
    return loss


def naive_barlow_twins(
    Z_left: torch.Tensor, Z_right: torch.Tensor, alpha: float, eps: float, *, printed_eps: bool
) -> float:
    """BL22 Sec. 2.4 as written (with C_kk' in the off-diagonal term).

    ``printed_eps=True``: C_kk' = <a, b> / (||a|| ||b|| + eps), the printed formula.
    ``printed_eps=False``: C_kk' = <a, b> / (max(||a||, eps) max(||b||, eps)), F.normalize's.
    """
    left, right = _rows(Z_left), _rows(Z_right)
    n, k = len(left), len(left[0])
    norm_l = [math.sqrt(sum(left[i][a] ** 2 for i in range(n))) for a in range(k)]
    norm_r = [math.sqrt(sum(right[i][a] ** 2 for i in range(n))) for a in range(k)]
    loss = 0.0
    for a in range(k):
        for b in range(k):
            inner = sum(left[i][a] * right[i][b] for i in range(n))
            if printed_eps:
                c = inner / (norm_l[a] * norm_r[b] + eps)
            else:
                c = inner / (max(norm_l[a], eps) * max(norm_r[b], eps))
            loss += (c - 1) ** 2 if a == b else alpha * c**2
    return loss


def naive_contrastive_criteria(K: torch.Tensor) -> tuple[float, float]:
    """GA23 Def. 3.2 as double sums, K (M, N) with columns = samples: (L_c, L_nc)."""
    k = _rows(K)
    m, n = len(k), len(k[0])
    l_c = sum(
        sum(k[r][i] * k[r][j] for r in range(m)) ** 2 for i in range(n) for j in range(n) if i != j
    )
    l_nc = sum(
        sum(k[a][c] * k[b][c] for c in range(n)) ** 2 for a in range(m) for b in range(m) if a != b
    )
    return l_c, l_nc


def naive_vicreg_convention(
    z_a: torch.Tensor,
    z_b: torch.Tensor,
    sim_coeff: float,
    std_coeff: float,
    cov_coeff: float,
    *,
    halve_variance: bool,
) -> float:
    """Official VICReg as written: mse + hinge on sqrt(var + 1e-4) + offdiag^2 / D."""
    a, b = _rows(z_a), _rows(z_b)
    n, d = len(a), len(a[0])
    mse = sum((a[i][c] - b[i][c]) ** 2 for i in range(n) for c in range(d)) / (n * d)
    variance = covariance = 0.0
    for z in (a, b):
        C = _covariance(z)
        variance += sum(max(0.0, 1 - math.sqrt(C[c][c] + 1e-4)) for c in range(d)) / d
        covariance += sum(C[c][e] ** 2 for c in range(d) for e in range(d) if c != e) / d
    if halve_variance:
        variance /= 2
    return sim_coeff * mse + std_coeff * variance + cov_coeff * covariance


def naive_barlow_twins_official(z_a: torch.Tensor, z_b: torch.Tensor, lambd: float) -> float:
    """Official BarlowTwins: BN(affine=False, 1/N, eps 1e-5) of each column, c = bn_a^T bn_b / N."""
    a, b = _rows(z_a), _rows(z_b)
    n, d = len(a), len(a[0])

    def standardise(z: list[list[float]]) -> list[list[float]]:
        cols = []
        for c in range(d):
            mean = sum(z[i][c] for i in range(n)) / n
            var = sum((z[i][c] - mean) ** 2 for i in range(n)) / n
            cols.append([(z[i][c] - mean) / math.sqrt(var + 1e-5) for i in range(n)])
        return cols

    sa, sb = standardise(a), standardise(b)
    loss = 0.0
    for c in range(d):
        for e in range(d):
            corr = sum(x * y for x, y in zip(sa[c], sb[e], strict=True)) / n
            loss += (corr - 1) ** 2 if c == e else lambd * corr**2
    return loss
