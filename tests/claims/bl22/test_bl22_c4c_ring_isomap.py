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
from hypothesis import strategies as st

from derivations.bl22 import simclr as sym
from tests.claims.bl22 import _simclr_support as sup
from torch_impl.metrics import numerical_rank
from torch_impl.spectral import classical_mds, hop_distances
from verify import Claim, Measurement, profile, seed

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
    notes="Relaxation audited: none - the exact cosine loss at finite tau, the ring C_n "
          "(connected, so the geodesic distances of G exist; on the views graph they are "
          "infinite and ISOMAP of G is undefined). Candidates: classical MDS of the hop "
          "distances of G (the support's Floyd-Warshall; torch_impl's geodesic_distances "
          "builds its graph from data X) with r = 2 and r = 4 components (both cuts "
          "non-degenerate: the ring's Fourier modes come in pairs), zero-padded to K = 4; "
          "error = the smaller of the two relative Frobenius distances of the cosine Gram "
          "matrices (the charitable reading). Extras: each candidate's loss minus the trained "
          "loss (> 0: the candidate is not a minimiser, whatever the optimiser found), the "
          "numerical rank of normalize(Z*) (rtol 1e-6), the ISOMAP eigengaps. Optimum: 3 "
          "seeded restarts, certificate 1e-8 at unit rows. Counterexample: n = 8, tau = 0.3: "
          "the optimum (loss 12.6748, rank 4) beats the circle E_2 (12.6931) and E_4 "
          "(gram distance 0.21, loss excess 0.13). Why: the circle is what both methods give "
          "in 2 dimensions (rotation symmetry), but with more dimensions SimCLR's repulsion "
          "at small tau spreads the non-neighbours over extra directions in a tau-dependent "
          "way, unrelated to the eigen-decomposition of the hop-distance kernel. Condition "
          "under which it holds (measured while auditing): K = 2, or large tau (n = 8: "
          "tau >= 0.5), where the optimum is the equally spaced circle = ISOMAP's E_2 "
          "(gram distance ~1e-9); with K = 2 SimCLR on a ring also has winding local minima "
          "(loss 23.8 vs 12.7 at n = 8, tau = 0.3), so restarts matter. Symbolic (supporting "
          "the K = 2 condition): for C_6 and C_8 the circle's coordinates are eigenvectors of "
          "the ISOMAP kernel -1/2 H D2 H for its largest eigenvalue, and the circle is a "
          "stationary point of L_simCLR on C_4 for every tau.",
    finding="SimCLR does not recover kernel ISOMAP on a ring with K = 4: it matches ISOMAP only "
            "with K = 2 or a large temperature.",
)

# (n, tau): one drawn case (hypothesis replays a failing claim's trials while shrinking).
_CASES = [(8, 0.3), (10, 0.5), (12, 1.0)]
_K = 4


@claim.symbolic
def _():
    # Where the reading holds (K = 2): ISOMAP's two components of a ring are the equally spaced
    # circle, and that circle is a stationary point of SimCLR at every tau.
    return [*sym.ring_isomap_circle(6), *sym.ring_isomap_circle(8),
            sym.ring_circle_stationary(4)]


@claim.numeric(trials={"quick": 1, "full": 3},
               case=st.sampled_from(_CASES if profile() == "full" else _CASES[:1]))
def _(case: tuple[int, float]):
    n, tau = case
    G = sup.ring_relation(n)
    fit = sup.fit_simclr(G, _K, tau, seed=seed(), restarts=3)
    hops = hop_distances(G)
    errors, extra = [], {}
    for r in (2, 4):
        isomap = classical_mds(hops, r)
        candidate = torch.zeros_like(fit.z)
        candidate[:, :r] = isomap.embedding
        compared = sup.candidate_comparison(G, tau, fit, candidate)
        errors.append(compared["gram_error"])
        extra[f"loss_excess_r{r}"] = compared["loss_excess"]
        extra[f"isomap_eigengap_r{r}"] = isomap.eigengap
    extra["rank"] = numerical_rank(fit.z, rtol=1e-6)
    return Measurement(error=min(errors), extra=extra)
