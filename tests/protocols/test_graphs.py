"""Tests of tests/claims/graphs.py (the relation families trained claims draw from)."""

from __future__ import annotations

import collections

import pytest
import torch
from hypothesis import given, settings

from tests.claims import graphs

# One spec per family, with the structure it must have.
SPECS = {
    "views(n=4,v=3)": ("views", 12, 4, True),
    "labels(sizes=2-3-5)": ("labels", 10, 3, False),
    "knn(n=20,k=3,seed=1)": ("knn", 20, None, None),
    "random(n=12,p=0.2,seed=0)": ("random", 12, 1, False),
    "sbm(sizes=5-7,p=0.2,seed=2)": ("sbm", 12, 2, False),
    "path(n=8)": ("path", 8, 1, False),
    "ring(n=9)": ("ring", 9, 1, True),
    "regular(n=12,d=3,seed=5)": ("regular", 12, None, True),
}
CONDITIONS = [
    {"connected": True}, {"connected": False}, {"regular": True}, {"regular": False},
    {"components": (2, 4)}, {"connected": True, "regular": False},
]


@pytest.mark.parametrize("spec", sorted(SPECS))
def test_build_gives_a_valid_relation_with_the_stated_structure(spec):
    family, n, c, regular = SPECS[spec]
    graph = graphs.build(spec)
    G = graph.G
    assert (graph.family, graph.n, G.shape) == (family, n, (n, n))
    assert torch.equal(G, G.t())
    assert torch.equal(G.diagonal(), torch.zeros(n, dtype=G.dtype))
    assert set(G.unique().tolist()) <= {0.0, 1.0}
    if c is not None:
        assert graph.n_components == c
    if regular is not None:
        assert graph.regular == regular


def test_build_is_deterministic_in_the_spec():
    for spec in SPECS:
        assert torch.equal(graphs.build(spec).G, graphs.build(spec).G)


@pytest.mark.parametrize("bad", ["views", "cube(n=3)", "path n=8"])
def test_bad_spec_is_rejected_naming_the_format(bad):
    with pytest.raises(ValueError, match="family\\(key=value"):
        graphs.build(bad)


@pytest.mark.parametrize("condition", CONDITIONS, ids=str)
def test_every_drawn_spec_meets_the_conditions(condition):
    seen = collections.Counter()

    @settings(max_examples=30, derandomize=True, database=None, deadline=None)
    @given(graphs.relations(n=(6, 40), **condition))
    def check(spec):
        graph = graphs.build(spec)
        seen[graph.family] += 1
        assert 6 <= graph.n <= 40
        if "connected" in condition:
            assert (graph.n_components == 1) == condition["connected"]
        if "regular" in condition:
            assert graph.regular == condition["regular"]
        if "components" in condition:
            lo, hi = condition["components"]
            assert lo <= graph.n_components <= hi

    check()
    assert len(seen) >= 3, seen  # each condition is met by at least three families


def test_conditions_no_family_can_meet_are_rejected():
    with pytest.raises(ValueError, match="no family"):
        graphs.relations(n=(6, 16), families=("path",), connected=False)
    with pytest.raises(ValueError, match="n must be"):
        graphs.relations(n=(2, 16))
    with pytest.raises(ValueError, match="unknown"):
        graphs.relations(n=(6, 16), families=("cube",))


def test_two_views_draws_v2_views_specs_whose_originals_read_back():
    @settings(max_examples=20, derandomize=True, database=None, deadline=None)
    @given(graphs.two_views((3, 9)))
    def check(spec):
        n = graphs.two_view_originals(spec)
        graph = graphs.build(spec)
        assert 3 <= n <= 9
        assert (graph.family, graph.n, graph.n_components) == ("views", 2 * n, n)

    check()
    assert graphs.two_view_originals("views(n=7,v=2)") == 7
    for bad in ("views(n=4,v=3)", "ring(n=6)"):
        with pytest.raises(ValueError, match="expected a V = 2 views spec"):
            graphs.two_view_originals(bad)
    with pytest.raises(ValueError, match="originals must be"):
        graphs.two_views((1, 4))
