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


def test_validate_relation_accepts_bool_and_int():
    G = torch.tensor([[False, True], [True, False]])
    assert validate_relation(G).dtype == torch.float64
    assert validate_relation(G.long()).dtype == torch.float64


# ---------------------------------------------------------------------------------------------
# Relation: validated once
# ---------------------------------------------------------------------------------------------

from tests.torch_impl.relation_builders_data import (  # noqa: E402
    CLASS_SIZES,
    PATH_SIZES,
    REGULAR_CASES,
    RING_SIZES,
    old_class_relation,
    old_indicators,
    old_path_relation,
    old_regular_relation,
    old_ring_relation,
)
from torch_impl.relations import (  # noqa: E402
    Relation,
    as_relation,
    class_relation,
    component_indicators,
    path_relation,
    regular_relation,
    ring_relation,
)


def _two_cliques_and_isolated() -> torch.Tensor:
    """Components {0, 2, 4}, {1, 3}, {5}: labels by first occurrence are 0, 1, 0, 1, 0, 2."""
    return labels_relation(torch.tensor([7, 3, 7, 3, 7, 9]))


@pytest.mark.parametrize("sparse", [False, True])
def test_relation_holds_the_graph_quantities(sparse):
    G = _two_cliques_and_isolated()
    rel = Relation.from_tensor(G.to_sparse() if sparse else G)
    rows, cols = G.nonzero(as_tuple=True)
    assert (rel.n, rel.shape, rel.nnz, rel.is_sparse) == (6, (6, 6), 8, sparse)
    assert torch.equal(rel.rows, rows)
    assert torch.equal(rel.cols, cols)
    assert torch.equal(rel.degree, torch.tensor([2.0, 1, 2, 1, 2, 0], dtype=torch.float64))
    assert rel.n_components == 3
    assert rel.labels.tolist() == [0, 1, 0, 1, 0, 2]
    assert (rel.dtype, rel.device) == (torch.float64, torch.device("cpu"))
    assert torch.equal(rel.dense(), G)
    assert torch.equal(rel.sparse().to_dense(), G)
    assert rel.sparse().is_coalesced()
    assert rel.dense() is rel.dense()  # cached
    P = rel.indicators()
    assert torch.equal(P, old_indicators(G))
    assert torch.equal(P.sum(dim=0), torch.tensor([3.0, 2.0, 1.0], dtype=torch.float64))


def test_relation_keeps_float32_and_converts_bool():
    assert Relation.from_tensor(ring_relation(4, dtype=torch.float32)).dtype == torch.float32
    rel = Relation.from_tensor(ring_relation(4) > 0)
    assert rel.dtype == torch.float64
    assert rel.degree.dtype == torch.float64


def test_relation_is_immutable_and_passes_through_as_relation():
    rel = as_relation(ring_relation(5))
    assert as_relation(rel) is rel
    with pytest.raises(AttributeError, match="immutable"):
        rel.n = 3
    assert "Relation(n=5, nnz=10, n_components=1" in repr(rel)


def test_relation_to_changes_dtype_and_layout_without_revalidation():
    rel = as_relation(_two_cliques_and_isolated())
    assert rel.to() is rel
    f32 = rel.to(dtype=torch.float32)
    assert f32.dtype == torch.float32
    assert f32.degree.dtype == torch.float32
    assert torch.equal(f32.dense(), rel.dense().float())
    sp = rel.to(sparse=True)
    assert sp.is_sparse
    assert torch.equal(laplacian(sp).to_dense(), laplacian(rel))
    with pytest.raises(TypeError, match="floating"):
        rel.to(dtype=torch.int64)


@pytest.mark.parametrize(
    ("G", "match"),
    [
        (torch.tensor([[0.0, 1.0], [0.0, 0.0]]), "W must be symmetric"),
        (torch.tensor([[1.0, 0.0], [0.0, 0.0]]), r"W\[0, 0\] = 1"),
    ],
)
def test_as_relation_names_the_given_argument(G, match):
    with pytest.raises(InvalidInputError, match=match):
        as_relation(G, "W")


@pytest.mark.parametrize(
    "function",
    [
        degree,
        laplacian,
        positive_pairs,
        connected_components,
        component_indicators,
        validate_relation,
    ],
)
def test_graph_functions_agree_on_tensor_and_relation(function):
    G = _two_cliques_and_isolated()
    by_tensor, by_relation = function(G), function(as_relation(G))
    if not isinstance(by_tensor, tuple):
        by_tensor, by_relation = (by_tensor,), (by_relation,)
    for a, b in zip(by_tensor, by_relation, strict=True):
        assert torch.equal(a, b) if isinstance(a, torch.Tensor) else a == b


def test_component_indicators_span_the_laplacian_null_space():
    G = _two_cliques_and_isolated()
    P = component_indicators(G)
    assert P.shape == (6, 3)
    assert torch.equal(laplacian(G) @ P, torch.zeros(6, 3, dtype=torch.float64))


# ---------------------------------------------------------------------------------------------
# Builders: the same bits as the claim support modules' formulas
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", RING_SIZES)
def test_ring_relation_equals_old_formula(n):
    G = ring_relation(n)
    assert torch.equal(G, old_ring_relation(n))
    assert torch.equal(degree(G), torch.full((n,), 2.0, dtype=torch.float64))
    assert connected_components(G)[0] == 1


@pytest.mark.parametrize("n", PATH_SIZES)
def test_path_relation_equals_old_formula(n):
    G = path_relation(n)
    assert torch.equal(G, old_path_relation(n))
    assert int(G.sum()) == 2 * (n - 1)


@pytest.mark.parametrize("sizes", CLASS_SIZES)
def test_class_relation_equals_old_formula(sizes):
    G = class_relation(sizes)
    assert torch.equal(G, old_class_relation(sizes))
    assert connected_components(G)[0] == len(sizes)


@pytest.mark.parametrize(("n", "deg", "seed"), REGULAR_CASES)
def test_regular_relation_equals_old_formula(n, deg, seed):
    G = regular_relation(n, deg, seed)
    assert torch.equal(G, old_regular_relation(n, deg, seed))
    validate_relation(G)
    assert torch.equal(degree(G), torch.full((n,), float(deg), dtype=torch.float64))


@pytest.mark.parametrize(("n", "deg"), [(7, 2), (6, 6)])
def test_regular_relation_needs_even_n_and_smaller_degree(n, deg):
    with pytest.raises(InvalidInputError, match="n must be even and degree < n"):
        regular_relation(n, deg, 0)


@pytest.mark.parametrize(
    "build",
    [
        lambda **kw: ring_relation(5, **kw),
        lambda **kw: path_relation(5, **kw),
        lambda **kw: class_relation((2, 3), **kw),
        lambda **kw: regular_relation(6, 2, 0, **kw),
    ],
)
def test_builders_dtype_and_sparse_keywords(build):
    dense = build()
    assert dense.dtype == torch.float64
    assert not dense.is_sparse
    assert build(dtype=torch.float32).dtype == torch.float32
    sparse = build(sparse=True)
    assert sparse.is_sparse
    assert sparse.is_coalesced()
    assert torch.equal(sparse.to_dense(), dense)
