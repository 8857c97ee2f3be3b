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
