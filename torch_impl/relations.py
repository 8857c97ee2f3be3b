"""Relation matrices G (BL22 Sec. 2.1) and the graph quantities built from them.

G in {0, 1}^{N x N} is symmetric with a zero diagonal; G_ij = 1 iff samples i and j are a
positive pair. Every function accepts a dense tensor or a torch sparse COO tensor.
"""

from __future__ import annotations

import torch

from torch_impl.validation import (
    InvalidInputError,
    check_embedding,
    check_int,
    check_labels,
    check_relation,
)

__all__ = [
    "views_relation",
    "labels_relation",
    "knn_relation",
    "validate_relation",
    "degree",
    "laplacian",
    "positive_pairs",
    "connected_components",
]


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
    sparse : bool, default=False
        Return a coalesced sparse COO tensor instead of a dense one.
    """
    n_samples = check_int(n_samples, "n_samples", low=1)
    n_views = check_int(n_views, "n_views", low=2)
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


def labels_relation(labels: torch.Tensor, *, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Class relation: G_ij = 1 iff labels_i == labels_j and i != j, shape (N, N).

    Its connected components are the classes (each a clique).
    """
    labels = check_labels(labels)
    G = (labels[:, None] == labels[None, :]).to(dtype)
    G.fill_diagonal_(0)
    return G


def knn_relation(X: torch.Tensor, k: int) -> torch.Tensor:
    """Symmetrised k-nearest-neighbour relation of the rows of ``X`` (N, D), shape (N, N).

    i ~ j iff j is among the k nearest (Euclidean) neighbours of i or i among those of j:
    G = max(A, A^T) with A the directed kNN adjacency (self excluded). Ties are broken by index.
    """
    X = check_embedding(X, "X")
    n = X.shape[0]
    if n < 2:
        raise InvalidInputError(f"X must have at least 2 rows for a kNN relation, got N={n}")
    k = check_int(k, "k", low=1, high=n - 1)
    d2 = torch.cdist(X, X).square()
    d2.fill_diagonal_(float("inf"))
    nbrs = torch.topk(d2, k, dim=1, largest=False, sorted=True).indices
    A = torch.zeros(n, n, dtype=X.dtype, device=X.device)
    A.scatter_(1, nbrs, 1.0)
    return torch.maximum(A, A.t())


def validate_relation(G: torch.Tensor) -> torch.Tensor:
    """Check G (square, symmetric, binary, zero diagonal) and return it as a float tensor."""
    return check_relation(G)


def degree(G: torch.Tensor) -> torch.Tensor:
    """Degree vector d = G 1, shape (N,)."""
    G = check_relation(G)
    if G.is_sparse:
        return torch.sparse.sum(G, dim=1).to_dense()
    return G.sum(dim=1)


def laplacian(G: torch.Tensor, normalized: bool = False) -> torch.Tensor:
    """Graph Laplacian of G, shape (N, N), in G's layout (dense or sparse COO).

    ``normalized=False``: L = D - G. ``normalized=True``: the symmetric normalised
    L_sym = I - D^{-1/2} G D^{-1/2} (isolated nodes get scaling 1, as scipy's csgraph).
    """
    G = check_relation(G)
    d = degree(G)
    n = G.shape[0]
    if not normalized:
        if G.is_sparse:
            idx = torch.arange(n, device=G.device)
            D = torch.sparse_coo_tensor(
                torch.stack([idx, idx]), d, (n, n), check_invariants=False
            )
            return (D - G).coalesce()
        return torch.diag(d) - G
    s = torch.where(d > 0, d.rsqrt(), torch.ones_like(d))
    if G.is_sparse:
        rows, cols = G.indices()
        scaled = torch.sparse_coo_tensor(
            G.indices(), G.values() * s[rows] * s[cols], (n, n), check_invariants=False
        )
        idx = torch.arange(n, device=G.device)
        eye = torch.sparse_coo_tensor(
            torch.stack([idx, idx]), (d > 0).to(G.dtype), (n, n), check_invariants=False
        )
        return (eye - scaled).coalesce()
    return torch.diag((d > 0).to(G.dtype)) - s[:, None] * G * s[None, :]


def positive_pairs(G: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Row and column indices of every nonzero G_ij, in row-major order.

    Same order as the paper's ``G.nonzero(as_tuple=True)``, used to build BarlowTwins'
    (Z_left, Z_right) = (Z[rows], Z[cols]) from a general G (BL22 Sec. 2.4).
    """
    G = check_relation(G)
    if G.is_sparse:
        idx = G.indices()
        keep = G.values() != 0
        return idx[0][keep], idx[1][keep]
    return torch.nonzero(G, as_tuple=True)


def connected_components(G: torch.Tensor) -> tuple[int, torch.Tensor]:
    """Connected components of the graph G.

    Returns
    -------
    n_components : int
    labels : torch.Tensor of shape (N,), int64
        Component of each node, numbered 0, 1, ... in order of each component's first node.
    """
    rows, cols = positive_pairs(G)
    n = G.shape[0]
    label = torch.arange(n, device=G.device)
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
