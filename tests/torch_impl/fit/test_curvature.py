"""Tests of torch_impl.fit.curvature and .symmetries: the second-order certificate.

The all-hinge VICReg saddle (issue 12) is accepted by the first-order certificate, detected by
the curvature and escaped to the loss the tilt formula predicts; Lanczos agrees with the dense
projected Hessian; declared symmetries leave their losses unchanged and the quotient removes
exactly their zero modes.
"""

from __future__ import annotations

import pytest
import torch

from tests.torch_impl.fit.data import (
    CPU,
    F64,
    G_VIEWS,
    SADDLE_K,
    SADDLE_N,
    SADDLE_VICREG,
    saddle_point,
    tilt_gain,
)
from torch_impl.fit import (
    FitOptions,
    NotConverged,
    fit_free,
    fit_linear,
    optimality_certificate,
    vicreg_convention_objective,
    vicreg_objective,
)
from torch_impl.fit import curvature as curvature_module
from torch_impl.fit.curvature import lanczos, measure
from torch_impl.fit.symmetries import (
    column_scalings,
    combine,
    right_rotations,
    row_scalings,
    translations,
)
from torch_impl.losses import (
    barlow_twins_loss_from_relation,
    simclr_loss,
    spectral_contrastive_loss,
)
from torch_impl.relations import path_relation
from torch_impl.validation import InvalidInputError

# The objective's kinks are met to kink_tol: a point on them may sit below each hinge by up to
# that much, which costs alpha * kink_tol per column in the loss.
KINK_TOL = FitOptions().kink_tol


def _flat(generators: torch.Tensor) -> torch.Tensor:
    return generators.reshape(generators.shape[0], -1)


# -- symmetries ----------------------------------------------------------------------------------
DECLARED = {
    "vicreg-translations": (lambda: vicreg_objective(G_VIEWS, alpha=25.0, beta=1.0, gamma=1.0),
                            (12, 3), translations),
    "convention-translations": (lambda: vicreg_convention_objective("official", 3),
                                (12, 3), translations),
    "simclr-rotations-rows": (lambda: (lambda Z: simclr_loss(Z, G_VIEWS, tau=0.5)), (12, 3),
                              combine(right_rotations, row_scalings)),
    "spectral-rotations": (lambda: (lambda Z: spectral_contrastive_loss(Z, G_VIEWS)), (12, 3),
                           right_rotations),
    "barlow-column-scalings": (
        lambda: (lambda Z: barlow_twins_loss_from_relation(Z, G_VIEWS, alpha=0.5)), (12, 3),
        column_scalings),
}


def _directional_derivatives(loss_fn, z: torch.Tensor, generators: torch.Tensor):
    """(|g . xi| / (|g| |xi|) for each generator xi, the directional derivatives)."""
    x = z.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(loss_fn(x), x)
    flat = _flat(generators)
    return (flat @ g.reshape(-1)).abs() / (g.norm() * flat.norm(dim=1))


@pytest.mark.parametrize("name", sorted(DECLARED))
def test_declared_symmetries_leave_the_loss_unchanged(name):
    # At seeded random points (not optima) the loss's derivative along every generator is 0 to
    # rounding: a symmetry to first order everywhere, hence along the whole orbit.
    build, shape, symmetries = DECLARED[name]
    loss_fn = build()
    declared = getattr(loss_fn, "symmetries", None)
    if declared is not None:
        assert declared is symmetries
    gen = torch.Generator().manual_seed(3)
    for _ in range(3):
        z = torch.randn(shape, generator=gen, dtype=F64)
        assert float(_directional_derivatives(loss_fn, z, symmetries(z)).max()) <= 1e-12


def test_a_wrong_declaration_is_caught_by_the_same_check():
    # BL22's BarlowTwins normalises its columns without centring them: shifts change it.
    loss_fn = DECLARED["barlow-column-scalings"][0]()
    z = torch.randn(12, 3, generator=torch.Generator().manual_seed(4), dtype=F64)
    assert float(_directional_derivatives(loss_fn, z, translations(z)).max()) > 1e-3


def test_generators_shapes():
    z = torch.randn(5, 3, generator=torch.Generator().manual_seed(0), dtype=F64)
    assert translations(z).shape == (3, 5, 3)
    assert right_rotations(z).shape == (3, 5, 3)
    assert row_scalings(z).shape == (5, 5, 3)
    assert column_scalings(z).shape == (3, 5, 3)
    assert combine(translations, right_rotations)(z).shape == (6, 5, 3)
    with pytest.raises(ValueError, match="z must be 2-D"):
        translations(z[0])
    with pytest.raises(TypeError, match=r"groups\[1\] must be callable"):
        combine(translations, 3)


# -- Lanczos against the dense projected operator -----------------------------------------------
def test_lanczos_equals_dense_eigh_on_a_projected_matrix():
    gen = torch.Generator().manual_seed(1)
    n, q = 40, 5
    A = torch.randn(n, n, generator=gen, dtype=F64)
    A = (A + A.T) / 2
    R = torch.linalg.qr(torch.randn(n, q, generator=gen, dtype=F64))[0]
    B = torch.linalg.qr(torch.cat([R, torch.eye(n, dtype=F64)], 1))[0][:, q:]
    dense = torch.linalg.eigvalsh(B.T @ A @ B)

    def project(v):
        return v - R @ (R.T @ v)

    start = torch.randn(n, generator=gen, dtype=F64)
    theta, vector, scale = lanczos(lambda v: A @ v, start, n, project)
    assert theta == pytest.approx(float(dense[0]), rel=1e-10)
    assert scale == pytest.approx(float(dense.abs().max()), rel=1e-10)
    assert float((R.T @ vector).abs().max()) <= 1e-12  # stays in the projected space
    residual = project(A @ vector) - theta * vector
    assert float(residual.norm()) <= 1e-8 * scale


def test_measure_lanczos_equals_dense_on_a_hessian(monkeypatch):
    # A SimCLR Hessian modulo its rotations and row scalings at a random point, n = 36.
    def loss_fn(Z):
        return simclr_loss(Z, G_VIEWS, tau=0.5)

    z = torch.randn(12, 3, generator=torch.Generator().manual_seed(5), dtype=F64)
    symmetries = combine(right_rotations, row_scalings)
    dense, _ = measure(loss_fn, z, _flat(symmetries(z)), tolerance=1e-9, lanczos_steps=200)
    monkeypatch.setattr(curvature_module, "_DENSE_MAX_DIM", 0)
    iterative, vector = measure(loss_fn, z, _flat(symmetries(z)), tolerance=1e-9,
                                lanczos_steps=200)
    assert (dense.method, iterative.method) == ("dense", "lanczos")
    assert dense.dimension == iterative.dimension == 36 - 3 - 12
    assert iterative.min_eig == pytest.approx(dense.min_eig, rel=1e-8)
    assert iterative.scale == pytest.approx(dense.scale, rel=1e-8)
    assert float((_flat(symmetries(z)) @ vector.reshape(-1)).abs().max()) <= 1e-10


# -- the quotient removes exactly the symmetries' zero modes -----------------------------------
def test_quotient_makes_a_minimum_modulo_rotations_strict():
    # Spectral contrastive loss on the path graph (distinct eigenvalues of G): its minimisers
    # are U_K diag(sqrt(sigma)) R, R orthogonal, so the only zero modes are the K(K-1)/2
    # rotations. Declared, the smallest eigenvalue is positive; undeclared, it is 0.
    G = path_relation(8)
    k = 3

    def loss_fn(Z):
        return spectral_contrastive_loss(Z, G)

    sigma, U = torch.linalg.eigh(G.to(F64))
    z = U[:, -k:] * sigma[-k:].sqrt()
    _, certificate, _ = optimality_certificate(loss_fn, z)
    assert certificate <= 1e-12
    strict, _ = measure(loss_fn, z, _flat(right_rotations(z)), tolerance=1e-9,
                        lanczos_steps=200)
    plain, _ = measure(loss_fn, z, z.new_zeros(0, z.numel()), tolerance=1e-9,
                       lanczos_steps=200)
    assert strict.dimension == plain.dimension - k * (k - 1) // 2
    assert strict.relative >= 1e-3
    assert abs(plain.relative) <= 1e-12


def test_fit_linear_pulls_symmetries_back_to_w():
    # W (D, K) with D = 6 features of rank 4: the null space of X gives (D - 4) K directions
    # that leave Z = X W unchanged; rotations of Z pull back to rotations of W.
    gen = torch.Generator().manual_seed(6)
    X = torch.randn(12, 4, generator=gen, dtype=F64) @ torch.randn(4, 6, generator=gen, dtype=F64)
    k = 2
    result = fit_linear(lambda Z: spectral_contrastive_loss(Z, G_VIEWS), X, k, restarts=1,
                        symmetries=right_rotations, **CPU)
    assert result.converged, result.status
    assert result.curvature.dimension == 6 * k - (6 - 4) * k - k * (k - 1) // 2
    assert result.min_tangent_eig > 0


# -- the all-hinge VICReg saddle ---------------------------------------------------------------
def test_all_hinge_vicreg_saddle_is_detected_escaped_and_refitted():
    G, z, lambdas = saddle_point()
    objective = vicreg_objective(G, **SADDLE_VICREG)
    loss, certificate, criterion = optimality_certificate(objective, z)
    # First order: a certified stationary point, which a fit without curvature keeps.
    assert criterion == "min-norm-subgradient"
    assert certificate <= 1e-12
    first_order = fit_free(objective, (SADDLE_N, SADDLE_K), init=z, restarts=1,
                           curvature=False, **CPU)
    assert first_order.converged
    assert first_order.loss == pytest.approx(loss, rel=1e-10)  # it stays at the saddle
    # Second order: negative curvature on the kinks' tangent space modulo translations
    # (2 N parameters, 2 kinks, 2 translations).
    found, direction = measure(objective, z, _flat(translations(z)), tolerance=1e-9,
                               lanczos_steps=200)
    assert found.dimension == SADDLE_N * SADDLE_K - 2 - 2
    assert found.saddle
    assert found.relative < -1e-8
    # Escape and refit: the loss the tilt formula predicts, up to the hinges' kink tolerance.
    result = fit_free(objective, (SADDLE_N, SADDLE_K), init=z, restarts=1, **CPU)
    assert result.converged, result.status
    assert result.curvature.escapes == 1
    assert not result.curvature.saddle
    assert result.min_tangent_eig > 0
    assert "escaped a saddle" in result.status
    gain = loss - result.loss
    assert gain == pytest.approx(tilt_gain(lambdas), abs=SADDLE_VICREG["alpha"] * SADDLE_K
                                 * KINK_TOL)
    assert gain > 0.99 * tilt_gain(lambdas)
    assert len(result.restart_losses) == 2


def test_a_saddle_left_in_place_is_not_converged():
    G, z, _ = saddle_point()
    objective = vicreg_objective(G, **SADDLE_VICREG)
    result = fit_free(objective, (SADDLE_N, SADDLE_K), init=z, restarts=1, max_escapes=0,
                      **CPU)
    assert not result.converged
    assert result.curvature.saddle
    with pytest.raises(NotConverged, match=r"saddle after 0 escapes.*min tangent Hessian "
                                           r"eigenvalue -"):
        result.require_converged()


def test_escape_of_a_smooth_saddle():
    # (x^2 - 1)^2 + (y^2 - 1)^2 at (1, 0): gradient exactly 0, Hessian diag(8, -4).
    def wells(Z):
        return (Z.square() - 1).square().sum()

    result = fit_free(wells, (2,), init=torch.tensor([1.0, 0.0], dtype=F64), restarts=1, **CPU)
    assert result.converged, result.status
    assert result.loss <= 1e-20
    assert result.curvature.escapes == 1
    assert result.curvature.min_eig == pytest.approx(8.0, rel=1e-8)


def test_curvature_off_and_options():
    result = fit_free(lambda Z: Z.square().sum(), (3,), restarts=1, curvature=False, **CPU)
    assert result.curvature is None
    assert result.min_tangent_eig != result.min_tangent_eig  # NaN
    on = fit_free(lambda Z: Z.square().sum(), (3,), restarts=1, **CPU)
    assert on.curvature.method == "dense"
    assert on.curvature.min_eig == pytest.approx(2.0, rel=1e-12)
    assert on.min_tangent_eig == pytest.approx(1.0, rel=1e-12)
    with pytest.raises(InvalidInputError, match="curvature_tol"):
        FitOptions(curvature_tol=-1.0)
    with pytest.raises(InvalidInputError, match="max_escapes"):
        FitOptions(max_escapes=-1)
    with pytest.raises(TypeError, match="symmetries must be callable"):
        FitOptions(symmetries=3)
    with pytest.raises(TypeError, match="curvature must be a bool"):
        FitOptions(curvature=1)


def test_measure_rejects_generators_of_another_shape():
    z = torch.zeros(4, 2, dtype=F64)
    with pytest.raises(InvalidInputError, match=r"generators must have shape \(r, 8\)"):
        measure(lambda Z: Z.square().sum(), z, torch.zeros(1, 7, dtype=F64), tolerance=1e-9,
                lanczos_steps=10)


def test_zero_modes_coupled_by_a_small_gradient_are_not_a_saddle(monkeypatch):
    # SimCLR at tau = 0.1 on a views graph, symmetries not declared: its loss (~7e-6) and
    # Hessian scale (~3e-4) are tiny, and the certified point's gradient (~2e-12) couples the
    # row-scaling zero modes into an eigenvalue pair +-9e-13, a relative -3e-9 beyond
    # curvature_tol. That is the point's resolution (||g|| / row length), not a saddle.
    from torch_impl.fit import stages
    from torch_impl.relations import views_relation

    G = views_relation(3, 2)

    def fit():
        return fit_free(lambda Z: simclr_loss(Z, G, tau=0.1), (6, 2), seed=0, restarts=2,
                        max_iter=3000, normalise=lambda Z: torch.nn.functional.normalize(Z, dim=1),
                        **CPU)

    result = fit()
    assert result.converged, result.status
    assert result.curvature.min_eig < 0
    assert result.curvature.relative < -FitOptions().curvature_tol
    assert not result.curvature.saddle
    assert not result.curvature.unresolved
    # Without the floor the pair reads as negative curvature beyond the tolerance, which only
    # the escape's failure (nothing lower along it) puts down to resolution.
    monkeypatch.setattr(stages, "_unresolved_curvature", lambda result, p: 0.0)
    assert fit().curvature.unresolved


def test_a_quartic_minimum_whose_hessian_is_rounding_is_not_a_saddle():
    # BarlowTwins (BL22 Sec. 2.4) at a zero-loss optimum with K = 1: the correlation is at its
    # maximum 1, so the loss is quartic and the computed Hessian is rounding (largest |eig|
    # ~1e-19). Its asymmetry shows that, and no sign is read into it.
    from torch_impl.fit.symmetries import column_scalings
    from torch_impl.losses import barlow_twins_loss_from_relation
    from torch_impl.relations import class_relation

    G = class_relation((2, 3))
    z = torch.tensor([[1.0], [1.0], [-0.7], [-0.7], [-0.7]], dtype=torch.float64)

    def loss(q):
        return barlow_twins_loss_from_relation(q, G, alpha=0.1)

    assert float(loss(z)) == 0.0
    result, _ = measure(loss, z, column_scalings(z).reshape(1, -1), tolerance=1e-9,
                        lanczos_steps=50)
    assert not result.saddle, result.describe()
    assert abs(result.min_eig) <= 1e-12


# -- negative curvature the loss does not resolve ----------------------------------------------
def _quartic_valley(depth: float):
    """1 + x^2 + y^4 - depth y^2 / 2 at the origin: gradient 0, Hessian diag(2, -depth); the
    dip along y is depth^2 / 16, below the loss's resolution (1e-12) for depth <= 1e-6."""
    def loss(Z):
        return 1 + Z[0].square() + Z[1].pow(4) - depth * Z[1].square() / 2
    return loss


def test_negative_curvature_below_the_loss_resolution_is_recorded_not_escaped():
    result = fit_free(_quartic_valley(1e-8), (2,), init=torch.zeros(2, dtype=F64), restarts=1,
                      **CPU)
    assert result.converged, result.status
    assert result.curvature.relative == pytest.approx(-0.5e-8, rel=1e-6)
    assert result.curvature.unresolved
    assert not result.curvature.saddle
    assert result.curvature.descent is False
    assert result.curvature.escapes == 0
    assert "below the loss's resolution" in result.status
    assert "no lower loss along its eigenvector" in result.curvature.describe()


def test_resolved_negative_curvature_is_escaped():
    # depth 1e-2: dip 6e-6, resolved, so the same valley is a saddle and is left.
    result = fit_free(_quartic_valley(1e-2), (2,), init=torch.zeros(2, dtype=F64), restarts=1,
                      **CPU)
    assert result.converged, result.status
    assert result.curvature.escapes == 1
    assert result.min_tangent_eig > 0
    assert result.loss == pytest.approx(1 - 1e-4 / 16, abs=1e-12)


def test_large_negative_curvature_the_loss_contradicts_is_not_converged(monkeypatch):
    # The wells' saddle (Hessian -4 along y, relative -0.5) with an escape that finds nothing:
    # a Hessian contradicted at that size is not trusted.
    from torch_impl.fit import stages

    monkeypatch.setattr(stages.escape, "unchecked", lambda *args: None)
    result = fit_free(lambda Z: (Z.square() - 1).square().sum(), (2,),
                      init=torch.tensor([1.0, 0.0], dtype=F64), restarts=1, **CPU)
    assert not result.converged
    assert "the loss contradicts" in result.status
