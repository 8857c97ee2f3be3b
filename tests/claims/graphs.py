"""Relations the trained claims draw their trials from: eight graph families, named by a spec.

A trial's relation is a *spec*, a short string that is its own recipe (``"sbm(sizes=5-9,p=0.3,
seed=4)"``), so a counterexample in the report replays exactly as written and hypothesis shrinks
towards the first family and the smallest sizes. :func:`relations` is the strategy claims use;
:func:`build` turns a spec into the relation and its structure (:class:`Graph`).

Families (``N`` nodes, ``c`` connected components):

==========  =====================================================  ==========  ==========
family      construction                                           c           regular
==========  =====================================================  ==========  ==========
views       V views of N' samples, V in 2..4 (BL22 Sec. 2.1)        N'          yes
labels      cliques of unequal class sizes (G = Y Y^T - I)          classes     no
knn         symmetrised kNN of seeded Gaussian points in R^2        drawn       no
random      random spanning tree plus Erdos-Renyi edges, prob p     1           no
sbm         2..4 blocks, each a ``random`` graph, no edges between  blocks      no
path        P_N                                                     1           no
ring        C_N                                                     1           yes (2)
regular     union of d in {3, 4} random perfect matchings, N even   drawn       yes (d)
==========  =====================================================  ==========  ==========

Conditions (``connected``, ``regular``, ``components``) first narrow the families that can meet
them by construction, then filter the drawn graph, so every drawn spec satisfies them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

import torch
from hypothesis import strategies as st

from torch_impl.relations import (
    Relation,
    as_relation,
    class_relation,
    knn_relation,
    path_relation,
    regular_relation,
    ring_relation,
    views_relation,
)

__all__ = ["FAMILIES", "Graph", "build", "family", "relations", "size_range", "two_views",
           "two_view_originals"]

FAMILIES = ("views", "labels", "knn", "random", "sbm", "path", "ring", "regular")
"""Every family, in shrinking order (hypothesis prefers the first)."""

# What a family guarantees by construction: (always connected, never connected, regular).
_CONNECTED = {"random", "path", "ring"}
_DISCONNECTED = {"views", "labels", "sbm"}
_REGULAR = {"views", "ring", "regular"}
_SIZE_RANGE = {"quick": (6, 16), "full": (6, 64)}
_SPEC = re.compile(r"^([a-z]+)\((.*)\)$")


@dataclasses.dataclass(frozen=True)
class Graph:
    """A built relation and the structure claims condition on.

    Attributes
    ----------
    spec : str
        The recipe it was built from.
    family : str
        One of :data:`FAMILIES`.
    G : torch.Tensor of shape (N, N), float64
        Binary, symmetric, zero diagonal.
    relation : Relation
        ``G`` validated once.
    n : int
        N.
    n_components : int
        c, the number of connected components.
    regular : bool
        Every node has the same degree.
    """

    spec: str
    family: str
    G: torch.Tensor
    relation: Relation
    n: int
    n_components: int
    regular: bool


def family(spec: str) -> str:
    """The family name of a spec (the text before its parenthesis)."""
    match = _SPEC.match(spec)
    if match is None or match.group(1) not in FAMILIES:
        raise ValueError(f"spec must be 'family(key=value,...)' with family in {FAMILIES}, "
                         f"got {spec!r}")
    return match.group(1)


def _fields(spec: str) -> dict[str, str]:
    body = _SPEC.match(spec).group(2)
    return dict(item.split("=", 1) for item in body.split(",")) if body else {}


def _connected_random(n: int, p: float, gen: torch.Generator) -> torch.Tensor:
    """A random tree on n nodes (node i > 0 joins a uniform earlier node) plus each other edge
    with probability p: connected, irregular for generic draws."""
    G = torch.zeros(n, n, dtype=torch.float64)
    for i in range(1, n):
        j = int(torch.randint(0, i, (1,), generator=gen))
        G[i, j] = G[j, i] = 1.0
    extra = (torch.rand(n, n, generator=gen) < p).triu(1).to(torch.float64)
    G = torch.maximum(G, extra + extra.t())
    perm = torch.randperm(n, generator=gen)  # node order carries no structure
    return G[perm][:, perm]


def _sizes(text: str) -> tuple[int, ...]:
    return tuple(int(s) for s in text.split("-"))


def _matrix(spec: str) -> torch.Tensor:
    name, f = family(spec), _fields(spec)
    gen = torch.Generator().manual_seed(int(f.get("seed", 0)))
    if name == "views":
        return views_relation(int(f["n"]), int(f["v"]))
    if name == "labels":
        return class_relation(_sizes(f["sizes"]))
    if name == "knn":
        points = torch.randn(int(f["n"]), 2, generator=gen, dtype=torch.float64)
        return knn_relation(points, int(f["k"]))
    if name == "random":
        return _connected_random(int(f["n"]), float(f["p"]), gen)
    if name == "sbm":
        blocks = [_connected_random(size, float(f["p"]), gen) for size in _sizes(f["sizes"])]
        return torch.block_diag(*blocks)
    if name == "path":
        return path_relation(int(f["n"]))
    if name == "regular":
        return regular_relation(int(f["n"]), int(f["d"]), int(f["seed"]))
    return ring_relation(int(f["n"]))


def build(spec: str) -> Graph:
    """The relation a spec names, with its structure.

    Parameters
    ----------
    spec : str
        E.g. ``"views(n=4,v=2)"``, ``"labels(sizes=3-5)"``, ``"knn(n=20,k=3,seed=1)"``,
        ``"random(n=12,p=0.2,seed=0)"``, ``"sbm(sizes=5-7,p=0.3,seed=2)"``, ``"path(n=8)"``,
        ``"ring(n=9)"``.

    Returns
    -------
    Graph
    """
    G = _matrix(spec)
    relation = as_relation(G)
    degree = G.sum(1)
    return Graph(spec=spec, family=family(spec), G=G, relation=relation, n=G.shape[0],
                 n_components=relation.n_components,
                 regular=bool((degree == degree[0]).all()))


def two_views(originals: tuple[int, int]) -> st.SearchStrategy[str]:
    """Strategy of V = 2 views specs ``views(n=N',v=2)``, N' in ``originals`` (inclusive): the
    one relation the codebases' two-branch losses take (branch a and branch b hold each
    sample's two views). Shrinks towards the smallest N'."""
    lo, hi = originals
    if not 2 <= lo <= hi:
        raise ValueError(f"originals must be (lo, hi) with 2 <= lo <= hi, got {originals!r}")
    return st.integers(lo, hi).map(lambda n: f"views(n={n},v=2)")


def two_view_originals(spec: str) -> int:
    """N' of a V = 2 views spec (the samples per branch).

    Raises
    ------
    ValueError
        ``spec`` is not ``views(n=N',v=2)``.
    """
    fields = _fields(spec) if family(spec) == "views" else {}
    if fields.get("v") != "2" or "n" not in fields:
        raise ValueError(f"spec: expected a V = 2 views spec 'views(n=N,v=2)', got {spec!r}")
    return int(fields["n"])


def size_range(profile: str, *, scale: bool = False, device: torch.device | None = None
               ) -> tuple[int, int]:
    """The (smallest, largest) N trials draw: (6, 16) quick, (6, 64) full.

    At scale (``verify.at_scale()``), (1024, 16384) on CUDA and (1024, 2048) on a CPU, where a
    certified fit at N = 16384 does not fit the audit's time (the report records the range in
    each claim's settings).
    """
    if scale:
        return (1024, 16384) if device is not None and device.type == "cuda" else (1024, 2048)
    return _SIZE_RANGE[profile]


@st.composite
def _spec(draw: st.DrawFn, name: str, lo: int, hi: int) -> str:
    seed = draw(st.integers(0, 2**16))
    if name == "views":
        v = draw(st.integers(2, min(4, hi // 2)))
        n = draw(st.integers(max(2, -(-lo // v)), hi // v))
        return f"views(n={n},v={v})"
    if name in ("labels", "sbm"):
        smallest = 2 if name == "labels" else 3
        c = draw(st.integers(2, min(4, hi // smallest)))
        sizes = [draw(st.integers(smallest, max(smallest, hi // c))) for _ in range(c)]
        if len(set(sizes)) == 1:  # unequal classes: an irregular graph
            sizes[-1] += 1
        text = "-".join(map(str, sizes))
        if name == "labels":
            return f"labels(sizes={text})"
        return f"sbm(sizes={text},p={draw(st.sampled_from((0.2, 0.4))):g},seed={seed})"
    if name == "regular":
        n = 2 * draw(st.integers(max(lo, 6) // 2 + max(lo, 6) % 2, hi // 2))
        return f"regular(n={n},d={draw(st.integers(3, 4))},seed={seed})"
    n = draw(st.integers(max(lo, 3), hi))
    if name == "knn":
        return f"knn(n={n},k={draw(st.integers(2, min(4, n - 1)))},seed={seed})"
    if name == "random":
        return f"random(n={n},p={draw(st.sampled_from((0.1, 0.2, 0.4))):g},seed={seed})"
    return f"{name}(n={n})"


def relations(*, n: tuple[int, int], families: Sequence[str] = FAMILIES,
              connected: bool | None = None, regular: bool | None = None,
              components: tuple[int, int] | None = None) -> st.SearchStrategy[str]:
    """Strategy of relation specs with N in ``n`` meeting the stated conditions.

    Parameters
    ----------
    n : (int, int)
        Smallest and largest N (inclusive, >= 4); see :func:`size_range`.
    families : sequence of str
        Families to draw from (default: all), in shrinking order.
    connected, regular : bool or None
        Required structure (None: either).
    components : (int, int) or None
        Required range of the number of components c.

    Returns
    -------
    SearchStrategy of str
        Specs for :func:`build`.
    """
    lo, hi = n
    if not 4 <= lo <= hi:
        raise ValueError(f"n must be (lo, hi) with 4 <= lo <= hi, got {n!r}")
    unknown = sorted(set(families) - set(FAMILIES))
    if unknown:
        raise ValueError(f"families: unknown {unknown}; expected names from {FAMILIES}")
    allowed = [f for f in families
               if not (connected is True and f in _DISCONNECTED)
               and not (connected is False and f in _CONNECTED)
               and not (regular is True and f not in _REGULAR)
               and not (regular is False and f in _REGULAR)]
    if not allowed:
        raise ValueError(f"no family in {tuple(families)} meets connected={connected}, "
                         f"regular={regular}")

    def meets(spec: str) -> bool:
        graph = build(spec)
        return (lo <= graph.n <= hi
                and (connected is None or (graph.n_components == 1) == connected)
                and (regular is None or graph.regular == regular)
                and (components is None
                     or components[0] <= graph.n_components <= components[1]))

    return st.sampled_from(allowed).flatmap(lambda f: _spec(f, lo, hi)).filter(meets)
