"""Tests of torch_impl.relations: the seed's views construction, graph quantities, bad input."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from torch_impl.relations import (
    connected_components,
    degree,
    knn_relation,
    labels_relation,
    laplacian,
    positive_pairs,
    validate_relation,
    views_relation,
)
from torch_impl.validation import InvalidInputError

FAST = settings(max_examples=20, deadline=None, derandomize=True)


def seed_views_relation(n_original: int, n_views: int) -> torch.Tensor:
    """The paper's snippet (BL22 Sec. 2.1), verbatim in its arithmetic."""
    n = n_original * n_views
    G = torch.zeros(n, n)
    i = torch.arange(0, n).repeat_interleave(n_views - 1)
    j = (i + torch.arange(1, n_views).repeat(n) * n_original).remainder(n)
    G[i, j] = 1
    return G


@pytest.mark.parametrize(("n_original", "n_views"), [(1000, 2), (7, 3), (5, 4), (1, 2)])
def test_views_relation_equals_seed_bit_for_bit(n_original, n_views):
    ours = views_relation(n_original, n_views, dtype=torch.float32)
    assert torch.equal(ours, seed_views_relation(n_original, n_views))


@pytest.mark.parametrize(("n_original", "n_views"), [(6, 2), (4, 3), (3, 4)])
def test_views_relation_closed_form_and_structure(n_original, n_views):
    G = views_relation(n_original, n_views)
    ones = torch.ones(n_views, n_views, dtype=torch.float64)
    expected = torch.kron(ones - torch.eye(n_views, dtype=torch.float64), torch.eye(n_original))
    assert torch.equal(G, expected)
    assert torch.equal(degree(G), torch.full((n_original * n_views,), n_views - 1.0).double())
    n_comp, labels = connected_components(G)
    assert n_comp == n_original
    # row v*N' + i is view v of sample i: its component is sample i
    assert torch.equal(labels, torch.arange(n_original).repeat(n_views))


def test_views_relation_sparse_matches_dense():
    dense = views_relation(9, 3)
    sparse = views_relation(9, 3, sparse=True)
    assert sparse.is_sparse
    assert torch.equal(sparse.to_dense(), dense)


def test_labels_relation():
    G = labels_relation(torch.tensor([0, 1, 0, 2, 2, 2]))
    assert G[0, 2] == 1
    assert G[2, 0] == 1
    assert G[0, 1] == 0
    assert torch.equal(torch.diagonal(G), torch.zeros(6, dtype=torch.float64))
    n_comp, labels = connected_components(G)
    assert n_comp == 3
    assert labels.tolist() == [0, 1, 0, 2, 2, 2]


def test_knn_relation_is_symmetric_and_contains_each_nearest_neighbour():
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(40, 3, generator=gen, dtype=torch.float64)
    G = knn_relation(X, 3)
    validate_relation(G)
    d2 = torch.cdist(X, X)
    d2.fill_diagonal_(float("inf"))
    nearest = d2.argmin(dim=1)
    assert bool((G[torch.arange(40), nearest] == 1).all())
    assert bool((degree(G) >= 3).all())


@FAST
@given(n=st.integers(2, 30), p=st.floats(0.0, 1.0), seed=st.integers(0, 2**16))
def test_laplacian_properties(n, p, seed):
    gen = torch.Generator().manual_seed(seed)
    upper = (torch.rand(n, n, generator=gen) < p).double().triu(1)
    G = upper + upper.t()
    L = laplacian(G)
    torch.testing.assert_close(L.sum(dim=1), torch.zeros(n, dtype=torch.float64), rtol=0, atol=0)
    Ls = laplacian(G.to_sparse())
    assert torch.equal(Ls.to_dense(), L)
    Ln = laplacian(G, normalized=True)
    torch.testing.assert_close(Ln, laplacian(G.to_sparse(), normalized=True).to_dense())
    # the sym-normalised Laplacian's spectrum lies in [0, 2]
    evals = torch.linalg.eigvalsh(Ln)
    assert float(evals.min()) >= -1e-12
    assert float(evals.max()) <= 2 + 1e-12
    # number of zero eigenvalues of L = number of connected components
    n_comp, _ = connected_components(G)
    n_zero = int((torch.linalg.eigvalsh(L).abs() < 1e-9).sum())
    assert n_zero == n_comp


@FAST
@given(n=st.integers(2, 25), p=st.floats(0.0, 0.6), seed=st.integers(0, 2**16))
def test_connected_components_matches_reachability(n, p, seed):
    gen = torch.Generator().manual_seed(seed)
    upper = (torch.rand(n, n, generator=gen) < p).double().triu(1)
    G = upper + upper.t()
    reach = (G + torch.eye(n, dtype=torch.float64)) > 0
    for _ in range(n):  # transitive closure by repeated boolean squaring
        reach = (reach.double() @ reach.double()) > 0
    n_comp, labels = connected_components(G)
    assert torch.equal(labels[:, None] == labels[None, :], reach)
    assert n_comp == int(labels.max()) + 1
    assert labels[0] == 0  # numbered by first occurrence


def test_positive_pairs_row_major_order_as_seed_nonzero():
    G = labels_relation(torch.tensor([0, 0, 0, 1, 1]))
    rows, cols = positive_pairs(G)
    ref_rows, ref_cols = G.nonzero(as_tuple=True)
    assert torch.equal(rows, ref_rows)
    assert torch.equal(cols, ref_cols)
    s_rows, s_cols = positive_pairs(G.to_sparse())
    assert torch.equal(s_rows, ref_rows)
    assert torch.equal(s_cols, ref_cols)
    # the seed's BarlowTwins example: a, b, c related and d, e related
    assert rows.tolist() == [0, 0, 1, 1, 2, 2, 3, 4]
    assert cols.tolist() == [1, 2, 0, 2, 0, 1, 4, 3]


@pytest.mark.parametrize(
    ("G", "match"),
    [
        (torch.zeros(3, 4), "square"),
        (torch.tensor([[0.0, 1.0], [0.0, 0.0]]), "symmetric"),
        (torch.tensor([[0.0, 0.5], [0.5, 0.0]]), "binary"),
        (torch.tensor([[1.0, 0.0], [0.0, 0.0]]), "zero diagonal"),
        (torch.tensor([[0.0, float("nan")], [float("nan"), 0.0]]), "finite"),
        (torch.zeros(0, 0), "non-empty"),
    ],
)
def test_validate_relation_rejects(G, match):
    with pytest.raises(InvalidInputError, match=match):
        validate_relation(G)
    if G.numel() and G.shape[0] == G.shape[1]:
        with pytest.raises(InvalidInputError, match=match):
            validate_relation(G.to_sparse())


def test_validate_relation_rejects_non_tensor():
    with pytest.raises(TypeError, match="G must be a torch.Tensor"):
        validate_relation([[0, 1], [1, 0]])


def test_validate_relation_accepts_bool_and_int():
    G = torch.tensor([[False, True], [True, False]])
    assert validate_relation(G).dtype == torch.float64
    assert validate_relation(G.long()).dtype == torch.float64


@pytest.mark.parametrize(("k", "match"), [(10, "k must be <= 9"), (0, "k must be >= 1")])
def test_knn_relation_rejects_bad_k(k, match):
    with pytest.raises(InvalidInputError, match=match):
        knn_relation(torch.randn(10, 2, dtype=torch.float64), k)


@pytest.mark.parametrize(
    ("args", "exc", "match"),
    [((0, 2), InvalidInputError, "n_samples"), ((3, 1), InvalidInputError, "n_views"),
     ((3.0, 2), TypeError, "n_samples")],
)
def test_views_relation_rejects(args, exc, match):
    with pytest.raises(exc, match=match):
        views_relation(*args)


def test_labels_relation_rejects_float_labels():
    with pytest.raises(TypeError, match="labels must have an integer dtype"):
        labels_relation(torch.tensor([0.0, 1.0]))
