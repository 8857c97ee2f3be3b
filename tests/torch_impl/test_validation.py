"""Tests of torch_impl.validation: each check names the argument and what was expected."""

from __future__ import annotations

import pytest
import torch

from torch_impl.device import resolve_device
from torch_impl.validation import (
    DisconnectedGraphWarning,
    InvalidInputError,
    check_compatible,
    check_embedding,
    check_int,
    check_n_components,
    check_same_shape,
    check_scalar,
    warn_if_disconnected,
)


@pytest.mark.parametrize(
    ("Z", "exc", "match"),
    [
        ([[1.0]], TypeError, "Z must be a torch.Tensor"),
        (torch.ones(3, dtype=torch.float64), InvalidInputError, "2-D"),
        (torch.ones(0, 2, dtype=torch.float64), InvalidInputError, "non-empty"),
        (torch.ones(2, 2, dtype=torch.int64), TypeError, "floating dtype"),
        (torch.tensor([[1.0, float("nan")]]), InvalidInputError, "finite"),
        (torch.tensor([[1.0, float("inf")]]), InvalidInputError, "finite"),
    ],
)
def test_check_embedding_rejects(Z, exc, match):
    with pytest.raises(exc, match=match):
        check_embedding(Z)


def test_check_embedding_min_rows_names_requirement():
    with pytest.raises(InvalidInputError, match="at least 2 rows"):
        check_embedding(torch.ones(1, 3, dtype=torch.float64), min_rows=2)


def test_check_compatible_names_both_arguments():
    with pytest.raises(InvalidInputError, match=r"G must be \(4, 4\).*N=4 rows of Z"):
        check_compatible(torch.ones(4, 2), torch.zeros(3, 3))


def test_check_same_shape():
    with pytest.raises(InvalidInputError, match="Z_left and Z_right"):
        check_same_shape(torch.ones(2, 3), torch.ones(3, 3), "Z_left", "Z_right")


@pytest.mark.parametrize(
    ("value", "kwargs", "exc", "match"),
    [
        (-1.0, {}, InvalidInputError, "alpha must be >= 0"),
        (float("nan"), {}, InvalidInputError, "alpha must be finite"),
        (float("inf"), {}, InvalidInputError, "alpha must be finite"),
        (0.0, {"low_inclusive": False}, InvalidInputError, "alpha must be > 0"),
        ("1", {}, TypeError, "alpha must be a real number"),
        (True, {}, TypeError, "alpha must be a real number"),
    ],
)
def test_check_scalar_rejects(value, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        check_scalar(value, "alpha", **kwargs)


def test_check_scalar_accepts_tensor_scalar():
    assert check_scalar(torch.tensor(2.5), "tau", low_inclusive=False) == 2.5


def test_check_int_and_n_components():
    assert check_int(3, "k", low=1) == 3
    with pytest.raises(TypeError, match="k must be an integer"):
        check_int(2.0, "k")
    with pytest.raises(InvalidInputError, match="n_components must be <= 4"):
        check_n_components(5, 4)


def test_warn_if_disconnected_names_component_count():
    with pytest.warns(DisconnectedGraphWarning, match="3 connected components"):
        warn_if_disconnected(3, "laplacian_eigenmaps")


def test_resolve_device():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type in {"cpu", "cuda"}
    with pytest.raises(InvalidInputError, match="device"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(InvalidInputError, match="CUDA is not available"):
            resolve_device("cuda")


# ---------------------------------------------------------------------------------------------
# validate_params: declared constraints
# ---------------------------------------------------------------------------------------------

import inspect  # noqa: E402

from torch_impl.relations import Relation, RelationMatrix  # noqa: E402
from torch_impl.validation import (  # noqa: E402
    Compatible,
    Dim,
    Divisible,
    Embedding,
    Flag,
    Int,
    OrNone,
    Scalar,
    check_device,
    check_dtype,
    check_relation,
    check_vector,
    checked_relation_pairs,
    validate_params,
)


@validate_params(
    Compatible("Z", "G"),
    Z=Embedding(min_rows=2),
    G=RelationMatrix(),
    k=Int(low=1, high=Dim("G", minus_flag="drop")),
    drop=Flag(),
    scale=OrNone(Scalar(low=0.0, low_inclusive=False)),
)
def _declared(Z, G, k, *, drop=True, scale=None):
    """Docstring kept."""
    return Z, G, k, scale


def test_validate_params_converts_and_keeps_signature():
    G = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    Z, rel, k, scale = _declared(torch.ones(2, 1, dtype=torch.float64), G, 1, scale=2)
    assert isinstance(rel, Relation)
    assert (k, scale) == (1, 2.0)
    assert str(inspect.signature(_declared)) == "(Z, G, k, *, drop=True, scale=None)"
    assert _declared.__doc__ == "Docstring kept."
    assert list(_declared.constraints) == ["Z", "G", "k", "drop", "scale"]
    assert repr(_declared.constraints["scale"]) == (
        "OrNone(inner=Scalar(low=0.0, low_inclusive=False, high=None))"
    )
    assert _declared.unchecked(1, 2, 3) == (1, 2, 3, None)


@pytest.mark.parametrize(
    ("k", "drop", "match"),
    [(2, True, "k must be <= 1"), (3, False, "k must be <= 2"), (0, True, "k must be >= 1")],
)
def test_dim_bound_reads_other_arguments(k, drop, match):
    G = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    with pytest.raises(InvalidInputError, match=match):
        _declared(torch.ones(2, 1, dtype=torch.float64), G, k, drop=drop)


def test_cross_check_runs_after_the_arguments():
    with pytest.raises(InvalidInputError, match=r"G must be \(3, 3\) to match the N=3 rows of Z"):
        _declared(torch.ones(3, 1, dtype=torch.float64), torch.zeros(2, 2), 1)


def test_divisible_by_an_argument():
    @validate_params(Divisible("Z", "parts"), Z=Embedding(), parts=Int(low=1))
    def split(Z, parts):
        return parts

    with pytest.raises(InvalidInputError, match="rows of Z = 5 must be divisible by parts = 2"):
        split(torch.ones(5, 1), 2)


def test_every_parameter_must_be_declared():
    with pytest.raises(TypeError, match=r"undeclared parameters \['b'\]"):
        validate_params(a=Flag())(lambda a, b: None)
    with pytest.raises(TypeError, match=r"unknown names \['c'\]"):
        validate_params(Compatible("a", "c"), a=Flag())(lambda a: None)


@pytest.mark.parametrize(
    ("G", "match"),
    [
        (torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]), "symmetric"),
        (torch.tensor([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]), "symmetric"),
    ],
)
def test_check_relation_finds_a_missing_mirror(G, match):
    with pytest.raises(InvalidInputError, match=match):
        check_relation(G)
    with pytest.raises(InvalidInputError, match=match):
        check_relation(G.to_sparse())


def test_checked_relation_pairs_drop_explicit_sparse_zeros():
    indices = torch.tensor([[0, 1, 1], [1, 0, 2]])
    G = torch.sparse_coo_tensor(
        indices, torch.tensor([1.0, 1.0, 0.0]), (3, 3), check_invariants=True
    )
    _, rows, cols = checked_relation_pairs(G)
    assert rows.tolist() == [0, 1]
    assert cols.tolist() == [1, 0]


def test_check_device_dtype_vector():
    assert check_device("auto") is None
    assert check_device(torch.device("cpu")) == torch.device("cpu")
    with pytest.raises(TypeError, match="device must be"):
        check_device(0.5)
    assert check_dtype(torch.float32) is torch.float32
    with pytest.raises(TypeError, match="dtype must be a floating dtype"):
        check_dtype(torch.int32)
    with pytest.raises(InvalidInputError, match="v must be 1-D and non-empty"):
        check_vector(torch.ones(2, 2), "v")
