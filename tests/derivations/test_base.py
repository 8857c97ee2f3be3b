"""derivations.base, in the sympy style: small exact cases, bare asserts."""

from __future__ import annotations

import pytest
import sympy as sp
import torch

from derivations.base import (
    Derivation,
    check_residual,
    lambdify_torch,
    matrix_identity,
    symbolic_matrix,
    symmetric_relation,
)

x, y = sp.symbols("x y", real=True)
p = sp.Symbol("p", positive=True)


def test_check_residual_zero_by_expand():
    check = check_residual((x + y) ** 2 - x**2 - 2 * x * y - y**2)
    assert check.status == "zero"
    assert check.method == "doit + expand"


def test_check_residual_zero_needs_simplify():
    assert check_residual(sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1).method == (
        "doit + expand + simplify")


def test_check_residual_nonzero_gives_a_witness():
    check = check_residual((x + 1) ** 2 - x**2 - 1)
    assert check.status == "nonzero"
    assert sp.sympify(check.witness["x"]) != 0


def test_spot_check_respects_assumptions():
    # sqrt(p^2) - p is zero for positive p: a negative sample would wrongly disprove it.
    assert check_residual(sp.sqrt(p**2) - p).holds


def test_check_residual_undecided_is_not_holds():
    q = sp.Symbol("q", positive=True)
    # True for q > 0, but not simplified to 0 by sympy; spot checks all vanish.
    residual = sp.log(q**2) - 2 * sp.log(q)
    check = check_residual(residual)
    assert check.status in ("zero", "undecided")
    assert check.holds is (check.status == "zero")


class _NaNAtAnyPoint(sp.Function):
    """An expression sympy cannot simplify whose numeric value is NaN (a broken derivation)."""

    def _eval_evalf(self, prec):
        return sp.nan


def test_check_residual_non_finite_is_broken_not_nonzero():
    nan = check_residual(sp.nan * x)
    assert (nan.status, nan.method) == ("nonfinite", "doit + expand left nan, zoo or oo")
    assert check_residual(x / (y - y)).status == "nonfinite"  # zoo
    assert check_residual(sp.Matrix([[0, sp.oo]])).status == "nonfinite"
    check = check_residual(_NaNAtAnyPoint(x))
    assert (check.status, check.broken, check.refuted) == ("nonfinite", True, False)
    assert set(check.witness) == {"x"}


def test_check_residual_pole_at_the_spot_check_is_broken():
    n = sp.Symbol("n", integer=True, nonnegative=True)  # sampled in 0..9: always a pole
    check = check_residual(1 / sp.prod([n - j for j in range(10)]))
    assert check.status == "nonfinite"


def test_check_residual_infinite_bound_is_not_a_value():
    k = sp.Symbol("k", integer=True, positive=True)
    assert check_residual(sp.Sum(1 / k**2, (k, 1, sp.oo)) - sp.pi**2 / 6).holds
    unevaluated = check_residual(sp.Sum(sp.Function("f")(k), (k, 1, sp.oo)))
    assert unevaluated.status == "undecided"
    # Nor is an oo in a condition (finite values on both branches).
    piecewise = sp.Piecewise((x - 1, sp.Contains(x, sp.Interval(1, sp.oo))), (x + 1, True))
    assert check_residual(piecewise).status == "nonzero"


def test_check_residual_huge_finite_value_is_a_witness():
    check = check_residual(sp.exp(100 * p))  # exp(100 p) overflows a complex: still finite
    assert (check.status, check.refuted) == ("nonzero", True)


def test_check_residual_without_a_number_is_undecided():
    check = check_residual(sp.Function("f")(x))
    assert (check.status, check.refuted) == ("undecided", False)
    assert check.method == "not simplified to 0; not a number at 3 random points"


def test_check_residual_vanishing_at_every_spot_check_is_undecided():
    # A function sympy cannot simplify but that evaluates to 0 at every point (as a true
    # identity sympy fails to prove does): not a refutation, not a proof.
    class _ZeroValued(sp.Function):
        def _eval_evalf(self, prec):
            return sp.Float(0, prec)

    check = check_residual(_ZeroValued(x))
    assert (check.status, check.holds, check.refuted) == ("undecided", False, False)
    assert check.method == "not simplified to 0; zero at 3 random points"


def test_matrix_residual():
    Z = symbolic_matrix("z", 2, 2, real=True)
    assert check_residual((Z * Z.T).T - Z * Z.T).holds
    assert not check_residual(Z * Z.T - Z.T * Z).holds
    # One vanishing entry does not make the matrix zero.
    assert check_residual(sp.Matrix([[0, x - 1]])).status == "nonzero"


def test_symbolic_matrix_names_and_assumptions():
    Z = symbolic_matrix("z", 2, 3, real=True)
    assert Z.shape == (2, 3)
    assert Z[1, 2] == sp.Symbol("z_1_2", real=True)


def test_symmetric_relation():
    G = symmetric_relation("g", 3)
    assert G == G.T
    assert all(G[i, i] == 0 for i in range(3))
    assert G[0, 2].is_nonnegative
    path = symmetric_relation("g", 3, [[0, 1, 0], [1, 0, 1], [0, 1, 0]], binary=True)
    assert path == sp.Matrix([[0, 1, 0], [1, 0, 1], [0, 1, 0]])


def test_symmetric_relation_rejects_bad_pattern():
    with pytest.raises(ValueError, match="symmetric"):
        symmetric_relation("g", 2, [[0, 1], [0, 0]])


def test_matrix_identity_symbolic_and_explicit_sizes():
    n, k = sp.symbols("n k", integer=True, positive=True)
    Z, L = sp.MatrixSymbol("Z", n, k), sp.MatrixSymbol("L", n, n)
    transpose = matrix_identity((Z.T * L * Z).T, Z.T * L.T * Z, "transpose", sizes={n: [2]})
    assert [d.holds for d in transpose] == [True, True]
    cyclic = matrix_identity(sp.Trace(Z.T * L * Z), sp.Trace(L * Z * Z.T), "cyclic",
                             sizes={n: [1, 3], k: [2]}, symbolic_size=False)
    assert [d.statement for d in cyclic] == ["cyclic (n=1, k=2)", "cyclic (n=3, k=2)"]
    assert all(d.holds for d in cyclic)
    wrong = matrix_identity(sp.Trace(Z.T * L * Z), sp.Trace(Z * Z.T), "wrong",
                            sizes={n: [2], k: [1]}, symbolic_size=False)
    assert [d.check().status for d in wrong] == ["nonzero"]


def test_lambdify_torch_scalar_and_matrix():
    f = lambdify_torch(sp.exp(x) * y, [x, y])
    t = torch.tensor([0.0, 1.0], dtype=torch.float64)
    assert torch.allclose(f(t, 2 * t), torch.tensor([0.0, 2 * torch.e], dtype=torch.float64))
    m = lambdify_torch(sp.Matrix([[x, 1], [0, x * y]]), [x, y])
    assert m(torch.tensor(3.0), torch.tensor(2.0)).tolist() == [[3.0, 1.0], [0.0, 6.0]]


def test_lambdify_torch_max_min_are_elementwise():
    # e.g. the closed form t = min(1, a / lam) and a positive part max(x, 0)
    t = lambdify_torch(sp.Min(1, x / y), [x, y])
    assert t(torch.tensor([1.0, 4.0]), torch.tensor([2.0, 2.0])).tolist() == [0.5, 1.0]
    relu = lambdify_torch(sp.Max(x, 0), [x])
    assert relu(torch.tensor([-1.0, 3.0])).tolist() == [0.0, 3.0]


def test_lambdify_torch_matrix_symbols():
    n = sp.Symbol("n", integer=True, positive=True)
    Z = sp.MatrixSymbol("Z", n, 2)
    f = lambdify_torch(sp.Trace(Z.T * Z), [Z])
    Zt = torch.arange(6.0).reshape(3, 2)
    assert float(f(Zt)) == float((Zt**2).sum())


def test_derivation_closed_form():
    d = Derivation("square", x**2 - x * x, closed_form=2 * x, closed_form_symbols=[x])
    assert d.holds
    assert float(d.closed_form_torch()(torch.tensor(1.5))) == 3.0
    with pytest.raises(ValueError, match="no closed form"):
        Derivation("none", x - x).closed_form_torch()
