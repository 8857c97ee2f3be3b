"""Tests of tests/claims/bl22/protocols/rank.py (no audited problem is trained here)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch

from tests.claims.bl22.protocols import rank
from tests.claims.runtime import generator
from torch_impl.fit import NotConverged
from torch_impl.relations import component_indicators


def _min_law(K: torch.Tensor, c: torch.Tensor, N: torch.Tensor) -> torch.Tensor:
    return torch.minimum(K, c)


# -------------------------------------------------------------------------------------------
# Sweeps
# -------------------------------------------------------------------------------------------


def test_cases_per_profile_in_order():
    assert rank.cases("quick", 3) == [{"graph": "views(n=4,v=2)", "seed": 6}]
    assert rank.cases("full", 3) == [{"graph": spec, "seed": 6}
                                     for spec in rank.COMPONENT_SPECS["views"]]
    both = rank.cases("full", 0, families=rank.CLIQUE_FAMILIES)
    assert [case["graph"] for case in both] == [*rank.COMPONENT_SPECS["views"],
                                                *rank.COMPONENT_SPECS["labels"]]
    assert rank.cases("quick", 0, families=("labels", "views")) == [
        {"graph": "labels(sizes=3-5)", "seed": 0}]
    with pytest.raises(ValueError, match="families"):
        rank.cases("full", 0, families=("ring",))


@pytest.mark.parametrize("family", sorted(rank.COMPONENT_SPECS))
def test_component_specs_have_the_stated_structure(family):
    for spec in rank.COMPONENT_SPECS[family]:
        G = rank.relation(spec)
        assert 2 <= G.n_components <= 4
        assert G.n <= 18
        clique = bool(torch.linalg.matrix_rank(G.dense() + torch.eye(G.n, dtype=torch.float64))
                      == G.n_components)
        assert clique == (family in rank.CLIQUE_FAMILIES)


def test_scale_specs_reach_both_ends_of_the_scale_range():
    views, labels = rank.scale_specs(rank.CLIQUE_FAMILIES, "cpu")
    assert views == "views(n=3,v=342)"  # N = 1026, just above the scale range's 1024
    G = rank.relation(labels)
    assert (G.n, G.n_components) == (2048, rank.SCALE_COMPONENTS)
    assert len(set(G.dense().sum(dim=1).tolist())) == rank.SCALE_COMPONENTS  # unequal classes
    assert rank.cases("full", 1, families=("views",), scale=True) == [
        {"graph": views, "seed": 2}, {"graph": "views(n=3,v=683)", "seed": 2}]
    with pytest.raises(ValueError, match="families"):
        rank.scale_specs(("sbm",), None)


def test_settings_text_names_each_graph_once():
    points = rank.case_points(rank.cases("full", 0)[:2], alpha=[0.1, 1.0])
    assert rank.settings_text(points) == "views(n=4,v=2), views(n=3,v=3)"


def test_convention_cases_keep_two_view_graphs_only():
    assert rank.convention_cases("full", 0) == [
        {"graph": "views(n=4,v=2)", "seed": 0}, {"graph": "views(n=4,v=2)", "seed": 1}]
    assert rank.convention_cases("quick", 0) == [{"graph": "views(n=4,v=2)", "seed": 0}]
    wide = rank.convention_cases("full", 0, n_graphs=5)
    assert [case["graph"] for case in wide[::2]] == list(rank.TWO_VIEW_SPECS)
    assert all(rank.n_views(case["graph"]) == 2 for case in wide)
    with pytest.raises(ValueError, match="n_graphs"):
        rank.convention_cases("full", 0, n_graphs=6)


def test_n_views():
    assert (rank.n_views("views3x3"), rank.n_views("views(n=2,v=4)")) == (3, 4)
    assert rank.n_views("labels(sizes=3-5)") is None


def test_hyper_parameter_sweeps_per_profile():
    assert rank.simclr_taus("full") == rank.SIMCLR_TAUS
    assert rank.simclr_taus("quick") == (0.5,)
    assert rank.simclr_taus("full", scale=True) == (rank.TAU,)
    assert rank.vicreg_gammas("full") == rank.VICREG_GAMMAS
    assert rank.vicreg_gammas("quick") == (rank.VICREG_GAMMA,)


def test_case_points_cross_settings_slowest_then_axes_in_order():
    points = rank.case_points(rank.convention_cases("full", 0)[:2], loss=["a", "b"],
                              point=["x", "y"])
    assert [(p["seed"], p["loss"], p["point"]) for p in points] == [
        (0, "a", "x"), (0, "a", "y"), (0, "b", "x"), (0, "b", "y"),
        (1, "a", "x"), (1, "a", "y"), (1, "b", "x"), (1, "b", "y")]
    assert list(points[0]) == ["graph", "seed", "loss", "point"]


def test_conventions_per_profile():
    assert rank.conventions("quick") == ("official",)
    assert rank.conventions("full") == ("official", "solo")


@pytest.mark.parametrize("call", [lambda: rank.cases("slow", 0), lambda: rank.conventions(""),
                                  lambda: rank.k_grid(4, "Quick"),
                                  lambda: rank.simclr_taus("scale"),
                                  lambda: rank.vicreg_gammas("")])
def test_unknown_profile_is_rejected(call):
    with pytest.raises(ValueError, match="profile"):
        call()


@pytest.mark.parametrize(("c", "profile", "above", "expected"), [
    (4, "quick", 1, [3, 4, 5]), (4, "full", 1, [2, 3, 4, 5]), (4, "full", 2, [2, 3, 4, 5, 6]),
    (4, "quick", 2, [3, 4, 5]), (4, "quick", 0, [3, 4]), (3, "full", 1, [2, 3, 4]),
    (3, "quick", 1, [2, 3, 4])])
def test_k_grid(c, profile, above, expected):
    assert rank.k_grid(c, profile, above=above) == expected


def test_relation_is_the_views_graph_validated_once():
    G = rank.relation("views3x3")
    assert (G.n, G.n_components) == (9, 3)
    assert float(G.dense().sum()) == 9 * 2
    assert rank.relation("views3x3") is G


def test_relation_builds_a_graphs_spec():
    G = rank.relation("labels(sizes=2-3-4)")
    assert (G.n, G.n_components) == (9, 3)
    assert rank.relation("labels(sizes=2-3-4)") is G
    torch.testing.assert_close(rank.relation("views(n=3,v=3)").dense(),
                               rank.relation("views3x3").dense(), rtol=0, atol=0)


def test_component_gap_is_v_on_views_and_the_smallest_class_on_labels():
    assert rank.component_gap(rank.relation("views(n=3,v=3)")) == pytest.approx(3.0, rel=1e-12)
    assert rank.component_gap(rank.relation("labels(sizes=2-3-4)")) == pytest.approx(
        2.0, rel=1e-12)


@pytest.mark.parametrize("graph", ["ring8", "views(n=4)", "tree(n=3)"])
def test_relation_rejects_an_unknown_graph(graph):
    with pytest.raises(ValueError, match="graph"):
        rank.relation(graph)


# -------------------------------------------------------------------------------------------
# Optima
# -------------------------------------------------------------------------------------------


def test_canonical_forms():
    z = torch.randn(8, 3, generator=generator(0), dtype=torch.float64)
    torch.testing.assert_close(rank.canonical("simclr", z).norm(dim=1),
                               torch.ones(8, dtype=torch.float64), rtol=0, atol=1e-15)
    assert rank.canonical("bt", z) is z
    torch.testing.assert_close(rank.canonical("vicreg", z).mean(dim=0),
                               torch.zeros(3, dtype=torch.float64), rtol=0, atol=1e-15)
    branches = rank.canonical("vicreg-official", z)
    for half in (branches[:4], branches[4:]):
        torch.testing.assert_close(half.mean(dim=0), torch.zeros(3, dtype=torch.float64),
                                   rtol=0, atol=1e-15)
    bn = rank.canonical("bt-solo", z)
    torch.testing.assert_close(bn[:4].square().mean(dim=0),
                               1 - 1e-5 / (z[:4].var(dim=0, unbiased=False) + 1e-5),
                               rtol=1e-12, atol=0)
    with pytest.raises(ValueError, match="loss"):
        rank.canonical("infonce", z)


def test_loss_value_is_zero_at_a_bt_zero_loss_point_and_positive_off_it():
    G = rank.relation("views4x2")
    P = component_indicators(G)
    assert float(rank.loss_value("bt", G, P[:, :3], 0.1)) < 1e-25
    assert float(rank.loss_value("bt", G, P[:, :3] + 0.1 * torch.eye(8, 3,
                                                                   dtype=torch.float64),
                                 0.1)) > 1e-5
    with pytest.raises(ValueError, match="loss"):
        rank.loss_value("bt-lightly", G, P, 0.0)


@pytest.fixture
def fake_fit(monkeypatch):
    """Replace the BarlowTwins fit by a counter returning the component indicators."""
    calls = []

    def fit(loss_fn, shape, seed, *, device, inits=(), restarts=2, symmetries=None):
        calls.append((shape, seed, device, len(inits), symmetries, restarts))
        if seed < 0:
            raise NotConverged("fake failure")
        z = component_indicators(rank.relation("views4x2"))[:, : shape[1]]
        # The loss lives on the fit's device: evaluated on the CPU only ("meta" has no values).
        loss = float(loss_fn(z)) if device.type == "cpu" else 0.0
        return SimpleNamespace(z=z, loss=loss, grad_norm=0.0, min_tangent_eig=0.5)

    monkeypatch.setattr(rank.bt, "fit_bt", fit)
    rank._optimum.cache_clear()
    yield calls
    rank._optimum.cache_clear()


def test_optimum_is_cached_by_every_argument_device_included(fake_fit):
    first = rank.optimum("bt", "views4x2", 3, 0.1, 0, device="cpu")
    assert rank.optimum("bt", "views4x2", 3.0, 0.1, 0, device=torch.device("cpu")) is first
    assert len(fake_fit) == 1
    rank.optimum("bt", "views4x2", 3, 0.1, 0, device="meta")
    rank.optimum("bt", "views4x2", 3, 0.1, 1, device="cpu")
    rank.optimum("bt", "views4x2", 3, 1.0, 0, device="cpu")
    assert len(fake_fit) == 4
    assert first.loss < 1e-25
    assert first.certificate == 0.0
    assert first.min_tangent_eig == 0.5
    assert first.canonical is first.z
    # K <= c: one candidate start (the zero-loss point), modulo the column scalings.
    assert fake_fit[0][2:] == (torch.device("cpu"), 1, rank.bt.column_scalings, 2)
    rank.optimum("bt", "views4x2", 5, 0.1, 0, device="cpu")
    assert fake_fit[-1][3] == 0  # K > c: random starts only


def test_optimum_caches_a_failure_without_retraining(fake_fit):
    for _ in range(2):
        with pytest.raises(NotConverged):
            rank.optimum("bt", "views4x2", 3, 0.1, -1, device="cpu")
    assert len(fake_fit) == 1


def test_optimum_rejects_bad_losses_and_graphs():
    with pytest.raises(ValueError, match="loss"):
        rank.optimum("vicreg-lightly", "views4x2", 3, 25.0, 0, device="cpu")
    with pytest.raises(ValueError, match="V = 2"):
        rank.optimum("vicreg-official", "views3x3", 3, 25.0, 0, device="cpu")


# -------------------------------------------------------------------------------------------
# Ranks
# -------------------------------------------------------------------------------------------


def test_simplex_start_puts_each_component_at_a_vertex_of_a_regular_simplex():
    G = rank.relation("labels(sizes=2-3-4)")
    z = rank.simplex_start(G, 3)
    assert z.shape == (9, 3)
    vertices = torch.stack([z[0], z[2], z[5]])  # one node of each class
    torch.testing.assert_close(vertices @ vertices.T,
                               torch.eye(3, dtype=torch.float64) - 1.0 / 3, rtol=0, atol=1e-15)
    torch.testing.assert_close(vertices.sum(dim=0), torch.zeros(3, dtype=torch.float64), rtol=0,
                               atol=1e-15)  # centred: rank c - 1
    assert float(z[:, 2].abs().max()) == 0.0  # padded beyond c - 1 columns
    with pytest.raises(ValueError, match="K >= c - 1"):
        rank.simplex_start(G, 1)


def test_margin_factor():
    assert rank.margin_factor(2.0) == 100.0
    assert rank.margin_factor(301.0) == math.inf


def test_sweep_decades_takes_the_first_to_flip_or_the_largest_miss():
    assert rank.sweep_decades([3.0, 1.0, 2.0], [True, True, True]) == 1.0
    assert rank.sweep_decades([3.0, 1.0, 2.0], [True, False, False]) == 2.0
    with pytest.raises(ValueError, match="same length"):
        rank.sweep_decades([1.0], [True, False])


def _patch_optima(monkeypatch, make_z):
    def optimum(loss, graph, k, hyper, seed, *, device):
        z = make_z(k)
        return rank.Optimum(z, rank.canonical(loss, z), 0.0, 1e-9 * k, 0.1 / k)

    monkeypatch.setattr(rank, "optimum", optimum)


def test_rank_sweep_error_is_zero_at_the_law_and_counts_a_spurious_direction(monkeypatch):
    P = component_indicators(rank.relation("views4x2"))

    def exact(k):
        # rank min(K, c): the first min(K, c) indicators, zero columns beyond.
        return torch.cat([P, torch.zeros(8, 4, dtype=torch.float64)], dim=1)[:, :k]

    _patch_optima(monkeypatch, exact)
    swept = rank.rank_sweep("bt", "views4x2", 0, 0.1, _min_law, profile="quick", device="cpu")
    assert (swept.ks, swept.ranks, swept.predicted) == ((3, 4, 5), (3, 4, 4), (3, 4, 4))
    assert swept.error == 0.0
    assert swept.margin_decades == pytest.approx(6.0, rel=1e-12)
    assert swept.certificate == pytest.approx(5e-9, rel=1e-12)
    assert swept.min_tangent_eig == pytest.approx(0.1 / 5, rel=1e-12)
    assert list(swept.extra) == ["n", "c", "certificate", "min_tangent_eig",
                                 "rank_minus_c_at_K=c-1",
                                 "rank_minus_c_at_K=c+0", "rank_minus_c_at_K=c+1",
                                 "smallest_kept_sv", "largest_dropped_sv", "margin_decades"]
    assert swept.figure_data == ("views4x2", 4, 8, ((3, 3), (4, 4), (5, 4)))

    def perturbed(k):
        z = exact(k).clone()
        if k > 4:
            z[0, 4] = 1e-3  # a fifth direction, 1e-3 of the others: rank 5 > min(K, c)
        return z

    _patch_optima(monkeypatch, perturbed)
    swept = rank.rank_sweep("bt", "views4x2", 0, 0.1, _min_law, profile="quick", device="cpu")
    assert swept.error == 1.0
    assert swept.ranks == (3, 4, 5)
    # The miss is 3 decades above the threshold 1e-6 (relative singular value ~7e-4).
    assert 2.5 < swept.margin_decades < 3.5


def test_component_basis_spans_p_or_its_centred_part():
    G = rank.relation("views4x2")
    full, centred = rank.component_basis(G, centred=False), rank.component_basis(G,
                                                                                 centred=True)
    assert (full.shape, centred.shape) == ((8, 4), (8, 3))
    torch.testing.assert_close(full.T @ full, torch.eye(4, dtype=torch.float64), rtol=0,
                               atol=1e-14)
    torch.testing.assert_close(centred.sum(dim=0), torch.zeros(3, dtype=torch.float64), rtol=0,
                               atol=1e-14)
    # G acts on span P as its top eigenvalue V - 1 = 1.
    torch.testing.assert_close(G.dense() @ full, full, rtol=0, atol=1e-14)


# -------------------------------------------------------------------------------------------
# Right rotations
# -------------------------------------------------------------------------------------------


def test_random_orthogonal_is_orthogonal_and_seeded():
    R = rank.random_orthogonal(4, generator(1))
    torch.testing.assert_close(R.T @ R, torch.eye(4, dtype=torch.float64), rtol=0, atol=1e-14)
    assert torch.equal(R, rank.random_orthogonal(4, generator(1)))


def test_isotropic_random_has_exactly_isotropic_covariance():
    z = rank.isotropic_random(8, 3, 0.5, generator(2))
    torch.testing.assert_close(torch.cov(z.T), 0.25 * torch.eye(3, dtype=torch.float64),
                               rtol=0, atol=1e-14)
    assert float(z.mean(dim=0).abs().max()) > 1e-3


def test_rotation_change_is_zero_for_simclr_and_not_for_bt():
    G = rank.relation("views4x2")
    z = torch.randn(8, 3, generator=generator(3), dtype=torch.float64)
    R = rank.random_orthogonal(3, generator(4))
    assert rank.rotation_change("simclr", G, z, R, rank.TAU) < 1e-14
    assert rank.rotation_change("bt", G, z, R, 0.1) > 1e-3


def test_worst_rotation_change_is_zero_at_isotropic_vicreg_points_only():
    G = rank.relation("views4x2")
    isotropic = rank.isotropic_random(8, 2, 1.0, generator(5))
    assert rank.worst_rotation_change("vicreg", G, isotropic, 0.1, generator(6)) < 1e-12
    anisotropic = isotropic * torch.tensor([1.0, 0.5], dtype=torch.float64)
    worst = rank.worst_rotation_change("vicreg", G, anisotropic, 0.1, generator(6))
    one = rank.rotation_change("vicreg", G, anisotropic, rank.random_orthogonal(2, generator(6)),
                               0.1)
    assert worst >= one > 1e-3


def test_rotation_sweep_at_random_points():
    swept = rank.rotation_sweep("simclr", "views4x2", 0, rank.TAU, "random", profile="quick",
                                device="cpu")
    assert [k for k, _ in swept.changes] == [3, 4, 5]
    assert swept.error < 1e-14
    assert list(swept.extra) == ["n", "change_random_at_K=c-1", "change_random_at_K=c+0",
                                 "change_random_at_K=c+1"]
    with pytest.raises(ValueError, match="point"):
        rank.rotation_sweep("simclr", "views4x2", 0, rank.TAU, "optima", profile="quick",
                            device="cpu")


def test_rotation_sweep_error_is_the_largest_change():
    swept = rank.RotationSweep("optimum", 4, ((3, 1e-3), (4, 2e-3), (5, 0.0)), 8, 0.25)
    assert swept.error == 2e-3
    assert swept.extra["change_optimum_at_K=c+0"] == 2e-3
    assert (swept.extra["n"], swept.extra["min_tangent_eig"]) == (8, 0.25)
