"""Spectral methods against scipy / scikit-learn oracles (test-only dependencies)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.linalg
import torch
from sklearn.decomposition import KernelPCA
from sklearn.manifold import ClassicalMDS, Isomap, spectral_embedding

from tests.torch_impl.spectral_data import (
    assert_equal_up_to_sign,
    connected_knn_graph,
    dense_laplacian,
    max_principal_angle,
    random_points,
    random_spd,
    random_symmetric,
    swiss_roll,
)
from torch_impl.relations import knn_relation, views_relation
from torch_impl.spectral import (
    CCAResult,
    EigenResult,
    EmbeddingResult,
    cca,
    classical_mds,
    generalized_eigh,
    geodesic_distances,
    hop_distances,
    kernel_isomap,
    kernel_pca,
    laplacian_eigenmaps,
    locality_preserving_projections,
)
from torch_impl.validation import DisconnectedGraphWarning, InvalidInputError

DEVICES = [
    "cpu",
    pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA")),
]


def _assert_sign_rule(V: torch.Tensor) -> None:
    V = V.cpu().numpy()
    rows = np.abs(V).argmax(axis=0)
    assert (V[rows, np.arange(V.shape[1])] > 0).all()


# --------------------------------------------------------------------------- generalized_eigh
@pytest.mark.parametrize("largest", [False, True])
@pytest.mark.parametrize("n_components", [None, 3])
def test_generalized_eigh_matches_scipy(largest, n_components):
    A, B = random_symmetric(12, seed=0), random_spd(12, seed=1)
    res = generalized_eigh(
        torch.from_numpy(A), torch.from_numpy(B), n_components=n_components, largest=largest
    )
    w, V = scipy.linalg.eigh(A, B)
    if largest:
        w, V = w[::-1], V[:, ::-1]
    k = 12 if n_components is None else n_components
    assert isinstance(res, EigenResult)
    np.testing.assert_allclose(res.values.numpy(), w[:k], rtol=1e-10, atol=1e-12)
    assert_equal_up_to_sign(res.vectors.numpy(), V[:, :k], atol=1e-10)
    # B-orthonormal vectors that solve the pencil.
    Vt = res.vectors
    np.testing.assert_allclose((Vt.T @ torch.from_numpy(B) @ Vt).numpy(), np.eye(k), atol=1e-12)
    _assert_sign_rule(Vt)
    assert not res.degenerate
    assert res.eigengap == (np.inf if k == 12 else pytest.approx(abs(w[k - 1] - w[k]), rel=1e-9))


def test_generalized_eigh_standard_problem_and_float32_input():
    A = random_symmetric(8, seed=2)
    res = generalized_eigh(torch.from_numpy(A).float())
    w, V = np.linalg.eigh(A.astype(np.float32).astype(np.float64))
    assert res.values.dtype == torch.float64
    assert res.vectors.dtype == torch.float64
    np.testing.assert_allclose(res.values.numpy(), w, rtol=1e-10, atol=1e-12)
    assert_equal_up_to_sign(res.vectors.numpy(), V, atol=1e-10)


def test_generalized_eigh_reports_degenerate_cut():
    A = torch.diag(torch.tensor([1.0, 1.0, 2.0, 3.0], dtype=torch.float64))
    across = generalized_eigh(A, n_components=1)
    assert across.degenerate
    assert across.eigengap == 0.0
    # Repeated inside the selection but not across the cut: the span is defined.
    inside = generalized_eigh(A, n_components=2)
    assert not inside.degenerate
    assert inside.eigengap == pytest.approx(1.0, abs=1e-14)
    # A near-repeat counts relative to the spectral scale max|lambda| = 3.
    near = torch.diag(torch.tensor([1.0, 1.0 + 1e-12, 3.0], dtype=torch.float64))
    assert generalized_eigh(near, n_components=1).degenerate
    assert not generalized_eigh(near, n_components=1, gap_rtol=1e-14).degenerate


@pytest.mark.parametrize("device", DEVICES)
def test_results_stay_on_input_device(device):
    A = torch.from_numpy(random_symmetric(6, seed=3)).to(device)
    B = torch.from_numpy(random_spd(6, seed=4)).to(device)
    assert generalized_eigh(A, B).vectors.device == A.device
    G = connected_knn_graph(20, 4, seed=0).to(device)
    assert laplacian_eigenmaps(G, 2, normalized=True).embedding.device == A.device
    X = random_points(20, 3, seed=5).to(device)
    assert kernel_isomap(X, 6, 2).embedding.device == A.device
    assert cca(X[:, :2], X[:, 1:], 1).x_vectors.device == A.device


_SYM = torch.eye(3, dtype=torch.float64)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"A": torch.tensor([[1.0, 2.0], [0.0, 1.0]])}, InvalidInputError, "A must be symmetric"),
        ({"A": _SYM, "B": -_SYM}, InvalidInputError, "B must be symmetric positive definite"),
        (
            {"A": _SYM, "B": torch.eye(2, dtype=torch.float64)},
            InvalidInputError,
            r"B must be \(3, 3\)",
        ),
        ({"A": _SYM, "n_components": 4}, InvalidInputError, "n_components must be <= 3"),
    ],
)
def test_generalized_eigh_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        generalized_eigh(**kwargs)


# --------------------------------------------------------------------------- laplacian_eigenmaps
@pytest.mark.parametrize("normalized", [False, True])
@pytest.mark.parametrize("drop_first", [True, False])
def test_laplacian_eigenmaps_matches_sklearn(normalized, drop_first):
    G = connected_knn_graph(50, 5, seed=1)
    res = laplacian_eigenmaps(G, 3, normalized=normalized, drop_first=drop_first)
    expected = spectral_embedding(
        G.numpy(),
        n_components=3,
        norm_laplacian=normalized,
        drop_first=drop_first,
        random_state=0,
    )
    assert isinstance(res, EmbeddingResult)
    assert res.embedding.shape == (50, 3)
    assert not res.degenerate
    assert_equal_up_to_sign(res.embedding.numpy(), expected, atol=1e-7)
    _assert_sign_rule(res.embedding)


def test_laplacian_eigenmaps_unnormalized_is_bottom_of_L():
    G = connected_knn_graph(40, 4, seed=2)
    res = laplacian_eigenmaps(G, 4, drop_first=False)
    w, V = np.linalg.eigh(dense_laplacian(G))
    np.testing.assert_allclose(res.values.numpy(), w[:4], rtol=1e-10, atol=1e-12)
    assert_equal_up_to_sign(res.embedding.numpy(), V[:, :4], atol=1e-10)
    # sklearn's own check: the first vector is the constant one.
    assert np.std(res.embedding[:, 0].numpy()) == pytest.approx(0.0, abs=1e-12)


def test_laplacian_eigenmaps_normalized_solves_pencil_L_D():
    G = connected_knn_graph(40, 4, seed=3)
    res = laplacian_eigenmaps(G, 3, normalized=True)
    L = dense_laplacian(G)
    D = np.diag(np.asarray(G).sum(axis=1))
    w, V = scipy.linalg.eigh(L, D)
    np.testing.assert_allclose(res.values.numpy(), w[1:4], rtol=1e-10, atol=1e-12)
    U = res.embedding.numpy()
    np.testing.assert_allclose(U.T @ D @ U, np.eye(3), atol=1e-12)
    assert_equal_up_to_sign(U, V[:, 1:4], atol=1e-10)


def test_laplacian_eigenmaps_sparse_equals_dense():
    G = connected_knn_graph(30, 4, seed=0)
    dense = laplacian_eigenmaps(G, 2, normalized=True)
    sparse = laplacian_eigenmaps(G.to_sparse(), 2, normalized=True)
    torch.testing.assert_close(sparse.embedding, dense.embedding, rtol=0, atol=1e-12)


def test_views_graph_is_degenerate_and_agrees_as_subspace():
    # G = (1 1^T - I)_2 kron I_6: eigenvalues 0 (x6, one per pair) and 2 (x6) of L.
    G = views_relation(6, 2)
    with pytest.warns(DisconnectedGraphWarning, match="6 connected components"):
        part = laplacian_eigenmaps(G, 3, drop_first=False)
    with pytest.warns(DisconnectedGraphWarning):
        whole = laplacian_eigenmaps(G, 6, drop_first=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # sklearn's "not fully connected"
        oracle = spectral_embedding(
            G.numpy(), n_components=6, norm_laplacian=False, drop_first=False, random_state=0
        )
    # Cut inside the 0-eigenspace: degenerate; only containment in that eigenspace is defined.
    assert part.degenerate
    assert part.eigengap == pytest.approx(0.0, abs=1e-12)
    assert max_principal_angle(part.embedding.numpy(), oracle) < 1e-8
    # Cut between 0 and 2: the 6-dimensional null space is well defined and matches sklearn's.
    assert not whole.degenerate
    assert whole.eigengap == pytest.approx(2.0, rel=1e-12)
    assert max_principal_angle(whole.embedding.numpy(), oracle) < 1e-8
    np.testing.assert_allclose(whole.values.numpy(), np.zeros(6), atol=1e-12)


def test_laplacian_eigenmaps_warns_on_two_components():
    G = torch.block_diag(connected_knn_graph(15, 3, seed=0), connected_knn_graph(15, 3, seed=0))
    with pytest.warns(DisconnectedGraphWarning, match="2 connected components"):
        laplacian_eigenmaps(G, 2)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((views_relation(3, 2), 6), {}, InvalidInputError, "n_components must be <= 5"),
        (
            (views_relation(3, 2), 7),
            {"drop_first": False},
            InvalidInputError,
            "n_components must be <= 6",
        ),
    ],
)
def test_laplacian_eigenmaps_bad_input(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        laplacian_eigenmaps(*args, **kwargs)


# --------------------------------------------------------------------------- LPP
def test_lpp_matches_scipy_pencil():
    X = random_points(60, 5, seed=6)
    G = knn_relation(X, 6)
    res = locality_preserving_projections(X, G, 2)
    Xn, L = X.numpy(), dense_laplacian(G)
    D = np.diag(np.asarray(G).sum(axis=1))
    w, V = scipy.linalg.eigh(Xn.T @ L @ Xn, Xn.T @ D @ Xn)
    assert res.vectors.shape == (5, 2)
    np.testing.assert_allclose(res.values.numpy(), w[:2], rtol=1e-10, atol=1e-12)
    assert_equal_up_to_sign(res.vectors.numpy(), V[:, :2], atol=1e-9)


def test_lpp_singular_pencil_is_a_clear_error():
    X = random_points(4, 6, seed=7)  # N < D: X^T D X has rank <= 4
    with pytest.raises(InvalidInputError, match="X\\^T D X must be symmetric positive definite"):
        locality_preserving_projections(X, views_relation(2, 2), 1)
    with pytest.raises(InvalidInputError, match="G must be \\(4, 4\\)"):
        locality_preserving_projections(X, views_relation(3, 2), 1)


# --------------------------------------------------------------------------- MDS / kernel PCA
def _double_centring_reference(D2: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    n = D2.shape[0]
    H = np.eye(n) - np.ones((n, n)) / n
    w, V = np.linalg.eigh(-0.5 * H @ D2 @ H)
    w, V = w[::-1][:k], V[:, ::-1][:, :k]
    return V * np.sqrt(np.maximum(w, 0)), w


def test_classical_mds_matches_sklearn_and_reference():
    Y = random_points(40, 4, seed=8)
    D = torch.cdist(Y, Y, compute_mode="donot_use_mm_for_euclid_dist")
    res = classical_mds(D, 3)
    model = ClassicalMDS(n_components=3, metric="precomputed")
    expected = model.fit_transform(D.numpy())
    assert_equal_up_to_sign(res.embedding.numpy(), expected, atol=1e-9)
    np.testing.assert_allclose(res.values.numpy(), model.eigenvalues_, rtol=1e-10)
    ref, w = _double_centring_reference(D.numpy() ** 2, 3)
    assert_equal_up_to_sign(res.embedding.numpy(), ref, atol=1e-9)
    np.testing.assert_allclose(res.values.numpy(), w, rtol=1e-10)
    assert torch.equal(classical_mds(D.square(), 3, squared=True).embedding, res.embedding)


def test_classical_mds_recovers_euclidean_configuration():
    Y = random_points(25, 3, seed=9)
    D = torch.cdist(Y, Y, compute_mode="donot_use_mm_for_euclid_dist")
    Z = classical_mds(D, 3).embedding
    torch.testing.assert_close(
        torch.cdist(Z, Z, compute_mode="donot_use_mm_for_euclid_dist"), D, rtol=0, atol=1e-10
    )


def test_classical_mds_clips_round_off_and_rejects_negative_eigenvalues():
    # Rank-2 configuration asked for 4 components: eigenvalues 3, 4 are 0 up to round-off.
    Y = random_points(10, 2, seed=10)
    res = classical_mds(torch.cdist(Y, Y), 4)
    assert torch.isfinite(res.embedding).all()
    np.testing.assert_allclose(res.values[2:].numpy(), 0.0, atol=1e-12)
    # Triangle inequality violated (d_23 > d_12 + d_13): B has eigenvalues 4.5, 0, -5/6.
    D = torch.tensor([[0.0, 1.0, 1.0], [1.0, 0.0, 3.0], [1.0, 3.0, 0.0]], dtype=torch.float64)
    assert torch.isfinite(classical_mds(D, 2).embedding).all()
    with pytest.raises(InvalidInputError, match=r"eigenvalue 3 .* < 0 .* n_components <= 2"):
        classical_mds(D, 3)


@pytest.mark.parametrize(
    ("distances", "match"),
    [
        (-torch.ones(2, 2, dtype=torch.float64), "distances must be non-negative"),
    ],
)
def test_classical_mds_bad_input(distances, match):
    with pytest.raises(InvalidInputError, match=match):
        classical_mds(distances, 1)


def test_kernel_pca_matches_sklearn():
    X = random_points(30, 5, seed=11)
    K = torch.exp(-torch.cdist(X, X).square() / 5)
    res = kernel_pca(K, 4)
    model = KernelPCA(n_components=4, kernel="precomputed", eigen_solver="dense")
    expected = model.fit_transform(K.numpy())
    assert_equal_up_to_sign(res.embedding.numpy(), expected, atol=1e-9)
    np.testing.assert_allclose(res.values.numpy(), model.eigenvalues_, rtol=1e-10)


# --------------------------------------------------------------------------- Isomap
def test_kernel_isomap_matches_sklearn():
    X = swiss_roll(80, seed=0)
    model = Isomap(n_neighbors=8, n_components=2, eigen_solver="dense")
    expected = model.fit_transform(X.numpy())
    np.testing.assert_allclose(
        geodesic_distances(X, 8).numpy(), model.dist_matrix_, rtol=1e-12, atol=1e-12
    )
    res = kernel_isomap(X, 8, 2)
    assert not res.degenerate
    assert_equal_up_to_sign(res.embedding.numpy(), expected, atol=1e-8)


def test_geodesic_distances_on_a_line():
    x = torch.tensor([[0.0], [1.0], [3.0], [6.0]], dtype=torch.float64)
    expected = (x - x.T).abs()  # the 1-NN chain's paths add up to |x_i - x_j|
    torch.testing.assert_close(geodesic_distances(x, 1), expected, rtol=0, atol=0)


def test_kernel_isomap_disconnected_knn_graph_is_an_error():
    X = torch.cat([random_points(10, 2, seed=0), random_points(10, 2, seed=1) + 100.0])
    with pytest.raises(InvalidInputError, match="2 connected components.*increase n_neighbors"):
        kernel_isomap(X, 3, 2)
    with pytest.raises(InvalidInputError, match="n_neighbors must be <= 19"):
        kernel_isomap(X, 20, 2)


# --------------------------------------------------------------------------- CCA
def _two_views(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((n, 2))
    X = latent @ rng.standard_normal((2, 4)) + 0.5 * rng.standard_normal((n, 4))
    Y = latent @ rng.standard_normal((2, 3)) + 0.5 * rng.standard_normal((n, 3))
    return X, Y


def _inv_sqrt(C: np.ndarray) -> np.ndarray:
    w, V = np.linalg.eigh(C)
    return V @ np.diag(w**-0.5) @ V.T


def test_cca_matches_whitening_reference():
    X, Y = _two_views(200, seed=12)
    res = cca(torch.from_numpy(X), torch.from_numpy(Y), 3)
    assert isinstance(res, CCAResult)
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    Cxx, Cyy, Cxy = Xc.T @ Xc / 199, Yc.T @ Yc / 199, Xc.T @ Yc / 199
    rho = np.linalg.svd(_inv_sqrt(Cxx) @ Cxy @ _inv_sqrt(Cyy), compute_uv=False)
    np.testing.assert_allclose(res.values.numpy(), rho, rtol=1e-10)
    a, b = res.x_vectors.numpy(), res.y_vectors.numpy()
    np.testing.assert_allclose(a.T @ Cxx @ a, np.eye(3), atol=1e-10)
    np.testing.assert_allclose(b.T @ Cyy @ b, np.eye(3), atol=1e-10)
    np.testing.assert_allclose(a.T @ Cxy @ b, np.diag(rho), atol=1e-10)
    # The same correlations are the top eigenvalues of the symmetric-definite CCA pencil.
    pencil = np.block([[np.zeros((4, 4)), Cxy], [Cxy.T, np.zeros((3, 3))]])
    w = scipy.linalg.eigh(pencil, scipy.linalg.block_diag(Cxx, Cyy), eigvals_only=True)
    np.testing.assert_allclose(w[::-1][:3], rho, rtol=1e-10)
    _assert_sign_rule(res.x_vectors)


def test_cca_regularisation():
    X, Y = _two_views(4, seed=13)  # centred X has rank N - 1 = 3 < D_x = 4: C_xx is singular
    X, Y = torch.from_numpy(X), torch.from_numpy(Y)
    with pytest.raises(InvalidInputError, match="covariance of X .* pass reg > 0"):
        cca(X, Y, 2)
    shrunk = cca(X, Y, 2, reg=0.1).values
    assert ((shrunk > 0) & (shrunk < 1)).all()


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((random_points(10, 3, 0), random_points(10, 2, 1), 3), {}, "n_components must be <= 2"),
    ],
)
def test_cca_bad_input(args, kwargs, match):
    with pytest.raises(InvalidInputError, match=match):
        cca(*args, **kwargs)


def test_hop_distances_of_a_relation():
    # Path 0-1-2 plus an isolated pair 3-4: hop counts, inf across components.
    G = torch.zeros(5, 5, dtype=torch.float64)
    for i, j in ((0, 1), (1, 2), (3, 4)):
        G[i, j] = G[j, i] = 1
    inf = float("inf")
    expected = torch.tensor(
        [
            [0, 1, 2, inf, inf],
            [1, 0, 1, inf, inf],
            [2, 1, 0, inf, inf],
            [inf, inf, inf, 0, 1],
            [inf, inf, inf, 1, 0],
        ],
        dtype=torch.float64,
    )
    assert torch.equal(hop_distances(G), expected)
    assert torch.equal(hop_distances(G.to_sparse()), expected)
