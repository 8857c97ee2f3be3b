"""Global spectral embeddings: kernel PCA, classical MDS and kernel ISOMAP.

BL22 maps SimCLR onto these (BL22-C4): a best rank-K approximation (Eckart-Young) of a
centred kernel, Z = U_K diag(sqrt(mu_K)).
"""

from __future__ import annotations

import torch

from torch_impl.relations import Relation, RelationMatrix, as_relation, knn_relation
from torch_impl.spectral._eigen import DEFAULT_GAP_RTOL, EmbeddingResult, _solve
from torch_impl.validation import (
    Dim,
    Embedding,
    Flag,
    Int,
    InvalidInputError,
    Scalar,
    SymmetricMatrix,
    check_nonnegative,
    validate_params,
)

__all__ = ["kernel_pca", "classical_mds", "geodesic_distances", "kernel_isomap"]


def _centred_embedding(K: torch.Tensor, k: int, name: str, gap_rtol: float) -> EmbeddingResult:
    """Top-k embedding U sqrt(w) of the double-centred H K H (K symmetric float64)."""
    n = K.shape[0]
    Kc = K - K.mean(dim=0, keepdim=True) - K.mean(dim=1, keepdim=True) + K.mean()
    Kc = (Kc + Kc.mT) / 2
    res = _solve(Kc, None, k, largest=True, gap_rtol=gap_rtol)
    # Eigenvalues within round-off of 0 (e.g. the always-present constant direction of H K H,
    # or K beyond the rank of the data) may come out slightly negative: clip those, reject
    # genuinely negative ones, for which sqrt(w) has no meaning.
    tol = n * torch.finfo(torch.float64).eps * float(torch.linalg.matrix_norm(Kc))
    negative = res.values < -tol
    if bool(negative.any()):
        first = int(negative.nonzero()[0])
        raise InvalidInputError(
            f"{name}: eigenvalue {first + 1} of the centred matrix is "
            f"{float(res.values[first]):.6g} < 0 (not positive semi-definite there), so its "
            f"embedding sqrt(eigenvalue) does not exist; use n_components <= {first}"
        )
    embedding = res.vectors * res.values.clamp(min=0).sqrt()
    return EmbeddingResult(embedding, res.values, res.degenerate, res.eigengap)


@validate_params(K=SymmetricMatrix(), n_components=Int(low=1, high=Dim("K")), gap_rtol=Scalar())
def kernel_pca(
    K: torch.Tensor, n_components: int, *, gap_rtol: float = DEFAULT_GAP_RTOL
) -> EmbeddingResult:
    """Kernel PCA of a precomputed kernel (Schoelkopf et al. 1998).

    Centres the kernel in feature space, K_c = H K H with H = I - 1 1^T / N, and returns the top
    K eigenpairs (w_k, u_k) of K_c as the embedding Z = [u_1 sqrt(w_1), ..., u_K sqrt(w_K)], the
    principal components of the implicit features (Z Z^T is the best rank-K approximation of
    K_c). Same output as scikit-learn's ``KernelPCA(kernel="precomputed").fit_transform(K)`` up
    to column signs.

    Parameters
    ----------
    K : torch.Tensor of shape (N, N)
        Symmetric kernel (Gram) matrix, floating dtype.
    n_components : int
        K, 1 <= K <= N.
    gap_rtol : float, default=1e-8
        Relative tolerance of the degeneracy report (see :func:`generalized_eigh`).

    Returns
    -------
    EmbeddingResult
        ``embedding`` (N, K) with ||Z[:, k]||^2 = max(w_k, 0); ``values`` (K,) the eigenvalues w
        of K_c, descending and unclipped; ``degenerate``/``eigengap`` between w_K and w_{K+1}.

    Raises
    ------
    InvalidInputError
        A selected eigenvalue is negative beyond round-off, N * eps * ||K_c||_F (K is not
        positive semi-definite on the selected directions); the message says how many
        components are available. Eigenvalues within round-off of zero are clipped to 0.
    """
    return _centred_embedding(K.to(torch.float64), n_components, "K", gap_rtol)


@validate_params(
    distances=SymmetricMatrix(),
    n_components=Int(low=1, high=Dim("distances")),
    squared=Flag(),
    gap_rtol=Scalar(),
)
def classical_mds(
    distances: torch.Tensor,
    n_components: int,
    *,
    squared: bool = False,
    gap_rtol: float = DEFAULT_GAP_RTOL,
) -> EmbeddingResult:
    """Classical (Torgerson) multidimensional scaling.

    Double centring B = -1/2 H D^(2) H of the squared distances D^(2), H = I - 1 1^T / N, then
    the embedding Z = U_K diag(sqrt(w_K)) of B's top K eigenpairs. For Euclidean distances
    between points Y, B = (H Y)(H Y)^T, so Z recovers the centred points up to an orthogonal
    map. Same output as scikit-learn's ``ClassicalMDS(metric="precomputed")`` up to column signs.

    Parameters
    ----------
    distances : torch.Tensor of shape (N, N)
        Symmetric, non-negative dissimilarities, floating dtype.
    n_components : int
        K, 1 <= K <= N.
    squared : bool, default=False
        ``distances`` already holds squared distances D^(2).
    gap_rtol : float, default=1e-8
        Relative tolerance of the degeneracy report (see :func:`generalized_eigh`).

    Returns
    -------
    EmbeddingResult
        ``embedding`` (N, K); ``values`` (K,) the top eigenvalues of B, descending, unclipped
        (the squared norms of the columns, up to the clipping of round-off negatives).

    Raises
    ------
    InvalidInputError
        Non-Euclidean input whose B has a negative eigenvalue among the top K (beyond the
        round-off N * eps * ||B||_F): rather than return NaN, the error names how many
        components have a real embedding. Negative eigenvalues below the selection, which a
        non-Euclidean input typically has, do not matter and are not reported.
    """
    # A value check beyond the symmetric-matrix constraint: distances are >= 0.
    check_nonnegative(distances, "distances")
    D = distances.to(torch.float64)
    D2 = D if squared else D.square()
    return _centred_embedding(-0.5 * D2, n_components, "distances", gap_rtol)


@validate_params(X=Embedding(min_rows=2), n_neighbors=Int(low=1, high=Dim("X", offset=-1)))
def geodesic_distances(X: torch.Tensor, n_neighbors: int) -> torch.Tensor:
    """Shortest-path (geodesic) distances on the symmetrised kNN graph of the rows of X.

    Edge i - j exists when j is among the ``n_neighbors`` nearest neighbours of i or i among
    those of j (:func:`torch_impl.relations.knn_relation`) and weighs ||x_i - x_j||_2; path
    lengths are minimised by Floyd-Warshall, N rounds of D <- min(D, D[:, m] + D[m, :]),
    O(N^3) work and O(N^2) memory (meant for N up to a few thousand).

    Parameters
    ----------
    X : torch.Tensor of shape (N, D)
        Data, one sample a row, N >= 2.
    n_neighbors : int
        k, 1 <= k <= N - 1.

    Returns
    -------
    torch.Tensor of shape (N, N), float64
        Symmetric geodesic distances with a zero diagonal, on X's device.

    Raises
    ------
    InvalidInputError
        The kNN graph is disconnected: distances between its components would be infinite.
    """
    X = X.to(torch.float64)
    G = knn_relation.unchecked(X, n_neighbors)
    n_cc = as_relation(G).n_components
    if n_cc > 1:
        raise InvalidInputError(
            f"the {n_neighbors}-nearest-neighbour graph of X has {n_cc} connected components, "
            "so geodesic distances between them are infinite; increase n_neighbors"
        )
    # The matmul shortcut of cdist loses ~sqrt(eps) relative accuracy on close pairs, the
    # very edges a kNN graph keeps.
    edge = torch.cdist(X, X, compute_mode="donot_use_mm_for_euclid_dist")
    return _shortest_paths(torch.where(G > 0, edge, torch.full_like(edge, float("inf"))))


@validate_params(G=RelationMatrix())
def hop_distances(G: torch.Tensor | Relation) -> torch.Tensor:
    """Shortest-path hop counts of the relation graph G itself, (N, N), float64.

    The geodesic distances of G (every edge of length 1), whose classical MDS is kernel ISOMAP
    of G; ``inf`` between connected components (unlike :func:`geodesic_distances`, which
    builds its graph from data and requires it connected).
    """
    return _shortest_paths(torch.where(G.dense() > 0, 1.0, float("inf")).to(torch.float64))


def _shortest_paths(D: torch.Tensor) -> torch.Tensor:
    """Floyd-Warshall on edge lengths D (N, N; inf = no edge), in place: N rounds of
    D <- min(D, D[:, m] + D[m, :]), O(N^3) work, O(N^2) memory."""
    D.fill_diagonal_(0.0)
    for m in range(D.shape[0]):
        torch.minimum(D, D[:, m, None] + D[None, m, :], out=D)
    return D


@validate_params(
    X=Embedding(min_rows=2),
    n_neighbors=Int(low=1, high=Dim("X", offset=-1)),
    n_components=Int(low=1, high=Dim("X")),
    gap_rtol=Scalar(),
)
def kernel_isomap(
    X: torch.Tensor,
    n_neighbors: int,
    n_components: int,
    *,
    gap_rtol: float = DEFAULT_GAP_RTOL,
) -> EmbeddingResult:
    """Isomap (Tenenbaum et al. 2000): classical MDS of the kNN geodesic distances.

    Z = classical_mds(geodesic_distances(X, n_neighbors), n_components), i.e. kernel PCA of
    the kernel -1/2 D_geo^(2); as scikit-learn's ``Isomap`` (which centres that kernel with
    KernelPCA) up to column signs.

    Parameters
    ----------
    X : torch.Tensor of shape (N, D)
        Data, one sample a row, N >= 2.
    n_neighbors : int
        k of the kNN graph, 1 <= k <= N - 1.
    n_components : int
        K, 1 <= K <= N.
    gap_rtol : float, default=1e-8
        Relative tolerance of the degeneracy report (see :func:`generalized_eigh`).

    Returns
    -------
    EmbeddingResult
        See :func:`classical_mds`.

    Raises
    ------
    InvalidInputError
        Disconnected kNN graph (see :func:`geodesic_distances`), or a negative eigenvalue among
        the top K of the geodesic kernel (see :func:`classical_mds`).
    """
    # Checked: the constraint symmetrises the Floyd-Warshall output exactly, O(N^2) next to
    # its O(N^3).
    return classical_mds(
        geodesic_distances.unchecked(X, n_neighbors), n_components, gap_rtol=gap_rtol
    )
