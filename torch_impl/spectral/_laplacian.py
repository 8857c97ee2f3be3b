"""Local spectral embeddings of a relation graph G: Laplacian Eigenmaps and its linear version LPP.

BL22 maps VICReg onto these (BL22-C1, BL22-C3): the invariance term is the Dirichlet energy
tr(Z^T L Z) of the embedding on G.
"""

from __future__ import annotations

import torch

from torch_impl.relations import Relation, RelationMatrix, laplacian
from torch_impl.spectral._eigen import (
    DEFAULT_GAP_RTOL,
    EigenResult,
    EmbeddingResult,
    _cholesky,
    _flip_signs,
    _solve,
)
from torch_impl.validation import (
    Compatible,
    Dim,
    Embedding,
    Flag,
    Int,
    Scalar,
    validate_params,
    warn_if_disconnected,
)

__all__ = ["laplacian_eigenmaps", "locality_preserving_projections"]


@validate_params(
    G=RelationMatrix(),
    n_components=Int(low=1, high=Dim("G", minus_flag="drop_first")),
    normalized=Flag(),
    drop_first=Flag(),
    gap_rtol=Scalar(),
)
def laplacian_eigenmaps(
    G: torch.Tensor | Relation,
    n_components: int,
    *,
    normalized: bool = False,
    drop_first: bool = True,
    gap_rtol: float = DEFAULT_GAP_RTOL,
) -> EmbeddingResult:
    """Laplacian Eigenmaps of the relation graph G (Belkin & Niyogi 2003).

    ``normalized=False``: the bottom eigenvectors of L = D - G (unit norm), i.e. the minimisers
    of tr(Z^T L Z) subject to Z^T Z = I. ``normalized=True``: the bottom eigenvectors v of
    L_sym = I - D^{-1/2} G D^{-1/2} mapped back to the random-walk vectors u = D^{-1/2} v, which
    solve L u = lambda D u with u^T D u = 1 (minimisers of tr(Z^T L Z) s.t. Z^T D Z = I). These
    are the conventions of scikit-learn's ``spectral_embedding(norm_laplacian=...)``.

    Parameters
    ----------
    G : torch.Tensor of shape (N, N) or Relation
        Relation matrix (binary, symmetric, zero diagonal), dense or sparse COO, or a validated
        :class:`~torch_impl.relations.Relation`.
    n_components : int
        K, the embedding dimension; 1 <= K <= N - 1 with ``drop_first`` (N without).
    normalized : bool, default=False
        Use the normalised Laplacian (random-walk vectors) instead of L = D - G.
    drop_first : bool, default=True
        Drop the first eigenvector: constant (unnormalised) or constant after D^{-1/2} scaling
        (normalised) on a connected graph, it carries no information.
    gap_rtol : float, default=1e-8
        Relative tolerance of the degeneracy report (see :func:`generalized_eigh`).

    Returns
    -------
    EmbeddingResult
        ``embedding`` (N, K): eigenvectors 2..K+1 (1..K without ``drop_first``), each column's
        largest-|.| entry positive; ``values`` (K,) ascending eigenvalues (of L, or of L_sym
        which equal the generalised ones of (L, D)); ``degenerate``/``eigengap`` at the cut
        between the last kept and the first unkept eigenvalue.

    Warns
    -----
    DisconnectedGraphWarning
        G has more than one connected component: eigenvalue 0 is then repeated, so the
        dropped "trivial" vector and the next ones are arbitrary within the null space.

    Notes
    -----
    An isolated node (degree 0) keeps the scaling 1 and a zero row in L_sym, so that each
    connected component adds one null vector. scikit-learn instead resets the diagonal of
    L_sym to 1, giving an isolated node the eigenvalue 1; the two differ only on graphs with
    isolated nodes (which are disconnected, hence warned about).
    """
    G = G.to(dtype=torch.float64, sparse=False)
    # stacklevel 4: past this function and the validating wrapper, to the caller.
    warn_if_disconnected(G.n_components, "laplacian_eigenmaps", stacklevel=4)
    L = laplacian.unchecked(G, normalized=normalized)
    res = _solve(L, None, n_components + int(drop_first), largest=False, gap_rtol=gap_rtol)
    vectors = res.vectors[:, int(drop_first) :]
    if normalized:
        d = G.degree
        scale = torch.where(d > 0, d.rsqrt(), torch.ones_like(d))
        # The D^{-1/2} scaling can move each column's largest entry: fix the signs after it.
        vectors = _flip_signs(vectors * scale[:, None])
    return EmbeddingResult(vectors, res.values[int(drop_first) :], res.degenerate, res.eigengap)


@validate_params(
    Compatible("X", "G"),
    X=Embedding(),
    G=RelationMatrix(),
    n_components=Int(low=1, high=Dim("X", axis=1)),
    gap_rtol=Scalar(),
)
def locality_preserving_projections(
    X: torch.Tensor,
    G: torch.Tensor | Relation,
    n_components: int,
    *,
    gap_rtol: float = DEFAULT_GAP_RTOL,
) -> EigenResult:
    """Locality Preserving Projections (He & Niyogi 2003): linear Laplacian Eigenmaps.

    Minimises tr(W^T X^T L X W) subject to W^T X^T D X W = I over W (D, K): the K smallest
    eigenpairs of the pencil (X^T L X, X^T D X), with L = D - G and D = diag(G 1). X is used
    as given (not centred), as in the original method.

    Parameters
    ----------
    X : torch.Tensor of shape (N, D)
        Data, one sample a row, floating dtype.
    G : torch.Tensor of shape (N, N) or Relation
        Relation matrix on X's N samples and device.
    n_components : int
        K, 1 <= K <= D.
    gap_rtol : float, default=1e-8
        Relative tolerance of the degeneracy report (see :func:`generalized_eigh`).

    Returns
    -------
    EigenResult
        ``vectors`` W (D, K), X^T D X-orthonormal; ``values`` (K,) ascending; the projection is
        Z = X W.

    Raises
    ------
    InvalidInputError
        X^T D X is singular: some direction of X is carried only by isolated nodes, or X has
        collinear columns or fewer related samples than features.
    """
    X = X.to(torch.float64)
    G = G.to(dtype=torch.float64, sparse=False)
    d = G.degree
    A = X.mT @ (laplacian.unchecked(G) @ X)
    B = X.mT @ (d[:, None] * X)
    C = _cholesky(
        (B + B.mT) / 2,
        "X^T D X",
        " (X must have rank D on the samples with a positive degree in G)",
    )
    return _solve((A + A.mT) / 2, C, n_components, largest=False, gap_rtol=gap_rtol)
