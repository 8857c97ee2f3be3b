"""Tests of tests/claims/bl22/protocols/vicreg_closed_form.py (hand-computed values, tiny fits)."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from tests.claims.bl22.protocols import vicreg_closed_form as vcf
from tests.claims.bl22.protocols.settings import GRAD_TOL
from torch_impl.losses import vicreg_loss
from torch_impl.relations import path_relation, ring_relation

F64 = torch.float64
ALPHA = vcf.ALPHA


def _path_lambdas(n: int, k: int) -> torch.Tensor:
    # Laplacian of the path P_n: 2 - 2 cos(pi j / n), j = 0 .. n - 1.
    return torch.tensor([2 - 2 * math.cos(math.pi * j / n) for j in range(1, k + 1)], dtype=F64)


# -- graphs and spectrum -----------------------------------------------------------------------
def test_graphs_are_the_documented_ones():
    G, k = vcf.graph("views4")
    assert (G.shape, k) == ((8, 8), 5)
    G, k = vcf.graph("path8")
    assert (G.shape, k) == ((8, 8), 3)
    assert torch.equal(G, path_relation(8))


def test_graph_rejects_an_unknown_name():
    with pytest.raises(ValueError, match="name must be one of"):
        vcf.graph("ring5")


def test_spectrum_of_the_path_is_its_cosine_formula():
    G, k = vcf.graph("path8")
    spec = vcf.laplacian_spectrum(G, k)
    torch.testing.assert_close(spec.lam, _path_lambdas(8, 3), rtol=0, atol=1e-14)
    assert spec.n_components == 1
    assert spec.used_space.shape == (8, 3)
    assert spec.eigengap == pytest.approx(float(_path_lambdas(8, 4)[3] - _path_lambdas(8, 3)[2]),
                                          abs=1e-14)
    # Unit eigenvectors orthogonal to 1.
    torch.testing.assert_close(spec.basis.T @ spec.basis, torch.eye(3, dtype=F64), rtol=0,
                               atol=1e-14)
    assert float((spec.basis.sum(dim=0)).abs().max()) < 1e-14


def test_spectrum_of_the_views_graph_uses_the_whole_cluster():
    # N' = 4, V = 2: eigenvalue 0 (3 directions besides 1) and 2 (4 directions); K = 5 cuts
    # the cluster at 2, so all 7 directions are used and there is no next eigenvalue.
    G, k = vcf.graph("views4")
    spec = vcf.laplacian_spectrum(G, k)
    torch.testing.assert_close(spec.lam, torch.tensor([0, 0, 0, 2, 2], dtype=F64), rtol=0,
                               atol=1e-14)
    assert spec.used_space.shape == (8, 7)
    assert spec.eigengap == math.inf
    assert spec.n_components == 4


def test_spectrum_rejects_k_outside_the_complement_of_one():
    with pytest.raises(ValueError, match="k must be in"):
        vcf.laplacian_spectrum(path_relation(4), 4)


def test_invariance_factor_by_hand():
    assert vcf.invariance_factor(25.0, 8) == 43.75


# -- predictions -------------------------------------------------------------------------------
def test_decoupled_matches_the_per_column_formula_and_pair_threshold():
    G, k = vcf.graph("path8")
    spec = vcf.laplacian_spectrum(G, k)
    gamma, n = 40.0, 8
    pred = vcf.decoupled(spec, n, alpha=ALPHA, gamma=gamma)
    lam = _path_lambdas(8, 3)
    t = torch.clamp(ALPHA * n / (4 * gamma * lam * (n - 1)), max=1.0)
    torch.testing.assert_close(pred.t, t, rtol=1e-14, atol=0)
    assert float(t[0]) == 1.0
    assert float(t[1]) < 1.0
    c = 2 * gamma * (n - 1) / n
    loss = float((ALPHA * (1 - t) + c * lam * t**2).sum())
    assert pred.loss == pytest.approx(loss, rel=1e-14)
    thresholds = {(i, j): c * float(lam[j] - lam[i]) / (2 * float(t[i] ** 2 - t[j] ** 2))
                  for i, j in itertools.combinations(range(3), 2)}
    pair = max(thresholds, key=thresholds.get)
    assert pred.pair == pair
    assert pred.beta_star == pytest.approx(thresholds[pair], rel=1e-13)


def test_decoupled_threshold_is_infinite_with_two_hinge_columns_of_different_eigenvalues():
    # gamma = 1: t = min(1, 200 / 56) = 1 on lambda = 0 and lambda = 2 alike.
    G, k = vcf.graph("views4")
    pred = vcf.decoupled(vcf.laplacian_spectrum(G, k), 8, alpha=ALPHA, gamma=1.0)
    assert pred.beta_star == math.inf
    assert torch.equal(pred.t, torch.ones(5, dtype=F64))


def test_decoupled_regime_gamma_puts_the_second_level_on_the_hinge_edge():
    G, k = vcf.graph("views4")
    spec = vcf.laplacian_spectrum(G, k)
    gamma = vcf.decoupled_regime_gamma(spec, 8, alpha=ALPHA)
    assert gamma == pytest.approx(ALPHA * 8 / (4 * 2 * 7), rel=1e-14)
    assert float(vcf.decoupled(spec, 8, alpha=ALPHA, gamma=1.01 * gamma).t[-1]) < 1.0


def test_coupled_at_the_customary_weights_by_hand():
    # views graph: 1 - c lambda / 2 = (1, 1, 1, -42.75, -42.75), c = 43.75; projected onto the
    # simplex sum = 5: mu = 5/3 on the three null columns; nu = 2 (5/3 - 1); loss 3 (5/3)^2 - 5.
    G, k = vcf.graph("views4")
    hinge = vcf.coupled(vcf.laplacian_spectrum(G, k), 8, beta=1.0, gamma=25.0)
    # mu carries eigvalsh's rounding of lambda (~ eps ||L||, ||L|| = 4) times c / 2 ~ 22: a few
    # 1e-14, whose last digits differ between CPU kernels; atol is that scale's bound.
    torch.testing.assert_close(hinge.mu, torch.tensor([5 / 3] * 3 + [0.0] * 2, dtype=F64),
                               rtol=0, atol=1e-13)
    assert hinge.kept == 3
    assert hinge.nu == pytest.approx(4 / 3, abs=1e-13)
    assert hinge.loss == pytest.approx(10 / 3, abs=1e-13)


def test_coupled_on_the_path_keeps_one_column():
    G, k = vcf.graph("path8")
    hinge = vcf.coupled(vcf.laplacian_spectrum(G, k), 8, beta=1.0, gamma=25.0)
    lam1 = float(_path_lambdas(8, 1)[0])
    torch.testing.assert_close(hinge.mu, torch.tensor([3.0, 0.0, 0.0], dtype=F64), rtol=0,
                               atol=1e-14)
    assert hinge.nu == pytest.approx(2 * (3 - 1) + 43.75 * lam1, rel=1e-13)
    assert hinge.loss == pytest.approx((9 - 3) + 43.75 * lam1 * 3, rel=1e-13)


@pytest.mark.parametrize("mu", [[5 / 3, 5 / 3, 5 / 3, 0.0, 0.0], [3.0, 0.0, 0.0],
                                [1.5, 1.0, 0.5], [1.0, 1.0]])
def test_unit_diagonal_rotation(mu):
    mu = torch.tensor(mu, dtype=F64)
    Q = vcf.unit_diagonal_rotation(mu)
    k = mu.numel()
    torch.testing.assert_close(Q @ Q.T, torch.eye(k, dtype=F64), rtol=0, atol=1e-14)
    torch.testing.assert_close((Q @ torch.diag(mu) @ Q.T).diagonal(), torch.ones(k, dtype=F64),
                               rtol=0, atol=1e-13)


def test_embedding_has_the_predicted_covariance():
    G, k = vcf.graph("path8")
    spec = vcf.laplacian_spectrum(G, k)
    pred = vcf.decoupled(spec, 8, alpha=ALPHA, gamma=40.0)
    Z = vcf.embedding(spec, 8, pred.t)
    assert float(Z.mean(dim=0).abs().max()) < 1e-14
    torch.testing.assert_close(torch.cov(Z.T), torch.diag(pred.t**2), rtol=0, atol=1e-14)
    hinge = vcf.coupled(spec, 8, beta=3.0, gamma=3.0)
    Zh = vcf.embedding(spec, 8, hinge.mu.sqrt(), unit_diagonal=True)
    torch.testing.assert_close(torch.cov(Zh.T).diagonal(), torch.ones(3, dtype=F64), rtol=0,
                               atol=1e-13)
    torch.testing.assert_close(vcf.centred_spectrum(Zh) ** 2, hinge.mu, rtol=0, atol=1e-13)


def test_predicted_rank_in_each_regime():
    G, k = vcf.graph("views4")
    spec = vcf.laplacian_spectrum(G, k)
    # decoupled regime (beta* = 44.7 at gamma = 25): every column kept.
    assert vcf.predicted_rank(spec, 8, alpha=ALPHA, beta=100.0, gamma=25.0) == 5
    # customary: hinge regime, 3 columns.
    assert vcf.predicted_rank(spec, 8, alpha=ALPHA, beta=1.0, gamma=25.0) == 3
    # beta = 30: below beta*, and the hinge form's nu = c mean(lambda) = 35 > alpha / 2.
    assert vcf.predicted_rank(spec, 8, alpha=ALPHA, beta=30.0, gamma=25.0) is None
    G, k = vcf.graph("path8")
    assert vcf.predicted_rank(vcf.laplacian_spectrum(G, k), 8, alpha=ALPHA, beta=1.0,
                              gamma=25.0) == 1


def test_pair_hessian_matches_its_prediction():
    G, k = vcf.graph("path8")
    spec = vcf.laplacian_spectrum(G, k)
    pred = vcf.decoupled(spec, 8, alpha=ALPHA, gamma=40.0)
    for factor in (0.7, 1.4):
        measured, predicted = vcf.pair_hessian(G, spec, pred, alpha=ALPHA,
                                               beta=factor * pred.beta_star, gamma=40.0)
        torch.testing.assert_close(measured, predicted, rtol=1e-9, atol=1e-9)
    # The determinant changes sign at beta*: a saddle below, a minimum above.
    low, _ = vcf.pair_hessian(G, spec, pred, alpha=ALPHA, beta=0.7 * pred.beta_star, gamma=40.0)
    high, _ = vcf.pair_hessian(G, spec, pred, alpha=ALPHA, beta=1.4 * pred.beta_star, gamma=40.0)
    assert float(torch.linalg.det(low)) < 0 < float(torch.linalg.det(high))


def test_point_certificate_at_the_closed_form_changes_sign_at_beta_star():
    G, k = vcf.graph("path8")
    spec = vcf.laplacian_spectrum(G, k)
    pred = vcf.decoupled(spec, 8, alpha=ALPHA, gamma=40.0)
    z = vcf.embedding(spec, 8, pred.t)
    below, above = (vcf.point_certificate(G, z, alpha=ALPHA, beta=f * pred.beta_star,
                                          gamma=40.0, tolerance=1e-9) for f in (0.7, 1.4))
    for point in (below, above):
        assert point.certificate < 1e-12  # stationary whatever beta (Cov diagonal)
        assert point.direction.shape == (8, k)
        # 8 x 3 entries less the 3 translations and one normal per column on the hinge (t = 1).
        assert point.curvature.dimension == 8 * k - k - int((pred.t == 1).sum())
    assert below.curvature.relative < -1e-3 < 1e-3 < above.curvature.relative
    # The loss is the closed form's sum_k f(t_k).
    assert math.isclose(above.loss, pred.loss, rel_tol=1e-12)


def test_descent_along_follows_the_quadratic_model_below_beta_star_only():
    G, k = vcf.graph("path8")
    spec = vcf.laplacian_spectrum(G, k)
    pred = vcf.decoupled(spec, 8, alpha=ALPHA, gamma=40.0)
    z = vcf.embedding(spec, 8, pred.t)
    for factor, descends in ((0.7, True), (1.4, False)):
        beta = factor * pred.beta_star
        point = vcf.point_certificate(G, z, alpha=ALPHA, beta=beta, gamma=40.0, tolerance=1e-9)
        descent = vcf.descent_along(G, z, point.direction, alpha=ALPHA, beta=beta, gamma=40.0)
        assert descent.steps.shape == descent.decreases.shape
        assert bool((descent.steps[1:] < descent.steps[:-1]).all())
        quadratic = descent.quadratic(point.curvature.min_eig, point.loss)
        # Where the predicted change is well above rounding (1e-9) and the step small (quartic
        # terms ~ s^4 negligible), the measured change is the quadratic model's.
        resolved = quadratic.abs() > 1e-9
        small = descent.steps < 1e-2
        assert bool((resolved & small).any())
        torch.testing.assert_close(descent.decreases[resolved & small],
                                   quadratic[resolved & small], rtol=1e-2, atol=0.0)
        assert (float(descent.decreases.max()) > 1e-9) is descends


# -- comparing an optimum ----------------------------------------------------------------------
def _path_problem():
    G, k = vcf.graph("path8")
    spec = vcf.laplacian_spectrum(G, k)
    pred = vcf.decoupled(spec, 8, alpha=ALPHA, gamma=40.0)
    beta = 2 * pred.beta_star
    return G, spec, pred, beta


def test_decoupled_errors_vanish_at_the_closed_form_and_see_a_scaled_column():
    G, spec, pred, beta = _path_problem()
    Z = vcf.embedding(spec, 8, pred.t)
    loss = float(vicreg_loss(Z, G, alpha=ALPHA, beta=beta, gamma=40.0))
    assert vcf.decoupled_errors(Z, loss, spec, pred).worst < 1e-13
    Z2 = Z.clone()
    Z2[:, 1] *= 1.01
    loss2 = float(vicreg_loss(Z2, G, alpha=ALPHA, beta=beta, gamma=40.0))
    errors = vcf.decoupled_errors(Z2, loss2, spec, pred)
    assert errors.std == pytest.approx(0.01, rel=1e-9)
    assert errors.floor == 0.0
    assert errors.angle < 1e-13
    assert errors.loss > 0


def test_decoupled_errors_floor_on_a_null_column():
    G, k = vcf.graph("views4")
    spec = vcf.laplacian_spectrum(G, k)
    pred = vcf.decoupled(spec, 8, alpha=ALPHA, gamma=25.0)
    Z = vcf.embedding(spec, 8, pred.t)
    Z[:, 0] *= 0.9  # a lambda = 0 column with std 0.9 < 1
    errors = vcf.decoupled_errors(Z, pred.loss, spec, pred)
    assert errors.floor == pytest.approx(0.1, rel=1e-12)
    assert errors.loss == 0.0
    assert errors.std < 1e-13


def test_hinge_errors_vanish_at_the_hinge_form_and_see_a_scaling():
    G, k = vcf.graph("views4")
    spec = vcf.laplacian_spectrum(G, k)
    pred = vcf.coupled(spec, 8, beta=1.0, gamma=25.0)
    Z = vcf.embedding(spec, 8, pred.mu.sqrt(), unit_diagonal=True)
    loss = float(vicreg_loss(Z, G, **vcf.CUSTOMARY))
    assert vcf.hinge_errors(Z, loss, spec, pred).worst < 1e-13
    errors = vcf.hinge_errors(1.1 * Z, loss, spec, pred)
    assert errors.diagonal == pytest.approx(0.21, rel=1e-12)
    assert errors.spectrum == pytest.approx(0.1, rel=1e-12)


def test_rank_and_span_angle():
    G, spec, pred, _ = _path_problem()
    Z = vcf.embedding(spec, 8, pred.t)
    assert vcf.rank(Z) == 3
    assert vcf.rank(Z[:, [0, 0, 1]] + 5.0) == 2
    assert vcf.span_angle(Z, spec) < 1e-14
    outside = torch.zeros(8, 1, dtype=F64)
    outside[0], outside[7] = 1.0, -1.0  # orthogonal to 1, not in the bottom-3 eigenspace
    angle = vcf.span_angle(outside, spec)
    expected = math.acos(float((spec.used_space.T @ outside[:, 0]).norm() / math.sqrt(2)))
    assert angle == pytest.approx(expected, rel=1e-12)


# -- training (tiny problems) ------------------------------------------------------------------
def test_train_reaches_the_closed_form_on_a_four_node_path():
    G = path_relation(4)
    spec = vcf.laplacian_spectrum(G, 1)
    pred = vcf.decoupled(spec, 4, alpha=ALPHA, gamma=40.0)  # t = 0.356: shrunk column
    training = vcf.train(G, 1, alpha=ALPHA, beta=1.0, gamma=40.0, seed=0,
                         starts={"closed form": vcf.embedding(spec, 4, pred.t), "random": None})
    assert training.labels == ("closed form", "random")
    assert training.loss == pytest.approx(pred.loss, rel=1e-10)
    assert training.loss_of("random") == pytest.approx(pred.loss, rel=1e-10)
    assert training.certificate <= GRAD_TOL
    assert training.z.shape == (4, 1)


def test_train_records_the_smallest_curvature_and_runs_where_g_lives():
    G = path_relation(4)
    spec = vcf.laplacian_spectrum(G, 1)
    pred = vcf.decoupled(spec, 4, alpha=ALPHA, gamma=40.0)
    training = vcf.train(G, 1, alpha=ALPHA, beta=1.0, gamma=40.0, seed=0,
                         starts={"closed form": vcf.embedding(spec, 4, pred.t), "random": None})
    assert training.min_tangent_eig == min(f.min_tangent_eig for f in training.fits)
    assert training.min_tangent_eig >= -1e-9  # a minimum, not a saddle
    assert training.z.device == G.device


# -- regimes -----------------------------------------------------------------------------------
def test_closed_form_start_names_the_regime_that_holds():
    G, k = vcf.graph("path8")
    spec = vcf.laplacian_spectrum(G, k)
    dec = vcf.decoupled(spec, 8, alpha=ALPHA, gamma=40.0)
    regime, start = vcf.closed_form_start(spec, 8, alpha=ALPHA, beta=2 * dec.beta_star,
                                          gamma=40.0)
    assert regime == "decoupled"
    torch.testing.assert_close(start, vcf.embedding(spec, 8, dec.t), rtol=0, atol=0)
    # Customary weights on the path: beta = 1 << beta*, nu = 10.7 <= alpha / 2 (hinge form).
    regime, start = vcf.closed_form_start(spec, 8, alpha=ALPHA, beta=1.0, gamma=25.0)
    assert regime == "hinge"
    assert torch.cov(start.T).diagonal().tolist() == pytest.approx([1.0] * k, abs=1e-12)
    # beta far below beta* with nu > alpha / 2: neither form.
    assert vcf.closed_form_start(spec, 8, alpha=1.0, beta=1.0, gamma=25.0) == ("none", None)


def test_collapsed_start_folds_higher_columns_onto_the_lowest_level():
    # Ring C_6, K = 4: lambda = 1, 1, 3, 3; columns 2, 3 (lambda = 3) fold onto u_0, u_1.
    G = ring_relation(6)
    spec = vcf.laplacian_spectrum(G, 4)
    t = torch.tensor([0.45, 0.45, 0.15, 0.15], dtype=F64)
    z = vcf.collapsed_start(spec, 6, t)
    closed = vcf.embedding(spec, 6, t)
    torch.testing.assert_close(z[:, :2], closed[:, :2], rtol=0, atol=0)
    torch.testing.assert_close(z[:, 2], math.sqrt(5) * 0.15 * spec.basis[:, 0], rtol=0,
                               atol=1e-15)
    torch.testing.assert_close(z[:, 3], math.sqrt(5) * 0.15 * spec.basis[:, 1], rtol=0,
                               atol=1e-15)
    # Rank 2: the folded columns share the lower ones' directions.
    assert vcf.rank(z) == 2


def test_decoupled_regime_weights_sit_at_rho_times_the_threshold():
    G, k = vcf.graph("path8")
    spec = vcf.laplacian_spectrum(G, k)
    alpha, beta, gamma = vcf.decoupled_regime_weights(spec, 8, gamma_factor=2.0, rho=1.5)
    assert alpha == ALPHA
    assert gamma == pytest.approx(2.0 * vcf.decoupled_regime_gamma(spec, 8, alpha=ALPHA),
                                  rel=1e-15)
    assert beta == pytest.approx(1.5 * vcf.decoupled(spec, 8, alpha=ALPHA,
                                                     gamma=gamma).beta_star, rel=1e-15)
    # One eigenvalue level (views graph, K = 3 in the null space): beta* = 0, beta = rho.
    G, _ = vcf.graph("views4")
    spec = vcf.laplacian_spectrum(G, 3)
    assert vcf.decoupled_regime_weights(spec, 8, gamma_factor=2.0, rho=1.5) == (ALPHA, 1.5, 2.0)


def test_hinge_regime_gamma_is_the_edge_nu_equals_alpha_half():
    G, k = vcf.graph("path8")
    spec = vcf.laplacian_spectrum(G, k)
    edge = vcf.hinge_regime_gamma(spec, 8, alpha=ALPHA, beta=50.0)
    assert vcf.coupled(spec, 8, beta=50.0, gamma=edge).nu == pytest.approx(ALPHA / 2, rel=1e-12)
    assert vcf.coupled(spec, 8, beta=50.0, gamma=1.01 * edge).nu > ALPHA / 2
    # Views graph, beta = 1: the kept columns end in the null space and nu stays below
    # alpha / 2 for every gamma: the search stops at its cap.
    G, k = vcf.graph("views4")
    assert vcf.hinge_regime_gamma(vcf.laplacian_spectrum(G, k), 8, alpha=ALPHA,
                                  beta=1.0) == 1e4


def test_small_problems_run_on_one_thread():
    before = torch.get_num_threads()
    with vcf.small_problem_threads(64 * 64):
        assert torch.get_num_threads() == 1
    with vcf.small_problem_threads(64 * 64 + 1):
        assert torch.get_num_threads() == before
    assert torch.get_num_threads() == before


def test_phase_cell_keeps_the_stationary_closed_form():
    # K = 1: the decoupled form is the optimum; the hinge form (std 1) is not stationary.
    cell = vcf.phase_cell(path_relation(4), 1, alpha=ALPHA, beta=1.0, gamma=40.0, seed=0,
                          device="cpu")
    assert cell.converged
    assert cell.rank == 1
    assert cell.decoupled_error < 1e-10
    assert cell.hinge_error > 0.1


# -- the codebases' two-branch VICReg ----------------------------------------------------------
def test_branch_scale_per_convention():
    assert [vcf.branch_scale(c) for c in ("official", "lightly", "solo")] == [0.5, 0.5, 1.0]


def test_convention_check_is_round_off_at_any_point():
    Z = torch.randn(6, 3, generator=torch.Generator().manual_seed(0), dtype=F64)
    for convention in ("official", "solo"):
        assert vcf.convention_check(Z, convention, sim=10.0, std=20.0, cov=2.0) < 1e-14


def test_convention_cov_by_hand():
    eps = vcf.CONVENTION_STD_EPS
    assert eps == 1e-4
    # K = 5 > r = 3: 0.5 * std s / (4 (1 - eps) (K/r - 1)).
    cov = vcf.convention_cov("official", n_orig=4, k=5, std=20.0, cov_fraction=0.5)
    assert cov == pytest.approx(0.5 * 20.0 * 0.5 / (4 * (1 - eps) * (5 / 3 - 1)), rel=1e-15)
    assert vcf.convention_cov("solo", n_orig=4, k=2, std=20.0, cov_fraction=0.5) == 10.0


@pytest.mark.parametrize(("convention", "k"), [("official", 1), ("solo", 3)])
def test_convention_errors_vanish_on_a_tiny_views_graph(convention, k):
    errors = vcf.convention_errors(convention, n_orig=3, k=k, sim=25.0, std=25.0,
                                   cov_fraction=0.5, seed=0, device="cpu")
    assert errors.rank == min(k, 2)
    assert errors.rank_miss == 0
    assert errors.worst < 1e-6
    assert set(errors.extra()) == {"loss_gap", "spectrum_error", "views_gap", "rank", "K",
                                   "rank_cap", "cov_coeff", "library_mismatch", "certificate",
                                   "min_tangent_eig"}
    # A certified minimum, not a saddle: no tangent direction of negative curvature.
    assert errors.min_tangent_eig >= -1e-9


def test_regime_names_the_closed_form_that_holds():
    G, k = vcf.graph("path8")
    spec = vcf.laplacian_spectrum(G, k)
    name, form = vcf.regime(spec, 8, alpha=ALPHA, beta=100.0, gamma=25.0)
    assert name == "decoupled"
    assert 100.0 >= form.beta_star
    assert vcf.regime(spec, 8, alpha=ALPHA, beta=30.0, gamma=25.0) == ("none", None)


def test_drawn_problem_takes_offset_columns_beyond_the_components():
    graph, k, spectrum = vcf.drawn_problem("views(n=3,v=2)", 2)
    assert (graph.n, graph.n_components, k) == (6, 3, 4)
    assert spectrum.lam.numel() == 4
    assert vcf.drawn_problem("path(n=4)", 9)[1] == 3  # at most N - 1
