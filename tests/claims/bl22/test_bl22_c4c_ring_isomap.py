"""BL22-C4c-isomap: SimCLR's optimum on a connected G against kernel ISOMAP of G.

Where G is connected its geodesic (hop) distances are finite and kernel ISOMAP of G - classical
MDS of the hop distances, the candidate global embedding of the secondary literature ("SimCLR
recovers kernel ISOMAP") - is defined. On the ring C_n the claim, read charitably (any number r
of ISOMAP components up to K, each at a non-degenerate cut), is

    normalize(Z*) normalize(Z*)^T = normalize(E_r) normalize(E_r)^T,
    E_r = classical_mds(hop_distances(G), r),  r in {2, 4},  K = 4.
"""

from __future__ import annotations

import torch

from derivations.bl22 import simclr as sym
from tests.claims.bl22.protocols import simclr
from tests.claims.bl22.protocols.settings import GRAD_TOL, RANK_RTOL
from torch_impl.metrics import numerical_rank
from torch_impl.relations import ring_relation
from torch_impl.spectral import classical_mds, hop_distances
from verify import Claim, Measurement, device, profile, seed

claim = Claim(
    id="BL22-C4c-isomap",
    paper="BL22",
    source="Abstract, Sec. 1 (SimCLR <-> global spectral embedding); secondary: SimCLR "
           "recovers kernel ISOMAP",
    statement="Ring graph C_n, K = 4: normalize(Z*) is the normalised kernel ISOMAP embedding "
              "of G (classical MDS of hop distances) with r = 2 or 4 components",
    provenance="SECONDARY",
    paper_asserts="SimCLR corresponds to global spectral embedding methods (abstract); "
                  "restatements: 'SimCLR recovers Kernel ISOMAP', proof via Eckart-Young on a "
                  "kernel built from G.",
    tolerance=1e-6,
    expected="FAILS",
    measures="smaller relative Frobenius distance of the cosine Gram of Z* to that of kernel "
             "ISOMAP's E_2 or E_4",
    unit="relative",
    settings={"grad_tol": GRAD_TOL},
    tags=("trains", "sweep"),
    notes="Relaxation audited: none - the exact cosine loss at finite tau, the ring C_n "
          "(connected, so the geodesic distances of G exist; on the views graph they are infinite "
          "and ISOMAP of G is undefined). Candidates: classical MDS of the hop distances of G "
          "(torch_impl.spectral.hop_distances; geodesic_distances would build its graph from data "
          "X) with r = 2 and r = 4 components (both cuts non-degenerate: the ring's Fourier modes "
          "come in pairs), zero-padded to K = 4; error = the smaller of the two relative Frobenius "
          "distances of the cosine Gram matrices (the charitable reading). Extras: each "
          "candidate's loss minus the trained loss (> 0: the candidate is not a minimiser, "
          "whatever the optimiser found), the numerical rank of normalize(Z*) (rtol 1e-6), the "
          "ISOMAP eigengaps. Optimum: 3 seeded restarts, certificate 1e-8 at unit rows; the extras "
          "'loss_excess_r2' and 'loss_excess_r4' > 0 show the optimum beats both candidates. Why: "
          "the circle is what both methods give in 2 dimensions (rotation symmetry), but with more "
          "dimensions SimCLR's repulsion at small tau spreads the non-neighbours over extra "
          "directions in a tau-dependent way, unrelated to the eigen-decomposition of the "
          "hop-distance kernel. Condition under which it holds (found while auditing, not a claim "
          "of its own): K = 2, or a large tau (n = 8: tau >= 0.5), where the optimum is the "
          "equally spaced circle = ISOMAP's E_2; with K = 2 SimCLR on a ring also has winding "
          "local minima (a higher loss than the embedding, at n = 8, tau = `0.3`, in development), "
          "so restarts matter. Symbolic (supporting the K = 2 condition): for C_6 and C_8 the "
          "circle's coordinates are eigenvectors of the ISOMAP kernel -1/2 H D2 H for its largest "
          "eigenvalue, and the circle is a stationary point of L_simCLR on C_4 for every tau.",
    finding="On the rings of the grid with K = 4, at the temperatures tried, SimCLR's "
            "normalised optimum is not the normalised kernel ISOMAP embedding (classical "
            "MDS of hop distances).",
)

# Small rings first (the first failing point is the counterexample); quick runs the first.
_POINTS = [{"n": 8, "tau": 0.3}, {"n": 10, "tau": 0.5}, {"n": 12, "tau": 1.0}]
_K = 4


@claim.symbolic(scope="lemma",
                why="proves ISOMAP's two-component ring embedding is the circle and that the "
                 "circle is SimCLR-stationary (K = 2); the K = 4 mismatch is measured")
def _():
    # Where the reading holds (K = 2): ISOMAP's two components of a ring are the equally spaced
    # circle, and that circle is a stationary point of SimCLR at every tau.
    return [*sym.ring_isomap_circle(6), *sym.ring_isomap_circle(8),
            sym.ring_circle_stationary(4)]


@claim.numeric(grid=_POINTS if profile() == "full" else _POINTS[:1])
def _(n: int, tau: float):
    G = ring_relation(n, device=device())
    fit = simclr.fit_simclr(G, _K, tau, seed=seed(), restarts=3,
                            grad_tol=claim.settings["grad_tol"])
    hops = hop_distances(G)
    errors, extra = [], {}
    for r in (2, 4):
        isomap = classical_mds(hops, r)
        candidate = torch.zeros_like(fit.z)
        candidate[:, :r] = isomap.embedding
        compared = simclr.candidate_comparison(G, tau, fit, candidate)
        errors.append(compared.gram_error)
        extra[f"loss_excess_r{r}"] = compared.loss_excess
        extra[f"isomap_eigengap_r{r}"] = isomap.eigengap
    extra["rank"] = numerical_rank(fit.z, rtol=RANK_RTOL)
    extra["min_tangent_eig"] = fit.min_tangent_eig
    return Measurement(error=min(errors), extra=extra)
