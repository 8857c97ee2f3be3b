"""verify.grid: declared grids, their order and what a grid value may be."""

from __future__ import annotations

import numpy as np
import pytest

from verify import Grid, grid, points
from verify.grid import GridError, as_grid


def test_product_in_declaration_order_first_axis_slowest():
    assert list(grid(graph=["a", "b"], seed=[0, 1], alpha=[0.1])) == [
        {"graph": "a", "seed": 0, "alpha": 0.1}, {"graph": "a", "seed": 1, "alpha": 0.1},
        {"graph": "b", "seed": 0, "alpha": 0.1}, {"graph": "b", "seed": 1, "alpha": 0.1}]
    assert grid(graph=["a", "b"], seed=[0, 1]).names == ("graph", "seed")
    assert len(grid(graph=["a", "b"], seed=[0, 1, 2])) == 6


def test_points_keep_their_order_and_grids_concatenate():
    explicit = points({"graph": "b", "seed": 1}, {"graph": "a", "seed": 0})
    assert [p["graph"] for p in explicit] == ["b", "a"]
    both = grid(graph=["a"], seed=[0, 1]) + grid(graph=["b"], seed=[0])
    assert list(both) == [{"graph": "a", "seed": 0}, {"graph": "a", "seed": 1},
                          {"graph": "b", "seed": 0}]
    with pytest.raises(GridError, match="declared twice"):
        _ = both + points({"graph": "a", "seed": 1})


def test_values_become_plain_scalars_that_replay_as_written():
    class Case(str):
        pass

    [point] = points({"case": Case("views4x2/0"), "alpha": np.float64(0.5),
                      "k": np.int64(3), "on": np.bool_(True)})
    assert [type(v) for v in point.values()] == [str, float, int, bool]
    assert repr(point) == "{'case': 'views4x2/0', 'alpha': 0.5, 'k': 3, 'on': True}"
    # 1 and 1.0 (and True) are different points: they replay differently
    assert len(points({"x": 1}, {"x": 1.0}, {"x": True})) == 3


@pytest.mark.parametrize(("value", "message"), [
    (None, "must be a str, int, float or bool, got NoneType"),
    (np.float64("nan"), "must be finite"),
    ([1, 2], "got list"),
    (np.arange(2), "got ndarray"),
])
def test_grid_values_must_be_finite_json_scalars(value, message):
    with pytest.raises(GridError, match=message):
        points({"x": value})


def test_iterating_gives_copies():
    declared = grid(x=[1, 2])
    first = next(iter(declared))
    first["x"] = 99
    assert list(declared) == [{"x": 1}, {"x": 2}]


def test_as_grid_accepts_the_three_forms():
    expected = grid(x=[1, 2])
    assert as_grid({"x": [1, 2]}) == as_grid([{"x": 1}, {"x": 2}]) == as_grid(expected)
    assert as_grid(expected) is expected
    assert isinstance(expected, Grid)
    assert "2 points over x" in repr(expected)
    with pytest.raises(GridError, match="point 0: expected a dict"):
        as_grid([1, 2])
    with pytest.raises(GridError, match="empty"):
        as_grid([{}])
    with pytest.raises(GridError, match="no axis"):
        grid()


@pytest.mark.parametrize("declared", [
    ({"graph": "views4x2", "seed": 0}, {"graph": "views3x3"}),
    ({"graph": "views4x2"}, {"graph": "views3x3", "seed": 0}),
    ({"graph": "views4x2", "seed": 0}, {"graph": "views3x3", "n": 0}),
])
def test_every_point_names_the_same_parameters(declared):
    with pytest.raises(GridError, match="differ"):
        points(*declared)
