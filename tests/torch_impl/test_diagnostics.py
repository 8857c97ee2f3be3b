"""Collapse diagnostics (torch_impl.diagnostics) against closed forms.

Constructions with a known spectrum: the regular simplex (N - 1 equal singular values after
centring), rank-r matrices with equal singular values, exact power laws, and a LiDAR set-up
whose LDA matrix is known in closed form (class means on a simplex, isotropic within-class
scatter built exactly from simplex offsets).
"""

from __future__ import annotations

import math

import pytest
import torch

from torch_impl import diagnostics
from torch_impl.diagnostics import alpha_req, effective_rank, lidar, rankme, singular_spectrum
from torch_impl.validation import InvalidInputError

F64 = torch.float64


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _orthonormal(n: int, k: int, seed: int, *, orthogonal_to_ones: bool = False) -> torch.Tensor:
    """(n, k) with orthonormal columns (also orthogonal to 1_n if asked, so centring is a no-op)."""
    A = torch.randn(n, k + 1, generator=_gen(seed), dtype=F64)
    if orthogonal_to_ones:
        A = torch.cat([torch.ones(n, 1, dtype=F64), A[:, :k]], dim=1)
        return torch.linalg.qr(A)[0][:, 1:]
    return torch.linalg.qr(A[:, :k])[0]


def _with_singular_values(s: torch.Tensor, n: int, k: int, seed: int = 0, **kw) -> torch.Tensor:
    """U diag(s) V^T of shape (n, k) with the given singular values."""
    U = _orthonormal(n, s.numel(), seed, **kw)
    V = _orthonormal(k, s.numel(), seed + 1)
    return (U * s) @ V.mT


def _entropy_rank(p: list[float]) -> float:
    """exp(-sum p log p) of already-normalised (+eps) values, the closed form side."""
    return math.exp(-sum(x * math.log(x) for x in p if x > 0))


# --------------------------------------------------------------------------- effective rank
def test_metrics_effective_rank_is_the_diagnostic():
    from torch_impl import metrics

    assert metrics.effective_rank is effective_rank


@pytest.mark.parametrize("n", [3, 5, 12])
def test_regular_simplex_has_rank_n_minus_1_after_centring(n):
    # The rows of I_n are a regular simplex; centred, I - 11^T/n has n - 1 singular values 1.
    Z = torch.eye(n, dtype=F64)
    assert effective_rank(Z) == pytest.approx(n, rel=1e-13, abs=0)
    assert effective_rank(Z, centre=True) == pytest.approx(n - 1, rel=1e-13, abs=0)
    assert rankme(Z, eps=0.0, centre=True, spectrum="squared") == pytest.approx(
        n - 1, rel=1e-13, abs=0
    )
    # RankMe's eps: n - 1 values 1/(n - 1) + eps and one (numerically) zero value, eps.
    eps = 1e-5
    q = 1.0 / (n - 1) + eps
    expected = _entropy_rank([q] * (n - 1) + [eps])
    assert rankme(Z, eps=eps, centre=True) == pytest.approx(expected, rel=1e-10, abs=0)


@pytest.mark.parametrize(("r", "n", "k"), [(1, 10, 6), (3, 20, 8), (7, 9, 30)])
@pytest.mark.parametrize("spectrum", ["singular", "squared"])
def test_rank_r_with_equal_singular_values_is_exactly_r(r, n, k, spectrum):
    Z = _with_singular_values(torch.full((r,), 2.5, dtype=F64), n, k, seed=r)
    assert effective_rank(Z, spectrum=spectrum) == pytest.approx(r, rel=1e-12, abs=0)
    assert rankme(Z, eps=0.0, spectrum=spectrum) == pytest.approx(r, rel=1e-12, abs=0)
    # With eps = 1e-7 the min(n, k) - r zero values add (min(n, k) - r) eps log(1/eps).
    m = min(n, k)
    expected = _entropy_rank([1.0 / r + 1e-7] * r + [1e-7] * (m - r))
    assert rankme(Z, spectrum=spectrum) == pytest.approx(expected, rel=1e-10, abs=0)


def test_isotropic_gaussian_rankme_tends_to_k():
    # s_k = sqrt(N) (1 + O(sqrt(K/N))): relative spread ~ sqrt(16/8192) = 0.044, whose entropy
    # deficit is second order, ~ K * 0.044^2 / 2 / K ~ 1e-3 relative; 1e-2 leaves margin.
    N, K = 8192, 16
    Z = torch.randn(N, K, generator=_gen(1), dtype=F64)
    assert rankme(Z) == pytest.approx(K, rel=1e-2, abs=0)
    assert rankme(Z, centre=True) == pytest.approx(K, rel=1e-2, abs=0)
    assert rankme(Z) <= K + 1e-12


def test_squared_spectrum_never_exceeds_singular():
    Z = diagnostics.table_embeddings()["low-rank"]
    assert rankme(Z, spectrum="squared") < rankme(Z)
    assert singular_spectrum(Z, spectrum="squared") == pytest.approx(
        singular_spectrum(Z).square(), rel=1e-14, abs=0
    )


# ---------------------------------------------------------------------------- alpha-ReQ
@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.3])
def test_alpha_req_recovers_an_exact_power_law(alpha):
    K, N = 24, 60
    i = torch.arange(1, K + 1, dtype=F64)
    # Eigenvalues of Z^T Z / N are s_i^2 / N = i^-alpha (x a constant) for s_i = i^(-alpha/2);
    # U orthogonal to 1_N, so centring leaves the spectrum exact.
    Z = _with_singular_values(i ** (-alpha / 2), N, K, seed=3, orthogonal_to_ones=True)
    assert alpha_req(Z) == pytest.approx(alpha, rel=1e-10, abs=1e-10)
    assert alpha_req(Z, centre=False) == pytest.approx(alpha, rel=1e-10, abs=1e-10)
    assert alpha_req(Z, spectrum="singular") == pytest.approx(alpha / 2, rel=1e-10, abs=1e-10)
    assert alpha_req(Z, fit_first=3, fit_last=10) == pytest.approx(alpha, rel=1e-10, abs=1e-10)


def test_alpha_req_default_range_stops_at_the_numerical_rank():
    # Power law on 6 directions of K = 10: the 4 zero eigenvalues are left out of the fit.
    i = torch.arange(1, 7, dtype=F64)
    Z = _with_singular_values(i ** -0.75, 30, 10, seed=4, orthogonal_to_ones=True)
    assert alpha_req(Z) == pytest.approx(1.5, rel=1e-10, abs=1e-10)
    with pytest.raises(InvalidInputError, match="fit_last=8 reaches a zero value"):
        alpha_req(Z, fit_last=8)
    with pytest.raises(InvalidInputError, match="fit_last must be <= 10"):
        alpha_req(Z, fit_last=11)
    with pytest.raises(InvalidInputError, match="at least 2 indices"):
        alpha_req(Z, fit_first=4, fit_last=4)


# -------------------------------------------------------------------------------- LiDAR
def _simplex_offsets(k: int) -> torch.Tensor:
    """k + 1 vectors in R^k summing to 0 with sum_j d_j d_j^T = I_k (a regular simplex)."""
    P = torch.eye(k + 1, dtype=F64) - 1.0 / (k + 1)
    basis = torch.linalg.eigh(P)[1][:, 1:]  # the k eigenvectors of eigenvalue 1 (orthogonal to 1)
    return P @ basis


def _lidar_construction(n: int, k: int, c: float, s: float) -> tuple[torch.Tensor, torch.Tensor]:
    """n classes with means c e_i (i < n <= k) and V = k + 1 views mu_i + s sqrt(k) d_j.

    Sigma_w = s^2 I_k exactly (sum_j d_j d_j^T = I_k over V - 1 = k degrees of freedom), and
    Sigma_b = c^2/(n - 1) (I_n - 11^T/n) padded with zeros, so Sigma_lidar has n - 1 equal
    eigenvalues c^2 / ((n - 1)(s^2 + delta)) and k - n + 1 zeros. Rows are view-major.
    """
    means = c * torch.eye(n, k, dtype=F64)
    offsets = s * math.sqrt(k) * _simplex_offsets(k)  # (V, k)
    Z = (means[None, :, :] + offsets[:, None, :]).reshape(-1, k)
    samples = torch.arange(Z.shape[0]) % n
    return Z, samples


@pytest.mark.parametrize(("n", "k"), [(2, 3), (4, 6), (6, 6)])
def test_lidar_on_a_known_lda_matrix(n, k):
    Z, samples = _lidar_construction(n, k, c=3.0, s=0.7)
    assert lidar(Z, samples, eps=0.0) == pytest.approx(n - 1, rel=1e-10, abs=0)
    assert lidar(Z, samples, eps=0.0, delta=0.0) == pytest.approx(n - 1, rel=1e-10, abs=0)
    assert lidar(Z, samples, eps=0.0, spectrum="singular") == pytest.approx(
        n - 1, rel=1e-10, abs=0
    )
    eps = 1e-5
    expected = _entropy_rank([1.0 / (n - 1) + eps] * (n - 1) + [eps] * (k - n + 1))
    assert lidar(Z, samples, eps=eps) == pytest.approx(expected, rel=1e-8, abs=0)


def test_lidar_of_two_classes_is_one_discriminant_whatever_the_noise_shape():
    # Two classes: Sigma_b has rank 1, so Sigma_lidar has one non-zero eigenvalue even with
    # anisotropic within-class noise Sigma_w = diag(0.25, 1) (n (V - 1) = 4 degrees of freedom).
    k, c = 2, 2.0
    base = _simplex_offsets(k) * math.sqrt(k)  # sum d d^T = k I over V - 1 = k dofs -> I
    scales = torch.tensor([0.5, 1.0], dtype=F64)
    means = torch.tensor([[c, c], [-c, -c]], dtype=F64)
    Z = (means[None] + (base * scales)[:, None, :]).reshape(-1, k)
    samples = torch.arange(Z.shape[0]) % 2
    # Sigma_b = 2 c^2 [[1, 1], [1, 1]] (n = 2), Sigma_w = diag(0.25, 1): one eigenvalue
    # 2 c^2 (1/0.25 + 1/1) and one zero -> LiDAR = 1 exactly (a single discriminant).
    assert lidar(Z, samples, eps=0.0, delta=0.0) == pytest.approx(1.0, rel=1e-12, abs=0)


def test_lidar_accepts_unordered_sample_labels():
    Z, samples = _lidar_construction(4, 6, c=1.0, s=0.3)
    perm = torch.randperm(Z.shape[0], generator=_gen(5))
    relabel = torch.tensor([17, 3, 9, 42])
    assert lidar(Z[perm], relabel[samples[perm]]) == pytest.approx(
        lidar(Z, samples), rel=1e-12, abs=0
    )


def test_lidar_rejects_degenerate_grouping():
    Z, samples = _lidar_construction(3, 4, c=1.0, s=0.3)
    with pytest.raises(InvalidInputError, match="samples must name at least 2 distinct"):
        lidar(Z, torch.zeros_like(samples))
    lonely = samples.clone()
    lonely[0] = 99
    with pytest.raises(InvalidInputError, match="at least 2 views.*sample 99 has 1"):
        lidar(Z, lonely)
    with pytest.raises(InvalidInputError, match="Sigma_w .* singular"):
        lidar(torch.eye(4, dtype=F64).repeat(2, 1), torch.arange(8) % 4, delta=0.0)
    same_means = torch.randn(6, 3, generator=_gen(6), dtype=F64)
    same_means = torch.cat([same_means, -same_means])  # sample i: views x_i, -x_i, mean 0
    with pytest.raises(InvalidInputError, match="class means of Z are equal"):
        lidar(same_means, torch.arange(12) % 6, eps=0.0)


# ------------------------------------------------------------------------- invariances
def _all_diagnostics(Z: torch.Tensor) -> list[float]:
    samples = torch.arange(Z.shape[0]) % (Z.shape[0] // 4)
    return [
        rankme(Z),
        rankme(Z, centre=True, spectrum="squared", eps=1e-5),
        effective_rank(Z),
        alpha_req(Z, fit_last=6),
        lidar(Z, samples),
    ]


def test_invariant_under_rotation_and_sample_permutation():
    Z = diagnostics.table_embeddings()["views"]
    reference = _all_diagnostics(Z)
    Q = torch.linalg.qr(torch.randn(Z.shape[1], Z.shape[1], generator=_gen(7), dtype=F64))[0]
    assert _all_diagnostics(Z @ Q) == pytest.approx(reference, rel=1e-10, abs=0)
    # Permuting whole samples (the same permutation in every view block) keeps the grouping.
    n = Z.shape[0] // 4
    perm = torch.randperm(n, generator=_gen(8))
    rows = (torch.arange(4)[:, None] * n + perm[None, :]).reshape(-1)
    assert _all_diagnostics(Z[rows]) == pytest.approx(reference, rel=1e-10, abs=0)
    # Scale invariance (normalised spectra, a slope in log space; LiDAR up to its delta).
    assert _all_diagnostics(3.0 * Z)[:4] == pytest.approx(reference[:4], rel=1e-10, abs=0)


def test_no_input_is_modified_and_float32_agrees():
    Z = diagnostics.table_embeddings()["views"]
    before = Z.clone()
    samples = torch.arange(Z.shape[0]) % 32
    samples_before = samples.clone()
    values = _all_diagnostics(Z)
    lidar(Z, samples)
    assert torch.equal(Z, before)
    assert torch.equal(samples, samples_before)
    assert _all_diagnostics(Z.float()) == pytest.approx(values, rel=1e-5, abs=0)


# ------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: rankme(torch.tensor([[1.0, float("nan")]])), InvalidInputError,
         "Z must be finite"),
        (lambda: rankme(torch.ones(5)), InvalidInputError, "Z must be 2-D"),
        (lambda: rankme(torch.zeros(3, 2)), InvalidInputError, "Z must not be the zero matrix"),
        (lambda: rankme(torch.ones(3, 2), centre=True), InvalidInputError,
         "constant across samples"),
        (lambda: rankme(torch.ones(3, 2), spectrum="eig"), InvalidInputError, "spectrum"),
        (lambda: rankme(torch.ones(3, 2), eps=-1e-7), InvalidInputError, "eps"),
        (lambda: alpha_req(torch.ones(1, 4)), InvalidInputError, "at least 2 rows"),
        (lambda: lidar(torch.randn(3, 2), torch.tensor([0, 0, 1])), InvalidInputError,
         "at least 4 rows"),
        (lambda: lidar(torch.randn(4, 2), torch.tensor([0, 0, 1])), InvalidInputError,
         "same number of rows"),
        (lambda: lidar(torch.randn(4, 2), torch.tensor([0.0, 0, 1, 1])), TypeError,
         "samples must have an integer dtype"),
    ],
)
def test_bad_input_is_rejected_with_a_clear_message(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ------------------------------------------------------------------------- docs table
def test_docs_table_is_current():
    text = diagnostics.DOCS.read_text()
    assert diagnostics.render_docs(text) == text, (
        "docs/diagnostics.md is stale: run `python -m torch_impl.diagnostics --write-docs`"
    )
    assert diagnostics.conventions_table() in text
