"""The result type of a derivation, and the helpers derivations are written with.

A derivation states a claim symbolically and reduces it to a *residual*, an expression (or
matrix) that is zero exactly when the claim holds. Deciding "is it zero?" follows sympy's own
advice for checking equivalence: simplify, and back the answer with numeric spot checks.

* :func:`check_residual` first ``expand``s, then ``simplify``s; zero after either is a proof.
* Otherwise it substitutes random rationals (respecting each symbol's assumptions) and evaluates:
  a value that is a finite number clearly nonzero *disproves* the identity and is returned as
  the witness; values that all vanish leave it *undecided* (true numerically, not proved), which
  neither holds nor fails.
* A residual containing ``nan``, ``zoo`` or ``oo``, or a spot-check value that is not finite,
  means the derivation itself is broken (a division by zero, a wrong limit): *nonfinite*, which
  the engine reports as ERROR, never as a refutation.
"""

from __future__ import annotations

import cmath
import dataclasses
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import sympy as sp
from sympy.concrete.expr_with_limits import ExprWithLimits
from sympy.logic.boolalg import Boolean
from sympy.matrices.expressions import MatrixExpr

__all__ = [
    "Derivation",
    "ResidualCheck",
    "check_residual",
    "symbolic_matrix",
    "symmetric_relation",
    "matrix_identity",
    "lambdify_torch",
]

Residual = sp.Expr | sp.MatrixBase | MatrixExpr

_SPOT_CHECKS = 3
_SPOT_TOL = 1e-20  # values are exact rationals or 50-digit floats: anything above is real


@dataclasses.dataclass(frozen=True)
class ResidualCheck:
    """The decision on one residual.

    Attributes
    ----------
    status : {'zero', 'nonzero', 'undecided', 'nonfinite'}
        'zero': simplification reduced the residual to 0. 'nonzero': a spot check found a point
        (``witness``) where it is a finite, nonzero number. 'undecided': not simplified to 0,
        but vanishing at every spot check (or not reducible to a number there), or a matrix
        expression of symbolic size: neither proved nor refuted. 'nonfinite': the residual
        contains ``nan`` / ``zoo`` / ``oo``, or evaluates to a non-finite value at a spot check
        (``witness``): the derivation is broken.
    simplified : sympy object
        The residual after simplification.
    method : str
        How the status was reached, for the report.
    witness : dict or None
        For 'nonzero' (and a 'nonfinite' spot check): symbol name -> value at that point.
    """

    status: str
    simplified: Any
    method: str
    witness: dict[str, str] | None = None

    @property
    def holds(self) -> bool:
        """Proved: the residual simplified to 0."""
        return self.status == "zero"

    @property
    def refuted(self) -> bool:
        """Disproved: a witness where the residual is a finite nonzero number."""
        return self.status == "nonzero"

    @property
    def broken(self) -> bool:
        """The residual is not a finite expression: the derivation, not the claim, is wrong."""
        return self.status == "nonfinite"

    def residual_text(self, limit: int = 300) -> str:
        text = str(self.simplified)
        return text if len(text) <= limit else text[: limit - 3] + "..."


_NON_FINITE = (sp.S.NaN, sp.S.ComplexInfinity, sp.S.Infinity, sp.S.NegativeInfinity)


def _has_non_finite(expr: Any) -> bool:
    """Whether ``expr`` (or a Matrix entry) holds nan, zoo or +-oo as a value; an infinite
    bound of a Sum, Integral or Limit, or an oo in a condition or a set (a Piecewise's
    ``x < oo``, ``Interval(0, oo)``), is not a value and does not count."""
    if isinstance(expr, sp.MatrixBase):
        return any(_has_non_finite(e) for e in expr)
    if not isinstance(expr, sp.Basic) or isinstance(expr, (Boolean, sp.Set)):
        return False
    if any(expr is v for v in _NON_FINITE):
        return True
    if isinstance(expr, (ExprWithLimits, sp.Limit)):
        return _has_non_finite(expr.args[0])
    return any(_has_non_finite(a) for a in expr.args)


def _is_zero(expr: Any) -> bool:
    if isinstance(expr, sp.MatrixBase):
        return all(e == 0 for e in expr)
    return expr == 0 or isinstance(expr, sp.ZeroMatrix)


def _elementwise(expr: Any, fn: Callable[[sp.Expr], sp.Expr]) -> Any:
    return expr.applyfunc(fn) if isinstance(expr, sp.MatrixBase) else fn(expr)


def _sample(symbol: sp.Symbol, rng: random.Random) -> sp.Rational:
    """A random rational inside the symbol's assumptions (integer, positive, nonnegative...)."""
    if symbol.is_integer:
        low = 1 if symbol.is_positive else 0 if symbol.is_nonnegative else -9
        return sp.Integer(rng.randint(low, 9))
    value = sp.Rational(rng.randint(1, 97), rng.randint(1, 13))
    if symbol.is_positive or symbol.is_nonnegative:
        return value
    return value if rng.random() < 0.5 else -value


def _explicit(expr: Any) -> Any:
    """A matrix expression with concrete shape as an explicit Matrix (else unchanged)."""
    if isinstance(expr, MatrixExpr):
        expr = expr.doit()
        if all(sp.sympify(d).is_Integer for d in expr.shape):
            return expr.as_explicit()
    return expr


def check_residual(residual: Residual, *, seed: int = 0) -> ResidualCheck:
    """Decide whether ``residual`` is identically zero (see the module docstring).

    Matrix expressions of symbolic size are first ``doit()``-ed; a residual still holding
    ``MatrixSymbol`` s of symbolic size cannot be spot-checked and is 'undecided' unless it
    simplifies to zero.

    Examples
    --------
    >>> x = sp.Symbol("x", real=True)
    >>> check_residual((x + 1) ** 2 - x**2 - 2 * x - 1).status
    'zero'
    >>> check_residual(x**2 - x).status
    'nonzero'
    """
    expr = _explicit(residual)
    if isinstance(expr, MatrixExpr):
        expanded = expr
    else:
        # doit() evaluates what is still unevaluated (Trace of explicit matrices, finite Sums).
        expanded = _elementwise(expr, lambda e: sp.expand(e.doit()))
    if _is_zero(expanded):
        return ResidualCheck("zero", expanded, "doit + expand")
    if _has_non_finite(expanded):
        return ResidualCheck("nonfinite", expanded, "doit + expand left nan, zoo or oo")
    simplified = (_elementwise(expanded, sp.simplify) if not isinstance(expanded, MatrixExpr)
                  else sp.simplify(expanded))
    if _is_zero(simplified):
        return ResidualCheck("zero", simplified, "doit + expand + simplify")
    if _has_non_finite(simplified):
        return ResidualCheck("nonfinite", simplified, "simplify left nan, zoo or oo")
    if isinstance(simplified, MatrixExpr) or simplified.atoms(sp.MatrixSymbol):
        return ResidualCheck("undecided", simplified,
                             "expand + simplify left a matrix expression of symbolic size")
    return _spot_check(simplified, random.Random(seed))


def _spot_value(value: sp.Expr) -> complex | None:
    """``value`` (evaluated at a point) as a complex number; ``None`` when it is not a number
    (e.g. an undefined function left unevaluated)."""
    if not value.is_number:
        return None
    try:
        return complex(value)
    except (TypeError, ValueError):
        return None


def _spot_check(simplified: Any, rng: random.Random) -> ResidualCheck:
    """Evaluate ``simplified`` at random points: a finite nonzero value refutes it, a
    non-finite one means it is broken, vanishing everywhere leaves it undecided."""
    symbols = sorted(simplified.free_symbols, key=str)
    unevaluated = False
    for _ in range(_SPOT_CHECKS):
        point = {s: _sample(s, rng) for s in symbols}
        witness = {str(s): str(v) for s, v in point.items()}
        value = _elementwise(simplified.xreplace(point), lambda e: sp.N(e, 50))
        entries = list(value) if isinstance(value, sp.MatrixBase) else [value]
        numbers = [_spot_value(e) for e in entries]
        # NaN compares False with everything: test for it first, or NaN would pass as 0. (A
        # huge finite value may overflow complex() to inf: that is a witness, not a break.)
        if _has_non_finite(value) or any(z is not None and cmath.isnan(z) for z in numbers):
            return ResidualCheck("nonfinite", simplified,
                                 "expand + simplify, then a spot check gave a non-finite value",
                                 witness)
        if any(z is not None and abs(z) > _SPOT_TOL for z in numbers):
            return ResidualCheck("nonzero", simplified,
                                 "expand + simplify, then a spot check at a random point",
                                 witness)
        unevaluated = unevaluated or any(z is None for z in numbers)
    if unevaluated:
        return ResidualCheck("undecided", simplified,
                             f"not simplified to 0; not a number at {_SPOT_CHECKS} random "
                             "points")
    return ResidualCheck("undecided", simplified,
                         f"not simplified to 0; zero at {_SPOT_CHECKS} random points")


@dataclasses.dataclass
class Derivation:
    """A claim, derived symbolically.

    Parameters
    ----------
    statement : str
        What is derived, in one line.
    residual : sympy expression, Matrix or matrix expression
        Zero exactly when the statement holds (e.g. ``lhs - rhs``).
    assumptions : sequence of str
        The conditions the derivation relies on, in words (symbol assumptions are also
        declared on the symbols themselves).
    closed_form : sympy expression or Matrix, optional
        The claim's closed form, for the numeric side to lambdify (:func:`lambdify_torch`).
    closed_form_symbols : sequence of sympy symbols, optional
        The arguments of ``closed_form``, in call order.
    """

    statement: str
    residual: Residual
    assumptions: Sequence[str] = ()
    closed_form: Any = None
    closed_form_symbols: Sequence[sp.Symbol] = ()

    def check(self) -> ResidualCheck:
        """Decide whether the residual is zero (cached: simplification can be slow)."""
        cached = self.__dict__.get("_check")
        if cached is None:
            cached = self.__dict__["_check"] = check_residual(self.residual)
        return cached

    @property
    def holds(self) -> bool:
        """True when the residual simplifies to zero (``expand``, then ``simplify``)."""
        return self.check().holds

    def closed_form_torch(self) -> Callable[..., Any]:
        """The closed form as a torch function of ``closed_form_symbols``."""
        if self.closed_form is None:
            raise ValueError(f"{self.statement!r} has no closed form")
        return lambdify_torch(self.closed_form, self.closed_form_symbols)


def symbolic_matrix(name: str, n: int, k: int, **assumptions: bool) -> sp.Matrix:
    """An explicit n x k matrix of distinct symbols ``name_i_j``.

    Examples
    --------
    >>> symbolic_matrix("z", 2, 1, real=True)
    Matrix([
    [z_0_0],
    [z_1_0]])
    """
    return sp.Matrix(n, k, lambda i, j: sp.Symbol(f"{name}_{i}_{j}", **assumptions))


def symmetric_relation(name: str, n: int, pattern: Sequence[Sequence[int]] | None = None,
                       *, binary: bool = False) -> sp.Matrix:
    """A symmetric n x n relation with zero diagonal (BL22's G), entries ``name_i_j`` (i < j).

    Parameters
    ----------
    name : str
        Symbol prefix.
    n : int
        Size.
    pattern : n x n 0/1 nested sequence, optional
        Which pairs may be related (symmetric, zero diagonal); default: all pairs.
    binary : bool, default=False
        Put the literal 1 where ``pattern`` has a 1, instead of a (nonnegative) symbol.

    Examples
    --------
    >>> symmetric_relation("g", 3)
    Matrix([
    [    0, g_0_1, g_0_2],
    [g_0_1,     0, g_1_2],
    [g_0_2, g_1_2,     0]])
    """
    if pattern is not None:
        pat = sp.Matrix(pattern)
        if pat.shape != (n, n) or pat != pat.T or any(pat[i, i] for i in range(n)) or any(
                v not in (0, 1) for v in pat):
            raise ValueError("pattern must be a symmetric n x n 0/1 matrix with zero diagonal")

    def entry(i: int, j: int) -> sp.Expr:
        if i == j or (pattern is not None and not pattern[i][j]):
            return sp.Integer(0)
        if binary:
            return sp.Integer(1)
        a, b = min(i, j), max(i, j)
        return sp.Symbol(f"{name}_{a}_{b}", nonnegative=True)

    return sp.Matrix(n, n, entry)


def matrix_identity(lhs: Any, rhs: Any, statement: str,
                    sizes: Mapping[sp.Symbol, Iterable[int]] | None = None,
                    assumptions: Sequence[str] = (), *,
                    symbolic_size: bool = True) -> list[Derivation]:
    """Derivations of a ``MatrixSymbol`` identity ``lhs == rhs``.

    The identity is checked at symbolic size (``lhs - rhs`` must simplify to zero, which
    sympy manages for identities of its matrix algebra such as ``(A B)^T = B^T A^T``) and,
    because sympy's matrix simplification is incomplete (it cannot cycle a trace), with every
    ``MatrixSymbol`` made explicit at each of the given concrete ``sizes``
    (e.g. ``{n: [1, 2, 3]}``).

    Parameters
    ----------
    symbolic_size : bool, default=True
        Include the symbolic-size derivation. Pass False for identities sympy's matrix
        algebra cannot simplify; the explicit sizes then carry the check.

    Returns
    -------
    list of Derivation
        The symbolic-size derivation first (if asked for), then one per concrete size.
    """
    residual = lhs - rhs
    out = [Derivation(statement, residual, assumptions)] if symbolic_size else []
    size_symbols = list(sizes or {})
    combos: list[dict[sp.Symbol, int]] = [{}]
    for s in size_symbols:
        combos = [{**c, s: v} for c in combos for v in sizes[s]]
    for combo in combos:
        if not combo:
            continue
        explicit = {m: sp.Matrix(*[int(sp.sympify(d).xreplace(combo)) for d in m.shape],
                                 lambda i, j, m=m: sp.Symbol(f"{m.name}_{i}_{j}", real=True))
                    for m in residual.atoms(sp.MatrixSymbol)}
        concrete = residual.xreplace(combo).xreplace(
            {sp.MatrixSymbol(m.name, *[sp.sympify(d).xreplace(combo) for d in m.shape]): v
             for m, v in explicit.items()})
        label = ", ".join(f"{k}={v}" for k, v in combo.items())
        out.append(Derivation(f"{statement} ({label})", _explicit(concrete), assumptions))
    return out


def lambdify_torch(expr: Any, symbols: Sequence[sp.Symbol]) -> Callable[..., Any]:
    """Turn a sympy closed form into a torch function of ``symbols`` (in that order).

    A closed form is written once, symbolically, and reaches the numeric side only through
    this function, never as a second hand-typed formula. Scalars map to sympy's torch printer;
    an explicit Matrix becomes a function returning a stacked tensor of the same shape.

    Examples
    --------
    >>> import torch
    >>> x = sp.Symbol("x")
    >>> f = lambdify_torch(sp.exp(x) - 1, [x])
    >>> float(f(torch.tensor(0.0, dtype=torch.float64)))
    0.0
    """
    import torch

    if isinstance(expr, sp.MatrixBase):
        rows, cols = expr.shape
        entries = [lambdify_torch(e, symbols) for e in expr]

        def matrix_fn(*args: Any) -> torch.Tensor:
            values = [torch.as_tensor(f(*args), dtype=torch.float64) for f in entries]
            flat = torch.stack(torch.broadcast_tensors(*values), dim=-1)
            return flat.reshape(*flat.shape[:-1], rows, cols)

        return matrix_fn
    return sp.lambdify(list(symbols), expr, modules=[_EXTREMA, "torch"], printer=_torch_printer())


def _elementwise_extremum(op_name: str) -> Callable[..., Any]:
    """n-ary elementwise maximum / minimum accepting Python numbers and tensors."""

    def extremum(*args: Any) -> Any:
        import torch

        op = getattr(torch, op_name)
        tensors = [torch.as_tensor(a, dtype=torch.float64) for a in args]
        out = tensors[0]
        for t in tensors[1:]:
            out = op(out, t)
        return out

    return extremum


_EXTREMA = {"_maximum": _elementwise_extremum("maximum"),
            "_minimum": _elementwise_extremum("minimum")}


def _torch_printer() -> Any:
    """sympy's torch printer, except that Max / Min become the elementwise ``_maximum`` /
    ``_minimum`` above: the stock printer emits the reducing ``torch.max(1, x)``, which torch
    rejects, so closed forms such as t = min(1, a / lam) would not lambdify."""
    from sympy.printing.pytorch import TorchPrinter

    class _Printer(TorchPrinter):
        def _print_Max(self, expr: sp.Max) -> str:
            return f"_maximum({', '.join(self._print(a) for a in expr.args)})"

        def _print_Min(self, expr: sp.Min) -> str:
            return f"_minimum({', '.join(self._print(a) for a in expr.args)})"

    return _Printer()
