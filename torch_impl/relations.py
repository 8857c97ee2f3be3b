"""Relation matrices G (BL22 Sec. 2.1), the validated :class:`Relation`, and graph quantities.

G in {0, 1}^{N x N} is symmetric with a zero diagonal; G_ij = 1 iff samples i and j are a
positive pair. Every function taking G accepts a dense tensor, a torch sparse COO tensor, or a
:class:`Relation`: a tensor is validated (O(N^2) for a dense one) on every call, a ``Relation``
was validated once when it was built, and passes through in O(1). Optimiser loops build the
``Relation`` once (:func:`as_relation`) and hand it to every loss evaluation.

Builders: :func:`views_relation` (the paper's augmented views), :func:`labels_relation`,
:func:`class_relation`, :func:`knn_relation`, :func:`ring_relation`, :func:`path_relation`,
:func:`regular_relation`; all return float64 tensors by default.
"""

from __future__ import annotations

import dataclasses

import torch
import torch.nn.functional as F

from torch_impl.validation import (
    Constraint,
    Device,
    Dim,
    DType,
    Embedding,
    Flag,
    Int,
    InvalidInputError,
    Labels,
    Shape,
    checked_relation_pairs,
    validate_params,
)

__all__ = [
    "Relation",
    "RelationMatrix",
    "as_relation",
    "views_relation",
    "labels_relation",
    "class_relation",
    "knn_relation",
    "ring_relation",
    "path_relation",
    "regular_relation",
    "validate_relation",
    "degree",
    "laplacian",
    "positive_pairs",
    "connected_components",
    "component_indicators",
]


def _components(rows: torch.Tensor, cols: torch.Tensor, n: int) -> tuple[int, torch.Tensor]:
    """Connected components from the edge list: (count, labels numbered by first occurrence)."""
    label = torch.arange(n, device=rows.device)
    # Min-label propagation with pointer jumping: each round every edge pulls the smaller
    # label across and every node jumps to its label's label, so rounds ~ log(diameter).
    while True:
        new = label.clone()
        new.scatter_reduce_(0, rows, label[cols], reduce="amin")
        new = new[new]
        if torch.equal(new, label):
            break
        label = new
    roots, labels = torch.unique(label, return_inverse=True)
    # torch.unique sorts roots; roots are each component's smallest node, so numbering by root
    # order is numbering by first occurrence.
    return int(roots.numel()), labels


class Relation:
    """A relation G (N, N) validated once, with the quantities every loss reads off it.

    Build it with :meth:`from_tensor` or :func:`as_relation`. Immutable: the tensors below are
    shared, not copied, on every access; do not modify them in place.

    Attributes
    ----------
    n : int
        N.
    shape : tuple[int, int]
        (N, N).
    rows, cols : torch.Tensor of shape (nnz,), int64
        Every nonzero G_ij, row-major: the order of ``G.nonzero(as_tuple=True)``.
    degree : torch.Tensor of shape (N,)
        d = G 1, in G's floating dtype.
    n_components : int
        Number of connected components c.
    labels : torch.Tensor of shape (N,), int64
        Component of each node, numbered 0, 1, ... by first occurrence.
    dtype : torch.dtype
        G's floating dtype (a bool or integer G becomes float64).
    device : torch.device
    is_sparse : bool
        The layout in which G came (and in which :func:`laplacian` returns L).
    nnz : int
        Number of ordered positive pairs, ``rows.numel()``.
    """

    __slots__ = (
        "_n",
        "_rows",
        "_cols",
        "_degree",
        "_n_components",
        "_labels",
        "_dtype",
        "_is_sparse",
        "_cache",
    )

    def __init__(self, *, n, rows, cols, degree, n_components, labels, dtype, is_sparse, cache):
        # Private: the fields must come from a validated G (from_tensor) or another Relation.
        for field, value in (
            ("_n", n),
            ("_rows", rows),
            ("_cols", cols),
            ("_degree", degree),
            ("_n_components", n_components),
            ("_labels", labels),
            ("_dtype", dtype),
            ("_is_sparse", is_sparse),
            ("_cache", cache),
        ):
            object.__setattr__(self, field, value)

    def __setattr__(self, name, value):
        raise AttributeError("Relation is immutable")

    @classmethod
    def from_tensor(cls, G: object, name: str = "G") -> Relation:
        """Validate G once (``check_relation``: square, finite, binary, zero diagonal,
        symmetric; dense or sparse COO) and precompute its pairs, degrees and components.

        O(N^2) for a dense G, O(nnz log nnz) for a sparse one. Errors name the argument
        ``name``.
        """
        G, rows, cols = checked_relation_pairs(G, name)
        n = G.shape[0]
        if G.is_sparse:
            degree_n = torch.sparse.sum(G, dim=1).to_dense()
            cache = {"sparse": G}
        else:
            degree_n = G.sum(dim=1)
            cache = {"dense": G}
        n_components, labels = _components(rows, cols, n)
        return cls(
            n=n,
            rows=rows,
            cols=cols,
            degree=degree_n,
            n_components=n_components,
            labels=labels,
            dtype=G.dtype,
            is_sparse=G.is_sparse,
            cache=cache,
        )

    n = property(lambda self: self._n)
    rows = property(lambda self: self._rows)
    cols = property(lambda self: self._cols)
    degree = property(lambda self: self._degree)
    n_components = property(lambda self: self._n_components)
    labels = property(lambda self: self._labels)
    dtype = property(lambda self: self._dtype)
    is_sparse = property(lambda self: self._is_sparse)
    device = property(lambda self: self._rows.device)
    shape = property(lambda self: (self._n, self._n))
    nnz = property(lambda self: int(self._rows.numel()))

    def dense(self) -> torch.Tensor:
        """G as a dense (N, N) tensor of ``dtype`` (built once, then cached)."""
        if "dense" not in self._cache:
            G = torch.zeros(self._n, self._n, dtype=self._dtype, device=self.device)
            G[self._rows, self._cols] = 1
            self._cache["dense"] = G
        return self._cache["dense"]

    def sparse(self) -> torch.Tensor:
        """G as a coalesced sparse COO (N, N) tensor of ``dtype`` (built once, then cached)."""
        if "sparse" not in self._cache:
            values = torch.ones(self._rows.numel(), dtype=self._dtype, device=self.device)
            self._cache["sparse"] = torch.sparse_coo_tensor(
                torch.stack([self._rows, self._cols]), values, self.shape, check_invariants=False
            ).coalesce()
        return self._cache["sparse"]

    def indicators(self) -> torch.Tensor:
        """Component indicator matrix P (N, c) of ``dtype``: P_ic = 1 iff node i is in
        component c (cached)."""
        if "indicators" not in self._cache:
            self._cache["indicators"] = F.one_hot(self._labels, self._n_components).to(self._dtype)
        return self._cache["indicators"]

    def to(
        self,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        *,
        sparse: bool | None = None,
    ) -> Relation:
        """This relation on another device, floating dtype or layout (None keeps it); no
        re-validation. Returns ``self`` when nothing changes."""
        device = self.device if device is None else torch.device(device)
        dtype = self._dtype if dtype is None else dtype
        sparse = self._is_sparse if sparse is None else sparse
        if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
            raise TypeError(f"dtype must be a floating torch.dtype, got {dtype!r}")
        if (device, dtype, sparse) == (self.device, self._dtype, self._is_sparse):
            return self
        moved = {"dense", "sparse", "indicators"}
        cache = {k: v.to(device=device, dtype=dtype) for k, v in self._cache.items() if k in moved}
        return Relation(
            n=self._n,
            rows=self._rows.to(device),
            cols=self._cols.to(device),
            degree=self._degree.to(device=device, dtype=dtype),
            n_components=self._n_components,
            labels=self._labels.to(device),
            dtype=dtype,
            is_sparse=sparse,
            cache=cache,
        )

    def __repr__(self) -> str:
        layout = "sparse" if self._is_sparse else "dense"
        return (
            f"Relation(n={self._n}, nnz={self.nnz}, n_components={self._n_components}, "
            f"dtype={self._dtype}, device={self.device}, {layout})"
        )


def as_relation(G: object, name: str = "G") -> Relation:
    """``G`` as a :class:`Relation`: a Relation passes through (O(1)), a tensor is validated
    by :meth:`Relation.from_tensor` (errors name ``name``)."""
    if isinstance(G, Relation):
        return G
    return Relation.from_tensor(G, name)


@dataclasses.dataclass(frozen=True)
class RelationMatrix(Constraint):
    """A relation G (dense, sparse COO or :class:`Relation`), converted to a ``Relation``."""

    def check(self, value, name, args):
        return as_relation(value, name)


def _layout(G: torch.Tensor, sparse: bool) -> torch.Tensor:
    return G.to_sparse().coalesce() if sparse else G


@validate_params(
    n_samples=Int(low=1), n_views=Int(low=2), dtype=DType(), device=Device(), sparse=Flag()
)
def views_relation(
    n_samples: int,
    n_views: int = 2,
    *,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str | None = None,
    sparse: bool = False,
) -> torch.Tensor:
    """Relation of V augmented views of N' originals (BL22 Sec. 2.1, the paper's snippet).

    Row ``v * n_samples + i`` is view v of sample i; it is positive with every other view of
    sample i. In closed form G = (1_V 1_V^T - I_V) kron I_{N'}, of shape (V N', V N'), a regular
    graph of degree V - 1 with N' connected components.

    Built exactly as the paper's code: ``i = arange(N).repeat_interleave(V - 1)``,
    ``j = (i + arange(1, V).repeat(N) * N').remainder(N)``, ``G[i, j] = 1``.

    Parameters
    ----------
    n_samples : int
        N', the number of original samples (>= 1).
    n_views : int, default=2
        V, the number of views per sample (>= 2).
    dtype : torch.dtype, default=torch.float64
        Floating dtype of G.
    device : torch.device, str or None, default=None
        Device of G (None: the default device).
    sparse : bool, default=False
        Return a coalesced sparse COO tensor instead of a dense one.
    """
    n = n_samples * n_views
    i = torch.arange(0, n, device=device).repeat_interleave(n_views - 1)
    j = (i + torch.arange(1, n_views, device=device).repeat(n) * n_samples).remainder(n)
    if sparse:
        values = torch.ones(i.numel(), dtype=dtype, device=device)
        return torch.sparse_coo_tensor(
            torch.stack([i, j]), values, (n, n), check_invariants=False
        ).coalesce()
    G = torch.zeros(n, n, dtype=dtype, device=device)
    G[i, j] = 1
    return G


@validate_params(labels=Labels(), dtype=DType())
def labels_relation(labels: torch.Tensor, *, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Class relation: G_ij = 1 iff labels_i == labels_j and i != j, shape (N, N).

    Its connected components are the classes (each a clique); BL22 Sec. 2.1's supervised
    G = Y Y^T - I.
    """
    G = (labels[:, None] == labels[None, :]).to(dtype)
    G.fill_diagonal_(0)
    return G


@validate_params(sizes=Shape(), dtype=DType(), device=Device(), sparse=Flag())
def class_relation(
    sizes: tuple[int, ...],
    *,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str | None = None,
    sparse: bool = False,
) -> torch.Tensor:
    """Class relation with classes of the given sizes on consecutive rows (BL22 Sec. 2.1).

    Disjoint cliques: :func:`labels_relation` of ``labels = [0] * sizes[0] + [1] * sizes[1] +
    ...``; node degrees are size - 1, so unequal sizes give an irregular graph.

    Parameters
    ----------
    sizes : tuple of int
        Class sizes, each >= 1.
    dtype, device, sparse
        As in :func:`views_relation`.

    Returns
    -------
    torch.Tensor of shape (sum(sizes), sum(sizes))
    """
    labels = torch.repeat_interleave(
        torch.arange(len(sizes), device=device), torch.tensor(sizes, device=device)
    )
    return _layout(labels_relation.unchecked(labels, dtype=dtype), sparse)


@validate_params(X=Embedding(min_rows=2), k=Int(low=1, high=Dim("X", offset=-1)))
def knn_relation(X: torch.Tensor, k: int) -> torch.Tensor:
    """Symmetrised k-nearest-neighbour relation of the rows of ``X`` (N, D), shape (N, N).

    i ~ j iff j is among the k nearest (Euclidean) neighbours of i or i among those of j:
    G = max(A, A^T) with A the directed kNN adjacency (self excluded). Ties are broken by index.

    Parameters
    ----------
    X : torch.Tensor of shape (N, D)
        Points, one a row, N >= 2.
    k : int
        1 <= k <= N - 1.
    """
    n = X.shape[0]
    d2 = torch.cdist(X, X).square()
    d2.fill_diagonal_(float("inf"))
    nbrs = torch.topk(d2, k, dim=1, largest=False, sorted=True).indices
    A = torch.zeros(n, n, dtype=X.dtype, device=X.device)
    A.scatter_(1, nbrs, 1.0)
    return torch.maximum(A, A.t())


@validate_params(n=Int(low=3), dtype=DType(), device=Device(), sparse=Flag())
def ring_relation(
    n: int,
    *,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str | None = None,
    sparse: bool = False,
) -> torch.Tensor:
    """Cycle graph C_n: i ~ i +- 1 mod n, shape (n, n); connected, 2-regular.

    Parameters
    ----------
    n : int
        Number of nodes, >= 3.
    dtype, device, sparse
        As in :func:`views_relation`.
    """
    idx = torch.arange(n, device=device)
    G = torch.zeros(n, n, dtype=dtype, device=device)
    G[idx, (idx + 1) % n] = 1
    G[(idx + 1) % n, idx] = 1
    return _layout(G, sparse)


@validate_params(n=Int(low=1), dtype=DType(), device=Device(), sparse=Flag())
def path_relation(
    n: int,
    *,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str | None = None,
    sparse: bool = False,
) -> torch.Tensor:
    """Path graph P_n: i ~ i + 1, shape (n, n); connected, Laplacian eigenvalues
    2 - 2 cos(pi k / n), k = 0 .. n - 1.

    Parameters
    ----------
    n : int
        Number of nodes, >= 1.
    dtype, device, sparse
        As in :func:`views_relation`.
    """
    G = torch.zeros(n, n, dtype=dtype, device=device)
    idx = torch.arange(n - 1, device=device)
    G[idx, idx + 1] = 1.0
    G[idx + 1, idx] = 1.0
    return _layout(G, sparse)


@validate_params(
    n=Int(low=2), degree=Int(low=0), seed=Int(low=0), dtype=DType(), device=Device(), sparse=Flag()
)
def regular_relation(
    n: int,
    degree: int,
    seed: int,
    *,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str | None = None,
    sparse: bool = False,
) -> torch.Tensor:
    """A random ``degree``-regular relation on n nodes: a union of ``degree`` perfect matchings.

    Each matching pairs a random permutation's first half with its second half (CPU generator
    seeded by ``seed``); a draw whose matchings share an edge is rejected and drawn again, so G
    is binary, symmetric, zero-diagonal and every node has degree exactly ``degree``. Its
    spectrum is generically simple: a regular graph with a real eigengap at every K (unlike the
    views graph).

    Parameters
    ----------
    n : int
        Number of nodes, even, >= 2.
    degree : int
        0 <= degree < n.
    seed : int
        >= 0.
    dtype, device, sparse
        As in :func:`views_relation`.

    Returns
    -------
    torch.Tensor of shape (n, n)
    """
    if n % 2 or degree >= n:
        raise InvalidInputError(
            f"n must be even and degree < n for a union of perfect matchings, got n={n}, "
            f"degree={degree}"
        )
    gen = torch.Generator().manual_seed(seed)
    while True:
        G = torch.zeros(n, n, dtype=torch.float64)
        for _ in range(degree):
            perm = torch.randperm(n, generator=gen)
            a, b = perm[: n // 2], perm[n // 2 :]
            if bool((G[a, b] > 0).any()):
                break
            G[a, b] = 1.0
            G[b, a] = 1.0
        else:
            return _layout(G.to(dtype=dtype, device=device), sparse)


@validate_params(G=RelationMatrix())
def validate_relation(G: torch.Tensor | Relation) -> torch.Tensor:
    """Check G (square, symmetric, binary, zero diagonal) and return it as a float tensor in
    its layout (a sparse G coalesced)."""
    return G.sparse() if G.is_sparse else G.dense()


@validate_params(G=RelationMatrix())
def degree(G: torch.Tensor | Relation) -> torch.Tensor:
    """Degree vector d = G 1, shape (N,), in G's floating dtype (a new tensor)."""
    return G.degree.clone()


@validate_params(G=RelationMatrix(), normalized=Flag())
def laplacian(G: torch.Tensor | Relation, normalized: bool = False) -> torch.Tensor:
    """Graph Laplacian of G, shape (N, N), in G's layout (dense or sparse COO).

    ``normalized=False``: L = D - G. ``normalized=True``: the symmetric normalised
    L_sym = I - D^{-1/2} G D^{-1/2} (isolated nodes get scaling 1, as scipy's csgraph).
    """
    d, n = G.degree, G.n
    if not normalized:
        if G.is_sparse:
            idx = torch.arange(n, device=G.device)
            D = torch.sparse_coo_tensor(torch.stack([idx, idx]), d, (n, n), check_invariants=False)
            return (D - G.sparse()).coalesce()
        return torch.diag(d) - G.dense()
    s = torch.where(d > 0, d.rsqrt(), torch.ones_like(d))
    if G.is_sparse:
        Gs = G.sparse()
        rows, cols = Gs.indices()
        scaled = torch.sparse_coo_tensor(
            Gs.indices(), Gs.values() * s[rows] * s[cols], (n, n), check_invariants=False
        )
        idx = torch.arange(n, device=G.device)
        eye = torch.sparse_coo_tensor(
            torch.stack([idx, idx]), (d > 0).to(G.dtype), (n, n), check_invariants=False
        )
        return (eye - scaled).coalesce()
    return torch.diag((d > 0).to(G.dtype)) - s[:, None] * G.dense() * s[None, :]


@validate_params(G=RelationMatrix())
def positive_pairs(G: torch.Tensor | Relation) -> tuple[torch.Tensor, torch.Tensor]:
    """Row and column indices of every nonzero G_ij, in row-major order (new tensors).

    Same order as the paper's ``G.nonzero(as_tuple=True)``, used to build BarlowTwins'
    (Z_left, Z_right) = (Z[rows], Z[cols]) from a general G (BL22 Sec. 2.4).
    """
    return G.rows.clone(), G.cols.clone()


@validate_params(G=RelationMatrix())
def connected_components(G: torch.Tensor | Relation) -> tuple[int, torch.Tensor]:
    """Connected components of the graph G.

    Returns
    -------
    n_components : int
    labels : torch.Tensor of shape (N,), int64
        Component of each node, numbered 0, 1, ... in order of each component's first node.
    """
    return G.n_components, G.labels.clone()


@validate_params(G=RelationMatrix())
def component_indicators(G: torch.Tensor | Relation) -> torch.Tensor:
    """Component indicator matrix P (N, c) in G's floating dtype: P_ic = 1 iff node i is in
    component c (numbered as :func:`connected_components`); span(P) is the null space of the
    Laplacian D - G. A new tensor."""
    return G.indicators().clone()
