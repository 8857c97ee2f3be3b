"""Tests of tests/claims/bl22/protocols/downstream.py (probes on SSL optima, BL22-K2*).

Tiny problems only: the audited recommendation experiment (five methods trained per setting and
seed) runs in the claims, not here; :func:`audit` is tested on given accuracies.
"""

from __future__ import annotations

import math

import pytest
import torch

from tests.claims.bl22.protocols import downstream as ds
from tests.claims.bl22.protocols.settings import RANK_RTOL
from tests.claims.runtime import generator
from torch_impl.relations import class_relation, labels_relation

_CPU = "cpu"


def _labels(sizes: list[int]) -> torch.Tensor:
    return torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes))


# -- K2a: graphs, predictions, probes ----------------------------------------------------------


def test_classes_with_cross_edges_adds_exactly_the_requested_cross_pairs():
    G, y = ds.classes_with_cross_edges([2, 3], 2, seed=4, device=_CPU)
    assert torch.equal(y, torch.tensor([0, 0, 1, 1, 1]))
    assert torch.equal(G, G.T)
    assert not G.diagonal().any()
    cross = G * (y[:, None] != y[None, :])
    assert int(cross.sum()) == 2 * 2
    assert torch.equal(G - cross, labels_relation(y))


def test_classes_with_cross_edges_is_the_class_graph_without_cross_edges_and_seeded():
    G, y = ds.classes_with_cross_edges([3, 2], 0, seed=0, device=_CPU)
    assert torch.equal(G, labels_relation(y))
    again = ds.classes_with_cross_edges([2, 4, 3], 2, seed=9, device=_CPU)[0]
    assert torch.equal(ds.classes_with_cross_edges([2, 4, 3], 2, seed=9, device=_CPU)[0], again)


def test_component_labels_are_aligned_without_flips_and_seeded():
    # Components of 5+ nodes: two flips cannot change a majority, so each costs one error.
    G = class_relation((5, 6, 7))
    y = ds.component_labels(G, 2, 0, seed=1)
    assert y.tolist() == [0] * 5 + [1] * 6 + [0] * 7
    assert ds.component_prediction(G, y).error_rate == 0.0
    flipped = ds.component_labels(G, 2, 2, seed=1)
    assert int((flipped != y).sum()) == 2
    assert torch.equal(flipped, ds.component_labels(G, 2, 2, seed=1))
    assert ds.component_prediction(G, flipped).error_rate == pytest.approx(2 / 18)


def test_component_prediction_on_hand_counted_graphs():
    # Classes (2, 3) merged into one component: residual n - sum n_k^2 / n = 5 - 13/5 = 12/5;
    # the 2 minority samples are misclassified.
    y = _labels([2, 3])
    merged = ds.component_prediction(torch.ones(5, 5, dtype=torch.float64).fill_diagonal_(0), y)
    assert merged.residual == pytest.approx(12 / 5, abs=1e-12)
    assert merged.error_rate == 2 / 5
    aligned = ds.component_prediction(labels_relation(y), y)
    assert aligned == ds.ProbeFit(0.0, 0.0)


def test_component_projection_replaces_columns_by_component_means():
    G = labels_relation(_labels([2, 1]))
    Z = torch.tensor([[1.0, 4.0], [3.0, 0.0], [5.0, -1.0]], dtype=torch.float64)
    expected = torch.tensor([[2.0, 2.0], [2.0, 2.0], [5.0, -1.0]], dtype=torch.float64)
    torch.testing.assert_close(ds.component_projection(Z, G), expected, rtol=0, atol=1e-15)


def test_probe_on_component_indicators_matches_the_derived_prediction():
    # The exact BarlowTwins optimum spans the component indicators: one merged component of
    # classes (2, 3) plus a pure class of 2.
    y = _labels([2, 3, 2])
    G = labels_relation(y)
    G[0, 2] = G[2, 0] = 1
    Z = torch.tensor([[1.0]] * 5 + [[-1.0]] * 2, dtype=torch.float64)
    measured = ds.probe_training(Z, y)
    predicted = ds.component_prediction(G, y)
    assert measured.error_rate == predicted.error_rate == 2 / 7
    assert measured.residual == pytest.approx(predicted.residual, abs=1e-12)
    # A feature separating the merged classes fits them: the prediction no longer applies.
    split = torch.cat([Z, (y == 1).double()[:, None]], dim=1)
    assert ds.probe_training(split, y).error_rate == 0.0


def test_range_probe_ignores_directions_below_the_rank_threshold():
    y = _labels([2, 2])
    targets = torch.nn.functional.one_hot(y).double()
    Z = torch.zeros(4, 1, dtype=torch.float64)
    tiny = 1e-3 * RANK_RTOL * (y == 1).double()[:, None]
    features = torch.cat([Z + 1.0, tiny], dim=1)
    fitted = ds.range_probe(features, targets)(features)
    # Only the constant is fitted: the class frequencies, not the labels.
    torch.testing.assert_close(fitted, torch.full((4, 2), 0.5, dtype=torch.float64),
                               rtol=0, atol=1e-12)
    visible = 1e3 * RANK_RTOL * (y == 1).double()[:, None]
    assert ds.probe_training(torch.cat([Z + 1.0, visible], dim=1), y).error_rate == 0.0


def test_probe_decades_counts_decades_to_the_nearest_singular_value():
    a = torch.tensor([1.0, -1.0, 1.0, -1.0], dtype=torch.float64)
    b = torch.tensor([1.0, 1.0, -1.0, -1.0], dtype=torch.float64)
    # [Z 1] has orthogonal columns of norms 2, 2 (and 2e-9): relative values 1, 1 (, 1e-9).
    assert ds.probe_decades(a[:, None]) == pytest.approx(math.log10(1 / RANK_RTOL), abs=1e-12)
    noisy = torch.stack([a, 1e-9 * b], dim=1)
    assert ds.probe_decades(noisy) == pytest.approx(math.log10(RANK_RTOL / 1e-9), abs=1e-6)


def test_fit_bt_free_reaches_the_component_constant_optimum():
    G, y = ds.classes_with_cross_edges([2, 3], 1, seed=0, device=_CPU)
    fit = ds.fit_bt_free(G, 1, alpha=0.1, seed=0, device=_CPU)
    deviation = float((fit.z - ds.component_projection(fit.z, G)).norm() / fit.z.norm())
    assert deviation < RANK_RTOL
    assert ds.probe_training(fit.z, y).error_rate == ds.component_prediction(G, y).error_rate


# -- K2: recommendation protocol ---------------------------------------------------------------


def test_seeds_per_profile_are_offset_by_the_run_seed():
    assert ds.seeds("quick", 0) == (0,)
    assert ds.seeds("full", 2) == (200, 201, 202)


def test_mixture_draws_the_protocol_distribution():
    X, y = ds.mixture(generator(3), 2, device=_CPU)
    assert torch.equal(y, torch.tensor([0, 0, 1, 1, 2, 2]))
    noise = torch.randn(6, ds.DIM, generator=generator(3), dtype=torch.float64)
    scale = torch.tensor([1.0, 1.0, 1.0, 1.5, 1.5, 1.5], dtype=torch.float64)
    means = 2.0 * torch.eye(3, ds.DIM, dtype=torch.float64)[y]
    torch.testing.assert_close(X, means + scale * noise, rtol=0, atol=0)


def test_misaligned_relation_has_the_requested_fraction_of_cross_edges():
    y = _labels([10, 10, 10])
    assert torch.equal(ds.misaligned_relation(y, 0.0, generator(0)), labels_relation(y))
    G = ds.misaligned_relation(y, 0.3, generator(0))
    cross = int((G * (y[:, None] != y[None, :])).sum()) // 2
    # 135 within-class edges; m = round(0.3 / 0.7 * 135) = 58.
    assert cross == 58
    assert int(G.sum()) // 2 == 135 + 58


def test_least_squares_probe_accuracy_counts_test_predictions():
    y = _labels([1, 1, 1])
    Z = torch.eye(3, dtype=torch.float64)
    y_test = torch.tensor([0, 1, 2, 0])
    assert ds.least_squares_probe(Z, y, Z[[0, 1, 2, 0]], y_test) == 1.0
    assert ds.least_squares_probe(Z, y, Z[[0, 1, 2, 1]], y_test) == 0.75


def test_inequality_slack_and_violation_by_hand():
    acc = {"a": 0.8, "b": 0.7, "c": 0.75, "supervised": 0.8}
    prefer = ds.Inequality("a over b, c", ds.ENOUGH, "prefer", ("a",), ("b", "c"))
    assert prefer.slack(acc) == pytest.approx(0.8 - 0.75 - ds.MARGIN, abs=1e-15)
    assert prefer.violation(acc) == 0.0
    recovers = ds.Inequality("a, c recover", ds.ENOUGH, "recovers", ("a", "c"))
    assert recovers.slack(acc) == pytest.approx(ds.MARGIN - 0.05, abs=1e-15)
    assert recovers.violation(acc) == pytest.approx(0.05 - ds.MARGIN, abs=1e-15)


def test_versions_list_three_inequalities_on_the_three_settings():
    for version in (ds.ARXIV, ds.NEURIPS):
        assert [q.setting for q in version] == [ds.ENOUGH, ds.LOW, ds.MISALIGNED]
        assert all(set(q.left + q.right) <= set(ds.METHODS) for q in version)


def test_resolution_is_one_test_prediction_in_one_seed():
    assert ds.resolution(3) == 1.0 / 1800


def _given_accuracies(monkeypatch, table: dict[ds.Setting, dict[str, float]]) -> None:
    """Replace the trained accuracies by a table (setting -> method -> accuracy), each seed's
    fits with curvature 0.5 (0.25 for BarlowTwins in the low-data setting)."""
    monkeypatch.setattr(ds, "mean_accuracies", lambda setting, data_seeds, device: table[setting])

    def per_seed(setting, seed, device):
        bt = 0.25 if setting == ds.LOW else 0.5
        return {**table[setting], "curvature.simclr": 0.5, "curvature.barlow_twins": bt}

    monkeypatch.setattr(ds, "accuracies", per_seed)


def _row(**acc: float) -> dict[str, float]:
    return {method: acc.get(method, 0.8) for method in ds.METHODS}


def test_audit_reports_the_largest_violation_and_its_decades(monkeypatch):
    _given_accuracies(monkeypatch, {
        ds.ENOUGH: _row(vicreg_large_gamma=0.7),  # recovery violated by 0.1 - M = 0.08
        ds.LOW: _row(),  # a tie: "prefer" violated by M
        ds.MISALIGNED: _row(vicreg_small_gamma=0.9, simclr=0.85, barlow_twins=0.6),  # holds
    })
    result = ds.audit(ds.ARXIV, (0,), _CPU)
    assert result.error == pytest.approx(0.08, abs=1e-12)
    assert [result.extra[f"violation_{i}"] for i in (1, 2, 3)] == pytest.approx(
        [0.08, ds.MARGIN, 0.0], abs=1e-12)
    assert result.extra["misaligned.bt_minus_vicreg_small"] == pytest.approx(-0.3, abs=1e-12)
    # One seed: 600 test predictions; 0.08 of them = 48.
    assert result.margin_decades == pytest.approx(math.log10(48), abs=1e-9)
    assert result.margin == pytest.approx(48, rel=1e-9)
    assert result.extra["min_tangent_eig"] == 0.25  # the smallest over settings and methods
    assert not any(key.split(".")[1] == "curvature" for key in result.extra if "." in key)


def test_audit_of_holding_inequalities_has_zero_error_and_the_smallest_slack(monkeypatch):
    _given_accuracies(monkeypatch, {
        ds.ENOUGH: _row(),
        ds.LOW: _row(vicreg_large_gamma=0.85),
        ds.MISALIGNED: _row(vicreg_small_gamma=0.9, simclr=0.85, barlow_twins=0.6),
    })
    result = ds.audit(ds.ARXIV, (0,), _CPU)
    assert result.error == 0.0
    # Slacks: M (recovery, exact), 0.03, 0.03: the smallest is M = 12 predictions.
    assert result.margin == pytest.approx(12, rel=1e-9)


def test_deciding_settings_name_every_inequality_and_the_profile_seeds():
    declared = ds.deciding_settings(ds.ARXIV, "full")
    assert declared["n_seeds"] == len(ds.SEEDS["full"]) == 3
    assert declared["margin"] == ds.MARGIN
    assert [declared[f"inequality_{i}"] for i in range(1, len(ds.ARXIV) + 1)] == [
        q.name for q in ds.ARXIV]
    assert ds.deciding_settings(ds.NEURIPS, "quick")["n_seeds"] == 1
