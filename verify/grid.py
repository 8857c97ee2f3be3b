"""Declared grids: the exact points a numeric check evaluates, each once, in order.

A claim whose trials form a small, known set (graphs x seeds x hyper-parameters) declares them
as a grid (``@claim.numeric(grid=...)``) instead of hypothesis strategies: the engine then
evaluates every point exactly once, in declaration order, with no shrinking (the
counterexample of a failing grid is its first failing point, so declare the small points
first). A point maps each parameter of the trial function to a plain JSON scalar (str, int,
float, bool), so that a report's counterexample replays as written.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["Grid", "GridError", "grid", "points", "as_grid"]

Scalar = str | int | float | bool


class GridError(ValueError):
    """A grid is declared wrongly (the message says where); :class:`verify.Claim` turns it
    into a :class:`~verify.claim.ClaimDeclarationError` naming the module."""


def _scalar(value: object, where: str) -> Scalar:
    """``value`` as a plain JSON scalar; a ``str`` subclass or a numpy number becomes the
    plain type, so that its repr replays."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        if not math.isfinite(value):
            raise GridError(f"{where}: a grid value must be finite, got {value!r}")
        return value
    if isinstance(value, str):
        return str(value)
    raise GridError(f"{where}: a grid value must be a str, int, float or bool, got "
                    f"{type(value).__name__} ({value!r:.60})")


class Grid:
    """An ordered, duplicate-free list of points, all with the same parameter names.

    Parameters
    ----------
    points : iterable of mapping
        Each point maps a parameter name to a str, int, float or bool.

    Attributes
    ----------
    points : tuple of dict
        The points, in declaration order.
    names : tuple of str
        The parameter names, as the first point orders them.

    Raises
    ------
    GridError
        No point; a point that is not a mapping, lacks or adds a name, or holds a value that
        is not a finite JSON scalar; a point given twice.
    """

    def __init__(self, points: Iterable[Mapping[str, object]]) -> None:
        cleaned: list[dict[str, Scalar]] = []
        seen: set[tuple[tuple[str, Scalar], ...]] = set()
        for index, point in enumerate(points):
            if not isinstance(point, Mapping):
                raise GridError(f"point {index}: expected a dict of parameter -> value, got "
                                f"{type(point).__name__}")
            if not point:
                raise GridError(f"point {index}: empty (a point names every parameter)")
            if cleaned and set(point) != set(cleaned[0]):
                raise GridError(f"point {index}: parameters {sorted(point)} differ from the "
                                f"first point's {sorted(cleaned[0])}")
            clean = {str(k): _scalar(v, f"point {index}, {k!r}") for k, v in point.items()}
            # The type is part of the key: 1 and 1.0 replay differently.
            key = tuple(sorted((k, (type(v).__name__, v)) for k, v in clean.items()))
            if key in seen:
                raise GridError(f"point {index}: {clean} is declared twice (each point is "
                                "evaluated once)")
            seen.add(key)
            cleaned.append(clean)
        if not cleaned:
            raise GridError("no point (a grid declares at least one)")
        self.points: tuple[dict[str, Scalar], ...] = tuple(cleaned)
        self.names: tuple[str, ...] = tuple(cleaned[0])

    def __len__(self) -> int:
        return len(self.points)

    def __iter__(self):
        return (dict(p) for p in self.points)

    def __add__(self, other: Grid) -> Grid:
        """The points of ``self`` then those of ``other`` (e.g. two products of different
        axes); the names must agree and no point may repeat."""
        if not isinstance(other, Grid):
            return NotImplemented
        return Grid([*self.points, *other.points])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Grid) and self.points == other.points

    def __repr__(self) -> str:
        return f"Grid({len(self)} points over {', '.join(self.names)})"


def grid(**axes: Sequence[Any]) -> Grid:
    """The Cartesian product of the axes, in declaration order (the first axis varies
    slowest).

    Parameters
    ----------
    **axes : list or tuple of str, int, float or bool
        One non-empty list of values per parameter.

    Examples
    --------
    >>> [(p["graph"], p["seed"]) for p in grid(graph=["views4x2", "views3x3"], seed=[0, 1])]
    [('views4x2', 0), ('views4x2', 1), ('views3x3', 0), ('views3x3', 1)]
    """
    if not axes:
        raise GridError("no axis (give one list of values per parameter)")
    for name, values in axes.items():
        if not isinstance(values, (list, tuple)):
            raise GridError(f"axis {name!r}: expected a list or tuple of values, got "
                            f"{type(values).__name__}")
        if not values:
            raise GridError(f"axis {name!r}: no value")
    names = list(axes)
    return Grid(dict(zip(names, combo, strict=True))
                for combo in itertools.product(*axes.values()))


def points(*declared: Mapping[str, Any]) -> Grid:
    """Explicit points, in the given order: a sweep that is not a product (e.g. a seed list
    per graph).

    Examples
    --------
    >>> len(points({"graph": "views4x2", "seed": 0}, {"graph": "views3x3", "seed": 0}))
    2
    """
    return Grid(declared)


def as_grid(value: object) -> Grid:
    """What ``@claim.numeric(grid=...)`` accepts: a :class:`Grid`, a dict of axis -> values
    (:func:`grid`) or a list of point dicts (:func:`points`)."""
    if isinstance(value, Grid):
        return value
    if isinstance(value, Mapping):
        return grid(**{str(k): v for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return points(*value)
    raise GridError("expected a dict of axis -> list of values, a list of point dicts or "
                    f"verify.grid(...), got {type(value).__name__}")
