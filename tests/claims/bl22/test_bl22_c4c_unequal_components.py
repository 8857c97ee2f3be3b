"""BL22-C4c-unequal: the classical-MDS reading of SimCLR's optimum on a class graph of unequal
class sizes.

BL22-C4c's prediction carried over to any block-clique G (a class graph, G + I = indicators'
Gram): the normalised SimCLR optimum is the normalised classical MDS / kernel PCA embedding of
the component kernel G + I,

    normalize(Z*) normalize(Z*)^T = normalize(E) normalize(E)^T,  E = kernel_pca(G + I, C - 1).

With unequal class sizes E is no longer a regular simplex (larger classes pull the centring),
and the optimum is not E: its component directions depend on tau.
"""

from __future__ import annotations

import torch

from derivations.base import lambdify_torch
from derivations.bl22 import simclr as sym
from tests.claims.bl22.protocols import simclr
from tests.claims.bl22.protocols.settings import GRAD_TOL
from torch_impl.metrics import relative_error
from torch_impl.relations import class_relation
from torch_impl.spectral import kernel_pca
from verify import Claim, Measurement, device, profile, seed

claim = Claim(
    id="BL22-C4c-unequal",
    paper="BL22",
    source="Abstract, Sec. 1 (SimCLR <-> MDS); class graph G = Y Y^T - I (BL22-K2/D1)",
    statement="Class graph with unequal class sizes, K >= C-1: normalize(Z*) is the normalised "
              "kernel PCA / classical MDS embedding of G + I",
    provenance="SECONDARY",
    paper_asserts="SimCLR corresponds to global spectral embedding methods such as "
                  "Multidimensional Scaling (abstract); restatements: SimCLR recovers (kernel) "
                  "MDS / ISOMAP of a kernel built from G, for any relation G (views, classes, "
                  "nearest neighbours).",
    tolerance=1e-6,
    expected="FAILS",
    holds_where="BL22-C4c",
    measures="relative Frobenius distance of normalize(Z*) normalize(Z*)^T to the cosine Gram "
             "of kernel PCA of G + I",
    unit="relative",
    settings={"grad_tol": GRAD_TOL},
    tags=("trains", "sweep"),
    notes="Relaxation audited: none - the exact cosine loss at finite tau, the same formalisation "
          "and measure as BL22-C4c (relative Frobenius distance of the cosine Gram matrices), "
          "with G the class graph of C = 3 or 4 classes of unequal sizes. Candidate: "
          "torch_impl.spectral.kernel_pca(G + I, C - 1) (= classical MDS of the component "
          "distances), zero-padded to K columns. Extras: 'candidate_loss_excess' = (L(candidate) "
          "- L(Z*)) / max(1, |L(Z*)|) > 0 proves the candidate is NOT a minimiser whatever the "
          "optimiser found; 'simplex_gram_error' = distance to the regular simplex over classes "
          "(BL22-C4c's SIMPLEX_GRAM_ENTRY with N' = C), which fails too; 'collapse' = max over "
          "positive pairs of 1 - cos (the optimum still collapses each class, 1 - cos ~ 1e-16). "
          "The optimum's class cosines differ from the candidate's and move with tau (seen "
          "while auditing at sizes (2, 3, 5), tau in {0.2, 0.5, 1}): no tau-free closed form "
          "exists (docs/catalogue/BL22.md#bl22-c4 flag (b)). Why (heuristically): the "
          "centring H weighs each class by its size, while SimCLR's repulsion weighs each pair of "
          "classes through the softmax by the product of their sizes and tau; both are symmetric "
          "only when the sizes are equal. Symbolic (an exact refutation): the candidate's rows "
          "are e_c - s/N (H Y, whose Gram is H (G+I) H), and the gradient of L_simCLR with "
          "respect to z_0 there, for sizes (2, 2, 4), is a nonzero function of tau (witness tau = "
          "50/13): the candidate is not even a stationary point, so the symbolic check FAILS too. "
          "Conditions under which it holds: equal sizes (the views graph, BL22-C4c, every tau), "
          "or C = 2 classes (the optimum and the candidate are then both antipodal pairs; "
          "checked while auditing for sizes (2, 5), (3, 6), (2, 4)).",
    finding="On the class graphs of the grid with unequal class sizes SimCLR's normalised "
            "optimum is not the MDS embedding of G + I (the candidate has a higher loss and "
            "is not stationary, symbolic check).",
)

_gram_entry = lambdify_torch(sym.SIMPLEX_GRAM_ENTRY, [sym.N_ORIG, sym.SAME_COMPONENT])


@claim.symbolic(scope="claim")
def _():
    # The candidate's rows are e_c - s/N (exact), and SimCLR's gradient there is not zero: an
    # exact refutation (residual nonzero; sizes (2, 2, 2) give zero, see the derivation tests).
    return [*sym.centred_indicator_rows((2, 2, 4)), sym.kernel_pca_candidate_stationary((2, 2, 4))]


# (class sizes "s1,s2,...", extra dimensions beyond C - 1, tau), small first (the first failing
# point is the counterexample); quick runs the first. Each point trains a model.
_POINTS = [
    {"sizes": "2,3,5", "extra_dims": 0, "tau": 0.5},
    {"sizes": "2,2,4", "extra_dims": 1, "tau": 1.0},
    {"sizes": "3,3,3,6", "extra_dims": 0, "tau": 0.3},
    {"sizes": "2,4,4,5", "extra_dims": 1, "tau": 0.5},
]


@claim.numeric(grid=_POINTS if profile() == "full" else _POINTS[:1])
def _(sizes: str, extra_dims: int, tau: float):
    class_sizes = tuple(int(size) for size in sizes.split(","))
    G = class_relation(class_sizes, device=device())
    n_classes = len(class_sizes)
    k = n_classes - 1 + extra_dims
    fit = simclr.fit_simclr(G, k, tau, seed=seed(), restarts=3,
                            grad_tol=claim.settings["grad_tol"])
    kernel = simclr.component_kernel(G)
    candidate = torch.zeros_like(fit.z)
    candidate[:, : n_classes - 1] = kernel_pca(kernel, n_classes - 1).embedding
    compared = simclr.candidate_comparison(G, tau, fit, candidate)
    gram = simclr.normalized_gram(fit.z)
    simplex = _gram_entry(torch.tensor(float(n_classes), dtype=simclr.DTYPE, device=G.device),
                          kernel)
    return Measurement(
        error=compared.gram_error,
        extra={"candidate_loss_excess": compared.loss_excess,
               "simplex_gram_error": relative_error(gram, simplex),
               "collapse": float((1 - gram[G > 0]).max()),
               "min_tangent_eig": fit.min_tangent_eig},
    )
