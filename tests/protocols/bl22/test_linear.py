"""Tests of tests/claims/bl22/protocols/linear.py (tiny problems, hand-computed values)."""

from __future__ import annotations

import pytest
import torch
from matplotlib.figure import Figure

from tests.claims.bl22.protocols import linear
from torch_impl.fit import fit_linear
from torch_impl.losses import simclr_loss
from torch_impl.metrics import largest_principal_angle
from torch_impl.relations import class_relation, path_relation, ring_relation, views_relation

F64 = torch.float64


def test_views_data_shapes_relation_and_seed():
    X, G = linear.views_data(3, 5, 4, device="cpu")
    assert X.shape == (10, 4)
    assert X.dtype == F64
    assert torch.equal(G, views_relation(5, 2))
    again, _ = linear.views_data(3, 5, 4, device="cpu")
    assert torch.equal(X, again)
    shifted, _ = linear.views_data(3, 5, 4, shift=0.5, device="cpu")
    torch.testing.assert_close(shifted - X, torch.full_like(X, 0.5), rtol=0, atol=1e-15)


def test_graph_data_is_seeded_and_shifted():
    G = path_relation(7)
    X = linear.graph_data(3, G, 4, device="cpu")
    assert X.shape == (7, 4)
    assert X.dtype == F64
    assert torch.equal(X, linear.graph_data(3, G, 4, device="cpu"))
    shifted = linear.graph_data(3, G, 4, shift=0.5, device="cpu")
    torch.testing.assert_close(shifted - X, torch.full_like(X, 0.5), rtol=0, atol=1e-15)


def test_invariant_features_give_rho_one_with_the_right_multiplicity():
    G = class_relation((3, 4, 5))
    X = linear.graph_data(0, G, 4, invariant=2, device="cpu")
    labels = torch.tensor([0] * 3 + [1] * 4 + [2] * 5)
    for c in range(3):  # constant on every component
        block = X[labels == c, :2]
        torch.testing.assert_close(block, block[:1].expand_as(block), rtol=0, atol=0)
    rho = linear.bt_pencil(X, G).values
    torch.testing.assert_close(rho[:2], torch.ones(2, dtype=F64), rtol=0, atol=1e-12)
    assert float(rho[2]) < 1 - 1e-3
    with pytest.raises(ValueError, match="invariant must be at most"):
        linear.graph_data(0, G, 4, invariant=4, device="cpu")


def test_irregular_class_data_by_hand():
    X, G = linear.irregular_data(0, "classes", 10, 3, device="cpu")
    # sizes 2, 3, 4 fit in 10 (total 9), the last takes the rest: (2, 3, 5).
    assert torch.equal(G, class_relation((2, 3, 5)))
    torch.testing.assert_close(X.mean(dim=0), torch.zeros(3, dtype=F64), rtol=0, atol=1e-15)


def test_irregular_knn_data_is_centred_and_irregular():
    X, G = linear.irregular_data(1, "knn", 12, 3, device="cpu")
    torch.testing.assert_close(X.mean(dim=0), torch.zeros(3, dtype=F64), rtol=0, atol=1e-15)
    degrees = G.sum(dim=1)
    assert float(degrees.min()) >= 3
    assert float(degrees.max()) > float(degrees.min())


def test_irregular_data_rejects_an_unknown_kind():
    with pytest.raises(ValueError, match="kind must be 'knn' or 'classes'"):
        linear.irregular_data(0, "ring", 8, 2, device="cpu")


def test_pencils_on_identity_features_are_the_graph_spectrum():
    # X = I: (X^T G X, X^T X) = (G, I) and (X^T G X, X^T D X) = (G, 2 I) on the ring C_4,
    # whose adjacency eigenvalues are 2, 0, 0, -2.
    X, G = torch.eye(4, dtype=F64), ring_relation(4)
    torch.testing.assert_close(linear.spectral_pencil(X, G).values,
                               torch.tensor([2.0, 0.0, 0.0, -2.0], dtype=F64), rtol=0, atol=1e-12)
    torch.testing.assert_close(linear.bt_pencil(X, G, 1).values,
                               torch.tensor([1.0], dtype=F64), rtol=0, atol=1e-12)
    # LPP on a regular graph: (L, 2 I), L's eigenvalues 0, 2, 2, 4 -> 0, 1, 1, 2.
    torch.testing.assert_close(linear.lpp_pencil(X, G, 2).values,
                               torch.tensor([0.0, 1.0], dtype=F64), rtol=0, atol=1e-12)


def test_vicreg_pencil_solves_its_generalized_eigenproblem():
    X, G = linear.views_data(0, 6, 3, device="cpu")
    pencil = linear.vicreg_pencil(X, G)
    Xc = X - X.mean(dim=0)
    A = X.T @ (torch.diag(G.sum(dim=1)) - G) @ X
    B = Xc.T @ Xc
    V = pencil.vectors
    torch.testing.assert_close(A @ V, B @ V * pencil.values, rtol=0, atol=1e-10)
    torch.testing.assert_close(V.T @ B @ V, torch.eye(3, dtype=F64), rtol=0, atol=1e-10)
    assert bool((pencil.values[1:] > pencil.values[:-1]).all())


def test_vicreg_regime_by_hand():
    # rho = (1, 2), N = 10, fraction 0.2, gamma 1: alpha = 0.2 * 4 * 2 * 9 / 10 = 1.44 and
    # t_k = min(1, alpha N / (4 gamma rho_k (N-1))) = (0.4, 0.2).
    regime = linear.vicreg_regime(torch.tensor([1.0, 2.0], dtype=F64), 10, fraction=0.2,
                                  gamma=1.0, beta_factor=2.0)
    assert regime.alpha == pytest.approx(1.44, rel=1e-15)
    torch.testing.assert_close(regime.stds, torch.tensor([0.4, 0.2], dtype=F64), rtol=1e-14,
                               atol=0)
    assert regime.beta_threshold > 0
    assert regime.beta == pytest.approx(2.0 * max(1.0, regime.beta_threshold), rel=1e-15)
    # one column: no pair, threshold 0, beta = beta_factor; the anchor replaces rho_2.
    single = linear.vicreg_regime(torch.tensor([0.5], dtype=F64), 10, fraction=0.5, gamma=2.0,
                                  beta_factor=3.0, anchor=1.0)
    assert single.alpha == pytest.approx(0.5 * 4 * 2.0 * 1.0 * 9 / 10, rel=1e-15)
    assert single.beta_threshold == 0.0
    assert single.beta == 3.0


def test_fit_spectral_spans_the_top_pencil_eigenvector():
    X, G = linear.views_data(0, 4, 3, device="cpu")
    fit = linear.fit_spectral(X, G, 1, seed=0)
    pencil = linear.spectral_pencil(X, G, 1)
    assert fit.grad_norm <= 1e-10  # GRAD_TOL by fit's margin 100
    assert largest_principal_angle(X @ fit.w, X @ pencil.vectors) < 1e-6
    eigenvalue = float(torch.linalg.eigvalsh(fit.z.T @ fit.z)[0])
    assert eigenvalue == pytest.approx(max(float(pencil.values[0]), 0.0), rel=1e-6)


def test_fit_bt_is_certified_and_lies_in_the_top_span():
    X, G = linear.views_data(0, 4, 3, device="cpu")
    fit = linear.fit_bt(X, G, 2, alpha=0.1, seed=0)
    assert fit.grad_norm <= 1e-10
    assert fit.w.shape == (3, 2)
    assert largest_principal_angle(X @ fit.w, X @ linear.bt_pencil(X, G, 2).vectors) < 1e-4


def test_draw_angle_vs_gap_clips_zero_angles_and_draws_the_tolerance():
    fig = Figure()
    linear.draw_angle_vs_gap(fig, [0.1, 0.5], [0.0, 1e-9], tolerance=1e-4, title="t")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert ax.get_yscale() == "log"
    assert ax.get_title() == "t"
    points = ax.collections[0].get_offsets()
    assert points.tolist() == [[0.1, 1e-17], [0.5, 1e-9]]
    assert ax.lines[0].get_ydata()[0] == 1e-4


def test_cut_span_adds_the_cluster_tied_at_the_cut():
    # (G, I) on the ring C_4: eigenvalues 2, 0, 0, -2 (largest first). K = 1: no tie; K = 2
    # cuts the double eigenvalue 0, so both of its eigenvectors count.
    pencil = linear.spectral_pencil(torch.eye(4, dtype=F64), ring_relation(4))
    assert linear.cut_span(pencil, 1).shape == (4, 1)
    assert linear.cut_span(pencil, 2).shape == (4, 3)
    assert linear.cut_span(pencil, 3).shape == (4, 3)
    assert linear.cut_span(pencil, 4).shape == (4, 4)


def test_vicreg_map_has_the_predicted_column_stds():
    X, G = linear.views_data(0, 6, 3, device="cpu")
    pencil = linear.vicreg_pencil(X, G, 2)
    regime = linear.vicreg_regime(pencil.values, 12, fraction=0.5, gamma=1.0, beta_factor=2.0)
    Z = X @ linear.vicreg_map(pencil.vectors, regime, 12)
    torch.testing.assert_close(Z.std(dim=0), regime.stds, rtol=1e-12, atol=0)


def test_fit_cosine_infonce_descends_off_the_mds_span_to_a_certified_minimum():
    # BL22-C4-linear-infonce's counterexample: the best W on the MDS span (loss 32.51) is not
    # stationary; descending from it certifies a strict local minimum (loss 26.64) off the span.
    X, G = linear.views_data(0, 8, 3, device="cpu")
    vectors = linear.spectral_pencil(X, G, 2).vectors
    restricted = fit_linear(lambda Z: simclr_loss(Z, G, tau=0.5), X @ vectors, 2, seed=0,
                            restarts=2, progress=False)
    assert restricted.loss == pytest.approx(32.51, abs=0.01)
    found = linear.fit_cosine_infonce(X, G, 2, tau=0.5, seed=0, start=vectors @ restricted.w)
    assert found.converged
    assert found.loss < 32.5
    assert found.min_tangent_eig > 0
    assert float((X @ found.w).square().sum()) / X.shape[0] == pytest.approx(1.0, rel=1e-6)
    assert largest_principal_angle(X @ found.w, X @ vectors) > 1.0
