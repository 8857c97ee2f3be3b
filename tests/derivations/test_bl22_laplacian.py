"""Exact checks of derivations.bl22.laplacian (BL22-C1: VICReg -> Laplacian Eigenmaps)."""

from __future__ import annotations

import pytest
import sympy as sp

from derivations.bl22 import laplacian as lp


@pytest.mark.parametrize("derivation", lp.subspace_derivations(), ids=lambda d: d.statement)
def test_subspace_steps_hold(derivation):
    assert derivation.check().status == "zero"


@pytest.mark.parametrize("n", [3, 4])
def test_eigenmaps_centring_multiplier_vanishes(n):
    assert lp.eigenmaps_multiplier(n).holds


def test_regular_pencil_is_zero_exactly_for_regular_graphs():
    ring = [[int(abs(i - j) in (1, 5)) for j in range(6)] for i in range(6)]
    path = [[int(abs(i - j) == 1) for j in range(3)] for i in range(3)]
    assert lp.regular_pencil(ring).holds
    check = lp.regular_pencil(path).check()
    assert check.status == "nonzero"
    assert check.witness is not None


@pytest.mark.parametrize("m", [2, 3, 5])
def test_clique_eigenpairs(m):
    derivations = lp.clique_eigenpairs(m)
    assert len(derivations) == 2 * (m - 1)
    assert all(d.holds for d in derivations)


def test_clique_closed_forms_order_cliques_oppositely():
    assert all(d.holds for d in lp.clique_order())
    lam_l = sp.lambdify(lp.CLIQUE_SIZE, lp.CLIQUE_LAPLACIAN_EIGENVALUE)
    lam_le = sp.lambdify(lp.CLIQUE_SIZE, lp.CLIQUE_EIGENMAPS_EIGENVALUE)
    assert lam_l(2) < lam_l(3)
    assert lam_le(2) > lam_le(3)
    assert lam_le(3) == pytest.approx(1.5)


def test_two_cliques_counterexample_is_exact():
    assert all(d.holds for d in lp.two_cliques_counterexample())


def test_two_cliques_counterexample_residual_detects_a_wrong_spectrum():
    # The same residual with the spectra swapped (L's eigenvalue 2 replaced by 3/2) is nonzero.
    x = sp.Symbol("x")
    L = sp.Matrix([[1, -1, 0, 0, 0], [-1, 1, 0, 0, 0], [0, 0, 2, -1, -1], [0, 0, -1, 2, -1],
                   [0, 0, -1, -1, 2]])
    wrong = (x * sp.eye(5) - L).det() - x**2 * (x - sp.Rational(3, 2)) ** 2 * (x - 2)
    assert sp.expand(wrong) != 0


@pytest.mark.parametrize(("n_samples", "k"), [(2, 1), (2, 2), (3, 1)])
def test_two_branch_invariance_is_the_dirichlet_energy(n_samples, k):
    assert lp.two_branch_invariance(n_samples, k).holds


def test_view_invariant_embeddings_are_in_the_null_space():
    assert lp.view_invariant_null(3, 2).holds


def test_rearrangement_certificate_needs_equal_sums():
    # Without the constraint sum q = sum p the Abel identity is false: substituting a free
    # q_{n-1} back in leaves a nonzero residual.
    derivation = lp.rearrangement_certificate(3)
    q_last = sp.Symbol("q_last", real=True)
    lam = sp.symbols("lambda_0:3", real=True)
    p = sp.symbols("p_0:3", real=True)
    q = sp.symbols("q_0:2", real=True)
    assert derivation.holds
    lhs = sum(lam[i] * ((*q, q_last)[i] - p[i]) for i in range(3))
    rhs = sum((lam[k + 1] - lam[k]) * (sum(p[: k + 1]) - sum((*q, q_last)[: k + 1]))
              for k in range(2))
    assert sp.expand(lhs - rhs) != 0


@pytest.mark.parametrize("scale", [sp.Rational(1, 2), sp.Integer(1)])
def test_codebase_optima_are_view_invariant(scale):
    assert lp.view_invariant_optimum(2, 2, scale).check().status == "zero"


def test_pooled_statistics_break_the_midpoint_identity():
    # The paper's pooled VICReg takes variance and covariance over both branches at once: the
    # midpoint identity, and with it the view-invariance argument, fails (witness point).
    from derivations.base import check_residual, symbolic_matrix

    za, zb = symbolic_matrix("a", 2, 1, real=True), symbolic_matrix("b", 2, 1, real=True)
    sim = sp.Symbol("sim_coeff", positive=True)
    mse = sum((za[i, 0] - zb[i, 0]) ** 2 for i in range(2)) / 2

    def pooled(x, y):
        cov = sp.Symbol("cov_coeff", positive=True)
        stacked = x.col_join(y)
        centred = stacked - sp.ones(4, 1) * sum(stacked) / 4
        return sim * sum((x[i, 0] - y[i, 0]) ** 2 for i in range(2)) / 2 + cov * (
            (centred.T * centred)[0] / 3 - 1) ** 2

    residual = pooled(za, zb) - (pooled(za, za) + pooled(zb, zb)) / 2 - sim * mse
    assert check_residual(residual).status == "nonzero"


def test_a_centred_branch_loses_one_rank():
    assert lp.centred_branch_rank(3, 2).holds
    z = sp.Matrix([[1, 2], [3, 5], [4, 1]])
    assert (z - sp.ones(3, 1) * (sp.ones(1, 3) * z) / 3).rank() == 2
