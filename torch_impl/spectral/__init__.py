"""Classical spectral methods that BL22 maps the SSL losses onto, in float64 on any device.

One method family a module: ``_eigen`` (the generalized symmetric eigensolver every method
uses, and the result types), ``_laplacian`` (Laplacian Eigenmaps, LPP: local, VICReg),
``_mds`` (kernel PCA, classical MDS, kernel ISOMAP: global, SimCLR), ``_cca`` (CCA:
BarlowTwins). Conventions follow scikit-learn's ``manifold`` module: each
eigenvector's largest-|.| entry is positive; normalised Laplacian Eigenmaps returns the
random-walk vectors D^{-1/2} v. Every result reports whether the cut between kept and
dropped eigenvalues is degenerate, since only an eigenspace is defined then. A relation G may
be given as a tensor or as a prebuilt :class:`torch_impl.relations.Relation`.
"""

from torch_impl.spectral._cca import CCAResult, cca
from torch_impl.spectral._eigen import (
    DEFAULT_GAP_RTOL,
    EigenResult,
    EmbeddingResult,
    generalized_eigh,
)
from torch_impl.spectral._laplacian import laplacian_eigenmaps, locality_preserving_projections
from torch_impl.spectral._mds import (
    classical_mds,
    geodesic_distances,
    hop_distances,
    kernel_isomap,
    kernel_pca,
)

__all__ = [
    "DEFAULT_GAP_RTOL",
    "EigenResult",
    "EmbeddingResult",
    "CCAResult",
    "generalized_eigh",
    "laplacian_eigenmaps",
    "locality_preserving_projections",
    "kernel_pca",
    "classical_mds",
    "geodesic_distances",
    "hop_distances",
    "kernel_isomap",
    "cca",
]
