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
from hypothesis import strategies as st

from derivations.base import lambdify_torch
from derivations.bl22 import simclr as sym
from tests.claims.bl22 import _simclr_support as sup
from torch_impl.metrics import relative_error
from torch_impl.spectral import kernel_pca
from verify import Claim, Measurement, profile, seed

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
    notes="Relaxation audited: none - the exact cosine loss at finite tau, the same formalisation "
          "and measure as BL22-C4c (relative Frobenius distance of the cosine Gram matrices), "
          "with G the class graph of C = 3 or 4 classes of unequal sizes. Candidate: "
          "torch_impl.spectral.kernel_pca(G + I, C - 1) (= classical MDS of the component "
          "distances), zero-padded to K columns. Extras: 'candidate_loss_excess' = (L(candidate) "
          "- L(Z*)) / max(1, |L(Z*)|) > 0 proves the candidate is NOT a minimiser whatever the "
          "optimiser found; 'simplex_gram_error' = distance to the regular simplex over classes "
          "(BL22-C4c's SIMPLEX_GRAM_ENTRY with N' = C), which fails too; 'collapse' = max over "
          "positive pairs of 1 - cos (the optimum still collapses each class, 1 - cos ~ 1e-16). "
          "Counterexample: sizes (2, 3, 5), tau = 0.5: the optimum's class cosines are -0.28, "
          "-0.51, -0.68 against the candidate's -0.14, -0.52, -0.77, and they move with tau "
          "(-0.41/-0.51/-0.58 at tau = 0.2, -0.01/-0.57/-0.82 at tau = 1): no tau-free closed "
          "form exists (docs/catalogue/BL22.md#bl22-c4 flag (b)). Why (heuristically): the "
          "centring H weighs each class by its size, while SimCLR's repulsion weighs each pair of "
          "classes through the softmax by the product of their sizes and tau; both are symmetric "
          "only when the sizes are equal. Symbolic (an exact refutation): the candidate's rows "
          "are e_c - s/N (H Y, whose Gram is H (G+I) H), and the gradient of L_simCLR with "
          "respect to z_0 there, for sizes (2, 2, 4), is a nonzero function of tau (witness tau = "
          "50/13): the candidate is not even a stationary point, so the symbolic check FAILS too. "
          "Conditions under which it holds (measured): equal sizes (the views graph, BL22-C4c, "
          "every tau), or C = 2 classes (the optimum and the candidate are then both antipodal "
          "pairs; checked while auditing for sizes (2, 5), (3, 6), (2, 4): Gram distance < "
          "1e-13).",
    finding="With unequal class sizes SimCLR's optimum is not the MDS embedding of G + I and "
            "moves with tau: no temperature-free closed form.",
)

_gram_entry = lambdify_torch(sym.SIMPLEX_GRAM_ENTRY, [sym.N_ORIG, sym.SAME_COMPONENT])


@claim.symbolic
def _():
    # The candidate's rows are e_c - s/N (exact), and SimCLR's gradient there is not zero: an
    # exact refutation (residual nonzero; sizes (2, 2, 2) give zero, see the derivation tests).
    return [*sym.centred_indicator_rows((2, 2, 4)), sym.kernel_pca_candidate_stationary((2, 2, 4))]


# (sizes, extra dimensions beyond C - 1, tau). One drawn case, not independent draws: a failing
# claim's trials are replayed while hypothesis shrinks them (towards the first case), and each
# trains a model.
_CASES = [((2, 3, 5), 0, 0.5), ((2, 2, 4), 1, 1.0), ((3, 3, 3, 6), 0, 0.3),
          ((2, 4, 4, 5), 1, 0.5)]


@claim.numeric(trials={"quick": 1, "full": 4},
               case=st.sampled_from(_CASES if profile() == "full" else _CASES[:1]))
def _(case: tuple[tuple[int, ...], int, float]):
    sizes, extra_dims, tau = case
    G = sup.class_relation(sizes)
    n_classes = len(sizes)
    k = n_classes - 1 + extra_dims
    fit = sup.fit_simclr(G, k, tau, seed=seed(), restarts=3)
    candidate = torch.zeros_like(fit.z)
    candidate[:, : n_classes - 1] = kernel_pca(sup.component_kernel(G), n_classes - 1).embedding
    compared = sup.candidate_comparison(G, tau, fit, candidate)
    gram = sup.normalized_gram(fit.z)
    simplex = _gram_entry(torch.tensor(float(n_classes), dtype=sup.DTYPE, device=sup.DEVICE),
                          sup.component_kernel(G))
    return Measurement(
        error=compared["gram_error"],
        extra={"candidate_loss_excess": compared["loss_excess"],
               "simplex_gram_error": relative_error(gram, simplex),
               "collapse": float((1 - gram[G > 0]).max())},
    )
