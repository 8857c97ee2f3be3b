"""One validation path for every user input of ``torch_impl``.

Every public function declares what each argument must be with :func:`validate_params`, so that
bad input gets one kind of error message: the argument's name, what was expected and what was
received. Type problems raise ``TypeError``; value problems raise :class:`InvalidInputError` (a
``ValueError``). Nothing in the package returns a silent NaN for an input it could have rejected.

Two layers:

* ``check_*`` functions: one check each, with the message wording;
* constraint objects (:class:`Embedding`, :class:`Scalar`, :class:`Int`, ...; the relation
  constraint :class:`torch_impl.relations.RelationMatrix` lives beside ``Relation``), each
  wrapping a ``check_*``, and cross-argument checks (:class:`Compatible`, :class:`SameRows`,
  ...), declared once per function by :func:`validate_params`. The decorated function exposes
  ``fn.constraints`` (parameter -> constraint), ``fn.checks`` (cross-argument checks) and
  ``fn.unchecked`` (the raw function, for optimiser loops that validated their inputs once).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
import numbers
import warnings
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import torch

__all__ = [
    "InvalidInputError",
    "DisconnectedGraphWarning",
    "check_embedding",
    "check_relation",
    "checked_relation_pairs",
    "check_compatible",
    "check_same_shape",
    "check_same_dtype",
    "check_choice",
    "check_divisible",
    "check_scalar",
    "check_int",
    "check_n_components",
    "check_labels",
    "check_shape",
    "warn_if_disconnected",
    "check_symmetric_matrix",
    "check_bool",
    "check_same_rows",
    "check_tensor",
    "check_nonnegative",
    "check_same_device",
    "check_device",
    "check_dtype",
    "check_vector",
    "validate_params",
    "Constraint",
    "CrossCheck",
    "Dim",
    "Embedding",
    "AnyTensor",
    "Vector",
    "SymmetricMatrix",
    "Labels",
    "Scalar",
    "Int",
    "Choice",
    "Flag",
    "Shape",
    "DType",
    "Device",
    "OrNone",
    "InstanceOf",
    "IsCallable",
    "Compatible",
    "SameRows",
    "SameShape",
    "SameDtype",
    "SameDevice",
    "Divisible",
]


class InvalidInputError(ValueError):
    """A value given to a ``torch_impl`` function is outside what it accepts."""


class DisconnectedGraphWarning(UserWarning):
    """A method that needs a connected relation graph received a disconnected one."""


def _describe(x: object) -> str:
    if isinstance(x, torch.Tensor):
        return f"tensor of shape {tuple(x.shape)} and dtype {x.dtype}"
    return f"{type(x).__name__} {x!r}"


def check_embedding(
    Z: object,
    name: str = "Z",
    *,
    min_rows: int = 1,
    require_float: bool = True,
    min_cols: int = 1,
) -> torch.Tensor:
    """Check that ``Z`` is a 2-D, non-empty, finite floating tensor of shape (N, K).

    Parameters
    ----------
    Z : torch.Tensor of shape (N, K)
        The embedding (rows are samples).
    name : str
        Argument name used in error messages.
    min_rows : int, default=1
        Smallest N accepted (2 where a covariance with 1/(N-1) is needed).
    require_float : bool, default=True
        Reject integer and boolean dtypes.
    min_cols : int, default=1
        Smallest K accepted (2 where a sum runs over pairs of distinct dimensions).

    Returns
    -------
    torch.Tensor
        ``Z`` itself (no copy).
    """
    if not isinstance(Z, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (N, K), got {_describe(Z)}")
    if Z.is_sparse:
        raise TypeError(f"{name} must be a dense tensor, got a sparse tensor")
    if require_float and not Z.dtype.is_floating_point:
        raise TypeError(f"{name} must have a floating dtype (float32 or float64), got {Z.dtype}")
    if Z.dim() != 2:
        raise InvalidInputError(f"{name} must be 2-D of shape (N, K), got shape {tuple(Z.shape)}")
    if Z.numel() == 0:
        raise InvalidInputError(f"{name} must be non-empty, got shape {tuple(Z.shape)}")
    if Z.shape[0] < min_rows:
        raise InvalidInputError(
            f"{name} must have at least {min_rows} rows (samples), got N={Z.shape[0]}"
        )
    if Z.shape[1] < min_cols:
        raise InvalidInputError(
            f"{name} must have at least {min_cols} columns (dimensions), got K={Z.shape[1]}"
        )
    if Z.dtype.is_floating_point and not bool(torch.isfinite(Z).all()):
        n_bad = int((~torch.isfinite(Z)).sum())
        raise InvalidInputError(f"{name} must be finite, got {n_bad} NaN or inf entries")
    return Z


def _relation_entries(G: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Rows, columns and values of the stored entries of a dense or sparse COO matrix."""
    if G.is_sparse:
        Gc = G.coalesce()
        idx = Gc.indices()
        return idx[0], idx[1], Gc.values()
    rows, cols = torch.nonzero(G, as_tuple=True)
    return rows, cols, G[rows, cols]


def check_relation(G: object, name: str = "G") -> torch.Tensor:
    """Check that ``G`` is a valid relation matrix (BL22 Sec. 2.1).

    ``G`` must be square (N, N), symmetric, binary ({0, 1}) with a zero diagonal; dense or
    sparse COO; any real dtype (bool is accepted and converted to float64).

    Returns
    -------
    torch.Tensor
        ``G`` as a floating tensor; a sparse input is returned coalesced.
    """
    return checked_relation_pairs(G, name)[0]


def checked_relation_pairs(
    G: object, name: str = "G"
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """:func:`check_relation`, also returning the nonzero entries it found.

    Returns
    -------
    G : torch.Tensor
        As :func:`check_relation`.
    rows, cols : torch.Tensor of shape (nnz,), int64
        Every nonzero G_ij in row-major order (``G.nonzero(as_tuple=True)``).
    """
    if not isinstance(G, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (N, N), got {_describe(G)}")
    if G.layout not in (torch.strided, torch.sparse_coo):
        raise TypeError(f"{name} must be dense or sparse COO, got layout {G.layout}")
    if G.dim() != 2 or G.shape[0] != G.shape[1]:
        raise InvalidInputError(f"{name} must be square of shape (N, N), got {tuple(G.shape)}")
    if G.shape[0] == 0:
        raise InvalidInputError(f"{name} must be non-empty, got shape {tuple(G.shape)}")
    if G.dtype.is_complex:
        raise TypeError(f"{name} must be real, got {G.dtype}")
    if not G.dtype.is_floating_point:
        G = G.to(torch.float64)
    if G.is_sparse:
        G = G.coalesce()
    rows, cols, vals = _relation_entries(G)
    if not bool(torch.isfinite(vals).all()):
        raise InvalidInputError(f"{name} must be finite, got NaN or inf entries")
    if not bool(((vals == 0) | (vals == 1)).all()):
        bad = vals[(vals != 0) & (vals != 1)][0].item()
        raise InvalidInputError(f"{name} must be binary (entries 0 or 1), got an entry {bad}")
    on_diag = (rows == cols) & (vals != 0)
    if bool(on_diag.any()):
        i = int(rows[on_diag][0])
        raise InvalidInputError(
            f"{name} must have a zero diagonal (a sample is not its own positive), "
            f"got {name}[{i}, {i}] = 1"
        )
    if G.is_sparse:
        Gt = G.t().coalesce()
        asym = (G - Gt).coalesce().values()
        symmetric = not bool((asym != 0).any())
        # A sparse G may store explicit zeros: they are not pairs.
        keep = vals != 0
        rows, cols = rows[keep], cols[keep]
    else:
        # Every nonzero G_ij = 1 has its mirror G_ji = 1 iff G is symmetric (a missing mirror
        # is itself a nonzero whose mirror is 0): O(nnz) instead of comparing G with G.T.
        symmetric = bool((G[cols, rows] == 1).all())
    if not symmetric:
        raise InvalidInputError(f"{name} must be symmetric ({name} == {name}.T)")
    return G, rows, cols


def check_compatible(Z: torch.Tensor, G: torch.Tensor, z_name: str = "Z", g_name: str = "G"):
    """Check that the relation ``G`` (N, N) matches the N rows of ``Z`` and lives beside it."""
    if G.shape[0] != Z.shape[0]:
        raise InvalidInputError(
            f"{g_name} must be ({Z.shape[0]}, {Z.shape[0]}) to match the N={Z.shape[0]} rows "
            f"of {z_name}, got {tuple(G.shape)}"
        )
    check_same_device(G, Z, g_name, z_name)


def check_same_shape(a: torch.Tensor, b: torch.Tensor, a_name: str, b_name: str) -> None:
    """Check that two tensors have the same shape."""
    if a.shape != b.shape:
        raise InvalidInputError(
            f"{a_name} and {b_name} must have the same shape, got {tuple(a.shape)} "
            f"and {tuple(b.shape)}"
        )


def check_same_dtype(a: torch.Tensor, b: torch.Tensor, a_name: str, b_name: str) -> None:
    """Check that two tensors have the same dtype (torch would fail later with a vaguer error)."""
    if a.dtype != b.dtype:
        raise TypeError(
            f"{a_name} and {b_name} must have the same dtype, got {a.dtype} and {b.dtype}"
        )


def check_choice(value: object, name: str, choices: tuple[str, ...]) -> str:
    """Check that ``value`` is one of the strings in ``choices``."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string among {choices}, got {_describe(value)}")
    if value not in choices:
        raise InvalidInputError(f"{name} must be one of {choices}, got {value!r}")
    return value


def check_divisible(n: int, divisor: int, n_name: str, divisor_name: str) -> None:
    """Check that the count ``n`` splits into ``divisor`` equal parts."""
    if n % divisor != 0:
        raise InvalidInputError(f"{n_name} = {n} must be divisible by {divisor_name} = {divisor}")


def check_scalar(
    value: object,
    name: str,
    *,
    low: float | None = 0.0,
    low_inclusive: bool = True,
    high: float | None = None,
) -> float:
    """Check that ``value`` is a finite real number in the declared interval.

    The default interval is [0, inf): hyperparameters are non-negative and finite.
    """
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {_describe(value)}")
    value = float(value)
    if not math.isfinite(value):
        raise InvalidInputError(f"{name} must be finite, got {value}")
    if low is not None:
        if low_inclusive and value < low:
            raise InvalidInputError(f"{name} must be >= {low}, got {value}")
        if not low_inclusive and value <= low:
            raise InvalidInputError(f"{name} must be > {low}, got {value}")
    if high is not None and value > high:
        raise InvalidInputError(f"{name} must be <= {high}, got {value}")
    return value


def check_int(value: object, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """Check that ``value`` is an integer in [low, high] (bounds inclusive, None = open)."""
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.dtype.is_floating_point:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {_describe(value)}")
    value = int(value)
    if low is not None and value < low:
        raise InvalidInputError(f"{name} must be >= {low}, got {value}")
    if high is not None and value > high:
        raise InvalidInputError(f"{name} must be <= {high}, got {value}")
    return value


def check_n_components(n_components: object, available: int, name: str = "n_components") -> int:
    """Check that ``n_components`` eigen/singular vectors can be taken out of ``available``."""
    return check_int(n_components, name, low=1, high=available)


def check_labels(labels: object, name: str = "labels") -> torch.Tensor:
    """Check a 1-D integer label vector of length N >= 1."""
    if not isinstance(labels, torch.Tensor):
        raise TypeError(f"{name} must be a 1-D integer torch.Tensor, got {_describe(labels)}")
    if labels.dtype.is_floating_point or labels.dtype.is_complex or labels.dtype == torch.bool:
        raise TypeError(f"{name} must have an integer dtype, got {labels.dtype}")
    if labels.dim() != 1 or labels.numel() == 0:
        shape = tuple(labels.shape)
        raise InvalidInputError(f"{name} must be 1-D and non-empty, got shape {shape}")
    return labels


def check_shape(shape: object, name: str = "shape") -> tuple[int, ...]:
    """Check a non-empty tuple (or list) of positive integers, e.g. the (N, K) of an embedding."""
    if not isinstance(shape, (tuple, list, torch.Size)):
        raise TypeError(f"{name} must be a tuple of positive ints, got {_describe(shape)}")
    if len(shape) == 0:
        raise InvalidInputError(f"{name} must have at least one dimension, got {shape!r}")
    return tuple(check_int(n, f"{name}[{i}]", low=1) for i, n in enumerate(shape))


def warn_if_disconnected(n_components: int, method: str, stacklevel: int = 3) -> None:
    """Warn that ``method`` needs a connected graph but got ``n_components`` components."""
    if n_components > 1:
        warnings.warn(
            f"{method}: the relation graph is not connected ({n_components} connected "
            "components); the bottom eigenspace is degenerate and the embedding mixes components",
            DisconnectedGraphWarning,
            stacklevel=stacklevel,
        )


def check_symmetric_matrix(A: object, name: str = "A", *, rtol: float = 1e-10) -> torch.Tensor:
    """Check that ``A`` is a square, finite, floating matrix that is symmetric up to ``rtol``.

    Symmetry is judged as max|A - A^T| <= rtol * max|A|: products such as X^T L X are symmetric
    in exact arithmetic but not bitwise, so an exact test would reject them.

    Returns
    -------
    torch.Tensor
        The exactly symmetric (A + A^T) / 2, so that a solver reading one triangle and one
        reading the other see the same matrix.
    """
    A = check_embedding(A, name)
    if A.shape[0] != A.shape[1]:
        raise InvalidInputError(f"{name} must be square of shape (N, N), got {tuple(A.shape)}")
    asym = float((A - A.mT).abs().max())
    scale = float(A.abs().max())
    if asym > rtol * scale:
        raise InvalidInputError(
            f"{name} must be symmetric: max|{name} - {name}.T| = {asym:.3g} exceeds "
            f"{rtol:g} * max|{name}| = {rtol * scale:.3g}"
        )
    return (A + A.mT) / 2


def check_bool(value: object, name: str) -> bool:
    """Check that a flag is a real ``bool`` (not 0/1 or a string, which would read as truthy)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, got {_describe(value)}")
    return value


def check_same_rows(a: torch.Tensor, b: torch.Tensor, a_name: str, b_name: str) -> None:
    """Check that two sample matrices pair up row by row (same N) and live on one device."""
    if a.shape[0] != b.shape[0]:
        raise InvalidInputError(
            f"{a_name} and {b_name} must have the same number of rows (samples), got "
            f"{a.shape[0]} and {b.shape[0]}"
        )
    check_same_device(a, b, a_name, b_name)


def check_tensor(x: object, name: str) -> torch.Tensor:
    """Check that ``x`` is a dense, finite, floating tensor of any shape (scalars included)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {_describe(x)}")
    if x.is_sparse:
        raise TypeError(f"{name} must be a dense tensor, got a sparse tensor")
    if not x.dtype.is_floating_point:
        raise TypeError(f"{name} must have a floating dtype (float32 or float64), got {x.dtype}")
    if not bool(torch.isfinite(x).all()):
        n_bad = int((~torch.isfinite(x)).sum())
        raise InvalidInputError(f"{name} must be finite, got {n_bad} NaN or inf entries")
    return x


def check_vector(x: object, name: str) -> torch.Tensor:
    """Check that ``x`` is a 1-D, non-empty, dense, finite, floating tensor (N,)."""
    x = check_tensor(x, name)
    if x.dim() != 1 or x.numel() == 0:
        raise InvalidInputError(f"{name} must be 1-D and non-empty, got shape {tuple(x.shape)}")
    return x


def check_nonnegative(x: torch.Tensor, name: str) -> None:
    """Check that every entry of ``x`` is >= 0 (distances, degrees, weights)."""
    if bool((x < 0).any()):
        raise InvalidInputError(
            f"{name} must be non-negative, got a minimum entry {float(x.min()):.3g}"
        )


def check_same_device(a: torch.Tensor, b: torch.Tensor, a_name: str, b_name: str) -> None:
    """Check that two tensors that are combined elementwise live on one device."""
    if a.device != b.device:
        raise InvalidInputError(
            f"{a_name} is on {a.device} but {b_name} is on {b.device}; move them to one device"
        )


def check_device(device: object, name: str = "device") -> torch.device | None:
    """Check a device spec: ``"auto"``, None, a ``torch.device`` or a string like ``"cuda:0"``.

    Returns
    -------
    torch.device or None
        None for ``"auto"`` / ``None`` (the caller picks), else the parsed device.
    """
    if device is None or (isinstance(device, str) and device == "auto"):
        return None
    if not isinstance(device, (str, torch.device)):
        raise TypeError(f"{name} must be 'auto', 'cpu' or 'cuda[:i]', got {_describe(device)}")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        msg = f"{name} must be 'auto', 'cpu' or 'cuda[:i]', got {device!r}"
        raise InvalidInputError(msg) from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InvalidInputError(f"{name}={device!r} was asked for but CUDA is not available")
    return dev


def check_dtype(dtype: object, name: str = "dtype") -> torch.dtype:
    """Check that ``dtype`` is a floating ``torch.dtype`` (float32 or float64 in practice)."""
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"{name} must be a torch.dtype, got {_describe(dtype)}")
    if not dtype.is_floating_point:
        raise TypeError(f"{name} must be a floating dtype (float32 or float64), got {dtype}")
    return dtype


# ---------------------------------------------------------------------------------------------
# Declared constraints
# ---------------------------------------------------------------------------------------------


class Constraint:
    """What one argument must be. ``check`` validates a value and returns it, converted.

    Subclasses are frozen dataclasses, so their repr reads as the declaration. ``depends`` names
    the other arguments a bound refers to; those are checked first.
    """

    @property
    def depends(self) -> tuple[str, ...]:
        return ()

    def check(self, value: object, name: str, args: Mapping[str, Any]) -> object:
        raise NotImplementedError


@dataclasses.dataclass(frozen=True)
class Dim:
    """A bound read off other arguments: min over ``params`` of ``size(axis)``, plus ``offset``,
    minus 1 when the boolean argument ``minus_flag`` is True (e.g. ``drop_first``).

    A :class:`~torch_impl.relations.Relation` has the size ``n`` on both axes.
    """

    params: tuple[str, ...]
    axis: int = 0
    offset: int = 0
    minus_flag: str | None = None

    def __init__(self, *params: str, axis: int = 0, offset: int = 0, minus_flag: str | None = None):
        object.__setattr__(self, "params", params)
        object.__setattr__(self, "axis", axis)
        object.__setattr__(self, "offset", offset)
        object.__setattr__(self, "minus_flag", minus_flag)

    @property
    def depends(self) -> tuple[str, ...]:
        return self.params + ((self.minus_flag,) if self.minus_flag else ())

    def __call__(self, args: Mapping[str, Any]) -> int:
        size = min(int(args[p].shape[self.axis]) for p in self.params) + self.offset
        return size - int(bool(args[self.minus_flag])) if self.minus_flag else size


@dataclasses.dataclass(frozen=True)
class Embedding(Constraint):
    """A 2-D, non-empty, finite floating tensor (N, K) with N >= ``min_rows`` and K >=
    ``min_cols`` (:func:`check_embedding`)."""

    min_rows: int = 1
    require_float: bool = True
    min_cols: int = 1

    def check(self, value, name, args):
        return check_embedding(value, name, min_rows=self.min_rows,
                               require_float=self.require_float, min_cols=self.min_cols)


@dataclasses.dataclass(frozen=True)
class AnyTensor(Constraint):
    """A dense, finite, floating tensor of any shape (:func:`check_tensor`)."""

    def check(self, value, name, args):
        return check_tensor(value, name)


@dataclasses.dataclass(frozen=True)
class Vector(Constraint):
    """A 1-D, non-empty, finite floating tensor (:func:`check_vector`)."""

    def check(self, value, name, args):
        return check_vector(value, name)


@dataclasses.dataclass(frozen=True)
class SymmetricMatrix(Constraint):
    """A square finite floating matrix, symmetric up to ``rtol``; returned exactly symmetrised
    (:func:`check_symmetric_matrix`)."""

    rtol: float = 1e-10

    def check(self, value, name, args):
        return check_symmetric_matrix(value, name, rtol=self.rtol)


@dataclasses.dataclass(frozen=True)
class Labels(Constraint):
    """A 1-D non-empty integer tensor (:func:`check_labels`)."""

    def check(self, value, name, args):
        return check_labels(value, name)


@dataclasses.dataclass(frozen=True)
class Scalar(Constraint):
    """A finite real number in [low, high] (``low`` exclusive unless ``low_inclusive``),
    returned as float (:func:`check_scalar`)."""

    low: float | None = 0.0
    low_inclusive: bool = True
    high: float | None = None

    def check(self, value, name, args):
        return check_scalar(
            value, name, low=self.low, low_inclusive=self.low_inclusive, high=self.high
        )


@dataclasses.dataclass(frozen=True)
class Int(Constraint):
    """An integer in [low, high], bounds inclusive; a bound may be a :class:`Dim` of other
    arguments (:func:`check_int`)."""

    low: int | Dim | None = None
    high: int | Dim | None = None

    @property
    def depends(self) -> tuple[str, ...]:
        return tuple(p for b in (self.low, self.high) if isinstance(b, Dim) for p in b.depends)

    def check(self, value, name, args):
        low = self.low(args) if isinstance(self.low, Dim) else self.low
        high = self.high(args) if isinstance(self.high, Dim) else self.high
        return check_int(value, name, low=low, high=high)


@dataclasses.dataclass(frozen=True)
class Choice(Constraint):
    """One of the strings ``choices`` (:func:`check_choice`)."""

    choices: tuple[str, ...]

    def check(self, value, name, args):
        return check_choice(value, name, self.choices)


@dataclasses.dataclass(frozen=True)
class Flag(Constraint):
    """A real ``bool`` (:func:`check_bool`)."""

    def check(self, value, name, args):
        return check_bool(value, name)


@dataclasses.dataclass(frozen=True)
class Shape(Constraint):
    """A non-empty tuple of positive ints, returned as a tuple (:func:`check_shape`)."""

    def check(self, value, name, args):
        return check_shape(value, name)


@dataclasses.dataclass(frozen=True)
class DType(Constraint):
    """A floating ``torch.dtype`` (:func:`check_dtype`)."""

    def check(self, value, name, args):
        return check_dtype(value, name)


@dataclasses.dataclass(frozen=True)
class Device(Constraint):
    """``"auto"``, None, a ``torch.device`` or a device string; returned unchanged
    (:func:`check_device`)."""

    def check(self, value, name, args):
        check_device(value, name)
        return value


@dataclasses.dataclass(frozen=True)
class OrNone(Constraint):
    """None, or a value satisfying ``inner``."""

    inner: Constraint

    @property
    def depends(self) -> tuple[str, ...]:
        return self.inner.depends

    def check(self, value, name, args):
        return None if value is None else self.inner.check(value, name, args)


@dataclasses.dataclass(frozen=True)
class InstanceOf(Constraint):
    """An instance of ``cls`` (a result object handed back to a later function)."""

    cls: type

    def __repr__(self) -> str:
        return f"InstanceOf({self.cls.__name__})"

    def check(self, value, name, args):
        if not isinstance(value, self.cls):
            raise TypeError(f"{name} must be a {self.cls.__name__}, got {_describe(value)}")
        return value


@dataclasses.dataclass(frozen=True)
class IsCallable(Constraint):
    """A callable (a loss or objective function)."""

    def check(self, value, name, args):
        if not callable(value):
            raise TypeError(f"{name} must be callable, got {_describe(value)}")
        return value


class CrossCheck:
    """A check between several already-validated arguments (skipped when one of them is None)."""

    params: tuple[str, ...] = ()

    def run(self, args: Mapping[str, Any]) -> None:
        if all(args[p] is not None for p in self.params):
            self._check(*(args[p] for p in self.params))

    def _check(self, *values: Any) -> None:
        raise NotImplementedError


def _pair_check(check: Callable[..., None], doc: str):
    """A frozen-dataclass cross check of two named arguments calling ``check(a, b, a_name,
    b_name)``."""

    @dataclasses.dataclass(frozen=True)
    class _Pair(CrossCheck):
        a: str
        b: str

        @property
        def params(self) -> tuple[str, ...]:
            return (self.a, self.b)

        def _check(self, a, b):
            check(a, b, self.a, self.b)

    _Pair.__doc__ = doc
    return _Pair


Compatible = _pair_check(
    check_compatible,
    "Compatible(embedding, relation): the relation (N, N) matches the N rows of the embedding "
    "and lives on its device (:func:`check_compatible`).",
)
Compatible.__name__ = Compatible.__qualname__ = "Compatible"
SameRows = _pair_check(
    check_same_rows, "SameRows(a, b): same number of rows and device (:func:`check_same_rows`)."
)
SameRows.__name__ = SameRows.__qualname__ = "SameRows"
SameShape = _pair_check(check_same_shape, "SameShape(a, b): equal shapes.")
SameShape.__name__ = SameShape.__qualname__ = "SameShape"
SameDtype = _pair_check(check_same_dtype, "SameDtype(a, b): equal dtypes (TypeError).")
SameDtype.__name__ = SameDtype.__qualname__ = "SameDtype"
SameDevice = _pair_check(check_same_device, "SameDevice(a, b): one device.")
SameDevice.__name__ = SameDevice.__qualname__ = "SameDevice"


@dataclasses.dataclass(frozen=True)
class Divisible(CrossCheck):
    """The rows of the tensor ``param`` split into ``by`` equal parts (an int, or the name of an
    int argument) (:func:`check_divisible`)."""

    param: str
    by: int | str

    @property
    def params(self) -> tuple[str, ...]:
        return (self.param,) + ((self.by,) if isinstance(self.by, str) else ())

    def _check(self, tensor, *by):
        divisor = by[0] if by else self.by
        divisor_name = self.by if isinstance(self.by, str) else str(self.by)
        check_divisible(
            tensor.shape[0], divisor, f"the number of rows of {self.param}", divisor_name
        )


def validate_params(*checks: CrossCheck, **constraints: Constraint):
    """Declare how each argument of a public function is validated, once.

    The decorated function keeps its signature and docstring. A call binds the arguments,
    checks each by its constraint (arguments a bound depends on first), replaces it by the
    converted value (a relation becomes a :class:`~torch_impl.relations.Relation`), runs the
    cross-argument ``checks``, then calls the raw function.

    Every parameter must be declared, so that none is accepted unchecked by omission.

    Attributes set on the decorated function
    ----------------------------------------
    constraints : Mapping[str, Constraint]
        Read-only, parameter -> constraint, in signature order.
    checks : tuple[CrossCheck, ...]
    unchecked : callable
        The raw function: assumes validated, converted inputs (a relation as a ``Relation``).

    Raises
    ------
    TypeError
        At decoration: a parameter without a constraint, or a constraint or check naming no
        parameter.
    """

    def decorate(fn):
        signature = inspect.signature(fn)
        names = list(signature.parameters)
        missing = [p for p in names if p not in constraints]
        unknown = [p for p in constraints if p not in signature.parameters]
        unknown += [p for c in checks for p in c.params if p not in signature.parameters]
        if missing or unknown:
            raise TypeError(
                f"validate_params on {fn.__qualname__}: undeclared parameters {missing}, "
                f"unknown names {unknown}"
            )
        ordered = sorted(names, key=lambda p: bool(constraints[p].depends))

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            values = bound.arguments
            for p in ordered:
                values[p] = constraints[p].check(values[p], p, values)
            for check in checks:
                check.run(values)
            return fn(*bound.args, **bound.kwargs)

        wrapper.constraints = MappingProxyType({p: constraints[p] for p in names})
        wrapper.checks = tuple(checks)
        wrapper.unchecked = fn
        return wrapper

    return decorate
