"""Tests of tests/claims/bl22/protocols/laplacian.py (hand-computed spectra, tiny fits)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch
from matplotlib.figure import Figure

from tests.claims.bl22.protocols import laplacian as lap
from torch_impl.relations import class_relation, ring_relation
from torch_impl.validation import InvalidInputError

F64 = torch.float64


# -- graphs ------------------------------------------------------------------------------------
def test_degree_ratio_by_hand():
    assert lap.degree_ratio(class_relation((2, 3))) == 2.0  # degrees 1 and 2
    assert lap.degree_ratio(ring_relation(6)) == 1.0


# -- reference spectra -------------------------------------------------------------------------
def test_nontrivial_spectra_of_two_cliques_by_hand():
    # A clique of size m: L-eigenvalue m, (L, D)-eigenvalue m / (m - 1), each m - 1 times;
    # two components: one 0 besides the constant vector.
    G = class_relation((2, 3))
    laplacian = lap.nontrivial_spectrum(G, "laplacian")
    eigenmaps = lap.nontrivial_spectrum(G, "eigenmaps")
    torch.testing.assert_close(laplacian.values, torch.tensor([0, 2, 3, 3], dtype=F64),
                               rtol=0, atol=1e-13)
    torch.testing.assert_close(eigenmaps.values, torch.tensor([0, 1.5, 1.5, 2], dtype=F64),
                               rtol=0, atol=1e-13)
    for spectrum in (laplacian, eigenmaps):
        assert spectrum.vectors.shape == (5, 4)
        assert float(spectrum.vectors.sum(dim=0).abs().max()) < 1e-13  # centred


def test_nontrivial_spectrum_rejects_an_unknown_problem():
    with pytest.raises(ValueError, match="problem must be one of"):
        lap.nontrivial_spectrum(ring_relation(4), "normalised")


# -- comparing an optimum with a spectrum ------------------------------------------------------
def test_centred_range_reads_the_rank_of_the_centred_columns():
    Z = torch.tensor([[1.0, 0.0], [2.0, 1.0], [3.0, 0.0], [4.0, 1.0]], dtype=F64)
    Z3 = torch.cat([Z, Z.sum(dim=1, keepdim=True) + 7.0], dim=1)  # a dependent third column
    span = lap.centred_range(Z3)
    assert span.rank == 2
    assert span.rank_margin < 1e-14
    Zc = Z - Z.mean(dim=0)
    # The basis is orthonormal and spans the centred columns.
    torch.testing.assert_close(span.basis.T @ span.basis, torch.eye(2, dtype=F64), rtol=0,
                               atol=1e-14)
    torch.testing.assert_close(span.basis @ (span.basis.T @ Zc), Zc, rtol=0, atol=1e-13)
    assert lap.centred_range(Z).rank_margin == 0.0  # full rank: nothing dropped
    with pytest.raises(InvalidInputError, match="zero matrix"):
        lap.centred_range(torch.ones(4, 2, dtype=F64))


def _two_cliques_span() -> tuple[torch.Tensor, lap.CentredRange]:
    # span{component indicator difference, e_0 - e_1}: the bottom-2 eigenspace of L on the
    # class graph (2, 3), orthogonal to the (L, D) one's size-3 clique directions.
    G = class_relation((2, 3))
    Z = torch.tensor([[1.0, 1.0], [1.0, -1.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]], dtype=F64)
    return G, lap.centred_range(Z)


def test_compare_span_is_zero_on_the_predicted_eigenspace():
    G, span = _two_cliques_span()
    result = lap.compare_span(span, lap.nontrivial_spectrum(G, "laplacian"), G)
    assert result.angle < 1e-14
    assert result.eigengap == pytest.approx(1.0, abs=1e-13)  # 3 - 2
    assert result.separation == pytest.approx(1.0, abs=1e-13)
    torch.testing.assert_close(result.ritz, torch.tensor([0.0, 2.0], dtype=F64), rtol=0,
                               atol=1e-13)
    torch.testing.assert_close(result.predicted, result.ritz, rtol=0, atol=1e-13)


def test_compare_span_is_a_right_angle_against_laplacian_eigenmaps():
    # (L, D)'s bottom-2 cut goes through the cluster 3/2 (the size-3 clique): E_<= is the null
    # direction and that clique's, both orthogonal to e_0 - e_1.
    G, span = _two_cliques_span()
    result = lap.compare_span(span, lap.nontrivial_spectrum(G, "eigenmaps"), G)
    assert result.angle == pytest.approx(math.pi / 2, abs=1e-12)
    assert result.eigengap == pytest.approx(0.0, abs=1e-13)  # the cut is inside a cluster
    assert result.separation == pytest.approx(0.5, abs=1e-13)  # 2 - 3/2


def test_offdiagonal_covariance_by_hand():
    x = torch.tensor([1.0, -1.0, 1.0, -1.0], dtype=F64)
    w = torch.tensor([1.0, -1.0, -1.0, 1.0], dtype=F64)
    assert lap.offdiagonal_covariance(torch.stack([x, w], dim=1)) == 0.0
    # Var x = 4/3, Cov(x, w + x/2) = 2/3, Var(w + x/2) = 5/3: ratio (2/3) / (5/3).
    Z = torch.stack([x, w + x / 2], dim=1)
    assert lap.offdiagonal_covariance(Z) == pytest.approx(0.4, rel=1e-14)


# -- trials (tiny fits) ------------------------------------------------------------------------
def test_measure_both_problems_on_two_cliques():
    # Classes (2, 4), K = 2: L keeps the size-2 clique's direction (eigenvalue 2 < 4), LE the
    # size-4 clique's ((L, D)-eigenvalue 4/3 < 2): the optimum is at pi/2 from LE.
    trial = lap.measure_both_problems(class_relation((2, 4)), 1, "decorrelated", 0, device="cpu")
    assert trial.n_components == 2
    assert trial.span.rank == 2
    assert trial.components == 2
    assert trial.beyond_null == 1
    assert trial.degree_ratio == 3.0
    assert trial.comparisons["laplacian"].angle < 1e-6
    assert trial.comparisons["eigenmaps"].angle == pytest.approx(math.pi / 2, abs=1e-6)
    extra = trial.extra("laplacian")
    assert extra["angle_eigenmaps"] == trial.comparisons["eigenmaps"].angle
    assert extra["K"] == 2
    assert trial.figure_data()["beyond_null"] == 1


def test_measure_convention_on_three_samples_is_view_invariant():
    trial = lap.measure_convention(3, 3, "official", 0, device="cpu")
    assert trial.n_components == 3
    assert trial.rank_cap == 2
    assert trial.span.rank == 2  # capped at N' - 1, not K
    assert trial.view_gap < 1e-6
    assert trial.comparison.angle < 1e-6
    assert trial.figure_data() == {"K": 3, "rank": 2, "cap": 2}


def test_train_vicreg_in_the_decoupled_regime_is_certified_to_second_order():
    # Two cliques (2, 4), K = 2: weights drawn relative to the spectrum; the optimum spans the
    # bottom of L and is a minimum (no negative tangent curvature), recorded in the extras.
    trial = lap.measure_both_problems(class_relation((2, 4)), 1, lap.DECOUPLED_REGIME, 0,
                                      gamma_factor=2.0, rho=2.0, device="cpu")
    assert trial.comparisons["laplacian"].angle < 1e-6
    extra = trial.extra("laplacian")
    assert extra["min_tangent_eig"] == trial.min_tangent_eig >= -1e-9
    assert extra["n"] == 6


def test_train_vicreg_rejects_unknown_weights():
    with pytest.raises(ValueError, match="weights must be one of"):
        lap.train_vicreg(ring_relation(4), 1, "heavy", 0, device="cpu")


# -- figures and declarations ------------------------------------------------------------------
def _trial(figure_data: dict) -> SimpleNamespace:
    return SimpleNamespace(measurement=SimpleNamespace(figure_data=figure_data, extra={}),
                           error=0.0)


def test_figures_draw_one_point_per_trial():
    trials = [_trial({"angles": {"laplacian": 1e-9, "eigenmaps": 1.2}, "beyond_null": b,
                      "ritz": [0.0, 2.0], "predicted": [0.0, 2.0]}) for b in (0, 1)]
    fig = Figure()
    lap.draw_problems(trials, fig, tolerance=1e-4, title="t")
    assert [len(c.get_offsets()) for c in fig.axes[0].collections] == [2, 2]
    fig = Figure()
    lap.draw_ritz(trials, fig, title="t")
    assert len(fig.axes[0].collections) == 2
    fig = Figure()
    lap.draw_rank([_trial({"K": k, "rank": min(k, 2), "cap": 2}) for k in (1, 3)], fig,
                  title="t")
    assert fig.axes[0].collections[0].get_offsets().tolist() == [[1, 1], [3, 2]]


def test_convention_derivations_hold():
    derivations = lap.convention_derivations()
    assert len(derivations) == 5
    assert all(d.check().status == "zero" for d in derivations)
